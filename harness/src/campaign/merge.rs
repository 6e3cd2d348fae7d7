//! `faultline campaign merge DIR...`: joins the folders of shards (run on other machines, by a
//! CI matrix or a Kubernetes Indexed Job) into the campaign a single machine would have
//! written: `runs/<id>/` for every run, `campaign.json`, the page and JUnit, compared with the
//! previous campaign of that name in the store. Shards of different campaign files, or two
//! shards that ran the same run, are refused; a run no shard ran stays planned, so a merge with
//! a shard missing is at best unknown.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use results::campaign::shard::{ShardRecord, SHARD_RECORD};
use results::campaign::{Campaign, RunRow, CAMPAIGNS, RECORD};
use results::layout;

use super::publish::Publisher;
use super::FILE_COPY;
use crate::run::stamp;

/// How deep below each folder given shard folders are looked for.
const MAX_DEPTH: usize = 4;

/// `faultline campaign merge` arguments.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Shard folders, or folders holding them (searched for `shard.json`, symlinks not followed).
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// The store the merged campaign goes to (default `store`).
    #[arg(long)]
    results_dir: Option<PathBuf>,
}

/// One shard's folder and what it recorded.
struct ShardRun {
    dir: PathBuf,
    record: ShardRecord,
    campaign: Campaign,
}

/// Every folder at most [`MAX_DEPTH`] below `dir` that holds a `shard.json`.
fn shard_folders(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    if dir.join(SHARD_RECORD).is_file() {
        found.push(dir.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    if depth == 0 {
        return;
    }
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            shard_folders(&entry.path(), depth - 1, found);
        }
    }
}

/// Reads one shard's records.
fn read(dir: PathBuf) -> Result<ShardRun, String> {
    let record = ShardRecord::read(&dir.join(SHARD_RECORD))?;
    let campaign = match Campaign::read(&dir.join(RECORD)) {
        Ok(c) => c,
        // A shard that died before its first run ended wrote no campaign.json: it ran nothing.
        Err(_) if !dir.join(RECORD).exists() => Campaign::new(&record.campaign, "", 0.0, Vec::new(), None),
        Err(e) => return Err(e),
    };
    Ok(ShardRun { dir, record, campaign })
}

/// Refuses shards that are not of one campaign file, or that ran a run twice.
fn check(shards: &[ShardRun]) -> Result<(), String> {
    let first = &shards[0];
    for other in &shards[1..] {
        let (a, b) = (&first.record, &other.record);
        if a.campaign != b.campaign || a.file_sha256 != b.file_sha256 || a.campaign_runs != b.campaign_runs {
            return Err(format!(
                "{} (campaign {}, file sha256 {}) and {} (campaign {}, file sha256 {}) are shards of different \
                 campaign files; merge only shards planned from one file",
                first.dir.display(),
                a.campaign,
                short(&a.file_sha256),
                other.dir.display(),
                b.campaign,
                short(&b.file_sha256)
            ));
        }
    }
    let mut owner: BTreeMap<&str, &Path> = BTreeMap::new();
    for shard in shards {
        for id in &shard.record.shard_runs {
            if let Some(before) = owner.insert(id, &shard.dir) {
                return Err(format!(
                    "run {id} is in two shards, {} and {}; merge each shard once (of one plan)",
                    before.display(),
                    shard.dir.display()
                ));
            }
        }
    }
    Ok(())
}

/// The first 12 hex digits of a hash.
fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

/// Copies the folder `from` to `to` (created), files and folders only: a symlink is not
/// followed and not copied.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// Runs `merge`: exit codes as for a whole campaign; 254 when the shards cannot be merged.
pub fn run(args: &MergeArgs) -> Result<ExitCode, String> {
    let mut folders = Vec::new();
    for dir in &args.dirs {
        if !dir.is_dir() {
            return Err(format!("{}: no such folder", dir.display()));
        }
        shard_folders(dir, MAX_DEPTH, &mut folders);
    }
    if folders.is_empty() {
        let dirs: Vec<String> = args.dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(format!(
            "no {SHARD_RECORD} in {} (nor in their folders); name the shards' folders",
            dirs.join(", ")
        ));
    }
    folders.sort();
    let shards = folders.into_iter().map(read).collect::<Result<Vec<_>, _>>()?;
    check(&shards)?;
    let first = &shards[0];
    let store = args.results_dir.clone().unwrap_or_else(|| PathBuf::from("store"));
    let dir = layout::fresh_dir(&store.join(CAMPAIGNS).join(&first.record.campaign), &stamp::utc_now());
    std::fs::create_dir_all(dir.join("runs")).map_err(|e| format!("{}: {e}", dir.display()))?;
    if let Err(e) = std::fs::copy(first.dir.join(FILE_COPY), dir.join(FILE_COPY)) {
        eprintln!("faultline campaign merge: copying the campaign file: {e}");
    }
    let mut publisher = Publisher::new(&first.record.campaign, first.record.campaign_runs.clone(), &dir);
    publisher.set_duration(shards.iter().map(|s| s.campaign.duration_s).fold(0.0, f64::max));
    let ran: BTreeMap<&str, (&ShardRun, &RunRow)> =
        shards.iter().flat_map(|s| s.campaign.runs.iter().map(move |row| (row.id.as_str(), (s, row)))).collect();
    for id in &first.record.campaign_runs {
        let Some((shard, row)) = ran.get(id.as_str()) else { continue };
        copy_tree(&shard.dir.join(&row.dir), &dir.join(&row.dir))
            .map_err(|e| format!("copying {} into {}: {e}", shard.dir.join(&row.dir).display(), dir.display()))?;
        let mut row = (*row).clone();
        row.figures.explanations = shard.record.explanations.get(id).cloned().unwrap_or_default();
        publisher.add(row);
    }
    eprintln!(
        "faultline campaign merge: {} shards, {} of {} runs into {}",
        shards.len(),
        ran.len(),
        first.record.campaign_runs.len(),
        dir.display()
    );
    Ok(publisher.finish())
}
