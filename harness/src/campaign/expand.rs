//! From a campaign file to its runs: the test defaults, then each cell of the matrix (one value
//! of every axis) over each seed and repetition, each with a stable id and a validated
//! [`Plan`]. Every value is checked as a test field where it was written, so an error names
//! its line; the whole matrix is validated before anything runs.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::file::{error, CampaignFile, Key, Lined};
use crate::limits;
use crate::run::config::{Fields, Plan};

/// One run of a campaign.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// `<cell>-s<seed>-r<repetition>`: stable across campaigns of the same file.
    pub id: String,
    /// The cell's label: its axis values' labels joined by `-`.
    pub cell: String,
    /// The run's seed.
    pub seed: u64,
    /// Which repetition (from 1).
    pub repetition: u32,
    /// The validated test.
    pub plan: Plan,
}

/// A campaign ready to run.
#[derive(Debug)]
pub struct Expanded {
    /// Its name.
    pub name: String,
    /// The store from the file (relative to the file's folder), if it names one.
    pub results_dir: Option<PathBuf>,
    /// Every run, cell by cell, seed by seed, repetition by repetition.
    pub runs: Vec<RunSpec>,
}

/// The label of a cell when the matrix has no axes.
const SINGLE_CELL: &str = "test";

/// One value of an axis: its label (for ids) and the fields it sets.
struct Choice {
    label: String,
    line: u64,
    fields: Map<String, Value>,
}

/// Checks that `key: value` is a test field a campaign may set.
fn check_field(path: &Path, line: u64, at: &str, key: &str, value: &Value) -> Result<(), String> {
    let fix = match key {
        "seed" => Some("set seeds with `seeds: [..]` or `seed-count: N` at the top level"),
        "test-count" => Some("repeat runs with `repetitions: N` at the top level"),
        "results-dir" => Some("set `results-dir:` at the top level of the campaign file (or --results-dir)"),
        _ => None,
    };
    if let Some(fix) = fix {
        return Err(error(path, line, format!("{at}: `{key}` is the campaign's to set: {fix}")));
    }
    let one = Value::Object(Map::from_iter([(key.to_string(), value.clone())]));
    serde_json::from_value::<Fields>(one).map(|_| ()).map_err(|e| error(path, line, format!("{at}: {e}")))
}

/// Letters, digits, `.` and `_` kept, runs of anything else made one `-`, no `-` or `.` at the
/// ends: a piece of a run id that is safe as a folder name.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches(['-', '.']).to_string()
}

/// The label of a scalar (or list) value of the axis `axis`.
fn label(axis: &str, value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => axis.to_string(),
        Value::Bool(false) => format!("no-{axis}"),
        Value::Number(n) => format!("{axis}{n}"),
        Value::Array(items) => items.iter().map(|v| label(axis, v)).collect::<Vec<_>>().join("-"),
        Value::Null => "none".to_string(),
        Value::Object(_) => String::new(),
    }
}

/// One value of the axis `axis` as a choice.
fn choice(path: &Path, axis: &str, index: usize, value: &Lined) -> Result<Choice, String> {
    let line = value.referenced.line();
    let at = format!("matrix.{axis}[{index}]");
    let (label, fields) = match &value.value {
        Value::Object(map) => {
            let name = match map.get("name") {
                Some(Value::String(name)) => name.clone(),
                _ => {
                    return Err(error(
                        path,
                        line,
                        format!("{at}: a mapping needs `name: LABEL`, a string that labels the run ids (quote it if YAML reads it as a number or a yes/no)"),
                    ))
                }
            };
            let fields: Map<String, Value> =
                map.iter().filter(|(k, _)| *k != "name").map(|(k, v)| (k.clone(), v.clone())).collect();
            (name, fields)
        }
        scalar => (label(axis, scalar), Map::from_iter([(axis.to_string(), scalar.clone())])),
    };
    for (key, v) in &fields {
        check_field(path, line, &at, key, v)?;
    }
    let label = slug(&label);
    if label.is_empty() {
        return Err(error(path, line, format!("{at}: its label is empty; give it a `name:` of letters or digits")));
    }
    Ok(Choice { label, line, fields })
}

/// The choices of one axis, checked: not empty, labels unique.
fn axis_choices(path: &Path, name: &Key, values: &[Lined], line: u64) -> Result<Vec<Choice>, String> {
    if values.is_empty() {
        return Err(error(
            path,
            line,
            format!("matrix.{}: no values; list at least one, or remove the axis", name.value),
        ));
    }
    let choices: Vec<Choice> =
        values.iter().enumerate().map(|(i, v)| choice(path, &name.value, i, v)).collect::<Result<_, _>>()?;
    for (i, c) in choices.iter().enumerate() {
        if let Some(twin) = choices[..i].iter().find(|d| d.label == c.label) {
            return Err(error(
                path,
                c.line,
                format!(
                    "matrix.{}: label {:?} is also the label of line {}; give one of them another `name:`",
                    name.value, c.label, twin.line
                ),
            ));
        }
    }
    Ok(choices)
}

/// The seeds every cell runs with.
fn seeds(path: &Path, file: &CampaignFile) -> Result<Vec<u64>, String> {
    match (&file.seeds, &file.seed_count) {
        (Some(seeds), None) => {
            let line = seeds.referenced.line();
            if file.seed.is_some() {
                return Err(error(path, line, "`seed:` goes with `seed-count:`; with `seeds:` list every seed"));
            }
            if seeds.value.is_empty() {
                return Err(error(path, line, "seeds: empty; list at least one seed, e.g. seeds: [11, 12]"));
            }
            let mut seen = HashSet::new();
            if let Some(twice) = seeds.value.iter().find(|s| !seen.insert(**s)) {
                return Err(error(path, line, format!("seeds: {twice} is listed twice; list each seed once")));
            }
            Ok(seeds.value.clone())
        }
        (None, Some(count)) => {
            if count.value == 0 || u64::from(count.value) > limits::MAX_RUNS {
                let fix = format!("seed-count: {}; run from 1 to {} seeds", count.value, limits::MAX_RUNS);
                return Err(error(path, count.referenced.line(), fix));
            }
            let first = file.seed.as_ref().map_or(1, |s| s.value);
            Ok((0..u64::from(count.value)).map(|k| first.wrapping_add(k)).collect())
        }
        (Some(seeds), Some(_)) => Err(error(path, seeds.referenced.line(), "give `seeds:` or `seed-count:`, not both")),
        (None, None) => Err(format!("{}: no seeds; add `seeds: [11, 12]` or `seed-count: 3`", path.display())),
    }
}

/// Every combination of one choice per axis, in odometer order (the last axis turns fastest).
fn cells(axes: &[Vec<Choice>]) -> Vec<Vec<&Choice>> {
    let mut out: Vec<Vec<&Choice>> = vec![Vec::new()];
    for choices in axes {
        out = out
            .into_iter()
            .flat_map(|prefix| choices.iter().map(move |c| [prefix.clone(), vec![c]].concat()))
            .collect();
    }
    out
}

/// The fields of one cell: the defaults, then each axis's choice (two axes may not set the
/// same field), with the schedule's path made relative to `base`.
fn cell_fields(
    path: &Path,
    base: &Path,
    defaults: &Map<String, Value>,
    cell: &[&Choice],
    label: &str,
) -> Result<Fields, String> {
    let mut map = defaults.clone();
    let mut set_by: Vec<(&str, u64)> = Vec::new();
    for choice in cell {
        for (key, value) in &choice.fields {
            if let Some((_, line)) = set_by.iter().find(|(k, _)| k == key) {
                return Err(error(
                    path,
                    choice.line,
                    format!("cell {label}: `{key}` is also set by line {line}; set each field in one axis"),
                ));
            }
            set_by.push((key, choice.line));
            map.insert(key.clone(), value.clone());
        }
    }
    let mut fields: Fields =
        serde_json::from_value(Value::Object(map)).map_err(|e| format!("{}: cell {label}: {e}", path.display()))?;
    fields.nemesis_schedule = fields.nemesis_schedule.map(|p| base.join(p));
    fields.chaos = fields.chaos.map(|p| base.join(p));
    Ok(fields)
}

/// Expands the campaign file read from `path` into its runs, validating every one.
pub fn expand(file: &CampaignFile, path: &Path) -> Result<Expanded, String> {
    let name = &file.name.value;
    Plan::check_folder_name(name).map_err(|e| error(path, file.name.referenced.line(), e))?;
    let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut defaults = Map::new();
    for (key, value) in &file.test.0 {
        check_field(path, key.referenced.line(), "test", &key.value, &value.value)?;
        defaults.insert(key.value.clone(), value.value.clone());
    }
    let axes: Vec<Vec<Choice>> = file
        .matrix
        .0
        .iter()
        .map(|(name, values)| axis_choices(path, name, &values.value, values.referenced.line()))
        .collect::<Result<_, _>>()?;
    let seeds = seeds(path, file)?;
    let repetitions = file.repetitions.as_ref().map_or(1, |r| r.value);
    if repetitions == 0 {
        let line = file.repetitions.as_ref().map_or(0, |r| r.referenced.line());
        return Err(error(path, line, "repetitions: 0; run each cell and seed at least once"));
    }
    let planned = axes
        .iter()
        .try_fold(seeds.len() as u64 * u64::from(repetitions), |n, choices| n.checked_mul(choices.len() as u64))
        .filter(|n| *n <= limits::MAX_RUNS);
    if planned.is_none() {
        return Err(format!(
            "{}: the matrix times the seeds times the repetitions makes more than {} runs; split the campaign",
            path.display(),
            limits::MAX_RUNS
        ));
    }
    let mut runs = Vec::new();
    let mut ids = HashSet::new();
    for cell in cells(&axes) {
        let label = if cell.is_empty() {
            SINGLE_CELL.to_string()
        } else {
            cell.iter().map(|c| c.label.as_str()).collect::<Vec<_>>().join("-")
        };
        let fields = cell_fields(path, base, &defaults, &cell, &label)?;
        for &seed in &seeds {
            for repetition in 1..=repetitions {
                let id = format!("{label}-s{seed}-r{repetition}");
                if !ids.insert(id.clone()) {
                    return Err(format!(
                        "{}: two cells make the run id {id}; give their values distinct `name:`s",
                        path.display()
                    ));
                }
                let mut fields = fields.clone();
                fields.seed = Some(seed);
                fields.name.get_or_insert_with(|| id.clone());
                let plan = Plan::from_fields(fields).map_err(|e| format!("{}: cell {label}: {e}", path.display()))?;
                runs.push(RunSpec { id, cell: label.clone(), seed, repetition, plan });
            }
        }
    }
    let results_dir = file.results_dir.as_ref().map(|d| base.join(d));
    Ok(Expanded { name: name.clone(), results_dir, runs })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder with `schedule.yaml` in it, and the path a campaign file there would have.
    fn folder(name: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("faultline-expand-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("isolate-n3.yaml"), "- {at: 2, do: isolate n3}\n- {at: 8, do: heal}\n").unwrap();
        let file = dir.join("campaign.yaml");
        (dir, file)
    }

    fn expand_text(name: &str, text: &str) -> Result<Expanded, String> {
        let (dir, path) = folder(name);
        let expanded = CampaignFile::parse(text, &path).and_then(|f| expand(&f, &path));
        std::fs::remove_dir_all(dir).unwrap();
        expanded
    }

    const NIGHTLY: &str = "\
name: etcd-nightly
test: {time-limit: 10, nodes: 3, rate: 100}
matrix:
  workload: [register]
  nemesis:
    - partition,kill
    - {name: isolate-serializable, nemesis-schedule: isolate-n3.yaml, serializable: true}
seeds: [11, 12]
";

    #[test]
    fn the_matrix_expands_into_cells_times_seeds_times_repetitions_with_stable_ids() {
        let (dir, path) = folder("nightly");
        let e = expand(&CampaignFile::parse(NIGHTLY, &path).unwrap(), &path).unwrap();
        let ids: Vec<&str> = e.runs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "register-partition-kill-s11-r1",
                "register-partition-kill-s12-r1",
                "register-isolate-serializable-s11-r1",
                "register-isolate-serializable-s12-r1"
            ]
        );
        assert_eq!(e.name, "etcd-nightly");
        assert_eq!(e.runs[1].cell, "register-partition-kill");
        for run in &e.runs {
            assert_eq!((run.plan.nodes.len(), run.plan.rate, run.plan.time_limit.as_secs()), (3, 100.0, 10));
            assert_eq!((run.plan.seed, run.plan.fields.seed, run.repetition), (run.seed, Some(run.seed), 1));
            assert_eq!(run.plan.name, run.id, "each run's test is named by its id");
        }
        let random = &e.runs[0].plan;
        assert!(!random.fields.serializable);
        assert!(format!("{:?}", random.schedule).starts_with("Random([Partition, Kill]"), "{:?}", random.schedule);
        let scripted = &e.runs[2].plan;
        assert!(scripted.fields.serializable, "the mapping sets serializable for its cell only");
        assert!(format!("{:?}", scripted.schedule).starts_with("Scripted"));
        assert_eq!(scripted.fields.nemesis_schedule.as_deref(), Some(dir.join("isolate-n3.yaml").as_path()));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn seed_count_repetitions_and_labels_of_numbers_and_booleans() {
        let text = "name: c\nmatrix:\n  nodes: [3, 5]\n  serializable: [true, false]\nseed-count: 2\nseed: 40\nrepetitions: 2\n";
        let e = expand_text("count", text).unwrap();
        assert_eq!(e.runs.len(), 2 * 2 * 2 * 2);
        assert_eq!(e.runs[0].id, "nodes3-serializable-s40-r1");
        assert_eq!(e.runs[1].id, "nodes3-serializable-s40-r2");
        assert_eq!(e.runs[2].id, "nodes3-serializable-s41-r1");
        assert_eq!(e.runs[4].id, "nodes3-no-serializable-s40-r1");
        assert_eq!(e.runs[15].id, "nodes5-no-serializable-s41-r2");
        assert_eq!(e.runs[15].plan.nodes.len(), 5);
        let single = expand_text("single", "name: c\ntest: {workload: set}\nseeds: [7]\nresults-dir: out\n").unwrap();
        assert_eq!(single.runs.len(), 1);
        assert_eq!(single.runs[0].id, "test-s7-r1");
        assert!(single.results_dir.unwrap().ends_with("out"));
    }

    /// The error for `text`, which must name the campaign file.
    fn error_of(text: &str) -> String {
        let err = expand_text("errors", text).unwrap_err();
        assert!(err.contains("campaign.yaml"), "the file is named: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
        err
    }

    #[test]
    fn errors_name_the_line_the_field_and_the_fix() {
        let err = error_of("name: c\nmatrix:\n  workload: [register]\nseeds: [1]\nrepeats: 2\n");
        assert!(err.contains("repeats") && err.contains("line 5"), "{err}");
        let err = error_of("name: c\nmatrix:\n  workload: []\nseeds: [1]\n");
        assert!(err.contains("line 3") && err.contains("matrix.workload: no values"), "{err}");
        let err = error_of("name: c\nmatrix:\n  workload:\n    - register\n    - regster\nseeds: [1]\n");
        assert!(err.contains("line 5") && err.contains("regster") && err.contains("rw-register"), "{err}");
        let err = error_of("name: c\nmatrix:\n  nemesis:\n    - {name: x, time-limt: 3}\nseeds: [1]\n");
        assert!(err.contains("line 4") && err.contains("time-limt") && err.contains("time-limit"), "{err}");
        let err = error_of("name: c\nmatrix:\n  nemesis:\n    - {nemesis: kill}\nseeds: [1]\n");
        assert!(err.contains("line 4") && err.contains("needs `name: LABEL`"), "{err}");
        let err = error_of("name: c\ntest:\n  rate: 10\n  seed: 3\nseeds: [1]\n");
        assert!(err.contains("line 4") && err.contains("seed-count"), "{err}");
        let err = error_of("name: c\ntest: {time-limit: -1}\nseeds: [1]\n");
        assert!(err.contains("cell test") && err.contains("above 0"), "{err}");
        let err = error_of("name: c\nmatrix:\n  nemesis: [kill, kill]\nseeds: [1]\n");
        assert!(err.contains("line 3") && err.contains("also the label"), "{err}");
        let err = error_of("name: c\nmatrix:\n  nemesis: [{name: a, nemesis-schedule: missing.yaml}]\nseeds: [1]\n");
        assert!(err.contains("missing.yaml"), "{err}");
        let err =
            error_of("name: c\nmatrix:\n  a: [{name: slow, rate: 5}]\n  b: [{name: fast, rate: 6}]\nseeds: [1]\n");
        assert!(err.contains("line 4") && err.contains("also set by line 3"), "{err}");
        assert!(error_of("name: c\nmatrix:\n  nemesis: [{name: y, nemesis: kill}]\nseeds: [1]\n").contains("quote it"));
        assert!(error_of("name: c\nmatrix:\n  workload: [set]\n").contains("no seeds"));
        let err = error_of("name: c\nseeds: [1, 1]\n");
        assert!(err.contains("line 2") && err.contains("twice"), "{err}");
        assert!(error_of("name: c\nseeds: [1]\nseed-count: 2\n").contains("not both"));
        assert!(error_of("name: ../up\nseeds: [1]\n").contains("line 1"));
        assert!(error_of("name: c\nseeds: [1]\nrepetitions: 0\n").contains("line 3"));
        assert!(error_of("name: c\nmatrix: [workload]\nseeds: [1]\n").contains("line 2"));
        let err = error_of("name: c\nseed-count: 4000000000\n");
        assert!(err.contains("line 2") && err.contains("from 1 to 10000 seeds"), "{err}");
        let err = error_of("name: c\nseed-count: 1000\nrepetitions: 4000000000\n");
        assert!(err.contains("more than 10000 runs"), "{err}");
        let err = error_of("name: c\nmatrix:\n  rate: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\nseed-count: 1000\n");
        assert!(err.contains("more than 10000 runs"), "{err}");
        let err = error_of("name: c\ntest: {time-limit: 1e300}\nseeds: [1]\n");
        assert!(err.contains("time-limit = 1e300") && err.contains("a week"), "{err}");
    }
}
