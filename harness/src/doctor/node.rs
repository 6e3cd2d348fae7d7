//! The checks of a node that answers commands (an SSH machine, or this machine for namespace
//! and container nodes): root, iptables, the clock and the target.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use targets::Target;

use crate::remote::exec::argv;
use crate::remote::Remote;

/// How long one check's command may take.
pub const LIMIT: Duration = Duration::from_secs(10);

/// How far a node's clock may be from the controller's.
const CLOCK_LIMIT: f64 = 1.0;

/// How many commands the round-trip check times.
const ROUND_TRIPS: u32 = 20;

/// The slowest command round trip a run tolerates: a fault lands this late after its time.
const ROUND_TRIP_LIMIT: Duration = Duration::from_millis(500);

/// Commands run as root there (`sudo` says through which).
pub async fn root(remote: &dyn Remote, sudo: Option<&str>) -> Result<String, String> {
    let uid = remote.exec(&argv(&["id", "-u"]), LIMIT).await.map_err(|e| e.message)?;
    match (uid.trim(), sudo) {
        ("0", Some(user)) => Ok(format!("root through passwordless sudo as {user}")),
        ("0", None) => Ok("root".into()),
        (uid, _) => Err(format!("commands run as uid {uid}, not root; connect as root or allow NOPASSWD sudo")),
    }
}

/// iptables answers (partitions and link faults are iptables rules).
pub async fn iptables(remote: &dyn Remote) -> Result<String, String> {
    match remote.exec(&argv(&["iptables", "-w", "5", "-S", "INPUT"]), LIMIT).await {
        Ok(_) => Ok("iptables works".into()),
        Err(e) => Err(format!("iptables does not work ({}); install iptables and run as root", e.message)),
    }
}

/// The node's clock is within [`CLOCK_LIMIT`] of the controller's (judged at the midpoint of
/// the round trip).
pub async fn clock(remote: &dyn Remote) -> Result<String, String> {
    let now = || SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
    let before = now();
    let out = remote.exec(&argv(&["date", "+%s.%N"]), LIMIT).await.map_err(|e| e.message)?;
    let after = now();
    let theirs: f64 =
        out.trim().parse().map_err(|_| format!("`date +%s.%N` said {:?}; install GNU date", out.trim()))?;
    let offset = theirs - (before + after) / 2.0;
    if offset.abs() <= CLOCK_LIMIT {
        Ok(format!("{offset:+.3} s from the controller's"))
    } else {
        Err(format!(
            "{offset:+.1} s from the controller's clock; synchronise it (chrony or systemd-timesyncd) to within {CLOCK_LIMIT} s"
        ))
    }
}

/// How fast commands go to the node and back, one after another over its connection (faults
/// land a round trip after their time).
pub async fn round_trips(remote: &dyn Remote) -> Result<String, String> {
    let began = Instant::now();
    for _ in 0..ROUND_TRIPS {
        remote.exec(&argv(&["true"]), LIMIT).await.map_err(|e| e.message)?;
    }
    let took = began.elapsed();
    let each = took / ROUND_TRIPS;
    let rate = f64::from(ROUND_TRIPS) / took.as_secs_f64();
    if each <= ROUND_TRIP_LIMIT {
        Ok(format!("{ROUND_TRIPS} in {:.2} s, {rate:.0}/s, {} ms each", took.as_secs_f64(), each.as_millis()))
    } else {
        Err(format!(
            "{} ms per command (a fault lands that late); check the network to the node and its load",
            each.as_millis()
        ))
    }
}

/// Whether `tool` is on the node's PATH.
pub async fn command_exists(remote: &dyn Remote, tool: &str) -> bool {
    remote.exec(&argv(&["sh", "-c", "command -v \"$1\"", "sh", tool]), LIMIT).await.is_ok()
}

/// The target is installed, or the run can install it there.
pub async fn target(remote: &dyn Remote, target: &dyn Target) -> Result<String, String> {
    let name = target.name();
    let install = target.install();
    let Some(tool) = install.first().and_then(|step| step.first()) else {
        return Ok(format!("{name}: nothing to install (faultline uploads it)"));
    };
    if remote.exec(&target.probe(), LIMIT).await.is_ok() {
        return Ok(format!("{name} installed"));
    }
    if command_exists(remote, tool).await {
        Ok(format!("{name} not installed; the run installs it with {tool}"))
    } else {
        Err(format!("{name} is not installed and {tool} is missing; install {name} there"))
    }
}
