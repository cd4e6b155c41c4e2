//! Shape math shared by every layer kind and every side of the project: TensorFlow's "same" and
//! "valid" padding, output sizes, element counts. Training's shape inference
//! (`wgpu_qat::model::spec`), the GPU launchers, the model validation and the int8 kernels all
//! call these, so a window is sized one way everywhere. All arithmetic that could wrap is done
//! in u64.

/// TensorFlow's padding rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Padding {
    /// No padding: out = (in - kernel) / stride + 1, windows inside the input only.
    Valid,
    /// out = ceil(in / stride), the total padding split with the smaller half leading.
    Same,
}

/// Output size and leading padding along one axis, as TensorFlow computes them; None when the
/// kernel does not fit (or a size is zero).
pub fn output_size(input: u32, kernel: u32, stride: u32, padding: Padding) -> Option<(u32, u32)> {
    if stride == 0 || kernel == 0 || input == 0 {
        return None;
    }
    match padding {
        Padding::Valid => (input >= kernel).then(|| ((input - kernel) / stride + 1, 0)),
        Padding::Same => {
            // In u64: a crafted kernel or stride near u32::MAX must not wrap.
            let out = input.div_ceil(stride);
            let total = ((out as u64 - 1) * stride as u64 + kernel as u64).saturating_sub(input as u64);
            Some((out, u32::try_from(total / 2).ok()?))
        }
    }
}

/// The [h, w] output of a kh x kw window at `stride` with `padding` on an [h, w] input.
pub fn window_output([h, w]: [u32; 2], [kh, kw]: [u32; 2], stride: u32, padding: Padding) -> Option<[u32; 2]> {
    Some([output_size(h, kh, stride, padding)?.0, output_size(w, kw, stride, padding)?.0])
}

/// Elements of a [h, w, c] tensor, in u64 (cannot wrap for u32 dimensions).
pub fn elements(shape: [u32; 3]) -> u64 {
    shape.iter().map(|&d| d as u64).product()
}

/// What the shape of a layer depends on: one description for every layer kind, which the
/// training graph (`wgpu_qat::model::Layer`) and the int8 model (`QLayer`) both map to, so
/// shapes are inferred and size limits checked in one place (`infer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpShape {
    /// Conv2D with `filters` output channels (OHWI weights).
    Conv {
        /// Output channels.
        filters: u32,
        /// [height, width] of the kernel.
        kernel: [u32; 2],
        /// Stride on both axes.
        stride: u32,
        /// TensorFlow's "valid" or "same".
        padding: Padding,
    },
    /// Depthwise Conv2D, depth multiplier 1.
    Depthwise {
        /// [height, width] of the kernel.
        kernel: [u32; 2],
        /// Stride on both axes.
        stride: u32,
        /// TensorFlow's "valid" or "same".
        padding: Padding,
    },
    /// Max pooling over valid windows.
    MaxPool {
        /// Window height and width.
        size: u32,
        /// Stride on both axes.
        stride: u32,
    },
    /// Average pooling over in-bounds taps.
    AvgPool {
        /// Window height and width.
        size: u32,
        /// Stride on both axes.
        stride: u32,
        /// TensorFlow's "valid" or "same".
        padding: Padding,
    },
    /// Mean over height and width.
    Mean,
    /// [h, w, c] -> [1, 1, h*w*c].
    Flatten,
    /// Fully connected on a flat input.
    Dense {
        /// Outputs.
        units: u32,
    },
    /// Elementwise sum of two tensors of one shape.
    Add,
    /// Concatenation on channels.
    Concat,
}

/// The output shape of `op` on `inputs`, after every size limit of `crate::limits`; the error
/// says which limit or which mismatch (the caller names the layer).
pub fn infer(op: OpShape, inputs: &[[u32; 3]]) -> Result<[u32; 3], String> {
    use crate::limits;
    let arity = match op {
        OpShape::Add => 2..=2,
        OpShape::Concat => 2..=limits::MAX_CONCAT_INPUTS,
        _ => 1..=1,
    };
    if inputs.len() > limits::MAX_CONCAT_INPUTS {
        return Err(format!("{} inputs is more than the limit of {}", inputs.len(), limits::MAX_CONCAT_INPUTS));
    }
    if !arity.contains(&inputs.len()) {
        return Err(format!("takes {} to {} inputs, has {}", arity.start(), arity.end(), inputs.len()));
    }
    let x = inputs[0];
    let [h, w, c] = x;
    let window = |what: &str, dims: &[u32], stride: u32| match dims
        .iter()
        .map(|&d| (what, d))
        .chain([("stride", stride)])
        .find(|&(_, d)| d == 0 || d > limits::MAX_KERNEL)
    {
        Some((what, d)) => Err(format!("{what} {d} is outside 1..={}", limits::MAX_KERNEL)),
        None => Ok(()),
    };
    let count = |what: &str, n: u32| {
        if n == 0 || n > limits::MAX_DIM {
            Err(format!("{n} {what} is outside 1..={}", limits::MAX_DIM))
        } else {
            Ok(())
        }
    };
    let accumulate = |taps: u64, weights: u64| {
        if taps > limits::MAX_TAPS {
            return Err(format!(
                "{taps} products per output could overflow the int8 model's int32 accumulator (limit {})",
                limits::MAX_TAPS
            ));
        }
        if weights > limits::MAX_WEIGHTS {
            return Err(format!("{weights} weights is more than the limit of {} per layer", limits::MAX_WEIGHTS));
        }
        Ok(())
    };
    let fits = |kernel: [u32; 2], stride: u32, padding: Padding| {
        window_output([h, w], kernel, stride, padding)
            .ok_or_else(|| format!("{kernel:?} window, stride {stride}, {padding:?} padding does not fit input {x:?}"))
    };
    let shape = match op {
        OpShape::Conv { filters, kernel, stride, padding } => {
            count("filters", filters)?;
            window("kernel size", &kernel, stride)?;
            let taps = kernel[0] as u64 * kernel[1] as u64 * c as u64;
            accumulate(taps, taps * filters as u64)?;
            let [oh, ow] = fits(kernel, stride, padding)?;
            [oh, ow, filters]
        }
        OpShape::Depthwise { kernel, stride, padding } => {
            window("kernel size", &kernel, stride)?;
            let taps = kernel[0] as u64 * kernel[1] as u64;
            accumulate(taps, taps * c as u64)?;
            let [oh, ow] = fits(kernel, stride, padding)?;
            [oh, ow, c]
        }
        OpShape::MaxPool { size, stride } => {
            window("window size", &[size], stride)?;
            let [oh, ow] = fits([size, size], stride, Padding::Valid)?;
            [oh, ow, c]
        }
        OpShape::AvgPool { size, stride, padding } => {
            window("window size", &[size], stride)?;
            let [oh, ow] = fits([size, size], stride, padding)?;
            [oh, ow, c]
        }
        OpShape::Mean => {
            if h as u64 * w as u64 > limits::MAX_MEAN_WINDOW {
                return Err(format!(
                    "averaging {h}x{w} values could overflow the int8 model's int32 sum (limit {} values)",
                    limits::MAX_MEAN_WINDOW
                ));
            }
            [1, 1, c]
        }
        // The input is at most MAX_TENSOR_ELEMENTS (< 2^32) elements: the cast cannot wrap.
        OpShape::Flatten => [1, 1, elements(x) as u32],
        OpShape::Dense { units } => {
            count("units", units)?;
            if h != 1 || w != 1 {
                return Err(format!("needs a flat input, got {x:?} (add a flatten or global_avg_pool layer)"));
            }
            accumulate(c as u64, c as u64 * units as u64)?;
            [1, 1, units]
        }
        OpShape::Add => {
            if inputs[1] != x {
                return Err(format!("inputs have different shapes {x:?} and {:?}", inputs[1]));
            }
            x
        }
        OpShape::Concat => {
            if let Some(s) = inputs.iter().find(|s| s[0] != h || s[1] != w) {
                return Err(format!("inputs differ in height/width: {x:?} and {s:?}"));
            }
            let channels: u64 = inputs.iter().map(|s| s[2] as u64).sum();
            if channels > limits::MAX_DIM as u64 {
                return Err(format!("{channels} output channels is more than the limit of {}", limits::MAX_DIM));
            }
            [h, w, channels as u32]
        }
    };
    if elements(shape) > limits::MAX_TENSOR_ELEMENTS {
        return Err(format!(
            "its output {shape:?} has more than the limit of {} elements per image",
            limits::MAX_TENSOR_ELEMENTS
        ));
    }
    Ok(shape)
}
