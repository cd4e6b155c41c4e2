//! `qat inspect`: the nodes of a model file with their inputs, output quantization and
//! weight scales, so what the int8 model holds can be read without running it.

use qat_int8::format;
use std::path::PathBuf;
use wgpu_qat::Result;

#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    #[arg(long)]
    model: PathBuf,
    #[arg(long)]
    json: bool,
}

pub fn run(a: InspectArgs) -> Result<()> {
    let model = format::read(&a.model)?;
    let quants = model.tensor_quants();
    let rows: Vec<serde_json::Value> = model
        .nodes
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let scales = n.op.weight_scales();
            serde_json::json!({
                "tensor": k + 1,
                "name": n.name,
                "op": n.op.op_name(),
                "inputs": n.inputs,
                "scale": quants[k + 1].scale,
                "zero_point": quants[k + 1].zero_point,
                "weight_scales": scales.len(),
                "weight_scale_min": scales.iter().copied().fold(f32::INFINITY, f32::min),
                "weight_scale_max": scales.iter().copied().fold(0.0f32, f32::max),
            })
        })
        .collect();
    if a.json {
        super::print_json(&serde_json::json!({
            "model": a.model.display().to_string(),
            "input_scale": model.input_quant.scale,
            "input_zero_point": model.input_quant.zero_point,
            "input_mean": model.input_norm.mean,
            "input_std": model.input_norm.std,
            "nodes": rows,
        }));
        return Ok(());
    }
    println!(
        "{}: input {:?}, scale {:e}, zero point {}",
        a.model.display(),
        model.input_shape,
        model.input_quant.scale,
        model.input_quant.zero_point
    );
    let norm = &model.input_norm;
    if norm.is_unit() {
        println!("float input: pixel / 255");
    } else {
        println!("float input: (pixel / 255 - mean) / std, mean {:?}, std {:?}", norm.mean, norm.std);
    }
    println!("{:>3}  {:<14} {:<18} {:<10} {:>12} {:>5}  weights", "t", "name", "op", "inputs", "scale", "zp");
    for r in &rows {
        let w = if r["weight_scales"] == 0 {
            String::new()
        } else {
            format!(
                "{} scale(s) {:.3e}..{:.3e}",
                r["weight_scales"],
                r["weight_scale_min"].as_f64().unwrap_or(0.0),
                r["weight_scale_max"].as_f64().unwrap_or(0.0)
            )
        };
        println!(
            "{:>3}  {:<14} {:<18} {:<10} {:>12.6e} {:>5}  {w}",
            r["tensor"].as_u64().unwrap_or(0),
            r["name"].as_str().unwrap_or(""),
            r["op"].as_str().unwrap_or(""),
            r["inputs"].to_string(),
            r["scale"].as_f64().unwrap_or(0.0),
            r["zero_point"].as_i64().unwrap_or(0)
        );
    }
    Ok(())
}
