//! GPU-free: crafted model files, written byte by byte from docs/FORMAT.md (not by our writer),
//! each with a valid checksum, so that what is tested is the reader's validation: size products
//! that would wrap, tensors and working memory over the limits, huge concatenations, flags and
//! reserved bytes, forged counts, quantization parameters a diverged run leaves. Every one is
//! refused with an error naming the node (where one is at fault) and the cause, and none
//! reaches the interpreter.

mod common;

use qat_int8::format::{from_bytes, from_bytes_with, read, to_bytes, VERSION};
use qat_int8::interpreter::run_image;
use qat_int8::limits::{self, InterpreterLimits};
use qat_int8::quant::multiplier::{quantize_multiplier, QuantizedMultiplier};

/// A payload under construction, field by field as docs/FORMAT.md lays it out.
#[derive(Clone, Default)]
struct Payload(Vec<u8>);

impl Payload {
    fn u8(mut self, v: u8) -> Self {
        self.0.push(v);
        self
    }
    fn u16(mut self, v: u16) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn i32(self, v: i32) -> Self {
        self.u32(v as u32)
    }
    fn f32(self, v: f32) -> Self {
        self.u32(v.to_bits())
    }
    fn bytes(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    /// Rounding rule, reserved bytes, input shape and quantization, node count.
    fn model(input: [u32; 3], nodes: u32) -> Self {
        let mut p = Payload::default()
            .u8(1)
            .bytes(&[0, 0, 0])
            .u32(input[0])
            .u32(input[1])
            .u32(input[2])
            .f32(1.0 / 255.0)
            .i32(-128);
        // The input normalization (version 3): mean 0, std 1 per channel.
        for _ in 0..input[2] {
            p = p.f32(0.0).f32(1.0);
        }
        p.u32(nodes)
    }
    /// A node record's common part.
    fn node(self, tag: u8, b1: u8, b2: u8, inputs: &[u32], name: &str) -> Self {
        let mut p = self.u8(tag).u8(b1).u8(b2).u8(inputs.len() as u8);
        for &t in inputs {
            p = p.u32(t);
        }
        p.u16(name.len() as u16).bytes(name.as_bytes())
    }
    /// Output quantization (scale 0.05, zero point -128) and the clamp of no activation.
    fn output(self) -> Self {
        self.f32(0.05).i32(-128).i32(-128).i32(127)
    }
    /// `n` channels of weight scale 0.01, bias `bias`, and the multiplier LiteRT derives for
    /// input scale 1/255 and output scale 0.05 (the only scales these crafted models use).
    fn per_channel(mut self, n: u32, bias: i32) -> Self {
        let m = conv_multiplier();
        for _ in 0..n {
            self = self.f32(0.01);
        }
        for _ in 0..n {
            self = self.i32(m.multiplier);
        }
        for _ in 0..n {
            self = self.i32(m.shift);
        }
        for _ in 0..n {
            self = self.i32(bias);
        }
        self
    }
    /// CONV_2D on tensor `input`: fields, per-channel block and `weights` bytes of value 1.
    fn conv(self, input: u32, name: &str, [o, kh, kw, c, stride]: [u32; 5], weights: usize) -> Self {
        self.node(1, 0, 0, &[input], name)
            .u32(o)
            .u32(kh)
            .u32(kw)
            .u32(c)
            .u32(stride)
            .output()
            .per_channel(o, 0)
            .bytes(&vec![1; weights])
    }
    /// FULLY_CONNECTED with weight scale 0.01, bias `bias` and `weights` bytes of value 1.
    fn dense(self, input: u32, name: &str, units: u32, inputs: u32, bias: i32, weights: usize) -> Self {
        let mut p = self.node(4, 0, 0, &[input], name).u32(units).u32(inputs).f32(0.01).output();
        for _ in 0..units {
            p = p.i32(bias);
        }
        p.bytes(&vec![1; weights])
    }
    fn flatten(self, input: u32, name: &str) -> Self {
        self.node(3, 0, 0, &[input], name)
    }
    /// Header with the right length and CRC-32 (flags as given).
    fn seal_with_flags(&self, flags: u16) -> Vec<u8> {
        common::seal_with(&self.0, VERSION, flags)
    }
    fn seal(&self) -> Vec<u8> {
        self.seal_with_flags(0)
    }
}

/// QuantizeMultiplier(1/255 * 0.01 / 0.05), as LiteRT computes it from the scales.
fn conv_multiplier() -> QuantizedMultiplier {
    quantize_multiplier((1.0f32 / 255.0) as f64 * 0.01f32 as f64 / 0.05f32 as f64)
}

/// A small valid model: 4x4x1 input, conv 1x1 to 2 channels, flatten, dense 32 -> 3.
fn valid() -> Payload {
    Payload::model([4, 4, 1], 3).conv(0, "conv", [2, 1, 1, 1, 1], 2).flatten(1, "flat").dense(2, "logits", 3, 32, 0, 96)
}

/// The reader refuses `bytes`, and its message has every one of `needles`.
fn refused(bytes: &[u8], needles: &[&str]) -> String {
    let e = from_bytes(bytes).expect_err("a crafted model was accepted");
    for n in needles {
        assert!(e.contains(n), "error lacks {n:?}: {e}");
    }
    e
}

#[test]
fn the_crafted_baseline_is_valid_and_runs() {
    let bytes = valid().seal();
    let model = from_bytes(&bytes).unwrap();
    // Our writer gives the very bytes this independent builder made.
    assert_eq!(to_bytes(&model).unwrap(), bytes);
    assert_eq!(run_image(&model, &[7; 16]).unwrap().len(), 3);
    // An image of another size is an error, not a panic.
    assert!(run_image(&model, &[7; 15]).unwrap_err().to_string().contains("16 input values"));
}

#[test]
fn size_products_that_would_wrap_in_32_bits_are_refused() {
    // The 8 KB file of the report: a 65536 x 65536 x 1 kernel, whose tap count wrapped to 0.
    let wrap = Payload::model([28, 28, 1], 3)
        .conv(0, "conv", [1, 65536, 65536, 1, 1], 0)
        .flatten(1, "flat")
        .dense(2, "logits", 1, 784, 0, 784);
    refused(&wrap.seal(), &["node 0", "\"conv\"", "kernel height = 65536", "1..=64"]);
    // A fully connected layer whose units x inputs is 2^32: the weights it announces are not there.
    let fc = Payload::model([1, 1, 65536], 1).dense(0, "logits", 65536, 65536, 0, 16);
    refused(&fc.seal(), &["node 0", "\"logits\"", "truncated", "weights"]);
    // A reshape of a tensor of 2^32 elements (65536 x 65536 x 1 input).
    let reshape = Payload::model([65536, 65536, 1], 2).flatten(0, "flat").dense(1, "logits", 1, 1, 0, 1);
    refused(&reshape.seal(), &["input shape [65536, 65536, 1]", "elements"]);
    // CONCATENATION of channel counts that add up past 2^32 in u32 (64 x 65536 x ...).
    let mut cat = Payload::model([1, 1, 65536], 3).node(9, 0, 0, &[0; 64], "cat");
    cat = cat.flatten(1, "flat").dense(2, "logits", 1, 65536, 0, 65536);
    refused(&cat.seal(), &["node 0", "\"cat\"", "output channels", "65536"]);
}

#[test]
fn tensors_and_work_over_the_limits_are_refused_before_anything_runs() {
    // The 9 KB file that asked for a 13 GB intermediate: a "same" conv with 65536 filters on
    // a 224x224 input (each weight is there; the output tensor is not allowed).
    let big = Payload::model([224, 224, 1], 3)
        .conv(0, "wide", [65536, 1, 1, 1, 1], 65536)
        .flatten(1, "flat")
        .dense(2, "logits", 1, 1, 0, 1);
    refused(&big.seal(), &["node 0", "\"wide\"", "elements"]);
    // Many tensors each under the per-tensor limit, together over a peak-memory limit.
    let bytes = valid().seal();
    let tight = InterpreterLimits { peak_bytes: 40, ..InterpreterLimits::default() };
    let e = from_bytes_with(&bytes, &tight).unwrap_err();
    assert!(e.contains("bytes of tensors alive at once") && e.contains("QAT_MAX_MODEL_MB"), "{e}");
    let little = InterpreterLimits { work_floor: 10, work_per_parameter_byte: 0, ..InterpreterLimits::default() };
    let e = from_bytes_with(&bytes, &little).unwrap_err();
    assert!(e.contains("work units") && e.contains("QAT_MAX_MODEL_WORK"), "{e}");
    // The default limits: 128 MiB of live tensors at most, 2^29 + 256 per parameter byte.
    let d = InterpreterLimits::default();
    assert_eq!((d.peak_bytes, d.work_floor, d.work_per_parameter_byte), (128 << 20, 1 << 29, 256));
}

#[test]
fn huge_concatenations_and_bad_input_references_are_refused() {
    let mut p = Payload::model([1, 1, 2], 3).node(9, 0, 0, &[0; 65], "cat65");
    p = p.flatten(1, "flat").dense(2, "logits", 1, 130, 0, 130);
    refused(&p.seal(), &["node 0", "\"cat65\"", "65"]);
    let forward = Payload::model([4, 4, 1], 3)
        .conv(3, "conv", [2, 1, 1, 1, 1], 2)
        .flatten(1, "flat")
        .dense(2, "logits", 3, 32, 0, 96);
    refused(&forward.seal(), &["node 0", "tensor 3"]);
}

#[test]
fn flags_reserved_bytes_and_unused_fields_must_be_zero() {
    refused(&valid().seal_with_flags(1), &["flags", "0x0001"]);
    let mut p = valid();
    p.0[2] = 7;
    refused(&p.seal(), &["reserved"]);
    // A max pool with an activation byte set.
    let pool = Payload::model([4, 4, 1], 3)
        .node(2, 0, 1, &[0], "pool")
        .u32(2)
        .u32(2)
        .flatten(1, "flat")
        .dense(2, "logits", 1, 4, 0, 4);
    refused(&pool.seal(), &["node 0", "\"pool\"", "activation byte"]);
    let mut pad = valid();
    pad.0[37] = 3; // conv's padding byte
    refused(&pad.seal(), &["node 0", "padding 3"]);
}

#[test]
fn forged_counts_with_valid_checksums_are_refused() {
    // More nodes announced than the limit, or than the file holds.
    let mut p = valid();
    p.0[32..36].copy_from_slice(&5000u32.to_le_bytes());
    refused(&p.seal(), &["node count 5000", "4096"]);
    p.0[32..36].copy_from_slice(&4u32.to_le_bytes());
    refused(&p.seal(), &["node 3", "truncated"]);
    // Fewer nodes than are there: bytes left over.
    p.0[32..36].copy_from_slice(&2u32.to_le_bytes());
    refused(&p.seal(), &["unexpected bytes"]);
    // A conv whose declared input channels differ from its input.
    let c = Payload::model([4, 4, 1], 3)
        .conv(0, "conv", [2, 1, 1, 3, 1], 6)
        .flatten(1, "flat")
        .dense(2, "logits", 3, 32, 0, 96);
    refused(&c.seal(), &["node 0", "\"conv\"", "3 input channels"]);
    // The file length in the header is a lie (checksum of what is there is right).
    let mut bytes = valid().seal();
    bytes[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    refused(&bytes, &["payload bytes"]);
}

#[test]
fn names_must_be_short_utf8() {
    let long = "n".repeat(limits::MAX_NAME_BYTES + 1);
    let p = Payload::model([4, 4, 1], 3)
        .conv(0, &long, [2, 1, 1, 1, 1], 2)
        .flatten(1, "flat")
        .dense(2, "logits", 3, 32, 0, 96);
    refused(&p.seal(), &["node 0", "name", "257"]);
    let mut bad = valid();
    let at = bad.0.iter().position(|&b| b == b'c').unwrap();
    bad.0[at] = 0xC3; // a lone UTF-8 lead byte
    refused(&bad.seal(), &["node 0", "not UTF-8"]);
}

#[test]
fn quantization_that_a_diverged_run_leaves_is_refused() {
    // A shift of 35: out of [-31, 30].
    let mut p = valid();
    let conv_shift = 36 + 10 + 4 + 20 + 16 + 8 + 8; // first conv's first shift
    assert_eq!(&p.0[conv_shift..conv_shift + 4], &conv_multiplier().shift.to_le_bytes());
    p.0[conv_shift..conv_shift + 4].copy_from_slice(&35i32.to_le_bytes());
    refused(&p.seal(), &["node 0", "\"conv\"", "shift 35"]);
    // A normalized multiplier that is not the one the scales give: LiteRT would compute other
    // bytes from the same file.
    let mut other = valid();
    other.0[conv_shift..conv_shift + 4].copy_from_slice(&(conv_multiplier().shift + 1).to_le_bytes());
    refused(&other.seal(), &["node 0", "is not the one its scales give"]);
    // A bias that could overflow the accumulator.
    let b = Payload::model([4, 4, 1], 3).conv(0, "conv", [2, 1, 1, 1, 1], 2).flatten(1, "flat").dense(
        2,
        "logits",
        3,
        32,
        i32::MAX - 10,
        96,
    );
    refused(&b.seal(), &["node 2", "\"logits\"", "accumulator"]);
    // An infinite output scale.
    let mut inf = valid();
    inf.0[36 + 10 + 4 + 20..36 + 10 + 4 + 24].copy_from_slice(&f32::INFINITY.to_le_bytes());
    refused(&inf.seal(), &["node 0", "scale inf"]);
    // A clamp that is not what the activation gives.
    let mut clamp = valid();
    clamp.0[36 + 10 + 4 + 28..36 + 10 + 4 + 32].copy_from_slice(&(-100i32).to_le_bytes());
    refused(&clamp.seal(), &["node 0", "clamp [-100, 127]"]);
    // An input normalization with a zero standard deviation.
    let mut norm = valid();
    norm.0[28..32].copy_from_slice(&0.0f32.to_le_bytes());
    refused(&norm.seal(), &["input channel 0", "positive std"]);
    // A weight of -128.
    let mut w = valid();
    let last = w.0.len() - 1;
    w.0[last] = 0x80;
    refused(&w.seal(), &["node 2", "-128"]);
}

#[test]
fn a_file_is_read_only_as_far_as_its_header_allows() {
    let dir = std::env::temp_dir().join(format!("qat-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A header announcing 1 GiB: refused from the 16 header bytes.
    let mut bytes = valid().seal();
    bytes[8..12].copy_from_slice(&(1u32 << 30).to_le_bytes());
    let path = dir.join("huge.qat");
    std::fs::write(&path, &bytes).unwrap();
    let e = read(&path).unwrap_err().to_string();
    assert!(e.contains("huge.qat") && e.contains("more than the 268435456 bytes"), "{e}");
    // /dev/zero has no end: a device is never opened.
    let e = read(std::path::Path::new("/dev/zero")).unwrap_err().to_string();
    assert!(e.contains("/dev/zero") && e.contains("a device, not a regular file"), "{e}");
    // A file longer than its header says.
    let mut long = valid().seal();
    long.extend_from_slice(&[0; 100]);
    std::fs::write(&path, &long).unwrap();
    let e = read(&path).unwrap_err().to_string();
    assert!(e.contains("truncated or padded"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
