//! An int8 model uploaded to the GPU (`GpuInt8Model`): its weights uploaded once in the layouts
//! the kernels read (each op's `GpuOp::upload`), QUANTIZE's table of the input, and batches of
//! u8 images run node by node through the ops' launchers, recorded once per batch size and
//! replayed, one submit per batch. Batches are split so that no tensor exceeds the adapter's
//! storage-buffer binding size.

use super::arithmetic::Arithmetic;
use super::packing::unpack;
use super::{quantize, Launch, Uploaded};
use crate::gpu::{dispatch::Dispatch, Gpu, Strategy};
use crate::{QatError, Result};
use qat_int8::model::QuantModel;

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
    weights: Vec<Uploaded>,
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
        let mut shapes = vec![model.input_shape];
        let mut weights = Vec::new();
        for (k, node) in model.nodes.iter().enumerate() {
            let ins: Vec<[u32; 3]> = node.inputs.iter().map(|&t| shapes[t]).collect();
            let shape = node
                .op
                .shape_op()
                .infer(&ins)
                .map_err(|e| QatError::Invalid(format!("node {k} ({}): {e}", node.name)))?;
            shapes.push(shape);
            let input_quants: Vec<_> = node.inputs.iter().map(|&t| quants[t]).collect();
            weights.push(super::upload(&node.op, gpu, &input_quants));
        }
        Ok(GpuInt8Model {
            model: model.clone(),
            arithmetic,
            dot4,
            strategy: gpu.strategy(),
            shapes,
            weights,
            lut: gpu.upload("int8 input table", &quantize::input_table(model)),
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
        let input = self.model.input_shape;
        let input_count = n * elements(input);
        let image_buf = gpu.storage("int8 images", input_count.div_ceil(4));
        let x0 = gpu.storage("int8 tensor", input_count.div_ceil(4));
        let mut d = vec![quantize::record(gpu, input_count, input[2], &image_buf, &self.lut, &x0)?];
        let mut tensors = vec![x0];
        // The node of each dispatch (`None`: the input's QUANTIZE).
        let mut nodes = vec![None];
        for (k, node) in self.model.nodes.iter().enumerate() {
            let mut launch = Launch {
                gpu,
                batch: n,
                inputs: node.inputs.iter().map(|&t| &tensors[t]).collect(),
                shapes: node.inputs.iter().map(|&t| self.shapes[t]).collect(),
                quants: node.inputs.iter().map(|&t| quants[t]).collect(),
                output_shape: self.shapes[k + 1],
                output_quant: quants[k + 1],
                arithmetic: self.arithmetic,
                dot4: self.dot4,
                strategy: self.strategy,
                dispatches: &mut d,
            };
            let y = super::record(&node.op, &self.weights[k], &mut launch)
                .map_err(|e| QatError::Invalid(format!("node {k} ({}): {e}", node.name)))?;
            nodes.resize(d.len(), Some(k));
            tensors.push(y);
        }
        let logits = tensors.pop().ok_or_else(|| QatError::Invalid("the model has no nodes".into()))?;
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
