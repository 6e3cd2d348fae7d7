//! `faultline campaign plan`: a campaign's runs split into shards, printed for the engine that
//! runs them — a JSON listing, the `include` list of a GitHub Actions `strategy.matrix`, or a
//! Kubernetes Indexed Job whose pods each run the shard of their `JOB_COMPLETION_INDEX`.

use serde::Serialize;
use serde_json::{json, Value};

use super::expand::Expanded;
use super::shard::{split, Shard};

/// How `plan` prints the shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// Every shard with its runs and expected seconds.
    Json,
    /// `{"include": [{"shard": "0/3"}, ...]}` for `strategy.matrix: ${{ fromJSON(...) }}`.
    GithubMatrix,
    /// A Kubernetes Indexed Job (YAML) running one shard per pod.
    K8s,
}

/// Where the Kubernetes Job finds what it needs.
#[derive(Debug, Clone, clap::Args)]
pub struct K8sOptions {
    /// The node image: faultline, etcd, iptables and iproute2 installed (built locally).
    #[arg(long, default_value = "faultline:latest")]
    pub image: String,
    /// Pods running at once (default: every shard).
    #[arg(long)]
    pub parallelism: Option<usize>,
    /// The PersistentVolumeClaim (ReadWriteMany) that holds the store; shards write under
    /// `jobs/<job name>/` in it.
    #[arg(long, default_value = "faultline-store")]
    pub store_claim: String,
    /// The ConfigMap holding the campaign file as `campaign.yaml` (and any schedules it names).
    #[arg(long)]
    pub config_map: Option<String>,
}

/// The JSON listing of a plan.
#[derive(Serialize)]
struct Listing<'a> {
    campaign: &'a str,
    file_sha256: &'a str,
    runs: usize,
    shards: &'a [Shard],
}

/// Letters, digits and `-` only, lowercase, at most 40 characters: a Kubernetes name part.
fn dns_label(name: &str) -> String {
    let mut out: String =
        name.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    out.truncate(40);
    out.trim_matches('-').to_string()
}

/// The Indexed Job that runs `count` shards of `campaign`.
pub fn k8s_job(campaign: &Expanded, count: usize, options: &K8sOptions) -> Value {
    let label = dns_label(&campaign.name);
    let job = format!("faultline-{label}");
    let config_map = options.config_map.clone().unwrap_or_else(|| format!("{job}-campaign"));
    // Invalid and unknown shards still finished: their verdicts are merged later. Only a shard
    // whose harness failed (255) or whose file was refused (254) fails its pod.
    let script = format!(
        "faultline campaign run -f /campaign/campaign.yaml --shard \"$JOB_COMPLETION_INDEX/{count}\" \
         --results-dir \"/store/jobs/$JOB_NAME\" || [ $? -le 2 ]"
    );
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job,
            "labels": {"app.kubernetes.io/name": "faultline", "faultline.dev/campaign": label},
        },
        "spec": {
            "completionMode": "Indexed",
            "completions": count,
            "parallelism": options.parallelism.unwrap_or(count).clamp(1, count.max(1)),
            "backoffLimitPerIndex": 0,
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "faultline"}},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{
                        "name": "shard",
                        "image": options.image,
                        "command": ["sh", "-c", script],
                        "env": [{
                            "name": "JOB_NAME",
                            "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['batch.kubernetes.io/job-name']"}},
                        }],
                        // Network namespaces, bridges and iptables need the host's kernel powers.
                        "securityContext": {"privileged": true},
                        "volumeMounts": [
                            {"name": "store", "mountPath": "/store"},
                            {"name": "campaign", "mountPath": "/campaign", "readOnly": true},
                        ],
                    }],
                    "volumes": [
                        {"name": "store", "persistentVolumeClaim": {"claimName": options.store_claim}},
                        {"name": "campaign", "configMap": {"name": config_map}},
                    ],
                },
            },
        },
    })
}

/// The plan of `campaign` in `count` shards, as `format` prints it.
pub fn render(
    campaign: &Expanded,
    file_sha256: &str,
    count: usize,
    format: PlanFormat,
    k8s: &K8sOptions,
) -> Result<String, String> {
    let shards = split(&campaign.runs, count);
    match format {
        PlanFormat::Json => {
            let listing = Listing { campaign: &campaign.name, file_sha256, runs: campaign.runs.len(), shards: &shards };
            serde_json::to_string_pretty(&listing).map_err(|e| e.to_string())
        }
        PlanFormat::GithubMatrix => {
            let include: Vec<Value> = shards.iter().map(|s| json!({"shard": s.shard.to_string()})).collect();
            Ok(json!({ "include": include }).to_string())
        }
        PlanFormat::K8s => serde_saphyr::to_string(&k8s_job(campaign, count, k8s)).map_err(|e| e.to_string()),
    }
}
