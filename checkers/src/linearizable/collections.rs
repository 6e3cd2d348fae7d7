//! The `set` (add/read) and `queue` (FIFO enqueue/dequeue) models.
//!
//! A set read returns the whole set (a list, order ignored); a nil read is the empty set under
//! `nil_read: absent` and constrains nothing under `any`. A dequeue returns the head; a nil
//! dequeue means the queue was empty under `absent`, and under `any` that something unknown
//! (the head, if any) was dequeued. A crashed dequeue pops the head if there is one.

use std::collections::VecDeque;

use crate::history::Value;

use super::model::{Call, Interner, Model, Outcome, Val};
use crate::history::NilRead;

/// A grow-only set of values.
#[derive(Debug, Clone)]
pub struct SetModel {
    nil_read: NilRead,
}

impl SetModel {
    /// A set starting empty.
    pub fn new(nil_read: NilRead) -> SetModel {
        SetModel { nil_read }
    }
}

/// What a set op asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SetInput {
    /// Add an element.
    Add(Val),
    /// Read the whole set; the output is the elements seen, sorted.
    Read,
}

fn show_set(set: &[Val], values: &Interner) -> String {
    let items: Vec<String> = set.iter().map(|v| values.show(*v)).collect();
    format!("{{{}}}", items.join(" "))
}

impl Model for SetModel {
    type State = Vec<Val>;
    type Input = SetInput;
    type Output = Vec<Val>;

    fn name(&self) -> &'static str {
        "set"
    }

    fn init(&self, _values: &mut Interner) -> Vec<Val> {
        Vec::new()
    }

    fn decode(&self, call: Call<'_>, values: &mut Interner) -> Result<Option<(SetInput, Option<Vec<Val>>)>, String> {
        match (call.f, call.outcome) {
            ("add", Outcome::Mismatch) => Ok(None),
            ("add", _) => Ok(Some((SetInput::Add(values.intern(call.input)), None))),
            ("read", Outcome::Ok(Value::Null)) if self.nil_read == NilRead::Any => Ok(None),
            ("read", Outcome::Ok(Value::Null)) => Ok(Some((SetInput::Read, Some(Vec::new())))),
            ("read", Outcome::Ok(seen)) => {
                let items = seen.as_array().ok_or_else(|| format!("a set read must return a list, found {seen}"))?;
                let mut set: Vec<Val> = items.iter().map(|v| values.intern(v)).collect();
                set.sort_unstable();
                set.dedup();
                Ok(Some((SetInput::Read, Some(set))))
            }
            ("read", _) => Ok(None),
            (f, _) => Err(format!("the set model has no function {f:?}; it knows add, read")),
        }
    }

    fn step(&self, state: &Vec<Val>, input: &SetInput, output: Option<&Vec<Val>>) -> Option<Vec<Val>> {
        match input {
            SetInput::Add(v) => match state.binary_search(v) {
                Ok(_) => Some(state.clone()),
                Err(i) => {
                    let mut next = state.clone();
                    next.insert(i, *v);
                    Some(next)
                }
            },
            SetInput::Read => match output {
                Some(seen) if seen != state => None,
                _ => Some(state.clone()),
            },
        }
    }

    fn is_read_only(&self, input: &SetInput) -> bool {
        *input == SetInput::Read
    }

    fn describe_op(&self, input: &SetInput, output: Option<&Vec<Val>>, values: &Interner) -> String {
        match (input, output) {
            (SetInput::Add(v), _) => format!("add of {}", values.show(*v)),
            (SetInput::Read, Some(seen)) => format!("read returned {}", show_set(seen, values)),
            (SetInput::Read, None) => "read".to_string(),
        }
    }

    fn describe_state(&self, state: &Vec<Val>, values: &Interner) -> String {
        show_set(state, values)
    }

    fn heap_bytes(&self, state: &Vec<Val>) -> usize {
        state.capacity() * std::mem::size_of::<Val>()
    }
}

/// A FIFO queue.
#[derive(Debug, Clone)]
pub struct QueueModel {
    nil_read: NilRead,
}

impl QueueModel {
    /// A queue starting empty.
    pub fn new(nil_read: NilRead) -> QueueModel {
        QueueModel { nil_read }
    }
}

/// What a queue op asked for and, for a dequeue, what it saw.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QueueInput {
    /// Append an element.
    Enqueue(Val),
    /// Remove the head, which was this value.
    Dequeue(Val),
    /// Find the queue empty.
    DequeueEmpty,
    /// Remove the head if there is one; what was removed is unknown.
    DequeueUnknown,
}

impl Model for QueueModel {
    type State = VecDeque<Val>;
    type Input = QueueInput;
    type Output = ();

    fn name(&self) -> &'static str {
        "queue"
    }

    fn init(&self, _values: &mut Interner) -> VecDeque<Val> {
        VecDeque::new()
    }

    fn decode(&self, call: Call<'_>, values: &mut Interner) -> Result<Option<(QueueInput, Option<()>)>, String> {
        let input = match (call.f, call.outcome) {
            (_, Outcome::Mismatch) => return Ok(None),
            ("enqueue", _) => QueueInput::Enqueue(values.intern(call.input)),
            ("dequeue", Outcome::Ok(Value::Null)) if self.nil_read == NilRead::Absent => QueueInput::DequeueEmpty,
            ("dequeue", Outcome::Ok(Value::Null)) | ("dequeue", Outcome::Unknown) => QueueInput::DequeueUnknown,
            ("dequeue", Outcome::Ok(seen)) => QueueInput::Dequeue(values.intern(seen)),
            (f, _) => return Err(format!("the queue model has no function {f:?}; it knows enqueue, dequeue")),
        };
        Ok(Some((input, Some(()))))
    }

    fn step(&self, state: &VecDeque<Val>, input: &QueueInput, _output: Option<&()>) -> Option<VecDeque<Val>> {
        match input {
            QueueInput::Enqueue(v) => {
                let mut next = state.clone();
                next.push_back(*v);
                Some(next)
            }
            QueueInput::Dequeue(v) => (state.front() == Some(v)).then(|| state.iter().skip(1).copied().collect()),
            QueueInput::DequeueEmpty => state.is_empty().then(VecDeque::new),
            QueueInput::DequeueUnknown => Some(state.iter().skip(1).copied().collect()),
        }
    }

    fn is_read_only(&self, input: &QueueInput) -> bool {
        *input == QueueInput::DequeueEmpty
    }

    fn describe_op(&self, input: &QueueInput, _output: Option<&()>, values: &Interner) -> String {
        match input {
            QueueInput::Enqueue(v) => format!("enqueue of {}", values.show(*v)),
            QueueInput::Dequeue(v) => format!("dequeue returned {}", values.show(*v)),
            QueueInput::DequeueEmpty => "dequeue found the queue empty".to_string(),
            QueueInput::DequeueUnknown => "dequeue".to_string(),
        }
    }

    fn describe_state(&self, state: &VecDeque<Val>, values: &Interner) -> String {
        let items: Vec<String> = state.iter().map(|v| values.show(*v)).collect();
        format!("[{}]", items.join(" "))
    }

    fn heap_bytes(&self, state: &VecDeque<Val>) -> usize {
        state.capacity() * std::mem::size_of::<Val>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_reads_compare_whole_sets() {
        let m = SetModel::new(NilRead::Any);
        let s = m.step(&Vec::new(), &SetInput::Add(Val(2)), None).unwrap();
        let s = m.step(&s, &SetInput::Add(Val(1)), None).unwrap();
        assert_eq!(m.step(&s, &SetInput::Read, Some(&vec![Val(1), Val(2)])), Some(s.clone()));
        assert_eq!(m.step(&s, &SetInput::Read, Some(&vec![Val(1)])), None);
    }

    #[test]
    fn queue_is_fifo_and_empty_dequeues_need_an_empty_queue() {
        let m = QueueModel::new(NilRead::Absent);
        let q = m.step(&VecDeque::new(), &QueueInput::Enqueue(Val(1)), None).unwrap();
        let q = m.step(&q, &QueueInput::Enqueue(Val(2)), None).unwrap();
        assert_eq!(m.step(&q, &QueueInput::Dequeue(Val(2)), None), None);
        assert_eq!(m.step(&q, &QueueInput::DequeueEmpty, None), None);
        let q = m.step(&q, &QueueInput::Dequeue(Val(1)), None).unwrap();
        assert_eq!(m.step(&q, &QueueInput::DequeueUnknown, None), Some(VecDeque::new()));
    }
}
