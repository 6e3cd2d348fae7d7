//! Chaos Mesh experiment files as a schedule source: the `NetworkChaos`, `PodChaos`,
//! `TimeChaos` and `StressChaos` documents teams already keep, read into faultline intents.
//!
//! A file's documents are applied together, as `kubectl apply -f` would: each is injected at
//! the run's chaos start and healed (only its own faults) after its `duration` (no duration:
//! at the end of the run). Selectors pick nodes through the labels the test file gives them
//! (`labelSelectors`, every pair must match) or by name (`pods: {ns: [n1]}`); `mode` and
//! `value` then choose among the matches with the run's seed, as Chaos Mesh does at random.
//! Namespaces are ignored: faultline's nodes live in no Kubernetes namespace. Whatever cannot
//! be honoured is refused with the file, the document, the field and the reason.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value};

use crate::intent::{Cut, Family, Intent, PartitionShape, Rate, Who};
use crate::schedule::{ScheduleStep, ScriptedSchedule, MAX_SECONDS};

/// Each node's labels, as the test file gives them: `{n1: {app.kubernetes.io/component: database}}`.
pub type NodeLabels = BTreeMap<String, BTreeMap<String, String>>;

/// Mixed into the run's seed for the choices of `mode` ("chao" in ASCII), so they do not repeat
/// the draws of the client generator or of resolution.
const MODE_SEED_SALT: u64 = 0x6368_616f;

/// How long a killed pod stays down under `pod-kill`: its controller recreates it at once.
pub const POD_KILL_DOWN: Duration = Duration::from_secs(1);

/// How many of the matching nodes a selector takes (`spec.mode` and `spec.value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One at random.
    One,
    /// Every match.
    All,
    /// This many at random (all when fewer match).
    Fixed(usize),
    /// This percentage of the matches, rounded down, at random.
    FixedPercent(u32),
    /// A random percentage from 0 to this, rounded down, at random.
    RandomMaxPercent(u32),
}

/// Which nodes a selector matches, before its mode chooses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// Label pairs a node must all carry.
    pub labels: BTreeMap<String, String>,
    /// Node names (`pods:`); empty when the selector names none.
    pub names: Vec<String>,
    /// How many of the matches to take.
    pub mode: Mode,
}

/// The direction a partition drops (`spec.direction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// What the selected nodes send to the target is dropped.
    To,
    /// What the target sends to the selected nodes is dropped.
    From,
    /// Both.
    Both,
}

/// What one experiment does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChaosFault {
    /// `NetworkChaos` `partition`: cut the selected nodes from the target's (or from every other
    /// node when there is no target).
    Partition {
        /// The nodes whose traffic is cut.
        selector: Selector,
        /// The nodes on the other side.
        target: Option<Selector>,
        /// Which way.
        direction: Direction,
    },
    /// `PodChaos` `pod-kill` (restarted after [`POD_KILL_DOWN`]) or `pod-failure` (down for
    /// the duration).
    Kill {
        /// The nodes killed.
        selector: Selector,
        /// `pod-kill`: restarted at once, whatever the duration.
        restart_at_once: bool,
    },
    /// `NetworkChaos` `loss` and `bandwidth`, `StressChaos`, `TimeChaos`: faults of the chosen
    /// nodes themselves.
    OnNodes {
        /// The nodes they act on.
        selector: Selector,
        /// The faults, written for every node (`Who::All`); the schedule narrows each to the
        /// chosen nodes.
        faults: Vec<Intent>,
    },
}

/// One document of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Experiment {
    /// Its place in the file (from 1).
    pub document: usize,
    /// `kind metadata.name`, for messages.
    pub label: String,
    /// What it does.
    pub fault: ChaosFault,
    /// How long it lasts; `None`: until the run ends.
    pub duration: Option<Duration>,
}

/// A Chaos Mesh file read and checked: its experiments, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaosFile {
    /// The file as given, for messages.
    pub file: String,
    /// Every experiment.
    pub experiments: Vec<Experiment>,
}

/// A field of a document: its dotted path, for messages.
struct Field<'a> {
    path: String,
    map: Map<String, Value>,
    refuse: &'a dyn Fn(&str, String) -> String,
}

impl<'a> Field<'a> {
    fn new(path: &str, value: Value, refuse: &'a dyn Fn(&str, String) -> String) -> Result<Field<'a>, String> {
        match value {
            Value::Object(map) => Ok(Field { path: path.to_string(), map, refuse }),
            other => Err(refuse(path, format!("must be a mapping, not {}", kind_of(&other)))),
        }
    }

    fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn err(&self, key: &str, reason: impl Into<String>) -> String {
        (self.refuse)(&self.at(key), reason.into())
    }

    fn take(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key).filter(|v| !v.is_null())
    }

    fn string(&mut self, key: &str) -> Result<Option<String>, String> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(self.err(key, format!("must be a string, not {}", kind_of(&other)))),
        }
    }

    fn required(&mut self, key: &str, fix: &str) -> Result<String, String> {
        self.string(key)?.ok_or_else(|| self.err(key, format!("missing; {fix}")))
    }

    fn child(&mut self, key: &str) -> Result<Option<Field<'a>>, String> {
        let path = self.at(key);
        self.take(key).map(|v| Field::new(&path, v, self.refuse)).transpose()
    }

    /// Refuses the first field left over: faultline does not know it.
    fn done(self) -> Result<(), String> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(key) => Err(self.err(key, unsupported(key))),
        }
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Why a field faultline does not read is refused.
fn unsupported(key: &str) -> String {
    match key {
        "scheduler" | "schedule" => {
            "cron schedules are not supported: faultline applies each experiment once, at chaos-at; remove it".into()
        }
        "expressionSelectors"
        | "nodeSelectors"
        | "fieldSelectors"
        | "annotationSelectors"
        | "podPhaseSelectors"
        | "nodes" => "not supported: select nodes with labelSelectors (the labels the test file gives nodes) or \
                      pods (node names)"
            .into(),
        "externalTargets" => "not supported: faultline's nodes reach nothing outside the cluster; remove it".into(),
        "device" | "targetDevice" => "not supported: faultline cuts whole nodes, not one device; remove it".into(),
        "containerNames" => "not supported: a faultline node runs one target process, not containers; remove it".into(),
        "remoteCluster" => "not supported: faultline tests one cluster; remove it".into(),
        _ => "not supported by faultline; remove it".into(),
    }
}

/// Faults faultline cannot honour yet, by `kind` or `spec.action`.
fn unavailable(what: &str) -> Option<&'static str> {
    Some(match what {
        "netem" | "duplicate" | "corrupt" => "needs netem, which this kernel does not have",
        "container-kill" => "is not supported: a faultline node runs one target process, not containers; use pod-kill",
        _ => return None,
    })
}

/// A Go duration (`60s`, `1m30s`, `500ms`, `2h`), at most a week.
pub fn go_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration; write one such as 30s, 1m30s or 500ms");
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0.0f64;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        let number: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += number * scale;
        rest = &rest[unit..];
    }
    if !(total > 0.0 && total <= MAX_SECONDS) {
        return Err(format!("{text:?}: use a duration above 0 and at most a week"));
    }
    Ok(Duration::from_secs_f64(total))
}

fn mode(spec: &mut Field) -> Result<Mode, String> {
    let fix = "use one, all, fixed, fixed-percent or random-max-percent";
    let name = spec.required("mode", fix)?;
    let value = spec.string("value")?.filter(|v| !v.trim().is_empty());
    let number = |most: u64| -> Result<u64, String> {
        let v = value.as_deref().ok_or_else(|| spec.err("value", format!("missing; mode {name} needs a value")))?;
        v.trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=most).contains(n))
            .ok_or_else(|| spec.err("value", format!("{v:?}: mode {name} takes a whole number from 1 to {most}")))
    };
    let mode = match name.as_str() {
        "one" => Mode::One,
        "all" => Mode::All,
        "fixed" => Mode::Fixed(number(10_000)? as usize),
        "fixed-percent" => Mode::FixedPercent(number(100)? as u32),
        "random-max-percent" => Mode::RandomMaxPercent(number(100)? as u32),
        other => return Err(spec.err("mode", format!("{other:?}: {fix}"))),
    };
    if let (Mode::One | Mode::All, Some(v)) = (mode, &value) {
        return Err(spec.err("value", format!("{v:?}: mode {name} takes no value; remove it")));
    }
    Ok(mode)
}

/// A `selector:` with the `mode`/`value` beside it in `owner` (spec, or spec.target).
fn read_selector(owner: &mut Field) -> Result<Selector, String> {
    let mut sel = owner.child("selector")?.ok_or_else(|| owner.err("selector", "missing; say which nodes"))?;
    let mode = mode(owner)?;
    let check_strings = |sel: &Field, key: &str, value: &Value| -> Result<(), String> {
        match value {
            Value::Array(items) if items.iter().all(Value::is_string) => Ok(()),
            _ => Err(sel.err(key, "must be a list of names")),
        }
    };
    // Ignored: faultline's nodes live in no namespace.
    if let Some(ns) = sel.take("namespaces") {
        check_strings(&sel, "namespaces", &ns)?;
    }
    let mut labels = BTreeMap::new();
    if let Some(mut pairs) = sel.child("labelSelectors")? {
        for (key, value) in std::mem::take(&mut pairs.map) {
            match value {
                Value::String(v) => labels.insert(key, v),
                Value::Number(n) => labels.insert(key, n.to_string()),
                Value::Bool(b) => labels.insert(key, b.to_string()),
                other => return Err(pairs.err(&key, format!("must be a label value, not {}", kind_of(&other)))),
            };
        }
    }
    let mut names = Vec::new();
    if let Some(mut pods) = sel.child("pods")? {
        for (ns, list) in std::mem::take(&mut pods.map) {
            check_strings(&pods, &ns, &list)?;
            names.extend(list.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string));
        }
    }
    if labels.is_empty() && names.is_empty() {
        return Err(sel.err("labelSelectors", "missing; select nodes by labelSelectors or pods"));
    }
    sel.done()?;
    Ok(Selector { labels, names, mode })
}

fn network(spec: &mut Field) -> Result<ChaosFault, String> {
    let action = spec.required("action", "use partition, loss, delay or bandwidth")?;
    if let Some(why) = unavailable(&action) {
        return Err(spec.err("action", format!("{action} {why}")));
    }
    let fault = match action.as_str() {
        "partition" => return partition(spec),
        "loss" => loss(spec)?,
        "delay" => delay(spec)?,
        "bandwidth" => bandwidth(spec)?,
        other => {
            return Err(spec.err("action", format!("{other:?}: faultline honours partition, loss, delay and bandwidth")))
        }
    };
    // faultline's loss and limit act on all a node sends; Chaos Mesh's default direction.
    if let Some(direction) = spec.string("direction")?.filter(|d| d != "to") {
        return Err(
            spec.err("direction", format!("{direction:?}: {action} acts on what the selected nodes send; use to"))
        );
    }
    if spec.take("target").is_some() {
        return Err(spec.err("target", format!("{action} acts on all the selected nodes send; remove the target")));
    }
    Ok(ChaosFault::OnNodes { selector: read_selector(spec)?, faults: vec![fault] })
}

/// `spec.loss: {loss: "25", correlation: "0"}`: a share of the packets lost at random.
fn loss(spec: &mut Field) -> Result<Intent, String> {
    let mut loss = spec.child("loss")?.ok_or_else(|| spec.err("loss", "missing; write loss: {loss: \"25\"}"))?;
    let text = loss.required("loss", "the percentage of packets to lose, such as \"25\"")?;
    let percent = text
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|p| (1.0..=100.0).contains(p) && p.fract() == 0.0)
        .ok_or_else(|| loss.err("loss", format!("{text:?}: write a whole percentage from 1 to 100")))?;
    if let Some(c) = loss.string("correlation")?.filter(|c| c.trim().parse::<f64>() != Ok(0.0)) {
        return Err(loss.err("correlation", format!("{c:?}: correlated loss needs netem; use 0 or remove it")));
    }
    loss.done()?;
    Ok(Intent::Loss(Who::All, percent as u8))
}

/// `spec.delay: {latency: 100ms, jitter: 10ms}`: what a node sends held that long, give or take.
fn delay(spec: &mut Field) -> Result<Intent, String> {
    let mut delay = spec
        .child("delay")?
        .ok_or_else(|| spec.err("delay", "missing; write delay: {latency: 100ms, jitter: 10ms}"))?;
    let millis = |f: &mut Field, key: &str, text: &str| -> Result<u32, String> {
        go_duration(text)
            .ok()
            .map(|d| d.as_millis())
            .filter(|ms| (1..=60_000).contains(ms))
            .map(|ms| ms as u32)
            .ok_or_else(|| f.err(key, format!("{text:?}: write whole milliseconds up to a minute, such as 100ms")))
    };
    let text = delay.required("latency", "such as 100ms")?;
    let ms = millis(&mut delay, "latency", &text)?;
    let jitter = match delay.string("jitter")? {
        Some(text) if go_duration(&text).is_ok_and(|d| d.is_zero()) || text.trim() == "0" => 0,
        Some(text) => millis(&mut delay, "jitter", &text)?,
        None => 0,
    };
    if jitter > ms {
        return Err(delay.err("jitter", format!("{jitter}ms above the latency {ms}ms; keep it at most the latency")));
    }
    if let Some(c) = delay.string("correlation")?.filter(|c| c.trim().parse::<f64>() != Ok(0.0)) {
        return Err(delay.err("correlation", format!("{c:?}: correlated delay needs netem; use 0 or remove it")));
    }
    if delay.take("reorder").is_some() {
        return Err(delay.err("reorder", "netem's reorder is not supported; jitter reorders packets; remove it"));
    }
    delay.done()?;
    Ok(Intent::Delay(Who::All, ms, jitter))
}

/// A Chaos Mesh rate: a number and `bit`, `kbit`, `mbit`, `gbit`, or `bps`, `kbps`, `mbps`,
/// `gbps` (bytes per second).
fn chaos_rate(text: &str) -> Option<Rate> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let number: u64 = text[..split].parse().ok()?;
    let bits: u64 = match &text[split..] {
        "bit" => 1,
        "kbit" => 1_000,
        "mbit" => 1_000_000,
        "gbit" => 1_000_000_000,
        "bps" => 8,
        "kbps" => 8_000,
        "mbps" => 8_000_000,
        "gbps" => 8_000_000_000,
        _ => return None,
    };
    let kbit = u32::try_from(number.checked_mul(bits)? / 1_000).ok()?;
    (kbit >= 8).then_some(Rate { kbit })
}

/// `spec.bandwidth: {rate: 1mbps, limit: 20971520, buffer: 10000}`: what a node sends, limited.
/// faultline sizes the bucket and the queue itself (a 64 KiB bucket, which a veth's offloads
/// need, and at most 400 ms queued), so `limit` and `buffer` are read and not applied.
fn bandwidth(spec: &mut Field) -> Result<Intent, String> {
    let fix = "write bandwidth: {rate: 1mbps, limit: 20971520, buffer: 10000}";
    let mut bw = spec.child("bandwidth")?.ok_or_else(|| spec.err("bandwidth", format!("missing; {fix}")))?;
    let text = bw.required("rate", "such as 1mbps or 512kbit")?;
    let rate = chaos_rate(text.trim()).ok_or_else(|| {
        bw.err(
            "rate",
            format!(
                "{text:?}: write a whole number and bit, kbit, mbit, gbit, bps, kbps, mbps or gbps, at least 8kbit"
            ),
        )
    })?;
    for key in ["limit", "buffer"] {
        if let Some(v) = bw.string(key)?.filter(|v| v.trim().parse::<u64>().is_err()) {
            return Err(bw.err(key, format!("{v:?}: write a whole number of bytes")));
        }
    }
    for key in ["peakrate", "minburst"] {
        if bw.take(key).is_some() {
            return Err(bw.err(key, "a second bucket is not supported: faultline limits one rate; remove it"));
        }
    }
    bw.done()?;
    Ok(Intent::Bandwidth(Who::All, rate))
}

/// `StressChaos`: `stressors: {cpu: {workers: 2, load: 100}, memory: {workers: 1, size: 256MB}}`.
fn stress(spec: &mut Field) -> Result<ChaosFault, String> {
    let mut stressors = spec
        .child("stressors")?
        .ok_or_else(|| spec.err("stressors", "missing; write stressors: {cpu: {workers: 1}}"))?;
    let mut faults = Vec::new();
    let workers = |f: &mut Field| -> Result<u32, String> {
        let text = f.required("workers", "how many, such as 1")?;
        text.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=64).contains(n))
            .ok_or_else(|| f.err("workers", format!("{text:?}: write a whole number from 1 to 64")))
    };
    if let Some(mut cpu) = stressors.child("cpu")? {
        let n = workers(&mut cpu)?;
        if let Some(load) = cpu.string("load")?.filter(|l| l.trim() != "100") {
            return Err(
                cpu.err("load", format!("{load}: faultline's workers are busy all the time; use 100 or remove it"))
            );
        }
        cpu.done()?;
        faults.push(Intent::Cpu(Who::All, n as u8));
    }
    if let Some(mut memory) = stressors.child("memory")? {
        let n = workers(&mut memory)?;
        let text = memory.required("size", "such as 256MB or 1GB")?;
        let mb = mebibytes(text.trim())
            .and_then(|mb| mb.checked_mul(n))
            .filter(|mb| (1..=64 * 1024).contains(mb))
            .ok_or_else(|| {
                memory.err(
                    "size",
                    format!("{text:?}: write a size in MB or GB (at most 64 GB in all workers), such as 256MB"),
                )
            })?;
        memory.done()?;
        faults.push(Intent::Memory(Who::All, mb));
    }
    if faults.is_empty() {
        return Err(stressors.err("cpu", "missing; give a cpu or memory stressor"));
    }
    stressors.done()?;
    if spec.take("stressngStressors").is_some() {
        return Err(spec.err("stressngStressors", "stress-ng options are not supported; use stressors"));
    }
    Ok(ChaosFault::OnNodes { selector: read_selector(spec)?, faults })
}

/// A size as Chaos Mesh's memory stressor takes it (`256MB`, `1GB`, `512MiB`), in MiB.
fn mebibytes(text: &str) -> Option<u32> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let number: u32 = text[..split].parse().ok()?;
    match text[split..].to_ascii_uppercase().as_str() {
        "MB" | "MIB" | "M" => Some(number),
        "GB" | "GIB" | "G" => number.checked_mul(1024),
        _ => None,
    }
}

/// `TimeChaos`: `timeOffset: "-10m"` on `CLOCK_REALTIME`, as a clock bump.
fn time(spec: &mut Field) -> Result<ChaosFault, String> {
    let text = spec.required("timeOffset", "such as -10m or 30s")?;
    let (sign, magnitude) = match text.trim().strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, text.trim().trim_start_matches('+')),
    };
    let seconds = go_duration(magnitude)
        .map(|d| (sign * d.as_secs_f64()).round() as i64)
        .ok()
        .filter(|s| *s != 0 && s.abs() <= 86_400)
        .ok_or_else(|| {
            spec.err(
                "timeOffset",
                format!("{text:?}: write an offset of whole seconds up to a day, such as -10m or 30s"),
            )
        })?;
    if let Some(ids) = spec.take("clockIds") {
        if ids != Value::Array(vec![Value::String("CLOCK_REALTIME".into())]) {
            return Err(spec.err("clockIds", "faultline moves the wall clock only; use [CLOCK_REALTIME] or remove it"));
        }
    }
    Ok(ChaosFault::OnNodes { selector: read_selector(spec)?, faults: vec![Intent::ClockBump(Who::All, seconds)] })
}

/// `NetworkChaos` `partition`.
fn partition(spec: &mut Field) -> Result<ChaosFault, String> {
    let selector = read_selector(spec)?;
    let direction = match spec.string("direction")?.as_deref() {
        None | Some("to") => Direction::To,
        Some("from") => Direction::From,
        Some("both") => Direction::Both,
        Some(other) => return Err(spec.err("direction", format!("{other:?}: use to, from or both"))),
    };
    let target = match spec.child("target")? {
        Some(mut target) => {
            if !target.map.contains_key("mode") {
                // Chaos Mesh files often leave the target's mode out; every match is the target.
                target.map.insert("mode".into(), Value::String("all".into()));
            }
            let sel = read_selector(&mut target)?;
            target.done()?;
            Some(sel)
        }
        None => None,
    };
    Ok(ChaosFault::Partition { selector, target, direction })
}

fn pod(spec: &mut Field) -> Result<ChaosFault, String> {
    let action = spec.required("action", "use pod-kill or pod-failure")?;
    if let Some(why) = unavailable(&action) {
        return Err(spec.err("action", format!("{action} {why}")));
    }
    let restart_at_once = match action.as_str() {
        "pod-kill" => true,
        "pod-failure" => false,
        other => return Err(spec.err("action", format!("{other:?}: use pod-kill or pod-failure"))),
    };
    if let Some(grace) = spec.string("gracePeriod")? {
        if grace.trim() != "0" {
            return Err(
                spec.err("gracePeriod", format!("{grace}: faultline kills with SIGKILL at once; use 0 or remove it"))
            );
        }
    }
    Ok(ChaosFault::Kill { selector: read_selector(spec)?, restart_at_once })
}

fn document(value: Value, document: usize, file: &str) -> Result<Experiment, String> {
    let name = value.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("unnamed").to_string();
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or("").to_string();
    let label = format!("{kind} {name}").trim().to_string();
    if !value.is_object() {
        return Err(format!(
            "{file}: document {document}: must be a mapping (a Chaos Mesh experiment), not {}",
            kind_of(&value)
        ));
    }
    let refuse = |field: &str, reason: String| format!("{file}: document {document} ({label}): {field}: {reason}");
    let mut doc = Field::new("", value, &refuse)?;
    let api = doc.required("apiVersion", "use chaos-mesh.org/v1alpha1")?;
    if api != "chaos-mesh.org/v1alpha1" {
        return Err(doc.err("apiVersion", format!("{api:?}: faultline reads chaos-mesh.org/v1alpha1")));
    }
    let kind = doc.required("kind", "use NetworkChaos or PodChaos")?;
    // Kubernetes bookkeeping (name, namespace, labels): nothing to honour.
    doc.take("metadata");
    if let Some(why) = unavailable(&kind) {
        return Err(doc.err("kind", format!("{kind} {why}")));
    }
    let mut spec = doc.child("spec")?.ok_or_else(|| doc.err("spec", "missing"))?;
    let fault = match kind.as_str() {
        "NetworkChaos" => network(&mut spec)?,
        "PodChaos" => pod(&mut spec)?,
        "StressChaos" => stress(&mut spec)?,
        "TimeChaos" => time(&mut spec)?,
        "Schedule" | "Workflow" => {
            return Err(doc.err(
                "kind",
                format!("{kind}: not supported: faultline applies each experiment once; list plain experiments"),
            ))
        }
        other => {
            return Err(doc.err("kind", format!("{other:?}: use NetworkChaos, PodChaos, TimeChaos or StressChaos")))
        }
    };
    let duration = match spec.string("duration")? {
        Some(text) => Some(go_duration(&text).map_err(|e| spec.err("duration", e))?),
        None => None,
    };
    spec.done()?;
    doc.done()?;
    Ok(Experiment { document, label, fault, duration })
}

impl ChaosFile {
    /// Reads the documents of a Chaos Mesh file (`---` between them); the first one faultline
    /// cannot honour is refused in one line naming `file`, the document, the field and why.
    pub fn parse(text: &str, file: &str) -> Result<ChaosFile, String> {
        let docs: Vec<Value> = serde_saphyr::from_multiple(text)
            .map_err(|e| format!("{file}: {}", e.to_string().lines().next().unwrap_or("not YAML")))?;
        let experiments = docs
            .into_iter()
            .filter(|d| !d.is_null())
            .enumerate()
            .map(|(i, d)| document(d, i + 1, file))
            .collect::<Result<Vec<_>, _>>()?;
        if experiments.is_empty() {
            return Err(format!("{file}: no experiment in it; write a NetworkChaos or PodChaos document"));
        }
        Ok(ChaosFile { file: file.to_string(), experiments })
    }

    /// The fault families its experiments need.
    pub fn families(&self) -> Vec<Family> {
        let mut out = Vec::new();
        for e in &self.experiments {
            let families = match &e.fault {
                ChaosFault::Partition { .. } => vec![Family::Partition],
                ChaosFault::Kill { .. } => vec![Family::Kill],
                ChaosFault::OnNodes { faults, .. } => faults.iter().filter_map(Intent::family).collect(),
            };
            for family in families {
                if !out.contains(&family) {
                    out.push(family);
                }
            }
        }
        out
    }

    /// Binds the selectors to `nodes` through `labels`; refuses a selector that matches no
    /// node, or a count that takes none of its matches.
    pub fn bind(&self, nodes: &[String], labels: &NodeLabels) -> Result<ChaosPlan, String> {
        if let Some(stranger) = labels.keys().find(|n| !nodes.contains(n)) {
            return Err(format!("labels: names node {stranger}, which is not one of the nodes ({})", nodes.join(",")));
        }
        let mut bound = Vec::new();
        for e in &self.experiments {
            let refuse = |field: &str, reason: String| {
                format!("{}: document {} ({}): {field}: {reason}", self.file, e.document, e.label)
            };
            let matches = |sel: &Selector, field: &str| -> Result<Vec<String>, String> {
                if let Some(stranger) = sel.names.iter().find(|n| !nodes.contains(n)) {
                    return Err(refuse(
                        &format!("{field}.pods"),
                        format!("{stranger} is not one of the nodes ({})", nodes.join(",")),
                    ));
                }
                let found: Vec<String> = nodes
                    .iter()
                    .filter(|n| sel.names.is_empty() || sel.names.contains(n))
                    .filter(|n| sel.labels.iter().all(|(k, v)| labels.get(*n).and_then(|l| l.get(k)) == Some(v)))
                    .cloned()
                    .collect();
                if found.is_empty() {
                    return Err(refuse(
                        field,
                        format!("{} match no node; give nodes these labels in the test file's labels", describe(sel)),
                    ));
                }
                if let Mode::FixedPercent(p) = sel.mode {
                    if found.len() * p as usize / 100 == 0 {
                        return Err(refuse(
                            &field.replace("selector", "value"),
                            format!("{p}% of the {} matching node(s) is no node; raise it", found.len()),
                        ));
                    }
                }
                Ok(found)
            };
            let (selector, target) = match &e.fault {
                ChaosFault::Partition { selector, target, .. } => {
                    let target = match target {
                        Some(t) => Some(matches(t, "spec.target.selector")?),
                        None => None,
                    };
                    (matches(selector, "spec.selector")?, target)
                }
                ChaosFault::Kill { selector, .. } | ChaosFault::OnNodes { selector, .. } => {
                    (matches(selector, "spec.selector")?, None)
                }
            };
            bound.push(Bound { experiment: e.clone(), selector, target });
        }
        Ok(ChaosPlan { nodes: nodes.to_vec(), bound, families: self.families() })
    }
}

fn describe(sel: &Selector) -> String {
    let labels: Vec<String> = sel.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    match (labels.is_empty(), sel.names.is_empty()) {
        (false, true) => format!("labels {}", labels.join(",")),
        (true, _) => format!("pods {}", sel.names.join(",")),
        (false, false) => format!("labels {} among pods {}", labels.join(","), sel.names.join(",")),
    }
}

/// An experiment with the nodes its selectors match.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Bound {
    experiment: Experiment,
    selector: Vec<String>,
    target: Option<Vec<String>>,
}

/// A Chaos Mesh file bound to a test's nodes: it gives each run its scripted schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChaosPlan {
    nodes: Vec<String>,
    bound: Vec<Bound>,
    /// The fault families its experiments need.
    pub families: Vec<Family>,
}

/// `mode` applied to `matches` (in the cluster's order), drawing from `rng`.
fn choose(mode: Mode, matches: &[String], rng: &mut impl Rng) -> Vec<String> {
    let n = matches.len();
    let count = match mode {
        Mode::One => 1,
        Mode::All => n,
        Mode::Fixed(k) => k.min(n),
        Mode::FixedPercent(p) => n * p as usize / 100,
        Mode::RandomMaxPercent(p) => n * rng.gen_range(0..=p as usize) / 100,
    };
    let chosen: Vec<&String> = matches.choose_multiple(rng, count).collect();
    matches.iter().filter(|m| chosen.contains(m)).cloned().collect()
}

fn who(nodes: Vec<String>) -> Who {
    match <[String; 1]>::try_from(nodes) {
        Ok([one]) => Who::Node(one),
        Err(many) => Who::Nodes(many),
    }
}

impl ChaosPlan {
    /// The scripted schedule of a run seeded with `seed`: every experiment injected at `start`
    /// and its own faults healed after its duration. An experiment whose mode draws no node
    /// (random-max-percent can) injects nothing, as in Chaos Mesh.
    pub fn schedule(&self, start: Duration, seed: u64) -> ScriptedSchedule {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ MODE_SEED_SALT);
        let mut steps = Vec::new();
        for b in &self.bound {
            let e = &b.experiment;
            let (intents, down) = match &e.fault {
                ChaosFault::Partition { selector, target, direction } => {
                    let chosen = choose(selector.mode, &b.selector, &mut rng);
                    let other = match (target, &b.target) {
                        (Some(t), Some(matches)) => choose(t.mode, matches, &mut rng),
                        _ => self.nodes.iter().filter(|n| !chosen.contains(n)).cloned().collect(),
                    };
                    if chosen.is_empty() || other.iter().all(|o| chosen.contains(o)) {
                        continue;
                    }
                    let (from, to) = match direction {
                        Direction::From => (other, chosen),
                        Direction::To | Direction::Both => (chosen, other),
                    };
                    let cut = Cut { from, to, both: *direction == Direction::Both };
                    (vec![Intent::Partition(PartitionShape::Cuts(vec![cut]))], e.duration)
                }
                ChaosFault::Kill { selector, restart_at_once } => {
                    let chosen = choose(selector.mode, &b.selector, &mut rng);
                    if chosen.is_empty() {
                        continue;
                    }
                    (vec![Intent::Kill(who(chosen))], if *restart_at_once { Some(POD_KILL_DOWN) } else { e.duration })
                }
                ChaosFault::OnNodes { selector, faults } => {
                    let chosen = choose(selector.mode, &b.selector, &mut rng);
                    if chosen.is_empty() {
                        continue;
                    }
                    (faults.iter().map(|f| f.clone().with_who(who(chosen.clone()))).collect(), e.duration)
                }
            };
            for intent in intents {
                if let Some(down) = down {
                    steps.push(ScheduleStep { at: start + down, intent: Intent::HealOf(Box::new(intent.clone())) });
                }
                steps.push(ScheduleStep { at: start, intent });
            }
        }
        ScriptedSchedule::from_steps(steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The experiment of issue 24, as teams write it.
    const PARTITION: &str = include_str!("../../examples/chaos/partition-test.yaml");

    fn nodes() -> Vec<String> {
        (1..=5).map(|i| format!("n{i}")).collect()
    }

    fn labels() -> NodeLabels {
        nodes()
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                let role = if i < 3 { "database" } else { "api-server" };
                (n, BTreeMap::from([("app.kubernetes.io/component".to_string(), role.to_string())]))
            })
            .collect()
    }

    fn steps(text: &str, seed: u64) -> Vec<(f64, String)> {
        let plan = ChaosFile::parse(text, "c.yaml").unwrap().bind(&nodes(), &labels()).unwrap();
        plan.schedule(Duration::from_secs(5), seed)
            .steps()
            .iter()
            .map(|s| (s.at.as_secs_f64(), s.intent.to_string()))
            .collect()
    }

    fn refusal(text: &str) -> String {
        let err = ChaosFile::parse(text, "c.yaml").unwrap_err();
        assert!(err.starts_with("c.yaml: document ") && !err.contains('\n'), "{err}");
        err
    }

    fn pod(action: &str, mode: &str) -> String {
        format!(
            "apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {{name: p}}\nspec:\n  action: {action}\n  {mode}\n  selector:\n    labelSelectors: {{app.kubernetes.io/component: database}}\n  duration: 10s\n"
        )
    }

    #[test]
    fn the_issues_partition_cuts_one_database_node_off_from_the_api_servers_one_way() {
        let s = steps(PARTITION, 7);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].0, 5.0);
        let db = s[0].1.strip_prefix("partition ").and_then(|r| r.strip_suffix(" -> n4 n5")).unwrap();
        assert!(["n1", "n2", "n3"].contains(&db), "{s:?}");
        assert_eq!(s[1], (65.0, format!("heal {}", s[0].1)));
        let file = ChaosFile::parse(PARTITION, "c.yaml").unwrap();
        assert_eq!(file.families(), [Family::Partition]);
        assert_eq!(file.experiments[0].label, "NetworkChaos partition-test");
        // The seed decides which database node: over many seeds, each of them.
        let picks: std::collections::BTreeSet<String> =
            (0..40).map(|seed| steps(PARTITION, seed)[0].1.clone()).collect();
        assert_eq!(picks.len(), 3, "{picks:?}");
    }

    #[test]
    fn directions_and_a_missing_target_cut_the_right_way() {
        let from = PARTITION.replace("direction: to", "direction: from");
        assert!(steps(&from, 1)[0].1.starts_with("partition n4 n5 -> "), "{:?}", steps(&from, 1));
        let both = PARTITION.replace("direction: to", "direction: both");
        assert!(steps(&both, 1)[0].1.ends_with(" <-> n4 n5"));
        let all = PARTITION.replace("mode: one", "mode: all");
        assert_eq!(steps(&all, 1)[0].1, "partition n1 n2 n3 -> n4 n5");
        let untargeted: String =
            all.lines().take_while(|l| !l.starts_with("  target")).map(|l| format!("{l}\n")).collect();
        assert_eq!(steps(&untargeted, 1)[0].1, "partition n1 n2 n3 -> n4 n5");
        let by_name =
            all.replace("labelSelectors:\n      \"app.kubernetes.io/component\": \"database\"", "pods: {app: [n2]}");
        assert_eq!(steps(&by_name, 1)[0].1, "partition n2 -> n4 n5");
    }

    #[test]
    fn every_mode_takes_its_count() {
        let count = |mode: &str, seed| steps(&pod("pod-failure", mode), seed)[0].1.split_whitespace().count() - 1;
        assert_eq!(count("mode: one", 1), 1);
        assert_eq!(count("mode: all", 1), 3);
        assert_eq!(count("mode: fixed\n  value: \"2\"", 1), 2);
        assert_eq!(count("mode: fixed\n  value: 9", 1), 3);
        assert_eq!(count("mode: fixed-percent\n  value: \"67\"", 1), 2);
        let drawn: std::collections::BTreeSet<usize> = (0..60)
            .map(|seed| steps(&pod("pod-failure", "mode: random-max-percent\n  value: \"100\""), seed))
            .map(|s| s.first().map_or(0, |(_, i)| i.split_whitespace().count() - 1))
            .collect();
        // 0 to 3 nodes (none: nothing injected); all 3 only when the draw is exactly 100%.
        assert!(drawn.is_superset(&[0, 1, 2].into()) && drawn.iter().all(|n| *n <= 3), "{drawn:?}");
    }

    #[test]
    fn pod_kill_restarts_at_once_and_pod_failure_holds_for_the_duration() {
        let kill = steps(&pod("pod-kill", "mode: one"), 3);
        assert_eq!((kill[0].0, kill[1].0), (5.0, 6.0));
        assert!(kill[0].1.starts_with("kill n") && kill[1].1 == format!("heal {}", kill[0].1));
        let failure = steps(&pod("pod-failure", "mode: all"), 3);
        assert_eq!(failure, [(5.0, "kill n1 n2 n3".to_string()), (15.0, "heal kill n1 n2 n3".to_string())]);
        let endless = steps(&pod("pod-failure", "mode: all").replace("  duration: 10s\n", ""), 3);
        assert_eq!(endless, [(5.0, "kill n1 n2 n3".to_string())]);
        assert_eq!(ChaosFile::parse(&pod("pod-kill", "mode: one"), "c").unwrap().families(), [Family::Kill]);
    }

    #[test]
    fn several_documents_start_together_and_heal_apart() {
        let text = format!("{PARTITION}---\n{}", pod("pod-failure", "mode: all").replace("database", "api-server"));
        let s = steps(&text, 2);
        let at: Vec<f64> = s.iter().map(|(at, _)| *at).collect();
        assert_eq!(at, [5.0, 5.0, 15.0, 65.0], "{s:?}");
        assert_eq!(s[2].1, "heal kill n4 n5");
        assert_eq!(ChaosFile::parse(&text, "c").unwrap().families(), [Family::Partition, Family::Kill]);
    }

    /// A document of `kind` selecting `mode` of the API servers for 10 s, with `spec` lines.
    fn on_api_servers(kind: &str, mode: &str, spec: &str) -> String {
        format!(
            "apiVersion: chaos-mesh.org/v1alpha1\nkind: {kind}\nmetadata: {{name: x}}\nspec:\n  mode: {mode}\n  selector:\n    labelSelectors: {{app.kubernetes.io/component: api-server}}\n  duration: 10s\n{spec}"
        )
    }

    #[test]
    fn loss_bandwidth_stress_and_time_chaos_become_node_faults_healed_after_their_duration() {
        let loss =
            on_api_servers("NetworkChaos", "all", "  action: loss\n  loss: {loss: \"25\", correlation: \"0\"}\n");
        assert_eq!(steps(&loss, 1), [(5.0, "loss n4 n5 25%".into()), (15.0, "heal loss n4 n5 25%".into())]);
        let bandwidth = on_api_servers(
            "NetworkChaos",
            "all",
            "  action: bandwidth\n  direction: to\n  bandwidth: {rate: 1mbps, limit: 20971520, buffer: 10000}\n",
        );
        assert_eq!(steps(&bandwidth, 1)[0], (5.0, "bandwidth n4 n5 8mbit".into()));
        let delay = on_api_servers(
            "NetworkChaos",
            "all",
            "  action: delay\n  delay: {latency: 100ms, jitter: 10ms, correlation: \"0\"}\n",
        );
        assert_eq!(steps(&delay, 1)[0], (5.0, "delay n4 n5 100ms 10ms".into()));
        let stress = on_api_servers(
            "StressChaos",
            "one",
            "  stressors:\n    cpu: {workers: 2, load: 100}\n    memory: {workers: 2, size: 256MB}\n",
        );
        let s = steps(&stress, 3);
        let node = s[0].1.split_whitespace().nth(1).unwrap().to_string();
        assert!(["n4", "n5"].contains(&node.as_str()), "{s:?}");
        let at5: Vec<&str> = s.iter().filter(|(at, _)| *at == 5.0).map(|(_, i)| i.as_str()).collect();
        assert_eq!(at5, [format!("cpu {node} 2"), format!("memory {node} 512M")], "{s:?}");
        assert_eq!(s.len(), 4, "each healed on its own: {s:?}");
        let time = on_api_servers("TimeChaos", "all", "  timeOffset: \"-10m\"\n  clockIds: [CLOCK_REALTIME]\n");
        assert_eq!(steps(&time, 1)[0], (5.0, "clock bump n4 n5 -600".into()));
        let all = format!("{loss}---\n{bandwidth}---\n{stress}---\n{time}");
        let families = ChaosFile::parse(&all, "c").unwrap().families();
        assert_eq!(families, [Family::Loss, Family::Bandwidth, Family::Cpu, Family::Memory, Family::Clock]);

        for (text, expected) in [
            (loss.replace("\"0\"", "\"25\""), "spec.loss.correlation: \"25\": correlated loss needs netem"),
            (loss.replace("\"25\",", "\"2.5\","), "spec.loss.loss: \"2.5\""),
            (loss.replace("  action: loss", "  action: loss\n  direction: both"), "spec.direction: \"both\""),
            (loss.replace("  action: loss", "  action: loss\n  target: {mode: all}"), "spec.target: loss acts on"),
            (bandwidth.replace("1mbps", "fast"), "spec.bandwidth.rate: \"fast\""),
            (delay.replace("jitter: 10ms", "jitter: 200ms"), "spec.delay.jitter: 200ms above the latency"),
            (delay.replace("correlation: \"0\"", "reorder: {reorder: \"50\"}"), "spec.delay.reorder"),
            (delay.replace("100ms", "1h"), "spec.delay.latency: \"1h\""),
            (bandwidth.replace("buffer: 10000", "peakrate: 10"), "spec.bandwidth.peakrate"),
            (stress.replace("load: 100", "load: 50"), "spec.stressors.cpu.load: 50"),
            (stress.replace("256MB", "50%"), "spec.stressors.memory.size: \"50%\""),
            (stress.replace("    cpu:", "    io:"), "spec.stressors.io: not supported"),
            (time.replace("-10m", "-10"), "spec.timeOffset: \"-10\""),
            (time.replace("CLOCK_REALTIME", "CLOCK_MONOTONIC"), "spec.clockIds: faultline moves the wall clock only"),
        ] {
            let err = refusal(&text);
            assert!(err.contains(expected), "expected {expected:?} in: {err}");
        }
    }

    #[test]
    fn what_cannot_be_honoured_is_refused_with_the_field_and_the_reason() {
        let cases = [
            (PARTITION.replace("action: partition", "action: delay"), "spec.delay: missing"),
            (PARTITION.replace("action: partition", "action: loss"), "spec.loss: missing"),
            (PARTITION.replace("action: partition", "action: bandwidth"), "spec.bandwidth: missing"),
            (PARTITION.replace("action: partition", "action: corrupt"), "netem"),
            (PARTITION.replace("action: partition", "action: shred"), "spec.action: \"shred\""),
            (PARTITION.replace("kind: NetworkChaos", "kind: TimeChaos"), "spec.timeOffset: missing"),
            (PARTITION.replace("kind: NetworkChaos", "kind: StressChaos"), "spec.stressors: missing"),
            (PARTITION.replace("kind: NetworkChaos", "kind: Schedule"), "kind: Schedule: not supported"),
            (PARTITION.replace("kind: NetworkChaos", "kind: IOChaos"), "kind: \"IOChaos\""),
            (PARTITION.replace("v1alpha1", "v2"), "apiVersion"),
            (
                PARTITION.replace("  duration: \"60s\"", "  scheduler: {cron: \"@every 1m\"}"),
                "spec.scheduler: cron schedules",
            ),
            (
                PARTITION.replace("  duration: \"60s\"", "  externalTargets: [example.com]"),
                "spec.externalTargets: not supported",
            ),
            (PARTITION.replace("  duration: \"60s\"", "  device: eth0"), "spec.device"),
            (PARTITION.replace("  duration: \"60s\"", "  duration: soon"), "spec.duration: \"soon\""),
            (PARTITION.replace("  duration: \"60s\"", "  duration: 9000h"), "spec.duration"),
            (PARTITION.replace("direction: to", "direction: sideways"), "spec.direction"),
            (PARTITION.replace("mode: one", "mode: some"), "spec.mode: \"some\""),
            (PARTITION.replace("mode: one", "mode: one\n  value: \"2\""), "spec.value: \"2\": mode one takes no value"),
            (PARTITION.replace("mode: one", "mode: fixed"), "spec.value: missing"),
            (PARTITION.replace("mode: one", "mode: fixed-percent\n  value: \"150\""), "spec.value: \"150\""),
            (PARTITION.replace("  mode: one\n", ""), "spec.mode: missing"),
            (
                PARTITION.replace(
                    "    namespaces: [app]\n    labelSelectors",
                    "    expressionSelectors: []\n    labelSelectors",
                ),
                "spec.selector.expressionSelectors: not supported",
            ),
            (PARTITION.replace("      namespaces: [app]\n", "      nodes: [x]\n"), "spec.target.selector.nodes"),
            (PARTITION.replace("  direction: to", "  directions: to"), "spec.directions: not supported"),
            (PARTITION.replace("metadata:", "status: {}\nmetadata:"), "status: not supported"),
            (pod("container-kill", "mode: one"), "spec.action: container-kill is not supported"),
            (
                pod("pod-kill", "mode: one").replace("  duration", "  gracePeriod: 30\n  duration"),
                "spec.gracePeriod: 30",
            ),
            (
                pod("pod-kill", "mode: one").replace("  duration", "  containerNames: [x]\n  duration"),
                "spec.containerNames",
            ),
            (pod("pod-explode", "mode: one"), "spec.action: \"pod-explode\""),
            ("apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\n".to_string(), "spec: missing"),
            (format!("{PARTITION}---\nkind: PodChaos\n"), "document 2 (PodChaos unnamed): apiVersion: missing"),
        ];
        for (text, expected) in cases {
            let err = refusal(&text);
            assert!(err.contains(expected), "expected {expected:?} in: {err}");
        }
        assert!(ChaosFile::parse("", "c.yaml").unwrap_err().contains("no experiment"));
        assert!(ChaosFile::parse("[1, 2", "c.yaml").unwrap_err().starts_with("c.yaml: "));
        assert!(ChaosFile::parse("- 1\n", "c.yaml").unwrap_err().contains("must be a mapping"));
        // A pod-kill grace period of 0 is what faultline does anyway.
        assert!(ChaosFile::parse(
            &pod("pod-kill", "mode: one").replace("  duration", "  gracePeriod: 0\n  duration"),
            "c"
        )
        .is_ok());
    }

    #[test]
    fn binding_refuses_selectors_that_match_nothing_and_labels_of_strangers() {
        let file = ChaosFile::parse(PARTITION, "c.yaml").unwrap();
        let mut l = labels();
        l.remove("n4");
        l.remove("n5");
        let err = file.bind(&nodes(), &l).unwrap_err();
        assert!(err.contains("document 1 (NetworkChaos partition-test): spec.target.selector: labels app.kubernetes.io/component=api-server match no node"), "{err}");
        l.insert("n9".into(), BTreeMap::new());
        assert!(file.bind(&nodes(), &l).unwrap_err().contains("labels: names node n9"));
        let few = ChaosFile::parse(&pod("pod-kill", "mode: fixed-percent\n  value: \"10\""), "c").unwrap();
        let err = few.bind(&nodes(), &labels()).unwrap_err();
        assert!(err.contains("spec.value: 10% of the 3 matching node(s) is no node"), "{err}");
        let stranger = ChaosFile::parse(
            &PARTITION
                .replace("labelSelectors:\n      \"app.kubernetes.io/component\": \"database\"", "pods: {app: [n7]}"),
            "c",
        )
        .unwrap();
        assert!(stranger
            .bind(&nodes(), &labels())
            .unwrap_err()
            .contains("spec.selector.pods: n7 is not one of the nodes"));
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(go_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(go_duration("1.5h").unwrap(), Duration::from_secs(5400));
        for bad in ["", "10", "s", "1x", "0s", "-1s", "1..2s"] {
            assert!(go_duration(bad).is_err(), "{bad}");
        }
    }
}
