//! Int8 values packed four per u32 word, as every int8 kernel reads and writes them, and the
//! per-channel parameters of the conv kernels in blocks of four channels.

use crate::gpu::dispatch::{Grid, WORKGROUP_SIZE};
use qat_int8::quant::multiplier::QuantizedMultiplier;

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
