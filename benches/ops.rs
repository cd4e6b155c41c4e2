//! Per-op benchmarks (divan): each GPU kernel of the mnist-cnn step at batch 128, the matmul
//! ceiling, the CPU int8 interpreter, and a batch of the built-ins' GPU int8 kernels. GPU timings include one submit + wait per sample, so
//! they are meaningful relative to each other on one adapter. For a quick pass:
//! `cargo bench --bench ops -- --sample-count 2`.

use qat_int8::quant::fake_quant::Grid;
use qat_int8::shape::Padding;
use std::sync::OnceLock;
use wgpu_qat::data::rng::Rng;
use wgpu_qat::gpu::{dispatch::Dispatch, AdapterChoice, Gpu};
use wgpu_qat::ops::conv2d::Conv2dParams;
use wgpu_qat::ops::dense::DenseShape;
use wgpu_qat::ops::fake_quant::FakeQuantParams;
use wgpu_qat::ops::matmul::MatmulParams;
use wgpu_qat::ops::max_pool::MaxPoolParams;

fn main() {
    divan::main();
}

fn gpu() -> Option<&'static Gpu> {
    static GPU: OnceLock<Option<Gpu>> = OnceLock::new();
    GPU.get_or_init(|| Gpu::new(&AdapterChoice::default()).map_err(|e| eprintln!("no GPU: {e}")).ok()).as_ref()
}

fn random_buffer(gpu: &Gpu, n: usize) -> wgpu::Buffer {
    let mut rng = Rng::new(n as u64);
    let v: Vec<f32> = (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect();
    gpu.upload("bench", &v)
}

/// Times one dispatch: submit and wait per iteration.
fn bench_dispatch(b: divan::Bencher, make: impl FnOnce(&Gpu) -> Dispatch) {
    bench_dispatches(b, |g| vec![make(g)]);
}

/// Times a sequence of dispatches (one op's kernels): one submit and wait per iteration.
fn bench_dispatches(b: divan::Bencher, make: impl FnOnce(&Gpu) -> Vec<Dispatch>) {
    let Some(gpu) = gpu() else { return };
    let d = make(gpu);
    b.bench(|| {
        gpu.run(&d).unwrap();
        gpu.wait().unwrap();
    });
}

const N: u32 = 128;

fn conv() -> Conv2dParams {
    Conv2dParams::new(N, [28, 28, 1], 12, [3, 3], 1, Padding::Valid).unwrap()
}

#[divan::bench(sample_count = 10)]
fn conv2d_forward(b: divan::Bencher) {
    bench_dispatches(b, |g| {
        let p = conv();
        p.forward(
            g,
            &random_buffer(g, p.input_len()),
            &random_buffer(g, p.weight_len()),
            &random_buffer(g, 12),
            &g.storage("y", p.output_len()),
            Some(f32::MAX),
        )
        .unwrap()
    });
}

#[divan::bench(sample_count = 10)]
fn conv2d_backward_weight(b: divan::Bencher) {
    bench_dispatches(b, |g| {
        let p = conv();
        p.backward_weight(
            g,
            &random_buffer(g, p.input_len()),
            &random_buffer(g, p.output_len()),
            &g.storage("dw", p.weight_len()),
            Some(&g.storage("db", p.o as usize)),
        )
        .unwrap()
    });
}

#[divan::bench(sample_count = 10)]
fn conv2d_backward_input(b: divan::Bencher) {
    bench_dispatch(b, |g| {
        let p = conv();
        p.backward_input(
            g,
            &random_buffer(g, p.output_len()),
            &random_buffer(g, p.weight_len()),
            &g.storage("dx", p.input_len()),
        )
        .unwrap()
    });
}

#[divan::bench(sample_count = 10)]
fn dense_forward(b: divan::Bencher) {
    bench_dispatch(b, |g| {
        let s = DenseShape { n: N, inputs: 2028, outputs: 10 };
        s.forward(
            g,
            &random_buffer(g, (N * 2028) as usize),
            &random_buffer(g, 20280),
            &random_buffer(g, 10),
            &g.storage("y", (N * 10) as usize),
        )
        .unwrap()
    });
}

#[divan::bench(sample_count = 10)]
fn max_pool_forward(b: divan::Bencher) {
    bench_dispatch(b, |g| {
        let p = MaxPoolParams::new(N, [26, 26, 12], 2, 2, qat_int8::shape::Padding::Valid).unwrap();
        p.forward(g, &random_buffer(g, p.input_len()), &g.storage("y", p.output_len()), &g.storage("a", p.output_len()))
            .unwrap()
    });
}

#[divan::bench(sample_count = 10)]
fn fake_quant_activation(b: divan::Bencher) {
    bench_dispatch(b, |g| {
        let n = (N * 26 * 26 * 12) as usize;
        let p = FakeQuantParams::new(n, 1, n, Grid::activation(8));
        p.forward(g, &random_buffer(g, n), &g.upload("r", &[-1.0f32, 1.0]), &g.storage("y", n)).unwrap()
    });
}

#[divan::bench(sample_count = 10, args = [false, true])]
fn fake_quant_activation_backward(b: divan::Bencher, after_relu: bool) {
    bench_dispatch(b, |g| {
        let n = (N * 26 * 26 * 12) as usize;
        let mut p = FakeQuantParams::new(n, 1, n, Grid::activation(8));
        if after_relu {
            p = p.after_relu(f32::MAX);
        }
        let r = g.upload("r", &[-1.0f32, 1.0]);
        p.backward(g, &random_buffer(g, n), &r, &random_buffer(g, n), &g.storage("dx", n)).unwrap()
    });
}

#[divan::bench(sample_count = 5)]
fn matmul_256(b: divan::Bencher) {
    bench_dispatch(b, |g| {
        let p = MatmulParams::row_major(256, 256, 256);
        p.dispatch_strided(
            g,
            &random_buffer(g, 65536),
            &random_buffer(g, 65536),
            &g.storage("bias", 256),
            &g.storage("c", 65536),
        )
        .unwrap()
    });
}

#[divan::bench(sample_count = 5)]
fn matmul_256_blocked_vec4(b: divan::Bencher) {
    bench_dispatch(b, |g| {
        let p = MatmulParams::row_major(256, 256, 256);
        p.dispatch(
            g,
            &random_buffer(g, 65536),
            &random_buffer(g, 65536),
            &g.storage("bias", 256),
            &g.storage("c", 65536),
        )
        .unwrap()
    });
}

#[divan::bench(sample_count = 5)]
fn cpu_int8_inference_100_images() -> usize {
    let spec = wgpu_qat::model::spec::ModelSpec::mnist_cnn();
    (wgpu_qat::train::bench::int8_images_per_sec(&spec, 100).unwrap() > 0.0) as usize
}

#[divan::bench(sample_count = 10)]
fn depthwise_forward(b: divan::Bencher) {
    bench_dispatch(b, |g| {
        let d = wgpu_qat::ops::depthwise::Depthwise::new(N, [14, 14, 32], [3, 3], 1, Padding::Same).unwrap();
        let p = *d.params();
        d.forward(
            g,
            &random_buffer(g, p.input_len()),
            &random_buffer(g, d.weight_len()),
            &random_buffer(g, 32),
            &g.storage("y", p.output_len()),
        )
        .unwrap()
    });
}

#[divan::bench(sample_count = 10)]
fn depthwise_backward_input(b: divan::Bencher) {
    bench_dispatch(b, |g| {
        let d = wgpu_qat::ops::depthwise::Depthwise::new(N, [14, 14, 32], [3, 3], 1, Padding::Same).unwrap();
        let p = *d.params();
        d.backward_input(
            g,
            &random_buffer(g, p.output_len()),
            &random_buffer(g, d.weight_len()),
            &g.storage("dx", p.input_len()),
        )
        .unwrap()
    });
}

#[divan::bench(sample_count = 10)]
fn depthwise_backward_weight(b: divan::Bencher) {
    bench_dispatches(b, |g| {
        let d = wgpu_qat::ops::depthwise::Depthwise::new(N, [14, 14, 32], [3, 3], 1, Padding::Same).unwrap();
        let p = *d.params();
        d.backward_weight(
            g,
            &random_buffer(g, p.input_len()),
            &random_buffer(g, p.output_len()),
            &g.storage("dw", d.weight_len()),
        )
        .unwrap()
    });
}

#[divan::bench(sample_count = 10)]
fn batch_norm_forward(b: divan::Bencher) {
    bench_dispatch(b, |g| {
        let bn = wgpu_qat::ops::batch_norm::BatchNorm::new(N * 14 * 14, 64);
        let stats = g.upload("stats", &[0.0f32, 1.0].repeat(64));
        bn.forward(
            g,
            &random_buffer(g, bn.len()),
            &stats,
            &g.upload("affine", &[1.0f32; 128]),
            &g.storage("y", bn.len()),
        )
        .unwrap()
    });
}

#[divan::bench(sample_count = 10)]
fn pointwise_conv_backward_weight_gemm(b: divan::Bencher) {
    bench_dispatches(b, |g| {
        let p = Conv2dParams::new(N, [14, 14, 32], 64, [1, 1], 1, Padding::Same).unwrap();
        p.backward_weight(
            g,
            &random_buffer(g, p.input_len()),
            &random_buffer(g, p.output_len()),
            &g.storage("dw", p.weight_len()),
            Some(&g.storage("db", p.o as usize)),
        )
        .unwrap()
    });
}

/// One recorded batch of 64 images through a built-in's GPU int8 kernels (every node, the
/// device's best variant), the weights those of `qat bench`'s inference figures.
#[divan::bench(sample_count = 10, args = ["mnist-cnn", "mnist-dwbn", "mnist-resnet"])]
fn int8_gpu_batch_64(b: divan::Bencher, model: &str) {
    bench_dispatches(b, |g| {
        let spec = wgpu_qat::model::spec::ModelSpec::builtin(model).unwrap();
        let m = wgpu_qat::train::bench::bench_model(&spec).unwrap();
        let int8 = wgpu_qat::int8_gpu::model::GpuInt8Model::upload(g, &m).unwrap();
        int8.record(g, 64).unwrap().dispatches
    });
}
