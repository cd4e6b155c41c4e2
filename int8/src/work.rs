//! The work budget: what running one image costs the integer interpreter and how much a model
//! may ask for (the limits themselves: `crate::limits`; each op's cost is its shape rule's,
//! `crate::ops`). One cost model serves the model validation (every file read or
//! written), training's check before its first step (a spec whose int8 model would be refused
//! is refused before it trains) and the docs (docs/FORMAT.md, "Work budget").
//!
//! Cost is counted in work units, each about a nanosecond of the plain-loop interpreter on one
//! core, and counted from above: every loop iteration an op runs (a conv's multiply-adds and its
//! window walk, a pool's taps, in bounds or not, an add's or a quantize's rescale per value, a
//! concat's copies and per-part steps) has a weight at least its measured cost on each of the
//! worst shapes of `crate::worst_case` (`examples/op_costs.rs` times them). A model may take
//! `floor + per_byte x parameter bytes` units per image, the parameter bytes being what its
//! file must hold (int8 weights, 16 bytes of scale, multiplier, shift and bias per channel, 4
//! per dense bias): a small file cannot ask for disproportionate work, and a large real
//! network is admitted by the weights it carries.

use crate::shape::elements;

/// Work units of each kind of loop iteration (see the module comment).
pub mod weight {
    /// One multiply-add of a conv or dense layer (the inner loop over input channels).
    pub const MAC: u64 = 1;
    /// One (ky, kx) step of a conv's window walk, per output value: bounds checks and index
    /// arithmetic, which dominate when a conv has few input channels.
    pub const CONV_TAP: u64 = 4;
    /// One tap of a depthwise conv.
    pub const DEPTHWISE_TAP: u64 = 2;
    /// Requantizing one conv or depthwise output (MultiplyByQuantizedMultiplier, clamp).
    pub const REQUANTIZE: u64 = 10;
    /// Rescaling one dense output (float64 multiply, rounding, clamp).
    pub const DENSE_OUTPUT: u64 = 20;
    /// One tap of a max or average pool (every tap of the window, in bounds or not).
    pub const POOL_TAP: u64 = 2;
    /// One pooled output value (division or store).
    pub const POOL_OUTPUT: u64 = 4;
    /// One value of an ADD (two 20-bit rescales and one requantization).
    pub const ADD: u64 = 12;
    /// One value summed by a MEAN.
    pub const MEAN_VALUE: u64 = 1;
    /// One MEAN output (its requantization).
    pub const MEAN_OUTPUT: u64 = 10;
    /// One value copied (concat, reshape).
    pub const COPY: u64 = 1;
    /// One (pixel, input) step of a concat.
    pub const CONCAT_PART: u64 = 3;
    /// Quantizing one input value (float normalization and rounding).
    pub const QUANTIZE: u64 = 8;
}

/// What one node costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// Work units of one image.
    pub work: u64,
    /// Bytes of parameters the model file holds for it.
    pub parameter_bytes: u64,
}

impl std::ops::Add for Cost {
    type Output = Cost;
    fn add(self, o: Cost) -> Cost {
        Cost {
            work: self.work.saturating_add(o.work),
            parameter_bytes: self.parameter_bytes.saturating_add(o.parameter_bytes),
        }
    }
}

/// The cost of quantizing a model input of `shape`.
pub fn input_cost(shape: [u32; 3]) -> Cost {
    Cost { work: elements(shape).saturating_mul(weight::QUANTIZE), parameter_bytes: 8 * shape[2] as u64 }
}

/// The cost of a max or average pool of `size` x `size` windows making `output`: every tap of
/// every window, in bounds or not, and each output.
pub fn pool_cost(size: u32, output: [u32; 3]) -> Cost {
    let out = elements(output);
    let taps = out.saturating_mul(size as u64 * size as u64);
    Cost { work: taps.saturating_mul(weight::POOL_TAP) + out.saturating_mul(weight::POOL_OUTPUT), parameter_bytes: 0 }
}

/// For each tensor (0: the input, k + 1: node k's output), the node after which it is no longer
/// needed: its last reader, or its producer when nothing reads it; the last node's output is
/// kept to the end (`inputs.len()`). `inputs[k]` lists node k's input tensors.
pub fn last_reads(inputs: &[Vec<usize>]) -> Vec<usize> {
    let n = inputs.len();
    let mut last: Vec<usize> = (0..=n).map(|t| t.saturating_sub(1)).collect();
    for (k, ins) in inputs.iter().enumerate() {
        for &t in ins {
            if t <= n {
                last[t] = last[t].max(k);
            }
        }
    }
    last[n] = n;
    last
}

/// For each node k, the tensors no longer needed once it has run (`last_reads` inverted): what
/// the interpreter frees after node k.
pub fn freed_after(inputs: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut dies: Vec<Vec<usize>> = vec![Vec::new(); inputs.len()];
    for (t, &k) in last_reads(inputs).iter().enumerate() {
        if let Some(d) = dies.get_mut(k) {
            d.push(t);
        }
    }
    dies
}

/// Peak bytes of int8 tensors alive at once when each tensor is freed after `last_reads` says
/// (as the interpreter frees them): `sizes[t]` bytes of tensor t, `inputs[k]` node k's inputs.
/// A node's output exists while its inputs do.
pub fn peak_bytes(sizes: &[u64], inputs: &[Vec<usize>]) -> u64 {
    let dies = freed_after(inputs);
    let size = |t: usize| sizes.get(t).copied().unwrap_or(0);
    let mut live = size(0);
    let mut peak = live;
    for (k, dead) in dies.iter().enumerate() {
        live = live.saturating_add(size(k + 1));
        peak = peak.max(live);
        for &t in dead {
            live = live.saturating_sub(size(t));
        }
    }
    peak
}

/// What one image of a whole graph takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Work units and parameter bytes, over every node and the input's quantization.
    pub cost: Cost,
    /// Bytes of all int8 tensors together (what the GPU int8 path holds per image).
    pub tensor_bytes: u64,
    /// Peak bytes of the tensors alive at once in the interpreter.
    pub peak_bytes: u64,
}

/// The usage of a graph: `shapes[t]` of every tensor (0: the input), and for each node its cost
/// (`crate::ops::OpShape::cost`) and input tensors.
pub fn usage(shapes: &[[u32; 3]], nodes: &[(Cost, Vec<usize>)]) -> Usage {
    let cost = nodes.iter().fold(input_cost(shapes.first().copied().unwrap_or([0, 0, 0])), |sum, (c, _)| sum + *c);
    let sizes: Vec<u64> = shapes.iter().map(|&s| elements(s)).collect();
    let reads: Vec<Vec<usize>> = nodes.iter().map(|(_, i)| i.clone()).collect();
    Usage { cost, tensor_bytes: sizes.iter().sum(), peak_bytes: peak_bytes(&sizes, &reads) }
}

/// Checks `u` against `limits`: peak tensor memory and work per image; the error quotes each
/// limit as enforced and how to raise it.
pub fn check(u: &Usage, limits: &crate::limits::InterpreterLimits) -> Result<(), String> {
    if u.peak_bytes > limits.peak_bytes {
        return Err(format!(
            "running one image needs {} bytes of tensors alive at once, more than the limit of {} bytes (raise it with QAT_MAX_MODEL_MB, in MiB)",
            u.peak_bytes, limits.peak_bytes
        ));
    }
    let allowed = limits.work(u.cost.parameter_bytes);
    if u.cost.work > allowed {
        return Err(format!(
            "one image needs {} work units (about a nanosecond each on one core; docs/FORMAT.md, \"Work budget\"), more than the {allowed} a model with {} bytes of parameters may use ({} + {} per byte; raise the first with QAT_MAX_MODEL_WORK, in millions)",
            u.cost.work, u.cost.parameter_bytes, limits.work_floor, limits.work_per_parameter_byte
        ));
    }
    Ok(())
}
