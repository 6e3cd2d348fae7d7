//! Everything the page derives from a history, computed once: spans, fault periods, windows,
//! fault effects and unexplained drops.

use checkers::History;

use crate::effects::{self, Drop, FaultEffect};
use crate::faults::{self, FaultPeriod};
use crate::metrics::{self, Window};
use crate::spans::{self, Span};

/// About this many windows over the run.
const WINDOWS: u64 = 100;

/// The derived figures of one history.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Client ops, in invocation order.
    pub spans: Vec<Span>,
    /// Fault periods, by start.
    pub periods: Vec<FaultPeriod>,
    /// The history's last time, ns.
    pub end: u64,
    /// The window width, ns.
    pub width: u64,
    /// The windows over `[0, end]`.
    pub windows: Vec<Window>,
    /// What each fault did.
    pub effects: Vec<FaultEffect>,
    /// Drops no fault explains.
    pub drops: Vec<Drop>,
}

impl Analysis {
    /// Derives everything from `history`.
    pub fn of(history: &History) -> Analysis {
        let spans = spans::client_spans(history);
        let periods = faults::fault_periods(history);
        let end = spans::history_end(history);
        let width = metrics::window_width(end, WINDOWS);
        let windows = metrics::windows(&spans, end, width);
        let effects = effects::fault_effects(&periods, &spans, end, width);
        let drops = effects::unexplained_drops(&windows, width, &effects, end);
        Analysis { spans, periods, end, width, windows, effects, drops }
    }
}
