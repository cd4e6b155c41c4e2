//! Buffer sizes against the adapter: every storage buffer the crate makes is admitted here
//! first. One over the adapter's storage-binding limit is never made: the ledger records an
//! error naming the buffer and what was being recorded (`Gpu::buffer_context`, e.g. the layer),
//! hands back a minimal buffer so recording can go on without a validation error, and the next
//! `Gpu::check` returns the error. In sizing mode (`Gpu::sizing`) no buffer is made at all:
//! recording a plan then costs no memory and only proves that every buffer it would make fits,
//! which training does for each of its plans before the first step.
//!
//! The context, sizing mode and refused buffer are each thread's own: work recorded on one
//! thread (a test, a command) never sees another's.

use crate::QatError;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread::ThreadId;

/// What the ledger knows of one thread.
#[derive(Default)]
struct State {
    /// What is being recorded ("layer 3 \"conv2\" (conv2d)"), named in errors.
    context: String,
    /// Sizing mode: record sizes, make minimal buffers.
    sizing: bool,
    /// The first buffer over the limit.
    oversize: Option<QatError>,
    /// Buffers over the limit since the last report (counted in `Ledger::pending` too).
    refused: usize,
    /// Bytes of the buffers admitted in sizing mode.
    sized_bytes: u64,
}

/// The ledger of one `Gpu`.
#[derive(Default)]
pub struct Ledger {
    threads: Mutex<HashMap<ThreadId, State>>,
    /// Refused buffers not yet reported, over every thread: `Gpu::check`, which runs with every
    /// submit, looks no further while it is 0.
    pending: AtomicUsize,
}

/// Whether a buffer is to be made at its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Admission {
    /// Make it.
    #[default]
    Make,
    /// Make a minimal stand-in (over the limit, or sizing mode).
    StandIn,
}

impl Ledger {
    /// Runs `f` on this thread's state.
    fn with<T: Default>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        match self.threads.lock() {
            Ok(mut m) => f(m.entry(std::thread::current().id()).or_default()),
            Err(_) => T::default(),
        }
    }

    /// Admits a buffer `label` of `bytes` under the binding `limit`.
    pub fn admit(&self, label: &str, bytes: u64, limit: u64) -> Admission {
        if bytes > limit {
            self.pending.fetch_add(1, Ordering::Relaxed);
        }
        self.with(|s| s.admit(label, bytes, limit))
    }

    /// Names what is being recorded in the errors of the buffers made from now on.
    pub fn set_context(&self, context: String) {
        self.with(|s| s.context = context);
    }

    /// The first buffer over the limit since the last call, as an error.
    pub fn take_oversize(&self) -> Option<QatError> {
        if self.pending.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let taken = self.with(|s| {
            let n = std::mem::take(&mut s.refused);
            (s.oversize.take(), n)
        });
        self.pending.fetch_sub(taken.1, Ordering::Relaxed);
        taken.0
    }

    /// Enters (`true`) or leaves sizing mode; leaving returns the bytes sized meanwhile.
    pub fn sizing(&self, on: bool) -> u64 {
        self.with(|s| {
            s.sizing = on;
            std::mem::take(&mut s.sized_bytes)
        })
    }
}

impl State {
    fn admit(&mut self, label: &str, bytes: u64, limit: u64) -> Admission {
        let s = self;
        if bytes > limit {
            s.refused += 1;
            let context = if s.context.is_empty() { "recording GPU work".to_string() } else { s.context.clone() };
            // A data set's images are one buffer: fewer images fit; a step's tensors scale with
            // the batch and the layer.
            let hint = if label.starts_with("dataset") {
                "use fewer images (--train-limit, --test-limit)"
            } else {
                "use a smaller --batch, a smaller input or a smaller layer"
            };
            s.oversize.get_or_insert(QatError::BufferTooLarge {
                context,
                label: label.to_string(),
                bytes,
                limit,
                hint,
            });
            return Admission::StandIn;
        }
        if s.sizing {
            s.sized_bytes += bytes;
            return Admission::StandIn;
        }
        Admission::Make
    }
}
