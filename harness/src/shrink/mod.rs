//! `faultline shrink RUN_DIR`: the smallest fault schedule that still fails. The failed run's
//! faults are read back from its history (each fault's nemesis op names what was done to which
//! nodes and when; its heal says when it ended) as a scripted schedule of exact intents
//! (`partition n1 n2 -> n3`, `kill n2`, each healed on its own); then each attempt is a fresh,
//! ordinary run of the same test with the same seed into the store (`<test>-shrink/`), first
//! removing faults by delta debugging, then shortening the run to just after the last heal.
//! The smallest schedule that failed goes to `RUN_DIR/shrunk-schedule.yaml`, with
//! `RUN_DIR/shrink.json` saying how many attempts confirmed it; the run's page links both.

mod ddmin;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use checkers::{History, OpType, Process};
use clap::Args;
use nemesis::{intent_of, Effect, Intent};
use results::Verdict;
use serde_json::json;

use crate::exit;
use crate::run::config::{Fields, Plan};
use crate::run::Session;

/// Arguments of `faultline shrink`.
#[derive(Args)]
pub struct ShrinkArgs {
    /// A failed run's folder, e.g. `store/etcd-register-serializable/latest`.
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
    /// At most this many attempts (each a whole run).
    #[arg(long, default_value_t = 12)]
    pub attempts: u32,
    /// Start no attempt after this many seconds.
    #[arg(long = "time-budget", default_value_t = 900.0)]
    pub time_budget: f64,
}

/// One fault of the failed run: when it was injected, what exactly, and when it was healed
/// (`None`: by the run's final heal).
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    at: f64,
    intent: Intent,
    healed: Option<f64>,
}

/// The faults `history` records, in order; a heal at or after `time_limit` (the run's final
/// heal) leaves a fault to the end of the run.
pub fn recorded_faults(history: &History, time_limit: f64) -> Vec<Recorded> {
    let mut faults: Vec<Recorded> = Vec::new();
    let mut open: Vec<(usize, String)> = Vec::new();
    let mut invoked_at = 0.0;
    for op in history.ops.iter().filter(|o| o.process == Process::nemesis()) {
        let secs = op.time as f64 / 1e9;
        let value = op.value.to_json();
        if op.kind == OpType::Invoke {
            invoked_at = secs;
            if op.f.starts_with("heal") {
                let only = value.as_str().map(str::to_string);
                open.retain(|(i, intent)| {
                    let heals = only.as_ref().is_none_or(|o| o == intent);
                    if heals && secs < time_limit {
                        faults[*i].healed = Some(secs);
                    }
                    !heals
                });
            }
            continue;
        }
        if op.f.starts_with("heal") || !matches!(op.kind, OpType::Ok | OpType::Info) {
            continue;
        }
        let effects: Vec<Effect> = serde_json::from_value(value["did"].clone()).unwrap_or_default();
        if let Some(intent) = intent_of(&effects) {
            let original = value["intent"].as_str().unwrap_or_default().to_string();
            open.push((faults.len(), original));
            faults.push(Recorded { at: invoked_at, intent, healed: None });
        }
    }
    faults
}

/// A scripted schedule of `faults`: each injected at its time and healed on its own.
pub fn schedule_yaml(faults: &[Recorded]) -> String {
    let mut steps: Vec<(f64, String)> = Vec::new();
    for f in faults {
        steps.push((f.at, f.intent.to_string()));
        if let Some(healed) = f.healed {
            steps.push((healed, Intent::HealOf(Box::new(f.intent.clone())).to_string()));
        }
    }
    steps.sort_by(|a, b| a.0.total_cmp(&b.0));
    steps.iter().map(|(at, intent)| format!("- {{at: {at:.3}, do: \"{intent}\"}}\n")).collect()
}

/// What the failed run was: its test, seed, verdict and faults.
struct Failed {
    fields: Fields,
    verdict: Verdict,
    faults: Vec<Recorded>,
    time_limit: f64,
}

fn read_failed(dir: &Path) -> Result<Failed, String> {
    let record = results::RunRecord::read(&dir.join(results::record::RECORD)).map_err(|e| e.to_string())?;
    let verdict = record.verdict();
    if !matches!(verdict, Verdict::Invalid | Verdict::HypothesisFailed) {
        return Err(format!(
            "{}: the run is {}; shrink takes a run that failed (invalid, or its hypothesis failed)",
            dir.display(),
            verdict.as_str()
        ));
    }
    let text = crate::limits::read_text(&dir.join("test.json"))?;
    let fields: Fields = serde_json::from_str(&text).map_err(|e| format!("{}/test.json: {e}", dir.display()))?;
    let history = checkers::history::load_path(&dir.join("history.jsonl")).map_err(|e| e.to_string())?;
    let time_limit = fields.time_limit.unwrap_or(60.0);
    let faults = recorded_faults(&history, time_limit);
    if faults.is_empty() {
        return Err(format!("{}: the history records no fault; there is nothing to shrink", dir.display()));
    }
    Ok(Failed { fields, verdict, faults, time_limit })
}

/// The attempts so far, bounded in count and time.
struct Attempts<'a> {
    session: &'a Session,
    failed: &'a Failed,
    dir: &'a Path,
    store: PathBuf,
    left: u32,
    deadline: Instant,
    made: u32,
    log: Vec<serde_json::Value>,
}

impl Attempts<'_> {
    /// Runs the test with `faults` for `time_limit` seconds: `None` when the budget is spent.
    fn fails(&mut self, faults: &[Recorded], time_limit: f64) -> Option<bool> {
        if self.left == 0 || Instant::now() >= self.deadline || self.session.interrupted() {
            return None;
        }
        self.left -= 1;
        self.made += 1;
        let schedule = self.dir.join("shrink").join(format!("attempt-{}.yaml", self.made));
        let written = std::fs::create_dir_all(self.dir.join("shrink"))
            .and_then(|()| std::fs::write(&schedule, schedule_yaml(faults)));
        if let Err(e) = written {
            eprintln!("faultline shrink: {}: {e}", schedule.display());
            return None;
        }
        let mut fields = self.failed.fields.clone();
        fields.name = Some(format!("{}-shrink", fields.name.as_deref().unwrap_or("test")));
        fields.nemesis_schedule = Some(schedule);
        (fields.chaos, fields.chaos_at, fields.labels) = (None, None, None);
        fields.time_limit = Some(time_limit);
        fields.test_count = Some(1);
        fields.results_dir = Some(self.store.clone());
        let plan = match Plan::from_fields(fields) {
            Ok(plan) => plan,
            Err(e) => {
                eprintln!("faultline shrink: attempt {}: {e}", self.made);
                return None;
            }
        };
        let run_dir = results::layout::fresh_dir(&plan.results_dir.join(&plan.name), &crate::run::stamp::utc_now());
        let outcome = self.session.run(&plan, plan.seed, &run_dir);
        let failed = Verdict::of_exit_code(outcome.code) == self.failed.verdict;
        eprintln!(
            "faultline shrink: attempt {}: {} fault(s), {time_limit:.1} s: {} ({})",
            self.made,
            faults.len(),
            if failed { "fails" } else { "passes" },
            outcome.dir.display()
        );
        self.log.push(json!({"faults": faults.len(), "time_limit": time_limit, "failed": failed,
            "exit": outcome.code, "run": outcome.dir.display().to_string()}));
        Some(failed)
    }
}

/// Runs `faultline shrink`: exit 0 with the smallest failing schedule written, 254 for a run
/// that cannot be shrunk, 255 when attempts could not run.
pub fn run(args: ShrinkArgs) -> ExitCode {
    let dir = args.run_dir.canonicalize().unwrap_or(args.run_dir.clone());
    let failed = match read_failed(&dir) {
        Ok(failed) => failed,
        Err(e) => {
            eprintln!("faultline shrink: {e}");
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    let session = match Session::open() {
        Ok(session) => session,
        Err(e) => {
            eprintln!("faultline shrink: {e}");
            return ExitCode::from(exit::HARNESS_FAILED);
        }
    };
    let started = Instant::now();
    let store = dir.parent().and_then(Path::parent).map_or_else(|| PathBuf::from("store"), Path::to_path_buf);
    let mut attempts = Attempts {
        session: &session,
        failed: &failed,
        dir: &dir,
        store,
        left: args.attempts,
        deadline: started + Duration::from_secs_f64(args.time_budget.clamp(0.0, crate::limits::MAX_SECONDS)),
        made: 0,
        log: Vec::new(),
    };
    let limit = failed.time_limit;
    let smallest = ddmin::ddmin(&failed.faults, |subset| attempts.fails(subset, limit));
    // Shorten the window: end the run two seconds after the last fault ends.
    let mut time_limit = limit;
    let last = smallest.iter().map(|f| f.healed.unwrap_or(limit).max(f.at)).fold(0.0, f64::max);
    let shorter = (last + 2.0).min(limit);
    if shorter < limit && attempts.fails(&smallest, shorter) == Some(true) {
        time_limit = shorter;
    }
    let confirmed = attempts
        .log
        .iter()
        .filter(|a| a["failed"] == true && a["faults"] == smallest.len() && a["time_limit"] == time_limit)
        .count();
    let confirmed = confirmed + usize::from(attempts.fails(&smallest, time_limit) == Some(true));
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let header = format!(
        "# faultline shrink: {} of {} fault(s) still fail ({}), confirmed by {confirmed} attempt(s); {} attempts in {minutes:.1} min.\n# Reproduce: faultline test -f {}/test.json --nemesis-schedule shrunk-schedule.yaml --time-limit {time_limit:.1}\n",
        smallest.len(),
        failed.faults.len(),
        failed.verdict.as_str(),
        attempts.made,
        dir.display()
    );
    let yaml = format!("{header}{}", schedule_yaml(&smallest));
    let summary = json!({
        "faults_before": failed.faults.len(), "faults_after": smallest.len(), "time_limit": time_limit,
        "confirmed_by": confirmed, "attempts": attempts.made, "minutes": minutes, "verdict": failed.verdict.as_str(),
        "tried": attempts.log,
    });
    let text = serde_json::to_string_pretty(&summary).unwrap_or_default();
    let written = results::fsx::write_atomic(&dir, "shrunk-schedule.yaml", yaml.as_bytes())
        .and_then(|()| results::fsx::write_atomic(&dir, "shrink.json", text.as_bytes()));
    if let Err(e) = written {
        eprintln!("faultline shrink: {e}");
        return ExitCode::from(exit::HARNESS_FAILED);
    }
    if let Err(e) = results::run_page::render_folder(&dir) {
        eprintln!("faultline shrink: the page of {}: {e}", dir.display());
    }
    crate::exit::say!(
        "faultline shrink: {} of {} fault(s) still fail, confirmed by {confirmed}; {} attempts in {minutes:.1} min; wrote {}",
        smallest.len(),
        failed.faults.len(),
        attempts.made,
        dir.join("shrunk-schedule.yaml").display()
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histories_faults_become_a_schedule_of_exact_intents_each_healed_on_its_own() {
        let lines = [
            r#"{"index":0,"time":1000000000,"type":"invoke","process":"nemesis","f":"pause","value":"pause one"}"#,
            r#"{"index":1,"time":1010000000,"type":"ok","process":"nemesis","f":"pause","value":{"intent":"pause one","did":[{"do":"pause","node":"n1"}]}}"#,
            r#"{"index":2,"time":2000000000,"type":"invoke","process":"nemesis","f":"heal","value":null}"#,
            r#"{"index":3,"time":2010000000,"type":"ok","process":"nemesis","f":"heal","value":{"healed":["pause one: pause n1"]}}"#,
            r#"{"index":4,"time":3000000000,"type":"invoke","process":"nemesis","f":"partition","value":"isolate n3"}"#,
            r#"{"index":5,"time":3010000000,"type":"ok","process":"nemesis","f":"partition","value":{"intent":"isolate n3","did":[{"do":"drop","on":"n3","from":"n1"},{"do":"drop","on":"n1","from":"n3"}]}}"#,
            r#"{"index":6,"time":4000000000,"type":"invoke","process":"nemesis","f":"kill","value":"kill n2"}"#,
            r#"{"index":7,"time":4010000000,"type":"fail","process":"nemesis","f":"kill","value":"kill n2","error":"no running node"}"#,
            r#"{"index":8,"time":5000000000,"type":"invoke","process":"nemesis","f":"heal-partition","value":"isolate n3"}"#,
            r#"{"index":9,"time":5010000000,"type":"ok","process":"nemesis","f":"heal-partition","value":{"healed":["isolate n3: ..."]}}"#,
            r#"{"index":10,"time":6000000000,"type":"invoke","process":"nemesis","f":"kill","value":"kill n2"}"#,
            r#"{"index":11,"time":6010000000,"type":"ok","process":"nemesis","f":"kill","value":{"intent":"kill n2","did":[{"do":"kill","node":"n2"}]}}"#,
            r#"{"index":12,"time":9000000000,"type":"invoke","process":"nemesis","f":"heal","value":null}"#,
        ];
        let history = checkers::history::load_str(&lines.join("\n"), "h.jsonl").unwrap();
        let faults = recorded_faults(&history, 8.0);
        assert_eq!(faults.len(), 3, "{faults:?}");
        assert_eq!((faults[0].at, faults[0].healed), (1.0, Some(2.0)));
        assert_eq!((faults[1].healed, faults[2].healed), (Some(5.0), None), "the final heal leaves it to the end");
        assert_eq!(
            schedule_yaml(&faults),
            "- {at: 1.000, do: \"pause n1\"}\n- {at: 2.000, do: \"heal pause n1\"}\n\
             - {at: 3.000, do: \"partition n1 -> n3; n3 -> n1\"}\n- {at: 5.000, do: \"heal partition n1 -> n3; n3 -> n1\"}\n\
             - {at: 6.000, do: \"kill n2\"}\n"
        );
        let parsed = nemesis::ScriptedSchedule::parse(&schedule_yaml(&faults), "s.yaml").unwrap();
        assert_eq!(parsed.steps().len(), 5);
    }
}
