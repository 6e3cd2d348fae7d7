//! The fault vocabulary of faultline: intents ("isolate the leader", "kill a minority"), how an
//! intent resolves against the cluster's state into concrete actions on named nodes, the argv
//! commands those actions become, and schedules (random or scripted) that say when to inject
//! and heal. Pure: nothing here runs a command; the harness does.

pub mod action;
pub mod intent;
pub mod iptables;
pub mod resolve;
pub mod schedule;

pub use action::{Action, Fault};
pub use intent::{Family, Intent, PartitionShape, Who};
pub use resolve::{resolve, ClusterState, ResolveError};
pub use schedule::{RandomSchedule, ScheduleStep, ScriptedSchedule};
