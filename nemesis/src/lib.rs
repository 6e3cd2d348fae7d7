//! The fault vocabulary of faultline: intents ("isolate the leader", "kill a minority"), how an
//! intent resolves against the cluster's state into concrete actions on named nodes, the
//! commands those actions become (each with the command that undoes it), and schedules (random
//! or scripted) that say when to inject and heal. Pure: nothing here runs a command; the
//! harness's one executor does.
//!
//! Adding a fault family: its intent (`intent.rs`), its resolution into effects (`resolve.rs`)
//! and the commands of each effect with their undo (`action.rs`); the harness needs no change.

pub mod action;
pub mod chaos_mesh;
pub mod clock;
pub mod command;
pub mod delay;
pub mod intent;
pub mod iptables;
pub mod resolve;
pub mod resource;
pub mod schedule;

pub use action::{intent_of, Action, Effect, Fault, Placement};
pub use command::{Command, Daemon, DaemonRef, Signal};
pub use intent::{Cut, Family, Intent, PartitionShape, Rate, Who, CLIENTS};
pub use resolve::{resolve, resolve_rng, ClusterState, ResolveError};
pub use schedule::{RandomSchedule, ScheduleStep, ScriptedSchedule};
