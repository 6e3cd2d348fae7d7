//! Generators: pure state machines that say which op a free worker should run next, given the
//! time, the worker's thread and a seeded rng, and learn from every invocation and completion.
//! One scheduler drives the whole tree (the harness holds it behind one lock), so what was
//! scheduled is exactly what the history records and a run replays from its seed.

use std::time::Duration;

use checkers::{OpType, Value};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// An op a generator asks a client to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The function: `read`, `write`, `cas`, ...
    pub f: String,
    /// Its argument.
    pub value: Value,
}

impl Invocation {
    /// An invocation of `f` with `value`.
    pub fn new(f: &str, value: impl Into<Value>) -> Invocation {
        Invocation { f: f.to_string(), value: value.into() }
    }
}

/// What the scheduler knows when a worker asks for an op.
pub struct Context<'a> {
    /// Time since the run started.
    pub time: Duration,
    /// The asking worker's thread (0-based; stable across process changes).
    pub thread: usize,
    /// How many client threads there are.
    pub threads: usize,
    /// The run's seeded rng: every random choice of every generator comes from here.
    pub rng: &'a mut ChaCha8Rng,
}

/// A generator's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Run this op now.
    Op(Invocation),
    /// Nothing yet; ask again at this time (or soon, when `None`).
    Pending(Option<Duration>),
    /// No more ops for anyone.
    Done,
}

/// An invocation or completion the scheduler reports back to the generator.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When, since the run started.
    pub time: Duration,
    /// The worker's thread.
    pub thread: usize,
    /// invoke, ok, fail or info.
    pub kind: OpType,
    /// The op's function.
    pub f: String,
    /// The op's value (argument on invoke, result on completion).
    pub value: Value,
}

/// A pure state machine of ops.
pub trait Generator: Send {
    /// The next op for the worker described by `ctx`.
    fn next(&mut self, ctx: &mut Context<'_>) -> Next;
    /// Learns of an invocation or completion. Most generators ignore them.
    fn update(&mut self, _event: &Event) {}
}

/// A boxed generator, the currency of the algebra.
pub type BoxGen = Box<dyn Generator>;

fn earliest(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) | (None, x) => x,
    }
}

/// An endless source of ops made by a function of the rng.
pub struct FromFn<F>(pub F);

impl<F: FnMut(&mut ChaCha8Rng) -> Invocation + Send> Generator for FromFn<F> {
    fn next(&mut self, ctx: &mut Context<'_>) -> Next {
        Next::Op((self.0)(ctx.rng))
    }
}

/// Picks one of its generators at random for each op; done when all are.
pub struct Mix(pub Vec<BoxGen>);

impl Generator for Mix {
    fn next(&mut self, ctx: &mut Context<'_>) -> Next {
        let mut order: Vec<usize> = (0..self.0.len()).collect();
        order.shuffle(ctx.rng);
        let mut pending = None;
        let mut any_pending = false;
        for i in order {
            match self.0[i].next(ctx) {
                Next::Op(op) => return Next::Op(op),
                Next::Pending(at) => {
                    any_pending = true;
                    pending = earliest(pending, at);
                }
                Next::Done => {}
            }
        }
        if any_pending {
            Next::Pending(pending)
        } else {
            Next::Done
        }
    }
    fn update(&mut self, event: &Event) {
        self.0.iter_mut().for_each(|g| g.update(event));
    }
}

/// At most `n` ops from the inner generator.
pub struct Limit {
    inner: BoxGen,
    remaining: usize,
}

/// At most `n` ops of `inner`.
pub fn limit(n: usize, inner: BoxGen) -> BoxGen {
    Box::new(Limit { inner, remaining: n })
}

/// Exactly one op of `inner`.
pub fn once(inner: BoxGen) -> BoxGen {
    limit(1, inner)
}

impl Generator for Limit {
    fn next(&mut self, ctx: &mut Context<'_>) -> Next {
        if self.remaining == 0 {
            return Next::Done;
        }
        let next = self.inner.next(ctx);
        if matches!(next, Next::Op(_)) {
            self.remaining -= 1;
        }
        next
    }
    fn update(&mut self, event: &Event) {
        self.inner.update(event);
    }
}

/// Stops emitting `limit` after its first op was asked for.
pub struct TimeLimit {
    inner: BoxGen,
    limit: Duration,
    deadline: Option<Duration>,
}

/// Ops of `inner` for `limit`, counted from the first request.
pub fn time_limit(limit: Duration, inner: BoxGen) -> BoxGen {
    Box::new(TimeLimit { inner, limit, deadline: None })
}

impl Generator for TimeLimit {
    fn next(&mut self, ctx: &mut Context<'_>) -> Next {
        let deadline = *self.deadline.get_or_insert(ctx.time + self.limit);
        if ctx.time >= deadline {
            return Next::Done;
        }
        match self.inner.next(ctx) {
            Next::Pending(at) => Next::Pending(Some(at.map_or(deadline, |at| at.min(deadline)))),
            other => other,
        }
    }
    fn update(&mut self, event: &Event) {
        self.inner.update(event);
    }
}

/// Spaces ops out by a random delay, uniform in [0, 2 × mean), across all threads.
pub struct Stagger {
    inner: BoxGen,
    mean: Duration,
    next_at: Duration,
}

/// `inner`, at about one op per `mean` overall.
pub fn stagger(mean: Duration, inner: BoxGen) -> BoxGen {
    Box::new(Stagger { inner, mean, next_at: Duration::ZERO })
}

impl Generator for Stagger {
    fn next(&mut self, ctx: &mut Context<'_>) -> Next {
        if ctx.time < self.next_at {
            return Next::Pending(Some(self.next_at));
        }
        let next = self.inner.next(ctx);
        if matches!(next, Next::Op(_)) {
            let nanos = self.mean.as_nanos() as u64 * 2;
            let delay = if nanos == 0 { 0 } else { ctx.rng.gen_range(0..nanos) };
            self.next_at = ctx.time.max(self.next_at) + Duration::from_nanos(delay);
        }
        next
    }
    fn update(&mut self, event: &Event) {
        self.inner.update(event);
    }
}

/// Emits nothing for a while, then is done.
pub struct Sleep {
    duration: Duration,
    until: Option<Duration>,
}

/// No ops for `duration` from the first request.
pub fn sleep(duration: Duration) -> BoxGen {
    Box::new(Sleep { duration, until: None })
}

impl Generator for Sleep {
    fn next(&mut self, ctx: &mut Context<'_>) -> Next {
        let until = *self.until.get_or_insert(ctx.time + self.duration);
        if ctx.time >= until {
            Next::Done
        } else {
            Next::Pending(Some(until))
        }
    }
}

/// Runs generators one after the other; the next starts only when every op of the one before
/// has completed.
pub struct Phases {
    phases: std::collections::VecDeque<BoxGen>,
    in_flight: usize,
}

/// `gens` in sequence, each waiting for the previous one's ops to complete.
pub fn phases(gens: Vec<BoxGen>) -> BoxGen {
    Box::new(Phases { phases: gens.into(), in_flight: 0 })
}

impl Generator for Phases {
    fn next(&mut self, ctx: &mut Context<'_>) -> Next {
        while let Some(current) = self.phases.front_mut() {
            match current.next(ctx) {
                Next::Done if self.in_flight > 0 => return Next::Pending(None),
                Next::Done => {
                    self.phases.pop_front();
                }
                other => return other,
            }
        }
        Next::Done
    }
    fn update(&mut self, event: &Event) {
        match event.kind {
            OpType::Invoke => self.in_flight += 1,
            _ => self.in_flight = self.in_flight.saturating_sub(1),
        }
        if let Some(current) = self.phases.front_mut() {
            current.update(event);
        }
    }
}

/// One generator per thread; done when every thread's generator is.
pub struct PerThread {
    gens: Vec<(BoxGen, bool)>,
}

/// `gens[t]` serves thread `t`; threads beyond the list get nothing.
pub fn per_thread(gens: Vec<BoxGen>) -> BoxGen {
    Box::new(PerThread { gens: gens.into_iter().map(|g| (g, false)).collect() })
}

impl Generator for PerThread {
    fn next(&mut self, ctx: &mut Context<'_>) -> Next {
        let Some((gen, done)) = self.gens.get_mut(ctx.thread) else { return Next::Pending(None) };
        match gen.next(ctx) {
            Next::Done => {
                *done = true;
                if self.gens.iter().all(|(_, done)| *done) {
                    Next::Done
                } else {
                    Next::Pending(None)
                }
            }
            other => other,
        }
    }
    fn update(&mut self, event: &Event) {
        if let Some((gen, _)) = self.gens.get_mut(event.thread) {
            gen.update(event);
        }
    }
}

/// Alternates between two generators, op by op; done when either is.
pub struct FlipFlop {
    gens: [BoxGen; 2],
    turn: usize,
}

/// Ops of `a` and `b` alternately.
pub fn flip_flop(a: BoxGen, b: BoxGen) -> BoxGen {
    Box::new(FlipFlop { gens: [a, b], turn: 0 })
}

impl Generator for FlipFlop {
    fn next(&mut self, ctx: &mut Context<'_>) -> Next {
        let next = self.gens[self.turn].next(ctx);
        if matches!(next, Next::Op(_)) {
            self.turn = 1 - self.turn;
        }
        next
    }
    fn update(&mut self, event: &Event) {
        self.gens.iter_mut().for_each(|g| g.update(event));
    }
}

/// Independent keys: threads are split in groups of `group_size`; each group works on one key
/// at a time with a fresh generator for it, moves to a new key when that generator is done
/// (bound it with [`limit`]), and every value is wrapped as `[key value]`. Inner generators do
/// not see updates (keys are independent, nothing of one key informs another).
pub struct Independent<F> {
    make: F,
    group_size: usize,
    groups: Vec<Option<(u64, BoxGen)>>,
    next_key: u64,
}

/// Independent keys over `make(key)`, `group_size` threads per key.
pub fn independent<F: FnMut(u64) -> BoxGen + Send + 'static>(group_size: usize, make: F) -> BoxGen {
    Box::new(Independent { make, group_size: group_size.max(1), groups: Vec::new(), next_key: 0 })
}

impl<F: FnMut(u64) -> BoxGen + Send> Generator for Independent<F> {
    fn next(&mut self, ctx: &mut Context<'_>) -> Next {
        let group = ctx.thread / self.group_size;
        if self.groups.len() <= group {
            self.groups.resize_with(group + 1, || None);
        }
        for _ in 0..2 {
            let (key, gen) = match &mut self.groups[group] {
                Some(slot) => slot,
                slot @ None => {
                    let key = self.next_key;
                    self.next_key += 1;
                    slot.insert((key, (self.make)(key)))
                }
            };
            match gen.next(ctx) {
                Next::Op(op) => {
                    return Next::Op(Invocation { f: op.f, value: Value::from(vec![(*key).into(), op.value]) })
                }
                Next::Pending(at) => return Next::Pending(at),
                Next::Done => self.groups[group] = None,
            }
        }
        Next::Pending(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use serde_json::json;

    fn counter(f: &'static str) -> BoxGen {
        let mut n = 0;
        Box::new(FromFn(move |_: &mut ChaCha8Rng| {
            n += 1;
            Invocation::new(f, json!(n))
        }))
    }

    fn ask(gen: &mut BoxGen, rng: &mut ChaCha8Rng, ms: u64, thread: usize) -> Next {
        gen.next(&mut Context { time: Duration::from_millis(ms), thread, threads: 4, rng })
    }

    fn ops(next: Next) -> Invocation {
        match next {
            Next::Op(op) => op,
            other => panic!("expected an op, got {other:?}"),
        }
    }

    #[test]
    fn limit_once_and_mix_end() {
        let rng = &mut ChaCha8Rng::seed_from_u64(1);
        let mut g: BoxGen = Box::new(Mix(vec![limit(2, counter("a")), once(counter("b"))]));
        let mut fs: Vec<String> = (0..3).map(|_| ops(ask(&mut g, rng, 0, 0)).f).collect();
        fs.sort();
        assert_eq!(fs, ["a", "a", "b"]);
        assert_eq!(ask(&mut g, rng, 0, 0), Next::Done);
    }

    #[test]
    fn time_limit_stagger_and_sleep_follow_the_clock() {
        let rng = &mut ChaCha8Rng::seed_from_u64(1);
        let mut g = time_limit(Duration::from_secs(1), stagger(Duration::from_millis(100), counter("a")));
        let mut count = 0;
        for ms in 0..1200 {
            if let Next::Op(_) = ask(&mut g, rng, ms, 0) {
                count += 1;
            }
        }
        assert!((4..=20).contains(&count), "{count} ops in 1 s at ~10/s");
        assert_eq!(ask(&mut g, rng, 1200, 0), Next::Done);
        let mut s = sleep(Duration::from_millis(50));
        assert_eq!(ask(&mut s, rng, 10, 0), Next::Pending(Some(Duration::from_millis(60))));
        assert_eq!(ask(&mut s, rng, 60, 0), Next::Done);
    }

    #[test]
    fn phases_wait_for_in_flight_ops() {
        let rng = &mut ChaCha8Rng::seed_from_u64(1);
        let mut g = phases(vec![once(counter("a")), once(counter("b"))]);
        let a = ops(ask(&mut g, rng, 0, 0));
        let event = |kind| Event { time: Duration::ZERO, thread: 0, kind, f: "a".into(), value: json!(1).into() };
        g.update(&event(OpType::Invoke));
        assert_eq!(a.f, "a");
        assert_eq!(ask(&mut g, rng, 1, 1), Next::Pending(None));
        g.update(&event(OpType::Ok));
        assert_eq!(ops(ask(&mut g, rng, 2, 1)).f, "b");
        assert_eq!(ask(&mut g, rng, 3, 1), Next::Done);
    }

    #[test]
    fn flip_flop_and_per_thread() {
        let rng = &mut ChaCha8Rng::seed_from_u64(1);
        let mut g = flip_flop(counter("a"), counter("b"));
        let fs: Vec<String> = (0..4).map(|_| ops(ask(&mut g, rng, 0, 0)).f).collect();
        assert_eq!(fs, ["a", "b", "a", "b"]);
        let mut p = per_thread(vec![once(counter("x")), counter("y")]);
        assert_eq!(ops(ask(&mut p, rng, 0, 0)).f, "x");
        assert_eq!(ask(&mut p, rng, 0, 0), Next::Pending(None));
        assert_eq!(ops(ask(&mut p, rng, 0, 1)).f, "y");
    }

    #[test]
    fn independent_keys_are_bounded_and_per_group() {
        let rng = &mut ChaCha8Rng::seed_from_u64(1);
        let mut g = independent(2, |_| limit(3, counter("w")));
        let keys: Vec<Value> = (0..7).map(|_| ops(ask(&mut g, rng, 0, 0)).value[0].clone()).collect();
        assert_eq!(keys, [json!(0), json!(0), json!(0), json!(1), json!(1), json!(1), json!(2)]);
        assert_eq!(ops(ask(&mut g, rng, 0, 1)).value, json!([2, 2]));
        assert_eq!(ops(ask(&mut g, rng, 0, 2)).value, json!([3, 1]));
    }
}
