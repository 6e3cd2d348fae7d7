//! Shell text for an SSH node: argv quoted for the remote shell, `sudo -n` in front when the
//! user is not root, and the scripts that start, signal, watch and stop a detached daemon by
//! its pidfile (the harness is never the parent of a remote daemon).

use std::path::Path;
use std::time::Duration;

use nemesis::{Daemon, DaemonRef, Signal};

/// `s` quoted for a POSIX shell.
pub fn quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `argv` as one shell command line.
pub fn join(argv: &[String]) -> String {
    argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

/// `script` as a command line that runs it with `sh`.
pub fn script(script: &str) -> String {
    format!("sh -c {}", quote(script))
}

/// The command line `line` (see [`join`], [`script`]) run on the node through `sudo -n` when
/// `sudo`, killed after `timeout`.
pub fn command(line: &str, sudo: bool, timeout: Duration) -> String {
    let secs = timeout.as_secs().max(1);
    let sh = format!("timeout -k 2 {secs} {line}");
    if sudo {
        format!("sudo -n {sh}")
    } else {
        sh
    }
}

fn path(p: &Path) -> String {
    quote(&p.to_string_lossy())
}

/// Shell that sets `pid` to the daemon's pid when its pidfile names a live (not zombie)
/// process running `exe` (pids get reused), else leaves it empty.
fn find(d: &DaemonRef) -> String {
    format!(
        "pid=$(cat {pidfile} 2>/dev/null); \
         case \"$(head -zn1 /proc/$pid/cmdline 2>/dev/null | tr -d '\\000')\" in *{exe}) ;; *) pid= ;; esac; \
         [ -n \"$pid\" ] && grep -q '^State:.*Z' /proc/$pid/status 2>/dev/null && pid=; ",
        pidfile = path(&d.pidfile),
        exe = quote(&d.exe)
    )
}

fn signal_name(signal: Signal) -> &'static str {
    match signal {
        Signal::Sigstop => "STOP",
        Signal::Sigcont => "CONT",
        Signal::Sigterm => "TERM",
        Signal::Sigkill => "KILL",
    }
}

/// Starts `daemon` detached in its own session (its pid leads its process group), output
/// appended to its log, pid written to its pidfile; prints the pid.
pub fn start(daemon: &Daemon) -> String {
    let mut argv: Vec<String> = Vec::new();
    if !daemon.env.is_empty() {
        argv.push("env".into());
        argv.extend(daemon.env.iter().map(|(k, v)| format!("{k}={v}")));
    }
    if let Some(user) = &daemon.user {
        argv.extend(
            ["setpriv", &format!("--reuid={user}"), &format!("--regid={user}"), "--init-groups", "--"]
                .map(String::from),
        );
    }
    argv.extend(daemon.argv.iter().cloned());
    let pidfile = path(&daemon.pidfile);
    let inner = format!("echo $$ > {pidfile}; exec {}", join(&argv));
    format!(
        "{find}[ -n \"$pid\" ] && {{ echo \"already running as pid $pid\" >&2; exit 1; }}; rm -f {pidfile}; \
         cd / && setsid sh -c {inner} >> {log} 2>&1 < /dev/null & \
         i=0; while [ ! -s {pidfile} ] && [ $i -lt 250 ]; do sleep 0.02; i=$((i+1)); done; cat {pidfile}",
        find = find(&daemon.reference()),
        inner = quote(&inner),
        log = path(&daemon.log),
    )
}

/// Sends `signal` to the daemon's process group (nothing when it does not run).
pub fn signal(d: &DaemonRef, signal: Signal) -> String {
    let sig = signal_name(signal);
    format!("{}[ -z \"$pid\" ] && exit 0; kill -{sig} -- -$pid 2>/dev/null || kill -{sig} $pid", find(d))
}

/// Prints `yes` when the daemon runs (a paused one does), else `no`.
pub fn alive(d: &DaemonRef) -> String {
    format!("{}[ -n \"$pid\" ] && echo yes || echo no", find(d))
}

/// SIGCONT and SIGTERM to the daemon's group, SIGKILL after `grace`; returns once it is gone.
pub fn stop(d: &DaemonRef, grace: Duration) -> String {
    let ticks = grace.as_millis() / 50;
    let gone = "[ ! -d /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status 2>/dev/null";
    format!(
        "{find}[ -z \"$pid\" ] && exit 0; kill -CONT -- -$pid 2>/dev/null; kill -TERM -- -$pid 2>/dev/null || kill -TERM $pid; \
         i=0; until {gone} || [ $i -ge {ticks} ]; do sleep 0.05; i=$((i+1)); done; \
         {gone} || kill -KILL -- -$pid 2>/dev/null || kill -KILL $pid; \
         i=0; until {gone} || [ $i -ge 200 ]; do sleep 0.05; i=$((i+1)); done; \
         {gone} || {{ echo \"pid $pid still runs 10 s after SIGKILL\" >&2; exit 1; }}",
        find = find(d)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_the_shell() {
        assert_eq!(quote("etcd"), "etcd");
        assert_eq!(quote("it's a b"), r"'it'\''s a b'");
        assert_eq!(quote(""), "''");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s|' {}", join(&["a b".into(), "it's".into(), "$HOME".into()])))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "a b|it's|$HOME|");
    }

    /// The daemon scripts run by a local `sh`: started detached with its pidfile, found alive,
    /// signalled, stopped; a pidfile naming another program is left alone.
    #[test]
    fn daemon_scripts_start_find_and_stop_a_detached_process() {
        let dir = tempfile::tempdir().unwrap();
        let daemon = Daemon {
            user: None,
            argv: vec!["sleep".into(), "30".into()],
            env: vec![("A".into(), "b c".into())],
            log: dir.path().join("s.log"),
            pidfile: dir.path().join("s.pid"),
        };
        let sh = |script: String| {
            let out = std::process::Command::new("sh").arg("-c").arg(script).output().unwrap();
            (out.status.success(), String::from_utf8_lossy(&out.stdout).trim().to_string())
        };
        let d = daemon.reference();
        let (ok, pid) = sh(start(&daemon));
        assert!(ok && pid.parse::<u32>().is_ok(), "{pid}");
        // `setsid` may fork before the inner shell writes its pid: wait until it runs sleep.
        for _ in 0..100 {
            if sh(alive(&d)).1 == "yes" {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(sh(alive(&d)).1, "yes");
        assert!(!sh(start(&daemon)).0, "a second start of a running daemon");
        assert!(sh(signal(&d, Signal::Sigstop)).0);
        assert!(sh(stop(&d, Duration::from_millis(200))).0);
        assert_eq!(sh(alive(&d)).1, "no");
        let other = DaemonRef { exe: "etcd".into(), ..d };
        assert_eq!(sh(alive(&other)).1, "no");
    }
}
