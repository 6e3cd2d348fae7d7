//! Systems under test. Each target says, as data, how to install, configure, start, stop and
//! wipe itself on a node (argv commands the harness runs), gives a client that executes workload
//! ops with faultline's error classes, and answers what the nemesis asks (who leads).

pub mod bugs;
pub mod etcd;
pub mod own;
pub mod postgres;
pub mod registry;
pub mod target;

pub use bugs::{Bug, Bugs};
pub use registry::{registry, Entry, Supports, TargetOptions};
pub use target::{BoxFuture, Client, Cluster, Completion, ConfigFile, Daemon, NodeSpec, Target, Upload};
