//! Reading and writing: JSONL round trips through the streaming writer, EDN in both layouts,
//! JSON arrays, and readers that never panic on arbitrary input.

use checkers::history::jsonl::HistoryWriter;
use checkers::history::{load_str, Header, Op, OpType, Process, Semantics, Value};
use proptest::prelude::*;

fn sample_ops() -> Vec<Op> {
    let mut ops = Vec::new();
    for i in 0..6u64 {
        let kind = if i % 2 == 0 { OpType::Invoke } else { OpType::Ok };
        ops.push(Op {
            index: i,
            time: i * 1000,
            kind,
            process: Process::Client(i / 2),
            f: "cas".into(),
            value: checkers::value!([i, [1, "<b>\"é\""]]),
            node: Some("n1".into()),
            error: None,
        });
    }
    ops.push(Op {
        index: 6,
        time: 7000,
        kind: OpType::Info,
        process: Process::nemesis(),
        f: "partition".into(),
        value: Value::Null,
        node: None,
        error: Some("healed".into()),
    });
    ops
}

#[test]
fn jsonl_round_trips_through_the_streaming_writer() {
    let header = Header::new("round-trip", 42, Semantics::default());
    let mut writer = HistoryWriter::new(Vec::new(), &header).unwrap();
    for op in sample_ops() {
        writer.write(&op).unwrap();
    }
    let text = String::from_utf8(writer.finish().unwrap()).unwrap();
    assert_eq!(text.lines().count(), 8);
    let history = load_str(&text, "rt.jsonl").unwrap();
    assert_eq!(history.header, Some(header));
    assert_eq!(history.ops, sample_ops());
}

#[test]
fn edn_vector_and_map_per_line_read_the_same() {
    let vector = "[{:process 0, :type :invoke, :f :cas, :value [1 2]}\n {:process 0, :type :fail, :f :cas, :value [1 2]}\n {:process :nemesis, :type :info, :f :start, :value nil}]";
    let lines = "; comment\n{:process 0, :type :invoke, :f :cas, :value [1 2]}\n{:process 0, :type :fail, :f :cas, :value [1 2]}\n\n{:process :nemesis, :type :info, :f :start, :value nil}\n";
    let a = load_str(vector, "v.edn").unwrap();
    let b = load_str(lines, "l.edn").unwrap();
    assert_eq!(a.ops, b.ops);
    assert_eq!(a.ops[1].kind, OpType::Fail);
    assert_eq!(a.ops[1].value, serde_json::json!([1, 2]));
    assert_eq!(a.ops[2].process, Process::nemesis());
    assert_eq!(b.location(1).to_string(), "line 3");
    assert_eq!(a.location(1).to_string(), "line 2");
}

#[test]
fn edn_tagged_records_keywords_maps_and_sets_become_json() {
    let text = r#"[#jepsen.history.Op{:index 0, :time 5, :type :invoke, :process 3, :f :read, :value nil}
                   #jepsen.history.Op{:index 1, :time 9, :type :ok, :process 3, :f :read, :value {0 10, :x #{1 2}}, :error :timeout}]"#;
    let history = load_str(text, "t.edn").unwrap();
    assert_eq!(history.ops[1].index, 1);
    assert_eq!(history.ops[1].time, 9);
    assert_eq!(history.ops[1].value, serde_json::json!({"0": 10, "x": [1, 2]}));
    assert_eq!(history.ops[1].error.as_deref(), Some("timeout"));
}

#[test]
fn json_arrays_of_ops_are_read() {
    let text = r#"[{"type":"invoke","f":"read","process":0,"time":5,"index":0},
                   {"type":"ok","f":"read","process":0,"time":9,"index":1,"value":3}]"#;
    let history = load_str(text, "a.json").unwrap();
    assert_eq!(history.ops.len(), 2);
    assert_eq!(history.ops[1].value, serde_json::json!(3));
}

#[test]
fn imports_without_process_or_time_use_file_order_and_say_so() {
    let text = "{:type :invoke, :value [[:append 1 2]]}\n{:type :ok, :value [[:append 1 2]]}\n";
    let history = load_str(text, "e.edn").unwrap();
    assert_eq!(history.ops[0].process, Process::Client(0));
    assert_eq!(history.ops[0].f, "txn");
    assert_eq!((history.ops[1].index, history.ops[1].time), (1, 1));
    assert!(history.warnings.iter().any(|w| w.contains(":process")), "{:?}", history.warnings);
}

#[test]
fn malformed_edn_names_its_line() {
    let text =
        "{:process 0, :type :invoke, :f :read}\n{:process 0, :type :ok :f}\n{:process 1, :type :invoke, :f :read}\n";
    let err = load_str(text, "bad.edn").unwrap_err().to_string();
    assert!(err.starts_with("bad.edn: line 2:"), "{err}");
}

#[test]
fn empty_input_is_an_error_not_an_empty_history() {
    assert!(load_str("  \n", "e.jsonl").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn readers_never_panic_on_arbitrary_text(text in ".{0,200}") {
        let _ = load_str(&text, "fuzz");
    }

    #[test]
    fn readers_never_panic_on_mutated_histories(cut in 0usize..400, byte in any::<u8>(), at in 0usize..400) {
        let header = Header::new("fuzz", 1, Semantics::default());
        let mut writer = HistoryWriter::new(Vec::new(), &header).unwrap();
        for op in sample_ops() {
            writer.write(&op).unwrap();
        }
        let mut bytes = writer.finish().unwrap();
        bytes.truncate(cut.min(bytes.len()));
        if at < bytes.len() {
            bytes[at] = byte;
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = load_str(&text, "fuzz.jsonl");
        let edn = text.replace('"', "").replace("{", "{:");
        let _ = load_str(&edn, "fuzz.edn");
    }
}

#[test]
fn long_integer_lists_are_held_as_integers_and_equal_the_same_items() {
    use std::hash::BuildHasher;
    let jsonl = "{\"index\":0,\"time\":0,\"type\":\"invoke\",\"process\":0,\"f\":\"txn\",\"value\":[[\"r\",5,null]]}\n\
                 {\"index\":1,\"time\":1,\"type\":\"ok\",\"process\":0,\"f\":\"txn\",\"value\":[[\"r\",5,[1,2,3,-4]],[\"r\",6,[7,8,9]]]}\n";
    let edn = "{:index 0, :time 0, :type :invoke, :process 0, :f :txn, :value [[:r 5 nil]]}\n\
               {:index 1, :time 1, :type :ok, :process 0, :f :txn, :value [[:r 5 [1 2 3 -4]] [:r 6 [7 8 9]]]}\n";
    for (text, file) in [(jsonl, "ints.jsonl"), (edn, "ints.edn")] {
        let history = load_str(text, file).unwrap();
        let long = &history.ops[1].value[0][2];
        let short = &history.ops[1].value[1][2];
        assert_eq!(long.as_ints(), Some(&[1, 2, 3, -4][..]), "{file}");
        assert_eq!(short.as_ints(), None, "{file}: three items stay a list of values");
        let same = Value::from(vec![1, 2, 3, -4]);
        assert_eq!(*long, same, "{file}");
        assert_ne!(*long, Value::from(vec![1, 2, 3, 4]), "{file}");
        let hasher = std::collections::hash_map::RandomState::new();
        assert_eq!(hasher.hash_one(long), hasher.hash_one(&same), "{file}");
        assert_eq!(long.to_string(), "[1,2,3,-4]");
        assert_eq!(serde_json::to_string(long).unwrap(), "[1,2,3,-4]");
        assert_eq!(long.to_json(), serde_json::json!([1, 2, 3, -4]));
        assert!(long.is_array());
        assert_eq!(long.as_array().unwrap(), same.as_array().unwrap());
        assert_eq!(long[3], Value::from(-4));
    }
}

/// A Jepsen history of `pairs` writes, one op map per line. The first completion at or after
/// byte `from` carries an error message of `len` bytes whose lines all start with `{`, as op
/// lines do: wherever the reader cuts a batch inside it, it cuts mid-form.
fn long_edn(pairs: u64, from: usize, len: usize) -> String {
    let mut text = String::new();
    let mut long_error = Some("{:type :ok}\n".repeat(len / 12));
    for i in 0..pairs {
        let (p, t) = (i % 5, 10 * i);
        text.push_str(&format!(
            "{{:index {}, :time {t}, :type :invoke, :process {p}, :f :write, :value {i}}}\n",
            2 * i
        ));
        let error = match text.len() >= from {
            true => long_error.take().map(|e| format!(", :error \"timed out\n{e}\"")).unwrap_or_default(),
            false => String::new(),
        };
        text.push_str(&format!(
            "{{:index {}, :time {}, :type :ok, :process {p}, :f :write{error}}}\n",
            2 * i + 1,
            t + 5
        ));
    }
    text
}

/// Loads `text` on 2 threads: the reader cuts each 16 MiB batch into 4 pieces, at about 4, 8
/// and 12 MiB.
fn load_on_two_threads(text: &str) -> checkers::history::History {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    pool.install(|| load_str(text, "h.edn")).unwrap()
}

#[test]
fn long_edn_read_in_parallel_pieces_equals_the_same_ops_read_as_one_vector() {
    const MIB: usize = 1 << 20;
    // A form across the first cut: the first piece ends mid-form, the rest is read as a stream.
    // Across the second: the second piece ends mid-form, the next batch starts at its last op.
    for (from, len) in [(MIB, 5 * MIB), (5 * MIB, 4 * MIB)] {
        let lines = long_edn(150_000, from, len);
        assert!(lines.len() > 20 * MIB, "two batches of the reader");
        let pieces = load_on_two_threads(&lines);
        let stream = load_str(&format!("[{lines}]"), "h.edn").unwrap();
        assert_eq!(pieces.ops.len(), 300_000);
        assert!(pieces.ops == stream.ops, "the same ops, in the same order");
        assert!((0..pieces.ops.len()).all(|i| pieces.location(i) == stream.location(i)), "the same lines");
        assert!(pieces.ops.iter().any(|op| op.error.as_deref().is_some_and(|e| e.len() > len / 2)));
        assert_eq!(pieces.warnings, stream.warnings);
    }

    let lines = long_edn(150_000, usize::MAX, 0);
    let broken = lines.replacen(":index 250000, :time", ":index 250000, :time }", 1);
    let err = load_str(&broken, "h.edn").unwrap_err().to_string();
    let line = lines[..lines.find(":index 250000,").unwrap()].matches('\n').count() + 1;
    assert!(err.starts_with(&format!("h.edn: line {line}:")), "{err}");

    let torn = format!("{lines}{{:index 300000, :ti");
    let history = load_str(&torn, "h.edn").unwrap();
    assert_eq!(history.ops.len(), 300_000);
    let last = lines.matches('\n').count() + 1;
    let said = history.warnings.iter().any(|w| w.contains(&format!("line {last}:")) && w.contains("torn"));
    assert!(said, "{:?}", history.warnings);
}

#[test]
fn a_discarded_form_before_a_vector_of_ops_is_read_as_a_vector() {
    let ops = "[{:index 0, :time 1, :type :invoke, :process 0, :f :read}\n {:index 1, :time 2, :type :ok, :process 0, :f :read}]";
    for text in [format!("#_ {{:note \"old\"}}\n{ops}"), format!("#_ 7 {ops}"), ops.to_string()] {
        let history = load_str(&text, "h.edn").unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(history.ops.len(), 2, "{text}");
    }
}
