//! Hostile and careless input: size caps, nesting limits, torn lines that are not torn, and
//! files with no ops. Each is a one-line error naming the file, or a history a checker cannot
//! call valid; never a panic, a stack overflow or unbounded memory.

use std::io::Read;
use std::path::Path;

use checkers::history::{load_path, load_reader, load_str, HistoryError, ReadLimits, MAX_NESTING};
use checkers::linearizable::{check, ModelKind, Options};
use checkers::Validity;

fn one_line(e: &HistoryError) -> String {
    let text = e.to_string();
    assert!(!text.contains('\n'), "one line: {text}");
    text
}

#[test]
fn dev_zero_is_refused_at_once() {
    let err = load_path(Path::new("/dev/zero")).unwrap_err();
    let text = one_line(&err);
    assert!(text.starts_with("/dev/zero: line 1:") && text.contains("begins no history"), "{text}");
}

#[test]
fn an_endless_history_stops_at_the_cap() {
    // An endless stream of one JSONL op line after another, read with a 1 MiB cap.
    let line = br#"{"index":0,"time":0,"type":"invoke","process":0,"f":"read","value":null}"#.to_vec();
    let endless = std::iter::repeat(line).flat_map(|mut l| {
        l.push(b'\n');
        l
    });
    let reader = std::io::BufReader::new(EndlessReader(Box::new(endless)));
    let err = load_reader(reader, "endless.jsonl", ReadLimits { max_bytes: 1 << 20 }).unwrap_err();
    let text = one_line(&err);
    assert!(text.contains("larger than the cap of 1048576 bytes") && text.contains("--max-history-bytes"), "{text}");
    // One endless line (no newline at all) is stopped by the same cap.
    let zeros = std::io::BufReader::new(std::io::repeat(b'7').take(u64::MAX));
    let spaces = std::io::BufReader::new(std::io::Cursor::new(b"{\"index\":".to_vec()).chain(zeros));
    let err = load_reader(spaces, "line.jsonl", ReadLimits { max_bytes: 1 << 20 }).unwrap_err();
    assert!(one_line(&err).contains("larger than the cap"), "{err}");
}

struct EndlessReader(Box<dyn Iterator<Item = u8> + Send>);

impl Read for EndlessReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        for (i, slot) in buf.iter_mut().enumerate() {
            match self.0.next() {
                Some(b) => *slot = b,
                None => return Ok(i),
            }
        }
        Ok(buf.len())
    }
}

#[test]
fn deep_edn_is_an_error_naming_the_line_not_a_stack_overflow() {
    let depth = 25_000;
    let text = format!(
        "{{:type :invoke, :process 0, :f :read, :value nil}}\n{{:type :ok, :value {}{}}}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let err = load_str(&text, "deep.edn").unwrap_err();
    let text = one_line(&err);
    assert!(text.starts_with("deep.edn: line 2:") && text.contains(&format!("deeper than {MAX_NESTING}")), "{text}");
}

#[test]
fn deep_json_is_an_error_not_a_stack_overflow() {
    let depth = 25_000;
    let line = format!(
        r#"{{"index":0,"time":0,"type":"invoke","process":0,"f":"read","value":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let err = load_str(&format!("{line}\n"), "deep.jsonl").unwrap_err();
    assert!(one_line(&err).starts_with("deep.jsonl: line 1:"), "{err}");
    let array =
        format!(r#"[{{"type":"invoke","process":0,"f":"read","value":{}{}}}]"#, "[".repeat(depth), "]".repeat(depth));
    let err = load_str(&array, "deep.json").unwrap_err();
    assert!(one_line(&err).contains("deeper than"), "{err}");
}

#[test]
fn one_garbage_line_without_newline_is_an_error_not_a_torn_line() {
    for garbage in ["{\"garbage", "{\"index\": 1, nonsense", "[{\"index\":"] {
        let err = load_str(garbage, "g.jsonl").unwrap_err();
        one_line(&err);
    }
    let err = load_str("{:type :invoke, :process", "g.edn").unwrap_err();
    one_line(&err);
}

#[test]
fn histories_with_no_ops_never_check_valid() {
    let header = r#"{"format":"faultline-history","version":1,"test":"t","seed":1}"#;
    for (text, file) in [
        (header.to_string(), "header.jsonl"),
        (format!("{header}\n"), "header-nl.jsonl"),
        ("[]".to_string(), "empty.json"),
    ] {
        let history = load_str(&text, file).unwrap();
        assert!(history.ops.is_empty());
        let r = check(&history, ModelKind::CasRegister, &Options::default());
        assert_eq!(r.validity, Validity::Unknown, "{file}");
        assert!(r.unknown_reason.unwrap_or_default().contains("no ops"), "{file}");
    }
}
