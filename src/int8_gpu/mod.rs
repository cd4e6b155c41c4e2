//! The int8 model on the GPU: the int8 kernels under shaders/int8/, one file per int8 op (the
//! list is `qat_int8::int8_ops!`, so every op of the int8 model has its launcher here), each
//! holding the op's kernels with their params, the layouts its weights are uploaded in once and
//! its launcher (`GpuOp`). `model` uploads a whole model and runs batches of images through it,
//! one submit per batch. The integer rules are the int8 crate's, mirrored in WGSL with 32-bit
//! words (or i64 and f64 where the device has them: `arithmetic`), so the output bytes equal the
//! CPU interpreter's (`qat_int8::interpreter`), image by image. Also here: int8 values packed in
//! u32 words (`packing`), the window kernels' params (`window`), the input's QUANTIZE
//! (`quantize`) and the rescale rules' host side with their test kernel (`requantize`).

pub mod arithmetic;
pub mod model;
pub mod packing;
pub mod quantize;
pub mod requantize;
pub mod window;

use crate::gpu::dispatch::Dispatch;
use crate::gpu::shaders::Shader;
use crate::gpu::{Gpu, Strategy};
use crate::{QatError, Result};
use arithmetic::Arithmetic;
use qat_int8::ops::QLayer;
use qat_int8::quant::clamp::Clamp;
use qat_int8::quant::params::TensorQuant;
use qat_int8::shape::{elements, window, Padding};
use window::WindowParams;

/// What an op's launcher sees of its node in a recorded batch: the device, the batch size, the
/// tensors it reads with their shapes and quantization, its output's, how kernels compute and
/// spread their work, and the dispatches so far.
pub(crate) struct Launch<'a> {
    pub gpu: &'a Gpu,
    /// Images in the batch.
    pub batch: usize,
    /// The packed int8 tensors read.
    pub inputs: Vec<&'a wgpu::Buffer>,
    /// Their shapes per image.
    pub shapes: Vec<[u32; 3]>,
    /// Their quantization.
    pub quants: Vec<TensorQuant>,
    /// The output's shape per image.
    pub output_shape: [u32; 3],
    /// The output's quantization.
    pub output_quant: TensorQuant,
    /// How the kernels compute 64-bit products and the float64 rescale.
    pub arithmetic: Arithmetic,
    /// Whether dot products use WGSL's dot4I8Packed.
    pub dot4: bool,
    /// How kernels with a choice spread their work.
    pub strategy: Strategy,
    /// The batch's dispatches, in order.
    pub dispatches: &'a mut Vec<Dispatch>,
}

impl Launch<'_> {
    /// Values of the output over the batch.
    pub fn output_values(&self) -> usize {
        self.batch * elements(self.output_shape) as usize
    }
    /// A new packed int8 tensor for the output.
    pub fn output(&self) -> wgpu::Buffer {
        self.gpu.storage("int8 tensor", self.output_values().div_ceil(4))
    }
    /// The window kernels' params for a `kernel` window at `stride` with `padding` on the first
    /// input, clamping to `clamp`.
    pub fn window(&self, kernel: [u32; 2], stride: u32, padding: Padding, clamp: Clamp) -> WindowParams {
        let [h, w, c] = self.shapes[0];
        let [oh, ow, o] = self.output_shape;
        let pads = window([h, w], kernel, stride, padding).map(|w| w.pads).unwrap_or_default();
        WindowParams {
            batch: self.batch as u32,
            h,
            w,
            c,
            oh,
            ow,
            o,
            kh: kernel[0],
            kw: kernel[1],
            stride,
            pad_top: pads.top,
            pad_left: pads.left,
            in_zp: self.quants[0].zero_point,
            out_zp: self.output_quant.zero_point,
            clamp_min: clamp.min,
            clamp_max: clamp.max,
        }
    }
}

/// An int8 op on the GPU.
pub(crate) trait GpuOp {
    /// The node's buffers uploaded with the model (its weights in the layouts its kernels read).
    type Weights;
    /// Uploads the node's buffers; `input_quants` is the quantization of the tensors it reads.
    fn upload(&self, gpu: &Gpu, input_quants: &[TensorQuant]) -> Self::Weights;
    /// Records the node's dispatches; returns its output tensor.
    fn record(&self, weights: &Self::Weights, node: &mut Launch) -> Result<wgpu::Buffer>;
}

macro_rules! declare {
    ($($module:ident $Op:ident: tag $tag:literal, since $since:literal;)*) => {
        $(pub mod $module;)*

        /// A node's buffers uploaded with the model.
        pub(crate) enum Uploaded {
            $($Op(<qat_int8::ops::$module::$Op as GpuOp>::Weights),)*
        }

        /// Uploads the buffers of a node running `op`.
        pub(crate) fn upload(op: &QLayer, gpu: &Gpu, input_quants: &[TensorQuant]) -> Uploaded {
            match op {
                $(QLayer::$Op(o) => Uploaded::$Op(o.upload(gpu, input_quants)),)*
            }
        }

        /// Records a node running `op` with the buffers `upload` gave it.
        pub(crate) fn record(op: &QLayer, weights: &Uploaded, node: &mut Launch) -> Result<wgpu::Buffer> {
            match (op, weights) {
                $((QLayer::$Op(o), Uploaded::$Op(w)) => o.record(w, node),)*
                #[allow(unreachable_patterns)]
                (op, _) => Err(QatError::Invalid(format!("{}: buffers uploaded for another op", op.op_name()))),
            }
        }

        /// Every int8 kernel, as each op's file declares them (`<op>::KERNELS`), with the
        /// input's QUANTIZE and the rescale test kernels.
        pub fn shaders() -> Vec<&'static Shader> {
            [quantize::KERNELS, requantize::KERNELS, $($module::KERNELS,)*].concat()
        }
    };
}

qat_int8::int8_ops!(declare);
