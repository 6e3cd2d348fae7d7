//! Reading a store of runs and campaigns for people to browse (`faultline serve`): [`scan`]
//! walks `<store>/<test>/<stamp>/` run folders and `<store>/campaigns/<name>/<stamp>/`
//! campaign folders (with their runs under `runs/<id>/`) into summaries, newest first.
//!
//! The files are written by other programs, possibly right now, so everything is read loosely:
//! a missing, partial or malformed `results.json` or `campaign.json` gives a row with no verdict
//! (shown as `unreadable`) and a note that says why; it never hides the folder or fails the scan. The walk is
//! bounded ([`MAX_DEPTH`]), skips hidden entries and never follows symlinks (the `latest` links
//! would list every newest run twice).
//!
//! [`scan_cached`] keeps each run's row between scans with the modification times of its folder
//! and its `results.json`, and reads a run again only when one of them changed (every file
//! faultline writes is renamed into place, which changes its folder's time too), so listing a
//! store of 500 runs takes a few stat calls per run instead of parsing 500 records.

mod campaign;
mod json;
mod run;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

pub use campaign::{CampaignSummary, ComparisonCounts};
pub use run::{CampaignRef, RunSummary};

use crate::page::Link;

/// How many folders deep below the store's root a run or campaign is looked for
/// (`campaigns/<name>/<stamp>/runs/<id>` is 5).
pub const MAX_DEPTH: usize = 6;

/// Files whose presence makes a folder a run folder (results.json may not be written yet).
const RUN_MARKERS: [&str; 3] = ["results.json", "history.jsonl", "test.json"];

/// Why a store cannot be scanned at all.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The root folder is missing or not a folder.
    #[error("store folder {} does not exist; make a run with `faultline test` or pass --results-dir with the folder that holds the runs", .0.display())]
    Missing(PathBuf),
}

/// Everything found in a store, newest first.
#[derive(Debug, Clone, Default)]
pub struct Store {
    /// Campaigns, newest first.
    pub campaigns: Vec<CampaignSummary>,
    /// Runs, including those of campaigns, newest first.
    pub runs: Vec<RunSummary>,
}

/// A folder found by the walk: where it is on disk and relative to the store's root.
struct Found {
    dir: PathBuf,
    /// Path components below the store's root.
    rel: Vec<String>,
}

impl Found {
    /// The folder's own name ("" for the root).
    fn name(&self) -> &str {
        self.rel.last().map_or("", String::as_str)
    }

    /// The name of the folder holding this one ("" when there is none below the root).
    fn parent_name(&self) -> &str {
        self.rel.len().checked_sub(2).map_or("", |i| self.rel[i].as_str())
    }

    /// A link to `file` in this folder, relative to the store's root, as a URL path.
    fn link(&self, label: &str, file: &str) -> Link {
        let mut href: String = self.rel.iter().map(|c| format!("{}/", percent_encode(c))).collect();
        href.push_str(&percent_encode(file));
        Link::new(label, href)
    }

    /// Links to the first of `pages` that exists, then to each of `extras` that exists.
    fn links(&self, pages: &[&str], extras: &[&str]) -> Vec<Link> {
        let present = |f: &&&str| self.dir.join(f).is_file();
        pages.iter().find(present).into_iter().chain(extras.iter().filter(present)).map(|f| self.link(f, f)).collect()
    }
}

/// What says a run folder changed since its row was read: the modification time of the folder,
/// and that and the size of its `results.json`.
type Fingerprint = (Option<SystemTime>, Option<(SystemTime, u64)>);

/// Run rows kept between scans (see [`scan_cached`]); `faultline serve` keeps one.
#[derive(Debug, Default)]
pub struct ScanCache {
    runs: Mutex<HashMap<PathBuf, (Fingerprint, RunSummary)>>,
}

/// The rows of one scan: those kept from the last one, and those seen in this one (which
/// replace them, so rows of deleted runs go).
struct Rows {
    kept: HashMap<PathBuf, (Fingerprint, RunSummary)>,
    seen: HashMap<PathBuf, (Fingerprint, RunSummary)>,
}

impl Rows {
    /// The kept row of `found` when it was a run folder at the last scan and neither it nor its
    /// record changed since (a folder that became a campaign changed its time too).
    fn unchanged(&mut self, found: &Found, campaign: Option<&CampaignRef>) -> Option<RunSummary> {
        let (print, row) = self.kept.remove(&found.dir)?;
        if print != fingerprint(&found.dir) || row.campaign.as_ref() != campaign {
            return None;
        }
        self.seen.insert(found.dir.clone(), (print, row.clone()));
        Some(row)
    }

    /// Reads the run folder `found` and keeps its row.
    fn read(&mut self, found: &Found, campaign: Option<&CampaignRef>) -> RunSummary {
        let print = fingerprint(&found.dir);
        let row = run::read(found, campaign);
        self.seen.insert(found.dir.clone(), (print, row.clone()));
        row
    }
}

/// The fingerprint of the run folder `dir` now.
fn fingerprint(dir: &Path) -> Fingerprint {
    let modified = |path: &Path| std::fs::symlink_metadata(path).ok().and_then(|m| Some((m.modified().ok()?, m.len())));
    (modified(dir).map(|(time, _)| time), modified(&dir.join(crate::record::RECORD)))
}

/// Scans the store at `root`: every run folder and campaign folder below it, newest first.
pub fn scan(root: &Path) -> Result<Store, StoreError> {
    scan_with(root, None)
}

/// As [`scan`], reading again only the runs whose folder or `results.json` changed since the
/// last scan with `cache`.
pub fn scan_cached(root: &Path, cache: &ScanCache) -> Result<Store, StoreError> {
    let mut runs = cache.runs.lock().unwrap_or_else(|e| e.into_inner());
    let mut rows = Rows { kept: std::mem::take(&mut *runs), seen: HashMap::new() };
    let store = scan_with(root, Some(&mut rows));
    *runs = rows.seen;
    store
}

fn scan_with(root: &Path, rows: Option<&mut Rows>) -> Result<Store, StoreError> {
    if !root.is_dir() {
        return Err(StoreError::Missing(root.to_path_buf()));
    }
    let mut store = Store::default();
    let mut rows = rows;
    walk(Found { dir: root.to_path_buf(), rel: Vec::new() }, None, &mut store, &mut rows);
    store.campaigns.sort_by(|a, b| b.stamp.cmp(&a.stamp).then_with(|| a.name.cmp(&b.name)));
    store.runs.sort_by(|a, b| b.stamp.cmp(&a.stamp).then_with(|| a.folder.cmp(&b.folder)));
    Ok(store)
}

/// Classifies `found` (campaign, run, or neither) and goes on below it: into campaigns (for
/// their runs) and plain folders, not into runs (their `nodes/` and `plots/` hold no runs).
fn walk(found: Found, campaign: Option<&CampaignRef>, store: &mut Store, rows: &mut Option<&mut Rows>) {
    if let Some(row) = rows.as_mut().and_then(|rows| rows.unchanged(&found, campaign)) {
        store.runs.push(row);
        return;
    }
    let here;
    let mut campaign = campaign;
    if found.dir.join(crate::campaign::RECORD).is_file() {
        let summary = campaign::read(&found);
        here = summary.reference();
        campaign = Some(&here);
        store.campaigns.push(summary);
    } else if RUN_MARKERS.iter().any(|f| found.dir.join(f).is_file()) {
        let row = match rows {
            Some(rows) => rows.read(&found, campaign),
            None => run::read(&found, campaign),
        };
        store.runs.push(row);
        return;
    }
    if found.rel.len() >= MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(&found.dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // DirEntry::file_type does not follow symlinks.
        if name.starts_with('.') || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let mut rel = found.rel.clone();
        rel.push(name);
        walk(Found { dir: entry.path(), rel }, campaign, store, rows);
    }
}

/// `text` with every byte but unreserved URL characters percent-encoded, so a folder name can
/// be one segment of a link's path.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Whether `name` starts with a stamp such as `20261123T095753Z`.
fn is_stamp(name: &str) -> bool {
    crate::layout::iso8601(name).is_some()
}

/// A stamp as people read it, `2026-11-23 09:57:53 UTC`, with any suffix after a dash kept
/// (`20261123T095753Z-2` is `2026-11-23 09:57:53 UTC · 2`); anything else as it is.
pub fn readable_time(stamp: &str) -> String {
    let Some(iso) = crate::layout::iso8601(stamp) else { return stamp.to_string() };
    let time = format!("{} UTC", iso.replace('T', " "));
    match stamp[16..].trim_start_matches('-') {
        "" => time,
        suffix => format!("{time} · {suffix}"),
    }
}

#[cfg(test)]
mod tests;
