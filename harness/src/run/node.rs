//! A node of a live run: its name and address, its control channel, the target's daemon on it,
//! and its folder in the run (where its config files and collected logs go).

use std::path::{Path, PathBuf};

use nemesis::{Daemon, DaemonRef};
use targets::NodeSpec;

use crate::remote::Remote;

/// One node of the cluster under test.
pub struct Node {
    /// Its name and address.
    pub spec: NodeSpec,
    /// Its control channel: the only way the harness touches it.
    pub remote: Box<dyn Remote>,
    /// The target's daemon on it.
    pub daemon: Daemon,
    /// Its folder in the run, on the controller.
    pub dir: PathBuf,
}

impl Node {
    /// The target's daemon, as signals find it.
    pub fn daemon_ref(&self) -> DaemonRef {
        self.daemon.reference()
    }

    /// Downloads the node's file `path` into its folder of the run; returns where it went.
    pub async fn collect(&self, path: &Path) -> Result<PathBuf, String> {
        let kept = self.dir.join(path.file_name().unwrap_or_default());
        self.remote.download(path, &kept).await.map_err(|e| format!("collecting {}: {e}", path.display()))?;
        Ok(kept)
    }
}
