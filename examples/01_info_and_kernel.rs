//! Opens the default adapter, prints it, and runs one conv2d forward on the GPU next to its CPU
//! twin. `cargo run --release --example 01_info_and_kernel`

use qat_int8::shape::Padding;
use wgpu_qat::data::rng::Rng;
use wgpu_qat::gpu::{AdapterChoice, Gpu};
use wgpu_qat::ops::conv2d::twin::conv2d_forward;
use wgpu_qat::ops::conv2d::Conv2dParams;

fn main() -> wgpu_qat::Result<()> {
    let gpu = Gpu::new(&AdapterChoice::default())?;
    println!("adapter: {}", gpu.describe());
    let p = Conv2dParams::new(4, [28, 28, 1], 12, [3, 3], 1, Padding::Valid)?;
    let mut rng = Rng::new(1);
    let x: Vec<f32> = (0..p.input_len()).map(|_| rng.next_f32()).collect();
    let w: Vec<f32> = (0..p.weight_len()).map(|_| rng.uniform(-0.5, 0.5)).collect();
    let b = vec![0.1f32; 12];
    let y = gpu.storage("y", p.output_len());
    gpu.run(&p.forward(&gpu, &gpu.upload("x", &x), &gpu.upload("w", &w), &gpu.upload("b", &b), &y, None)?)?;
    let got: Vec<f32> = gpu.read(&y, p.output_len())?;
    let want = conv2d_forward(&p, &x, &w, &b);
    let max_err = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    println!("conv2d forward {}x{}x{} -> {}x{}x{}: max |GPU - CPU| = {max_err:e}", p.h, p.w, p.c, p.oh, p.ow, p.o);
    Ok(())
}
