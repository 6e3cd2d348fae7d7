//! The iptables commands of partitions, as argv vectors run inside a node's network namespace.
//! Every rule lives in faultline's own chain and carries the run id as a comment; nothing here
//! touches any other chain except the one jump into ours.

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
pub fn setup(run_id: &str) -> Vec<Vec<String>> {
    let comment = comment(run_id);
    vec![iptables(&["-N", CHAIN]), iptables(&["-I", "INPUT", "-m", "comment", "--comment", &comment, "-j", CHAIN])]
}

/// Appends (`add = true`) or deletes the rule that drops packets from `from_addr`.
pub fn drop_from(from_addr: &str, run_id: &str, add: bool) -> Vec<String> {
    let comment = comment(run_id);
    let op = if add { "-A" } else { "-D" };
    iptables(&[op, CHAIN, "-s", from_addr, "-m", "comment", "--comment", &comment, "-j", "DROP"])
}

/// Removes every rule in faultline's chain (heals every partition on that node).
pub fn flush() -> Vec<String> {
    iptables(&["-F", CHAIN])
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
    }
}
