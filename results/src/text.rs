//! Short texts for people: op values, durations, shares. Escaping is not done here: every text
//! goes through askama's HTML escaping or plotters' SVG escaping on its way into a page.

use checkers::Op;

/// A value a person reads: an op's value or a piece of a checker's JSON detail.
pub trait Shown {
    /// Compact JSON, except a string as itself and null as `nil`.
    fn shown(&self) -> String;
}

impl Shown for serde_json::Value {
    fn shown(&self) -> String {
        match self {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => "nil".to_string(),
            other => other.to_string(),
        }
    }
}

impl Shown for checkers::Value {
    fn shown(&self) -> String {
        match self {
            checkers::Value::String(s) => s.to_string(),
            checkers::Value::Null => "nil".to_string(),
            other => other.to_string(),
        }
    }
}

/// `value` as compact JSON (a string as itself), cut to `max` characters with an ellipsis.
pub fn value(value: &impl Shown, max: usize) -> String {
    cut(&value.shown(), max)
}

/// `text` cut to `max` characters (not bytes) with an ellipsis.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// `f value` of an op, e.g. `cas [1,2]`.
pub fn op_call(op: &Op, max: usize) -> String {
    format!("{} {}", op.f, value(&op.value, max))
}

/// ns as seconds with 3 decimals, e.g. `12.041 s`.
pub fn secs(ns: u64) -> String {
    format!("{:.3} s", ns as f64 / 1e9)
}

/// A duration in the unit that reads best: `850 µs`, `12.3 ms`, `2.41 s`.
pub fn duration(ns: u64) -> String {
    if ns < 1_000_000 {
        format!("{} µs", ns / 1_000)
    } else if ns < 1_000_000_000 {
        format!("{:.1} ms", ns as f64 / 1e6)
    } else {
        format!("{:.2} s", ns as f64 / 1e9)
    }
}

/// `n thing` or `n things`.
pub fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// A share as a percentage with one decimal, `–` when unknown.
pub fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_string(), |s| format!("{:.1}%", s * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts() {
        assert_eq!(value(&serde_json::json!([1, "a"]), 40), "[1,\"a\"]");
        assert_eq!(value(&checkers::Value::Null, 40), "nil");
        assert_eq!(cut("ééééé", 3), "éé…");
        assert_eq!(duration(850_000), "850 µs");
        assert_eq!(duration(12_340_000), "12.3 ms");
        assert_eq!(duration(2_410_000_000), "2.41 s");
        assert_eq!(secs(12_041_000_000), "12.041 s");
        assert_eq!(percent(Some(0.5)), "50.0%");
        assert_eq!(percent(None), "–");
        assert_eq!(
            (count(1, "fault"), count(0, "fault"), count(3, "drop")),
            ("1 fault".into(), "0 faults".into(), "3 drops".into())
        );
    }
}
