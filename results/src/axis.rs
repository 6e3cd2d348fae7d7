//! Axis labels a person reads at a glance: numbers in short SI form (`1.2k`, `16M`), run time
//! in the unit its range reads best in (ms, s, min, h), and latency axes that fit the data:
//! logarithmic only when the latencies span decades, each tick then labelled with its own
//! unit (`100 µs`, `10 ms`, `1 s`), linear from zero otherwise.

/// A number in at most three significant digits with an SI suffix from a thousand on:
/// `950`, `1.2k`, `16M`, `0.25`, `-3k`; `0` for zero.
pub fn si(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let mut m = v.abs();
    let mut suffix = 0;
    const SUFFIXES: [&str; 6] = ["", "k", "M", "G", "T", "P"];
    while m >= 1000.0 && suffix + 1 < SUFFIXES.len() {
        m /= 1000.0;
        suffix += 1;
    }
    let mut text = three_digits(m);
    // Rounding can carry into the next thousand (999.7k -> 1000k): move to the next suffix.
    if text == "1000" && suffix + 1 < SUFFIXES.len() {
        suffix += 1;
        text = "1".to_string();
    }
    format!("{sign}{text}{}", SUFFIXES[suffix])
}

/// `m` (positive) with three significant digits, trailing zeros dropped: `12.5`, `0.0123`, `105`.
fn three_digits(m: f64) -> String {
    let decimals = if m >= 100.0 { 0 } else { (2 - m.log10().floor() as i32).clamp(0, 12) as usize };
    let text = format!("{m:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A unit of time for an axis: its name and how many ns it holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeUnit {
    /// `µs`, `ms`, `s`, `min` or `h`.
    pub name: &'static str,
    /// ns per unit.
    pub ns: f64,
}

const MICROS: TimeUnit = TimeUnit { name: "µs", ns: 1e3 };
const MILLIS: TimeUnit = TimeUnit { name: "ms", ns: 1e6 };
const SECONDS: TimeUnit = TimeUnit { name: "s", ns: 1e9 };
const MINUTES: TimeUnit = TimeUnit { name: "min", ns: 60e9 };
const HOURS: TimeUnit = TimeUnit { name: "h", ns: 3600e9 };

impl TimeUnit {
    /// `ns` in this unit.
    pub fn of(self, ns: u64) -> f64 {
        ns as f64 / self.ns
    }
}

/// The unit of a run-time axis spanning `span` ns: ms under 2 s, s under 10 min, min under
/// 3 h, then h.
pub fn run_time_unit(span: u64) -> TimeUnit {
    match span {
        s if s < 2_000_000_000 => MILLIS,
        s if s < 600_000_000_000 => SECONDS,
        s if s < 10_800_000_000_000 => MINUTES,
        _ => HOURS,
    }
}

/// The unit in which a duration up to `max` ns reads with at most three digits before the point.
fn duration_unit(max: f64) -> TimeUnit {
    [SECONDS, MILLIS, MICROS].into_iter().find(|u| max >= u.ns).unwrap_or(MICROS)
}

/// A duration tick label: `250 µs`, `1.5 ms`, `2 s` (ns in, short SI digits out).
pub fn duration_label(ns: f64) -> String {
    if ns <= 0.0 {
        return "0".to_string();
    }
    let unit = duration_unit(ns);
    format!("{} {}", si(ns / unit.ns), unit.name)
}

/// How a latency axis is drawn: coordinates are in `unit`; `log` says whether the scale is
/// logarithmic (then `lo > 0`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyAxis {
    /// The unit of the coordinates.
    pub unit: TimeUnit,
    /// Lowest value shown, in `unit`.
    pub lo: f64,
    /// Highest value shown, in `unit`.
    pub hi: f64,
    /// Logarithmic scale.
    pub log: bool,
}

/// Latencies spanning fewer than this many times from lowest to highest get a linear axis.
const LOG_SPAN: f64 = 50.0;

impl LatencyAxis {
    /// The axis for latencies `values` (ns): logarithmic when the highest is at least
    /// [`LOG_SPAN`] times the lowest, else linear from 0; in the unit of the highest value.
    pub fn fit(values: impl IntoIterator<Item = u64>) -> LatencyAxis {
        let (mut lo, mut hi) = (u64::MAX, 0u64);
        for v in values {
            lo = lo.min(v.max(1));
            hi = hi.max(v.max(1));
        }
        if hi == 0 {
            return LatencyAxis { unit: MILLIS, lo: 0.0, hi: 1.0, log: false };
        }
        let unit = duration_unit(hi as f64);
        let (lo, hi) = (unit.of(lo), unit.of(hi));
        if hi >= LOG_SPAN * lo {
            LatencyAxis { unit, lo: lo * 0.8, hi: hi * 1.25, log: true }
        } else {
            LatencyAxis { unit, lo: 0.0, hi: hi * 1.15, log: false }
        }
    }

    /// A tick label for `v` (in `unit`): with its own unit on a log axis, plain SI digits on
    /// a linear one (the unit is in the axis description).
    pub fn label(&self, v: f64) -> String {
        if self.log {
            duration_label(v * self.unit.ns)
        } else {
            si(v)
        }
    }

    /// The axis description: `latency (ms)`, or `latency (log scale)`.
    pub fn description(&self) -> String {
        if self.log {
            "latency (log scale)".to_string()
        } else {
            format!("latency ({})", self.unit.name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_is_short() {
        let cases = [
            (0.0, "0"),
            (7.0, "7"),
            (950.0, "950"),
            (999.0, "999"),
            (1_000.0, "1k"),
            (1_200.0, "1.2k"),
            (12_345.0, "12.3k"),
            (16_000_000.0, "16M"),
            (999_960.0, "1M"),
            (2.5e9, "2.5G"),
            (0.5, "0.5"),
            (0.25, "0.25"),
            (0.0123, "0.0123"),
            (105.0, "105"),
            (12.5, "12.5"),
            (-3_000.0, "-3k"),
        ];
        for (v, want) in cases {
            assert_eq!(si(v), want, "{v}");
        }
        for v in [1.0, 123.0, 4_567.0, 89_000_000.0, 0.001] {
            assert!(si(v).len() <= 6, "{v} -> {}", si(v));
        }
    }

    #[test]
    fn run_time_units_follow_the_range() {
        assert_eq!(run_time_unit(15_000_000).name, "ms");
        assert_eq!(run_time_unit(1_999_000_000).name, "ms");
        assert_eq!(run_time_unit(15_000_000_000).name, "s");
        assert_eq!(run_time_unit(180_000_000_000).name, "s");
        assert_eq!(run_time_unit(3_600_000_000_000).name, "min");
        assert_eq!(run_time_unit(36_000_000_000_000).name, "h");
        assert_eq!(run_time_unit(90_000_000_000).of(45_000_000_000), 45.0);
    }

    #[test]
    fn duration_labels_pick_their_unit() {
        assert_eq!(duration_label(250_000.0), "250 µs");
        assert_eq!(duration_label(1_500_000.0), "1.5 ms");
        assert_eq!(duration_label(2e9), "2 s");
        assert_eq!(duration_label(120e9), "120 s");
        assert_eq!(duration_label(800.0), "0.8 µs");
        assert_eq!(duration_label(0.0), "0");
    }

    #[test]
    fn latency_axes_fit_the_data() {
        // A history spanning milliseconds: latencies of tens of µs get a linear µs axis.
        let fast = LatencyAxis::fit([12_000, 30_000, 45_000]);
        assert!(!fast.log);
        assert_eq!((fast.unit.name, fast.lo), ("µs", 0.0));
        assert!(fast.hi > 45.0 && fast.hi < 60.0, "{fast:?}");
        assert_eq!(fast.label(20.0), "20");
        assert_eq!(fast.description(), "latency (µs)");
        // 1 ms to 5 s: log, each tick with its unit.
        let wide = LatencyAxis::fit([1_000_000, 20_000_000, 5_000_000_000]);
        assert!(wide.log && wide.unit.name == "s" && wide.lo > 0.0 && wide.lo < 0.001, "{wide:?}");
        assert_eq!(wide.label(0.01), "10 ms");
        assert_eq!(wide.label(1.0), "1 s");
        assert_eq!(wide.description(), "latency (log scale)");
        // Nothing at all: a harmless linear axis.
        let none = LatencyAxis::fit([]);
        assert!(!none.log && none.hi > none.lo);
    }
}
