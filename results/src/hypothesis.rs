//! Chaos experiments: the steady state (figures of the client ops before the first fault), a
//! hypothesis over the figures during and after each fault (`availability: ">= 0.9"`, `p99-ms:
//! "<= 500"`, `recovery-s: "<= 10"`), and the abort guard's limit (`abort-if: {availability:
//! "< 0.5", for-s: 10}`). Judging is a pure function of the history; the harness only watches
//! the guard while the run goes on.
//!
//! A bound is an operator (`>=`, `>`, `<=`, `<`) and a number; a number followed by `x` is
//! relative to the steady state (`p99-ms: "<= 3x"`: at most three times the steady p99).

use std::fmt;
use std::str::FromStr;

use checkers::History;
use serde::{Deserialize, Serialize};

use crate::effects::{fault_effects, Recovery};
use crate::faults::{fault_periods, FaultPeriod};
use crate::metrics::{ok_quantiles, window_width};
use crate::spans::{client_spans, history_end, Outcome, Span};

const SEC: f64 = 1e9;

/// A comparison operator of a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `<`
    Lt,
}

impl Cmp {
    fn text(self) -> &'static str {
        match self {
            Cmp::Ge => ">=",
            Cmp::Gt => ">",
            Cmp::Le => "<=",
            Cmp::Lt => "<",
        }
    }
}

/// `>= 0.9`, `< 500`, `<= 3x` (three times the steady state's figure).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    /// The operator.
    pub cmp: Cmp,
    /// The number it compares with.
    pub value: f64,
    /// The number is a multiple of the steady state's figure.
    pub relative: bool,
}

impl Bound {
    /// Whether `figure` satisfies the bound, `steady` being the steady state's figure (a
    /// relative bound with no steady figure cannot hold).
    pub fn holds(&self, figure: f64, steady: Option<f64>) -> bool {
        let limit = match (self.relative, steady) {
            (false, _) => self.value,
            (true, Some(s)) => self.value * s,
            (true, None) => return false,
        };
        match self.cmp {
            Cmp::Ge => figure >= limit,
            Cmp::Gt => figure > limit,
            Cmp::Le => figure <= limit,
            Cmp::Lt => figure < limit,
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}{}", self.cmp.text(), self.value, if self.relative { "x" } else { "" })
    }
}

impl FromStr for Bound {
    type Err = String;
    fn from_str(s: &str) -> Result<Bound, String> {
        let bad = || {
            format!("{s:?} is not a bound; write an operator and a number such as \">= 0.9\" or \"<= 500\" (\"<= 3x\": three times the steady state)")
        };
        let t = s.trim();
        let (cmp, rest) = [(">=", Cmp::Ge), ("<=", Cmp::Le), (">", Cmp::Gt), ("<", Cmp::Lt)]
            .into_iter()
            .find_map(|(op, cmp)| t.strip_prefix(op).map(|rest| (cmp, rest.trim())))
            .ok_or_else(bad)?;
        let (number, relative) = match rest.strip_suffix('x') {
            Some(n) => (n.trim(), true),
            None => (rest, false),
        };
        let value: f64 = number.parse().map_err(|_| bad())?;
        if !value.is_finite() || value < 0.0 {
            return Err(bad());
        }
        Ok(Bound { cmp, value, relative })
    }
}

impl Serialize for Bound {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// A bound read from a field, the error naming the field.
fn bound<'de, D: serde::Deserializer<'de>>(d: D, field: &str) -> Result<Option<Bound>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    text.map(|t| t.parse().map_err(|e| serde::de::Error::custom(format!("{field}: {e}")))).transpose()
}

macro_rules! bound_field {
    ($name:ident, $field:literal) => {
        fn $name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Bound>, D::Error> {
            bound(d, $field)
        }
    };
}
bound_field!(availability_bound, "hypothesis.availability");
bound_field!(p99_bound, "hypothesis.p99-ms");
bound_field!(recovery_bound, "hypothesis.recovery-s");
bound_field!(abort_bound, "abort-if.availability");

/// What must hold during and after each fault (each bound optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Hypothesis {
    /// The share of client ops the store answered, during and after the fault.
    #[serde(default, deserialize_with = "availability_bound", skip_serializing_if = "Option::is_none")]
    pub availability: Option<Bound>,
    /// The 99th percentile latency of `ok` ops in ms, during and after the fault.
    #[serde(default, deserialize_with = "p99_bound", skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<Bound>,
    /// Seconds from the heal until `ok` ops flow at 80% of the earlier rate again.
    #[serde(default, deserialize_with = "recovery_bound", skip_serializing_if = "Option::is_none")]
    pub recovery_s: Option<Bound>,
}

/// The abort guard: when availability stays beyond `availability` for `for_s` seconds, the
/// nemesis heals at once and injects nothing more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AbortIf {
    /// The limit, e.g. `< 0.5` (relative bounds are refused: the guard has no steady state).
    #[serde(default, deserialize_with = "abort_bound")]
    pub availability: Option<Bound>,
    /// How long the limit must be exceeded, in seconds.
    pub for_s: f64,
}

impl AbortIf {
    /// Checks the guard's fields; the message names the field and the fix.
    pub fn check(&self) -> Result<Bound, String> {
        let bound = self
            .availability
            .ok_or_else(|| "abort-if.availability: missing; write a limit such as \"< 0.5\"".to_string())?;
        if bound.relative {
            return Err("abort-if.availability: a relative bound (x) has no steady state to compare with while \
                        the run goes on; write a share such as \"< 0.5\""
                .into());
        }
        if !(self.for_s > 0.0 && self.for_s <= 3600.0) {
            return Err(format!("abort-if.for-s = {}: use a number of seconds above 0 and at most 3600", self.for_s));
        }
        Ok(bound)
    }
}

/// Figures of the client ops completed in a stretch of time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Figures {
    /// Completions in the stretch.
    pub completed: u64,
    /// The share the store answered (`ok`, or a fail the store decided).
    pub availability: Option<f64>,
    /// The share the store did not answer (timeouts, refusals, errors): `1 − availability`.
    pub error_rate: Option<f64>,
    /// Median latency of `ok` ops, ms.
    pub p50_ms: Option<f64>,
    /// 99th percentile latency of `ok` ops, ms.
    pub p99_ms: Option<f64>,
    /// `ok` completions per second.
    pub ok_per_s: f64,
}

impl Figures {
    /// The figures of the spans completed in `[from, to)` (ns).
    pub fn of(spans: &[Span], from: u64, to: u64) -> Figures {
        let inside: Vec<Span> =
            spans.iter().filter(|s| s.completion.is_some() && (from..to).contains(&s.end)).cloned().collect();
        let completed = inside.len() as u64;
        let answered = inside.iter().filter(|s| s.answered).count() as f64;
        let ok = inside.iter().filter(|s| s.outcome == Outcome::Ok).count() as f64;
        let share = |n: f64| (completed > 0).then(|| n / completed as f64);
        let q = ok_quantiles(&inside);
        Figures {
            completed,
            availability: share(answered),
            error_rate: share(completed as f64 - answered),
            p50_ms: q.map(|q| q.p50 as f64 / 1e6),
            p99_ms: q.map(|q| q.p99 as f64 / 1e6),
            ok_per_s: ok / ((to.saturating_sub(from)) as f64 / SEC).max(1e-9),
        }
    }
}

/// The steady state: the figures before the first fault.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SteadyState {
    /// Start of the warm-up, s.
    pub from_s: f64,
    /// Its end (the first fault), s.
    pub to_s: f64,
    /// What the client ops did then.
    pub figures: Figures,
}

/// How one fault measured against the hypothesis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultCheck {
    /// The fault's number (from 1, in the order of the faults table).
    pub fault: usize,
    /// What it was, e.g. `partition: isolate n3`.
    pub what: String,
    /// When it began, s.
    pub from_s: f64,
    /// When it was healed, s (none: never healed).
    pub healed_s: Option<f64>,
    /// The figures while it lasted.
    pub during: Figures,
    /// The figures after the heal (as long as the fault lasted, at least a second).
    pub after: Figures,
    /// Seconds from the heal until ok ops flowed at the earlier rate (none: not measured).
    pub recovery_s: Option<f64>,
    /// Every bound held.
    pub held: bool,
    /// The bounds that failed, one sentence each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
}

/// Why and when the abort guard stopped the nemesis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Abort {
    /// When the guard fired, s since the run started.
    pub at_s: f64,
    /// Why, e.g. `availability 0.00 < 0.5 for 10 s`.
    pub why: String,
}

/// The experiment's outcome: the steady state, the hypothesis per fault, and the abort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// The hypothesis judged (none: only the guard was set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hypothesis: Option<Hypothesis>,
    /// The figures before the first fault.
    pub steady_state: SteadyState,
    /// Each fault against the hypothesis.
    #[serde(default)]
    pub faults: Vec<FaultCheck>,
    /// The guard fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborted: Option<Abort>,
    /// The hypothesis held for every fault and the guard did not fire.
    pub held: bool,
}

impl Experiment {
    /// The first reason it failed, in one line (none when it held).
    pub fn why_failed(&self) -> Option<String> {
        if let Some(abort) = &self.aborted {
            return Some(format!("aborted at {:.1} s: {}", abort.at_s, abort.why));
        }
        self.faults
            .iter()
            .find(|f| !f.held)
            .map(|f| format!("hypothesis failed for fault {} ({}): {}", f.fault, f.what, f.failed.join("; ")))
    }

    /// One line per fault and the abort, for the page, the closing lines and JUnit.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(abort) = &self.aborted {
            lines.push(format!(
                "aborted at {:.1} s: {}; the nemesis healed and injected nothing more",
                abort.at_s, abort.why
            ));
        }
        for f in &self.faults {
            let word = if f.held { "held" } else { "failed" };
            let mut line = format!("fault {} ({}): hypothesis {word}", f.fault, f.what);
            if !f.failed.is_empty() {
                line.push_str(&format!(": {}", f.failed.join("; ")));
            }
            lines.push(line);
        }
        lines
    }
}

fn what(period: &FaultPeriod) -> String {
    let first = period.description.first().map(|d| d.trim_matches('"').to_string()).unwrap_or_default();
    if first.is_empty() {
        period.f.clone()
    } else {
        format!("{}: {first}", period.f)
    }
}

fn figure_text(figure: Option<f64>) -> String {
    figure.map_or_else(|| "none".to_string(), |v| format!("{v:.3}"))
}

/// Checks `figure` of `stretch` against `bound`; a failure is pushed as a sentence.
fn judge(
    failed: &mut Vec<String>,
    name: &str,
    stretch: &str,
    bound: Option<Bound>,
    figure: Option<f64>,
    steady: Option<f64>,
) {
    let Some(bound) = bound else { return };
    match figure {
        Some(v) if bound.holds(v, steady) => {}
        Some(v) => failed.push(format!("{name} {stretch} was {} (needs {bound})", figure_text(Some(v)))),
        // No ops at all is no availability; no ok op has no latency to judge.
        None if name == "availability" => failed.push(format!("{name} {stretch}: no op completed (needs {bound})")),
        None => {}
    }
}

/// Judges `history` against the hypothesis (and records the abort, when the guard fired).
pub fn judge_history(history: &History, hypothesis: Option<&Hypothesis>, aborted: Option<Abort>) -> Experiment {
    let spans = client_spans(history);
    let end = history_end(history);
    let periods = fault_periods(history);
    let first = periods.first().map_or(end, |p| p.start);
    let steady = Figures::of(&spans, 0, first);
    let effects = fault_effects(&periods, &spans, end, window_width(end, 100));
    let faults: Vec<FaultCheck> = hypothesis
        .map(|h| {
            effects
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let p = &e.period;
                    let heal = p.end_or(end);
                    let d = (heal - p.start).max(SEC as u64);
                    let during = Figures::of(&spans, p.start, heal.max(p.start + 1));
                    let after = match p.healed {
                        Some(h) => Figures::of(&spans, h, h + d),
                        None => Figures::default(),
                    };
                    let recovery_s = match e.recovery {
                        Recovery::After(ns) => Some(ns as f64 / SEC),
                        _ => None,
                    };
                    let mut failed = Vec::new();
                    for (stretch, fig) in [("during the fault", &during), ("after the heal", &after)] {
                        judge(
                            &mut failed,
                            "availability",
                            stretch,
                            h.availability,
                            fig.availability,
                            steady.availability,
                        );
                        judge(&mut failed, "p99-ms", stretch, h.p99_ms, fig.p99_ms, steady.p99_ms);
                    }
                    if let Some(bound) = h.recovery_s {
                        match (recovery_s, e.recovery) {
                            (Some(r), _) if bound.holds(r, None) => {}
                            (Some(r), _) => failed.push(format!("recovery took {r:.1} s (needs {bound})")),
                            (None, Recovery::NotHealed) => failed.push("never healed, so it never recovered".into()),
                            (None, Recovery::NoBaseline) => {
                                failed.push("recovery cannot be measured: no ok op before the fault".into())
                            }
                            (None, _) => failed.push(format!("did not recover by the end of the run (needs {bound})")),
                        }
                    }
                    FaultCheck {
                        fault: i + 1,
                        what: what(p),
                        from_s: p.start as f64 / SEC,
                        healed_s: p.healed.map(|h| h as f64 / SEC),
                        during,
                        after,
                        recovery_s,
                        held: failed.is_empty(),
                        failed,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let held = aborted.is_none() && faults.iter().all(|f| f.held);
    Experiment {
        hypothesis: hypothesis.cloned(),
        steady_state: SteadyState { from_s: 0.0, to_s: first as f64 / SEC, figures: steady },
        faults,
        aborted,
        held,
    }
}

/// The steady state in one line, for the page and the closing lines.
pub fn steady_line(steady: &SteadyState) -> String {
    let f = &steady.figures;
    let pct = |v: Option<f64>| v.map_or_else(|| "none".to_string(), |v| format!("{:.1}%", v * 100.0));
    let lat = |v: Option<f64>| v.map_or_else(|| "none".to_string(), |v| format!("{v:.1} ms"));
    format!(
        "steady state ({:.1}–{:.1} s, before the first fault): availability {}, error rate {}, ok latency p50 {} p99 {}, {:.1} ok ops/s",
        steady.from_s,
        steady.to_s,
        pct(f.availability),
        pct(f.error_rate),
        lat(f.p50_ms),
        lat(f.p99_ms),
        f.ok_per_s
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::register_history;

    #[test]
    fn bounds_parse_compare_and_refuse_nonsense() {
        let b: Bound = ">= 0.9".parse().unwrap();
        assert!(b.holds(0.95, None) && !b.holds(0.5, None));
        let r: Bound = "<= 3x".parse().unwrap();
        assert!(r.holds(29.0, Some(10.0)) && !r.holds(31.0, Some(10.0)) && !r.holds(1.0, None));
        assert_eq!(r.to_string(), "<= 3x");
        assert!("<500".parse::<Bound>().unwrap().holds(499.0, None));
        for bad in ["0.9", ">= lots", "=> 1", ">= -1", ">= nan"] {
            let e = bad.parse::<Bound>().unwrap_err();
            assert!(e.contains("\">= 0.9\""), "{e}");
        }
    }

    #[test]
    fn a_bad_field_is_named() {
        let e = serde_json::from_str::<Hypothesis>(r#"{"p99-ms": "under 500"}"#).unwrap_err().to_string();
        assert!(e.contains("hypothesis.p99-ms") && e.contains("<= 500"), "{e}");
        let e = serde_json::from_str::<Hypothesis>(r#"{"p99": "< 5"}"#).unwrap_err().to_string();
        assert!(e.contains("p99"), "{e}");
        let guard: AbortIf = serde_json::from_str(r#"{"availability": "< 2x", "for-s": 3}"#).unwrap();
        assert!(guard.check().unwrap_err().contains("abort-if.availability"));
        let guard: AbortIf = serde_json::from_str(r#"{"availability": "< 0.5", "for-s": 0}"#).unwrap();
        assert!(guard.check().unwrap_err().contains("abort-if.for-s"));
    }

    #[test]
    fn faults_that_hurt_availability_fail_a_strict_hypothesis_and_pass_a_loose_one() {
        let h = register_history(20_000, 5, 30, 3);
        let strict = Hypothesis { availability: Some(">= 0.99".parse().unwrap()), ..Hypothesis::default() };
        let e = judge_history(&h, Some(&strict), None);
        assert!(!e.held && !e.faults.is_empty(), "{e:?}");
        assert!(e.steady_state.figures.availability.unwrap() > 0.99, "{:?}", e.steady_state);
        assert!(e.why_failed().unwrap().contains("availability during the fault"), "{:?}", e.why_failed());
        let loose = Hypothesis {
            availability: Some(">= 0".parse().unwrap()),
            p99_ms: Some("<= 100000".parse().unwrap()),
            recovery_s: Some("<= 60".parse().unwrap()),
        };
        let e = judge_history(&h, Some(&loose), None);
        assert!(e.held, "{:?}", e.lines());
        let aborted = judge_history(&h, Some(&loose), Some(Abort { at_s: 3.0, why: "x".into() }));
        assert!(!aborted.held && aborted.why_failed().unwrap().starts_with("aborted at 3.0 s"));
    }
}
