//! `faultline campaign plan` and the sharded examples: the plan covers every run once, the
//! GitHub Actions example's matrix is what `--format github-matrix` prints, and the Kubernetes
//! manifests deserialize into the Job type of the Kubernetes API (k8s-openapi). No root needed.

use std::path::{Path, PathBuf};
use std::process::Command;

use k8s_openapi::api::batch::v1::Job;
use serde_json::Value;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/sharded")
}

/// `faultline campaign plan` of the example campaign: exit code, stdout, stderr.
fn plan(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .current_dir(examples())
        .args(["campaign", "plan", "-f", "etcd-sharded.yaml"])
        .args(args)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[test]
fn the_plan_puts_every_run_in_exactly_one_shard() {
    let (code, out, err) = plan(&["--shards", "4"]);
    assert_eq!(code, 0, "{err}");
    let listing: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listing["runs"].as_u64(), Some(36));
    let shards = listing["shards"].as_array().unwrap();
    assert_eq!(shards.len(), 4);
    let mut ids: Vec<&str> =
        shards.iter().flat_map(|s| s["runs"].as_array().unwrap()).map(|r| r.as_str().unwrap()).collect();
    let all = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!((all, ids.len()), (36, 36), "each run once");
    assert_eq!(shards[2]["shard"].as_str(), Some("2/4"));
    assert_eq!(listing["file_sha256"].as_str().unwrap().len(), 64);
    let (code, _, err) = plan(&["--shards", "0"]);
    assert_eq!(code, 254);
    assert!(err.contains("--shards 0: use 1 to"), "{err}");
}

#[test]
fn the_example_workflow_runs_the_matrix_that_plan_prints() {
    let (code, out, err) = plan(&["--shards", "4", "--format", "github-matrix"]);
    assert_eq!(code, 0, "{err}");
    let printed: Value = serde_json::from_str(&out).unwrap();
    let workflow: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(examples().join("github-actions.yml")).unwrap()).unwrap();
    assert_eq!(workflow["jobs"]["shard"]["strategy"]["matrix"], printed);
    let run = workflow["jobs"]["shard"]["steps"].as_array().unwrap().iter().filter_map(|s| s["run"].as_str());
    assert!(run.clone().any(|r| r.contains("--shard \"${{ matrix.shard }}\"")), "each job runs its shard");
    assert!(workflow["jobs"]["merge"]["steps"].to_string().contains("faultline campaign merge"));
}

#[test]
fn the_kubernetes_manifests_are_jobs_of_the_kubernetes_api() {
    let (code, out, err) = plan(&["--shards", "4", "--format", "k8s"]);
    assert_eq!(code, 0, "{err}");
    let job: Job = serde_saphyr::from_str(&out).expect("a batch/v1 Job");
    let spec = job.spec.as_ref().unwrap();
    assert_eq!(spec.completion_mode.as_deref(), Some("Indexed"));
    assert_eq!((spec.completions, spec.parallelism), (Some(4), Some(4)));
    let pod = spec.template.spec.as_ref().unwrap();
    let container = &pod.containers[0];
    let command = container.command.as_ref().unwrap().join(" ");
    assert!(command.contains("--shard \"$JOB_COMPLETION_INDEX/4\""), "{command}");
    assert_eq!(container.security_context.as_ref().and_then(|s| s.privileged), Some(true));
    let committed = std::fs::read_to_string(examples().join("k8s-job.yaml")).unwrap();
    assert_eq!(committed, out, "examples/sharded/k8s-job.yaml is what plan prints; regenerate it");
    let merge: Job =
        serde_saphyr::from_str(&std::fs::read_to_string(examples().join("k8s-merge-job.yaml")).unwrap()).unwrap();
    let merge_command = merge.spec.unwrap().template.spec.unwrap().containers[0].command.clone().unwrap().join(" ");
    assert!(merge_command.contains("faultline campaign merge /store/jobs/faultline-etcd-sharded"), "{merge_command}");
    let (code, out, _) = plan(&["--shards", "3", "--format", "k8s", "--parallelism", "2", "--image", "reg/fl:1"]);
    assert_eq!(code, 0);
    let job: Job = serde_saphyr::from_str(&out).unwrap();
    assert_eq!(job.spec.as_ref().unwrap().parallelism, Some(2));
    assert_eq!(job.spec.unwrap().template.spec.unwrap().containers[0].image.as_deref(), Some("reg/fl:1"));
}
