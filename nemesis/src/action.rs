//! Actions: exactly what a resolved fault does to which node, and how each is undone.

use serde::{Deserialize, Serialize};

/// One concrete step of a fault on one named node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case")]
pub enum Action {
    /// Node `on` drops every packet it receives from node `from` (undone by deleting the rule).
    Drop {
        /// The receiving node, whose firewall holds the rule.
        on: String,
        /// The sender whose packets are dropped.
        from: String,
    },
    /// SIGKILL the target's process on `node` (undone by starting it again).
    Kill {
        /// The node.
        node: String,
    },
    /// SIGSTOP the target's process on `node` (undone by SIGCONT).
    Pause {
        /// The node.
        node: String,
    },
}

impl Action {
    /// The nodes this action touches.
    pub fn node(&self) -> &str {
        match self {
            Action::Drop { on, .. } => on,
            Action::Kill { node } | Action::Pause { node } => node,
        }
    }
}

/// A resolved fault: the intent it came from and the actions that realise it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// The intent as written, e.g. `isolate leader`.
    pub intent: String,
    /// What will be done, in order; healing undoes them in reverse.
    pub actions: Vec<Action>,
}

impl Fault {
    /// A short human description: `isolate leader: n1 drops n2, n3; kill n4`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut drops: Vec<(String, Vec<String>)> = Vec::new();
        for action in &self.actions {
            match action {
                Action::Drop { on, from } => match drops.iter_mut().find(|(o, _)| o == on) {
                    Some((_, froms)) => froms.push(from.clone()),
                    None => drops.push((on.clone(), vec![from.clone()])),
                },
                Action::Kill { node } => parts.push(format!("kill {node}")),
                Action::Pause { node } => parts.push(format!("pause {node}")),
            }
        }
        for (on, froms) in drops {
            parts.push(format!("{on} drops {}", froms.join(",")));
        }
        format!("{}: {}", self.intent, parts.join("; "))
    }
}
