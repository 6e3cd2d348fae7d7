//! The docker provisioner: one container per node on a Docker network that faultline creates,
//! `fl-dk0` (bridge `fl-dk0`, subnet 198.19.0.0/24, internal: nothing leaves it; the bridge is
//! .1, node i is .10+i), from the node image ([`super::image`]), each with `NET_ADMIN` so
//! faultline's iptables chain works inside, `--init` to reap what it runs, and tmpfs room for
//! the target's data. Docker lets traffic between the containers of a network it made pass
//! its FORWARD policy itself. The network and the containers are journaled before they are
//! made; removing a container takes its rules and daemons with it.

use std::time::Duration;

use nemesis::{iptables, Command};
use targets::{BoxFuture, NodeSpec, Target};

use super::image::{self, Recipe};
use super::{Provisioned, Provisioner};
use crate::remote::docker::DockerRemote;
use crate::remote::exec::argv;
use crate::remote::local::LocalRemote;
use crate::remote::Remote;
use crate::run::executor::make;
use crate::run::journal::Journal;

/// The network (and its bridge) the containers hang off.
pub const NETWORK: &str = "fl-dk0";
const SUBNET_PREFIX: &str = "198.19.0";
/// The name the controller goes by in the journal.
const HOST: &str = "host";
/// How long a `docker` call that makes something may take (a loaded engine is slow).
const DOCKER_LIMIT: Duration = Duration::from_secs(120);
/// The tmpfs at /dev/shm in each container, where the target's data goes.
const SHM_SIZE: &str = "1g";

/// Containers on this machine, from the image of `recipe`.
pub struct Docker {
    /// The node image's recipe.
    pub recipe: Recipe,
}

impl Docker {
    /// Containers for `target`'s nodes.
    pub fn new(target: &dyn Target) -> Docker {
        Docker { recipe: Recipe::for_target(target) }
    }
}

/// The container of node `name`.
pub fn container(name: &str) -> String {
    format!("fl-dk-{name}")
}

/// The node specs (names and addresses) for `names`.
fn plan(names: &[String]) -> Vec<NodeSpec> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| NodeSpec { name: name.clone(), addr: format!("{SUBNET_PREFIX}.{}", 11 + i) })
        .collect()
}

/// The Docker engine's version, or one line saying how to reach one.
pub async fn engine(host: &LocalRemote) -> Result<String, String> {
    let version = argv(&["docker", "version", "--format", "{{.Server.Version}}"]);
    match host.exec(&version, Duration::from_secs(20)).await {
        Ok(v) => Ok(v.trim().to_string()),
        Err(e) => Err(format!(
            "the docker provisioner needs a running Docker engine and its `docker` CLI ({}); install docker.io and \
             start it",
            e.message
        )),
    }
}

/// Refuses to start over a network or containers no journal lists (another tool's, or a lost
/// journal's).
async fn check_free(host: &LocalRemote, specs: &[NodeSpec]) -> Result<(), String> {
    let exists = |what: &str, name: &str| argv(&["docker", what, "inspect", "--format", "{{.Name}}", name]);
    if host.exec(&exists("network", NETWORK), DOCKER_LIMIT).await.is_ok() {
        return Err(format!(
            "Docker network {NETWORK} already exists and no faultline journal lists it; if it is a leftover, remove \
             it with `docker network rm {NETWORK}`"
        ));
    }
    for spec in specs {
        let name = container(&spec.name);
        if host.exec(&exists("container", &name), DOCKER_LIMIT).await.is_ok() {
            return Err(format!(
                "container {name} already exists and no faultline journal lists it; if it is a leftover, remove it \
                 with `docker rm -f {name}`"
            ));
        }
    }
    Ok(())
}

/// Journals `undo` on the controller, then runs `step` there (with Docker's time limit).
async fn make_on_host(
    host: &LocalRemote,
    journal: &Journal,
    what: &str,
    undo: Vec<String>,
    step: Vec<String>,
) -> Result<(), String> {
    make(journal, host, what, Command::Exec { argv: undo }, &[]).await?;
    host.exec(&step, DOCKER_LIMIT).await.map(drop).map_err(|e| e.to_string())
}

async fn provision(
    docker: &Docker,
    names: &[String],
    run_id: &str,
    journal: &Journal,
) -> Result<Vec<Provisioned>, String> {
    let host = LocalRemote::host(HOST);
    engine(&host).await?;
    let specs = plan(names);
    check_free(&host, &specs).await?;
    let image = image::ensure(&docker.recipe, &host, journal).await?;
    let began = std::time::Instant::now();
    let label = format!("faultline.run={run_id}");
    // `docker network rm` of a missing network fails: the undo checks first, so healing twice is harmless.
    let remove =
        format!("docker network inspect {NETWORK} >/dev/null 2>&1 || exit 0; exec docker network rm {NETWORK}");
    let create = argv(&[
        "docker",
        "network",
        "create",
        "--internal",
        "--subnet",
        &format!("{SUBNET_PREFIX}.0/24"),
        "--gateway",
        &format!("{SUBNET_PREFIX}.1"),
        "-o",
        &format!("com.docker.network.bridge.name={NETWORK}"),
        "--label",
        &label,
        NETWORK,
    ]);
    make_on_host(&host, journal, &format!("Docker network {NETWORK}"), argv(&["sh", "-c", &remove]), create).await?;
    let hosts: Vec<String> = specs.iter().map(|s| format!("--add-host={}:{}", s.name, s.addr)).collect();
    let mut nodes = Vec::new();
    for spec in specs {
        let name = container(&spec.name);
        let mut run = argv(&[
            "docker",
            "run",
            "--detach",
            "--init",
            "--name",
            &name,
            "--hostname",
            &spec.name,
            "--network",
            NETWORK,
            "--ip",
            &spec.addr,
            "--cap-add",
            "NET_ADMIN",
            "--shm-size",
            SHM_SIZE,
            "--label",
            &label,
        ]);
        run.extend(hosts.iter().cloned());
        run.push(image.clone());
        make_on_host(&host, journal, &format!("container {name}"), argv(&["docker", "rm", "--force", &name]), run)
            .await?;
        let remote = DockerRemote::new(&spec.name, &name);
        for cmd in iptables::setup(run_id) {
            remote.exec(&cmd, Duration::from_secs(30)).await?;
        }
        nodes.push(Provisioned { spec, remote: Box::new(remote) });
    }
    eprintln!("faultline: {} containers up in {:.1} s", nodes.len(), began.elapsed().as_secs_f64());
    Ok(nodes)
}

impl Provisioner for Docker {
    fn provision<'a>(
        &'a self,
        names: &'a [String],
        run_id: &'a str,
        journal: &'a Journal,
    ) -> BoxFuture<'a, Result<Vec<Provisioned>, String>> {
        Box::pin(provision(self, names, run_id, journal))
    }
}
