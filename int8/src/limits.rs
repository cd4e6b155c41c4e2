//! The documented size limits of models, in one place. Spec files (shape inference), the model
//! file's reader and writer (`export::validate`) and the int8 interpreter all check against these,
//! so a model that could not be trained, written, read or run is refused up front with the
//! layer named, and no size computation can wrap or ask for absurd memory.
//!
//! Fixed limits are structural (they bound loops and keep every product inside u64). The
//! interpreter's working-memory and work limits are defaults that a user can raise
//! (`InterpreterLimits::from_env`, `QAT_MAX_MODEL_MB` and `QAT_MAX_MODEL_MMACS`).

/// Most layers (nodes) in a model.
pub const MAX_LAYERS: usize = 4096;
/// Longest layer name, in bytes of UTF-8.
pub const MAX_NAME_BYTES: usize = 256;
/// Largest height, width, channel count or unit count of any tensor.
pub const MAX_DIM: u32 = 65536;
/// Largest kernel, pooling window or stride along one axis.
pub const MAX_KERNEL: u32 = 64;
/// Most inputs of one concatenation.
pub const MAX_CONCAT_INPUTS: usize = 64;
/// Most elements of one tensor of one image (the int8 interpreter holds one byte each, training
/// four bytes each per image of the batch).
pub const MAX_TENSOR_ELEMENTS: u64 = 1 << 24;
/// Most weights of one layer.
pub const MAX_WEIGHTS: u64 = 1 << 24;
/// Most taps (products) summed into one int32 accumulator: with |x - zp| <= 255 and
/// |w| <= 127 each product is below 2^15, and `MAX_TAPS * 255 * 127 < 2^31` keeps the sum, even
/// with a zero bias, inside int32. A conv's taps are kh * kw * in_channels, a dense layer's its
/// inputs.
pub const MAX_TAPS: u64 = (i32::MAX as u64) / (255 * 127);
/// Most values one MEAN (global average pooling) sums: |x - zp| <= 255 per value, and the
/// int32 sum of `MAX_MEAN_WINDOW` of them stays below 2^31.
pub const MAX_MEAN_WINDOW: u64 = (i32::MAX as u64) / 256;
/// Largest model file we read (the reader checks the header's payload length first).
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Work units per image every model may use, whatever its size: 2^29, about half a second.
pub const WORK_FLOOR: u64 = 1 << 29;
/// Work units per image a model may use for each byte of parameters its file holds: ResNet-50
/// at 224 x 224 (about 4.1 G multiply-adds, 25.6 MB of int8 parameters) needs about 170.
pub const WORK_PER_PARAMETER_BYTE: u64 = 256;
/// Peak bytes of the int8 tensors alive at once while one image runs.
pub const PEAK_BYTES: u64 = 128 << 20;

/// What the int8 interpreter may use to run one image; a model over these is refused when read
/// or written (`crate::work` has the cost model and the defaults' reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterpreterLimits {
    /// Peak bytes of the int8 tensors alive at once (the interpreter frees each after its last
    /// reader). Default `PEAK_BYTES`, 128 MiB.
    pub peak_bytes: u64,
    /// Work units of one image any model may use. Default `WORK_FLOOR`, 2^29.
    pub work_floor: u64,
    /// Further work units per byte of parameters the model holds. Default
    /// `WORK_PER_PARAMETER_BYTE`, 256.
    pub work_per_parameter_byte: u64,
}

impl Default for InterpreterLimits {
    fn default() -> Self {
        InterpreterLimits {
            peak_bytes: PEAK_BYTES,
            work_floor: WORK_FLOOR,
            work_per_parameter_byte: WORK_PER_PARAMETER_BYTE,
        }
    }
}

impl InterpreterLimits {
    /// The work units one image of a model with `parameter_bytes` may use.
    pub fn work(&self, parameter_bytes: u64) -> u64 {
        self.work_floor.saturating_add(parameter_bytes.saturating_mul(self.work_per_parameter_byte))
    }

    /// The defaults, changed by `QAT_MAX_MODEL_MB` (peak tensor memory in MiB) and
    /// `QAT_MAX_MODEL_WORK` (the work floor, in millions of work units) when those are set to
    /// positive whole numbers; other values are ignored with a warning.
    pub fn from_env() -> Self {
        let mut l = Self::default();
        let read = |name: &str| -> Option<u64> {
            let v = std::env::var(name).ok()?;
            match v.trim().parse::<u64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    log::warn!("{name}={v:?} is not a positive whole number; using the default");
                    None
                }
            }
        };
        if let Some(mb) = read("QAT_MAX_MODEL_MB") {
            l.peak_bytes = mb.saturating_mul(1 << 20);
        }
        if let Some(m) = read("QAT_MAX_MODEL_WORK") {
            l.work_floor = m.saturating_mul(1_000_000);
        }
        l
    }
}
