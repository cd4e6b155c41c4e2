//! `qat verify`: per test image, the GPU fake-quant forward of a model file against its CPU int8
//! forward: top-1 agreement and logit differences in output LSBs.

use super::data::{check_input, load, DataArgs};
use qat_int8::format;
use std::path::PathBuf;
use wgpu_qat::gpu::Gpu;
use wgpu_qat::quantize::verify::verify_model;
use wgpu_qat::train::trainer::test_split;
use wgpu_qat::{QatError, Result};

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    #[arg(long)]
    model: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    #[arg(long)]
    limit: Option<usize>,
    #[arg(long)]
    json: bool,
}

pub fn run(a: VerifyArgs, open_gpu: &dyn Fn() -> Result<Gpu>) -> Result<()> {
    if a.limit == Some(0) {
        return Err(QatError::Invalid("--limit must be at least 1".into()));
    }
    let model = format::read(&a.model)?;
    let data = load(&a.data, model.input_shape)?;
    check_input(&a.model, model.input_shape, model.classes(), &data)?;
    let test = test_split(&data, a.limit);
    let gpu = &open_gpu()?;
    let r = verify_model(gpu, &model, &test, 500)?;
    if a.json {
        let mut v = serde_json::to_value(&r).map_err(|e| QatError::Invalid(e.to_string()))?;
        v["model"] = a.model.display().to_string().into();
        v["adapter"] = gpu.describe().into();
        super::print_json(&v);
    } else {
        println!("adapter: {}", gpu.describe());
        println!("images: {}", r.images);
        println!("top-1 agreement (GPU fake quant vs CPU int8): {:.4}", r.top1_agreement);
        println!("logit difference: max {} LSB, mean {:.4} LSB", r.max_logit_diff_lsb, r.mean_logit_diff_lsb);
        println!("accuracy: int8 {:.4}, fake quant {:.4}", r.int8_acc, r.fake_quant_acc);
        if let Some(d) = r.gpu_int8_differing_bytes {
            println!("GPU int8 kernels vs CPU int8 interpreter: {d} differing output bytes");
        }
        for v in &r.gpu_int8_variants {
            println!(
                "  {} arithmetic, dot4I8Packed {}: {} differing output bytes",
                v.arithmetic,
                if v.dot4 { "on" } else { "off" },
                v.differing_bytes
            );
        }
    }
    Ok(())
}
