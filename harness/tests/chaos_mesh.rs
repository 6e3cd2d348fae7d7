//! Chaos Mesh experiment files as `faultline test`'s schedule: issue 24's `NetworkChaos`
//! document, as written, against a real 5-node etcd cluster in network namespaces whose nodes
//! the test file labels (n1-n3 `database`, n4-n5 `api-server`); and a file faultline cannot
//! honour refused with the field and the reason before anything starts.

mod common;

use std::path::Path;

use checkers::{OpType, Process};
use common::{faultline, history, json, leftovers, scratch, secs, test_run};
use serde_json::Value;

/// The experiment of issue 24, exactly as the issue gives it.
const ISSUE_24: &str = include_str!("../../examples/chaos/partition-test.yaml");

/// A second experiment in the same file: one API server killed, restarted a second later by
/// its own heal while the partition stays.
const POD_KILL: &str = r#"apiVersion: chaos-mesh.org/v1alpha1
kind: PodChaos
metadata:
  name: api-server-kill
  namespace: app
spec:
  action: pod-kill
  mode: one
  selector:
    labelSelectors:
      "app.kubernetes.io/component": "api-server"
"#;

const LABELS: &str = "labels:
  n1: {app.kubernetes.io/component: database}
  n2: {app.kubernetes.io/component: database}
  n3: {app.kubernetes.io/component: database}
  n4: {app.kubernetes.io/component: api-server}
  n5: {app.kubernetes.io/component: api-server}
";

/// A test file beside `chaos.yaml` (holding `chaos`) in `dir`.
fn test_file(dir: &Path, chaos: &str, extra: &str) -> String {
    std::fs::write(dir.join("chaos.yaml"), chaos).unwrap();
    let path = dir.join("test.yaml");
    std::fs::write(&path, format!("nodes: 5\nchaos: chaos.yaml\n{LABELS}{extra}")).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
#[ignore = "needs root: network namespaces, iptables and etcd-server"]
fn the_issues_network_chaos_partitions_a_database_node_from_the_api_servers_and_heals_it() {
    let dir = scratch("chaos-mesh");
    let file = test_file(&dir, &format!("{ISSUE_24}---\n{POD_KILL}"), "time-limit: 12\nchaos-at: 2\nrate: 100\n");
    let (code, out, run) = test_run(&dir, &["-f", &file, "--seed", "3"]);
    assert_eq!(code, 0, "expected valid (linearizable reads): {out}");
    let ops = history(&run);
    let nemesis: Vec<_> = ops.iter().filter(|o| o.process == Process::nemesis()).collect();
    let ok = |f: &str| nemesis.iter().find(|o| o.f == f && o.kind == OpType::Ok).copied();

    // The partition: one database node's packets to both API servers dropped, on the receivers.
    let partition = ok("partition").expect("the partition was injected");
    let value = partition.value.to_json();
    let intent = value["intent"].as_str().unwrap().to_string();
    let db = intent
        .strip_prefix("partition ")
        .and_then(|r| r.strip_suffix(" -> n4 n5"))
        .unwrap_or_else(|| panic!("{intent}"));
    assert!(["n1", "n2", "n3"].contains(&db), "{intent}");
    let did: Vec<(String, String)> = value["did"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["on"].as_str().unwrap().to_string(), d["from"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(did, [("n4".to_string(), db.to_string()), ("n5".to_string(), db.to_string())]);
    assert!((1.9..4.0).contains(&secs(partition)), "applied at chaos-at 2 s: {}", secs(partition));

    // The pod-kill's own heal restarts its node a second later and leaves the partition alone.
    let kill = ok("kill").expect("the pod-kill was injected");
    let heal_kill = ok("heal-kill").expect("the pod-kill was healed on its own");
    let healed = heal_kill.value.to_json()["healed"].clone();
    assert_eq!(healed.as_array().map(Vec::len), Some(1), "{healed}");
    assert!(healed[0].as_str().unwrap().starts_with("kill n"), "{healed}");
    assert!((0.9..3.0).contains(&(secs(heal_kill) - secs(kill))), "restarted about 1 s after the kill");
    // The 60 s partition outlasts the 12 s run: the final heal undoes it.
    let last_heal = nemesis.iter().rev().find(|o| o.f == "heal" && o.kind == OpType::Ok).expect("the final heal");
    assert!(last_heal.value.to_json()["healed"].to_string().contains(&intent), "{:?}", last_heal.value);

    // The journal: both drop rules made, then undone.
    let journal = std::fs::read_to_string(run.join("journal.jsonl")).unwrap();
    let entries: Vec<Value> = journal.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for on in ["n4", "n5"] {
        let what = format!("{on} drops {db}");
        let made = entries
            .iter()
            .find(|e| e["entry"] == "made" && e["what"] == what.as_str())
            .unwrap_or_else(|| panic!("{what} not in {journal}"));
        assert!(
            entries.iter().any(|e| e["entry"] == "done" && e["id"] == made["id"]),
            "{what} never undone: {journal}"
        );
    }
    // The fault table: the partition and the kill, each healed.
    let effects = json(&run.join("effects.json")).to_string();
    assert!(effects.contains(&intent) && effects.contains("heal-kill"), "{effects}");
    let page = std::fs::read_to_string(run.join("index.html")).unwrap();
    let cut = ["&#62;", "&gt;"].map(|gt| format!("{db} -{gt} n4 n5"));
    assert!(cut.iter().any(|c| page.contains(c.as_str())), "the page names the cut (escaped)");
    assert_eq!(leftovers(), Vec::<String>::new());
}

#[test]
fn what_faultline_cannot_honour_is_refused_with_the_file_the_field_and_the_reason() {
    let dir = scratch("chaos-mesh-refused");
    for (chaos, field) in [
        (ISSUE_24.replace("action: partition", "action: corrupt"), "spec.action: corrupt needs netem"),
        (
            ISSUE_24.replace("  duration: \"60s\"", "  scheduler: {cron: \"@every 1m\"}"),
            "spec.scheduler: cron schedules",
        ),
        (
            ISSUE_24
                .replace("  direction: to", "  direction: to\n  loss: {loss: \"10\", correlation: \"50\"}")
                .replace("action: partition", "action: loss"),
            "spec.loss.correlation: \"50\": correlated loss needs netem",
        ),
    ] {
        let file = test_file(&dir, &chaos, "");
        let out = faultline(&dir, &["-f", &file]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(254), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains("chaos.yaml: document 1 (") && stderr.contains(field), "{stderr}");
    }
    // A TimeChaos reads, but etcd (Go) cannot undergo clock faults: refused with the reason.
    let time = "apiVersion: chaos-mesh.org/v1alpha1\nkind: TimeChaos\nmetadata: {name: skew}\nspec:\n  mode: one\n  \
                selector: {labelSelectors: {app.kubernetes.io/component: database}}\n  timeOffset: -10m\n";
    let file = test_file(&dir, time, "");
    let out = faultline(&dir, &["-f", &file]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(254), "{stderr}");
    assert!(stderr.contains("chaos.yaml") && stderr.contains("etcd cannot undergo clock faults"), "{stderr}");
    // Labels that leave a selector without nodes are named too.
    let file = test_file(&dir, ISSUE_24, "");
    std::fs::write(&file, "nodes: 3\nchaos: chaos.yaml\nlabels: {n1: {app.kubernetes.io/component: database}}\n")
        .unwrap();
    let out = faultline(&dir, &["-f", &file]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(254), "{stderr}");
    assert!(
        stderr.contains("spec.target.selector: labels app.kubernetes.io/component=api-server match no node"),
        "{stderr}"
    );
}
