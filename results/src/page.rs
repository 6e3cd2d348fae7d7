//! The run page, `index.html`: what a person reads first (the verdict and why), then the
//! checkers' anomalies with their drawings, the plots, the faults and their effects, the
//! timeline, counts, the configuration and links. Rendered by askama from
//! `templates/index.html`, which escapes every value; the only unescaped inserts are plotters'
//! SVG (which escapes its own text), the timeline's JSON (askama's `json` filter, which leaves
//! no `<`, `>`, `&` or `'`) and the static timeline script.

use askama::Template;
use checkers::{CheckResult, History, Validity};

use crate::analysis::Analysis;
use crate::context::{Context, Part};
use crate::effects::Recovery;
use crate::metrics::{Count, OpCount, Stretch};
use crate::spans::invocation_index;
use crate::timeline::TimelineData;
use crate::{counterexample, cycles, text};

/// The timeline's script, inlined into every page.
const TIMELINE_JS: &str = include_str!("../templates/timeline.js");
/// Longest `detail` or `stats` JSON shown (characters).
const MAX_JSON: usize = 4_000;
/// Most anomalies listed per checker (the rest are counted in results.json).
pub const MAX_ANOMALIES: usize = 50;

/// A link from the run page to a file of the run (history, logs, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// What the link says.
    pub label: String,
    /// Where it points, relative to the run folder.
    pub href: String,
}

impl Link {
    /// A link to `href`; anything with a URL scheme other than http(s) is made a relative path,
    /// so no `javascript:` link can get into a page.
    pub fn new(label: impl Into<String>, href: impl Into<String>) -> Link {
        let href = href.into();
        let scheme = href.split(['/', '?', '#']).next().is_some_and(|first| first.contains(':'));
        let safe = !scheme || href.starts_with("http://") || href.starts_with("https://");
        Link { label: label.into(), href: if safe { href } else { format!("./{href}") } }
    }
}

/// What the page says about the run besides the history and the results.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunMeta {
    /// The page's title: the test's name.
    pub title: String,
    /// The test's configuration and seed as label/value rows, in order.
    pub config: Vec<(String, String)>,
    /// Links to the history, logs and other files of the run.
    pub links: Vec<Link>,
    /// What must be read next to the verdict: harness errors, an interrupted run, final reads
    /// that were never answered. Shown in the verdict box.
    pub notes: Vec<String>,
    /// Figures the history does not hold (ops refused by a node that was down), added to the
    /// verdict box's line of facts.
    pub facts: Vec<String>,
    /// The chaos experiment, beside the consistency verdict: (`held`, `failed` or `steady`,
    /// the line), the steady state first, then the abort and each fault.
    pub experiment: Vec<(&'static str, String)>,
}

impl RunMeta {
    /// Title and configuration from the history's header (test, seed, target, workload,
    /// semantics), `fallback_title` when it has none (imports).
    pub fn from_history(history: &History, fallback_title: &str) -> RunMeta {
        let mut config = Vec::new();
        let title = match &history.header {
            Some(h) => {
                config.push(("test".to_string(), h.test.clone()));
                config.push(("seed".to_string(), h.seed.to_string()));
                if let Some(t) = &h.target {
                    config.push(("target".to_string(), t.clone()));
                }
                if let Some(w) = &h.workload {
                    config.push(("workload".to_string(), w.clone()));
                }
                config.push((
                    "semantics".to_string(),
                    serde_json::to_string(&h.semantics).unwrap_or_else(|e| e.to_string()),
                ));
                h.test.clone()
            }
            None => fallback_title.to_string(),
        };
        RunMeta { title, config, ..RunMeta::default() }
    }

    /// The seed, when the configuration has one.
    fn seed(&self) -> Option<&str> {
        self.config.iter().find(|(k, _)| k == "seed").map(|(_, v)| v.as_str())
    }
}

/// The overall verdict word: the merge of all results, `unchecked` when there are none.
pub fn verdict_word(results: &[CheckResult]) -> &'static str {
    results.iter().map(|r| r.validity).reduce(Validity::merge).map_or("unchecked", Validity::as_str)
}

/// A context line as (text, fault row it links to) pieces.
type ContextView = Vec<(String, Option<usize>)>;

fn context_views(cx: &Context<'_>, anomaly: &checkers::Anomaly) -> Vec<ContextView> {
    cx.explain(anomaly)
        .into_iter()
        .map(|line| {
            line.parts
                .into_iter()
                .map(|part| match part {
                    Part::Text(t) => (t, None),
                    Part::Fault(k, t) => (t, Some(k)),
                })
                .collect()
        })
        .collect()
}

struct AnomalyView {
    kind: String,
    explanation: String,
    /// Where it happened: nodes, faults, the writes involved.
    context: Vec<ContextView>,
    /// (index as the checker gave it, index of the invocation in the timeline)
    ops: Vec<(u64, u64)>,
    lin: Option<counterexample::LinDiagram>,
    cycle: Option<cycles::CycleDiagram>,
    detail: String,
}

struct CheckerView {
    name: String,
    validity: &'static str,
    unknown_reason: Option<String>,
    anomalies: Vec<AnomalyView>,
    stats: String,
}

struct FaultRow {
    f: String,
    nodes: String,
    /// The first thing the nemesis said (its intent), shown.
    intent: String,
    /// The rest (what was done, what the heal said), behind a disclosure.
    more: Vec<String>,
    start: String,
    healed: String,
    avail: [String; 3],
    p99: [String; 3],
    recovery: String,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    title: &'a str,
    verdict: &'static str,
    headline: String,
    reasons: Vec<(String, Vec<ContextView>)>,
    notes: &'a [String],
    facts: String,
    experiment: &'a [(&'static str, String)],
    checkers: Vec<CheckerView>,
    plots: Vec<(&'static str, String)>,
    faults: Vec<FaultRow>,
    drops: Vec<(String, String, String)>,
    window: String,
    counts: Vec<Count>,
    config: &'a [(String, String)],
    warnings: &'a [String],
    links: &'a [Link],
    timeline: TimelineData,
    script: &'static str,
}

fn pretty(v: &serde_json::Value) -> String {
    if v.is_null() {
        return String::new();
    }
    text::cut(&serde_json::to_string_pretty(v).unwrap_or_else(|e| e.to_string()), MAX_JSON)
}

fn checker_views(history: &History, results: &[CheckResult], cx: &Context<'_>) -> Vec<CheckerView> {
    let completions = history.completions();
    results
        .iter()
        .map(|r| CheckerView {
            name: r.checker.clone(),
            validity: r.validity.as_str(),
            unknown_reason: r.unknown_reason.clone(),
            anomalies: r
                .anomalies
                .iter()
                .take(MAX_ANOMALIES)
                .map(|a| AnomalyView {
                    kind: a.kind.to_string(),
                    explanation: a.explanation.clone(),
                    context: context_views(cx, a),
                    ops: a.ops.iter().map(|&i| (i, invocation_index(history, i))).collect(),
                    lin: counterexample::diagram(history, &completions, &a.detail),
                    cycle: cycles::diagram(history, &a.detail),
                    detail: pretty(&a.detail),
                })
                .collect(),
            stats: pretty(&r.stats),
        })
        .collect()
}

/// The verdict's headline and its reasons: the first anomalies of each invalid checker (the
/// very first with its context), and why each unknown one could not decide.
fn headline(results: &[CheckResult], cx: &Context<'_>) -> (String, Vec<(String, Vec<ContextView>)>) {
    if results.is_empty() {
        return ("No checker ran on this history.".to_string(), Vec::new());
    }
    let bad = results.iter().filter(|r| r.validity == Validity::Invalid).count();
    let unknown = results.iter().filter(|r| r.validity == Validity::Unknown).count();
    let names =
        |v: Validity| results.iter().filter(|r| r.validity == v).map(|r| r.checker.as_str()).collect::<Vec<_>>();
    let head = if bad > 0 {
        format!("{bad} of {} checkers found anomalies: {}.", results.len(), names(Validity::Invalid).join(", "))
    } else if unknown > 0 {
        format!("{unknown} of {} checkers could not decide: {}.", results.len(), names(Validity::Unknown).join(", "))
    } else {
        format!("Every checker passed: {}.", names(Validity::Valid).join(", "))
    };
    let mut reasons = Vec::new();
    for r in results {
        match r.validity {
            Validity::Invalid => {
                for a in r.anomalies.iter().take(3) {
                    let context = if reasons.is_empty() { context_views(cx, a) } else { Vec::new() };
                    reasons.push((format!("{} · {}: {}", r.checker, a.kind, text::cut(&a.explanation, 300)), context));
                }
                if r.anomalies.len() > 3 {
                    reasons.push((
                        format!("{} · and {} more anomalies below", r.checker, r.anomalies.len() - 3),
                        Vec::new(),
                    ));
                }
            }
            Validity::Unknown => reasons.push((
                format!("{}: unknown, {}", r.checker, r.unknown_reason.as_deref().unwrap_or("no reason given")),
                Vec::new(),
            )),
            Validity::Valid => {}
        }
    }
    (head, reasons)
}

fn p99_text(s: &Stretch) -> String {
    s.p99.map_or_else(|| "–".to_string(), text::duration)
}

fn fault_rows(analysis: &Analysis) -> Vec<FaultRow> {
    analysis
        .effects
        .iter()
        .map(|e| FaultRow {
            f: e.period.f.clone(),
            nodes: e.period.nodes.join(", "),
            intent: e.period.description.first().map(|d| text::cut(d, 160)).unwrap_or_default(),
            more: e.period.description.iter().skip(1).map(|d| text::cut(d, 2_000)).collect(),
            start: text::secs(e.period.start),
            healed: e.period.healed.map_or_else(|| "not healed".to_string(), text::secs),
            avail: [&e.before, &e.during, &e.after].map(|s| text::percent(s.availability)),
            p99: [&e.before, &e.during, &e.after].map(p99_text),
            recovery: match e.recovery {
                Recovery::After(0) => "at once".to_string(),
                Recovery::After(ns) => text::duration(ns),
                Recovery::NotRecovered => "not by the end".to_string(),
                Recovery::NoBaseline => "no ok ops before".to_string(),
                Recovery::NotHealed => "–".to_string(),
            },
        })
        .collect()
}

fn drop_rows(analysis: &Analysis) -> Vec<(String, String, String)> {
    analysis
        .drops
        .iter()
        .map(|d| {
            let mut what = Vec::new();
            if (d.min_completed as f64) < 0.2 * d.usual_completed as f64 {
                let per_s = 1e9 / analysis.width as f64;
                what.push(format!(
                    "throughput down to {:.0} completions/s (usually {:.0})",
                    d.min_completed as f64 * per_s,
                    d.usual_completed as f64 * per_s
                ));
            }
            if d.min_availability.is_some_and(|a| a < 0.8 * d.usual_availability) {
                what.push(format!(
                    "availability down to {} (usually {})",
                    text::percent(d.min_availability),
                    text::percent(Some(d.usual_availability))
                ));
            }
            if let Some(p) = d.max_p99.filter(|&p| p > 3 * d.usual_p99) {
                what.push(format!("p99 latency up to {} (usually {})", text::duration(p), text::duration(d.usual_p99)));
            }
            (text::secs(d.from), text::secs(d.to), what.join("; "))
        })
        .collect()
}

/// Renders the page. `plots` are (id, SVG text) pairs from [`crate::plots`].
pub fn render(
    history: &History,
    results: &[CheckResult],
    meta: &RunMeta,
    analysis: &Analysis,
    plots: Vec<(&'static str, String)>,
) -> Result<String, askama::Error> {
    let cx = Context::new(history, &analysis.periods);
    let (headline, reasons) = headline(results, &cx);
    let span = if crate::spans::has_real_times(history) && analysis.end > 0 {
        format!("over {}", text::duration(analysis.end))
    } else {
        "(no times in the file: ops in file order)".to_string()
    };
    let mut facts =
        format!("{} {span} · {}", OpCount::of(history).describe(), text::count(analysis.effects.len(), "fault"));
    for fact in &meta.facts {
        facts.push_str(&format!(" · {fact}"));
    }
    if !analysis.drops.is_empty() {
        facts.push_str(&format!(" · {} no fault explains", text::count(analysis.drops.len(), "drop")));
    }
    if let Some(seed) = meta.seed() {
        facts.push_str(&format!(" · seed {seed}"));
    }
    IndexPage {
        title: &meta.title,
        verdict: verdict_word(results),
        headline,
        reasons,
        notes: &meta.notes,
        facts,
        experiment: &meta.experiment,
        checkers: checker_views(history, results, &cx),
        plots,
        faults: fault_rows(analysis),
        drops: drop_rows(analysis),
        window: text::duration(analysis.width),
        counts: crate::metrics::counts(history),
        config: &meta.config,
        warnings: &history.warnings,
        links: &meta.links,
        timeline: crate::timeline::build(history, &analysis.spans, &analysis.periods, analysis.end),
        script: TIMELINE_JS,
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_cannot_carry_a_script_scheme() {
        assert_eq!(Link::new("h", "history.jsonl").href, "history.jsonl");
        assert_eq!(Link::new("h", "logs/n1.log").href, "logs/n1.log");
        assert_eq!(Link::new("h", "javascript:alert(1)").href, "./javascript:alert(1)");
        assert_eq!(Link::new("h", "https://example.org/x").href, "https://example.org/x");
    }

    #[test]
    fn verdict_merges_results() {
        let mut bad = CheckResult::valid("b");
        bad.validity = Validity::Invalid;
        assert_eq!(verdict_word(&[]), "unchecked");
        assert_eq!(verdict_word(&[CheckResult::valid("a")]), "valid");
        assert_eq!(verdict_word(&[CheckResult::valid("a"), bad]), "invalid");
    }
}
