//! Link and resource faults on a real 3-node etcd cluster in network namespaces, each measured
//! from inside the cluster before, during and after it: packet loss (iptables `statistic`) by
//! pinging a node from another (its answers are what is lost), a bandwidth limit (`tc tbf`) by timing the fetch of a 512 KiB
//! value from a node, delay and jitter (an NFQUEUE agent) by the round trips of pings, CPU pressure by the CPU time its busy processes take, and memory pressure
//! by the node's shared memory, and a full data disk by the space left on the node's own data
//! tmpfs (etcd ends at its first write there; the heal starts it again). Each figure changes as asked and returns after the heal; the
//! run stays valid, its page and fault table name the faults, and nothing is left behind.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{faultline, json, leftovers, run_dir, schedule, scratch, sh};

const N1: &str = "198.18.0.11";

/// One cluster at a time: both tests make the same namespaces.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `argv` inside node `ns`'s namespace; its stdout.
fn in_node(ns: &str, argv: &[&str]) -> String {
    sh(&[&["ip", "netns", "exec", ns][..], argv].concat())
}

/// Waits (at most 60 s) until `ready` holds.
fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `faultline test` with `args` in `dir`, its output to files there.
fn start(dir: &Path, args: &[&str]) -> Child {
    let out = std::fs::File::create(dir.join("out.txt")).unwrap();
    let err = std::fs::File::create(dir.join("err.txt")).unwrap();
    faultline(dir, args).stdout(Stdio::from(out)).stderr(Stdio::from(err)).spawn().unwrap()
}

/// Waits for the run to end; its exit status, what it said and its folder.
fn finish(dir: &Path, mut child: Child) -> (i32, String, PathBuf) {
    let code = child.wait().unwrap().code().unwrap_or(-1);
    let said =
        std::fs::read_to_string(dir.join("err.txt")).unwrap() + &std::fs::read_to_string(dir.join("out.txt")).unwrap();
    eprintln!("{said}");
    (code, said, run_dir(dir))
}

/// 100 pings from n2 to n1, 10 ms apart: the share that got no answer, and the mean and
/// deviation of the round trips, ms, as the pinging program sees them (`-U`: the kernel stamps
/// a packet as it arrives, before the delay agent holds it).
struct Pings {
    loss: f64,
    avg_ms: f64,
    mdev_ms: f64,
}

fn ping() -> Pings {
    let out = in_node("fl-n2", &["ping", "-U", "-q", "-n", "-c", "100", "-i", "0.01", "-W", "1", N1]);
    let received = out
        .split(',')
        .find_map(|part| part.trim().strip_suffix(" received"))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no ping summary in {out:?}"));
    // rtt min/avg/max/mdev = 0.045/0.058/0.102/0.011 ms
    let rtt: Vec<f64> = out
        .split(" = ")
        .nth(1)
        .map(|figures| figures.split([' ', '/']).filter_map(|f| f.parse().ok()).collect())
        .unwrap_or_default();
    Pings {
        loss: 1.0 - received / 100.0,
        avg_ms: rtt.get(1).copied().unwrap_or(f64::NAN),
        mdev_ms: rtt.get(3).copied().unwrap_or(f64::NAN),
    }
}

/// Seconds n2 takes to fetch the 512 KiB value `probe` from n1 (etcd's JSON gateway, so every
/// byte crosses n1's link outwards).
fn fetch_seconds() -> f64 {
    let started = Instant::now();
    let body = in_node(
        "fl-n2",
        &[
            "curl",
            "-sf",
            "--max-time",
            "20",
            "-X",
            "POST",
            "-d",
            r#"{"key":"cHJvYmU="}"#,
            &format!("http://{N1}:2379/v3/kv/range"),
        ],
    );
    let took = started.elapsed().as_secs_f64();
    assert!(body.len() > 512 * 1024, "the whole value came back ({} bytes)", body.len());
    took
}

/// Whether n2's firewall holds a loss rule (what n1 sends is lost on its way into the others).
fn loss_rule() -> bool {
    in_node("fl-n2", &["iptables", "-w", "5", "-S", "FAULTLINE"]).contains("statistic")
}

/// Whether n2 holds what n1 sends (the delay agent's queue rule).
fn delayed() -> bool {
    in_node("fl-n2", &["iptables", "-w", "5", "-S", "FAULTLINE"]).contains("NFQUEUE")
}

/// Whether n1's link is limited.
fn limited() -> bool {
    in_node("fl-n1", &["tc", "qdisc", "show", "dev", "eth0"]).contains("tbf")
}

/// The run's fault table and page both name `intent`, and the fault was healed.
fn reported(run: &Path, intent: &str, heal: &str) {
    let effects = json(&run.join("effects.json")).to_string();
    assert!(effects.contains(intent) && effects.contains(heal), "{intent} / {heal} in {effects}");
    let page = std::fs::read_to_string(run.join("index.html")).unwrap();
    assert!(page.contains(intent), "the page names {intent}");
}

#[test]
#[ignore = "needs root: network namespaces, iptables, tc and etcd-server"]
fn loss_delay_and_a_bandwidth_limit_show_between_the_nodes_and_go_with_their_heals() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("link-faults");
    let script = schedule(
        &dir,
        "- {at: 4, do: loss n1 40%}\n- {at: 9, do: heal loss n1 40%}\n\
         - {at: 11, do: bandwidth n1 4mbit}\n- {at: 17, do: heal bandwidth n1 4mbit}\n\
         - {at: 18, do: delay n1 100ms 20ms}\n- {at: 23, do: heal}\n",
    );
    let args = ["--nodes", "3", "--time-limit", "25", "--rate", "50", "--nemesis-schedule", &script, "--seed", "5"];
    let child = start(&dir, &args);

    let health =
        || in_node("fl-n2", &["curl", "-sf", "--max-time", "1", &format!("http://{N1}:2379/health")]).contains("true");
    wait_until("etcd on n1", health);
    let value = "x".repeat(512 * 1024);
    let mut put = Command::new("ip")
        .args(["netns", "exec", "fl-n2", "etcdctl", "--endpoints", &format!("{N1}:2379"), "put", "probe"])
        .env("ETCDCTL_API", "3")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut put.stdin.take().unwrap(), value.as_bytes()).unwrap();
    assert!(put.wait().unwrap().success(), "the probe value is stored");
    let (before, fetch_before) = (ping(), fetch_seconds());

    wait_until("the loss rule", loss_rule);
    let loss_during = ping().loss;
    wait_until("the loss heal", || !loss_rule());
    let loss_after = ping().loss;
    wait_until("the bandwidth limit", limited);
    let fetch_during = fetch_seconds();
    wait_until("the bandwidth heal", || !limited());
    let fetch_after = fetch_seconds();
    wait_until("the delay", delayed);
    let held = ping();
    wait_until("the delay's heal", || !delayed());
    let after = ping();
    let (code, said, run) = finish(&dir, child);
    eprintln!(
        "ping loss n2->n1: {:.0}% before, {:.0}% during loss 40%, {:.0}% after; 512 KiB from n1: {:.3} s before, \
         {:.3} s during bandwidth 4mbit ({:.2} Mbit/s), {:.3} s after",
        before.loss * 100.0,
        loss_during * 100.0,
        loss_after * 100.0,
        fetch_before,
        fetch_during,
        512.0 * 1024.0 * 8.0 / fetch_during / 1e6,
        fetch_after
    );
    assert_eq!(code, 0, "expected valid: {said}");
    eprintln!(
        "ping n2->n1 round trip: {:.3} ms (mdev {:.3}) before, {:.1} ms (mdev {:.1}) during delay n1 100ms 20ms, \
         {:.3} ms after",
        before.avg_ms, before.mdev_ms, held.avg_ms, held.mdev_ms, after.avg_ms
    );
    assert!(before.loss <= 0.05 && loss_after <= 0.05, "no loss outside the fault: {} {loss_after}", before.loss);
    assert!((0.2..=0.6).contains(&loss_during), "about 40% lost during the fault: {loss_during}");
    // 512 KiB of value (about 700 KB of JSON) at 4 Mbit/s takes at least a second.
    assert!(fetch_during >= 1.0 && fetch_during >= 5.0 * fetch_before, "{fetch_before} -> {fetch_during}");
    assert!(fetch_after < fetch_during / 3.0, "the limit is gone after the heal: {fetch_after}");
    reported(&run, "loss n1 40%", "heal-loss");
    reported(&run, "bandwidth n1 4mbit", "heal-bandwidth");
    // n1's answers wait 100 ms ± 20 ms at n2: the round trip grows by that, and varies.
    assert!((85.0..=140.0).contains(&held.avg_ms), "about 100 ms during the delay: {}", held.avg_ms);
    assert!(held.mdev_ms >= 3.0 && held.loss <= 0.05, "jitter, no loss: {} {}", held.mdev_ms, held.loss);
    assert!(
        before.avg_ms < 5.0 && after.avg_ms < 5.0,
        "no delay outside the fault: {} {}",
        before.avg_ms,
        after.avg_ms
    );
    reported(&run, "delay n1 100ms 20ms", "heal");
    assert_eq!(leftovers(), Vec::<String>::new());
}

/// CPU seconds (user and system) the processes of group `pgid` have used.
fn group_cpu_seconds(pgid: &str) -> f64 {
    let ticks: u64 = sh(&["pgrep", "-g", pgid.trim()])
        .split_whitespace()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .map(|stat| {
            let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
            fields.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
                + fields.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
        })
        .sum();
    ticks as f64 / 100.0
}

/// The machine's shared memory (tmpfs), MiB.
fn shmem_mib() -> f64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let kib = meminfo.lines().find_map(|l| l.strip_prefix("Shmem:")).unwrap().trim().trim_end_matches(" kB");
    kib.parse::<f64>().unwrap() / 1024.0
}

/// The machine's shared memory once `reached` holds of it, or after 5 s (fallocate takes a
/// moment to take a gigabyte, and the kernel a moment to give it back).
fn settled(reached: impl Fn(f64) -> bool) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mib = shmem_mib();
        if reached(mib) || Instant::now() > deadline {
            return mib;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The file of this run whose name ends with `suffix`, under /dev/shm/faultline.
fn run_file(suffix: &str) -> Option<PathBuf> {
    let runs = std::fs::read_dir("/dev/shm/faultline").ok()?;
    runs.flatten()
        .flat_map(|run| std::fs::read_dir(run.path()).into_iter().flatten().flatten())
        .map(|f| f.path())
        .find(|p| p.to_string_lossy().ends_with(suffix))
}

#[test]
#[ignore = "needs root: network namespaces, iptables and etcd-server"]
fn cpu_and_memory_pressure_show_on_their_node_and_go_with_their_heals() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch("resource-faults");
    let script = schedule(
        &dir,
        "- {at: 2, do: cpu n1 2}\n- {at: 7, do: heal}\n- {at: 8, do: memory n2 1G}\n- {at: 12, do: heal}\n\
         - {at: 13, do: disk n3}\n- {at: 17, do: heal}\n",
    );
    let args = ["--nodes", "3", "--time-limit", "20", "--rate", "50", "--nemesis-schedule", &script, "--seed", "5"];
    let child = start(&dir, &args);
    wait_until("the cpu agent", || run_file("n1.etcd.cpu.pid").is_some());
    let pid = std::fs::read_to_string(run_file("n1.etcd.cpu.pid").unwrap()).unwrap();
    let workers = || sh(&["pgrep", "-g", pid.trim()]).lines().count();
    wait_until("the busy workers", || workers() >= 3);
    let used = group_cpu_seconds(&pid);
    std::thread::sleep(Duration::from_secs(2));
    let cpu_share = (group_cpu_seconds(&pid) - used) / 2.0;
    wait_until("the cpu heal", || workers() == 0);
    // etcd's own files on tmpfs (its preallocated write-ahead logs) are in place by now.
    let shmem_before = shmem_mib();

    wait_until("the memory fault", || run_file("n2.etcd.memory").is_some());
    let shmem_during = settled(|mib| mib - shmem_before >= 1000.0);
    wait_until("the memory heal", || run_file("n2.etcd.memory").is_none());
    let shmem_after = settled(|mib| shmem_during - mib >= 1000.0);

    // n3's data folder is a tmpfs of its own: full with the fault, and its space back after.
    let data = run_file("/n3").expect("n3's data folder");
    let free_mib = || {
        sh(&["df", "--output=avail", "-B1M", data.to_str().unwrap()])
            .lines()
            .last()
            .map(|l| l.trim().parse::<u64>().unwrap_or(u64::MAX))
    };
    let disk_before = free_mib().unwrap();
    wait_until("the full disk", || free_mib() == Some(0));
    // The heal removes the file and the space comes back (once, df still read 0 MiB at the
    // moment the file was gone, so this waits for both).
    wait_until("the disk heal", || !data.join("faultline-disk-fill").exists() && free_mib() > Some(64));
    let disk_after = free_mib().unwrap();
    let (code, said, run) = finish(&dir, child);
    eprintln!(
        "cpu n1 2: its workers took {cpu_share:.2} cores; memory n2 1G: shared memory {shmem_before:.0} -> \
         {shmem_during:.0} -> {shmem_after:.0} MiB; disk n3: {disk_before} -> 0 -> {disk_after} MiB free"
    );
    assert_eq!(code, 0, "expected valid: {said}");
    assert!(cpu_share >= 0.8, "two busy processes take at least most of a core: {cpu_share}");
    assert!(shmem_during - shmem_before >= 1000.0, "1 GiB held: {shmem_before} -> {shmem_during}");
    assert!(shmem_during - shmem_after >= 1000.0, "and given back: {shmem_during} -> {shmem_after}");
    reported(&run, "cpu n1 2", "heal");
    reported(&run, "memory n2 1G", "heal");
    assert!(disk_before > 64 && disk_after > 64, "n3's disk had room before and after: {disk_before}, {disk_after}");
    reported(&run, "disk n3", "heal");
    // etcd on n3 ends at its first write to the full disk; the heal starts it again, and the
    // run's figures show the clients bound to it going unanswered meanwhile.
    let effects = json(&run.join("effects.json"));
    let disk =
        effects["faults"].as_array().unwrap().iter().find(|f| f["f"] == "disk").expect("the disk fault's figures");
    let (before, during) = (disk["availability"][0].as_f64().unwrap(), disk["availability"][1].as_f64().unwrap());
    assert!(during < before, "availability {before} -> {during} with n3's disk full");
    let log = std::fs::read_to_string(run.join("harness.log")).unwrap();
    assert!(log.contains("n3: the target ended while its disk was full; starting it again"), "{log}");
    assert_eq!(leftovers(), Vec::<String>::new());
}
