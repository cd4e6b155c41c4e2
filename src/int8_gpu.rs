//! The int8 model on the GPU: the packed model's weights uploaded once (int8 packed four per
//! u32 in the layouts the kernels read, int32 biases, per-channel multipliers), and batches of
//! u8 images run through the int8 kernels of `ops::int8` (shaders/int8/) node by node, one
//! submit per batch. The integer rules are the int8 crate's, mirrored in WGSL with 32-bit words
//! (or i64 and f64 where the device has them: `Arithmetic`), so the output bytes equal the CPU
//! interpreter's (`qat_int8::interpreter`), image by image. Batches are split so that no tensor
//! exceeds the adapter's storage-buffer binding size.

use crate::gpu::{dispatch::Dispatch, Gpu, Strategy};
use crate::ops::int8::{self, pack, unpack, Arithmetic};
use crate::ops::int8::{
    channel_blocks, conv2d_grid, conv_tap_sums, conv_weight_words, depthwise_grid, fc_folded_bias, fc_weight_blocks,
    fully_connected_four_images, fully_connected_grid, words_grid, AddParams, ConcatParams, DoubleMultiplier,
    FullyConnectedParams, MeanParams, QuantizeParams, WindowParams,
};
use crate::{QatError, Result};
use qat_int8::interpreter::quantize_image;
use qat_int8::model::{QLayer, QuantModel};
use qat_int8::quant::add::AddRescale;
use qat_int8::quant::clamp::Clamp;
use qat_int8::quant::mean::MeanRescale;
use qat_int8::shape::output_size;

/// A weighted node's buffers.
enum Weights {
    /// Conv: packed weights, per tap and output channel the weight sums, and per four output
    /// channels their biases, multipliers and shifts.
    Conv { weights: wgpu::Buffer, tap_sums: wgpu::Buffer, channels: wgpu::Buffer },
    /// Depthwise: packed weights, per four channels their biases, multipliers and shifts.
    Depthwise { weights: wgpu::Buffer, channels: wgpu::Buffer },
    /// Fully connected: the weights in 16-byte blocks, the biases with the zero-point term
    /// folded in, the float64 multiplier.
    Dense { weights: wgpu::Buffer, bias: wgpu::Buffer, multiplier: DoubleMultiplier },
    /// No weights.
    None,
}

/// Most bytes of int8 tensors one recorded batch holds on the GPU.
pub const BATCH_TENSOR_BYTES: usize = 1 << 30;

/// An int8 model uploaded to the GPU.
pub struct GpuInt8Model {
    model: QuantModel,
    /// How the kernels compute 64-bit products and the float64 rescale.
    arithmetic: Arithmetic,
    /// Whether the conv's and the dense layer's dot products use WGSL's dot4I8Packed.
    dot4: bool,
    /// How kernels with a choice spread their work (the device's `Gpu::strategy` unless
    /// `with_strategy` says otherwise).
    strategy: Strategy,
    /// Shape of each tensor (0: the input), per image.
    shapes: Vec<[u32; 3]>,
    weights: Vec<Weights>,
    /// QUANTIZE's table: channel c, pixel p -> int8, as the CPU interpreter quantizes.
    lut: wgpu::Buffer,
}

fn elements(s: [u32; 3]) -> usize {
    s.iter().map(|&d| d as usize).product()
}

impl GpuInt8Model {
    /// Uploads `model` (a model `format::read` or `quantize` gave: validated), to run
    /// with the device's best arithmetic (`Arithmetic::best`).
    pub fn upload(gpu: &Gpu, model: &QuantModel) -> Result<GpuInt8Model> {
        Self::upload_with(gpu, model, Arithmetic::best(gpu), gpu.wgsl_dot4)
    }

    /// The kernel variants the device has, (arithmetic, dot4I8Packed): 32-bit words with
    /// unpacked dot products always; i64/f64 (`Arithmetic::Native`) and dot4I8Packed where the
    /// device and the instance have them.
    pub fn variants(gpu: &Gpu) -> Vec<(Arithmetic, bool)> {
        let mut have = Vec::new();
        for a in [Arithmetic::Words, Arithmetic::Native] {
            for dot4 in [false, true] {
                if a.available(gpu) && (!dot4 || gpu.wgsl_dot4) {
                    have.push((a, dot4));
                }
            }
        }
        have
    }

    /// Uploads `model` to run with `arithmetic` and, with `dot4`, WGSL's dot4I8Packed (an error
    /// where the device or the instance lacks either).
    pub fn upload_with(gpu: &Gpu, model: &QuantModel, arithmetic: Arithmetic, dot4: bool) -> Result<GpuInt8Model> {
        if dot4 && !gpu.wgsl_dot4 {
            return Err(QatError::AdapterLacks {
                adapter: gpu.describe(),
                what: "the WGSL language feature packed_4x8_integer_dot_product (dot4I8Packed)".into(),
            });
        }
        if !arithmetic.available(gpu) {
            return Err(QatError::AdapterLacks {
                adapter: gpu.describe(),
                what: "SHADER_INT64 and SHADER_F64 (the int8 kernels' native arithmetic)".into(),
            });
        }
        let quants = model.tensor_quants();
        let channels = model.input_shape[2];
        let mut lut = Vec::with_capacity(channels as usize * 256);
        for c in 0..channels as usize {
            for p in 0..=255u8 {
                // One pixel of channel c, quantized by the interpreter's own function.
                let mut pixel = vec![0u8; channels as usize];
                pixel[c] = p;
                let t = quantize_image(&pixel, [1, 1, channels], model.input_quant, &model.input_norm);
                lut.push(t.data[c] as i32);
            }
        }
        let mut shapes = vec![model.input_shape];
        let mut weights = Vec::new();
        for (k, node) in model.nodes.iter().enumerate() {
            let ins: Vec<[u32; 3]> = node.inputs.iter().map(|&t| shapes[t]).collect();
            let shape = qat_int8::shape::infer(node.op.shape_op(), &ins)
                .map_err(|e| QatError::Invalid(format!("node {k} ({}): {e}", node.name)))?;
            shapes.push(shape);
            weights.push(match &node.op {
                QLayer::Conv2d { weights: w, bias, multipliers, out_channels, in_channels, .. } => {
                    let (o, c) = (*out_channels as usize, *in_channels as usize);
                    Weights::Conv {
                        weights: gpu.upload("int8 weights", &conv_weight_words(w, o, c)),
                        tap_sums: gpu.upload("int8 tap sums", &conv_tap_sums(w, o, c)),
                        channels: gpu.upload("int8 channel params", &channel_blocks(bias, multipliers)),
                    }
                }
                QLayer::DepthwiseConv2d { weights: w, bias, multipliers, .. } => Weights::Depthwise {
                    weights: gpu.upload("int8 weights", &pack(w)),
                    channels: gpu.upload("int8 channel params", &channel_blocks(bias, multipliers)),
                },
                QLayer::FullyConnected { weights: w, bias, weight_scale, output, units, inputs, .. } => {
                    let q_in = quants[node.inputs[0]];
                    let s_in = q_in.scale;
                    let (units, inputs) = (*units as usize, *inputs as usize);
                    Weights::Dense {
                        weights: gpu.upload("int8 weights", &fc_weight_blocks(w, units, inputs)),
                        bias: gpu.upload("int8 folded bias", &fc_folded_bias(bias, w, inputs, q_in.zero_point)),
                        multiplier: DoubleMultiplier::new(s_in as f64 * *weight_scale as f64 / output.scale as f64),
                    }
                }
                _ => Weights::None,
            });
        }
        Ok(GpuInt8Model {
            model: model.clone(),
            arithmetic,
            dot4,
            strategy: gpu.strategy(),
            shapes,
            weights,
            lut: gpu.upload("int8 input table", &lut),
        })
    }

    /// The same model with its kernels shaped for `strategy` (tests run both on one device).
    pub fn with_strategy(mut self, strategy: Strategy) -> GpuInt8Model {
        self.strategy = strategy;
        self
    }

    /// The largest batch (at most `limit`) whose every tensor fits one storage binding of the
    /// adapter and whose tensors together (the path keeps every tensor of a batch) take at most
    /// `BATCH_TENSOR_BYTES`.
    pub fn batch_limit(&self, gpu: &Gpu, limit: usize) -> usize {
        let widest = self.shapes.iter().map(|&s| elements(s)).max().unwrap_or(1).max(1);
        let all: usize = self.shapes.iter().map(|&s| elements(s)).sum::<usize>().max(1);
        let binding = gpu.limits.max_storage_buffer_binding_size as usize;
        (binding / widest).min(BATCH_TENSOR_BYTES / all).clamp(1, limit.max(1))
    }

    /// Int8 logits of `count` images (u8, NHWC, back to back), batches of at most `batch`.
    pub fn run(&self, gpu: &Gpu, images: &[u8], count: usize, batch: usize) -> Result<Vec<i8>> {
        let pixels = elements(self.model.input_shape);
        if Some(images.len()) != pixels.checked_mul(count) {
            return Err(QatError::Invalid(format!(
                "{count} images of {:?} need {} values, got {}",
                self.model.input_shape,
                pixels.saturating_mul(count),
                images.len()
            )));
        }
        let batch = self.batch_limit(gpu, batch).min(count.max(1));
        // Recorded once for the batch size, replayed per batch (a short last batch is filled up
        // with zero images, whose outputs are dropped).
        let rec = self.record(gpu, batch)?;
        let classes = elements(self.shapes.last().copied().unwrap_or([1, 1, 1]));
        let mut out = Vec::with_capacity(count * classes);
        for chunk in images.chunks(batch * pixels.max(1)) {
            let n = chunk.len() / pixels.max(1);
            let mut bytes = chunk.to_vec();
            bytes.resize((batch * pixels).div_ceil(4) * 4, 0);
            gpu.queue.write_buffer(&rec.images, 0, &bytes);
            gpu.run(&rec.dispatches)?;
            let words: Vec<u32> = gpu.read(&rec.logits, (n * classes).div_ceil(4))?;
            out.extend(unpack(&words, n * classes));
        }
        Ok(out)
    }

    /// The dispatches of one batch of `n` images: every node, reading `images` (packed u8)
    /// and writing `logits` (packed int8).
    pub fn record(&self, gpu: &Gpu, n: usize) -> Result<Recorded> {
        let quants = self.model.tensor_quants();
        let b = n as u32;
        let image_buf = gpu.storage("int8 images", (n * elements(self.model.input_shape)).div_ceil(4));
        let tensor = |s: [u32; 3]| gpu.storage("int8 tensor", (n * elements(s)).div_ceil(4));
        let input_count = n * elements(self.model.input_shape);
        let x0 = tensor(self.model.input_shape);
        let mut d: Vec<Dispatch> = vec![Dispatch::new(
            gpu,
            &crate::ops::int8::QUANTIZE,
            &QuantizeParams { count: input_count as u32, channels: self.model.input_shape[2], _pad: [0; 2] },
            &[&image_buf, &self.lut, &x0],
            words_grid(input_count),
        )?];
        let mut tensors = vec![x0];
        // The node of each dispatch: those the previous node pushed are labelled at the top of
        // the next iteration (a node may `continue`), the last node's after the loop.
        let mut nodes = vec![None];
        for (k, node) in self.model.nodes.iter().enumerate() {
            nodes.resize(d.len(), k.checked_sub(1));
            let [h, w, c] = self.shapes[node.inputs[0]];
            let out_shape = self.shapes[k + 1];
            let [oh, ow, o] = out_shape;
            let q_in = quants[node.inputs[0]];
            let q_out = quants[k + 1];
            let x = &tensors[node.inputs[0]];
            let y = tensor(out_shape);
            let count = n * elements(out_shape);
            let window = |kernel: [u32; 2], stride: u32, padding, clamp: Clamp| {
                let pad_top = output_size(h, kernel[0], stride, padding).map_or(0, |s| s.1);
                let pad_left = output_size(w, kernel[1], stride, padding).map_or(0, |s| s.1);
                WindowParams {
                    batch: b,
                    h,
                    w,
                    c,
                    oh,
                    ow,
                    o,
                    kh: kernel[0],
                    kw: kernel[1],
                    stride,
                    pad_top,
                    pad_left,
                    in_zp: q_in.zero_point,
                    out_zp: q_out.zero_point,
                    clamp_min: clamp.min,
                    clamp_max: clamp.max,
                }
            };
            match (&node.op, &self.weights[k]) {
                (
                    QLayer::Conv2d { kernel, stride, padding, clamp, .. },
                    Weights::Conv { weights, tap_sums, channels },
                ) => {
                    let p = window(*kernel, *stride, *padding, *clamp);
                    let buffers = [x, weights, tap_sums, channels, &y];
                    let spec = p.specialization(true, true);
                    d.push(Dispatch::specialized(
                        gpu,
                        self.arithmetic.pick(&int8::CONV2D_VARIANTS, self.dot4),
                        &spec,
                        &p,
                        &buffers,
                        conv2d_grid(n, oh * ow, c, o),
                    )?);
                }
                (
                    QLayer::DepthwiseConv2d { kernel, stride, padding, clamp, .. },
                    Weights::Depthwise { weights, channels },
                ) => {
                    let p = window(*kernel, *stride, *padding, *clamp);
                    let buffers = [x, weights, channels, &y];
                    let spec = p.specialization(true, false);
                    d.push(Dispatch::specialized(
                        gpu,
                        self.arithmetic.pick(&int8::DEPTHWISE_VARIANTS, false),
                        &spec,
                        &p,
                        &buffers,
                        depthwise_grid(n, oh * ow, c),
                    )?);
                }
                (QLayer::MaxPool { size, stride }, _) => {
                    let p = window([*size, *size], *stride, qat_int8::shape::Padding::Valid, Clamp::FULL);
                    let spec = p.specialization(false, false);
                    d.push(Dispatch::specialized(
                        gpu,
                        &crate::ops::int8::MAX_POOL,
                        &spec,
                        &p,
                        &[x, &y],
                        words_grid(count),
                    )?);
                }
                (QLayer::AvgPool { size, stride, padding }, _) => {
                    let p = window([*size, *size], *stride, *padding, Clamp::FULL);
                    d.push(Dispatch::new(gpu, &crate::ops::int8::AVG_POOL, &p, &[x, &y], words_grid(count))?);
                }
                (QLayer::Mean { output }, _) => {
                    let r = MeanRescale::new(q_in, *output, h * w);
                    let p = MeanParams {
                        batch: b,
                        n: h * w,
                        c,
                        in_zp: q_in.zero_point,
                        out_zp: output.zero_point,
                        clamp_min: Clamp::FULL.min,
                        clamp_max: Clamp::FULL.max,
                        multiplier: r.multiplier.multiplier,
                        shift: r.multiplier.shift,
                        _pad: [0; 3],
                    };
                    d.push(Dispatch::new(
                        gpu,
                        self.arithmetic.pick(&int8::MEAN_VARIANTS, false),
                        &p,
                        &[x, &y],
                        words_grid(count),
                    )?);
                }
                (QLayer::Flatten, _) => {
                    // The same bytes, read as [1, 1, h * w * c].
                    tensors.push(x.clone());
                    continue;
                }
                (
                    QLayer::FullyConnected { units, inputs, clamp, output, .. },
                    Weights::Dense { weights, bias, multiplier },
                ) => {
                    let p = FullyConnectedParams {
                        batch: b,
                        inputs: *inputs,
                        units: *units,
                        in_zp: q_in.zero_point,
                        out_zp: output.zero_point,
                        clamp_min: clamp.min,
                        clamp_max: clamp.max,
                        m_exp: multiplier.exponent,
                        m_lo: multiplier.mantissa_lo,
                        m_hi: multiplier.mantissa_hi,
                        _pad: [0; 2],
                    };
                    let four_images = fully_connected_four_images(self.strategy, *units);
                    let spec = crate::gpu::pipelines::Specialization::default()
                        .with("INPUTS", *inputs)
                        .with("UNITS", *units)
                        .with("FOUR_IMAGES", four_images);
                    d.push(Dispatch::specialized(
                        gpu,
                        self.arithmetic.pick(&int8::FULLY_CONNECTED_VARIANTS, self.dot4),
                        &spec,
                        &p,
                        &[x, weights, bias, &y],
                        fully_connected_grid(n, *units, four_images),
                    )?);
                }
                (QLayer::Add { output, clamp, .. }, _) => {
                    let q_b = quants[node.inputs[1]];
                    let r = AddRescale::new(q_in, q_b, *output);
                    let p = AddParams {
                        count: count as u32,
                        zp_a: q_in.zero_point,
                        zp_b: q_b.zero_point,
                        out_zp: output.zero_point,
                        m_a: r.input1.multiplier,
                        shift_a: r.input1.shift,
                        m_b: r.input2.multiplier,
                        shift_b: r.input2.shift,
                        m_out: r.output.multiplier,
                        shift_out: r.output.shift,
                        clamp_min: clamp.min,
                        clamp_max: clamp.max,
                    };
                    d.push(Dispatch::new(
                        gpu,
                        self.arithmetic.pick(&int8::ADD_VARIANTS, false),
                        &p,
                        &[x, &tensors[node.inputs[1]], &y],
                        words_grid(count),
                    )?);
                }
                (QLayer::Concat, _) => {
                    // Pairs, left to right: ((a, b), c), ...
                    let pixels = (n as u32) * h * w;
                    let mut acc = x.clone();
                    let mut acc_c = c;
                    for (i, &t) in node.inputs.iter().enumerate().skip(1) {
                        let ct = self.shapes[t][2];
                        let last = i + 1 == node.inputs.len();
                        let dst = if last {
                            y.clone()
                        } else {
                            gpu.storage("int8 concat part", (pixels * (acc_c + ct)) as usize)
                        };
                        let p = ConcatParams { pixels, c1: acc_c, c2: ct, _pad: 0 };
                        let total = (pixels * (acc_c + ct)) as usize;
                        d.push(Dispatch::new(
                            gpu,
                            &crate::ops::int8::CONCAT,
                            &p,
                            &[&acc, &tensors[t], &dst],
                            words_grid(total),
                        )?);
                        acc = dst;
                        acc_c += ct;
                    }
                }
                (op, _) => {
                    return Err(QatError::Invalid(format!(
                        "node {} ({}): no GPU int8 kernel",
                        node.name,
                        op.op_name()
                    )));
                }
            }
            tensors.push(y);
        }
        let logits = tensors.pop().ok_or_else(|| QatError::Invalid("the model has no nodes".into()))?;
        nodes.resize(d.len(), self.model.nodes.len().checked_sub(1));
        Ok(Recorded { images: image_buf, dispatches: d, nodes, logits })
    }
}

/// One batch size's recorded run.
pub struct Recorded {
    /// The batch's u8 images, packed.
    pub images: wgpu::Buffer,
    /// Every node's kernel, in order.
    pub dispatches: Vec<Dispatch>,
    /// The node (index into the model's nodes) each dispatch belongs to; `None`: the input's
    /// QUANTIZE.
    pub nodes: Vec<Option<usize>>,
    /// The packed int8 logits.
    pub logits: wgpu::Buffer,
}
