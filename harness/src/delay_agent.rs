//! `faultline delay-agent` (hidden): the user-space half of the delay fault (see
//! `nemesis::delay`). Run on the receiving node, it listens on a netfilter queue, then adds the
//! rule that hands it what one sender sends; it holds each packet for the delay, give or take
//! the jitter (drawn uniformly, so packets overtake one another: reordering), and accepts it.
//! On SIGTERM it deletes its rule first, then lets every packet it holds go and exits.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nfq::{Message, Queue, Verdict};
use rand::Rng;

/// The agent's arguments (the nemesis writes them; see `nemesis::delay::agent`).
#[derive(Debug, clap::Args)]
pub struct DelayAgentArgs {
    /// The netfilter queue to listen on.
    #[arg(long)]
    queue: u16,
    /// The sender whose packets are held.
    #[arg(long)]
    source: String,
    /// The run whose comment tags the rule.
    #[arg(long)]
    run_id: String,
    /// How long each packet is held, ms.
    #[arg(long)]
    delay_ms: u64,
    /// Give or take, ms (at most the delay).
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
}

/// Set by SIGTERM or SIGINT: time to let go.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop(_: nix::libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// Packets held at most (a full queue passes packets on undelayed: fail-open).
const MAX_HELD: u32 = 65_536;

/// A packet held until its time.
struct Held {
    at: Instant,
    seq: u64,
    msg: Message,
}

impl PartialEq for Held {
    fn eq(&self, other: &Held) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Held {}
impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Held) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Held {
    fn cmp(&self, other: &Held) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Runs the agent until it is stopped.
pub fn run(args: DelayAgentArgs) -> ExitCode {
    match hold(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("faultline delay-agent (queue {}, from {}): {e}", args.queue, args.source);
            ExitCode::FAILURE
        }
    }
}

/// Runs `iptables` with `argv` (the rule that feeds the queue, added or deleted).
fn rule(args: &DelayAgentArgs, add: bool) -> Result<(), String> {
    let argv = nemesis::iptables::queue_from(&args.source, args.queue, &args.run_id, add);
    let out =
        std::process::Command::new(&argv[0]).args(&argv[1..]).output().map_err(|e| format!("{}: {e}", argv[0]))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}: {}", argv.join(" "), String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Names what failed in an error of the queue socket.
fn io(what: &'static str) -> impl Fn(std::io::Error) -> String {
    move |e| format!("{what}: {e}")
}

fn hold(args: &DelayAgentArgs) -> Result<(), String> {
    let handler = nix::sys::signal::SigHandler::Handler(on_stop);
    for signal in [nix::sys::signal::Signal::SIGTERM, nix::sys::signal::Signal::SIGINT] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe { nix::sys::signal::signal(signal, handler) }.map_err(|e| format!("handling {signal}: {e}"))?;
    }
    let mut queue = Queue::open().map_err(io("opening a netfilter queue socket"))?;
    queue.bind(args.queue).map_err(io("binding the queue"))?;
    queue.set_copy_range(args.queue, 0).map_err(io("asking for metadata only"))?;
    queue.set_recv_gso(args.queue, true).map_err(io("taking offloaded segments whole"))?;
    queue.set_fail_open(args.queue, true).map_err(io("passing packets on when the queue is full"))?;
    queue.set_queue_max_len(args.queue, MAX_HELD).map_err(io("sizing the queue"))?;
    queue.set_nonblocking(true);
    rule(args, true)?;
    let mut held = BinaryHeap::new();
    let forwarded = forward(&mut queue, args, &mut held);
    let removed = rule(args, false);
    let released = release(&mut queue, &mut held, None);
    queue.unbind(args.queue).map_err(io("unbinding the queue"))?;
    forwarded.and(removed).and(released)
}

/// Holds and forwards packets until stopped, leaving in `held` what it still holds then.
fn forward(queue: &mut Queue, args: &DelayAgentArgs, held: &mut BinaryHeap<Reverse<Held>>) -> Result<(), String> {
    let mut rng = rand::thread_rng();
    let mut seq = 0u64;
    while !STOP.load(Ordering::SeqCst) {
        loop {
            match queue.recv() {
                Ok(mut msg) => {
                    msg.set_verdict(Verdict::Accept);
                    let jitter = args.jitter_ms.min(args.delay_ms) as i64;
                    let ms = args.delay_ms as i64 + rng.gen_range(-jitter..=jitter);
                    let at = Instant::now() + Duration::from_millis(ms.max(0) as u64);
                    seq += 1;
                    held.push(Reverse(Held { at, seq, msg }));
                }
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted) => break,
                Err(e) => return Err(format!("receiving from the queue: {e}")),
            }
        }
        release(queue, held, Some(Instant::now()))?;
        let next = held.peek().map_or(Duration::from_millis(1), |h| h.0.at.saturating_duration_since(Instant::now()));
        std::thread::sleep(next.min(Duration::from_millis(1)));
    }
    Ok(())
}

/// Accepts the held packets due by `until` (all of them when `None`), in order.
fn release(queue: &mut Queue, held: &mut BinaryHeap<Reverse<Held>>, until: Option<Instant>) -> Result<(), String> {
    while held.peek().is_some_and(|h| until.is_none_or(|t| h.0.at <= t)) {
        let Some(Reverse(h)) = held.pop() else { break };
        queue.verdict(h.msg).map_err(|e| format!("passing a packet on: {e}"))?;
    }
    Ok(())
}
