//! GPU-free mutation test of the model reader: valid files of the three built-in models are
//! damaged in many seeded ways (bit flips, interesting u32 values, truncation, insertion and
//! deletion), their length and CRC-32 recomputed so the structure is what gets tested, and read.
//! Every mutant must be refused with a message, or accepted and then run by the interpreter and
//! written back to the very same bytes, without a panic. One test in its own binary, so the
//! process's peak memory is this test's.

mod common;

use common::seal;
use common::{synthetic_split, synthetic_state};
use qat_int8::format::{from_bytes, to_bytes, HEADER_LEN};
use qat_int8::interpreter::run_image;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};
use wgpu_qat::data::rng::Rng;
use wgpu_qat::model::spec::ModelSpec;
use wgpu_qat::quantize::quantize;

/// Mutants per CI run (the acceptance asks for at least 20,000).
const MUTANTS: usize = 24_000;

/// Values that hit limits, signs and wraps when they land on a u32 field.
const INTERESTING: [u32; 14] =
    [0, 1, 2, 3, 64, 65, 255, 0xffff, 0x1_0000, 0x1_0001, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff];

fn mutate(payload: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut p = payload.to_vec();
    // Most of a file is weights; aim three mutants in four at the structure before them.
    let structure = p.len().min(600);
    let at = |rng: &mut Rng, len: usize| {
        if rng.below(4) < 3 {
            rng.below(structure.min(len).max(1))
        } else {
            rng.below(len.max(1))
        }
    };
    for _ in 0..1 + rng.below(3) {
        match rng.below(6) {
            0 | 1 => {
                let i = at(rng, p.len());
                if let Some(b) = p.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
            2 => {
                let i = at(rng, p.len()) & !3;
                let v = INTERESTING[rng.below(INTERESTING.len())];
                if i + 4 <= p.len() {
                    p[i..i + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
            3 => {
                let i = at(rng, p.len());
                p.truncate(i);
            }
            4 => {
                let i = at(rng, p.len()).min(p.len());
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.below(256) as u8).collect();
                p.splice(i..i, bytes);
            }
            _ => {
                let i = at(rng, p.len());
                let end = (i + 1 + rng.below(8)).min(p.len());
                if i < end {
                    p.drain(i..end);
                }
            }
        }
    }
    p
}

/// Peak resident memory of this process in KiB (Linux), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn mutated_model_files_never_panic_and_stay_bounded() {
    let bases: Vec<Vec<u8>> = ["mnist-cnn", "mnist-dwbn", "mnist-resnet"]
        .iter()
        .map(|name| {
            let spec = ModelSpec::builtin(name).unwrap();
            to_bytes(&quantize(&synthetic_state(&spec, 7).unwrap()).unwrap()).unwrap()
        })
        .collect();
    let image = synthetic_split(1, 784, 3).images;
    let mut rng = Rng::new(2026);
    let (mut accepted, mut refused, mut panics) = (0usize, 0usize, Vec::new());
    let mut slowest = (Duration::ZERO, String::new());
    for i in 0..MUTANTS {
        let base = &bases[i % bases.len()];
        let bytes = seal(&mutate(&base[HEADER_LEN..], &mut rng));
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| match from_bytes(&bytes) {
            Ok(model) => {
                // An image of the size the (possibly mutated) model takes.
                let pixels: usize = model.input_shape.iter().map(|&d| d as usize).product();
                let image: Vec<u8> = image.iter().copied().cycle().take(pixels).collect();
                let logits = run_image(&model, &image).unwrap();
                assert_eq!(
                    logits.len() as u32,
                    model.nodes.last().map_or(0, |n| match &n.op {
                        qat_int8::ops::QLayer::FullyConnected(fc) => fc.units,
                        _ => 0,
                    })
                );
                // The writer accepts what the reader accepts, and writes the same bytes.
                assert_eq!(to_bytes(&model).unwrap(), bytes, "mutant {i}: the writer disagrees with the reader");
                Ok(())
            }
            Err(e) => {
                assert!(!e.trim().is_empty(), "mutant {i}: empty error message");
                Err(e)
            }
        }));
        let took = start.elapsed();
        if took > slowest.0 {
            slowest = (took, format!("mutant {i}"));
        }
        match outcome {
            Ok(Ok(())) => accepted += 1,
            Ok(Err(_)) => refused += 1,
            Err(p) => panics.push((
                i,
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default(),
            )),
        }
    }
    let peak = peak_rss_kib();
    eprintln!(
        "{MUTANTS} mutants: {accepted} accepted and run, {refused} refused, {} panics; slowest {:?} ({}); peak memory {:?} KiB",
        panics.len(),
        slowest.0,
        slowest.1,
        peak
    );
    assert!(panics.is_empty(), "{} mutants panicked, first: {:?}", panics.len(), &panics[..panics.len().min(5)]);
    assert_eq!(accepted + refused, MUTANTS);
    // Both outcomes occur, so the mutants probe both sides of the validation.
    assert!(accepted > 100 && refused > MUTANTS / 2, "accepted {accepted}, refused {refused}");
    if let Some(kib) = peak {
        assert!(kib < 256 * 1024, "peak memory {kib} KiB is over 256 MiB");
    }
}
