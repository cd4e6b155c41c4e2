//! The work budget against the clock: for every op kind, the crafted models of
//! `qat_int8::worst_case`, which spend the whole default budget of a file on that op, each timed
//! on one image, once with the floor alone and once with 1 MB of dense weights raising the
//! budget. Prints, per model, its file size, its work units, the budget its parameters allow,
//! the seconds per image and the nanoseconds per work unit (the cost model in `qat_int8::work`
//! counts from above while this stays below 1). docs/FORMAT.md ("Work budget") quotes a run.
//!
//! `cargo run --release -p qat-int8 --example op_costs`

use qat_int8::limits::InterpreterLimits;
use qat_int8::worst_case::{cases, most_nodes, with_nodes};
use std::time::Instant;

fn main() {
    let limits = InterpreterLimits::default();
    println!("| model (nodes) | file bytes | work units | budget | s per image | ns per unit |");
    println!("|---|---|---|---|---|---|");
    for extra in [0u32, 1 << 20] {
        for (name, input, op, reads) in &cases() {
            let n = most_nodes(*input, op, reads, extra, &limits);
            let model = with_nodes(*input, op, reads, n, extra);
            let Ok(f) = qat_int8::validate::validate(&model, &limits) else {
                println!("| {name}: no node fits the budget | | | | | |");
                continue;
            };
            let bytes = qat_int8::format::to_bytes(&model).map_or(0, |b| b.len());
            let pixels = vec![77u8; input.iter().map(|&d| d as usize).product()];
            let t = Instant::now();
            let reps = 2;
            for _ in 0..reps {
                let _ = std::hint::black_box(qat_int8::interpreter::run_image(&model, &pixels));
            }
            let secs = t.elapsed().as_secs_f64() / reps as f64;
            println!(
                "| {name}{} ({} nodes) | {bytes} | {} | {} | {secs:.3} | {:.3} |",
                if extra > 0 { ", 1 MB of dense weights" } else { "" },
                model.nodes.len(),
                f.usage.cost.work,
                limits.work(f.usage.cost.parameter_bytes),
                secs * 1e9 / f.usage.cost.work as f64
            );
        }
    }
}
