//! Provisioning: making the nodes of a run and handing back a [`Remote`] for each. Every step
//! is journaled before it is taken (undone by the journal at teardown, on a signal, or by
//! `faultline heal`), so a provisioner has no teardown of its own.
//!
//! Provisioners: [`netns::Netns`] (one network namespace per node on this machine),
//! [`ssh::Ssh`] (machines reached over SSH) and [`docker::Docker`] (containers on this machine,
//! from a node image built here, [`image`]).

pub mod docker;
pub mod image;
pub mod netns;
pub mod ssh;

use targets::{BoxFuture, NodeSpec};

use crate::remote::Remote;
use crate::run::config::Plan;
use crate::run::journal::Journal;
use crate::run::provisioning::ProvisionerName;

/// A node made for a run: its name and address, and how to reach it.
pub struct Provisioned {
    /// Its name and address in the run's network.
    pub spec: NodeSpec,
    /// Its control channel.
    pub remote: Box<dyn Remote>,
}

/// Makes the nodes of a run.
pub trait Provisioner: Send + Sync {
    /// Makes one node per name (run `run_id`), journaling the undo of each step before taking
    /// it; the nodes come back in the order of `names`.
    fn provision<'a>(
        &'a self,
        names: &'a [String],
        run_id: &'a str,
        journal: &'a Journal,
    ) -> BoxFuture<'a, Result<Vec<Provisioned>, String>>;
}

/// The provisioner a test names.
pub fn choose(plan: &Plan) -> Box<dyn Provisioner> {
    match (plan.provisioner, &plan.ssh) {
        (ProvisionerName::Ssh, Some(nodes)) => Box::new(ssh::Ssh(nodes.clone())),
        (ProvisionerName::Docker, _) => Box::new(docker::Docker::new(plan.target().as_ref())),
        _ => Box::new(netns::Netns),
    }
}

/// The checks that run before anything is changed: for SSH nodes, each is reached, its host
/// key checked, the user authenticated and root reached; for containers, the Docker engine
/// answers. One line naming the node (or the engine) on failure.
pub async fn precheck(plan: &Plan) -> Result<(), String> {
    match (&plan.ssh, plan.provisioner) {
        (Some(nodes), _) => ssh::Ssh(nodes.clone()).connect(&plan.nodes).await.map(drop),
        (None, ProvisionerName::Docker) => {
            docker::engine(&crate::remote::local::LocalRemote::host("host")).await.map(drop)
        }
        (None, _) => Ok(()),
    }
}
