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
    fn t_max(&self) -> f64 {
        secs(self.end).max(0.001)
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

fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
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

/// A chart on `root` titled `title`, with time on x and `y` (described by `y_desc`), its grid
/// drawn and the fault periods shaded (see [`shade_faults`]), ready for the plot's own series.
fn chart<'a, 'b, Y>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    y: Y,
    y_desc: &str,
    ctx: &PlotContext<'_>,
) -> Result<Chart<'a, 'b, Y::CoordDescType>, Box<dyn std::fmt::Debug>>
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 15))
        .margin(8)
        .x_label_area_size(32)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..ctx.t_max(), y)
        .map_err(boxed)?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(242, 242, 242))
        .x_desc("time (s)")
        .y_desc(y_desc)
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

/// Shades each fault period over the whole height and writes its name at the top; shades the
/// unexplained drops grey with a `?`.
fn shade_faults<Y>(chart: &mut Chart<'_, '_, Y>, ctx: &PlotContext<'_>) -> Result<(), Box<dyn std::fmt::Debug>>
where
    Y: Ranged<ValueType = f64>,
{
    let Range { start: y0, end: y1 } = chart.y_range();
    chart
        .draw_series(ctx.faults.iter().map(|p| {
            Rectangle::new([(secs(p.start), y0), (secs(p.end_or(ctx.end)), y1)], FAULT_FILL.mix(0.12).filled())
        }))
        .map_err(boxed)?;
    chart
        .draw_series(ctx.faults.iter().enumerate().map(|(i, p)| {
            let label: String = p.f.chars().take(24).collect();
            let style = ("sans-serif", 11).into_font().color(&FAULT_FILL.mix(0.9));
            EmptyElement::at((secs(p.start), y1)) + Text::new(label, (3, 2 + 12 * (i % 2) as i32), style)
        }))
        .map_err(boxed)?;
    chart
        .draw_series(
            ctx.drops
                .iter()
                .map(|&(a, b)| Rectangle::new([(secs(a), y0), (secs(b), y1)], DROP_FILL.mix(0.18).filled())),
        )
        .map_err(boxed)?;
    chart
        .draw_series(ctx.drops.iter().map(|&(a, _)| {
            let style = ("sans-serif", 12).into_font().color(&DROP_FILL);
            EmptyElement::at((secs(a), y1)) + Text::new("?", (2, 28), style)
        }))
        .map_err(boxed)?;
    Ok(())
}

/// Latency (log scale) of every completed op against its invocation time, by `f` (marker) and
/// outcome (colour). Points falling in the same small cell are drawn once.
pub fn latency_scatter(history: &History, spans: &[Span], ctx: &PlotContext<'_>) -> Result<String, PlotError> {
    let lat: Vec<f64> = spans.iter().filter_map(|s| s.latency()).map(|l| ms(l.max(1_000))).collect();
    let (lo, hi) = log_range(&lat);
    let mut fs: Vec<&str> = spans.iter().map(|s| history.ops[s.invoke].f.as_str()).collect();
    fs.sort_unstable();
    fs.dedup();
    let points: Vec<(usize, Outcome, f64, f64)> = spans
        .iter()
        .filter_map(|s| {
            let fi = fs.binary_search(&history.ops[s.invoke].f.as_str()).unwrap_or(0);
            s.latency().map(|l| (fi, s.outcome, secs(s.start), ms(l.max(1_000))))
        })
        .collect();
    let series = thin(&points, ctx.t_max(), lo, hi);
    draw("latency scatter", |root| {
        let title = "Latency by op type and outcome";
        let mut chart = chart(root, title, (lo..hi).log_scale(), "latency (ms)", ctx)?;
        for ((fi, outcome), points) in &series {
            let color = outcome_color(*outcome).mix(0.7);
            let label = format!("{} {}", fs[*fi], outcome.as_str());
            let marker = *fi % 3;
            let drawn =
                chart.draw_series(points.iter().map(move |&p| marker_at(marker, p, 0, color))).map_err(boxed)?;
            drawn.label(label).legend(move |at| marker_at(marker, at, 1, color));
        }
        if !series.is_empty() {
            legend(&mut chart)?;
        }
        Ok(())
    })
}

/// Groups points `(f position, outcome, x, y)` into series, keeping one point per cell of a
/// grid over the plot (log y); the grid coarsens until at most [`MAX_POINTS`] remain.
fn thin(
    points: &[(usize, Outcome, f64, f64)],
    t_max: f64,
    lo: f64,
    hi: f64,
) -> BTreeMap<(usize, Outcome), Vec<(f64, f64)>> {
    let (llo, lhi) = (lo.ln(), hi.ln());
    let mut scale = 1.0;
    loop {
        let mut series: BTreeMap<(usize, Outcome), Vec<(f64, f64)>> = BTreeMap::new();
        let mut seen: HashSet<(usize, Outcome, u32, u32)> = HashSet::new();
        let (gx, gy) = (GRID.0 * scale, GRID.1 * scale);
        for &(fi, outcome, x, y) in points {
            let cell = ((x / t_max * gx) as u32, ((y.ln() - llo) / (lhi - llo) * gy) as u32);
            if seen.insert((fi, outcome, cell.0, cell.1)) {
                series.entry((fi, outcome)).or_default().push((x, y));
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

/// A log-scale range covering `values` (ms), with a little room; a default when empty.
fn log_range(values: &[f64]) -> (f64, f64) {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(0.0, f64::max);
    if !lo.is_finite() || hi <= 0.0 {
        return (0.1, 10.0);
    }
    let lo = (lo * 0.8).max(0.001);
    (lo, (hi * 1.25).max(lo * 10.0))
}

/// p50, p95, p99 and max latency per window (log scale).
pub fn latency_quantiles(windows: &[Window], width: u64, ctx: &PlotContext<'_>) -> Result<String, PlotError> {
    let qs: Vec<(f64, [f64; 4])> = windows
        .iter()
        .filter_map(|w| {
            w.latency.map(|q| (secs(w.start + width / 2), [q.p50, q.p95, q.p99, q.max].map(|v| ms(v.max(1_000)))))
        })
        .collect();
    let all: Vec<f64> = qs.iter().flat_map(|(_, v)| v.iter().copied()).collect();
    let (lo, hi) = log_range(&all);
    let lines = [
        ("p50", RGBColor(40, 120, 220)),
        ("p95", RGBColor(90, 170, 90)),
        ("p99", RGBColor(245, 150, 20)),
        ("max", RGBColor(200, 40, 40)),
    ];
    draw("latency quantiles", |root| {
        let title = "Latency quantiles over time";
        let mut chart = chart(root, title, (lo..hi).log_scale(), "latency (ms)", ctx)?;
        draw_lines(&mut chart, &qs, lines)
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
        .map(|w| (secs(w.start + width / 2), [w.ok, w.fail, w.info].map(|c| c as f64 * per_sec)))
        .collect();
    let hi = rows.iter().flat_map(|(_, v)| v.iter().copied()).fold(1.0, f64::max) * 1.15;
    draw("throughput", |root| {
        let mut chart = chart(root, "Throughput over time", 0f64..hi, "completions / s", ctx)?;
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
        windows.iter().filter_map(|w| w.availability().map(|a| (secs(w.start + width / 2), a * 100.0))).collect();
    draw("availability", |root| {
        let title = "Availability (share of ok completions) per window";
        let mut chart = chart(root, title, 0f64..105f64, "ok (%)", ctx)?;
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

    #[test]
    fn scatter_points_are_thinned_to_the_cap() {
        let points: Vec<(usize, Outcome, f64, f64)> =
            (0..100_000).map(|i| (i % 3, Outcome::Ok, i as f64 / 1000.0, 1.0 + (i % 997) as f64)).collect();
        let series = thin(&points, 100.0, 0.5, 2_000.0);
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
