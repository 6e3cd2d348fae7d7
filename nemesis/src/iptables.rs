//! Every iptables command faultline runs, as argv vectors: partitions inside a node's network
//! namespace, and the one rule on the host that lets bridged traffic between the nodes pass.
//! Every rule carries the run id as a comment; partitions live in faultline's own chain, and
//! nothing here touches any other chain except the jump into ours and that one accept rule.

/// faultline's chain in each node's `filter` table.
pub const CHAIN: &str = "FAULTLINE";

fn iptables(args: &[&str]) -> Vec<String> {
    let mut argv = vec!["iptables".to_string(), "-w".to_string(), "5".to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    argv
}

fn comment(run_id: &str) -> String {
    format!("faultline:{run_id}")
}

/// Creates faultline's chain and jumps to it from INPUT (run once per node at setup).
pub fn setup(run_id: &str) -> [Vec<String>; 2] {
    let comment = comment(run_id);
    [iptables(&["-N", CHAIN]), iptables(&["-I", "INPUT", "-m", "comment", "--comment", &comment, "-j", CHAIN])]
}

/// Undoes [`setup`] on a node that outlives the run (an SSH machine): the first removes the
/// (emptied) chain, the second the jump; run the second first.
pub fn teardown(run_id: &str) -> [Vec<String>; 2] {
    let comment = comment(run_id);
    [iptables(&["-X", CHAIN]), iptables(&["-D", "INPUT", "-m", "comment", "--comment", &comment, "-j", CHAIN])]
}

/// Appends (`add = true`) or deletes a rule of faultline's chain for packets from `from_addr`,
/// with `matching` before the run's comment and `then` after `-j`.
fn from_rule(from_addr: &str, run_id: &str, add: bool, matching: &[&str], then: &[&str]) -> Vec<String> {
    let comment = comment(run_id);
    let head = [if add { "-A" } else { "-D" }, CHAIN, "-s", from_addr];
    let tagged = ["-m", "comment", "--comment", &comment, "-j"];
    iptables(&[&head[..], matching, &tagged[..], then].concat())
}

/// Appends (`add = true`) or deletes the rule that drops packets from `from_addr`.
pub fn drop_from(from_addr: &str, run_id: &str, add: bool) -> Vec<String> {
    from_rule(from_addr, run_id, add, &[], &["DROP"])
}

/// Appends (`add = true`) or deletes the rule that drops `percent`% of the packets from
/// `from_addr`, each at random (the `statistic` match: packet loss without netem).
pub fn lose_from(from_addr: &str, percent: u8, run_id: &str, add: bool) -> Vec<String> {
    let probability = format!("{:.2}", f64::from(percent) / 100.0);
    let statistic = ["-m", "statistic", "--mode", "random", "--probability", &probability];
    from_rule(from_addr, run_id, add, &statistic, &["DROP"])
}

/// Appends (`add = true`) or deletes the rule that hands packets from `from_addr` to netfilter
/// queue `queue` (passing them on when nothing listens there).
pub fn queue_from(from_addr: &str, queue: u16, run_id: &str, add: bool) -> Vec<String> {
    let queue = queue.to_string();
    from_rule(from_addr, run_id, add, &[], &["NFQUEUE", "--queue-num", &queue, "--queue-bypass"])
}

/// Inserts (`add = true`) or deletes the rule in the host's `chain` (Docker's `DOCKER-USER`, or
/// `FORWARD`) that accepts traffic bridged between two ports of `bridge`.
pub fn accept_bridged(chain: &str, bridge: &str, run_id: &str, add: bool) -> Vec<String> {
    let comment = comment(run_id);
    let op = if add { "-I" } else { "-D" };
    iptables(&[op, chain, "-i", bridge, "-o", bridge, "-m", "comment", "--comment", &comment, "-j", "ACCEPT"])
}

/// Succeeds when the host has Docker's `DOCKER-USER` chain.
pub fn has_docker_user() -> Vec<String> {
    iptables(&["-S", "DOCKER-USER"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_tagged_and_in_our_chain() {
        let argv = drop_from("198.18.0.12", "r1", true);
        assert_eq!(
            argv.join(" "),
            "iptables -w 5 -A FAULTLINE -s 198.18.0.12 -m comment --comment faultline:r1 -j DROP"
        );
        assert_eq!(drop_from("198.18.0.12", "r1", false)[3], "-D");
        assert!(setup("r1")[1].contains(&"faultline:r1".to_string()));
        let queue = queue_from("198.18.0.12", 12, "r1", false).join(" ");
        assert_eq!(
            queue,
            "iptables -w 5 -D FAULTLINE -s 198.18.0.12 -m comment --comment faultline:r1 -j NFQUEUE --queue-num 12 \
             --queue-bypass"
        );
        let lose = lose_from("198.18.0.12", 30, "r1", true).join(" ");
        assert_eq!(
            lose,
            "iptables -w 5 -A FAULTLINE -s 198.18.0.12 -m statistic --mode random --probability 0.30 \
             -m comment --comment faultline:r1 -j DROP"
        );
        let accept = accept_bridged("FORWARD", "fl-br0", "r1", true).join(" ");
        assert_eq!(accept, "iptables -w 5 -I FORWARD -i fl-br0 -o fl-br0 -m comment --comment faultline:r1 -j ACCEPT");
    }
}
