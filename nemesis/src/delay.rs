//! Delay without netem: on the receiving node, an iptables rule hands what one sender sends to
//! a netfilter queue, and faultline's own delay agent (`faultline delay-agent`, started beside
//! the target) holds each packet for the delay, give or take the jitter, and lets it go. The
//! agent adds its rule once it listens and deletes it when stopped, before it lets the packets
//! it holds go; the rule bypasses the queue when no agent listens, so a dead agent delays
//! nothing.

use std::path::Path;

use crate::command::Daemon;

/// The netfilter queue for packets from `addr`: its last two octets, so that on one receiver
/// every sender has a queue (and an agent) of its own.
pub fn queue_of(addr: &str) -> u16 {
    let octets: Vec<u16> = addr.split('.').filter_map(|o| o.parse().ok()).collect();
    match octets.as_slice() {
        [.., c, d] => c.wrapping_mul(256).wrapping_add(*d),
        _ => 0,
    }
}

/// The agent, run from faultline's executable `exe` on the node, that delays what `from`
/// (address `from_addr`) sends to the node of `target` by `ms` ± `jitter_ms` milliseconds; its
/// log and pidfile beside the target's.
pub fn agent(
    exe: &Path,
    target: &Daemon,
    from: &str,
    from_addr: &str,
    run_id: &str,
    ms: u32,
    jitter_ms: u32,
) -> Daemon {
    let args = [
        "delay-agent".to_string(),
        "--queue".into(),
        queue_of(from_addr).to_string(),
        "--source".into(),
        from_addr.into(),
        "--run-id".into(),
        run_id.into(),
        "--delay-ms".into(),
        ms.to_string(),
        "--jitter-ms".into(),
        jitter_ms.to_string(),
    ];
    Daemon {
        argv: std::iter::once(exe.to_string_lossy().into_owned()).chain(args).collect(),
        env: Vec::new(),
        user: None,
        log: target.pidfile.with_extension(format!("delay-{from}.log")),
        pidfile: target.pidfile.with_extension(format!("delay-{from}.pid")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sender_has_its_own_queue_and_agent_beside_the_target() {
        assert_eq!(queue_of("198.18.0.11"), 11);
        assert_eq!(queue_of("198.19.1.2"), 258);
        let target = Daemon {
            argv: vec!["etcd".into()],
            env: Vec::new(),
            user: None,
            log: "/d/n1.etcd.log".into(),
            pidfile: "/d/n1.etcd.pid".into(),
        };
        let agent = agent(Path::new("/d/faultline"), &target, "n2", "198.18.0.12", "r1", 100, 20);
        assert_eq!(
            agent.argv.join(" "),
            "/d/faultline delay-agent --queue 12 --source 198.18.0.12 --run-id r1 --delay-ms 100 --jitter-ms 20"
        );
        assert_eq!(agent.pidfile, Path::new("/d/n1.etcd.delay-n2.pid"));
        assert_eq!(agent.reference().exe, "faultline");
    }
}
