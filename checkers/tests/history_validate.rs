//! One test per validator rule, the torn-last-line case, and the error text naming file, line
//! and rule.

use checkers::history::{load_str, HistoryError, Location};

const HEADER: &str = r#"{"format":"faultline-history","version":1,"test":"t","seed":7,"semantics":{"nil_read":"absent","failed_cas":"observed","independent":true}}"#;

fn op(index: u64, time: u64, kind: &str, process: u64, f: &str) -> String {
    format!(r#"{{"index":{index},"time":{time},"type":"{kind}","process":{process},"f":"{f}","value":1}}"#)
}

fn jsonl(lines: &[String]) -> String {
    let mut text = String::from(HEADER);
    text.push('\n');
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// Loads `lines` and returns the broken rule and its line.
fn rule_of(lines: &[String]) -> (&'static str, Location) {
    match load_str(&jsonl(lines), "h.jsonl") {
        Err(HistoryError::Invalid { rule, at, .. }) => (rule, at),
        other => panic!("expected a rule violation, got {other:?}"),
    }
}

#[test]
fn a_well_formed_history_loads_with_its_header() {
    let history = load_str(
        &jsonl(&[op(0, 10, "invoke", 0, "write"), op(1, 20, "ok", 0, "write"), op(2, 30, "invoke", 0, "read")]),
        "h.jsonl",
    )
    .unwrap();
    let header = history.header.clone().expect("header");
    assert_eq!(header.seed, 7);
    assert!(header.semantics.independent);
    assert_eq!(history.ops.len(), 3);
    assert_eq!(history.completions(), vec![Some(1), None, None]);
    assert!(history.warnings.is_empty());
}

#[test]
fn completion_without_invoke() {
    assert_eq!(rule_of(&[op(0, 10, "ok", 0, "write")]), ("completion-without-invoke", Location::Line(2)));
}

#[test]
fn two_ops_in_flight() {
    let lines = [op(0, 10, "invoke", 0, "write"), op(1, 20, "invoke", 0, "read")];
    assert_eq!(rule_of(&lines), ("two-in-flight", Location::Line(3)));
}

#[test]
fn mismatched_f() {
    let lines = [op(0, 10, "invoke", 0, "write"), op(1, 20, "ok", 0, "read")];
    assert_eq!(rule_of(&lines), ("mismatched-f", Location::Line(3)));
}

#[test]
fn index_not_increasing() {
    let lines = [op(5, 10, "invoke", 0, "write"), op(5, 20, "ok", 0, "write")];
    assert_eq!(rule_of(&lines), ("index-not-increasing", Location::Line(3)));
    let both_back = [op(5, 10, "invoke", 0, "write"), op(4, 5, "ok", 0, "write")];
    assert_eq!(rule_of(&both_back).0, "index-not-increasing");
}

#[test]
fn time_going_backwards() {
    let lines = [op(0, 10, "invoke", 0, "write"), op(1, 9, "ok", 0, "write")];
    assert_eq!(rule_of(&lines), ("time-backwards", Location::Line(3)));
}

#[test]
fn index_and_time_order_disagree() {
    let lines = [op(3, 10, "invoke", 0, "write"), op(2, 20, "ok", 0, "write")];
    assert_eq!(rule_of(&lines), ("index-time-disagree", Location::Line(3)));
}

#[test]
fn unknown_type() {
    assert_eq!(rule_of(&[op(0, 10, "maybe", 0, "write")]), ("unknown-type", Location::Line(2)));
}

#[test]
fn process_reused_after_info() {
    let lines = [op(0, 10, "invoke", 0, "write"), op(1, 20, "info", 0, "write"), op(2, 30, "invoke", 0, "read")];
    assert_eq!(rule_of(&lines), ("reused-after-info", Location::Line(4)));
}

#[test]
fn nemesis_info_pairs_without_invoke_are_accepted() {
    let nemesis = r#"{"index":1,"time":15,"type":"info","process":"nemesis","f":"start","value":null}"#.to_string();
    let lines = [op(0, 10, "invoke", 0, "write"), nemesis, op(2, 20, "ok", 0, "write")];
    assert!(load_str(&jsonl(&lines), "h.jsonl").is_ok());
}

#[test]
fn error_text_names_file_line_and_rule() {
    let err = load_str(&jsonl(&[op(0, 10, "ok", 0, "write")]), "runs/h.jsonl").unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("runs/h.jsonl: line 2: completion-without-invoke:"), "{text}");
    assert!(!text.contains('\n'), "one line: {text}");
}

#[test]
fn a_torn_last_line_is_dropped_with_a_warning() {
    let mut text = jsonl(&[op(0, 10, "invoke", 0, "write"), op(1, 20, "ok", 0, "write")]);
    text.push_str(r#"{"index":2,"time":30,"type":"inv"#);
    let history = load_str(&text, "h.jsonl").unwrap();
    assert_eq!(history.ops.len(), 2);
    assert_eq!(history.warnings.len(), 1);
    assert!(history.warnings[0].contains("line 4") && history.warnings[0].contains("torn"), "{:?}", history.warnings);
}

#[test]
fn a_malformed_line_elsewhere_is_an_error() {
    let mut lines = vec![op(0, 10, "invoke", 0, "write")];
    lines.push(r#"{"index":1,"time":"#.to_string());
    lines.push(op(2, 30, "ok", 0, "write"));
    match load_str(&jsonl(&lines), "h.jsonl") {
        Err(HistoryError::Malformed { at, .. }) => assert_eq!(at, Location::Line(3)),
        other => panic!("expected malformed, got {other:?}"),
    }
    // A complete (newline-terminated) bad last line is not "torn": it is an error too.
    let text = jsonl(&[op(0, 10, "invoke", 0, "write"), "{\"index\":1,".to_string()]);
    assert!(matches!(load_str(&text, "h.jsonl"), Err(HistoryError::Malformed { .. })));
}

#[test]
fn an_unsupported_header_version_is_refused() {
    let text = jsonl(&[]).replace("\"version\":1", "\"version\":9") + &op(0, 1, "invoke", 0, "read") + "\n";
    let err = load_str(&text, "h.jsonl").unwrap_err().to_string();
    assert!(err.contains("line 1") && err.contains("version 9"), "{err}");
}

/// A history of `pairs` write invocations and completions: about 100 bytes a line, so 100k
/// pairs span two 16 MiB batches of the JSONL reader and several pieces each.
fn long_history(pairs: u64) -> Vec<String> {
    (0..pairs)
        .flat_map(|i| [op(2 * i, 10 * i, "invoke", i % 7, "write"), op(2 * i + 1, 10 * i + 5, "ok", i % 7, "write")])
        .collect()
}

#[test]
fn long_histories_read_in_parallel_pieces_keep_order_lines_and_errors() {
    let lines = long_history(100_000);
    let history = load_str(&jsonl(&lines), "h.jsonl").unwrap();
    assert_eq!(history.ops.len(), 200_000);
    assert!(history.ops.iter().enumerate().all(|(i, op)| op.index == i as u64), "ops keep file order");
    assert_eq!(history.location(199_999), Location::Line(200_001));

    let mut broken = lines.clone();
    broken[180_000] = r#"{"index":1,"time":"#.to_string();
    match load_str(&jsonl(&broken), "h.jsonl") {
        Err(HistoryError::Malformed { at, .. }) => assert_eq!(at, Location::Line(180_002)),
        other => panic!("expected malformed, got {other:?}"),
    }
    let mut out_of_order = lines.clone();
    out_of_order[150_000] = op(3, 10 * 75_000, "invoke", 0, "write");
    assert_eq!(rule_of(&out_of_order).1, Location::Line(150_002));

    let mut torn = jsonl(&lines);
    torn.push_str(r#"{"index":200000,"ti"#);
    let history = load_str(&torn, "h.jsonl").unwrap();
    assert_eq!(history.ops.len(), 200_000);
    assert!(
        history.warnings[0].contains("line 200002") && history.warnings[0].contains("torn"),
        "{:?}",
        history.warnings
    );
}

/// A reader that fails once what it wraps is read: a disk or network error mid-file.
struct FailsAtEnd<R>(R);

impl<R: std::io::Read> std::io::Read for FailsAtEnd<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(std::io::Error::other("the disk went away")),
            n => Ok(n),
        }
    }
}

#[test]
fn a_read_failure_after_the_first_batch_is_an_error_after_the_errors_read_before_it() {
    let load = |lines: &[String]| {
        let reader = std::io::BufReader::new(FailsAtEnd(std::io::Cursor::new(jsonl(lines).into_bytes())));
        checkers::history::load_reader(reader, "h.jsonl", Default::default())
    };
    let lines = long_history(150_000);
    assert!(jsonl(&lines).len() > 20 << 20, "the failure comes after a whole first batch of 16 MiB");
    let err = load(&lines).unwrap_err().to_string();
    assert!(err.contains("h.jsonl") && err.contains("the disk went away"), "{err}");
    let mut broken = lines.clone();
    broken[10] = r#"{"index":1,"time":"#.to_string();
    match load(&broken) {
        Err(HistoryError::Malformed { at, .. }) => assert_eq!(at, Location::Line(12), "the bad line comes first"),
        other => panic!("expected the bad line's error, got {other:?}"),
    }
}
