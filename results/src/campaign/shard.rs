//! `shard.json`: what one shard of a campaign is, so that shards run on separate machines can be
//! merged into the campaign a single machine would have run. It names the campaign, the hash of
//! the campaign file every shard must share, every run the campaign plans, this shard's runs,
//! and the explanations of the runs that ended (the rows themselves are in the shard's
//! `campaign.json`). Written before the first run and after each one.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The `format` field of every `shard.json`.
pub const SHARD_FORMAT: &str = "faultline-shard";
/// The version of the `shard.json` layout.
pub const SHARD_VERSION: u32 = 1;
/// The record's file name in a shard's folder.
pub const SHARD_RECORD: &str = "shard.json";
/// The folder, under the store, that holds one folder per campaign name with its shards.
pub const SHARDS: &str = "shards";

/// One shard's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardRecord {
    /// Always [`SHARD_FORMAT`].
    pub format: String,
    /// Always [`SHARD_VERSION`].
    pub version: u32,
    /// The campaign's name.
    pub campaign: String,
    /// The SHA-256 of the campaign file, hex: shards of different files are never merged.
    pub file_sha256: String,
    /// This shard, `I/N` (I from 0).
    pub shard: String,
    /// Every run id the campaign plans, in the campaign's order.
    pub campaign_runs: Vec<String>,
    /// The run ids this shard runs.
    pub shard_runs: Vec<String>,
    /// The explanations of each run that ended (for JUnit), by run id.
    pub explanations: BTreeMap<String, Vec<String>>,
}

impl ShardRecord {
    /// The record of shard `shard` of `campaign` before any of its runs.
    pub fn new(
        campaign: &str,
        file_sha256: &str,
        shard: &str,
        campaign_runs: Vec<String>,
        shard_runs: Vec<String>,
    ) -> ShardRecord {
        ShardRecord {
            format: SHARD_FORMAT.to_string(),
            version: SHARD_VERSION,
            campaign: campaign.to_string(),
            file_sha256: file_sha256.to_string(),
            shard: shard.to_string(),
            campaign_runs,
            shard_runs,
            explanations: BTreeMap::new(),
        }
    }

    /// Reads a `shard.json`.
    pub fn read(path: &Path) -> Result<ShardRecord, String> {
        let record: ShardRecord = super::read_json(path, "a shard record")?;
        super::check_format(path, (&record.format, record.version), (SHARD_FORMAT, SHARD_VERSION))?;
        Ok(record)
    }

    /// Writes it to `path` through a temporary file and a rename.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        super::write_json(self, path)
    }
}
