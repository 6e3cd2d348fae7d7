//! The node image of the docker provisioner, built on this machine (no registry is needed): a
//! `debootstrap --variant=minbase` Debian rootfs of the controller's release with what faults
//! need (iptables, iproute2, procps), the target installed in it by the target's own install
//! steps (run under `chroot`), imported with `docker import`. Its tag is a hash of that recipe,
//! so a second run finds it and builds nothing; a build's scratch folder is journaled and
//! removed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nemesis::Command;
use serde::Serialize;
use sha2::{Digest, Sha256};
use targets::Target;

use crate::remote::exec::argv;
use crate::remote::local::LocalRemote;
use crate::remote::Remote;
use crate::run::executor::{make, unmake};
use crate::run::journal::Journal;

/// The repository every node image is tagged in (`faultline-node:<recipe hash>`).
pub const REPOSITORY: &str = "faultline-node";
/// Where images are built (a scratch folder per build).
const BUILD_ROOT: &str = "/var/lib/faultline/images";
/// Bumped when the build below changes, so an old image is not taken for a new one.
const BUILD_VERSION: u32 = 1;
/// Debian packages every node image has: what the fault families run on a node.
const BASE_PACKAGES: [&str; 3] = ["iptables", "iproute2", "procps"];
/// The mirror Debian is fetched from.
const MIRROR: &str = "http://deb.debian.org/debian";
/// How long one build step may take (debootstrap downloads a few hundred packages).
const STEP_LIMIT: Duration = Duration::from_secs(900);

/// What goes into a node image; its hash is the image's tag.
#[derive(Debug, Clone, Serialize)]
pub struct Recipe {
    version: u32,
    suite: String,
    mirror: String,
    packages: Vec<String>,
    /// The target's name and install steps.
    target: String,
    install: Vec<Vec<String>>,
}

/// The Debian release the controller runs (`VERSION_CODENAME` of `/etc/os-release`), so
/// faultline's own executable (the delay agent) runs in the image; bookworm elsewhere.
fn suite() -> String {
    let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    release
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|s| s.trim_matches('"').to_string())
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase()))
        .unwrap_or_else(|| "bookworm".into())
}

impl Recipe {
    /// The image for `target`'s nodes.
    pub fn for_target(target: &dyn Target) -> Recipe {
        Recipe {
            version: BUILD_VERSION,
            suite: suite(),
            mirror: MIRROR.into(),
            packages: BASE_PACKAGES.map(String::from).to_vec(),
            target: target.name().into(),
            install: target.install(),
        }
    }

    /// `faultline-node:<first 12 hex digits of the recipe's hash>`.
    pub fn tag(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let hash: String = Sha256::digest(&json).iter().take(6).map(|b| format!("{b:02x}")).collect();
        format!("{REPOSITORY}:{hash}")
    }
}

/// Whether the engine has image `tag`.
pub async fn present(host: &LocalRemote, tag: &str) -> bool {
    host.exec(&argv(&["docker", "image", "inspect", "--format", "{{.Id}}", tag]), Duration::from_secs(30)).await.is_ok()
}

/// Makes sure the image of `recipe` exists, building it when it does not; says which on
/// stderr, with the build's time. Returns the tag.
pub async fn ensure(recipe: &Recipe, host: &LocalRemote, journal: &Journal) -> Result<String, String> {
    let tag = recipe.tag();
    if present(host, &tag).await {
        eprintln!("faultline: node image {tag} (cached)");
        return Ok(tag);
    }
    eprintln!("faultline: building node image {tag} ({} with {}; once)", recipe.suite, recipe.target);
    let began = Instant::now();
    let dir = Path::new(BUILD_ROOT).join(tag.replace(':', "-"));
    let dir_text = dir.to_string_lossy().into_owned();
    let undo = Command::Exec { argv: argv(&["rm", "-rf", &dir_text]) };
    let id = make(journal, host, &format!("build folder of {tag}"), undo.clone(), &[]).await?;
    build(recipe, &tag, &dir, host).await.map_err(|e| format!("building node image {tag}: {e}"))?;
    unmake(journal, host, id, &undo).await?;
    eprintln!("faultline: built node image {tag} in {:.1} s", began.elapsed().as_secs_f64());
    Ok(tag)
}

async fn build(recipe: &Recipe, tag: &str, dir: &Path, host: &LocalRemote) -> Result<(), String> {
    let rootfs: PathBuf = dir.join("rootfs");
    let (root, tar) = (rootfs.to_string_lossy().into_owned(), dir.join("rootfs.tar").to_string_lossy().into_owned());
    let run = |step: Vec<String>| async move { host.exec(&step, STEP_LIMIT).await.map(drop).map_err(|e| e.message) };
    run(argv(&["rm", "-rf", &dir.to_string_lossy()])).await?;
    run(argv(&["mkdir", "-p", &dir.to_string_lossy()])).await?;
    let include = format!("--include={}", recipe.packages.join(","));
    run(argv(&["debootstrap", "--variant=minbase", &include, &recipe.suite, &root, &recipe.mirror]))
        .await
        .map_err(|e| format!("{e}; the docker provisioner needs debootstrap (scripts/install-deps installs it)"))?;
    let in_root = |step: &[String]| {
        let mut cmd = argv(&["chroot", &root, "env", "DEBIAN_FRONTEND=noninteractive"]);
        cmd.extend(step.iter().cloned());
        cmd
    };
    for step in &recipe.install {
        run(in_root(step)).await?;
    }
    run(in_root(&argv(&["apt-get", "clean"]))).await?;
    run(argv(&["find", &format!("{root}/var/lib/apt/lists"), "-mindepth", "1", "-delete"])).await?;
    run(argv(&["tar", "-C", &root, "-cf", &tar, "."])).await?;
    let label = format!("LABEL faultline.recipe={}", tag.rsplit(':').next().unwrap_or(tag));
    run(argv(&["docker", "import", "--change", "CMD [\"sleep\", \"infinity\"]", "--change", &label, &tar, tag])).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_follows_the_recipe() {
        let target = targets::registry::find("etcd").unwrap();
        let etcd = (target.build)(&targets::TargetOptions::default());
        let recipe = Recipe::for_target(etcd.as_ref());
        assert!(recipe.tag().starts_with("faultline-node:") && recipe.tag().len() == "faultline-node:".len() + 12);
        assert_eq!(recipe.tag(), Recipe::for_target(etcd.as_ref()).tag(), "the same recipe, the same tag");
        let other = Recipe { install: vec![argv(&["true"])], ..recipe.clone() };
        assert_ne!(other.tag(), recipe.tag());
    }
}
