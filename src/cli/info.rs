//! `qat info`: the adapter, its backend and features, and the limits we rely on.

use wgpu_qat::gpu::{required_limits, Gpu};
use wgpu_qat::Result;

pub fn run(gpu: &Gpu) -> Result<()> {
    let i = &gpu.info;
    println!("adapter:  {}", i.name);
    println!("backend:  {:?}", i.backend);
    println!("type:     {:?}", i.device_type);
    println!("driver:   {} {}", i.driver, i.driver_info);
    println!("features: {:?}", gpu.adapter_features);
    let need = required_limits();
    println!("limits (what we use / what we require):");
    let rows = [
        (
            "max_storage_buffer_binding_size",
            gpu.limits.max_storage_buffer_binding_size,
            need.max_storage_buffer_binding_size,
        ),
        ("max_buffer_size", gpu.limits.max_buffer_size, need.max_buffer_size),
        (
            "max_storage_buffers_per_shader_stage",
            gpu.limits.max_storage_buffers_per_shader_stage as u64,
            need.max_storage_buffers_per_shader_stage as u64,
        ),
        (
            "max_compute_workgroups_per_dimension",
            gpu.limits.max_compute_workgroups_per_dimension as u64,
            need.max_compute_workgroups_per_dimension as u64,
        ),
        (
            "max_compute_invocations_per_workgroup",
            gpu.limits.max_compute_invocations_per_workgroup as u64,
            need.max_compute_invocations_per_workgroup as u64,
        ),
        (
            "max_compute_workgroup_storage_size",
            gpu.limits.max_compute_workgroup_storage_size as u64,
            need.max_compute_workgroup_storage_size as u64,
        ),
    ];
    for (name, have, want) in rows {
        println!("  {name:<40} {have:>12} / {want}");
    }
    Ok(())
}
