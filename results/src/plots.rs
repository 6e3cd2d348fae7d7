//! The run's plots as SVG text (plotters' SVG backend: no font files needed, the browser draws
//! the text): latency scatter, latency quantiles over time, throughput and availability over
//! time, each with the fault periods shaded and labelled. Plotters escapes every text it
//! writes, so labels taken from the history are safe to inline into a page.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use checkers::History;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axis::{self, LatencyAxis, TimeUnit};
use crate::faults::FaultPeriod;
use crate::metrics::Window;
use crate::spans::{Outcome, Span};

/// Plot size in pixels.
const SIZE: (u32, u32) = (960, 300);
/// Scatter points in the same cell of a grid this fine (or coarser, see [`thin`]) are drawn once.
const GRID: (f64, f64) = (320.0, 100.0);
/// Most points a scatter plot draws.
const MAX_POINTS: usize = 8_000;
const FAULT_FILL: RGBColor = RGBColor(230, 80, 60);
const DROP_FILL: RGBColor = RGBColor(90, 90, 90);

/// A plot could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the {plot} plot: {message}")]
pub struct PlotError {
    /// Which plot.
    pub plot: &'static str,
    /// What plotters said.
    pub message: String,
}

/// What every plot needs besides its own data.
pub struct PlotContext<'a> {
    /// The fault periods to shade.
    pub faults: &'a [FaultPeriod],
    /// Stretches `(from, to)` in ns where availability or latency dropped and no fault explains
    /// it, shaded grey and labelled `?`.
    pub drops: &'a [(u64, u64)],
    /// The history's last time, ns.
    pub end: u64,
}

impl PlotContext<'_> {
    /// The unit of the time axis, chosen by the run's length.
    fn unit(&self) -> TimeUnit {
        axis::run_time_unit(self.end)
    }

    /// `ns` as a time-axis coordinate (in [`PlotContext::unit`]), never beyond the axis's end.
    fn x(&self, ns: u64) -> f64 {
        self.unit().of(ns.min(self.end))
    }

    /// The end of the time axis.
    fn t_max(&self) -> f64 {
        self.unit().of(self.end).max(1e-3)
    }
}

/// The colour of an outcome (Knossos's palette: ok blue, fail pink, info orange).
pub fn outcome_color(outcome: Outcome) -> RGBColor {
    match outcome {
        Outcome::Ok => RGBColor(40, 120, 220),
        Outcome::Fail => RGBColor(220, 60, 150),
        Outcome::Info | Outcome::Open => RGBColor(245, 150, 20),
    }
}

type Chart<'a, 'b, Y> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>;

fn err(plot: &'static str) -> impl Fn(Box<dyn std::fmt::Debug>) -> PlotError {
    move |e| PlotError { plot, message: format!("{e:?}") }
}

fn draw<F>(plot: &'static str, body: F) -> Result<String, PlotError>
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), Box<dyn std::fmt::Debug>>,
{
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(plot)(Box::new(e)))?;
        body(&root).map_err(err(plot))?;
        root.present().map_err(|e| err(plot)(Box::new(e)))?;
    }
    Ok(svg)
}

/// A chart on `root` titled `title`, with time on x (in the unit its length reads best in) and
/// `y` (described by `y_desc`, ticks labelled by `y_label`), its grid drawn and the fault
/// periods shaded (see [`shade_faults`]), ready for the plot's own series.
fn chart<'a, 'b, Y>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    y: Y,
    y_desc: &str,
    y_label: &dyn Fn(&f64) -> String,
    ctx: &PlotContext<'_>,
) -> Result<Chart<'a, 'b, Y::CoordDescType>, Box<dyn std::fmt::Debug>>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 15))
        .margin(8)
        .margin_right(16)
        .x_label_area_size(32)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..ctx.t_max(), y)
        .map_err(boxed)?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(242, 242, 242))
        .x_desc(format!("time ({})", ctx.unit().name))
        .x_label_formatter(&|v| axis::si(*v))
        .y_desc(y_desc)
        .y_label_formatter(y_label)
        .draw()
        .map_err(boxed)?;
    shade_faults(&mut chart, ctx)?;
    Ok(chart)
}

/// The legend naming the chart's series, at the top right.
fn legend<'a, 'b: 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'a, 'b, Y>,
) -> Result<(), Box<dyn std::fmt::Debug>> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 11))
        .draw()
        .map_err(boxed)
}

fn boxed<E: std::fmt::Debug + 'static>(e: E) -> Box<dyn std::fmt::Debug> {
    Box::new(e)
}

/// Average width of a character of the plots' 11 px labels, px (generous, so a cut label fits).
const CHAR_PX: f64 = 6.5;

/// Shades each fault period over the whole height and writes its name at the top, cut to the
/// room left before the plot's right edge; shades the unexplained drops grey with a `?`.
fn shade_faults<Y>(chart: &mut Chart<'_, '_, Y>, ctx: &PlotContext<'_>) -> Result<(), Box<dyn std::fmt::Debug>>
where
    Y: Ranged<ValueType = f64>,
{
    let Range { start: y0, end: y1 } = chart.y_range();
    let t_max = ctx.t_max();
    let px = chart.plotting_area().dim_in_pixel().0 as f64;
    // Characters that fit between `x` and the right edge after an offset of 3 px.
    let room = |x: f64| ((t_max - x) / t_max * px - 3.0).max(0.0) / CHAR_PX;
    chart
        .draw_series(ctx.faults.iter().map(|p| {
            Rectangle::new([(ctx.x(p.start), y0), (ctx.x(p.end_or(ctx.end)), y1)], FAULT_FILL.mix(0.12).filled())
        }))
        .map_err(boxed)?;
    chart
        .draw_series(ctx.faults.iter().enumerate().filter(|(_, p)| room(ctx.x(p.start)) >= 2.0).map(|(i, p)| {
            let fit = (room(ctx.x(p.start)) as usize).min(24);
            let label = crate::text::cut(&p.f, fit);
            let style = ("sans-serif", 11).into_font().color(&FAULT_FILL.mix(0.9));
            EmptyElement::at((ctx.x(p.start), y1)) + Text::new(label, (3, 2 + 12 * (i % 2) as i32), style)
        }))
        .map_err(boxed)?;
    chart
        .draw_series(
            ctx.drops
                .iter()
                .map(|&(a, b)| Rectangle::new([(ctx.x(a), y0), (ctx.x(b), y1)], DROP_FILL.mix(0.18).filled())),
        )
        .map_err(boxed)?;
    chart
        .draw_series(ctx.drops.iter().filter(|&&(a, _)| room(ctx.x(a)) >= 1.0).map(|&(a, _)| {
            let style = ("sans-serif", 12).into_font().color(&DROP_FILL);
            EmptyElement::at((ctx.x(a), y1)) + Text::new("?", (2, 28), style)
        }))
        .map_err(boxed)?;
    Ok(())
}

/// Latency of every completed op against its invocation time, by `f` (marker) and outcome
/// (colour), on an axis fitted to the data ([`LatencyAxis::fit`]). Points falling in the same
/// small cell are drawn once.
pub fn latency_scatter(history: &History, spans: &[Span], ctx: &PlotContext<'_>) -> Result<String, PlotError> {
    let y = LatencyAxis::fit(spans.iter().filter_map(Span::latency));
    let mut fs: Vec<&str> = spans.iter().map(|s| &*history.ops[s.invoke].f).collect();
    fs.sort_unstable();
    fs.dedup();
    let points: Vec<(usize, Outcome, f64, f64)> = spans
        .iter()
        .filter_map(|s| {
            let fi = fs.binary_search(&&*history.ops[s.invoke].f).unwrap_or(0);
            s.latency().map(|l| (fi, s.outcome, ctx.x(s.start), y.unit.of(l.max(1))))
        })
        .collect();
    let series = thin(&points, ctx.t_max(), &y);
    let label = |v: &f64| y.label(*v);
    draw("latency scatter", |root| {
        let title = "Latency by op type and outcome";
        if y.log {
            let mut chart = chart(root, title, (y.lo..y.hi).log_scale(), &y.description(), &label, ctx)?;
            scatter(&mut chart, &series, &fs)
        } else {
            let mut chart = chart(root, title, y.lo..y.hi, &y.description(), &label, ctx)?;
            scatter(&mut chart, &series, &fs)
        }
    })
}

/// Draws the thinned scatter `series` (keyed by position in `fs` and outcome) and their legend.
fn scatter<'a, 'b: 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'a, 'b, Y>,
    series: &BTreeMap<(usize, Outcome), Vec<(f64, f64)>>,
    fs: &[&str],
) -> Result<(), Box<dyn std::fmt::Debug>> {
    for ((fi, outcome), points) in series {
        let color = outcome_color(*outcome).mix(0.7);
        let label = format!("{} {}", fs[*fi], outcome.as_str());
        let marker = *fi % 3;
        let drawn = chart.draw_series(points.iter().map(move |&p| marker_at(marker, p, 0, color))).map_err(boxed)?;
        drawn.label(label).legend(move |at| marker_at(marker, at, 1, color));
    }
    if !series.is_empty() {
        legend(chart)?;
    }
    Ok(())
}

/// Groups points `(f position, outcome, x, y)` into series, keeping one point per cell of a
/// grid over the plot (logarithmic in y when the axis is); the grid coarsens until at most
/// [`MAX_POINTS`] remain. Points outside the axis are clamped onto its edge.
fn thin(
    points: &[(usize, Outcome, f64, f64)],
    t_max: f64,
    y: &LatencyAxis,
) -> BTreeMap<(usize, Outcome), Vec<(f64, f64)>> {
    let share = |v: f64| {
        let v = v.clamp(y.lo, y.hi);
        if y.log {
            (v.ln() - y.lo.ln()) / (y.hi.ln() - y.lo.ln())
        } else {
            (v - y.lo) / (y.hi - y.lo)
        }
    };
    let mut scale = 1.0;
    loop {
        let mut series: BTreeMap<(usize, Outcome), Vec<(f64, f64)>> = BTreeMap::new();
        let mut seen: HashSet<(usize, Outcome, u32, u32)> = HashSet::new();
        let (gx, gy) = (GRID.0 * scale, GRID.1 * scale);
        for &(fi, outcome, x, v) in points {
            let cell = ((x / t_max * gx) as u32, (share(v) * gy) as u32);
            if seen.insert((fi, outcome, cell.0, cell.1)) {
                series.entry((fi, outcome)).or_default().push((x.min(t_max), v.clamp(y.lo, y.hi)));
            }
        }
        if seen.len() <= MAX_POINTS || scale < 0.05 {
            return series;
        }
        scale *= (MAX_POINTS as f64 / seen.len() as f64).sqrt() * 0.9;
    }
}

/// The marker of the `marker`-th `f`: circle, triangle, cross; `grow` pixels larger in the
/// legend (whose coordinates are pixels) than on the plot.
fn marker_at<DB: DrawingBackend, C: Clone + 'static>(
    marker: usize,
    at: C,
    grow: i32,
    color: RGBAColor,
) -> DynElement<'static, DB, C> {
    match marker {
        0 => Circle::new(at, 2 + grow, color.filled()).into_dyn(),
        1 => TriangleMarker::new(at, 3 + grow, color.filled()).into_dyn(),
        _ => Cross::new(at, 3 + grow, color).into_dyn(),
    }
}

/// p50, p95, p99 and max latency per window, on an axis fitted to them.
pub fn latency_quantiles(windows: &[Window], width: u64, ctx: &PlotContext<'_>) -> Result<String, PlotError> {
    let y = LatencyAxis::fit(windows.iter().filter_map(|w| w.latency).flat_map(|q| [q.p50, q.max]));
    let qs: Vec<(f64, [f64; 4])> = windows
        .iter()
        .filter_map(|w| {
            w.latency.map(|q| (ctx.x(w.start + width / 2), [q.p50, q.p95, q.p99, q.max].map(|v| y.unit.of(v.max(1)))))
        })
        .collect();
    let lines = [
        ("p50", RGBColor(40, 120, 220)),
        ("p95", RGBColor(90, 170, 90)),
        ("p99", RGBColor(245, 150, 20)),
        ("max", RGBColor(200, 40, 40)),
    ];
    let label = |v: &f64| y.label(*v);
    draw("latency quantiles", |root| {
        let title = "Latency quantiles over time";
        if y.log {
            let mut chart = chart(root, title, (y.lo..y.hi).log_scale(), &y.description(), &label, ctx)?;
            draw_lines(&mut chart, &qs, lines)
        } else {
            let mut chart = chart(root, title, y.lo..y.hi, &y.description(), &label, ctx)?;
            draw_lines(&mut chart, &qs, lines)
        }
    })
}

/// One line per column of `rows` `(x, [y; N])`, named and coloured by `lines`, and their legend.
fn draw_lines<'a, 'b: 'a, Y: Ranged<ValueType = f64>, const N: usize>(
    chart: &mut Chart<'a, 'b, Y>,
    rows: &[(f64, [f64; N])],
    lines: [(&str, RGBColor); N],
) -> Result<(), Box<dyn std::fmt::Debug>> {
    for (k, (name, color)) in lines.into_iter().enumerate() {
        chart
            .draw_series(LineSeries::new(rows.iter().map(|(t, v)| (*t, v[k])), color.stroke_width(2)))
            .map_err(boxed)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    legend(chart)
}

/// Completions per second by outcome, per window.
pub fn throughput(windows: &[Window], width: u64, ctx: &PlotContext<'_>) -> Result<String, PlotError> {
    let per_sec = 1e9 / width.max(1) as f64;
    let rows: Vec<(f64, [f64; 3])> = windows
        .iter()
        .map(|w| (ctx.x(w.start + width / 2), [w.ok, w.fail, w.info].map(|c| c as f64 * per_sec)))
        .collect();
    let hi = rows.iter().flat_map(|(_, v)| v.iter().copied()).fold(1.0, f64::max) * 1.15;
    draw("throughput", |root| {
        let label = |v: &f64| axis::si(*v);
        let mut chart = chart(root, "Throughput over time", 0f64..hi, "completions / s", &label, ctx)?;
        draw_lines(
            &mut chart,
            &rows,
            [Outcome::Ok, Outcome::Fail, Outcome::Info].map(|o| (o.as_str(), outcome_color(o))),
        )
    })
}

/// The share of completions that were `ok`, per window (windows where nothing completed are
/// left out of the line).
pub fn availability(windows: &[Window], width: u64, ctx: &PlotContext<'_>) -> Result<String, PlotError> {
    let points: Vec<(f64, f64)> =
        windows.iter().filter_map(|w| w.availability().map(|a| (ctx.x(w.start + width / 2), a * 100.0))).collect();
    draw("availability", |root| {
        let title = "Availability (share of ok completions) per window";
        let label = |v: &f64| axis::si(*v);
        let mut chart = chart(root, title, 0f64..105f64, "ok (%)", &label, ctx)?;
        let color = outcome_color(Outcome::Ok);
        chart
            .draw_series(
                AreaSeries::new(points.iter().copied(), 0.0, color.mix(0.15)).border_style(color.stroke_width(2)),
            )
            .map_err(boxed)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::fault_periods;
    use crate::metrics::{window_width, windows};
    use crate::sample::register_history;
    use crate::spans::{client_spans, history_end};

    #[test]
    fn plots_are_svg_with_faults_labelled_and_text_escaped() {
        let h = register_history(3_000, 4, 12, 1);
        let spans = client_spans(&h);
        let end = history_end(&h);
        let mut faults = fault_periods(&h);
        assert!(!faults.is_empty());
        let mut hostile = faults[0].clone();
        hostile.f = "<script>x</script>".to_string();
        faults.push(hostile);
        let ctx = PlotContext { faults: &faults, drops: &[(1_000_000_000, 2_000_000_000)], end };
        let width = window_width(end, 100);
        let w = windows(&spans, end, width);
        for svg in [
            latency_scatter(&h, &spans, &ctx).unwrap(),
            latency_quantiles(&w, width, &ctx).unwrap(),
            throughput(&w, width, &ctx).unwrap(),
            availability(&w, width, &ctx).unwrap(),
        ] {
            assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
            assert!(svg.contains("partition"));
            assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
            assert!(svg.contains(">\n?\n</text>"), "unexplained drop marked");
        }
    }

    /// Every `<text x=.. >label</text>` of an SVG as (x, label).
    fn texts(svg: &str) -> Vec<(f64, String)> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let x: f64 = t.split("x=\"").nth(1)?.split('"').next()?.parse().ok()?;
                let body = t.split('>').nth(1)?.split("</text").next()?.trim().to_string();
                Some((x, body))
            })
            .collect()
    }

    #[test]
    fn big_numbers_are_short_and_labels_stay_inside() {
        let width = 100_000_000;
        let windows: Vec<Window> = (0..50)
            .map(|i| Window { start: i * width, ok: 1_600_000, fail: 0, info: 0, answered: 1_600_000, latency: None })
            .collect();
        // A fault starting just before the end: its name must not run off the plot.
        let late = FaultPeriod {
            f: "partition-a-very-long-fault-name".into(),
            nodes: vec![],
            description: vec![],
            start: 4_950_000_000,
            healed: None,
            heal_f: None,
        };
        let ctx = PlotContext { faults: std::slice::from_ref(&late), drops: &[], end: 5_000_000_000 };
        let svg = throughput(&windows, width, &ctx).unwrap();
        let labels = texts(&svg);
        assert!(labels.iter().any(|(_, t)| t == "16M"), "{labels:?}");
        let long_number = |t: &str| t.chars().filter(char::is_ascii_digit).count() > 4;
        assert!(!labels.iter().any(|(_, t)| long_number(t)), "a raw number on an axis: {labels:?}");
        for (x, t) in &labels {
            assert!(x + CHAR_PX * t.chars().count() as f64 <= SIZE.0 as f64 + 1.0, "{t:?} at {x} runs off the plot");
        }
        assert!(labels.iter().any(|(_, t)| t == "time (s)"), "{labels:?}");
    }

    #[test]
    fn a_history_spanning_milliseconds_gets_ms_and_a_linear_latency_axis() {
        let mut ops = Vec::new();
        for i in 0..40u64 {
            ops.push(crate::sample::op(2 * i, i * 100_000, checkers::OpType::Invoke, i % 4, "read"));
            ops.push(crate::sample::op(2 * i + 1, i * 100_000 + 20_000 + i * 500, checkers::OpType::Ok, i % 4, "read"));
        }
        let h = History::from_ops(None, ops);
        let spans = client_spans(&h);
        let ctx = PlotContext { faults: &[], drops: &[], end: history_end(&h) };
        let labels = texts(&latency_scatter(&h, &spans, &ctx).unwrap());
        assert!(labels.iter().any(|(_, t)| t == "time (ms)"), "{labels:?}");
        assert!(labels.iter().any(|(_, t)| t == "latency (µs)"), "{labels:?}");
        assert!(!labels.iter().any(|(_, t)| t == "0.01"), "degenerate log axis: {labels:?}");
    }

    #[test]
    fn scatter_points_are_thinned_to_the_cap() {
        let points: Vec<(usize, Outcome, f64, f64)> =
            (0..100_000).map(|i| (i % 3, Outcome::Ok, i as f64 / 1000.0, 1.0 + (i % 997) as f64)).collect();
        let y = LatencyAxis { unit: TimeUnit { name: "ms", ns: 1e6 }, lo: 0.5, hi: 2_000.0, log: true };
        let series = thin(&points, 100.0, &y);
        let n: usize = series.values().map(Vec::len).sum();
        assert!(n <= MAX_POINTS && n > MAX_POINTS / 4, "{n} points");
        assert_eq!(series.len(), 3);
    }

    #[test]
    fn empty_history_still_plots() {
        let h = History::default();
        let ctx = PlotContext { faults: &[], drops: &[], end: 0 };
        assert!(latency_scatter(&h, &[], &ctx).unwrap().contains("<svg"));
        assert!(availability(&[], 1, &ctx).unwrap().contains("<svg"));
    }
}
