//! Link and resource faults on a node, as commands: a bandwidth limit (`tc tbf` on the
//! interface that holds the node's address), CPU pressure (an agent of busy-looping processes
//! beside the target's daemon) and memory pressure (a file of the asked size on the tmpfs beside
//! the daemon's pidfile, which holds that much memory until it is removed) and a full data disk
//! (a file as large as the space left on the data folder's own tmpfs). Values reach `sh`
//! as arguments, never spliced into its script.

use std::path::{Path, PathBuf};

use crate::command::{Command, Daemon, DaemonRef};
use crate::intent::Rate;

/// Finds the interface holding the address `$1` and names it `$dev` (fails when none does).
const FIND_DEV: &str = "a=\"$1\"; set -- $(ip -o -4 addr show to \"$a\"); \
     [ \"$#\" -gt 2 ] || { echo \"no interface holds $a\" >&2; exit 1; }; dev=\"${2%@*}\";";

/// The command that limits what the node with address `addr` sends to `rate` (`tbf`, its
/// bucket large enough for one segment of a veth's offloads, queueing at most 400 ms).
pub fn limit(addr: &str, rate: Rate) -> Command {
    let script = format!("{FIND_DEV} tc qdisc add dev \"$dev\" root tbf rate \"$0\" burst 64kb latency 400ms");
    sh(&script, &rate.to_string(), &[addr])
}

/// The command that lifts the limit [`limit`] set.
pub fn unlimit(addr: &str) -> Command {
    sh(&format!("{FIND_DEV} tc qdisc del dev \"$dev\" root"), "unlimit", &[addr])
}

fn sh(script: &str, zero: &str, args: &[&str]) -> Command {
    let mut argv: Vec<String> = ["sh", "-c", script, zero].map(String::from).to_vec();
    argv.extend(args.iter().map(|a| a.to_string()));
    Command::Exec { argv }
}

/// The agent that keeps `workers` processes busy beside `daemon` until stopped, when it ends
/// and reaps every worker (they share its process group, which a stop signals too).
pub fn cpu_agent(daemon: &Daemon, workers: u8) -> Daemon {
    let script = "trap 'kill $p 2>/dev/null; wait; exit 0' TERM INT; i=0; p=; \
         while [ \"$i\" -lt \"$1\" ]; do (while :; do :; done) & p=\"$p $!\"; i=$((i+1)); done; wait";
    Daemon {
        argv: ["sh", "-c", script, "cpu", &workers.to_string()].map(String::from).to_vec(),
        env: Vec::new(),
        user: None,
        log: daemon.pidfile.with_extension("cpu.log"),
        pidfile: daemon.pidfile.with_extension("cpu.pid"),
    }
}

/// The CPU agent beside `daemon`, as stops find it.
pub fn cpu_agent_ref(daemon: &Daemon) -> DaemonRef {
    cpu_agent(daemon, 1).reference()
}

/// The file that holds a memory fault's memory beside `daemon` (on its tmpfs).
pub fn memory_file(daemon: &Daemon) -> PathBuf {
    daemon.pidfile.with_extension("memory")
}

/// The command that takes `mb` MiB of memory into `file` (on tmpfs, allocated at once).
pub fn hold_memory(file: &Path, mb: u32) -> Command {
    sh("fallocate -l \"$0\" \"$1\"", &format!("{mb}MiB"), &[&file.to_string_lossy()])
}

/// The file that fills the filesystem holding the data folder `dir`.
fn disk_fill(dir: &Path) -> PathBuf {
    dir.join("faultline-disk-fill")
}

/// The command that fills the filesystem holding `dir` (a tmpfs of its own, bounded): a file as
/// large as the space left there, all but its last MiB allocated at once, the rest written until
/// the filesystem refuses (tmpfs refuses a fallocate of all that is left).
pub fn fill_disk(dir: &Path) -> Command {
    let script = "avail=$(df --output=avail -B1 \"$1\" | tail -n 1); \
                  if [ \"$avail\" -gt 1048576 ]; then fallocate -l $((avail - 1048576)) \"$2\" || exit 1; fi; \
                  cat /dev/zero >> \"$2\" 2>/dev/null; [ -e \"$2\" ]";
    sh(script, "fill-disk", &[&dir.to_string_lossy(), &disk_fill(dir).to_string_lossy()])
}

/// The command that gives a full disk its space back.
pub fn free_disk(dir: &Path) -> Command {
    Command::Exec { argv: vec!["rm".into(), "-f".into(), disk_fill(dir).to_string_lossy().into_owned()] }
}

/// The command that gives a memory fault's memory back.
pub fn free_memory(file: &Path) -> Command {
    Command::Exec { argv: vec!["rm".into(), "-f".into(), file.to_string_lossy().into_owned()] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    fn run(command: &Command) -> std::process::Output {
        let Command::Exec { argv } = command else { panic!("{command:?}") };
        std::process::Command::new(&argv[0]).args(&argv[1..]).output().unwrap()
    }

    fn daemon(dir: &Path) -> Daemon {
        Daemon {
            argv: vec!["etcd".into()],
            env: Vec::new(),
            user: None,
            log: dir.join("n1.etcd.log"),
            pidfile: dir.join("n1.etcd.pid"),
        }
    }

    #[test]
    fn the_interface_is_found_by_address_under_a_real_shell() {
        // 127.0.0.1 is on lo everywhere; tc itself needs root, so the script is stopped before it.
        let Command::Exec { mut argv } = limit("127.0.0.1", "1mbit".parse().unwrap()) else { panic!() };
        argv[2] = argv[2].replace("tc qdisc add", "echo");
        let out = run(&Command::Exec { argv });
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "dev lo root tbf rate 1mbit burst 64kb latency 400ms");
        let out = run(&unlimit("198.51.100.7"));
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("no interface holds 198.51.100.7"));
    }

    #[test]
    fn a_disk_is_filled_with_a_file_as_large_as_the_space_left_and_given_back() {
        // Filling a real filesystem needs a tmpfs of its own (root); the script's writes are
        // shown instead of done.
        let dir = tempfile::tempdir().unwrap();
        let Command::Exec { mut argv } = fill_disk(dir.path()) else { panic!() };
        argv[2] = argv[2].replace("fallocate", "echo fallocate").replace("cat /dev/zero >>", "echo cat");
        let out = run(&Command::Exec { argv });
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        let fill = dir.path().join("faultline-disk-fill");
        let lines: Vec<Vec<&str>> = said.lines().map(|l| l.split_whitespace().collect()).collect();
        assert_eq!((lines[0][..2].to_vec(), lines[0][3]), (vec!["fallocate", "-l"], fill.to_str().unwrap()), "{said}");
        assert!(lines[0][2].parse::<u64>().unwrap() > 0, "{said}");
        assert_eq!(lines[1], ["cat", fill.to_str().unwrap()], "{said}");
        std::fs::write(&fill, "x").unwrap();
        assert!(run(&free_disk(dir.path())).status.success());
        assert!(!fill.exists());
    }

    #[test]
    fn memory_is_held_in_a_file_of_the_asked_size_and_given_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = memory_file(&daemon(dir.path()));
        assert_eq!(file, dir.path().join("n1.etcd.memory"));
        assert!(run(&hold_memory(&file, 3)).status.success());
        assert_eq!(std::fs::metadata(&file).unwrap().len(), 3 << 20);
        assert!(run(&free_memory(&file)).status.success());
        assert!(!file.exists());
    }

    #[test]
    fn the_cpu_agent_runs_its_workers_in_one_group_beside_the_daemon() {
        let dir = tempfile::tempdir().unwrap();
        let agent = cpu_agent(&daemon(dir.path()), 3);
        assert_eq!(agent.pidfile, dir.path().join("n1.etcd.cpu.pid"));
        assert_eq!(cpu_agent_ref(&daemon(dir.path())).pidfile, agent.pidfile);
        let mut child =
            std::process::Command::new(&agent.argv[0]).args(&agent.argv[1..]).process_group(0).spawn().unwrap();
        let pgid = child.id() as i32;
        let group = || {
            let ps = std::process::Command::new("pgrep").args(["-g", &pgid.to_string()]).output().unwrap();
            String::from_utf8_lossy(&ps.stdout).lines().count()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while group() < 4 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(group(), 4, "the agent and its three workers");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(-pgid), nix::sys::signal::Signal::SIGTERM).unwrap();
        child.wait().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(group(), 0, "stopping the group ends every worker");
    }
}
