//! The nemesis worker: follows the schedule, resolves each intent against the cluster's state,
//! journals the undo, injects, and records it all as nemesis ops; heals on `heal` steps, at the
//! end of the run and when the run is cancelled.

use std::sync::Arc;
use std::time::Duration;

use checkers::{OpType, Process};
use nemesis::{resolve, resolve_rng, Action, ClusterState, Effect, Fault, Intent, RandomSchedule, ScheduleStep};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use tokio::sync::Mutex;

use super::config::Schedule;
use super::context::Run;
use super::executor;

/// One injected action and its journal entry.
struct Applied {
    action: Action,
    journal_id: u64,
}

/// Faults injected and not yet healed.
#[derive(Default)]
pub struct Active(Mutex<Vec<(Fault, Vec<Applied>)>>);

async fn apply(run: &Run, action: &Action) -> Result<u64, String> {
    let node = run.node(action.node()).ok_or_else(|| format!("no node {}", action.node()))?;
    executor::apply(&run.journal, node.remote.as_ref(), action).await
}

/// Starts the target on `node` again if it ended while the node's disk was full (as an operator
/// would once space is back).
async fn revive(run: &Run, node: &str) -> Result<(), String> {
    let node = run.node(node).ok_or_else(|| format!("no node {node}"))?;
    let remote = node.remote.as_ref();
    if remote.alive(&node.daemon_ref()).await.map_err(|e| e.to_string())? {
        return Ok(());
    }
    tracing::info!("{}: the target ended while its disk was full; starting it again", node.spec.name);
    executor::execute(remote, &nemesis::Command::Start { daemon: node.daemon.clone() }).await.map_err(|e| e.to_string())
}

async fn unapply(run: &Run, applied: &Applied) -> Result<(), String> {
    let node = run.node(applied.action.node()).ok_or_else(|| format!("no node {}", applied.action.node()))?;
    executor::unmake(&run.journal, node.remote.as_ref(), applied.journal_id, &applied.action.undo).await
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
            placement: run.placement.clone(),
            ..ClusterState::default()
        };
        for (_, applied) in self.0.lock().await.iter() {
            for a in applied {
                state.under(&a.action.effect);
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
        // Held while the actions run, so the watchdog never sees a kill that is not listed yet.
        let mut active = self.0.lock().await;
        if run.is_aborted() {
            let error = Some("the abort guard fired: nothing more is injected".to_string());
            run.seq.record(Process::nemesis(), OpType::Fail, f, json!(intent.to_string()), None, error);
            return;
        }
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
        let did: Vec<&Effect> = applied.iter().map(|a| &a.action.effect).collect();
        let value = json!({ "intent": fault.intent, "did": did, "nodes_state": { "leader": state.leader } });
        let kind = if error.is_some() { OpType::Info } else { OpType::Ok };
        run.seq.record(Process::nemesis(), kind, f, value, None, error.clone());
        run.counts.faults.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(fault = %fault.describe(), error = ?error, "injected");
        *run.fault_now.lock().unwrap_or_else(|e| e.into_inner()) = fault.describe();
        active.push((fault, applied));
    }

    /// The nodes whose target a fault in force stopped, or may have stopped, on purpose, while
    /// `check` runs with the faults held still (no fault is injected or healed meanwhile).
    pub async fn while_still<T>(&self, check: impl AsyncFnOnce(&[String]) -> T) -> T {
        let active = self.0.lock().await;
        let down: Vec<String> = active
            .iter()
            .flat_map(|(_, applied)| applied.iter().map(|a| &a.action.effect))
            .filter(|e| e.may_stop_the_target())
            .map(|e| e.node().to_string())
            .collect();
        check(&down).await
    }

    /// Heals every active fault, newest first, recording one `heal` op. Returns failures.
    pub async fn heal(&self, run: &Run) -> Vec<String> {
        self.heal_step(run, &Intent::Heal).await
    }

    /// Heals what `step` names, newest first, recording it as one op of `step.f()`: every active
    /// fault for `heal`, only the faults injected by INTENT for `heal INTENT`. Returns failures.
    async fn heal_step(&self, run: &Run, step: &Intent) -> Vec<String> {
        let only = match step {
            Intent::HealOf(intent) => Some(intent.to_string()),
            _ => None,
        };
        let f = step.f();
        let mut active = self.0.lock().await;
        let asked = only.as_ref().map_or(serde_json::Value::Null, |intent| json!(intent));
        run.seq.record(Process::nemesis(), OpType::Invoke, f, asked, None, None);
        let (mut healing, keep): (Vec<_>, Vec<_>) =
            active.drain(..).partition(|(fault, _)| only.as_ref().is_none_or(|intent| fault.intent == *intent));
        *active = keep;
        let mut healed = Vec::new();
        let mut failures = Vec::new();
        while let Some((fault, applied)) = healing.pop() {
            for a in applied.iter().rev() {
                if let Err(e) = unapply(run, a).await {
                    failures.push(e);
                } else if let Effect::Disk { node } = &a.action.effect {
                    failures.extend(revive(run, node).await.err());
                }
            }
            healed.push(fault.describe());
        }
        let error = (!failures.is_empty()).then(|| failures.join("; "));
        let kind = if error.is_some() { OpType::Info } else { OpType::Ok };
        run.seq.record(Process::nemesis(), kind, f, json!({ "healed": healed }), None, error);
        let still: Vec<String> = active.iter().map(|(fault, _)| fault.describe()).collect();
        *run.fault_now.lock().unwrap_or_else(|e| e.into_inner()) = still.join("; ");
        failures
    }
}

/// Follows the plan's schedule until its time limit or cancellation.
pub async fn nemesis(run: Arc<Run>) {
    let mut rng = resolve_rng(run.seed);
    let (mut random, mut scripted) = match run.plan.schedule.clone() {
        Schedule::Random(families, interval) => {
            let schedule = RandomSchedule::new(&families, interval, run.seed);
            (Some(if run.plan.target.supports.leader { schedule } else { schedule.without_leader() }), None)
        }
        Schedule::Scripted(s) => (None, Some(s)),
        Schedule::Chaos { plan, at } => (None, Some(plan.schedule(at, run.seed))),
    };
    let until = run.plan.time_limit;
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
        if run.is_aborted() {
            return;
        }
        match step.intent {
            Intent::Heal | Intent::HealOf(_) => {
                run.active.heal_step(&run, &step.intent).await;
            }
            intent => run.active.inject(&run, &intent, &mut rng).await,
        }
    }
}
