use super::*;
use crate::store::CampaignRef;

fn run(test: &str, stamp: &str) -> RunSummary {
    RunSummary {
        test: test.to_string(),
        stamp: stamp.to_string(),
        folder: format!("{test}/{stamp}"),
        verdict: Some(Verdict::Valid),
        note: None,
        anomalies: Vec::new(),
        seed: Some(1),
        target: Some("etcd".into()),
        workload: Some("register".into()),
        ops: Some(10),
        links: vec![Link::new("index.html", format!("{test}/{stamp}/index.html"))],
        campaign: None,
    }
}

fn request(runs: usize, per_page: usize) -> PageRequest {
    PageRequest { runs, campaigns: 1, per_page }
}

fn seven_runs() -> Store {
    let runs = (0..7).rev().map(|i| run(&format!("test-{i}"), &format!("2026112{i}T000000Z"))).collect();
    Store { campaigns: Vec::new(), runs }
}

#[test]
fn pages_hold_their_share_of_rows_and_link_their_neighbours() {
    let store = seven_runs();
    let first = render(&store, "store", &request(1, 3)).unwrap();
    assert!(first.contains("Page 1 of 3 (7 in all)"), "{first}");
    assert!(["test-6", "test-5", "test-4"].iter().all(|t| first.contains(t)));
    assert!(!first.contains("test-3"));
    assert!(first.contains(r#"<a href="?page=2&#38;campaign_page=1" rel="next">"#), "{first}");
    assert!(!first.contains("rel=\"prev\""));

    let last = render(&store, "store", &request(3, 3)).unwrap();
    assert!(last.contains("Page 3 of 3") && last.contains("test-0") && !last.contains("test-1<"), "{last}");
    assert!(last.contains(r#"<a href="?page=2&#38;campaign_page=1" rel="prev">"#), "{last}");
    assert!(!last.contains("rel=\"next\""));

    let beyond = render(&store, "store", &request(99, 3)).unwrap();
    assert!(beyond.contains("Page 3 of 3"), "a page past the end shows the last one");
}

#[test]
fn query_pages_default_to_the_first() {
    let pairs = [("page", "4"), ("campaign_page", "x"), ("other", "2")];
    assert_eq!(PageRequest::from_query(pairs, 50), PageRequest { runs: 4, campaigns: 1, per_page: 50 });
    assert_eq!(PageRequest::from_query([("page", "0")], 0), PageRequest { runs: 1, campaigns: 1, per_page: 1 });
}

#[test]
fn every_value_from_the_store_is_escaped() {
    let hostile = "<script>alert(\"x\")</script>";
    let mut r = run(hostile, "20261101T000000Z");
    r.anomalies = vec!["'><img src=x onerror=alert(1)>".into()];
    r.verdict = None;
    r.note = Some("results.json: <b>bold</b> \"quoted\"".into());
    r.target = Some("\"><i>".into());
    r.campaign = Some(CampaignRef {
        name: "<nightly>".into(),
        stamp: "20261101T000000Z".into(),
        link: Some(Link::new("x", "a\"b")),
    });
    let store = Store { campaigns: Vec::new(), runs: vec![r] };
    let html = render(&store, "<store>", &request(1, 50)).unwrap();
    for raw in ["<script>", "<img", "<b>", "<i>", "<nightly>", "<store>", "\"quoted\"", "a\"b"] {
        assert!(!html.contains(raw), "{raw} got into the page unescaped:\n{html}");
    }
    assert!(html.contains("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;"), "{html}");
    assert!(html.contains("&#39;&#62;&#60;img src=x onerror=alert(1)&#62;"), "{html}");
    assert!(html.contains(r#"<span class="badge unreadable">unreadable</span>"#));
}

#[test]
fn an_empty_store_says_how_to_make_a_run() {
    let html = render(&Store::default(), "store", &request(1, 50)).unwrap();
    assert!(html.contains("No runs here yet: make one with <code>faultline test"), "{html}");
    assert!(!html.contains("<table>"));
}

#[test]
fn campaign_rows_sum_up_totals_and_comparison() {
    let campaign = CampaignSummary {
        name: "nightly".into(),
        stamp: "20261125T000000Z".into(),
        folder: "campaigns/nightly/20261125T000000Z".into(),
        verdict: Some(Verdict::Invalid),
        note: None,
        totals: Some(Totals { runs: 4, valid: 3, invalid: 1, unknown: 0, crashed: 0, hypothesis_failed: 0 }),
        comparison: Some(ComparisonCounts { new_failures: 1, fixed: 0, still_failing: 0, latency_regressions: 0 }),
        anomalies: vec!["G-single".into()],
        links: vec![Link::new("index.html", "campaigns/nightly/20261125T000000Z/index.html")],
    };
    let store = Store { campaigns: vec![campaign], runs: Vec::new() };
    let html = render(&store, "store", &request(1, 50)).unwrap();
    assert!(html.contains("<td>4 runs: 3 valid, 1 invalid</td>"), "{html}");
    assert!(html.contains("<td>1 newly failing</td>"), "{html}");
    assert!(html.contains("2026-11-25 00:00:00 UTC"), "{html}");
    assert!(html.contains(r#"<span class="badge invalid">invalid</span>"#));
    assert!(html.contains("No runs."));
    assert!(!html.contains("Page 1 of 1"), "a table that fits on one page has no pager");
}
