//! Running argv commands on the controller with a timeout: the only place faultline starts
//! short-lived programs (remotes on this machine run theirs through it).

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// Runs `argv` to completion within `timeout`; `Ok(stdout)` on success, else one line saying
/// what ran and what it said.
pub async fn run(argv: &[String], timeout: Duration) -> Result<String, String> {
    output(argv, Stdio::null(), timeout).await.map(|out| String::from_utf8_lossy(&out).into_owned())
}

/// Runs `argv` with `stdin` as its input to completion within `timeout`; `Ok(stdout)` on
/// success, else one line saying what ran and what it said.
pub async fn output(argv: &[String], stdin: Stdio, timeout: Duration) -> Result<Vec<u8>, String> {
    let (program, args) = argv.split_first().ok_or("empty command")?;
    let child = Command::new(program)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(timeout, child)
        .await
        .map_err(|_| format!("`{}` did not finish within {timeout:?}", argv.join(" ")))?
        .map_err(|e| format!("`{}`: {e}", argv.join(" ")))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let said = stderr.lines().filter(|l| !l.contains("iptables-legacy tables present")).collect::<Vec<_>>();
        Err(format!("`{}` failed ({}): {}", argv.join(" "), out.status, said.join(" ").trim()))
    }
}

/// Builds an argv from string slices.
pub fn argv(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}
