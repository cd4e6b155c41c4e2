//! Shared test helpers: one GPU for the whole test binary (skipping GPU tests with a message
//! when no adapter exists, unless QAT_REQUIRE_GPU=1 makes that a failure), MNIST discovery,
//! seeded random data, synthetic trained states, tolerance checks and sealed model files.
#![allow(dead_code)]

pub mod architectures;
pub mod cli;
pub mod interop;
pub mod onnx_graph;

use std::sync::OnceLock;
use wgpu_qat::data::{dataset::Dataset, dataset::Split, mnist, rng::Rng};
use wgpu_qat::gpu::{AdapterChoice, Gpu};
use wgpu_qat::model::spec::ModelSpec;
use wgpu_qat::quantize::export::TrainedState;

pub fn gpu() -> Option<&'static Gpu> {
    static GPU: OnceLock<Option<Gpu>> = OnceLock::new();
    GPU.get_or_init(|| match Gpu::new(&AdapterChoice::default()) {
        Ok(g) => {
            eprintln!("GPU tests run on {}", g.describe());
            Some(g)
        }
        Err(e) => {
            if std::env::var("QAT_REQUIRE_GPU").as_deref() == Ok("1") {
                panic!("QAT_REQUIRE_GPU=1 but no GPU adapter: {e}");
            }
            eprintln!("SKIP: no GPU adapter ({e}); install mesa-vulkan-drivers to run GPU tests");
            None
        }
    })
    .as_ref()
}

/// Full MNIST, loaded once, or None with a message.
pub fn mnist() -> Option<&'static Dataset> {
    static DATA: OnceLock<Option<Dataset>> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = match mnist::locate(None) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("SKIP: MNIST not found ({e}); set QAT_DATA to run the data tests");
                return None;
            }
        };
        Some(mnist::load(&dir).expect("MNIST present but unreadable"))
    })
    .as_ref()
}

pub fn random(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect()
}

/// Asserts |a - b| <= tol * (1 + |b|) elementwise, naming the first failure.
pub fn assert_close(what: &str, a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{what}: element {i}: got {x}, want {y} (tol {tol})");
    }
}

/// Tolerance for a sum of `k` f32 products of O(1) values: ruy-style, scaled by sqrt(k).
pub fn sum_tol(k: usize) -> f32 {
    4.0 * f32::EPSILON * (k as f32).sqrt().max(1.0) * 8.0
}

/// sum_i r_i y_i in f64.
pub fn dot(r: &[f32], y: &[f32]) -> f64 {
    r.iter().zip(y).map(|(a, b)| *a as f64 * *b as f64).sum()
}

/// Checks `grad` against central differences of `loss` at up to 40 coordinates of `x`.
pub fn check_fd(what: &str, x: &[f32], grad: &[f32], eps: f32, tol: f64, loss: impl Fn(&[f32]) -> f64) {
    let mut rng = Rng::new(99);
    let picks: Vec<usize> =
        if x.len() <= 40 { (0..x.len()).collect() } else { (0..40).map(|_| rng.below(x.len())).collect() };
    for i in picks {
        let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
        xp[i] += eps;
        xm[i] -= eps;
        let fd = (loss(&xp) - loss(&xm)) / (2.0 * eps as f64);
        let g = grad[i] as f64;
        assert!((fd - g).abs() <= tol * (1.0 + fd.abs()), "{what}: d/dx[{i}]: kernel {g}, finite difference {fd}");
    }
}

/// Runs one dispatch.
pub fn run(gpu: &Gpu, d: wgpu_qat::gpu::dispatch::Dispatch) {
    gpu.run(&[d]).unwrap();
}

/// Reads `n` f32 values back.
pub fn read(gpu: &Gpu, b: &wgpu::Buffer, n: usize) -> Vec<f32> {
    gpu.read(b, n).unwrap()
}

/// A model file around `payload` with a correct length and CRC-32 (version and flags as given),
/// so a test exercises the reader's validation of the payload rather than its checksum.
pub fn seal_with(payload: &[u8], version: u16, flags: u16) -> Vec<u8> {
    let mut out = qat_int8::format::MAGIC.to_vec();
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// `seal_with` for the current version and no flags.
pub fn seal(payload: &[u8]) -> Vec<u8> {
    seal_with(payload, qat_int8::format::VERSION, 0)
}

/// Random MNIST-shaped samples: `count` images of `pixels` bytes, labels below 10.
pub fn synthetic_split(count: usize, pixels: usize, seed: u64) -> Split {
    let mut rng = Rng::new(seed);
    Split {
        images: (0..count * pixels).map(|_| (rng.next_u64() & 0xff) as u8).collect(),
        labels: (0..count).map(|_| rng.below(10) as u8).collect(),
        count,
    }
}

/// A trained state for `spec` with random weights, batch-norm statistics near their
/// initial values and fixed activation ranges: a stand-in for a trained model.
pub fn synthetic_state(spec: &ModelSpec, seed: u64) -> wgpu_qat::Result<TrainedState> {
    let mut rng = Rng::new(seed);
    let shapes = spec.shapes()?;
    let mut params = Vec::new();
    for node in &spec.nodes {
        let Some(g) = node.layer.kind().weights(spec.tensor_shape(&shapes, node.inputs[0])) else {
            continue;
        };
        let limit = (6.0 / (g.fan_in + g.fan_out) as f32).sqrt();
        let c = g.bn_channels;
        params.push(wgpu_qat::model::params::HostParams {
            weight: (0..g.weight_len).map(|_| rng.uniform(-limit, limit)).collect(),
            bias: (0..g.bias_len).map(|_| rng.uniform(-0.1, 0.1)).collect(),
            bn: (c > 0).then(|| wgpu_qat::model::params::HostBn {
                gamma: (0..c).map(|_| rng.uniform(0.8, 1.2)).collect(),
                beta: (0..c).map(|_| rng.uniform(-0.1, 0.1)).collect(),
                moving_mean: (0..c).map(|_| rng.uniform(-0.2, 0.2)).collect(),
                moving_var: (0..c).map(|_| rng.uniform(0.5, 1.5)).collect(),
            }),
        });
    }
    let place = wgpu_qat::model::placement::placement(spec)?;
    Ok(TrainedState {
        spec: spec.clone(),
        params,
        input_range: [0.0, 1.0],
        output_ranges: place
            .iter()
            .map(|p| matches!(p, wgpu_qat::model::placement::OutputQuant::Own).then_some([-4.0, 6.0]))
            .collect(),
        bits: 8,
        weight_quant: wgpu_qat::train::network::WeightQuant::PerChannel,
        input_norm: qat_int8::model::InputNorm::unit(spec.input[2]),
    })
}

/// A mnist-cnn state with random weights and fixed ranges, seeded.
pub fn cnn_state(seed: u64) -> TrainedState {
    let spec = ModelSpec::mnist_cnn();
    let mut rng = Rng::new(seed);
    let conv = wgpu_qat::model::params::HostParams {
        weight: (0..108).map(|_| rng.uniform(-0.5, 0.5)).collect(),
        bias: (0..12).map(|_| rng.uniform(-0.1, 0.1)).collect(),
        bn: None,
    };
    let dense = wgpu_qat::model::params::HostParams {
        weight: (0..20280).map(|_| rng.uniform(-0.05, 0.05)).collect(),
        bias: (0..10).map(|_| rng.uniform(-0.1, 0.1)).collect(),
        bn: None,
    };
    TrainedState {
        spec,
        params: vec![conv, dense],
        input_range: [0.0, 1.0],
        output_ranges: vec![Some([0.0, 1.7]), None, None, Some([-7.0, 9.0])],
        bits: 8,
        weight_quant: wgpu_qat::train::network::WeightQuant::PerChannel,
        input_norm: qat_int8::model::InputNorm::unit(1),
    }
}

/// An IDX file (unsigned bytes) of `dims` holding `data`.
pub fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(data);
    b
}

/// `bytes` gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}
