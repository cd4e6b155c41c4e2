//! MAX_POOL_2D over "valid" windows: the maximum of each window; scale and zero point pass
//! through unchanged, so no arithmetic is needed.

use super::{Int8Op, OpShape, ShapeRule};
use crate::checks::NodeIo;
use crate::export::onnx_graph::{self, attr_ints, Lowered};
use crate::export::tflite_graph;
use crate::export::tflite_schema::tflite as fb;
use crate::payload::{unused, Reader, R};
use crate::quant::params::TensorQuant;
use crate::shape::{check_window, elements, fit, Padding};
use crate::tensor::Tensor;
use crate::work::{weight, Cost};

/// What a MAX_POOL_2D's output shape depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Window height and width.
    pub size: u32,
    /// Stride on both axes.
    pub stride: u32,
}

impl ShapeRule for Shape {
    fn output(&self, inputs: &[[u32; 3]]) -> R<[u32; 3]> {
        check_window("window size", &[self.size], self.stride)?;
        let [oh, ow] = fit(inputs[0], [self.size, self.size], self.stride, Padding::Valid)?;
        Ok([oh, ow, inputs[0][2]])
    }
    /// Every tap of every window, and each output.
    fn cost(&self, _inputs: &[[u32; 3]], output: [u32; 3]) -> Cost {
        let out = elements(output);
        let taps = out.saturating_mul(self.size as u64 * self.size as u64);
        Cost { work: taps.saturating_mul(weight::POOL_TAP) + out.saturating_mul(weight::POOL_OUTPUT), parameter_bytes: 0 }
    }
}

/// A MAX_POOL_2D node (valid windows).
#[derive(Debug, Clone, PartialEq)]
pub struct MaxPool {
    /// Window height and width.
    pub size: u32,
    /// Stride on both axes.
    pub stride: u32,
}

impl Int8Op for MaxPool {
    const NAME: &'static str = "MAX_POOL_2D";

    fn shape(&self) -> OpShape {
        OpShape::MaxPool(Shape { size: self.size, stride: self.stride })
    }

    fn check(&self, _node: &NodeIo) -> R<()> {
        Ok(())
    }

    /// Channels are the inner loop (each tap reads one pixel's channels in a row).
    fn run(&self, inputs: &[&Tensor], _quants: &[TensorQuant]) -> Tensor {
        let (x, size, stride) = (inputs[0], self.size, self.stride);
        let [h, w, c] = x.shape;
        let (oh, ow) = ((h - size) / stride + 1, (w - size) / stride + 1);
        let c = c as usize;
        let mut out = vec![i8::MIN; oh as usize * ow as usize * c];
        for oy in 0..oh {
            for ox in 0..ow {
                let o = (oy * ow + ox) as usize * c;
                let m = &mut out[o..o + c];
                for ky in 0..size {
                    for kx in 0..size {
                        let i = ((oy * stride + ky) * w + ox * stride + kx) as usize * c;
                        for (m, &v) in m.iter_mut().zip(&x.data[i..i + c]) {
                            *m = (*m).max(v);
                        }
                    }
                }
            }
        }
        Tensor { shape: [oh, ow, c as u32], data: out }
    }

    fn write(&self, w: &mut crate::payload::Writer) {
        w.u32(self.size);
        w.u32(self.stride);
    }

    fn read(r: &mut Reader, [b1, b2]: [u8; 2]) -> R<Self> {
        unused(b1, "padding")?;
        unused(b2, "activation")?;
        Ok(MaxPool { size: r.window("pool size")?, stride: r.window("pool stride")? })
    }

    fn to_tflite(&self, g: &mut tflite_graph::Graph, node: &tflite_graph::Node) {
        let o = fb::Pool2DOptions {
            padding: fb::Padding::Valid,
            stride_w: self.stride as i32,
            stride_h: self.stride as i32,
            filter_width: self.size as i32,
            filter_height: self.size as i32,
            fused_activation_function: fb::ActivationFunctionType::None,
        };
        let options = Some(fb::BuiltinOptions::Pool2DOptions(Box::new(o)));
        g.op(fb::BuiltinOperator::MaxPool2d, 2, vec![node.inputs[0]], vec![node.output], options);
    }

    fn to_onnx(&self, g: &mut onnx_graph::Graph, node: &onnx_graph::Node) -> Lowered {
        let attrs = vec![
            attr_ints("kernel_shape", vec![self.size as i64; 2]),
            attr_ints("strides", vec![self.stride as i64; 2]),
        ];
        Lowered { value: g.node("MaxPool", vec![node.inputs[0].clone()], attrs, node.name), flat: false }
    }
}
