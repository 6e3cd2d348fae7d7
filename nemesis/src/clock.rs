//! Clock faults through libfaketime: the target's daemon runs with libfaketime preloaded,
//! reading its offset from a file on its node on every clock call (caching off), so the nemesis
//! moves the daemon's wall clock at run time by rewriting that file, and heals by writing `+0`.
//! The monotonic clock is left alone (`FAKETIME_DONT_FAKE_MONOTONIC=1`): timers and timeouts
//! keep their pace, as on a machine whose NTP steps the wall clock.
//!
//! It reaches only programs that read the clock through libc (C, Rust); Go programs such as
//! etcd read it directly, so a target declares whether it supports clock faults.

use std::path::{Path, PathBuf};

use crate::command::{Command, Daemon, DaemonRef};

/// Where Debian's `libfaketime` package puts the library (the same path on every node).
pub const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// How far apart a strobe's two offsets are, in seconds, unless the intent says.
pub const STROBE_SECONDS: i64 = 20;

/// How often a strobe flips the clock, in milliseconds.
const STROBE_PERIOD_MS: u64 = 100;

/// The offset file of a daemon: beside its pidfile, named after it.
pub fn offset_file(daemon: &Daemon) -> PathBuf {
    daemon.pidfile.with_extension("clock")
}

/// The daemon run under libfaketime, its offset read from [`offset_file`].
pub fn under_faketime(daemon: &Daemon) -> Daemon {
    let mut faked = daemon.clone();
    let file = offset_file(daemon).to_string_lossy().into_owned();
    faked.env.extend(
        [
            ("LD_PRELOAD", LIBFAKETIME),
            ("FAKETIME_TIMESTAMP_FILE", &file),
            ("FAKETIME_NO_CACHE", "1"),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    faked
}

/// An offset as libfaketime's file takes it: `+30`, `-5` (seconds).
fn offset(seconds: i64) -> String {
    format!("{seconds:+}")
}

/// Writes `$2` into the file `$1` whole (a reader never sees it half written).
const WRITE: &str = "w() { printf '%s\\n' \"$2\" > \"$1.new\" && mv -f \"$1.new\" \"$1\"; };";

/// The command that sets the offset in `file` to `seconds` (by `sh`, with the path and value as
/// arguments, never spliced into the script).
pub fn set_offset(file: &Path, seconds: i64) -> Command {
    let script = format!("{WRITE} w \"$1\" \"$0\"");
    let argv = ["sh", "-c", &script, &offset(seconds), &file.to_string_lossy()];
    Command::Exec { argv: argv.map(String::from).to_vec() }
}

/// The agent that strobes `file` between `+0` and `seconds` every 100 ms until stopped, when it
/// writes `+0` back; it runs as a daemon of its own beside the target's.
pub fn strobe_agent(file: &Path, seconds: i64) -> Daemon {
    let period = format!("{:.3}", STROBE_PERIOD_MS as f64 / 1000.0);
    let script = format!(
        "{WRITE} trap 'w \"$1\" +0; exit 0' TERM INT; while :; do w \"$1\" \"$2\"; sleep \"$3\"; w \"$1\" +0; sleep \"$3\"; done"
    );
    Daemon {
        argv: ["sh", "-c", &script, "strobe", &file.to_string_lossy(), &offset(seconds), &period]
            .map(String::from)
            .to_vec(),
        env: Vec::new(),
        user: None,
        log: file.with_extension("strobe.log"),
        pidfile: file.with_extension("strobe.pid"),
    }
}

/// The strobe agent as signals and stops find it.
pub fn strobe_ref(file: &Path) -> DaemonRef {
    strobe_agent(file, 0).reference()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn daemon() -> Daemon {
        Daemon {
            argv: vec!["/d/faultline".into(), "own-server".into()],
            env: vec![("RUST_LOG".into(), "info".into())],
            user: None,
            log: "/d/n1.own.log".into(),
            pidfile: "/d/n1.own.pid".into(),
        }
    }

    #[test]
    fn the_daemon_reads_its_offset_from_a_file_beside_its_pidfile_with_monotonic_time_real() {
        let faked = under_faketime(&daemon());
        assert_eq!(offset_file(&daemon()), PathBuf::from("/d/n1.own.clock"));
        let env = |k: &str| faked.env.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(env("LD_PRELOAD"), Some(LIBFAKETIME));
        assert_eq!(env("FAKETIME_TIMESTAMP_FILE"), Some("/d/n1.own.clock"));
        assert_eq!((env("FAKETIME_NO_CACHE"), env("FAKETIME_DONT_FAKE_MONOTONIC")), (Some("1"), Some("1")));
        assert_eq!(env("RUST_LOG"), Some("info"), "the daemon's own variables stay");
        assert_eq!(
            (faked.argv, faked.pidfile),
            (daemon().argv, daemon().pidfile),
            "the same process, found the same way"
        );
    }

    #[test]
    fn offsets_are_signed_seconds_passed_as_arguments_not_spliced_into_the_script() {
        let Command::Exec { argv } = set_offset(Path::new("/d/n 1.clock"), -30) else { panic!() };
        assert_eq!(&argv[3..], ["-30", "/d/n 1.clock"]);
        let Command::Exec { argv } = set_offset(Path::new("/d/n1.clock"), 45) else { panic!() };
        assert_eq!(argv[3], "+45");
        let agent = strobe_agent(Path::new("/d/n1.own.clock"), 20);
        assert_eq!(&agent.argv[4..], ["/d/n1.own.clock", "+20", "0.100"]);
        assert_eq!(strobe_ref(Path::new("/d/n1.own.clock")).pidfile, PathBuf::from("/d/n1.own.strobe.pid"));
    }

    #[test]
    fn the_offset_file_and_the_strobe_agent_work_under_a_real_shell() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("n1.clock");
        let Command::Exec { argv } = set_offset(&file, -7) else { panic!() };
        let status = std::process::Command::new(&argv[0]).args(&argv[1..]).status().unwrap();
        assert!(status.success());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "-7\n");
        let agent = strobe_agent(&file, 9);
        let mut child = std::process::Command::new(&agent.argv[0]).args(&agent.argv[1..]).spawn().unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..40 {
            seen.insert(std::fs::read_to_string(&file).unwrap_or_default());
            std::thread::sleep(std::time::Duration::from_millis(15));
        }
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGTERM)
            .unwrap();
        child.wait().unwrap();
        assert!(seen.contains("+9\n") && seen.contains("+0\n"), "the strobe flips the offset: {seen:?}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "+0\n", "a stopped strobe leaves the clock true");
    }
}
