//! One campaign folder as a listing row: what `campaign.json` says.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{json, CampaignRef, Found};
use crate::campaign::{Totals, Verdict, FORMAT, RECORD};
use crate::page::Link;

/// How the campaign compares with the previous one of the same name (counts of runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ComparisonCounts {
    /// Runs that fail now and did not before.
    pub new_failures: usize,
    /// Runs that failed before and pass now.
    pub fixed: usize,
    /// Runs that failed both times.
    pub still_failing: usize,
    /// Latency regressions found.
    pub latency_regressions: usize,
}

/// A campaign as the listing shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignSummary {
    /// The campaign's name (the parent folder's when `campaign.json` does not say).
    pub name: String,
    /// When it ran, e.g. `20261123T095753Z`.
    pub stamp: String,
    /// The folder, relative to the store's root.
    pub folder: String,
    /// The overall verdict; none when `campaign.json` is unreadable.
    pub verdict: Option<Verdict>,
    /// Why it is unreadable.
    pub note: Option<String>,
    /// Runs per outcome, when the file has them.
    pub totals: Option<Totals>,
    /// The comparison with the previous campaign, when there was one.
    pub comparison: Option<ComparisonCounts>,
    /// The kinds of anomaly its runs found, each once.
    pub anomalies: Vec<String>,
    /// The campaign page (or `campaign.json` when there is none), then `junit.xml`.
    pub links: Vec<Link>,
}

impl CampaignSummary {
    /// How its runs name it.
    pub(super) fn reference(&self) -> CampaignRef {
        CampaignRef { name: self.name.clone(), stamp: self.stamp.clone(), link: self.links.first().cloned() }
    }
}

/// The row of the campaign folder `found`.
pub(super) fn read(found: &Found) -> CampaignSummary {
    let mut campaign = CampaignSummary {
        name: found.parent_name().to_string(),
        stamp: found.name().to_string(),
        folder: found.rel.join("/"),
        verdict: None,
        note: None,
        totals: None,
        comparison: None,
        anomalies: Vec::new(),
        links: found.links(&["index.html", RECORD], &["junit.xml"]),
    };
    match json::read_object(&found.dir, RECORD) {
        Ok(doc) => fill(&mut campaign, &doc),
        Err(reason) => campaign.note = Some(reason),
    }
    campaign
}

/// Fills `campaign` from the fields of its `campaign.json`.
fn fill(campaign: &mut CampaignSummary, doc: &Map<String, Value>) {
    if let Some(format) = json::string(doc, "format").filter(|f| f != FORMAT) {
        campaign.note = Some(format!("campaign.json: `format` is {format:?}, not {FORMAT:?}"));
        return;
    }
    if let Some(name) = json::string(doc, "name") {
        campaign.name = name;
    }
    if let Some(stamp) = json::string(doc, "stamp") {
        campaign.stamp = stamp;
    }
    campaign.totals = doc.get("totals").and_then(|t| Totals::deserialize(t).ok());
    // A campaign with no previous one has `"previous": null` and empty comparison lists.
    let first = doc.get("previous").is_some_and(Value::is_null);
    campaign.comparison = doc.get("comparison").and_then(Value::as_object).filter(|_| !first).map(|c| {
        let n = |key: &str| json::array(c, key).len();
        ComparisonCounts {
            new_failures: n("new_failures"),
            fixed: n("fixed"),
            still_failing: n("still_failing"),
            latency_regressions: n("latency_regressions"),
        }
    });
    campaign.anomalies = json::distinct_strings(
        json::array(doc, "runs")
            .iter()
            .flat_map(|r| r.get("anomalies").and_then(Value::as_array).into_iter().flatten()),
    );
    campaign.verdict = json::verdict(doc, "verdict");
    if campaign.verdict.is_none() {
        campaign.note =
            Some("campaign.json: `verdict` is missing or not one of valid, invalid, unknown, crashed".into());
    }
}
