//! AVERAGE_POOL_2D, input and output sharing scale and zero point (LiteRT's reference kernel):
//! the sum of the raw int8 values over the in-bounds taps (padding not counted), divided by the
//! tap count rounding half away from zero.

use super::{Int8Op, OpShape, ShapeRule};
use crate::checks::NodeIo;
use crate::export::onnx_graph::{self, attr_int, attr_ints, pads, Lowered};
use crate::export::tflite_graph;
use crate::export::tflite_schema::tflite as fb;
use crate::payload::{padding_byte, unused, Reader, Writer, R};
use crate::quant::clamp::Clamp;
use crate::quant::params::TensorQuant;
use crate::shape::{check_window, fit, in_bounds, window, Padding};
use crate::tensor::{clamp_i8, Tensor};
use crate::work::{pool_cost, Cost};

/// What an AVERAGE_POOL_2D's output shape depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Window height and width.
    pub size: u32,
    /// Stride on both axes.
    pub stride: u32,
    /// TensorFlow's "valid" or "same".
    pub padding: Padding,
}

impl ShapeRule for Shape {
    fn output(&self, inputs: &[[u32; 3]]) -> R<[u32; 3]> {
        check_window("window size", &[self.size], self.stride)?;
        if let Padding::Explicit(_) = self.padding {
            return Err("average pooling takes \"valid\" or \"same\" padding".into());
        }
        let [oh, ow] = fit(inputs[0], [self.size, self.size], self.stride, self.padding)?;
        Ok([oh, ow, inputs[0][2]])
    }
    fn cost(&self, _inputs: &[[u32; 3]], output: [u32; 3]) -> Cost {
        pool_cost(self.size, output)
    }
}

/// An AVERAGE_POOL_2D node.
#[derive(Debug, Clone, PartialEq)]
pub struct AvgPool {
    /// Window height and width.
    pub size: u32,
    /// Stride on both axes.
    pub stride: u32,
    /// TensorFlow's "valid" or "same".
    pub padding: Padding,
}

impl Int8Op for AvgPool {
    const NAME: &'static str = "AVERAGE_POOL_2D";

    fn shape(&self) -> OpShape {
        OpShape::AvgPool(Shape { size: self.size, stride: self.stride, padding: self.padding })
    }

    fn reads_images(&self) -> bool {
        true
    }

    fn check(&self, _node: &NodeIo) -> R<()> {
        Ok(())
    }

    /// Truncating division after adding half the count with the sum's sign.
    /// Overflow: at most k*k values of magnitude <= 128.
    fn run(&self, inputs: &[&Tensor], _quants: &[TensorQuant]) -> Tensor {
        let (x, k, stride) = (inputs[0], self.size, self.stride);
        let [h, w, c] = x.shape;
        let Some(win) = window([h, w], [k, k], stride, self.padding) else { return x.clone() };
        let ([oh, ow], pad_top, pad_left) = (win.out, win.pads.top, win.pads.left);
        let cu = c as usize;
        let mut out = vec![0i8; oh as usize * ow as usize * cu];
        let mut acc = vec![0i32; cu];
        for oy in 0..oh {
            for ox in 0..ow {
                acc.iter_mut().for_each(|a| *a = 0);
                let mut count = 0i32;
                for iy in in_bounds(oy, stride, k, pad_top, h) {
                    for ix in in_bounds(ox, stride, k, pad_left, w) {
                        let i = (iy * w as usize + ix) * cu;
                        for (a, &v) in acc.iter_mut().zip(&x.data[i..i + cu]) {
                            *a += v as i32;
                        }
                        count += 1;
                    }
                }
                let count = count.max(1);
                let o = (oy * ow + ox) as usize * cu;
                for (y, &a) in out[o..o + cu].iter_mut().zip(&acc) {
                    let avg = if a > 0 { (a + count / 2) / count } else { (a - count / 2) / count };
                    *y = clamp_i8(avg, Clamp::FULL);
                }
            }
        }
        Tensor { shape: [oh, ow, c], data: out }
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
        Ok(AvgPool { size: r.window("pool size")?, stride: r.window("pool stride")?, padding })
    }

    fn to_tflite(&self, g: &mut tflite_graph::Graph, node: &tflite_graph::Node) {
        let padding = if self.padding == Padding::Same { fb::Padding::Same } else { fb::Padding::Valid };
        g.pool(fb::BuiltinOperator::AveragePool2d, node, node.inputs[0], padding, self.size, self.stride);
    }

    /// AveragePool without the padded taps (`count_include_pad` 0).
    fn to_onnx(&self, g: &mut onnx_graph::Graph, node: &onnx_graph::Node) -> Lowered {
        let [ih, iw, _] = node.shapes[0];
        let attrs = vec![
            attr_ints("kernel_shape", vec![self.size as i64; 2]),
            attr_ints("strides", vec![self.stride as i64; 2]),
            attr_ints("pads", pads([ih, iw], [self.size, self.size], self.stride, self.padding)),
            attr_int("count_include_pad", 0),
        ];
        Lowered { value: g.node("AveragePool", vec![node.inputs[0].clone()], attrs, node.name), flat: false }
    }
}
