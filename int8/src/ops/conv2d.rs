//! CONV_2D: int8 OHWI weights quantized per output channel (zero point 0), int32 biases at scale
//! input_scale * weight_scale\[c\], requantized per channel with double rounding.

use super::{Int8Op, OpShape, ShapeRule};
use crate::checks::{self, NodeIo};
use crate::export::onnx_graph::{self, attr_ints, ohwi_to_oihw, pads, Lowered};
use crate::export::tflite_graph::{self, activation, dims, PadWith};
use crate::export::tflite_schema::tflite as fb;
use crate::payload::{activation_byte, activation_of, padding_byte, Reader, Writer, R};
use crate::quant::clamp::{Activation, Clamp};
use crate::quant::multiplier::multiply_by_quantized_multiplier;
use crate::quant::params::TensorQuant;
use crate::quant::per_channel::PerChannel;
use crate::shape::{check_accumulation, check_count, check_window, elements, fit, window, Padding};
use crate::tensor::{clamp_i8, Tensor};
use crate::work::{weight, Cost};

/// What a CONV_2D's output shape depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Output channels.
    pub filters: u32,
    /// [height, width] of the kernel.
    pub kernel: [u32; 2],
    /// Stride on both axes.
    pub stride: u32,
    /// TensorFlow's "valid" or "same".
    pub padding: Padding,
}

impl ShapeRule for Shape {
    fn output(&self, inputs: &[[u32; 3]]) -> R<[u32; 3]> {
        let Shape { filters, kernel, stride, padding } = *self;
        check_count("filters", filters)?;
        check_window("kernel size", &kernel, stride)?;
        let taps = kernel[0] as u64 * kernel[1] as u64 * inputs[0][2] as u64;
        check_accumulation(taps, taps * filters as u64)?;
        let [oh, ow] = fit(inputs[0], kernel, stride, padding)?;
        Ok([oh, ow, filters])
    }
    /// Multiply-adds, the window walk per output value and the requantization.
    fn cost(&self, inputs: &[[u32; 3]], output: [u32; 3]) -> Cost {
        let m = u64::saturating_mul;
        let taps = self.kernel[0] as u64 * self.kernel[1] as u64;
        let weights = m(m(self.filters as u64, taps), inputs[0][2] as u64);
        let out = elements(output);
        let macs = m(output[0] as u64 * output[1] as u64, weights);
        Cost {
            work: m(macs, weight::MAC) + m(m(out, taps), weight::CONV_TAP) + m(out, weight::REQUANTIZE),
            parameter_bytes: weights + 16 * self.filters as u64,
        }
    }
}

/// A CONV_2D node.
#[derive(Debug, Clone, PartialEq)]
pub struct Conv2d {
    /// Output channels.
    pub out_channels: u32,
    /// [height, width] of the kernel.
    pub kernel: [u32; 2],
    /// Input channels.
    pub in_channels: u32,
    /// Stride on both axes.
    pub stride: u32,
    /// TensorFlow's "valid" or "same".
    pub padding: Padding,
    /// The fused activation.
    pub activation: Activation,
    /// Each output channel's weight scale, multiplier and bias.
    pub per_channel: PerChannel,
    /// Int8 weights [O, KH, KW, I] (zero point 0, in [-127, 127]).
    pub weights: Vec<i8>,
    /// The output's quantization.
    pub output: TensorQuant,
    /// The fused activation's clamp on the output grid.
    pub clamp: Clamp,
}

impl Int8Op for Conv2d {
    const NAME: &'static str = "CONV_2D";

    fn shape(&self) -> OpShape {
        OpShape::Conv2d(Shape { filters: self.out_channels, kernel: self.kernel, stride: self.stride, padding: self.padding })
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
        if self.in_channels != c {
            return Err(format!("expects {} input channels, its input has {c}", self.in_channels));
        }
        let taps = self.kernel[0] as u64 * self.kernel[1] as u64 * c as u64;
        checks::weighted(self.out_channels, taps, &self.per_channel, &self.weights)?;
        checks::output_and_clamp(&self.output, &self.clamp, self.activation)?;
        checks::requantization(node.quants[0], &self.per_channel, &self.output)
    }

    /// Per output channel c:
    /// acc = bias\[c\] + sum over in-bounds taps of w[c, ky, kx, ci] * (x - input_zero_point);
    /// out = clamp(MBQM(acc, mult\[c\], shift\[c\]) + output_zero_point, act_min, act_max).
    /// Overflow: |w| <= 127 and |x - zp| <= 255, so each product is below 2^15 and the sum of
    /// `taps` products plus the bias stays inside i32 — the validation rejects models where
    /// |bias| + taps * 255 * 127 could reach 2^31. The zero-point add saturates: it cannot
    /// overflow for a multiplier below 1, and a valid model's larger multipliers (shift up to
    /// 30, as TFLite allows) must not make it undefined.
    fn run(&self, inputs: &[&Tensor], quants: &[TensorQuant]) -> Tensor {
        let (x, input_zero_point) = (inputs[0], quants[0].zero_point);
        let [h, w, c] = x.shape;
        let (kernel, stride) = (self.kernel, self.stride);
        let Some(win) = window([h, w], kernel, stride, self.padding) else { return x.clone() };
        let ([oh, ow], pad_top, pad_left) = (win.out, win.pads.top, win.pads.left);
        let o = self.out_channels;
        let (bias, multipliers) = (&self.per_channel.bias, &self.per_channel.multipliers);
        let mut out = vec![0i8; (oh * ow * o) as usize];
        for oy in 0..oh {
            for ox in 0..ow {
                for oc in 0..o {
                    let mut acc: i32 = bias[oc as usize];
                    for ky in 0..kernel[0] {
                        let iy = (oy * stride + ky) as i64 - pad_top as i64;
                        if iy < 0 || iy >= h as i64 {
                            continue;
                        }
                        for kx in 0..kernel[1] {
                            let ix = (ox * stride + kx) as i64 - pad_left as i64;
                            if ix < 0 || ix >= w as i64 {
                                continue;
                            }
                            for ci in 0..c {
                                let xv = x.data[((iy as u32 * w + ix as u32) * c + ci) as usize] as i32;
                                let wv =
                                    self.weights[(((oc * kernel[0] + ky) * kernel[1] + kx) * c + ci) as usize] as i32;
                                acc += wv * (xv - input_zero_point);
                            }
                        }
                    }
                    let scaled = multiply_by_quantized_multiplier(acc, multipliers[oc as usize]);
                    out[((oy * ow + ox) * o + oc) as usize] =
                        clamp_i8(scaled.saturating_add(self.output.zero_point), self.clamp);
                }
            }
        }
        Tensor { shape: [oh, ow, o], data: out }
    }

    fn flags(&self) -> [u8; 2] {
        [padding_byte(self.padding), activation_byte(self.activation)]
    }

    fn write(&self, w: &mut Writer) {
        w.pads(self.padding);
        for v in [self.out_channels, self.kernel[0], self.kernel[1], self.in_channels, self.stride] {
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
        let out_channels = r.dim("output channels")?;
        let kernel = [r.window("kernel height")?, r.window("kernel width")?];
        let in_channels = r.dim("input channels")?;
        let stride = r.window("stride")?;
        let output = r.quant("output")?;
        let clamp = r.clamp("activation clamp")?;
        let per_channel = r.per_channel(out_channels as usize)?;
        // At most 2^16 * 64 * 64 * 2^16 < 2^44: no wrap in u64.
        let count = out_channels as u64 * kernel[0] as u64 * kernel[1] as u64 * in_channels as u64;
        let weights = r.i8s(count, "weights")?;
        Ok(Conv2d { out_channels, kernel, in_channels, stride, padding, activation, per_channel, weights, output, clamp })
    }

    /// OHWI weights per output channel (`quantized_dimension` 0), the activation fused.
    fn to_tflite(&self, g: &mut tflite_graph::Graph, node: &tflite_graph::Node) {
        let shape = dims(&[self.out_channels, self.kernel[0], self.kernel[1], self.in_channels]);
        let scales = &self.per_channel.weight_scales;
        let wi = g.weights(node, shape, &self.weights, scales, 0);
        let bi = g.bias(node, &self.per_channel.bias, scales);
        let (x, padding) = g.padded_input(node, self.kernel, self.stride, self.padding, PadWith::ZeroPoint);
        let o = fb::Conv2DOptions {
            padding,
            stride_w: self.stride as i32,
            stride_h: self.stride as i32,
            fused_activation_function: activation(self.activation),
            dilation_w_factor: 1,
            dilation_h_factor: 1,
            ..Default::default()
        };
        let options = Some(fb::BuiltinOptions::Conv2DOptions(Box::new(o)));
        g.op(fb::BuiltinOperator::Conv2d, 3, vec![x, wi, bi], vec![node.output], options);
    }

    /// Conv on NCHW with OIHW weights per output channel (axis 0).
    fn to_onnx(&self, g: &mut onnx_graph::Graph, node: &onnx_graph::Node) -> Lowered {
        let (kernel, base) = (self.kernel, node.name);
        let d = [self.out_channels as usize, kernel[0] as usize, kernel[1] as usize, self.in_channels as usize];
        let oihw = ohwi_to_oihw(&self.weights, d);
        let scales = &self.per_channel.weight_scales;
        let wf = g.weights(base, vec![d[0] as i64, d[3] as i64, d[1] as i64, d[2] as i64], oihw, scales, true);
        let bf = g.bias(base, &self.per_channel.bias, node.quants[0].scale, scales);
        let [ih, iw, _] = node.shapes[0];
        let attrs = vec![
            attr_ints("kernel_shape", vec![kernel[0] as i64, kernel[1] as i64]),
            attr_ints("strides", vec![self.stride as i64; 2]),
            attr_ints("pads", pads([ih, iw], kernel, self.stride, self.padding)),
        ];
        let y = g.node("Conv", vec![node.inputs[0].clone(), wf, bf], attrs, base);
        Lowered { value: g.activation(y, self.activation, base), flat: false }
    }
}
