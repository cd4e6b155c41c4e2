//! CONV_2D on the GPU: int8/conv2d.wgsl's kernels (each arithmetic and dot-product path), the
//! layouts of the weights they read and the launcher.

use super::arithmetic::Variants;
use super::packing::{channel_blocks, pack, words_grid};
use super::window::WindowParams;
use super::{GpuOp, Launch};
use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::Gpu;
use crate::Result;
use crate::gpu::dispatch::{Dispatch, Grid, WORKGROUP_SIZE};
use qat_int8::ops::conv2d::Conv2d;
use qat_int8::quant::params::TensorQuant;

/// A conv's buffers: packed weights (`conv_weight_words`), per tap and output channel the weight
/// sums (`conv_tap_sums`), and per four output channels their biases, multipliers and shifts.
pub struct Weights {
    weights: wgpu::Buffer,
    tap_sums: wgpu::Buffer,
    channels: wgpu::Buffer,
}

impl GpuOp for Conv2d {
    type Weights = Weights;

    fn upload(&self, gpu: &Gpu, _input_quants: &[TensorQuant]) -> Weights {
        let (w, o, c) = (&self.weights, self.out_channels as usize, self.in_channels as usize);
        Weights {
            weights: gpu.upload("int8 weights", &conv_weight_words(w, o, c)),
            tap_sums: gpu.upload("int8 tap sums", &conv_tap_sums(w, o, c)),
            channels: gpu.upload("int8 channel params", &channel_blocks(&self.per_channel.bias, &self.per_channel.multipliers)),
        }
    }

    fn record(&self, w: &Weights, node: &mut Launch) -> Result<wgpu::Buffer> {
        let p = node.window(self.kernel, self.stride, self.padding, self.clamp);
        let y = node.output();
        let kernel = node.arithmetic.pick(&CONV2D_VARIANTS, node.dot4);
        let grid = conv2d_grid(node.batch, p.oh * p.ow, p.c, p.o);
        let buffers = [node.inputs[0], &w.weights, &w.tap_sums, &w.channels, &y];
        node.dispatches.push(Dispatch::specialized(node.gpu, kernel, &p.specialization(true, true), &p, &buffers, grid)?);
        Ok(y)
    }
}

/// A conv's OHWI int8 weights (`o` output, `c` input channels) as the words int8/conv2d reads:
/// with `o % 4 == 0` and `c % 4 == 0`, blocks [KH, KW, C / 4, O / 4] of four words, word k of a
/// block holding output channel 4 o4 + k's input channels 4 c4 .. 4 c4 + 3 (a `q8_dot4`
/// operand); with `o % 4 == 0` only, blocks [KH, KW, C, ceil(O / 16)] of four words, word k of
/// block b holding output channels 16 b + 4 k .. + 3 of one input channel (zero past the last
/// output channel); else OHWI as they are. Packed four per u32.
pub fn conv_weight_words(ohwi: &[i8], o: usize, c: usize) -> Vec<u32> {
    if o == 0 || !o.is_multiple_of(4) || c == 0 {
        return pack(ohwi);
    }
    let per = ohwi.len() / o;
    let taps = per / c;
    let o16 = o.div_ceil(16) * 16;
    let mut out = vec![0i8; if c.is_multiple_of(4) { ohwi.len() } else { taps * c * o16 }];
    for oc in 0..o {
        for tap in 0..taps {
            for ci in 0..c {
                let v = ohwi[oc * per + tap * c + ci];
                let at = if c.is_multiple_of(4) {
                    let block = (tap * (c / 4) + ci / 4) * (o / 4) + oc / 4;
                    block * 16 + (oc % 4) * 4 + ci % 4
                } else {
                    (tap * c + ci) * o16 + oc
                };
                out[at] = v;
            }
        }
    }
    pack(&out)
}

/// Per tap and output channel of a conv's OHWI weights, the sum over its input channels (the
/// zero-point term of int8/conv2d's dot-product path), as `[taps][O]` i32.
pub fn conv_tap_sums(ohwi: &[i8], o: usize, c: usize) -> Vec<i32> {
    if o == 0 || c == 0 {
        return vec![0];
    }
    let taps = ohwi.len() / (o * c);
    let mut sums = vec![0i32; taps * o];
    for oc in 0..o {
        for tap in 0..taps {
            sums[tap * o + oc] = ohwi[(oc * taps + tap) * c..(oc * taps + tap + 1) * c].iter().map(|&w| w as i32).sum();
        }
    }
    sums
}

/// The lanes int8/conv2d needs for `batch` images of `pixels` output pixels, `c` input and
/// `o` output channels: one per four output channels of four pixels (`o % 4 == 0`, `c % 16 ==
/// 0`), of one pixel (`o % 4 == 0`, `c % 4 == 0`), per pixel and block of up to 16 output
/// channels (`o % 4 == 0`, the blocks in z), else one per output word; the kernel picks its
/// path by the same rule.
pub fn conv2d_grid(batch: usize, pixels: u32, c: u32, o: u32) -> Grid {
    let pixels = batch * pixels as usize;
    let o4 = (o / 4) as usize;
    match (o % 4, c % 16, c % 4) {
        (0, 0, _) => Grid::items(pixels.div_ceil(4) * o4, WORKGROUP_SIZE),
        (0, _, 0) => Grid::items(pixels * o4, WORKGROUP_SIZE),
        (0, _, _) => {
            let g = Grid::items(pixels, WORKGROUP_SIZE);
            Grid(g.0, g.1, o4.div_ceil(4) as u32)
        }
        _ => words_grid(pixels * o as usize),
    }
}

/// The int8 conv kernels.
pub static CONV2D_VARIANTS: Variants<WindowParams> =
    Variants { words: &CONV2D, words_dot4: &CONV2D_DOT4, native: &CONV2D_NATIVE, native_dot4: &CONV2D_NATIVE_DOT4 };

/// `int8/conv2d`: shaders/int8/conv2d.wgsl.
#[rustfmt::skip]
pub static CONV2D: Kernel<WindowParams> = crate::kernel!("int8/conv2d", WindowParams, [R, R, R, R, W], "int8/window_params", "int8/packed", "int8/requantize", "int8/dot4_unpacked"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "O", "PAD_TOP", "PAD_LEFT"]);
/// `int8/conv2d#dot4`: shaders/int8/conv2d.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static CONV2D_DOT4: Kernel<WindowParams> = crate::kernel!("int8/conv2d#dot4" from "int8/conv2d", WindowParams, [R, R, R, R, W], "int8/window_params", "int8/packed", "int8/requantize", "int8/dot4_builtin"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "O", "PAD_TOP", "PAD_LEFT"]);
/// `int8/conv2d#native`: shaders/int8/conv2d.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static CONV2D_NATIVE: Kernel<WindowParams> = crate::kernel!("int8/conv2d#native" from "int8/conv2d", WindowParams, [R, R, R, R, W], "int8/window_params", "int8/packed", "int8/requantize_native", "int8/dot4_unpacked"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "O", "PAD_TOP", "PAD_LEFT"]);
/// `int8/conv2d#native_dot4`: shaders/int8/conv2d.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static CONV2D_NATIVE_DOT4: Kernel<WindowParams> = crate::kernel!("int8/conv2d#native_dot4" from "int8/conv2d", WindowParams, [R, R, R, R, W], "int8/window_params", "int8/packed", "int8/requantize_native", "int8/dot4_builtin"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "O", "PAD_TOP", "PAD_LEFT"]);

/// The kernels of this op, each launched through its handle (`int8_gpu::shaders` registers them).
pub static KERNELS: &[&Shader] = &[&CONV2D.shader, &CONV2D_DOT4.shader, &CONV2D_NATIVE.shader, &CONV2D_NATIVE_DOT4.shader];
