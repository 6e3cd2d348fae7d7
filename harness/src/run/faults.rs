//! The nemesis worker: follows the schedule, resolves each intent against the cluster's state,
//! journals the undo, injects, and records it all as nemesis ops; heals on `heal` steps, at the
//! end of the run and when the run is cancelled.

use std::sync::Arc;
use std::time::Duration;

use checkers::{OpType, Process};
use nemesis::{resolve, Action, ClusterState, Fault, Intent, RandomSchedule, ScheduleStep};
use nix::sys::signal::Signal;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use tokio::sync::Mutex;

use super::config::Schedule;
use super::context::Run;
use super::journal::Undo;
use super::netns::in_netns;

const EXEC_TIMEOUT: Duration = Duration::from_secs(5);

/// One injected action and its journal entry.
struct Applied {
    action: Action,
    journal_id: Option<u64>,
}

/// Faults injected and not yet healed.
#[derive(Default)]
pub struct Active(Mutex<Vec<(Fault, Vec<Applied>)>>);

fn addr(run: &Run, name: &str) -> String {
    run.node(name).map(|n| n.spec.addr.clone()).unwrap_or_default()
}

async fn apply(run: &Run, action: &Action) -> Result<Option<u64>, String> {
    let node = run.node(action.node()).ok_or_else(|| format!("no node {}", action.node()))?;
    match action {
        Action::Drop { on, from } => {
            let undo = in_netns(on, &nemesis::iptables::drop_from(&addr(run, from), &run.run_id, false));
            let id = run
                .journal
                .made(&format!("{on} drops {from}"), Undo::Command { argv: undo })
                .map_err(|e| e.to_string())?;
            node.exec(&nemesis::iptables::drop_from(&addr(run, from), &run.run_id, true), EXEC_TIMEOUT).await?;
            Ok(Some(id))
        }
        Action::Kill { .. } => {
            node.kill().await?;
            Ok(None)
        }
        Action::Pause { node: name } => {
            let id = run
                .journal
                .made(&format!("pause {name}"), Undo::Resume { pidfile: node.pidfile() })
                .map_err(|e| e.to_string())?;
            node.signal(Signal::SIGSTOP).await?;
            Ok(Some(id))
        }
    }
}

async fn unapply(run: &Run, applied: &Applied) -> Result<(), String> {
    let node = run.node(applied.action.node()).ok_or_else(|| format!("no node {}", applied.action.node()))?;
    match &applied.action {
        Action::Drop { from, .. } => {
            node.exec(&nemesis::iptables::drop_from(&addr(run, from), &run.run_id, false), EXEC_TIMEOUT).await?;
        }
        Action::Kill { .. } => {
            let daemon = run.target.daemon(&node.spec, &run.cluster);
            node.start(&daemon, &run.journal, run.target.stop_grace()).await?;
        }
        Action::Pause { .. } => node.signal(Signal::SIGCONT).await?,
    }
    if let Some(id) = applied.journal_id {
        run.journal.done(id).map_err(|e| e.to_string())?;
    }
    Ok(())
}

impl Active {
    /// The cluster's state; when `wait_for_leader`, asks for the leader for up to 5 s (an
    /// election may be under way after a heal).
    async fn state(&self, run: &Run, wait_for_leader: bool) -> ClusterState {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut leader = None;
        loop {
            let ask = tokio::time::timeout(Duration::from_secs(3), run.target.leader(&run.cluster));
            leader = leader.or(ask.await.ok().flatten());
            if leader.is_some() || !wait_for_leader || tokio::time::Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let mut state = ClusterState {
            nodes: run.nodes.iter().map(|n| n.spec.name.clone()).collect(),
            leader,
            ..ClusterState::default()
        };
        for (_, applied) in self.0.lock().await.iter() {
            for a in applied {
                match &a.action {
                    Action::Kill { node } => {
                        state.killed.insert(node.clone());
                    }
                    Action::Pause { node } => {
                        state.paused.insert(node.clone());
                    }
                    Action::Drop { .. } => {}
                }
            }
        }
        state
    }

    /// Resolves and injects `intent`, recording it as nemesis ops.
    async fn inject(&self, run: &Run, intent: &Intent, rng: &mut ChaCha8Rng) {
        let f = intent.f();
        run.seq.record(Process::nemesis(), OpType::Invoke, f, json!(intent.to_string()), None, None);
        let state = self.state(run, intent.needs_leader()).await;
        let fault = match resolve(intent, &state, rng) {
            Ok(fault) => fault,
            Err(e) => {
                run.seq.record(
                    Process::nemesis(),
                    OpType::Fail,
                    f,
                    json!(intent.to_string()),
                    None,
                    Some(e.to_string()),
                );
                return;
            }
        };
        let mut applied = Vec::new();
        let mut error = None;
        for action in &fault.actions {
            match apply(run, action).await {
                Ok(journal_id) => applied.push(Applied { action: action.clone(), journal_id }),
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        let did: Vec<&Action> = applied.iter().map(|a| &a.action).collect();
        let value = json!({ "intent": fault.intent, "did": did, "nodes_state": { "leader": state.leader } });
        let kind = if error.is_some() { OpType::Info } else { OpType::Ok };
        run.seq.record(Process::nemesis(), kind, f, value, None, error.clone());
        run.counts.faults.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(fault = %fault.describe(), error = ?error, "injected");
        *run.fault_now.lock().unwrap_or_else(|e| e.into_inner()) = fault.describe();
        self.0.lock().await.push((fault, applied));
    }

    /// Heals every active fault, newest first, recording one `heal` op. Returns failures.
    pub async fn heal(&self, run: &Run) -> Vec<String> {
        let mut active = self.0.lock().await;
        run.seq.record(Process::nemesis(), OpType::Invoke, "heal", serde_json::Value::Null, None, None);
        let mut healed = Vec::new();
        let mut failures = Vec::new();
        while let Some((fault, applied)) = active.pop() {
            for a in applied.iter().rev() {
                if let Err(e) = unapply(run, a).await {
                    failures.push(e);
                }
            }
            healed.push(fault.describe());
        }
        let error = (!failures.is_empty()).then(|| failures.join("; "));
        let kind = if error.is_some() { OpType::Info } else { OpType::Ok };
        run.seq.record(Process::nemesis(), kind, "heal", json!({ "healed": healed }), None, error);
        run.fault_now.lock().unwrap_or_else(|e| e.into_inner()).clear();
        failures
    }
}

/// Follows `schedule` until `until` (time since the run started) or cancellation.
pub async fn nemesis(run: Arc<Run>, active: Arc<Active>, schedule: Schedule, seed: u64, until: Duration) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6e656d65);
    let (mut random, mut scripted) = match schedule {
        Schedule::Random(families, interval) => (Some(RandomSchedule::new(&families, interval, seed)), None),
        Schedule::Scripted(s) => (None, Some(s)),
    };
    loop {
        let step: Option<ScheduleStep> = match (&mut random, &mut scripted) {
            (Some(r), _) => r.next_step(),
            (_, Some(s)) => s.next_step(),
            _ => None,
        };
        let Some(step) = step else { return };
        if step.at >= until {
            return;
        }
        let wait = step.at.saturating_sub(run.seq.elapsed());
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = run.cancel.cancelled() => return,
        }
        match step.intent {
            Intent::Heal => {
                active.heal(&run).await;
            }
            intent => active.inject(&run, &intent, &mut rng).await,
        }
    }
}
