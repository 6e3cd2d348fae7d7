//! `faultline check`: run a checker over history files and print one verdict line per file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use checkers::checker::{self, CheckSpec, CheckerOptions};
use checkers::history::{
    load_path_with, FailedCas, History, HistoryError, NilRead, ReadLimits, Semantics, SemanticsOverride,
    DEFAULT_MAX_HISTORY_BYTES,
};
use checkers::{linearizable, CheckResult, Validity};
use clap::{Args, ValueEnum};
use serde_json::json;

use crate::exit;

/// Arguments of `faultline check`.
#[derive(Args)]
pub struct CheckArgs {
    /// Which checker and how to read the history.
    #[command(flatten)]
    pub options: CheckOptions,
    /// `text`: a verdict line per file with explanations indented; `json`: one JSON document.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// History files: faultline JSONL, Jepsen history.edn, or a JSON array of ops.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Output formats of `faultline check`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A verdict line per file, explanations indented under it.
    Text,
    /// One JSON document: a `{file, validity, result}` object per file.
    Json,
}

/// Which checker to run and how to read the history: shared by `check` and `report`. Every
/// option is refused by checkers that do not take it (see `checkers::checker`).
#[derive(Args, Clone)]
pub struct CheckOptions {
    /// The checker to run.
    #[arg(long, value_parser = checker_names())]
    pub checker: String,
    /// The model for `--checker linearizable`: register, cas-register, multi-register, set, queue, mutex, kv.
    #[arg(long, value_parser = clap::value_parser!(linearizable::ModelKind))]
    pub model: Option<linearizable::ModelKind>,
    /// The model's initial value as JSON (`0`, `nil`/`null`, `{"x":0}`); default: absent.
    #[arg(long, value_parser = parse_init)]
    pub init: Option<serde_json::Value>,
    /// A nil read means the key is `absent`, or constrains nothing (`any`); default: the header's.
    #[arg(long, value_parser = parse_nil_read)]
    pub nil_read: Option<NilRead>,
    /// A failed CAS with error `mismatch` was `observed` by the store, or is `ignored`; default: the header's.
    #[arg(long, value_parser = parse_failed_cas)]
    pub failed_cas: Option<FailedCas>,
    /// Values are `[key value]` pairs over independent keys: check each key on its own.
    #[arg(long)]
    pub independent: bool,
    /// The consistency model for list-append and rw-register (default: serializable).
    #[arg(long, value_parser = clap::value_parser!(checkers::txn::ConsistencyModel))]
    pub consistency_model: Option<checkers::txn::ConsistencyModel>,
    /// Give up (verdict `unknown`) after this many seconds of search per file (default 300 for
    /// a checker that takes a budget).
    #[arg(long, value_name = "SECONDS", value_parser = crate::limits::budget)]
    pub time_budget: Option<f64>,
    /// Give up (verdict `unknown`) when the search holds this many MiB (default 2048 for a
    /// checker that takes a memory budget: linearizable).
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u32).range(1..=1 << 20))]
    pub memory_budget: Option<u32>,
    /// Refuse a history file longer than this many bytes (default 4 GiB), before it fills memory.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_HISTORY_BYTES,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_history_bytes: u64,
}

/// `--checker`'s values: the registry's names, each with what it checks.
fn checker_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        checker::REGISTRY.iter().map(|c| clap::builder::PossibleValue::new(c.name()).help(c.about())),
    )
}

impl CheckOptions {
    /// The checker and its options, as the registry takes them.
    pub fn spec(&self) -> CheckSpec {
        let options = CheckerOptions {
            model: self.model,
            init: self.init.clone(),
            semantics: SemanticsOverride {
                nil_read: self.nil_read,
                failed_cas: self.failed_cas,
                independent: self.independent.then_some(true),
            },
            consistency_model: self.consistency_model,
            time_budget: self.time_budget.map(Duration::from_secs_f64),
            memory_budget_bytes: self.memory_budget.map(|mib| (mib as usize) << 20),
        };
        CheckSpec::new(&self.checker, options)
    }

    /// Resolves the semantics for one history: header first, then these flags.
    pub fn semantics(&self, history: &History) -> Semantics {
        self.spec().options.semantics_for(history)
    }

    /// Checks that the flags fit the checker before any file is read: an option it does not
    /// take is refused, naming the options it takes.
    pub fn validate(&self) -> Result<(), String> {
        self.spec().prepare().map(drop)
    }

    /// Loads one history file under `--max-history-bytes`.
    pub fn load(&self, path: &Path) -> Result<History, HistoryError> {
        load_path_with(path, ReadLimits { max_bytes: self.max_history_bytes })
    }

    /// Runs the chosen checker on one history, with the default budgets where none was given.
    pub fn run(&self, history: &History) -> Result<CheckResult, String> {
        self.spec().with_default_budgets().run(history)
    }
}

fn parse_init(text: &str) -> Result<serde_json::Value, String> {
    if text == "nil" {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_str(text)
        .map_err(|e| format!("not a JSON value ({e}); e.g. --init 0, --init nil, --init '{{\"x\":0}}'"))
}

fn parse_nil_read(text: &str) -> Result<NilRead, String> {
    match text {
        "absent" => Ok(NilRead::Absent),
        "any" => Ok(NilRead::Any),
        _ => Err("expected absent or any".to_string()),
    }
}

fn parse_failed_cas(text: &str) -> Result<FailedCas, String> {
    match text {
        "observed" => Ok(FailedCas::Observed),
        "ignored" => Ok(FailedCas::Ignored),
        _ => Err("expected observed or ignored".to_string()),
    }
}

/// The outcome for one file.
enum FileOutcome {
    /// The result, and each anomaly's context in the run (nodes, faults, writes).
    Checked(CheckResult, Vec<Vec<String>>),
    Unreadable(String),
}

/// Runs `faultline check`.
pub fn run(args: CheckArgs) -> ExitCode {
    if let Err(message) = args.options.validate() {
        eprintln!("faultline check: {message}");
        return ExitCode::from(exit::BAD_INPUT);
    }
    let outcomes: Vec<(String, FileOutcome)> = args
        .files
        .iter()
        .map(|path| {
            let name = path.display().to_string();
            let outcome = match args.options.load(path) {
                Ok(history) => {
                    history.warnings.iter().for_each(|w| eprintln!("warning: {w}"));
                    match args.options.run(&history) {
                        Ok(result) => {
                            let periods = results::faults::fault_periods(&history);
                            let cx = results::context::Context::new(&history, &periods);
                            let context = result.anomalies.iter().map(|a| cx.text(a)).collect();
                            FileOutcome::Checked(result, context)
                        }
                        Err(message) => FileOutcome::Unreadable(format!("{name}: {message}")),
                    }
                }
                Err(e) => FileOutcome::Unreadable(e.to_string()),
            };
            (name, outcome)
        })
        .collect();
    match args.format {
        Format::Text => outcomes.iter().for_each(|(name, outcome)| print_text(name, outcome)),
        Format::Json => crate::exit::say!("{}", serde_json::to_string_pretty(&as_json(&outcomes)).unwrap_or_default()),
    }
    exit_code(&outcomes)
}

fn print_text(name: &str, outcome: &FileOutcome) {
    match outcome {
        FileOutcome::Unreadable(message) => eprintln!("faultline check: {message}"),
        FileOutcome::Checked(result, context) => {
            crate::exit::say!("{} {name}", result.validity);
            if let Some(reason) = &result.unknown_reason {
                crate::exit::say!("    {reason}");
            }
            for (anomaly, context) in result.anomalies.iter().zip(context) {
                for (i, line) in anomaly.explanation.lines().enumerate() {
                    let lead = if i == 0 { format!("{}: ", anomaly.kind) } else { "  ".to_string() };
                    crate::exit::say!("    {lead}{line}");
                }
                for line in context {
                    crate::exit::say!("      {line}");
                }
            }
        }
    }
}

fn as_json(outcomes: &[(String, FileOutcome)]) -> serde_json::Value {
    outcomes
        .iter()
        .map(|(name, outcome)| match outcome {
            FileOutcome::Checked(result, context) => {
                json!({"file": name, "validity": result.validity, "result": result, "context": context})
            }
            FileOutcome::Unreadable(message) => json!({"file": name, "error": message}),
        })
        .collect()
}

/// 254 if any file was unreadable, else the worst verdict.
fn exit_code(outcomes: &[(String, FileOutcome)]) -> ExitCode {
    let mut worst = Validity::Valid;
    for (_, outcome) in outcomes {
        match outcome {
            FileOutcome::Unreadable(_) => return ExitCode::from(exit::BAD_INPUT),
            FileOutcome::Checked(result, _) => worst = worst.merge(result.validity),
        }
    }
    exit::for_validity(worst)
}
