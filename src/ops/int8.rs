//! Integer kernels for the int8 model on the GPU. Their arithmetic is the int8 crate's rules
//! (`qat_int8::quant`), mirrored in `shaders/int8/requantize.wgsl` with 32-bit words only; this
//! file has the host side: the float64 multiplier of FULLY_CONNECTED as the integer parts the
//! WGSL takes, and the test kernel that applies both rescale rules to given values.

use crate::gpu::shaders::{Kernel, Shader};
use crate::gpu::{dispatch::Dispatch, dispatch::Grid, dispatch::WORKGROUP_SIZE, Gpu};
use crate::Result;
use qat_int8::quant::multiplier::QuantizedMultiplier;

/// A positive float64 multiplier m = mantissa * 2^exponent, mantissa a 53-bit integer: how the
/// GPU receives FULLY_CONNECTED's `f64(s_in) * f64(s_w) / f64(s_out)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoubleMultiplier {
    /// The mantissa's low 32 bits.
    pub mantissa_lo: u32,
    /// The mantissa's high 21 bits.
    pub mantissa_hi: u32,
    /// The power of two.
    pub exponent: i32,
}

impl DoubleMultiplier {
    /// The parts of `m` (finite and positive; anything else gives 0, which rescales to 0). A
    /// subnormal m is exact too (its mantissa is then shorter than 53 bits).
    pub fn new(m: f64) -> DoubleMultiplier {
        if !(m.is_finite() && m > 0.0) {
            return DoubleMultiplier { mantissa_lo: 0, mantissa_hi: 0, exponent: 0 };
        }
        let bits = m.to_bits();
        let exp_bits = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1u64 << 52) - 1);
        let (mantissa, exponent) = if exp_bits == 0 { (frac, -1074) } else { (frac | (1u64 << 52), exp_bits - 1075) };
        DoubleMultiplier { mantissa_lo: mantissa as u32, mantissa_hi: (mantissa >> 32) as u32, exponent }
    }
    /// As the four words the WGSL reads: mantissa lo, hi, exponent bits, 0.
    pub fn words(&self) -> [u32; 4] {
        [self.mantissa_lo, self.mantissa_hi, self.exponent as u32, 0]
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of int8/requantize_each.wgsl.
pub struct RequantizeEachParams {
    /// Values.
    pub count: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 3],
}

crate::uniform_fields!(RequantizeEachParams: count, _pad);

/// How the int8 kernels compute their 64-bit products and the float64 rescale: with 32-bit
/// words only (every adapter), or natively with 64-bit integers and float64 (adapters with
/// SHADER_INT64 and SHADER_F64). Both give the same bytes; a kernel is compiled with one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arithmetic {
    /// 16-bit limbs in u32 (shaders/int8/requantize.wgsl).
    Words,
    /// i64 and f64 (shaders/int8/requantize_native.wgsl).
    Native,
}

impl Arithmetic {
    /// Native where the device has SHADER_INT64 and SHADER_F64, else words.
    pub fn best(gpu: &Gpu) -> Arithmetic {
        if Self::Native.available(gpu) {
            Arithmetic::Native
        } else {
            Arithmetic::Words
        }
    }
    /// Whether the device can compile this arithmetic.
    pub fn available(&self, gpu: &Gpu) -> bool {
        match self {
            Arithmetic::Words => true,
            Arithmetic::Native => {
                gpu.device.features().contains(wgpu::Features::SHADER_INT64 | wgpu::Features::SHADER_F64)
            }
        }
    }
    /// The kernel of `v` compiled with this arithmetic and, with `dot4` (where the kernel has
    /// dot products), WGSL's dot4I8Packed for them.
    pub fn pick<P>(&self, v: &Variants<P>, dot4: bool) -> &'static Kernel<P> {
        match (self, dot4) {
            (Arithmetic::Words, false) => v.words,
            (Arithmetic::Words, true) => v.words_dot4,
            (Arithmetic::Native, false) => v.native,
            (Arithmetic::Native, true) => v.native_dot4,
        }
    }
}

/// One int8 kernel as compiled for each arithmetic and dot-product path (a kernel without dot
/// products has the same kernel for both paths).
pub struct Variants<P: 'static> {
    /// 32-bit words, unpacked dot products.
    pub words: &'static Kernel<P>,
    /// 32-bit words, dot4I8Packed.
    pub words_dot4: &'static Kernel<P>,
    /// i64 and f64, unpacked dot products.
    pub native: &'static Kernel<P>,
    /// i64 and f64, dot4I8Packed.
    pub native_dot4: &'static Kernel<P>,
}

/// The int8 conv kernels.
pub static CONV2D_VARIANTS: Variants<WindowParams> =
    Variants { words: &CONV2D, words_dot4: &CONV2D_DOT4, native: &CONV2D_NATIVE, native_dot4: &CONV2D_NATIVE_DOT4 };
/// The int8 fully connected kernels.
pub static FULLY_CONNECTED_VARIANTS: Variants<FullyConnectedParams> = Variants {
    words: &FULLY_CONNECTED,
    words_dot4: &FULLY_CONNECTED_DOT4,
    native: &FULLY_CONNECTED_NATIVE,
    native_dot4: &FULLY_CONNECTED_NATIVE_DOT4,
};
/// The int8 depthwise kernels.
pub static DEPTHWISE_VARIANTS: Variants<WindowParams> =
    Variants { words: &DEPTHWISE, words_dot4: &DEPTHWISE, native: &DEPTHWISE_NATIVE, native_dot4: &DEPTHWISE_NATIVE };
/// The int8 MEAN kernels.
pub static MEAN_VARIANTS: Variants<MeanParams> =
    Variants { words: &MEAN, words_dot4: &MEAN, native: &MEAN_NATIVE, native_dot4: &MEAN_NATIVE };
/// The int8 ADD kernels.
pub static ADD_VARIANTS: Variants<AddParams> =
    Variants { words: &ADD, words_dot4: &ADD, native: &ADD_NATIVE, native_dot4: &ADD_NATIVE };
/// The requantization kernels of the tests.
pub static REQUANTIZE_EACH_VARIANTS: Variants<RequantizeEachParams> = Variants {
    words: &REQUANTIZE_EACH,
    words_dot4: &REQUANTIZE_EACH,
    native: &REQUANTIZE_EACH_NATIVE,
    native_dot4: &REQUANTIZE_EACH_NATIVE,
};

impl RequantizeEachParams {
    /// Records `out[i] = (MBQM(acc[i], fixed[i]), FC rescale(acc[i], double[i]))`; `fixed` holds
    /// (multiplier, shift) pairs, `double` the `DoubleMultiplier::words`.
    pub fn dispatch(
        gpu: &Gpu,
        arithmetic: Arithmetic,
        count: usize,
        acc: &wgpu::Buffer,
        fixed: &wgpu::Buffer,
        double: &wgpu::Buffer,
        out: &wgpu::Buffer,
    ) -> Result<Dispatch> {
        let p = RequantizeEachParams { count: count as u32, _pad: [0; 3] };
        Dispatch::new(
            gpu,
            arithmetic.pick(&REQUANTIZE_EACH_VARIANTS, false),
            &p,
            &[acc, fixed, double, out],
            Grid::items(count, WORKGROUP_SIZE),
        )
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of the int8 window kernels (int8/conv2d, depthwise, max_pool,
/// avg_pool; shaders/int8/window_params.wgsl).
pub struct WindowParams {
    /// Images in the batch.
    pub batch: u32,
    /// Input height.
    pub h: u32,
    /// Input width.
    pub w: u32,
    /// Input channels.
    pub c: u32,
    /// Output height.
    pub oh: u32,
    /// Output width.
    pub ow: u32,
    /// Output channels (conv2d; the others keep c).
    pub o: u32,
    /// Window height.
    pub kh: u32,
    /// Window width.
    pub kw: u32,
    /// Stride.
    pub stride: u32,
    /// Rows of padding before the first.
    pub pad_top: u32,
    /// Columns of padding before the first.
    pub pad_left: u32,
    /// Input zero point.
    pub in_zp: i32,
    /// Output zero point.
    pub out_zp: i32,
    /// Lowest output value (the fused activation's clamp).
    pub clamp_min: i32,
    /// Highest output value.
    pub clamp_max: i32,
}

crate::uniform_fields!(WindowParams: batch, h, w, c, oh, ow, o, kh, kw, stride, pad_top, pad_left, in_zp, out_zp, clamp_min, clamp_max);

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of int8/fully_connected.wgsl.
pub struct FullyConnectedParams {
    /// Images in the batch.
    pub batch: u32,
    /// Inputs per image.
    pub inputs: u32,
    /// Outputs per image.
    pub units: u32,
    /// Input zero point.
    pub in_zp: i32,
    /// Output zero point.
    pub out_zp: i32,
    /// Lowest output value.
    pub clamp_min: i32,
    /// Highest output value.
    pub clamp_max: i32,
    /// The float64 multiplier's exponent (`DoubleMultiplier`).
    pub m_exp: i32,
    /// Its mantissa's low 32 bits.
    pub m_lo: u32,
    /// Its mantissa's high bits.
    pub m_hi: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 2],
}

crate::uniform_fields!(FullyConnectedParams: batch, inputs, units, in_zp, out_zp, clamp_min, clamp_max, m_exp, m_lo, m_hi, _pad);

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of int8/mean.wgsl.
pub struct MeanParams {
    /// Images in the batch.
    pub batch: u32,
    /// Values averaged per channel (h * w).
    pub n: u32,
    /// Channels.
    pub c: u32,
    /// Input zero point.
    pub in_zp: i32,
    /// Output zero point.
    pub out_zp: i32,
    /// Lowest output value.
    pub clamp_min: i32,
    /// Highest output value.
    pub clamp_max: i32,
    /// `MeanRescale`'s multiplier.
    pub multiplier: i32,
    /// Its shift.
    pub shift: i32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 3],
}

crate::uniform_fields!(MeanParams: batch, n, c, in_zp, out_zp, clamp_min, clamp_max, multiplier, shift, _pad);

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of int8/add.wgsl (`AddRescale`'s three multipliers).
pub struct AddParams {
    /// Values.
    pub count: u32,
    /// First input's zero point.
    pub zp_a: i32,
    /// Second input's zero point.
    pub zp_b: i32,
    /// Output zero point.
    pub out_zp: i32,
    /// First input's multiplier.
    pub m_a: i32,
    /// Its shift.
    pub shift_a: i32,
    /// Second input's multiplier.
    pub m_b: i32,
    /// Its shift.
    pub shift_b: i32,
    /// The sum's multiplier.
    pub m_out: i32,
    /// Its shift.
    pub shift_out: i32,
    /// Lowest output value.
    pub clamp_min: i32,
    /// Highest output value.
    pub clamp_max: i32,
}

crate::uniform_fields!(AddParams: count, zp_a, zp_b, out_zp, m_a, shift_a, m_b, shift_b, m_out, shift_out, clamp_min, clamp_max);

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of int8/concat.wgsl.
pub struct ConcatParams {
    /// Pixels (batch * h * w).
    pub pixels: u32,
    /// First input's channels.
    pub c1: u32,
    /// Second input's channels.
    pub c2: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: u32,
}

crate::uniform_fields!(ConcatParams: pixels, c1, c2, _pad);

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, bytemuck::Pod, bytemuck::Zeroable)]
/// The uniform parameters of int8/quantize.wgsl.
pub struct QuantizeParams {
    /// Values (batch * h * w * c).
    pub count: u32,
    /// Channels.
    pub channels: u32,
    /// Padding to the WGSL struct's size (a multiple of 16 bytes).
    pub _pad: [u32; 2],
}

crate::uniform_fields!(QuantizeParams: count, channels, _pad);

impl WindowParams {
    /// The override constants of int8/max_pool (the window and sizes), int8/depthwise (also
    /// the padding: `with_pads`) and int8/conv2d (also the output channels: `with_o`).
    pub fn specialization(&self, with_pads: bool, with_o: bool) -> crate::gpu::pipelines::Specialization {
        let s = crate::gpu::pipelines::Specialization::default()
            .with("KH", self.kh)
            .with("KW", self.kw)
            .with("C", self.c)
            .with("STRIDE", self.stride)
            .with("H", self.h)
            .with("W", self.w)
            .with("OH", self.oh)
            .with("OW", self.ow);
        let s = if with_o { s.with("O", self.o) } else { s };
        if with_pads {
            s.with("PAD_TOP", self.pad_top).with("PAD_LEFT", self.pad_left)
        } else {
            s
        }
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

/// A conv's or depthwise conv's per-channel parameters as int8/conv2d and int8/depthwise read
/// them: per four channels three blocks of four, the biases, the multipliers and the shifts
/// (zero past the last channel).
pub fn channel_blocks(bias: &[i32], multipliers: &[QuantizedMultiplier]) -> Vec<i32> {
    let mut out = vec![0i32; bias.len().div_ceil(4) * 12];
    for (ch, (&b, m)) in bias.iter().zip(multipliers).enumerate() {
        let block = 12 * (ch / 4);
        out[block + ch % 4] = b;
        out[block + 4 + ch % 4] = m.multiplier;
        out[block + 8 + ch % 4] = m.shift;
    }
    out
}

/// The lanes int8/depthwise needs for `batch` images of `pixels` output pixels and `c` channels:
/// one per 16 channels of a pixel (`c % 16 == 0`), else one per output word (the kernel's rule).
pub fn depthwise_grid(batch: usize, pixels: u32, c: u32) -> Grid {
    let values = batch * pixels as usize * c as usize;
    if c.is_multiple_of(16) {
        Grid::items(values / 16, WORKGROUP_SIZE)
    } else {
        words_grid(values)
    }
}

/// A dense layer's int8 weights (`units` rows of `inputs`) as the 16-byte blocks
/// int8/fully_connected reads, `[ceil(inputs / 16), units]`: block (k, o) holds
/// w[o, 16 k .. 16 k + 15], zero past the last input. Packed four per u32.
pub fn fc_weight_blocks(w: &[i8], units: usize, inputs: usize) -> Vec<u32> {
    let k16 = inputs.div_ceil(16);
    let mut out = vec![0i8; k16 * units * 16];
    for o in 0..units {
        for (i, &v) in w[o * inputs..(o + 1) * inputs].iter().enumerate() {
            out[((i / 16) * units + o) * 16 + i % 16] = v;
        }
    }
    pack(&out)
}

/// A dense layer's bias with the zero-point term folded in, as int8/fully_connected adds it:
/// bias\[o\] - in_zp * sum_i w\[o, i\], in wrapping i32 (the kernel's sums wrap the same way; the
/// reference's accumulator fits in i32, so the wrapped total is exact).
pub fn fc_folded_bias(bias: &[i32], w: &[i8], inputs: usize, in_zp: i32) -> Vec<i32> {
    bias.iter()
        .enumerate()
        .map(|(o, &b)| {
            let sum = w[o * inputs..(o + 1) * inputs].iter().fold(0i32, |s, &v| s.wrapping_add(v as i32));
            b.wrapping_sub(in_zp.wrapping_mul(sum))
        })
        .collect()
}

/// Whether int8/fully_connected computes every unit of four images per lane (its FOUR_IMAGES):
/// on a CPU-type adapter, where it loads each weight block once for four images, with at most 16
/// units; on a GPU one lane per output word gives the adapter more lanes.
pub fn fully_connected_four_images(strategy: crate::gpu::Strategy, units: u32) -> bool {
    strategy == crate::gpu::Strategy::CpuLanes && units <= 16
}

/// The lanes int8/fully_connected needs for `batch` images and `units` outputs: one per four
/// images with `four_images`, else one per output word (the kernel's rule).
pub fn fully_connected_grid(batch: usize, units: u32, four_images: bool) -> Grid {
    if four_images {
        Grid::items(batch.div_ceil(4), WORKGROUP_SIZE)
    } else {
        words_grid(batch * units as usize)
    }
}

/// Packs int8 values four per u32 (value i in byte i % 4 of word i / 4).
pub fn pack(values: &[i8]) -> Vec<u32> {
    values.chunks(4).map(|c| c.iter().enumerate().fold(0u32, |w, (k, &v)| w | ((v as u8 as u32) << (8 * k)))).collect()
}

/// The `count` int8 values of packed `words`.
pub fn unpack(words: &[u32], count: usize) -> Vec<i8> {
    (0..count).map(|i| (words[i / 4] >> (8 * (i % 4))) as u8 as i8).collect()
}

/// The grid of a kernel with one lane per output word of `values` int8 values.
pub fn words_grid(values: usize) -> Grid {
    Grid::items(values.div_ceil(4), WORKGROUP_SIZE)
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

/// The kernels of this op, each launched through its handle (`ops::shaders` registers them).
/// `int8/requantize_each`: shaders/int8/requantize_each.wgsl.
#[rustfmt::skip]
pub static REQUANTIZE_EACH: Kernel<RequantizeEachParams> = crate::kernel!("int8/requantize_each", RequantizeEachParams, [R, R, R, W], "int8/requantize");
/// `int8/requantize_each#native`: shaders/int8/requantize_each.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static REQUANTIZE_EACH_NATIVE: Kernel<RequantizeEachParams> = crate::kernel!("int8/requantize_each#native" from "int8/requantize_each", RequantizeEachParams, [R, R, R, W], "int8/requantize_native");
/// `int8/quantize`: shaders/int8/quantize.wgsl.
#[rustfmt::skip]
pub static QUANTIZE: Kernel<QuantizeParams> = crate::kernel!("int8/quantize", QuantizeParams, [R, R, W], "int8/packed");
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
/// `int8/depthwise`: shaders/int8/depthwise.wgsl.
#[rustfmt::skip]
pub static DEPTHWISE: Kernel<WindowParams> = crate::kernel!("int8/depthwise", WindowParams, [R, R, R, W], "int8/window_params", "int8/packed", "int8/requantize"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "PAD_TOP", "PAD_LEFT"]);
/// `int8/depthwise#native`: shaders/int8/depthwise.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static DEPTHWISE_NATIVE: Kernel<WindowParams> = crate::kernel!("int8/depthwise#native" from "int8/depthwise", WindowParams, [R, R, R, W], "int8/window_params", "int8/packed", "int8/requantize_native"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW", "PAD_TOP", "PAD_LEFT"]);
/// `int8/max_pool`: shaders/int8/max_pool.wgsl.
#[rustfmt::skip]
pub static MAX_POOL: Kernel<WindowParams> = crate::kernel!("int8/max_pool", WindowParams, [R, W], "int8/window_params", "int8/packed"; specialized ["KH", "KW", "C", "STRIDE", "H", "W", "OH", "OW"]);
/// `int8/avg_pool`: shaders/int8/avg_pool.wgsl.
#[rustfmt::skip]
pub static AVG_POOL: Kernel<WindowParams> = crate::kernel!("int8/avg_pool", WindowParams, [R, W], "int8/window_params", "int8/packed");
/// `int8/fully_connected`: shaders/int8/fully_connected.wgsl.
#[rustfmt::skip]
pub static FULLY_CONNECTED: Kernel<FullyConnectedParams> = crate::kernel!("int8/fully_connected", FullyConnectedParams, [R, R, R, W], "int8/packed", "int8/requantize", "int8/dot4_unpacked"; specialized ["INPUTS", "UNITS", "FOUR_IMAGES"]);
/// `int8/fully_connected#dot4`: shaders/int8/fully_connected.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static FULLY_CONNECTED_DOT4: Kernel<FullyConnectedParams> = crate::kernel!("int8/fully_connected#dot4" from "int8/fully_connected", FullyConnectedParams, [R, R, R, W], "int8/packed", "int8/requantize", "int8/dot4_builtin"; specialized ["INPUTS", "UNITS", "FOUR_IMAGES"]);
/// `int8/fully_connected#native`: shaders/int8/fully_connected.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static FULLY_CONNECTED_NATIVE: Kernel<FullyConnectedParams> = crate::kernel!("int8/fully_connected#native" from "int8/fully_connected", FullyConnectedParams, [R, R, R, W], "int8/packed", "int8/requantize_native", "int8/dot4_unpacked"; specialized ["INPUTS", "UNITS", "FOUR_IMAGES"]);
/// `int8/fully_connected#native_dot4`: shaders/int8/fully_connected.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static FULLY_CONNECTED_NATIVE_DOT4: Kernel<FullyConnectedParams> = crate::kernel!("int8/fully_connected#native_dot4" from "int8/fully_connected", FullyConnectedParams, [R, R, R, W], "int8/packed", "int8/requantize_native", "int8/dot4_builtin"; specialized ["INPUTS", "UNITS", "FOUR_IMAGES"]);
/// `int8/mean`: shaders/int8/mean.wgsl.
#[rustfmt::skip]
pub static MEAN: Kernel<MeanParams> = crate::kernel!("int8/mean", MeanParams, [R, W], "int8/packed", "int8/requantize");
/// `int8/mean#native`: shaders/int8/mean.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static MEAN_NATIVE: Kernel<MeanParams> = crate::kernel!("int8/mean#native" from "int8/mean", MeanParams, [R, W], "int8/packed", "int8/requantize_native");
/// `int8/add`: shaders/int8/add.wgsl.
#[rustfmt::skip]
pub static ADD: Kernel<AddParams> = crate::kernel!("int8/add", AddParams, [R, R, W], "int8/packed", "int8/requantize");
/// `int8/add#native`: shaders/int8/add.wgsl, compiled with other snippets.
#[rustfmt::skip]
pub static ADD_NATIVE: Kernel<AddParams> = crate::kernel!("int8/add#native" from "int8/add", AddParams, [R, R, W], "int8/packed", "int8/requantize_native");
/// `int8/concat`: shaders/int8/concat.wgsl.
#[rustfmt::skip]
pub static CONCAT: Kernel<ConcatParams> = crate::kernel!("int8/concat", ConcatParams, [R, R, W], "int8/packed");
/// Every kernel of this op, for the registry.
pub static KERNELS: &[&Shader] = &[
    &REQUANTIZE_EACH.shader,
    &REQUANTIZE_EACH_NATIVE.shader,
    &QUANTIZE.shader,
    &CONV2D.shader,
    &CONV2D_DOT4.shader,
    &CONV2D_NATIVE.shader,
    &CONV2D_NATIVE_DOT4.shader,
    &DEPTHWISE.shader,
    &DEPTHWISE_NATIVE.shader,
    &MAX_POOL.shader,
    &AVG_POOL.shader,
    &FULLY_CONNECTED.shader,
    &FULLY_CONNECTED_DOT4.shader,
    &FULLY_CONNECTED_NATIVE.shader,
    &FULLY_CONNECTED_NATIVE_DOT4.shader,
    &MEAN.shader,
    &MEAN_NATIVE.shader,
    &ADD.shader,
    &ADD_NATIVE.shader,
    &CONCAT.shader,
];

/// Twin of the int8 kernels: the int8 crate's own rules.
///
/// The CPU twin: plain loops, written for clarity rather than speed, that the kernels are tested
/// against (`ops::twins` gathers every op's twin).
pub mod twin {
    use qat_int8::quant::multiplier::{multiply_by_quantized_multiplier, QuantizedMultiplier};
    use qat_int8::quant::rounding::round_half_away_f64;

    /// Twin of int8/requantize_each.wgsl: (MBQM with double rounding, FULLY_CONNECTED's
    /// `round_half_away(f64(acc) * m)` saturated to i32) for each value.
    pub fn requantize_each(acc: &[i32], fixed: &[QuantizedMultiplier], double: &[f64]) -> Vec<[i32; 2]> {
        acc.iter()
            .zip(fixed)
            .zip(double)
            .map(|((&a, &q), &m)| [multiply_by_quantized_multiplier(a, q), round_half_away_f64(a as f64 * m) as i32])
            .collect()
    }
}
