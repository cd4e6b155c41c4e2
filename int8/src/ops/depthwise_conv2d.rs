//! DEPTHWISE_CONV_2D with depth multiplier 1: int8 weights [KH, KW, C] quantized per channel
//! (zero point 0), int32 biases at scale input_scale * weight_scale\[c\], requantized per channel.

use super::{Int8Op, OpShape, ShapeRule};
use crate::checks::{self, NodeIo};
use crate::export::onnx_graph::{self, attr_int, attr_ints, ohwi_to_oihw, pads, Lowered};
use crate::export::tflite_graph::{self, activation, dims, PadWith};
use crate::export::tflite_schema::tflite as fb;
use crate::payload::{activation_byte, activation_of, padding_byte, Reader, Writer, R};
use crate::quant::clamp::{Activation, Clamp};
use crate::quant::multiplier::multiply_by_quantized_multiplier;
use crate::quant::params::TensorQuant;
use crate::quant::per_channel::PerChannel;
use crate::shape::{check_accumulation, check_window, elements, fit, window, Padding};
use crate::tensor::{clamp_i8, Tensor};
use crate::work::{weight, Cost};

/// What a DEPTHWISE_CONV_2D's output shape depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// [height, width] of the kernel.
    pub kernel: [u32; 2],
    /// Stride on both axes.
    pub stride: u32,
    /// TensorFlow's "valid" or "same".
    pub padding: Padding,
}

impl ShapeRule for Shape {
    fn output(&self, inputs: &[[u32; 3]]) -> R<[u32; 3]> {
        let c = inputs[0][2];
        check_window("kernel size", &self.kernel, self.stride)?;
        let taps = self.kernel[0] as u64 * self.kernel[1] as u64;
        check_accumulation(taps, taps * c as u64)?;
        let [oh, ow] = fit(inputs[0], self.kernel, self.stride, self.padding)?;
        Ok([oh, ow, c])
    }
    /// The taps and the requantization of every output value.
    fn cost(&self, inputs: &[[u32; 3]], output: [u32; 3]) -> Cost {
        let m = u64::saturating_mul;
        let taps = self.kernel[0] as u64 * self.kernel[1] as u64;
        let (out, c) = (elements(output), inputs[0][2] as u64);
        Cost {
            work: m(m(out, taps), weight::DEPTHWISE_TAP) + m(out, weight::REQUANTIZE),
            parameter_bytes: m(taps, c) + 16 * c,
        }
    }
}

/// A DEPTHWISE_CONV_2D node.
#[derive(Debug, Clone, PartialEq)]
pub struct DepthwiseConv2d {
    /// Channels (input and output).
    pub channels: u32,
    /// [height, width] of the kernel.
    pub kernel: [u32; 2],
    /// Stride on both axes.
    pub stride: u32,
    /// TensorFlow's "valid" or "same".
    pub padding: Padding,
    /// The fused activation.
    pub activation: Activation,
    /// Each channel's weight scale, multiplier and bias.
    pub per_channel: PerChannel,
    /// Int8 weights [KH, KW, C] (zero point 0, in [-127, 127]).
    pub weights: Vec<i8>,
    /// The output's quantization.
    pub output: TensorQuant,
    /// The fused activation's clamp on the output grid.
    pub clamp: Clamp,
}

impl Int8Op for DepthwiseConv2d {
    const NAME: &'static str = "DEPTHWISE_CONV_2D";

    fn shape(&self) -> OpShape {
        OpShape::DepthwiseConv2d(Shape { kernel: self.kernel, stride: self.stride, padding: self.padding })
    }

    fn output_quant(&self) -> Option<TensorQuant> {
        Some(self.output)
    }

    fn weight_scales(&self) -> &[f32] {
        &self.per_channel.weight_scales
    }

    fn reads_images(&self) -> bool {
        true
    }

    fn check(&self, node: &NodeIo) -> R<()> {
        let c = node.channels();
        if self.channels != c {
            return Err(format!("has {} channels, its input has {c}", self.channels));
        }
        let taps = self.kernel[0] as u64 * self.kernel[1] as u64;
        checks::weighted(c, taps, &self.per_channel, &self.weights)?;
        checks::output_and_clamp(&self.output, &self.clamp, self.activation)?;
        checks::requantization(node.quants[0], &self.per_channel, &self.output)
    }

    /// Per channel c:
    /// acc = bias\[c\] + sum over in-bounds taps of w[ky, kx, c] * (x[.., c] - input_zero_point);
    /// out = clamp(MBQM(acc, mult\[c\], shift\[c\]) + output_zero_point).
    /// Overflow: at most kh*kw products below 2^15 each, plus the bias.
    fn run(&self, inputs: &[&Tensor], quants: &[TensorQuant]) -> Tensor {
        let (x, input_zero_point) = (inputs[0], quants[0].zero_point);
        let [h, w, c] = x.shape;
        let ([kh, kw], stride) = (self.kernel, self.stride);
        let Some(win) = window([h, w], [kh, kw], stride, self.padding) else { return x.clone() };
        let ([oh, ow], pad_top, pad_left) = (win.out, win.pads.top, win.pads.left);
        let (bias, multipliers) = (&self.per_channel.bias, &self.per_channel.multipliers);
        let mut out = vec![0i8; (oh * ow * c) as usize];
        for oy in 0..oh {
            for ox in 0..ow {
                for ch in 0..c {
                    let mut acc: i32 = bias[ch as usize];
                    for ky in 0..kh {
                        let iy = (oy * stride + ky) as i64 - pad_top as i64;
                        if iy < 0 || iy >= h as i64 {
                            continue;
                        }
                        for kx in 0..kw {
                            let ix = (ox * stride + kx) as i64 - pad_left as i64;
                            if ix < 0 || ix >= w as i64 {
                                continue;
                            }
                            let xv = x.data[((iy as u32 * w + ix as u32) * c + ch) as usize] as i32;
                            let wv = self.weights[((ky * kw + kx) * c + ch) as usize] as i32;
                            acc += wv * (xv - input_zero_point);
                        }
                    }
                    let scaled = multiply_by_quantized_multiplier(acc, multipliers[ch as usize]);
                    out[((oy * ow + ox) * c + ch) as usize] =
                        clamp_i8(scaled.saturating_add(self.output.zero_point), self.clamp);
                }
            }
        }
        Tensor { shape: [oh, ow, c], data: out }
    }

    fn flags(&self) -> [u8; 2] {
        [padding_byte(self.padding), activation_byte(self.activation)]
    }

    fn write(&self, w: &mut Writer) {
        w.pads(self.padding);
        for v in [self.channels, self.kernel[0], self.kernel[1], self.stride] {
            w.u32(v);
        }
        w.quant(&self.output);
        w.clamp(&self.clamp);
        w.per_channel(&self.per_channel);
        w.i8s(&self.weights);
    }

    fn read(r: &mut Reader, [b1, b2]: [u8; 2]) -> R<Self> {
        let padding = r.padding(b1)?;
        let activation = activation_of(b2)?;
        let channels = r.dim("channels")?;
        let kernel = [r.window("kernel height")?, r.window("kernel width")?];
        let stride = r.window("stride")?;
        let output = r.quant("output")?;
        let clamp = r.clamp("activation clamp")?;
        let per_channel = r.per_channel(channels as usize)?;
        let weights = r.i8s(kernel[0] as u64 * kernel[1] as u64 * channels as u64, "weights")?;
        Ok(DepthwiseConv2d { channels, kernel, stride, padding, activation, per_channel, weights, output, clamp })
    }

    /// [1, KH, KW, C] weights per channel (`quantized_dimension` 3), the activation fused.
    fn to_tflite(&self, g: &mut tflite_graph::Graph, node: &tflite_graph::Node) {
        let scales = &self.per_channel.weight_scales;
        let wi = g.weights(node, dims(&[1, self.kernel[0], self.kernel[1], self.channels]), &self.weights, scales, 3);
        let bi = g.bias(node, &self.per_channel.bias, scales);
        let (x, padding) = g.padded_input(node, self.kernel, self.stride, self.padding, PadWith::ZeroPoint);
        let o = fb::DepthwiseConv2DOptions {
            padding,
            stride_w: self.stride as i32,
            stride_h: self.stride as i32,
            depth_multiplier: 1,
            fused_activation_function: activation(self.activation),
            dilation_w_factor: 1,
            dilation_h_factor: 1,
        };
        let options = Some(fb::BuiltinOptions::DepthwiseConv2DOptions(Box::new(o)));
        g.op(fb::BuiltinOperator::DepthwiseConv2d, 3, vec![x, wi, bi], vec![node.output], options);
    }

    /// Conv with group C: [KH, KW, C] is OHWI with O = 1, I = C; ONNX wants [C, 1, KH, KW].
    fn to_onnx(&self, g: &mut onnx_graph::Graph, node: &onnx_graph::Node) -> Lowered {
        let (kernel, base, c) = (self.kernel, node.name, self.channels);
        let oihw = ohwi_to_oihw(&self.weights, [1, kernel[0] as usize, kernel[1] as usize, c as usize]);
        let scales = &self.per_channel.weight_scales;
        let wf = g.weights(base, vec![c as i64, 1, kernel[0] as i64, kernel[1] as i64], oihw, scales, true);
        let bf = g.bias(base, &self.per_channel.bias, node.quants[0].scale, scales);
        let [ih, iw, _] = node.shapes[0];
        let attrs = vec![
            attr_ints("kernel_shape", vec![kernel[0] as i64, kernel[1] as i64]),
            attr_ints("strides", vec![self.stride as i64; 2]),
            attr_ints("pads", pads([ih, iw], kernel, self.stride, self.padding)),
            attr_int("group", c as i64),
        ];
        let y = g.node("Conv", vec![node.inputs[0].clone(), wf, bf], attrs, base);
        Lowered { value: g.activation(y, self.activation, base), flat: false }
    }
}
