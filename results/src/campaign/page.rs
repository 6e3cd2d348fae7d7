//! The campaign page, `index.html` in the campaign's folder: the verdict and totals first, then
//! what changed since the previous campaign, then a row per run linking to its own page.
//! Rendered by askama from `templates/campaign.html`, which escapes every value; the page is
//! self-contained (inline CSS, no script, no network).

use askama::Template;

use super::compare::{REGRESSION_FACTOR, REGRESSION_MIN_MS};
use super::Campaign;
use crate::page::Link;

/// One run as the table shows it.
struct Row {
    id: String,
    href: String,
    seed: u64,
    verdict: &'static str,
    failing: bool,
    anomalies: String,
    ops: u64,
    ops_per_s: String,
    p50: String,
    p99: String,
    faults: u64,
    duration: String,
    why: String,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage<'a> {
    c: &'a Campaign,
    stamp: &'a str,
    verdict: &'static str,
    duration: String,
    /// Empty when there is no previous campaign.
    previous: String,
    /// (title, element id and class, run ids)
    changes: Vec<(&'static str, &'static str, &'a [String])>,
    factor: String,
    min_ms: f64,
    rows: Vec<Row>,
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |v| format!("{v:.1} ms"))
}

fn row(r: &super::RunRow) -> Row {
    Row {
        id: r.id.clone(),
        href: Link::new("", format!("{}/index.html", r.dir)).href,
        seed: r.seed,
        verdict: r.figures.verdict.as_str(),
        failing: r.figures.verdict.failing(),
        anomalies: r.figures.anomalies.join(", "),
        ops: r.figures.ops,
        ops_per_s: format!("{:.1}", r.figures.ops_per_s),
        p50: ms(r.figures.p50_ms),
        p99: ms(r.figures.p99_ms),
        faults: r.figures.faults,
        duration: format!("{:.1} s", r.duration_s),
        why: r.figures.why.clone().unwrap_or_default(),
    }
}

/// The page of `campaign`.
pub fn render(campaign: &Campaign) -> Result<String, askama::Error> {
    let c = &campaign.comparison;
    CampaignPage {
        c: campaign,
        stamp: &campaign.stamp,
        verdict: campaign.verdict.as_str(),
        duration: format!("{:.1} s", campaign.duration_s),
        previous: campaign.previous.clone().unwrap_or_default(),
        changes: vec![
            ("New failures", "new", &c.new_failures),
            ("Fixed", "fixed", &c.fixed),
            ("Still failing", "still", &c.still_failing),
        ],
        factor: format!("{}×", REGRESSION_FACTOR),
        min_ms: REGRESSION_MIN_MS,
        rows: campaign.runs.iter().map(row).collect(),
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::tests::row;
    use crate::campaign::Verdict::*;

    #[test]
    fn verdict_first_then_comparison_then_escaped_rows() {
        let before = Campaign::new("c", "20261122T000000Z", 5.0, vec![row("a-s1-r1", Invalid, Some(2.0))], None);
        let mut hostile = row("b-s1-r1", Invalid, Some(30.0));
        hostile.figures.anomalies = vec!["<script>alert(1)</script>".into()];
        let runs = vec![row("a-s1-r1", Invalid, Some(20.0)), hostile, row("c-s1-r1", Valid, Some(1.0))];
        let now = Campaign::new("c", "20261123T000000Z", 9.0, runs, Some(&before));
        let html = render(&now).unwrap();
        let verdict = html.find("id=\"verdict\"").unwrap();
        let comparison = html.find("id=\"comparison\"").unwrap();
        let table = html.find("id=\"runs\"").unwrap();
        assert!(verdict < comparison && comparison < table, "verdict, comparison, runs in that order");
        assert!(html.contains("data-verdict=\"invalid\""));
        assert!(html.contains("3 runs: 1 valid, 2 invalid, 0 unknown, 0 crashed"), "{html}");
        assert!(html.contains("<a href=\"../20261122T000000Z/index.html\">"));
        let still = html.find("id=\"still\"").unwrap();
        assert!(html[still..].contains("<li class=\"still\"><a href=\"#run-a-s1-r1\">a-s1-r1</a></li>"));
        let new = html.find("id=\"new\"").unwrap();
        assert!(html[new..still].contains("b-s1-r1"));
        assert!(html.contains("<td class=\"num\">2.0 ms</td><td class=\"num\">20.0 ms</td>"), "latency regression");
        assert!(html.contains("<a href=\"runs/c-s1-r1/index.html\">c-s1-r1</a>"));
        assert!(html.contains("class=\"run failing\" data-run=\"b-s1-r1\" data-verdict=\"invalid\""));
        assert!(!html.contains("<script"), "the anomaly kind must be escaped");
        assert!(
            html.contains("&#60;script&#62;") && html.contains("&#60;reasons&#62; &#38; &#34;quotes&#34;"),
            "{html}"
        );
        let first = render(&before).unwrap();
        assert!(first.contains("First campaign of this name"));
    }
}
