//! The campaign file: YAML with a name, test defaults, a matrix of axes, seeds and repetitions.
//! Parsed with serde-saphyr keeping each value's line, so that every error names the file, the
//! line and the field. Turning it into runs is [`super::expand`]'s job.

use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_saphyr::Spanned;

/// A value and the line it was written on.
pub type Lined = Spanned<Value>;

/// A mapping's entries in file order (a run's id lists the axes' values in this order).
#[derive(Debug)]
pub struct Ordered<K, V>(pub Vec<(K, V)>);

impl<K, V> Default for Ordered<K, V> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Ordered<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ordered<K, V>, D::Error> {
        struct InOrder<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for InOrder<K, V> {
            type Value = Ordered<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping, e.g. `time-limit: 10` or `workload: [register]`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<K, V>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        d.deserialize_map(InOrder(PhantomData))
    }
}

/// A field name and where it was written.
pub type Key = Spanned<String>;

/// The matrix's axes: each a test field (`workload`, `nemesis`, ...), or any label when every
/// value is a mapping, with its values: scalars (or lists) set the field named by the axis,
/// mappings set several fields and are labelled by their `name`.
pub type Axes = Ordered<Key, Spanned<Vec<Lined>>>;

/// A campaign file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CampaignFile {
    /// The campaign's name: its folder under `<store>/campaigns/`.
    pub name: Spanned<String>,
    /// Defaults for every run: fields of a test file.
    #[serde(default)]
    pub test: Ordered<Key, Lined>,
    /// The axes; the runs are their cross product (one cell when there is none).
    #[serde(default)]
    pub matrix: Axes,
    /// The seeds every cell runs with.
    pub seeds: Option<Spanned<Vec<u64>>>,
    /// Or: this many seeds, `seed`, `seed + 1`, ...
    pub seed_count: Option<Spanned<u32>>,
    /// The first seed of `seed-count` (default 1).
    pub seed: Option<Spanned<u64>>,
    /// Runs of each cell and seed (default 1).
    pub repetitions: Option<Spanned<u32>>,
    /// The store, relative to the campaign file's folder (default `store` in the current folder).
    pub results_dir: Option<PathBuf>,
}

/// A parse or validation error: one line naming the file, the line and the fix.
pub fn error(path: &Path, line: u64, what: impl fmt::Display) -> String {
    format!("{} line {line}: {what}", path.display())
}

impl CampaignFile {
    /// Reads and parses the campaign file at `path`.
    pub fn read(path: &Path) -> Result<CampaignFile, String> {
        let text = crate::limits::read_text(path)?;
        CampaignFile::parse(&text, path)
    }

    /// Parses `text`, read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<CampaignFile, String> {
        serde_saphyr::from_str::<CampaignFile>(text).map_err(|e| {
            // The first line says it all (`error: line 3 column 1: unknown field ...`); the
            // rest is a drawing of the file around it.
            let said = e.to_string();
            let first = said.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("not YAML");
            format!("{} {}", path.display(), first.strip_prefix("error: ").unwrap_or(first))
        })
    }
}
