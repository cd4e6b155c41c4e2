//! MAX_POOL_2D: the maximum of each window's in-bounds taps ("valid", "same" or explicit
//! padding, which is never the maximum); scale and zero point pass through unchanged, so no
//! arithmetic is needed.

use super::{Int8Op, OpShape, ShapeRule};
use crate::checks::NodeIo;
use crate::export::onnx_graph::{self, attr_ints, pads, Lowered};
use crate::export::tflite_graph::{self, PadWith};
use crate::export::tflite_schema::tflite as fb;
use crate::payload::{padding_byte, unused, Reader, Writer, R};
use crate::quant::params::TensorQuant;
use crate::shape::{check_window, fit, in_bounds, window, Padding};
use crate::tensor::Tensor;
use crate::work::{pool_cost, Cost};

/// What a MAX_POOL_2D's output shape depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Window height and width.
    pub size: u32,
    /// Stride on both axes.
    pub stride: u32,
    /// "valid", "same" or explicit.
    pub padding: Padding,
}

impl ShapeRule for Shape {
    fn output(&self, inputs: &[[u32; 3]]) -> R<[u32; 3]> {
        check_window("window size", &[self.size], self.stride)?;
        let [oh, ow] = fit(inputs[0], [self.size, self.size], self.stride, self.padding)?;
        Ok([oh, ow, inputs[0][2]])
    }
    fn cost(&self, _inputs: &[[u32; 3]], output: [u32; 3]) -> Cost {
        pool_cost(self.size, output)
    }
}

/// A MAX_POOL_2D node.
#[derive(Debug, Clone, PartialEq)]
pub struct MaxPool {
    /// Window height and width.
    pub size: u32,
    /// Stride on both axes.
    pub stride: u32,
    /// "valid", "same" or explicit.
    pub padding: Padding,
}

impl Int8Op for MaxPool {
    const NAME: &'static str = "MAX_POOL_2D";

    fn shape(&self) -> OpShape {
        OpShape::MaxPool(Shape { size: self.size, stride: self.stride, padding: self.padding })
    }

    fn reads_images(&self) -> bool {
        true
    }

    fn check(&self, _node: &NodeIo) -> R<()> {
        Ok(())
    }

    /// Channels are the inner loop (each tap reads one pixel's channels in a row); a window
    /// reads its in-bounds taps (at least one: padding is less than the window).
    fn run(&self, inputs: &[&Tensor], _quants: &[TensorQuant]) -> Tensor {
        let (x, size, stride) = (inputs[0], self.size, self.stride);
        let [h, w, c] = x.shape;
        let Some(win) = window([h, w], [size, size], stride, self.padding) else { return x.clone() };
        let ([oh, ow], pads) = (win.out, win.pads);
        let c = c as usize;
        let mut out = vec![i8::MIN; oh as usize * ow as usize * c];
        for oy in 0..oh {
            let rows = in_bounds(oy, stride, size, pads.top, h);
            for ox in 0..ow {
                let o = (oy * ow + ox) as usize * c;
                let m = &mut out[o..o + c];
                for iy in rows.clone() {
                    for ix in in_bounds(ox, stride, size, pads.left, w) {
                        let i = (iy * w as usize + ix) * c;
                        for (m, &v) in m.iter_mut().zip(&x.data[i..i + c]) {
                            *m = (*m).max(v);
                        }
                    }
                }
            }
        }
        Tensor { shape: [oh, ow, c as u32], data: out }
    }

    fn flags(&self) -> [u8; 2] {
        [padding_byte(self.padding), 0]
    }

    fn write(&self, w: &mut Writer) {
        w.pads(self.padding);
        w.u32(self.size);
        w.u32(self.stride);
    }

    fn read(r: &mut Reader, [b1, b2]: [u8; 2]) -> R<Self> {
        let padding = r.padding(b1)?;
        unused(b2, "activation")?;
        Ok(MaxPool { size: r.window("pool size")?, stride: r.window("pool stride")?, padding })
    }

    /// Explicit padding that is neither "same" nor "valid" as a PADV2 with the lowest int8
    /// value, which no window takes as its maximum, before a VALID pool.
    fn to_tflite(&self, g: &mut tflite_graph::Graph, node: &tflite_graph::Node) {
        let k = [self.size, self.size];
        let (x, padding) = g.padded_input(node, k, self.stride, self.padding, PadWith::Lowest);
        g.pool(fb::BuiltinOperator::MaxPool2d, node, x, padding, self.size, self.stride);
    }

    /// MaxPool with `pads` (ONNX's padded taps are never the maximum either).
    fn to_onnx(&self, g: &mut onnx_graph::Graph, node: &onnx_graph::Node) -> Lowered {
        let [ih, iw, _] = node.shapes[0];
        let k = [self.size, self.size];
        let attrs = vec![
            attr_ints("kernel_shape", vec![self.size as i64; 2]),
            attr_ints("strides", vec![self.stride as i64; 2]),
            attr_ints("pads", pads([ih, iw], k, self.stride, self.padding)),
        ];
        Lowered { value: g.node("MaxPool", vec![node.inputs[0].clone()], attrs, node.name), flat: false }
    }
}
