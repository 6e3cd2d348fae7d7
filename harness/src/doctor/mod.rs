//! `faultline doctor [test options]`: checks the nodes a test would run on, before any run, and
//! prints a table, one row per node and check, with the fix for each failure. It changes nothing
//! (except that `--accept-new-host-keys` records unknown host keys, as a run would). Exit 0 when
//! a run can start, 1 when a check failed, 254 for bad options.

mod node;
mod ssh;

use std::process::ExitCode;

use crate::exit::say;
use crate::provision::{docker, image};
use crate::remote::local::LocalRemote;
use crate::remote::Remote;
use crate::run::config::Plan;
use crate::run::provisioning::ProvisionerName;
use crate::run::TestArgs;

/// One check of one node: what was found, or what failed and how to fix it; `None` when it was
/// skipped because an earlier check of the node failed.
pub struct Row {
    /// The node (or `controller` for this machine).
    pub node: String,
    /// What was checked.
    pub check: &'static str,
    /// What was found, or the failure with its fix.
    pub result: Option<Result<String, String>>,
}

impl Row {
    fn new(node: &str, check: &'static str, result: Result<String, String>) -> Row {
        Row { node: node.to_string(), check, result: Some(result) }
    }
}

/// Runs `faultline doctor`.
pub fn run(args: TestArgs) -> ExitCode {
    let plan = match Plan::new(args) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("faultline doctor: {e}");
            return ExitCode::from(crate::exit::BAD_INPUT);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("faultline doctor: cannot start the async runtime: {e}");
            return ExitCode::from(crate::exit::HARNESS_FAILED);
        }
    };
    let rows = runtime.block_on(rows(&plan));
    print(&rows);
    let failed = rows.iter().filter(|r| matches!(r.result, Some(Err(_)))).count();
    if failed == 0 {
        let (provisioner, target, nodes) = (plan.provisioner, plan.target.name, plan.nodes.len());
        say!("doctor: a run can start (provisioner {provisioner}, target {target}, {nodes} node(s))");
        ExitCode::SUCCESS
    } else {
        say!("doctor: {failed} check(s) failed; fix them before a run");
        ExitCode::from(1)
    }
}

/// Every row for the plan's nodes: the controller first, then each node (or the engine).
async fn rows(plan: &Plan) -> Vec<Row> {
    let host = LocalRemote::host("controller");
    let target = plan.target();
    let mut rows = vec![Row::new("controller", "root", controller_root())];
    match (plan.provisioner, &plan.ssh) {
        (ProvisionerName::Ssh, Some(nodes)) => {
            let ssh = crate::provision::ssh::Ssh(nodes.clone());
            for (name, machine) in plan.nodes.iter().zip(&nodes.machines) {
                rows.extend(ssh::rows(&ssh, name, machine, target.as_ref()).await);
            }
        }
        (ProvisionerName::Docker, _) => {
            rows.push(Row::new("controller", "iptables", node::iptables(&host).await));
            let engine = docker::engine(&host).await.map(|v| format!("Docker engine {v}"));
            let answers = engine.is_ok();
            rows.push(Row::new("controller", "docker engine", engine));
            let image = if answers { Some(node_image(&host, target.as_ref()).await) } else { None };
            rows.push(Row { node: "controller".into(), check: "node image", result: image });
        }
        _ => {
            let netns = host.exec(&["ip".into(), "netns".into(), "list".into()], node::LIMIT).await;
            let netns = netns
                .map(|_| "ip netns works".to_string())
                .map_err(|e| format!("ip netns does not work ({}); install iproute2 and run as root", e.message));
            rows.push(Row::new("controller", "namespaces", netns));
            rows.push(Row::new("controller", "iptables", node::iptables(&host).await));
            rows.push(Row::new("controller", "target", node::target(&host, target.as_ref()).await));
        }
    }
    rows
}

/// faultline itself runs as root (it takes the machine lock and changes the network).
fn controller_root() -> Result<String, String> {
    if nix::unistd::Uid::effective().is_root() {
        Ok("faultline runs as root".into())
    } else {
        Err("faultline is not running as root; run it as root (sudo faultline ...)".into())
    }
}

/// The docker provisioner's node image: present, or buildable here.
async fn node_image(host: &LocalRemote, target: &dyn targets::Target) -> Result<String, String> {
    let tag = image::Recipe::for_target(target).tag();
    if image::present(host, &tag).await {
        return Ok(format!("{tag} present"));
    }
    match node::command_exists(host, "debootstrap").await {
        true => Ok(format!("{tag} not built yet; the first run builds it with debootstrap (about a minute)")),
        false => Err(format!("{tag} is not built and debootstrap is missing; install debootstrap")),
    }
}

/// The table: node, check, ok/FAIL/skipped, and what was found or the fix.
fn print(rows: &[Row]) {
    let node_width = rows.iter().map(|r| r.node.len()).max().unwrap_or(4).max(4);
    let check_width = rows.iter().map(|r| r.check.len()).max().unwrap_or(5).max(5);
    say!("{:node_width$}  {:check_width$}  {:7}  DETAIL", "NODE", "CHECK", "RESULT");
    for row in rows {
        let (status, detail) = match &row.result {
            Some(Ok(found)) => ("ok", found.as_str()),
            Some(Err(fix)) => ("FAIL", fix.as_str()),
            None => ("skipped", "an earlier check of this node failed"),
        };
        say!("{:node_width$}  {:check_width$}  {status:7}  {detail}", row.node, row.check);
    }
}
