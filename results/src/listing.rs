//! The store's index page that `faultline serve` answers at `/`: a Campaigns table and a Runs
//! table (newest first, verdicts coloured, anomaly kinds, links into the store), each paginated
//! on its own (`?page=N` for runs, `?campaign_page=N` for campaigns). Rendered by askama from
//! `templates/listing.html`, which escapes every value; self-contained (inline CSS, no script).

use askama::Template;

use crate::campaign::{Totals, Verdict};
use crate::page::Link;
use crate::store::{readable_time, CampaignSummary, ComparisonCounts, RunSummary, Store};
use crate::text;

/// Rows per table page unless asked otherwise.
pub const PER_PAGE: usize = 50;

/// Which page of each table to show, and how many rows a page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// The page of the Runs table, from 1.
    pub runs: usize,
    /// The page of the Campaigns table, from 1.
    pub campaigns: usize,
    /// Rows per page (at least 1).
    pub per_page: usize,
}

impl PageRequest {
    /// The pages named by a query's `page` (runs) and `campaign_page` pairs; a missing or bad
    /// number means the first page.
    pub fn from_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>, per_page: usize) -> PageRequest {
        let mut request = PageRequest { runs: 1, campaigns: 1, per_page: per_page.max(1) };
        for (key, value) in pairs {
            let number = value.trim().parse::<usize>().unwrap_or(1).max(1);
            match key {
                "page" => request.runs = number,
                "campaign_page" => request.campaigns = number,
                _ => {}
            }
        }
        request
    }

    /// The query of the listing at these pages.
    fn href(runs: usize, campaigns: usize) -> String {
        format!("?page={runs}&campaign_page={campaigns}")
    }
}

/// Where a table is: its page among how many, and links to the neighbouring pages.
struct Pager {
    number: usize,
    count: usize,
    total: usize,
    previous: Option<String>,
    next: Option<String>,
}

/// The rows of page `requested` (clamped to the last page) of `items`, and its pager;
/// `href(n)` is the link to page `n`.
fn paginate<T>(items: &[T], requested: usize, per_page: usize, href: impl Fn(usize) -> String) -> (&[T], Pager) {
    let count = items.len().div_ceil(per_page).max(1);
    let number = requested.clamp(1, count);
    let start = (number - 1) * per_page;
    let rows = &items[start.min(items.len())..(start + per_page).min(items.len())];
    let pager = Pager {
        number,
        count,
        total: items.len(),
        previous: (number > 1).then(|| href(number - 1)),
        next: (number < count).then(|| href(number + 1)),
    };
    (rows, pager)
}

struct CampaignRow {
    name: String,
    time: String,
    verdict: &'static str,
    note: String,
    totals: String,
    comparison: String,
    anomalies: String,
    links: Vec<Link>,
}

struct RunRow {
    test: String,
    time: String,
    verdict: &'static str,
    note: String,
    anomalies: String,
    seed: String,
    setup: String,
    ops: String,
    campaign: String,
    campaign_link: Option<Link>,
    links: Vec<Link>,
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage<'a> {
    store: &'a str,
    empty: bool,
    campaigns: Vec<CampaignRow>,
    campaign_pager: Pager,
    runs: Vec<RunRow>,
    run_pager: Pager,
}

/// `parts` whose count is not zero, as `n word` joined by commas.
fn nonzero(parts: &[(usize, &str)]) -> String {
    parts.iter().filter(|(n, _)| *n > 0).map(|(n, word)| format!("{n} {word}")).collect::<Vec<_>>().join(", ")
}

fn totals_text(t: &Totals) -> String {
    let outcomes =
        nonzero(&[(t.valid, "valid"), (t.invalid, "invalid"), (t.unknown, "unknown"), (t.crashed, "crashed")]);
    format!("{}{}{outcomes}", text::count(t.runs, "run"), if outcomes.is_empty() { "" } else { ": " })
}

fn comparison_text(c: &ComparisonCounts) -> String {
    let text = nonzero(&[
        (c.new_failures, "newly failing"),
        (c.fixed, "fixed"),
        (c.still_failing, "still failing"),
        (c.latency_regressions, "latency regressions"),
    ]);
    if text.is_empty() {
        "no change".to_string()
    } else {
        text
    }
}

/// The word shown for a verdict (and its colour): `unreadable` when there is none.
fn verdict_word(verdict: Option<Verdict>) -> &'static str {
    verdict.map_or("unreadable", Verdict::as_str)
}

fn campaign_row(c: &CampaignSummary) -> CampaignRow {
    CampaignRow {
        name: c.name.clone(),
        time: readable_time(&c.stamp),
        verdict: verdict_word(c.verdict),
        note: c.note.clone().unwrap_or_default(),
        totals: c.totals.as_ref().map_or_else(|| "–".to_string(), totals_text),
        comparison: c.comparison.as_ref().map_or_else(|| "–".to_string(), comparison_text),
        anomalies: c.anomalies.join(", "),
        links: c.links.clone(),
    }
}

fn run_row(r: &RunSummary) -> RunRow {
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".to_string());
    RunRow {
        test: r.test.clone(),
        time: readable_time(&r.stamp),
        verdict: verdict_word(r.verdict),
        note: r.note.as_deref().map(|n| text::cut(n, 300)).unwrap_or_default(),
        anomalies: r.anomalies.join(", "),
        seed: r.seed.map(|s| s.to_string()).unwrap_or_default(),
        setup: if r.target.is_none() && r.workload.is_none() {
            String::new()
        } else {
            format!("{} · {}", shown(&r.target), shown(&r.workload))
        },
        ops: r.ops.map(|n| n.to_string()).unwrap_or_default(),
        campaign: r.campaign.as_ref().map(|c| format!("{} ({})", c.name, readable_time(&c.stamp))).unwrap_or_default(),
        campaign_link: r.campaign.as_ref().and_then(|c| c.link.clone()),
        links: r.links.clone(),
    }
}

/// The listing page of `store` (named `label` in its title) at the pages `request` asks for.
pub fn render(store: &Store, label: &str, request: &PageRequest) -> Result<String, askama::Error> {
    let (campaigns, campaign_pager) =
        paginate(&store.campaigns, request.campaigns, request.per_page, |n| PageRequest::href(request.runs, n));
    let (runs, run_pager) =
        paginate(&store.runs, request.runs, request.per_page, |n| PageRequest::href(n, request.campaigns));
    ListingPage {
        store: label,
        empty: store.campaigns.is_empty() && store.runs.is_empty(),
        campaigns: campaigns.iter().map(campaign_row).collect(),
        campaign_pager,
        runs: runs.iter().map(run_row).collect(),
        run_pager,
    }
    .render()
}

#[cfg(test)]
mod tests;
