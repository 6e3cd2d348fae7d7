//! The drawing of a transactional anomaly's cycle: its transactions on a circle, each
//! dependency an arrow labelled with its kind (ww, wr, rw, process, realtime), and a table that
//! explains every edge.
//!
//! Expected `detail` (as `checkers::txn` writes it): `{"cycle": [{"from_op", "to_op", "edge",
//! "key", "value", "text", "why"}, ...]}`, where `from_op`/`to_op` are op indices, `text` the
//! edge in words with transactions named T1, T2, ... in order of first appearance (as the
//! drawing names them), and `why` the inference the edge rests on.

use checkers::History;
use serde_json::Value;

use crate::text;

const CENTRE: f64 = 170.0;
const RADIUS: f64 = 110.0;

/// A transaction of the cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Centre, px.
    pub x: i32,
    /// Centre, px.
    pub y: i32,
    /// `T1`, `T2`, ... in order of first appearance in the cycle.
    pub label: String,
    /// The transaction itself, for the hover title.
    pub title: String,
    /// The op index.
    pub index: u64,
    /// Its invocation's index, for links to the timeline.
    pub invocation: u64,
}

/// One dependency edge.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// SVG path (a slightly bent curve, so opposite edges between two nodes stay apart).
    pub path: String,
    /// Where the label goes, px.
    pub label_x: i32,
    /// Where the label goes, px.
    pub label_y: i32,
    /// ww, wr, rw, process, realtime.
    pub kind: String,
    /// Node label of the source.
    pub from: String,
    /// Node label of the target.
    pub to: String,
    /// The key, when the edge is about one.
    pub key: String,
    /// The value, when the edge is about one.
    pub value: String,
    /// The edge in words.
    pub text: String,
    /// The inference the edge rests on.
    pub why: String,
}

/// Everything the page needs to draw one cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleDiagram {
    /// SVG size, px (square).
    pub size: u32,
    /// The transactions.
    pub nodes: Vec<Node>,
    /// The edges, in cycle order.
    pub edges: Vec<Edge>,
}

/// Builds the drawing from an anomaly's `detail`; `None` when it has no usable `cycle`.
pub fn diagram(history: &History, detail: &Value) -> Option<CycleDiagram> {
    let cycle = detail.get("cycle")?.as_array()?;
    let mut ids: Vec<u64> = Vec::new();
    let mut raw = Vec::new();
    for e in cycle {
        let (from, to) = (e.get("from_op")?.as_u64()?, e.get("to_op")?.as_u64()?);
        for id in [from, to] {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        raw.push((from, to, e));
    }
    if ids.is_empty() {
        return None;
    }
    let n = ids.len() as f64;
    let nodes: Vec<Node> = ids
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            let angle = -std::f64::consts::FRAC_PI_2 + i as f64 * std::f64::consts::TAU / n;
            let title = history
                .ops
                .binary_search_by_key(&id, |op| op.index)
                .map(|p| {
                    let op = &history.ops[p];
                    format!("op {id} by process {}: {} ({})", op.process, text::op_call(op, 120), op.kind.as_str())
                })
                .unwrap_or_else(|_| format!("op {id}"));
            Node {
                x: (CENTRE + RADIUS * angle.cos()).round() as i32,
                y: (CENTRE + RADIUS * angle.sin()).round() as i32,
                label: format!("T{}", i + 1),
                title,
                index: id,
                invocation: crate::spans::invocation_index(history, id),
            }
        })
        .collect();
    let at = |id: u64| &nodes[ids.iter().position(|&x| x == id).unwrap_or(0)];
    let field = |e: &Value, k: &str| e.get(k).map(|v| text::value(v, 60)).unwrap_or_default();
    let edges = raw
        .iter()
        .map(|&(from, to, e)| {
            let (a, b) = (at(from), at(to));
            let (path, lx, ly) = bent(a, b);
            Edge {
                path,
                label_x: lx,
                label_y: ly,
                kind: field(e, "edge"),
                from: a.label.clone(),
                to: b.label.clone(),
                key: field(e, "key"),
                value: field(e, "value"),
                text: e.get("text").map(|v| text::value(v, 400)).unwrap_or_default(),
                why: e.get("why").map(|v| text::value(v, 400)).unwrap_or_default(),
            }
        })
        .collect();
    Some(CycleDiagram { size: (2.0 * CENTRE) as u32, nodes, edges })
}

/// A quadratic curve from `a` to `b`, bent to the left of its direction, stopping short of the
/// node circles; and the point for its label.
fn bent(a: &Node, b: &Node) -> (String, i32, i32) {
    let (ax, ay, bx, by) = (a.x as f64, a.y as f64, b.x as f64, b.y as f64);
    if (ax, ay) == (bx, by) {
        // A self-loop: a small circle above the node.
        let path = format!("M {} {} c -30 -40, 30 -40, 6 -18", ax - 6.0, ay - 18.0);
        return (path, a.x, a.y - 48);
    }
    let (dx, dy) = (bx - ax, by - ay);
    let len = (dx * dx + dy * dy).sqrt();
    let (ux, uy) = (dx / len, dy / len);
    let r = 22.0;
    let (sx, sy, ex, ey) = (ax + ux * r, ay + uy * r, bx - ux * (r + 4.0), by - uy * (r + 4.0));
    let bend = 0.18 * len;
    let (cx, cy) = ((ax + bx) / 2.0 + uy * bend, (ay + by) / 2.0 - ux * bend);
    let path = format!("M {sx:.1} {sy:.1} Q {cx:.1} {cy:.1} {ex:.1} {ey:.1}");
    // The curve's midpoint is halfway between the chord's midpoint and the control point.
    let (mx, my) = (((ax + bx) / 2.0 + cx) / 2.0, ((ay + by) / 2.0 + cy) / 2.0);
    (path, mx.round() as i32, my.round() as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn two_transaction_cycle() {
        let h = History::default();
        let detail = json!({"cycle": [
            {"from_op": 3, "to_op": 7, "edge": "ww", "key": "x", "value": 1, "why": "T3 wrote x=1 before T7 wrote x=2"},
            {"from_op": 7, "to_op": 3, "edge": "rw", "key": "y", "value": null, "why": "T7 read y before T3 wrote it"},
        ]});
        let d = diagram(&h, &detail).unwrap();
        assert_eq!(d.nodes.len(), 2);
        assert_eq!(d.edges.len(), 2);
        assert_eq!((d.edges[0].from.as_str(), d.edges[0].to.as_str(), d.edges[0].kind.as_str()), ("T1", "T2", "ww"));
        assert_eq!((d.nodes[0].index, d.nodes[1].index), (3, 7));
        assert_eq!(d.edges[1].value, "nil");
        // Opposite edges bend to opposite sides.
        assert_ne!((d.edges[0].label_x, d.edges[0].label_y), (d.edges[1].label_x, d.edges[1].label_y));
        assert_eq!(d.nodes[0].title, "op 3");
    }

    #[test]
    fn no_cycle_no_drawing() {
        let h = History::default();
        assert!(diagram(&h, &json!({"cycle": []})).is_none());
        assert!(diagram(&h, &json!({"cycle": [{"from_op": "a"}]})).is_none());
        assert!(diagram(&h, &json!({"other": 1})).is_none());
    }
}
