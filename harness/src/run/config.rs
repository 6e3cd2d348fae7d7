//! The test's configuration: Jepsen-style flags or a YAML file with the same fields (flags win),
//! validated into a [`Plan`]. Unknown fields and bad values are rejected with the file, the line
//! and the fix.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use checkers::txn::ConsistencyModel;
use nemesis::chaos_mesh::{ChaosFile, ChaosPlan, NodeLabels};
use nemesis::{Family, ScriptedSchedule};
use results::hypothesis::{AbortIf, Bound, Hypothesis};
use serde::{Deserialize, Serialize};
use targets::postgres::Isolation;
use targets::registry::{self, list};
use targets::{Bug, Bugs, Target, TargetOptions};

use crate::limits;
use crate::run::provisioning::{check_host, split_node, InventoryEntry, ProvisionerName, SshFields, SshNodes};

/// `faultline test` flags.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TestArgs {
    /// A YAML test file with the same fields as the flags (kebab-case); flags override it.
    #[arg(short = 'f', long = "file")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub fields: Fields,
}

/// Every field of a test, from flags or from a test file.
#[derive(Debug, Clone, Default, clap::Args, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Fields {
    /// The test's name (the results folder is results/<name>/<timestamp>).
    #[arg(long)]
    pub name: Option<String>,
    /// The system under test, by its name in the target registry (etcd).
    #[arg(long)]
    pub target: Option<String>,
    /// The workload: register, set, rw-register, list-append or bank.
    #[arg(long)]
    pub workload: Option<WorkloadName>,
    /// The transactional model a list-append or rw-register history is judged against (default:
    /// what the target promises, e.g. strict-serializable for etcd).
    #[arg(long)]
    pub consistency_model: Option<Named<ConsistencyModel>>,
    /// Fault families for a random schedule, comma-separated: partition,kill,pause (or none).
    #[arg(long)]
    pub nemesis: Option<Families>,
    /// Seconds between a random fault and its heal (and between heal and the next fault).
    #[arg(long)]
    pub nemesis_interval: Option<f64>,
    /// A scripted schedule: a YAML list of `{at: SECONDS, do: INTENT}`; replaces --nemesis.
    #[arg(long)]
    pub nemesis_schedule: Option<PathBuf>,
    /// A Chaos Mesh experiment file (NetworkChaos, PodChaos) as the fault schedule; replaces
    /// --nemesis. In a test file, relative to the test file's folder.
    #[arg(long)]
    pub chaos: Option<PathBuf>,
    /// Seconds into the run when the chaos file's experiments are applied (default 5).
    #[arg(long)]
    pub chaos_at: Option<f64>,
    /// Node labels the chaos file's selectors match, e.g. '{n1: {app: db}, n4: {app: api}}'.
    #[arg(long, value_parser = yaml_value::<NodeLabels>)]
    pub labels: Option<NodeLabels>,
    /// How many nodes (n1…nN), or a comma-separated list of names.
    #[arg(long)]
    pub nodes: Option<NodeNames>,
    /// What the nodes are: netns (a network namespace per node on this machine, the default)
    /// or ssh (machines reached over SSH: --nodes names their hosts, NAME=HOST or HOST), or
    /// docker (containers on this machine, from a node image built locally and cached).
    #[arg(long)]
    pub provisioner: Option<ProvisionerName>,
    /// SSH nodes: the user to log in as (default root; others need passwordless sudo).
    #[arg(long)]
    pub ssh_user: Option<String>,
    /// SSH nodes: sshd's port (default 22).
    #[arg(long)]
    pub ssh_port: Option<u16>,
    /// SSH nodes: the private key file, OpenSSH ed25519 or RSA (default: ssh-agent).
    #[arg(long)]
    pub ssh_key: Option<PathBuf>,
    /// SSH nodes: the known_hosts file host keys are checked against (default ~/.ssh/known_hosts).
    #[arg(long)]
    pub ssh_known_hosts: Option<PathBuf>,
    /// SSH nodes: record host keys known_hosts does not list (a changed key is always refused).
    #[arg(long)]
    #[serde(default)]
    pub accept_new_host_keys: bool,
    /// SSH nodes one machine each (test file only): a list of `{name, host, port, user, key,
    /// sudo}`; its names are the nodes, and what an entry leaves out comes from ssh-user,
    /// ssh-port and ssh-key.
    #[arg(skip)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Vec<InventoryEntry>>,
    /// Client workers: a number, or `2n` for twice the nodes.
    #[arg(long)]
    pub concurrency: Option<Concurrency>,
    /// Seconds of workload.
    #[arg(long)]
    pub time_limit: Option<f64>,
    /// How many runs of the same test.
    #[arg(long)]
    pub test_count: Option<u32>,
    /// The seed every random choice flows from (default: random, printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Target ops per second over all workers.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Target option: serializable (non-quorum) reads, as Jepsen's etcd test names them.
    #[arg(long)]
    #[serde(default)]
    pub serializable: bool,
    /// Target option: start etcd with --pre-vote.
    #[arg(long)]
    #[serde(default)]
    pub pre_vote: bool,
    /// Target option: the isolation level of every transaction (postgres): read-committed,
    /// repeatable-read or serializable.
    #[arg(long)]
    pub isolation: Option<Named<Isolation>>,
    /// A bug switch to start the target with (repeatable; only targets with switches take them:
    /// own has stale-reads, ack-before-commit, lazy-fsync).
    #[arg(long = "bug", value_name = "NAME")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bugs: Vec<String>,
    /// The store: run folders go to <results-dir>/<name>/<timestamp> (default `store`).
    #[arg(long)]
    pub results_dir: Option<PathBuf>,
    /// A chaos experiment's hypothesis, judged during and after each fault, e.g.
    /// '{availability: ">= 0.9", p99-ms: "<= 500", recovery-s: "<= 10"}'.
    #[arg(long, value_parser = yaml_value::<Hypothesis>)]
    pub hypothesis: Option<Hypothesis>,
    /// The abort guard: e.g. '{availability: "< 0.5", for-s: 10}'; beyond it the nemesis heals
    /// at once and injects nothing more.
    #[arg(long, value_parser = yaml_value::<AbortIf>)]
    pub abort_if: Option<AbortIf>,
}

/// A flag's value read as YAML (`--hypothesis '{availability: ">= 0.9"}'`).
fn yaml_value<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_saphyr::from_str(text).map_err(|e| e.to_string().lines().next().unwrap_or_default().to_string())
}

macro_rules! from_str_de {
    ($t:ty) => {
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let raw = StrOrNum::deserialize(d)?;
                raw.0.parse().map_err(serde::de::Error::custom)
            }
        }
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }
    };
}

/// A scalar read as text, whether YAML typed it as a number, a string or a list of strings.
struct StrOrNum(String);

impl<'de> Deserialize<'de> for StrOrNum {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<StrOrNum, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
            L(Vec<String>),
        }
        Ok(StrOrNum(match Raw::deserialize(d)? {
            Raw::N(n) => n.to_string(),
            Raw::S(s) => s,
            Raw::L(l) => l.join(","),
        }))
    }
}

/// The workloads `faultline test` runs (`--workload`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadName {
    /// Read/write/CAS registers over independent keys.
    Register,
    /// Adds of unique elements, then final reads.
    Set,
    /// Transactions of reads and writes (Elle's rw-register).
    RwRegister,
    /// Transactions of reads and appends to lists (Elle's list-append).
    ListAppend,
    /// Transfers between accounts with a fixed total, and reads of every balance.
    Bank,
    /// Acquire, guarded write, read and release of one lock with leases and fencing tokens.
    Lock,
}

impl WorkloadName {
    /// Whether its history is judged by a transactional checker (which takes a consistency model).
    pub fn transactional(self) -> bool {
        matches!(self, WorkloadName::RwRegister | WorkloadName::ListAppend)
    }
}

impl FromStr for WorkloadName {
    type Err = String;
    fn from_str(s: &str) -> Result<WorkloadName, String> {
        match s {
            "register" => Ok(WorkloadName::Register),
            "set" => Ok(WorkloadName::Set),
            "rw-register" => Ok(WorkloadName::RwRegister),
            "list-append" => Ok(WorkloadName::ListAppend),
            "bank" => Ok(WorkloadName::Bank),
            "lock" => Ok(WorkloadName::Lock),
            other => Err(format!("unknown workload {other:?}; faultline runs {}", workloads::NAMES.join(", "))),
        }
    }
}

impl std::fmt::Display for WorkloadName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WorkloadName::Register => "register",
            WorkloadName::Set => "set",
            WorkloadName::RwRegister => "rw-register",
            WorkloadName::ListAppend => "list-append",
            WorkloadName::Bank => "bank",
            WorkloadName::Lock => "lock",
        })
    }
}

/// A value of another crate given by name (`--consistency-model`, `--isolation`), readable
/// from flags and test files alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named<T>(pub T);

impl<T: FromStr<Err = String>> FromStr for Named<T> {
    type Err = String;
    fn from_str(s: &str) -> Result<Named<T>, String> {
        s.parse().map(Named)
    }
}

impl<T: std::fmt::Display> std::fmt::Display for Named<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Fault families of a random schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Families(pub Vec<Family>);

impl FromStr for Families {
    type Err = String;
    fn from_str(s: &str) -> Result<Families, String> {
        if s.trim() == "none" || s.trim().is_empty() {
            return Ok(Families(Vec::new()));
        }
        s.split(',').map(|f| f.parse::<Family>().map_err(|e| e.to_string())).collect::<Result<_, _>>().map(Families)
    }
}

impl std::fmt::Display for Families {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|f| f.name()).collect();
        f.write_str(if names.is_empty() { "none" } else { "" })?;
        f.write_str(&names.join(","))
    }
}

/// The nodes of a test: `--nodes 5` (n1…n5) or a comma-separated list of names (for SSH
/// nodes `NAME=HOST` entries, or host names that are their own node names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeNames(pub Vec<String>);

impl FromStr for NodeNames {
    type Err = String;
    fn from_str(s: &str) -> Result<NodeNames, String> {
        let names: Vec<String> = match s.parse::<usize>() {
            Ok(n) if (1..=200).contains(&n) => (1..=n).map(|i| format!("n{i}")).collect(),
            Ok(n) => return Err(format!("nodes = {n}: use 1 to 200 nodes")),
            Err(_) => s.split(',').map(|n| n.trim().to_string()).collect(),
        };
        for entry in &names {
            let (name, host) = split_node(entry);
            if let Some(host) = host {
                check_host(host)?;
            }
            let ok =
                !name.is_empty() && name.len() <= 12 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                return Err(format!("node name {name:?}: use 1–12 letters, digits or dashes, e.g. n1,n2,n3"));
            }
        }
        let plain: Vec<&str> = names.iter().map(|e| split_node(e).0).collect();
        if let Some((_, twice)) = plain.iter().enumerate().find(|(i, n)| plain[..*i].contains(n)) {
            return Err(format!("node name {twice:?} is listed twice; name each node once"));
        }
        Ok(NodeNames(names))
    }
}

impl std::fmt::Display for NodeNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(","))
    }
}

/// The nodes an inventory names (`NAME=HOST` each), checked as `--nodes` entries are.
fn inventory_nodes(inventory: &[InventoryEntry]) -> Result<NodeNames, String> {
    if inventory.is_empty() {
        return Err("inventory is empty: list the machines, e.g. [{name: n1, host: 10.1.0.5}]".into());
    }
    let entries: Vec<String> = inventory.iter().map(|e| format!("{}={}", e.name, e.host)).collect();
    entries.join(",").parse().map_err(|e| format!("inventory: {e}"))
}

/// Client workers: a number or a multiple of the node count (`2n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    /// Exactly this many.
    Fixed(usize),
    /// This many per node.
    PerNode(usize),
}

impl FromStr for Concurrency {
    type Err = String;
    fn from_str(s: &str) -> Result<Concurrency, String> {
        let bad = || format!("concurrency {s:?}: use a number of workers (10) or a multiple of the nodes (2n)");
        match s.strip_suffix('n') {
            Some(k) => k.parse().ok().filter(|k| *k > 0).map(Concurrency::PerNode).ok_or_else(bad),
            None => s.parse().ok().filter(|k| *k > 0).map(Concurrency::Fixed).ok_or_else(bad),
        }
    }
}

impl std::fmt::Display for Concurrency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Concurrency::Fixed(n) => write!(f, "{n}"),
            Concurrency::PerNode(k) => write!(f, "{k}n"),
        }
    }
}

from_str_de!(WorkloadName);
from_str_de!(Named<ConsistencyModel>);
from_str_de!(Named<Isolation>);
from_str_de!(Families);
from_str_de!(NodeNames);
from_str_de!(Concurrency);
from_str_de!(ProvisionerName);

/// How faults are scheduled.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// Random faults of these families every interval.
    Random(Vec<Family>, Duration),
    /// A scripted schedule from a file.
    Scripted(ScriptedSchedule),
    /// A Chaos Mesh file's experiments, applied at `at` (each run draws its modes' choices).
    Chaos {
        /// The experiments bound to the test's nodes.
        plan: ChaosPlan,
        /// When they are applied.
        at: Duration,
    },
}

impl Schedule {
    /// The fault families it may inject.
    pub fn families(&self) -> Vec<Family> {
        match self {
            Schedule::Random(families, _) => families.clone(),
            Schedule::Scripted(script) => script.steps().iter().filter_map(|s| s.intent.family()).collect(),
            Schedule::Chaos { plan, .. } => plan.families.clone(),
        }
    }
}

/// A random schedule's families when the test names none: partitions (between two nodes or
/// more), kills and pauses, as far as the target can undergo them.
fn default_families(target: &targets::Entry, nodes: usize) -> Families {
    let classic = [Family::Partition, Family::Kill, Family::Pause];
    let apt = |f: &Family| target.supports.faults.contains(f) && (*f != Family::Partition || nodes > 1);
    Families(classic.into_iter().filter(apt).collect())
}

/// A validated test.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The fields as resolved (written to the run folder as the test config).
    pub fields: Fields,
    /// The test's name: its folder in the store.
    pub name: String,
    /// The target's registry entry.
    pub target: &'static targets::Entry,
    /// The options its target is built with.
    pub target_options: TargetOptions,
    /// The nodes' names, in the cluster's order.
    pub nodes: Vec<String>,
    /// What the nodes are.
    pub provisioner: ProvisionerName,
    /// How to reach SSH nodes (with the ssh provisioner).
    pub ssh: Option<SshNodes>,
    /// The workload its clients run.
    pub workload: WorkloadName,
    /// The model a transactional workload's history is judged against.
    pub consistency_model: ConsistencyModel,
    /// How many client workers run at once (spread over the nodes in turn).
    pub concurrency: usize,
    /// How long the workload runs.
    pub time_limit: Duration,
    /// How many runs of the test, one after another (seeds seed, seed + 1, ...).
    pub test_count: u32,
    /// The seed of the first run (run k uses seed + k).
    pub seed: u64,
    /// Target ops per second over all workers.
    pub rate: f64,
    /// The fault schedule.
    pub schedule: Schedule,
    /// The store: run folders go to `<results_dir>/<name>/<stamp>/`.
    pub results_dir: PathBuf,
    /// The chaos experiment's hypothesis, judged per fault after the run.
    pub hypothesis: Option<Hypothesis>,
    /// The abort guard: the availability limit and how long it must be exceeded.
    pub abort_if: Option<(Bound, Duration)>,
}

impl Plan {
    /// Reads the test file (if any), applies the flags over it, fills defaults and validates.
    pub fn new(args: TestArgs) -> Result<Plan, String> {
        let mut f = match &args.file {
            Some(path) => {
                let text = crate::limits::read_text(path)?;
                let mut fields =
                    serde_saphyr::from_str::<Fields>(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                if let Some(guard) = &fields.abort_if {
                    guard.check().map_err(|e| format!("{}: {e}", path.display()))?;
                }
                if let Some(chaos) = &fields.chaos {
                    // Beside the test file; absolute, so the run's test.json finds it from anywhere.
                    let beside = path.parent().unwrap_or(std::path::Path::new(".")).join(chaos);
                    fields.chaos = Some(beside.canonicalize().unwrap_or(beside));
                }
                fields
            }
            None => Fields::default(),
        };
        let flags = args.fields;
        if let (Some(path), Some(name), None) = (&args.file, &f.target, &flags.target) {
            registry::find(name).map_err(|e| format!("{}: target: {e}", path.display()))?;
        }
        macro_rules! over {
            ($($field:ident),*) => { $( if flags.$field.is_some() { f.$field = flags.$field; } )* };
        }
        over!(
            name,
            target,
            workload,
            consistency_model,
            nemesis,
            nemesis_interval,
            nemesis_schedule,
            chaos,
            chaos_at,
            labels,
            nodes,
            provisioner,
            ssh_user,
            ssh_port,
            ssh_key,
            ssh_known_hosts,
            concurrency,
            time_limit,
            test_count,
            seed,
            rate,
            isolation,
            results_dir,
            hypothesis,
            abort_if
        );
        f.serializable |= flags.serializable;
        f.pre_vote |= flags.pre_vote;
        f.accept_new_host_keys |= flags.accept_new_host_keys;
        f.bugs.extend(flags.bugs);
        Plan::from_fields(f)
    }

    /// Checks a name that becomes a folder of the store: not empty, no `/`, not hidden.
    pub fn check_folder_name(name: &str) -> Result<(), String> {
        if name.is_empty() || name.contains('/') || name.starts_with('.') {
            return Err(format!("name {name:?}: use a plain folder name such as etcd-register"));
        }
        Ok(())
    }

    /// Fills defaults into `f` and validates it (a campaign builds its runs' fields itself).
    pub fn from_fields(mut f: Fields) -> Result<Plan, String> {
        let target = registry::find(f.target.get_or_insert_with(|| "etcd".to_string()))?;
        let isolation = f.isolation.map(|Named(i)| i);
        let bugs: Vec<Bug> =
            f.bugs.iter().map(|b| b.parse()).collect::<Result<_, String>>().map_err(|e| format!("bugs: {e}"))?;
        let target_options =
            TargetOptions { serializable: f.serializable, pre_vote: f.pre_vote, isolation, bugs: Bugs::of(&bugs) };
        let built = target.with_options(&target_options)?;
        let workload = *f.workload.get_or_insert(WorkloadName::Register);
        if let Some(inventory) = &f.inventory {
            let listed = inventory_nodes(inventory)?;
            let names = |n: &NodeNames| n.0.iter().map(|e| split_node(e).0.to_string()).collect::<Vec<_>>();
            if f.nodes.as_ref().is_some_and(|given| names(given) != names(&listed)) {
                return Err(format!(
                    "nodes and inventory both name the nodes, differently; leave nodes out (the inventory names {})",
                    names(&listed).join(",")
                ));
            }
            f.nodes = Some(listed);
        }
        let default_nodes = built.max_nodes().unwrap_or(5).min(5);
        let entries =
            f.nodes.get_or_insert_with(|| NodeNames((1..=default_nodes).map(|i| format!("n{i}")).collect())).0.clone();
        let provisioner = *f.provisioner.get_or_insert_default();
        let ssh = SshFields {
            user: f.ssh_user.clone(),
            port: f.ssh_port,
            key: f.ssh_key.clone(),
            known_hosts: f.ssh_known_hosts.clone(),
            accept_new_host_keys: f.accept_new_host_keys,
            inventory: f.inventory.clone(),
        }
        .resolve(provisioner, &entries)?;
        let nodes: Vec<String> = entries.iter().map(|e| split_node(e).0.to_string()).collect();
        let asked = *f.concurrency.get_or_insert(Concurrency::PerNode(2));
        let concurrency = match asked {
            Concurrency::Fixed(n) => Some(n),
            Concurrency::PerNode(k) => k.checked_mul(nodes.len()),
        }
        .filter(|n| *n <= limits::MAX_CONCURRENCY)
        .ok_or_else(|| format!("concurrency = {asked}: use at most {} client workers", limits::MAX_CONCURRENCY))?;
        let time_limit = limits::seconds("time-limit", *f.time_limit.get_or_insert(60.0))?;
        let interval = limits::seconds("nemesis-interval", *f.nemesis_interval.get_or_insert(10.0))?;
        let rate = limits::rate(*f.rate.get_or_insert(50.0))?;
        let test_count = *f.test_count.get_or_insert(1);
        if test_count == 0 || u64::from(test_count) > limits::MAX_RUNS {
            return Err(format!("test-count = {test_count}: run from 1 to {} tests", limits::MAX_RUNS));
        }
        let seed = *f.seed.get_or_insert_with(rand::random);
        if f.chaos.is_none() && (f.labels.is_some() || f.chaos_at.is_some()) {
            return Err(
                "labels, chaos-at: only a chaos file's experiments use them; add chaos: FILE or remove them".into()
            );
        }
        let schedule = match (&f.nemesis_schedule, &f.chaos) {
            (Some(_), Some(_)) => {
                return Err("nemesis-schedule and chaos both give the fault schedule; keep one of them".into())
            }
            (None, Some(path)) => {
                let text = crate::limits::read_text(path)?;
                let file = ChaosFile::parse(&text, &path.display().to_string())?;
                let plan = file.bind(&nodes, f.labels.as_ref().unwrap_or(&NodeLabels::new()))?;
                let at = limits::seconds("chaos-at", *f.chaos_at.get_or_insert(5.0))?;
                if at >= time_limit {
                    return Err(format!(
                        "chaos-at = {}: the run's workload lasts {} s; apply the experiments before it ends",
                        at.as_secs_f64(),
                        time_limit.as_secs_f64()
                    ));
                }
                Schedule::Chaos { plan, at }
            }
            (Some(path), None) => {
                let text = crate::limits::read_text(path)?;
                let scripted = ScriptedSchedule::parse(&text, &path.display().to_string())?;
                let stranger = scripted
                    .steps()
                    .iter()
                    .find_map(|s| s.intent.named_nodes().into_iter().find(|n| !nodes.iter().any(|m| m == n)));
                if let Some(stranger) = stranger {
                    return Err(format!(
                        "{}: names node {stranger}, which is not one of the nodes ({}); name one of them or add it to nodes",
                        path.display(),
                        nodes.join(",")
                    ));
                }
                let cuts_clients = scripted.steps().iter().any(|s| s.intent.cuts_clients());
                if cuts_clients && provisioner != ProvisionerName::Netns {
                    return Err(format!(
                        "{}: cutting the clients off a node would cut faultline's own connection to it on {provisioner} \
                         nodes; cut the clients off only with the netns provisioner",
                        path.display()
                    ));
                }
                Schedule::Scripted(scripted)
            }
            (None, None) => {
                let families = f.nemesis.get_or_insert_with(|| default_families(target, nodes.len()));
                Schedule::Random(families.0.clone(), interval)
            }
        };
        let file = f.chaos.as_ref().or(f.nemesis_schedule.as_ref());
        let source = file.map_or("nemesis".to_string(), |p| p.display().to_string());
        supports(target, workload, &schedule, &source)?;
        let consistency_model = match f.consistency_model {
            Some(_) if !workload.transactional() => {
                return Err(format!(
                    "consistency-model: workload {workload} is not judged by a transactional checker; \
                     leave it out or use list-append or rw-register"
                ))
            }
            Some(Named(model)) => model,
            None => built.consistency_model(),
        };
        if let Some(most) = built.max_nodes().filter(|most| nodes.len() > *most) {
            return Err(format!(
                "nodes = {}: target {} runs on at most {most} node(s); use nodes: {most}",
                nodes.len(),
                target.name
            ));
        }
        let abort_if = match &f.abort_if {
            Some(guard) => Some((guard.check()?, Duration::from_secs_f64(guard.for_s))),
            None => None,
        };
        let name = f.name.get_or_insert_with(|| {
            let mode = match isolation {
                Some(level) => level.name(),
                None if f.serializable => "serializable",
                None => "linearizable",
            };
            let switches: String = bugs.iter().map(|b| format!("-{b}")).collect();
            format!("{}-{workload}-{mode}{switches}", target.name)
        });
        Plan::check_folder_name(name)?;
        Ok(Plan {
            name: name.clone(),
            target,
            target_options,
            nodes,
            provisioner,
            ssh,
            workload,
            consistency_model,
            concurrency,
            time_limit,
            test_count,
            seed,
            rate,
            schedule,
            results_dir: f.results_dir.clone().unwrap_or_else(|| PathBuf::from("store")),
            hypothesis: f.hypothesis.clone(),
            abort_if,
            fields: f,
        })
    }
}

impl Plan {
    /// The system under test, built with the plan's options.
    pub fn target(&self) -> Box<dyn Target> {
        (self.target.build)(&self.target_options)
    }

    /// The target's name.
    pub fn target_name(&self) -> &'static str {
        self.target.name
    }
}

/// Refuses what `target` cannot run: the workload, a fault family of the schedule, an intent
/// that needs a leader from a target that cannot tell one. Each message names what it supports,
/// and a schedule's refusal names where the schedule came from (`source`).
fn supports(target: &targets::Entry, workload: WorkloadName, schedule: &Schedule, source: &str) -> Result<(), String> {
    let can = &target.supports;
    if !can.workloads.contains(&workload.to_string().as_str()) {
        return Err(format!(
            "target {} does not run workload {workload}; it runs: {}",
            target.name,
            list(can.workloads)
        ));
    }
    // Link and resource faults act on the node, whatever runs there.
    let undergoes = |f: &Family| can.faults.contains(f) || Family::NODE.contains(f);
    if let Some(family) = schedule.families().into_iter().find(|f| !undergoes(f)) {
        let names: Vec<&str> = can.faults.iter().chain(&Family::NODE).map(|f| f.name()).collect();
        let why = match family {
            Family::Clock => {
                " (clock faults work through libfaketime, which reaches only programs that read the clock \
                 through libc; a Go program such as etcd does not)"
            }
            _ => "",
        };
        return Err(format!(
            "{source}: target {} cannot undergo {family} faults{why}; it supports: {}",
            target.name,
            list(&names)
        ));
    }
    if let Schedule::Scripted(script) = schedule {
        let leader = script.steps().iter().find(|s| s.intent.needs_leader()).map(|s| &s.intent);
        if let (Some(intent), false) = (leader, can.leader) {
            return Err(format!(
                "{source}: target {} cannot tell which node leads, so `{intent}` cannot run",
                target.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan of a test file holding `text` (each call its own file: tests run in parallel).
    fn file(text: &str) -> Result<Plan, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.yaml");
        std::fs::write(&path, text).unwrap();
        Plan::new(TestArgs { file: Some(path), fields: Fields::default() })
    }

    #[test]
    fn defaults_follow_jepsen() {
        let plan = Plan::new(TestArgs::default()).unwrap();
        assert_eq!(plan.nodes, ["n1", "n2", "n3", "n4", "n5"]);
        assert_eq!(plan.concurrency, 10);
        assert!(matches!(plan.schedule, Schedule::Random(ref f, _) if f.len() == 3));
    }

    #[test]
    fn files_are_read_and_bad_fields_are_named_with_their_line() {
        let plan =
            file("time-limit: 20\nnodes: 3\nconcurrency: 2n\nnemesis: partition,kill\nserializable: true\n").unwrap();
        assert_eq!((plan.nodes.len(), plan.concurrency), (3, 6));
        assert_eq!(plan.name, "etcd-register-serializable");
        let err = file("time-limit: 20\ntimelimit: 3\n").unwrap_err();
        assert!(err.contains("timelimit") && err.contains("line 2"), "{err}");
        let err = file("time-limit: 20\nnemesis: partition,netem\n").unwrap_err();
        assert!(err.contains("netem qdisc, which this kernel lacks") && err.contains("line 2"), "{err}");
        let err = file("time-limit: 20\nnemesis: partition,clock\n").unwrap_err();
        assert!(err.contains("etcd cannot undergo clock faults") && err.contains("libfaketime"), "{err}");
        let plan = file("target: own\nnemesis: clock\n").unwrap();
        assert_eq!(plan.schedule.families(), [Family::Clock]);
        let plan = file("target: postgres\nworkload: bank\n").unwrap();
        assert_eq!(
            plan.schedule.families(),
            [Family::Kill, Family::Pause],
            "the default, narrowed to what it supports"
        );
        let err = file("concurrency: lots\n").unwrap_err();
        assert!(err.contains("2n") && err.contains("line 1"), "{err}");
        assert!(file("time-limit: -1\n").unwrap_err().contains("above 0"));
    }

    #[test]
    fn the_consistency_model_defaults_to_the_targets_promise_and_only_judges_transactions() {
        let plan = file("workload: list-append\n").unwrap();
        assert_eq!(plan.consistency_model, ConsistencyModel::StrictSerializable);
        let plan = file("workload: rw-register\nconsistency-model: read-committed\n").unwrap();
        assert_eq!(plan.consistency_model, ConsistencyModel::ReadCommitted);
        let err = file("workload: bank\nconsistency-model: serializable\n").unwrap_err();
        assert!(err.contains("consistency-model") && err.contains("bank"), "{err}");
        assert!(file("workload: list-append\nconsistency-model: sorta\n").unwrap_err().contains("line 2"));
    }

    #[test]
    fn hypotheses_and_abort_guards_are_read_and_bad_bounds_named_with_the_file_and_field() {
        let plan = file("hypothesis: {availability: \">= 0.9\", p99-ms: \"<= 500\", recovery-s: \"<= 10\"}\nabort-if: {availability: \"< 0.5\", for-s: 10}\n").unwrap();
        let h = plan.hypothesis.unwrap();
        assert_eq!(h.p99_ms.unwrap().to_string(), "<= 500");
        assert_eq!(plan.abort_if.map(|(b, d)| (b.to_string(), d)), Some(("< 0.5".into(), Duration::from_secs(10))));
        let err = file("time-limit: 5\nhypothesis: {availability: \"at least 0.9\"}\n").unwrap_err();
        let first = err.lines().next().unwrap();
        assert!(first.contains("test.yaml") && first.contains("hypothesis.availability"), "{err}");
        assert!(first.contains("line 2") && first.contains("\">= 0.9\""), "{err}");
        let err = file("hypothesis: {availabilty: \">= 0.9\"}\n").unwrap_err();
        assert!(err.contains("availabilty"), "{err}");
        let err = file("abort-if: {availability: \"< 0.5\", for-s: -3}\n").unwrap_err();
        assert!(err.contains("test.yaml") && err.contains("abort-if.for-s"), "{err}");
    }

    #[test]
    fn the_provisioner_defaults_to_namespaces_and_an_unknown_one_is_named_with_its_line() {
        assert_eq!(file("time-limit: 5\n").unwrap().provisioner, ProvisionerName::Netns);
        assert_eq!(file("provisioner: netns\n").unwrap().provisioner, ProvisionerName::Netns);
        let err = file("time-limit: 5\nprovisioner: vagrant\n").unwrap_err();
        assert!(err.contains("test.yaml") && err.contains("line 2") && err.contains("unknown provisioner"), "{err}");
    }

    #[test]
    fn the_clients_are_cut_off_only_on_namespace_nodes() {
        let dir = tempfile::tempdir().unwrap();
        let cut = dir.path().join("cut.yaml");
        std::fs::write(&cut, "- {at: 1, do: partition clients -> n1}\n").unwrap();
        let test = |provisioner: &str| {
            let path = dir.path().join("test.yaml");
            let nodes = "nodes: n1=198.18.0.11,n2=198.18.0.12,n3=198.18.0.13\n";
            let schedule = format!("nemesis-schedule: {}\n", cut.display());
            std::fs::write(&path, format!("provisioner: {provisioner}\n{nodes}{schedule}")).unwrap();
            Plan::new(TestArgs { file: Some(path), fields: Fields::default() })
        };
        let err = test("ssh").unwrap_err();
        assert!(err.contains("cut.yaml") && err.contains("own connection") && err.contains("netns"), "{err}");
    }

    #[test]
    fn an_inventory_in_the_test_file_names_the_nodes_and_their_machines() {
        let inventory = "provisioner: ssh\nssh-user: ops\ninventory:\n  - {name: db1, host: 10.1.0.5}\n  \
                         - {name: db2, host: db2.lan, port: 2222, user: admin, key: /keys/admin, sudo: true}\n";
        let plan = file(inventory).unwrap();
        assert_eq!(plan.nodes, ["db1", "db2"]);
        let machines = plan.ssh.unwrap().machines;
        let got: Vec<(&str, u16, &str, bool)> =
            machines.iter().map(|m| (m.host.as_str(), m.port, m.user.as_str(), m.sudo)).collect();
        assert_eq!(got, [("10.1.0.5", 22, "ops", true), ("db2.lan", 2222, "admin", true)]);
        let err = file(&format!("{inventory}nodes: n1,n2\n")).unwrap_err();
        assert!(err.contains("nodes and inventory") && err.contains("db1,db2"), "{err}");
        let err = file("provisioner: ssh\ninventory:\n  - {name: db1, host: 10.1.0.5, password: x}\n").unwrap_err();
        assert!(err.contains("password"), "{err}");
        let err = file("provisioner: ssh\ninventory:\n  - {name: db1, host: '-oProxyCommand=x'}\n").unwrap_err();
        assert!(err.starts_with("inventory: node host"), "{err}");
    }

    #[test]
    fn a_chaos_file_beside_the_test_file_is_the_schedule_and_its_fields_need_it() {
        let dir = tempfile::tempdir().unwrap();
        let chaos = "apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: p}\nspec:\n  action: pod-failure\n  mode: all\n  selector: {labelSelectors: {role: db}}\n  duration: 3s\n";
        std::fs::write(dir.path().join("kill.yaml"), chaos).unwrap();
        let test = |text: &str| {
            let path = dir.path().join("test.yaml");
            std::fs::write(&path, text).unwrap();
            Plan::new(TestArgs { file: Some(path), fields: Fields::default() })
        };
        let plan =
            test("nodes: 3\ntime-limit: 10\nchaos: kill.yaml\nlabels: {n1: {role: db}, n3: {role: db}}\n").unwrap();
        let Schedule::Chaos { plan: chaos, at } = &plan.schedule else { panic!("{:?}", plan.schedule) };
        let steps: Vec<String> = chaos.schedule(*at, 1).steps().iter().map(|s| s.intent.to_string()).collect();
        assert_eq!(
            (steps, *at),
            (vec!["kill n1 n3".to_string(), "heal kill n1 n3".to_string()], Duration::from_secs(5))
        );
        assert!(plan.fields.chaos.unwrap().is_absolute(), "test.json finds it from anywhere");
        let err = test("labels: {n1: {role: db}}\n").unwrap_err();
        assert!(err.contains("labels, chaos-at: only a chaos file"), "{err}");
        let err = test("chaos: kill.yaml\nnemesis-schedule: s.yaml\n").unwrap_err();
        assert!(err.contains("keep one"), "{err}");
        let err = test("time-limit: 4\nchaos: kill.yaml\nlabels: {n1: {role: db}}\n").unwrap_err();
        assert!(err.contains("chaos-at = 5"), "{err}");
        let err = test("chaos: kill.yaml\nlabels: {n1: {role: web}}\n").unwrap_err();
        assert!(
            err.contains("kill.yaml: document 1 (PodChaos p): spec.selector: labels role=db match no node"),
            "{err}"
        );
        let err = test("chaos: kill.yaml\nlabels: {n1: [db]}\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn postgres_runs_on_one_node_at_the_isolation_asked_and_is_judged_against_serializable() {
        let plan =
            file("target: postgres\nworkload: list-append\nisolation: repeatable-read\nnemesis: kill\n").unwrap();
        assert_eq!((plan.nodes.len(), plan.name.as_str()), (1, "postgres-list-append-repeatable-read"));
        assert_eq!(plan.target_options.isolation, Some(Isolation::RepeatableRead));
        assert_eq!(plan.consistency_model, ConsistencyModel::Serializable);
        let err = file("target: postgres\nworkload: bank\nnodes: 3\nnemesis: kill\n").unwrap_err();
        assert!(err.contains("at most 1 node"), "{err}");
        let err = file("target: etcd\nisolation: serializable\n").unwrap_err();
        assert!(err.contains("does not take option isolation"), "{err}");
        assert!(file("target: postgres\nworkload: bank\nisolation: snapshot\nnemesis: kill\n")
            .unwrap_err()
            .contains("line 3"));
        let err = file("target: postgres\nworkload: register\n").unwrap_err();
        assert!(err.contains("does not run workload register"), "{err}");
    }

    #[test]
    fn the_target_comes_from_the_registry_and_refuses_what_it_cannot_run() {
        let err = file("target: nosuch\n").unwrap_err();
        assert!(err.contains("nosuch") && err.contains("etcd"), "{err}");
        let plan = file("target: etcd\npre-vote: true\n").unwrap();
        assert_eq!((plan.target_name(), plan.target().name()), ("etcd", "etcd"));
        let limited = targets::Entry {
            supports: targets::Supports {
                workloads: &["set"],
                leader: false,
                faults: &[Family::Kill],
                options: &[],
                bugs: &[],
            },
            ..*plan.target
        };
        let random = |f: Vec<Family>| Schedule::Random(f, Duration::from_secs(1));
        let err = supports(&limited, WorkloadName::Register, &random(vec![]), "nemesis").unwrap_err();
        assert!(err.contains("does not run workload register; it runs: set"), "{err}");
        let err =
            supports(&limited, WorkloadName::Set, &random(vec![Family::Kill, Family::Pause]), "nemesis").unwrap_err();
        assert!(err.contains("pause faults; it supports: kill"), "{err}");
        let script = ScriptedSchedule::parse("- {at: 1, do: kill leader}\n", "s.yaml").unwrap();
        let err = supports(&limited, WorkloadName::Set, &Schedule::Scripted(script), "s.yaml").unwrap_err();
        assert!(err.starts_with("s.yaml: ") && err.contains("kill leader"), "{err}");
        assert!(supports(&limited, WorkloadName::Set, &random(vec![Family::Kill]), "nemesis").is_ok());
    }
}
