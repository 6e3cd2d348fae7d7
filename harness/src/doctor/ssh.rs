//! The checks of one SSH machine: reachable, host key known, authenticated (each step of the
//! connection on its own, so the row that fails says which), then root, the commands' round
//! trip, iptables, the clock and the target over the connection.

use targets::Target;

use super::{node, Row};
use crate::provision::ssh::Ssh;
use crate::remote::ssh::{Login, SshRemote, UnknownHostKey};
use crate::run::provisioning::Machine;

/// The rows of node `name` on `machine`; after a failed connection step the rest are skipped.
pub async fn rows(ssh: &Ssh, name: &str, machine: &Machine, target: &dyn Target) -> Vec<Row> {
    let login = ssh.login(machine);
    let unknown = ssh.unknown_host_keys();
    let steps = {
        let login = login.clone();
        tokio::task::spawn_blocking(move || connect(&login, unknown))
            .await
            .unwrap_or_else(|e| vec![("reachable", Err(format!("the check failed: {e}")))])
    };
    let connected = steps.len() == CONNECTION_CHECKS.len() && steps.iter().all(|(_, r)| r.is_ok());
    let mut rows: Vec<Row> = steps.into_iter().map(|(check, result)| Row::new(name, check, result)).collect();
    if !connected {
        let done = rows.len();
        let skipped = CONNECTION_CHECKS[done..].iter().chain(&NODE_CHECKS);
        rows.extend(skipped.map(|check| Row { node: name.to_string(), check, result: None }));
        return rows;
    }
    let remote = SshRemote::new(name, login.clone(), unknown);
    let root = node::root(&remote, login.uses_sudo().then_some(login.user.as_str())).await;
    let as_root = root.is_ok();
    rows.push(Row::new(name, "root", root));
    if !as_root {
        rows.extend(NODE_CHECKS[1..].iter().map(|check| Row { node: name.to_string(), check, result: None }));
        return rows;
    }
    rows.push(Row::new(name, "commands", node::round_trips(&remote).await));
    rows.push(Row::new(name, "iptables", node::iptables(&remote).await));
    rows.push(Row::new(name, "clock", node::clock(&remote).await));
    rows.push(Row::new(name, "target", node::target(&remote, target).await));
    rows
}

/// The steps of a connection, each a row.
const CONNECTION_CHECKS: [&str; 3] = ["reachable", "host key", "authenticated"];
/// The checks over an open connection, each a row.
const NODE_CHECKS: [&str; 5] = ["root", "commands", "iptables", "clock", "target"];

/// The connection steps up to the first that fails (blocking).
fn connect(login: &Login, unknown: UnknownHostKey) -> Vec<(&'static str, Result<String, String>)> {
    let mut steps = Vec::new();
    let tcp = match login.dial() {
        Ok(tcp) => tcp,
        Err(e) => return vec![("reachable", Err(e))],
    };
    steps.push(("reachable", Ok(format!("{}:{} accepts connections", login.host, login.port))));
    let session = match login.handshake(tcp).and_then(|s| login.check_host_key(&s, unknown).map(|found| (s, found))) {
        Ok((session, found)) => {
            steps.push(("host key", Ok(found.to_string())));
            session
        }
        Err(e) => {
            steps.push(("host key", Err(e)));
            return steps;
        }
    };
    let how = login.key.as_ref().map_or("ssh-agent".to_string(), |k| format!("key {}", k.display()));
    steps.push(("authenticated", login.authenticate(&session).map(|()| format!("as {} with {how}", login.user))));
    steps
}
