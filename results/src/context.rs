//! Each anomaly placed in its run: which node served each op involved, which faults were active
//! on that node at the time, and, for a read that returned a value it should not have, the
//! write of that value, the write that overwrote it and when, and which node acknowledged each.
//! For a transactional cycle, the same for both ends of every edge.
//!
//! The one place these lines are made: the run page, `faultline check` and the campaign's
//! JUnit failures all show what [`Context::explain`] returns.
//!
//! Register values may repeat (etcd's register workload draws them from a few), so "the write
//! of the value read" is the latest write (or CAS) of that value invoked before the read
//! returned: the most recent it could have seen. When even that was overwritten before the
//! read began, the read was stale by at least that much.

use checkers::history::Value;
use checkers::{Anomaly, History, Op, OpType};
use serde_json::Value as Json;

use crate::faults::FaultPeriod;
use crate::text;

/// A piece of a context line: text, or a reference to a fault period (its position in the
/// periods given to [`Context::new`]) with the text that names it.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Plain text.
    Text(String),
    /// A fault: its position among the periods, and how it is named (`fault 1 (partition:
    /// isolate n3, 2.001–12.070 s)`).
    Fault(usize, String),
}

/// One line of context.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Line {
    /// Its pieces, in order.
    pub parts: Vec<Part>,
}

impl Line {
    fn text(mut self, s: impl Into<String>) -> Line {
        self.parts.push(Part::Text(s.into()));
        self
    }
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(s) | Part::Fault(_, s) => f.write_str(s)?,
            }
        }
        Ok(())
    }
}

/// Most ops described for an anomaly that is neither a stuck read nor a cycle (only those
/// whose node is recorded are).
const MAX_OPS: usize = 4;

/// What [`Context::explain`] needs from a history, computed once.
pub struct Context<'a> {
    history: &'a History,
    periods: &'a [FaultPeriod],
    /// Per position: the completion of an invocation.
    completion: Vec<Option<usize>>,
    /// Per position: the invocation of a completion.
    invocation: Vec<Option<usize>>,
    end: u64,
    real_time: bool,
}

impl<'a> Context<'a> {
    /// The context of `history`, whose fault periods are `periods`
    /// ([`crate::faults::fault_periods`]).
    pub fn new(history: &'a History, periods: &'a [FaultPeriod]) -> Context<'a> {
        let completion = history.completions();
        let mut invocation = vec![None; history.ops.len()];
        for (i, c) in completion.iter().enumerate() {
            if let Some(c) = c {
                invocation[*c] = Some(i);
            }
        }
        Context {
            history,
            periods,
            completion,
            invocation,
            end: crate::spans::history_end(history),
            real_time: crate::spans::has_real_times(history),
        }
    }

    /// The lines that place `anomaly` in the run; empty when its ops are not in the history.
    pub fn explain(&self, anomaly: &Anomaly) -> Vec<Line> {
        let detail = &anomaly.detail;
        if let Some(cycle) = detail.get("cycle").and_then(Json::as_array) {
            return cycle.iter().filter_map(|edge| self.edge(edge)).collect();
        }
        let stuck =
            detail.get("cannot_place").and_then(|s| s.get(0)).and_then(|s| s.get("index")).and_then(Json::as_u64);
        if let Some(read) = stuck.and_then(|i| self.invoke_of(i)) {
            let key = detail.get("key").filter(|k| !k.is_null()).map(|k| Value::from(k.clone()));
            let key = key.as_ref();
            let first = Line::default().text(format!("op {}", self.history.ops[read].index));
            let mut first = self.on_node(first, read, true);
            let flow = detail.get("rule").map(|_| {
                let op =
                    |field: &str| detail.get(field).and_then(serde_json::Value::as_u64).and_then(|i| self.invoke_of(i));
                (op("write"), op("overwritten_by"))
            });
            let found = match flow {
                Some((writer, over)) => self.flow(read, key, writer, over),
                None => self.stale_read(read, key),
            };
            let Some((said, ops)) = found else { return vec![first] };
            first = first.text(said);
            // The first line named the faults in full; the ops it names refer to them by number.
            let evidence = ops.into_iter().map(|p| self.on_node(Line::default().text(self.describe(p)), p, false));
            return std::iter::once(first).chain(evidence).collect();
        }
        let mut seen = Vec::new();
        for i in &anomaly.ops {
            if let Some(p) = self.invoke_of(*i).filter(|p| !seen.contains(p)) {
                seen.push(p);
            }
        }
        // Without the node that served them, the ops say nothing the explanation does not.
        let on_a_node = |p: &usize| {
            let (inv, done) = self.span(*p);
            Self::node(inv, done).is_some()
        };
        seen.into_iter().filter(on_a_node).take(MAX_OPS).map(|p| self.served(p)).collect()
    }

    /// [`Context::explain`] as plain text, one string per line.
    pub fn text(&self, anomaly: &Anomaly) -> Vec<String> {
        self.explain(anomaly).iter().map(Line::to_string).collect()
    }

    /// The position of the invocation of the op with `index` (itself or its completion's).
    fn invoke_of(&self, index: u64) -> Option<usize> {
        let p = self.history.ops.binary_search_by_key(&index, |op| op.index).ok()?;
        match self.history.ops[p].kind {
            OpType::Invoke => Some(p),
            _ => self.invocation[p],
        }
    }

    fn when(&self, op: &Op) -> String {
        if self.real_time {
            text::secs(op.time)
        } else {
            format!("op {}", op.index)
        }
    }

    /// Faults active on `node` at some time in `[from, to]`.
    fn faults_on(&self, node: &str, from: u64, to: u64) -> Vec<usize> {
        self.periods
            .iter()
            .enumerate()
            .filter(|(_, p)| p.nodes.iter().any(|n| n == node) && p.start <= to && p.end_or(self.end) >= from)
            .map(|(k, _)| k)
            .collect()
    }

    /// How a fault is named: `fault 1 (partition: isolate n3, 2.001–12.070 s)`.
    pub fn fault_name(&self, k: usize) -> String {
        let p = &self.periods[k];
        let intent = p.description.first().map(|d| format!(": {}", text::cut(d, 60))).unwrap_or_default();
        let (from, to) = if self.real_time {
            let healed = p.healed.map_or_else(|| "never healed".to_string(), text::secs);
            (text::secs(p.start), healed)
        } else {
            (format!("op {}", p.start), p.healed.map_or_else(|| "never healed".to_string(), |h| format!("op {h}")))
        };
        format!("fault {} ({}{intent}, {from} to {to})", k + 1, p.f)
    }

    /// The span of the op invoked at `p`: invocation and completion (or the history's end).
    fn span(&self, p: usize) -> (&'a Op, Option<&'a Op>) {
        (&self.history.ops[p], self.completion[p].map(|c| &self.history.ops[c]))
    }

    /// `op 743 (read [0,null] → ok [0,4] by process 13, 4.228 s to 4.230 s)`.
    fn describe(&self, p: usize) -> String {
        let (inv, done) = self.span(p);
        let outcome = done.map_or_else(
            || "never completed".to_string(),
            |d| format!("{} {}", d.kind.as_str(), text::value(&d.value, 40)),
        );
        let to = done.map_or_else(|| "the end".to_string(), |d| self.when(d));
        format!(
            "op {} ({} → {outcome} by process {}, {} to {to})",
            inv.index,
            text::op_call(inv, 40),
            inv.process,
            self.when(inv)
        )
    }

    /// `served by n3` and the faults active on n3 while the op ran, as a line about op `p`.
    fn served(&self, p: usize) -> Line {
        let line = Line::default().text(self.describe(p));
        self.on_node(line, p, true)
    }

    /// The node that served an op: its completion's, else its invocation's.
    fn node<'o>(inv: &'o Op, done: Option<&'o Op>) -> Option<&'o str> {
        done.and_then(|d| d.node.as_deref()).or(inv.node.as_deref())
    }

    /// Adds the node that served op `p` and the faults on it then (named in full when `full`).
    fn on_node(&self, mut line: Line, p: usize, full: bool) -> Line {
        let (inv, done) = self.span(p);
        let Some(node) = Self::node(inv, done) else { return line };
        let verb = match done.map(|d| d.kind) {
            Some(OpType::Ok) if *inv.f == *"read" => "served by",
            Some(OpType::Ok) => "acknowledged by",
            _ => "sent to",
        };
        line = line.text(format!(" {verb} {node}"));
        let to = done.map_or(self.end, |d| d.time);
        let faults = self.faults_on(node, inv.time, to);
        if faults.is_empty() {
            return line.text(if full { format!(", no fault on {node} then") } else { String::new() });
        }
        line = line.text(", during ");
        for (n, k) in faults.iter().enumerate() {
            if n > 0 {
                line = line.text(" and ");
            }
            let name = if full { self.fault_name(*k) } else { format!("fault {}", k + 1) };
            line.parts.push(Part::Fault(*k, name));
        }
        line
    }

    /// The value an op (invocation or completion) carries for `key`: the inner value of a
    /// `[key value]` pair when there is a key, else the value itself; `None` for another key.
    fn for_key<'v>(value: &'v Value, key: Option<&Value>) -> Option<&'v Value> {
        match key {
            None => Some(value),
            Some(key) => match value.as_array() {
                Some([k, inner]) if k == key => Some(inner),
                _ => None,
            },
        }
    }

    /// The value a write or CAS invoked at `p` writes to `key`, if it is one.
    fn written(&self, p: usize, key: Option<&Value>) -> Option<&'a Value> {
        let op = &self.history.ops[p];
        if op.kind != OpType::Invoke || !op.is_client() {
            return None;
        }
        let arg = Self::for_key(&op.value, key)?;
        match &*op.f {
            "write" => Some(arg),
            "cas" => match arg.as_array() {
                Some([_, new]) => Some(new),
                _ => None,
            },
            _ => None,
        }
    }

    /// For a read invoked at `read` that returned `v`: what the first line adds (`, returned 4,
    /// last written by op 670 and overwritten by op 676 350 ms before the read began`) and the
    /// ops it names, to be described one per line. The write is the latest write of `v`
    /// invoked before the read returned; the overwrite the first write of another value
    /// invoked after that write was acknowledged and acknowledged before the read began.
    fn stale_read(&self, read: usize, key: Option<&Value>) -> Option<(String, Vec<usize>)> {
        let (inv, Some(done)) = self.span(read) else { return None };
        if *inv.f != *"read" || done.kind != OpType::Ok {
            return None;
        }
        let v = Self::for_key(&done.value, key)?;
        let returned = self.completion[read].unwrap_or(read);
        let key_text = key.map(|k| format!(" key {}", text::value(k, 20))).unwrap_or_else(|| " it".to_string());
        let vt = text::value(v, 40);
        let took_effect = |p: usize| self.completion[p].is_none_or(|c| self.history.ops[c].kind != OpType::Fail);
        let index = |p: usize| self.history.ops[p].index;
        let Some(w) = (0..returned).rev().find(|&p| self.written(p, key) == Some(v) && took_effect(p)) else {
            if v.is_null() {
                let first = (0..read).find(|&p| self.written(p, key).is_some() && self.acked_before(p, inv.time))?;
                let said =
                    format!(", returned nil though op {} had written{key_text} before the read began", index(first));
                return Some((said, vec![first]));
            }
            return Some((format!(", returned {vt}, which no write invoked before it returned wrote"), Vec::new()));
        };
        let Some(w_done) = self.completion[w].map(|c| &self.history.ops[c]).filter(|d| d.kind == OpType::Ok) else {
            return Some((format!(", returned {vt}, last written by op {}, never acknowledged", index(w)), vec![w]));
        };
        let over = (w + 1..read).find(|&p| {
            self.written(p, key).is_some_and(|x| x != v)
                && self.history.ops[p].time > w_done.time
                && self.acked_before(p, inv.time)
        });
        let Some(o) = over else {
            return Some((format!(", returned {vt}, last written by op {}", index(w)), vec![w]));
        };
        let said = format!(
            ", returned {vt}, last written by op {} and overwritten by op {}{}",
            index(w),
            index(o),
            self.ago(o, inv)
        );
        Some((said, vec![w, o]))
    }

    /// What the first line adds for a read the checker refuted by value flow alone (its detail
    /// names the write it read, `None` for the initial value or no write at all, and the
    /// overwrite), and the ops to describe.
    fn flow(
        &self,
        read: usize,
        key: Option<&Value>,
        writer: Option<usize>,
        over: Option<usize>,
    ) -> Option<(String, Vec<usize>)> {
        let (inv, done) = self.span(read);
        let vt = text::value(Self::for_key(&done?.value, key)?, 40);
        let index = |p: usize| self.history.ops[p].index;
        let said = match (writer, over) {
            (_, None) => format!(", returned {vt}, which no op wrote"),
            (None, Some(o)) => {
                format!(", returned {vt}, the initial value, overwritten by op {}{}", index(o), self.ago(o, inv))
            }
            (Some(w), Some(o)) => format!(
                ", returned {vt}, last written by op {} and overwritten by op {}{}",
                index(w),
                index(o),
                self.ago(o, inv)
            ),
        };
        Some((said, writer.into_iter().chain(over).collect()))
    }

    /// ` 350.6 ms before the read began`: from the acknowledgement of op `o` to `read`'s invocation.
    fn ago(&self, o: usize, read: &Op) -> String {
        match self.completion[o].map(|c| &self.history.ops[c]) {
            Some(d) if self.real_time => {
                format!(" {} before the read began", text::duration(read.time.saturating_sub(d.time)))
            }
            _ => " before the read began".to_string(),
        }
    }

    /// True when the op invoked at `p` was acknowledged (`ok`) before `time`.
    fn acked_before(&self, p: usize, time: u64) -> bool {
        self.completion[p].is_some_and(|c| {
            let d = &self.history.ops[c];
            d.kind == OpType::Ok && d.time < time
        })
    }

    /// One edge of a cycle: `T(op 10) -wr x=1-> T(op 20)` with both ends' nodes and faults.
    fn edge(&self, edge: &Json) -> Option<Line> {
        let from = self.invoke_of(edge.get("from_op")?.as_u64()?)?;
        let to = self.invoke_of(edge.get("to_op")?.as_u64()?)?;
        let kind = edge.get("edge").map(|k| text::value(k, 20)).unwrap_or_default();
        let on = match (edge.get("key").filter(|k| !k.is_null()), edge.get("value").filter(|v| !v.is_null())) {
            (Some(k), Some(v)) => format!(" on {}={}", text::value(k, 20), text::value(v, 20)),
            (Some(k), None) => format!(" on {}", text::value(k, 20)),
            _ => String::new(),
        };
        let node_of = |p: usize, line: Line| self.on_node(line, p, false);
        let line = Line::default().text(format!("{kind}{on}: op {}", self.history.ops[from].index));
        let line = node_of(from, line).text(format!(" → op {}", self.history.ops[to].index));
        Some(node_of(to, line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::fault_periods;
    use crate::sample::{nemesis_op, op};
    use serde_json::json;

    fn client(index: u64, time: u64, kind: OpType, process: u64, f: &str, value: impl Into<Value>, node: &str) -> Op {
        let mut o = op(index, time, kind, process, f);
        o.value = value.into();
        o.node = Some(node.into());
        o
    }

    /// n3 isolated at 100; a write of 1 on n1, its overwrite by 2 on n2, then a read of 1 on n3.
    fn stale() -> History {
        History::from_ops(
            None,
            vec![
                client(0, 10, OpType::Invoke, 0, "write", json!(1), "n1"),
                client(1, 20, OpType::Ok, 0, "write", json!(1), "n1"),
                nemesis_op(2, 100, OpType::Invoke, "partition", json!("isolate n3")),
                nemesis_op(3, 110, OpType::Ok, "partition", json!({"did": [{"do": "drop", "from": "n1", "on": "n3"}]})),
                client(4, 200, OpType::Invoke, 1, "write", json!(2), "n2"),
                client(5, 210, OpType::Ok, 1, "write", json!(2), "n2"),
                client(6, 300, OpType::Invoke, 2, "read", Value::Null, "n3"),
                client(7, 310, OpType::Ok, 2, "read", json!(1), "n3"),
                nemesis_op(8, 400, OpType::Invoke, "heal", Value::Null),
                nemesis_op(9, 410, OpType::Ok, "heal", Value::Null),
            ],
        )
    }

    #[test]
    fn a_stale_read_names_its_node_fault_writer_and_overwriter() {
        let h = stale();
        let periods = fault_periods(&h);
        let cx = Context::new(&h, &periods);
        let anomaly = Anomaly {
            kind: "nonlinearizable".into(),
            ops: vec![6, 7],
            explanation: "read returned 1".into(),
            detail: json!({"key": null, "cannot_place": [{"index": 6}]}),
        };
        let lines = cx.explain(&anomaly);
        let texts: Vec<String> = lines.iter().map(Line::to_string).collect();
        assert_eq!(texts.len(), 3, "{texts:#?}");
        assert!(
            texts[0].starts_with("op 6 served by n3, during fault 1 (partition: isolate n3, 0.000 s to 0.000 s)"),
            "{}",
            texts[0]
        );
        assert!(
            texts[0].ends_with(", returned 1, last written by op 0 and overwritten by op 4 0 µs before the read began"),
            "{}",
            texts[0]
        );
        assert!(lines[0].parts.contains(&Part::Fault(0, cx.fault_name(0))));
        assert!(
            texts[1].starts_with("op 0 (write 1 → ok 1 by process 0") && texts[1].ends_with("acknowledged by n1"),
            "{}",
            texts[1]
        );
        assert!(texts[2].starts_with("op 4 (write 2") && texts[2].ends_with("acknowledged by n2"), "{}", texts[2]);
    }

    #[test]
    fn cycles_are_explained_per_edge_and_other_anomalies_per_op() {
        let h = stale();
        let periods = fault_periods(&h);
        let cx = Context::new(&h, &periods);
        let cycle = Anomaly {
            kind: "G1c".into(),
            ops: vec![0, 6],
            explanation: String::new(),
            detail: json!({"cycle": [{"from_op": 1, "to_op": 6, "edge": "wr", "key": "x", "value": 1},
                                     {"from_op": 6, "to_op": 0, "edge": "rw", "key": "x"}]}),
        };
        let texts: Vec<String> = cx.explain(&cycle).iter().map(Line::to_string).collect();
        assert_eq!(texts.len(), 2);
        assert!(
            texts[0].starts_with("wr on x=1: op 0 acknowledged by n1 → op 6 served by n3, during fault 1"),
            "{}",
            texts[0]
        );
        let lost = Anomaly { kind: "lost".into(), ops: vec![4, 5, 99], explanation: String::new(), detail: Json::Null };
        let texts: Vec<String> = cx.explain(&lost).iter().map(Line::to_string).collect();
        assert_eq!(texts.len(), 1, "{texts:?}");
        assert!(texts[0].ends_with("acknowledged by n2, no fault on n2 then"), "{}", texts[0]);
    }
}
