//! Pipeline cache: one compute pipeline per registered shader, created on first use (under an
//! error scope, so a shader the driver rejects becomes an error naming the shader).

use crate::gpu::{shaders, Gpu};
use crate::{QatError, Result};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
/// One compute pipeline per shader name, created on first use.
pub struct PipelineCache {
    pipelines: Mutex<HashMap<&'static str, wgpu::ComputePipeline>>,
}

impl PipelineCache {
    /// The pipeline of shader `name`, created (under an error scope) the first time.
    pub fn get(&self, gpu: &Gpu, name: &'static str) -> Result<wgpu::ComputePipeline> {
        let mut map =
            self.pipelines.lock().map_err(|_| QatError::gpu("creating a pipeline", "pipeline cache poisoned"))?;
        if let Some(p) = map.get(name) {
            return Ok(p.clone());
        }
        let source = shaders::source(name)
            .ok_or_else(|| QatError::Shader { name: name.into(), detail: "not in the shader registry".into() })?;
        let pipeline = gpu.scoped(&format!("creating the pipeline for shader {name:?}"), || {
            let module = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(name),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
            Ok(gpu.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(name),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            }))
        })?;
        map.insert(name, pipeline.clone());
        Ok(pipeline)
    }
}
