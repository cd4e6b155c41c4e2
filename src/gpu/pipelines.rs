//! Pipeline cache: one compute pipeline per registered shader and specialization, created on
//! first use (under an error scope, so a shader the driver rejects becomes an error naming the
//! shader).

use crate::gpu::{shaders, Gpu};
use crate::{QatError, Result};
use std::collections::HashMap;
use std::sync::Mutex;

/// Values of a kernel's override constants (WGSL `override`), fixed when its pipeline is
/// created: the shape constants a kernel is specialized on per layer, so the compiler unrolls
/// its loops and folds its index arithmetic. The registry (`shader!(...; specialized [...])`)
/// names the constants each kernel needs; a launch must set exactly those. Values are f64, as
/// WebGPU passes them (exact for every u32, f32 and bool).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Specialization(pub Vec<(&'static str, f64)>);

impl Specialization {
    /// Checks the constants against the ones `shader` declares.
    fn check(&self, shader: &shaders::Shader) -> Result<()> {
        let given: Vec<&str> = self.0.iter().map(|(n, _)| *n).collect();
        if given != shader.overrides {
            return Err(QatError::Shader {
                name: shader.name.into(),
                detail: format!("specialized on {given:?}, the kernel declares {:?}", shader.overrides),
            });
        }
        Ok(())
    }
    /// Appends `name = value`.
    pub fn with(mut self, name: &'static str, value: impl Into<f64>) -> Self {
        self.0.push((name, value.into()));
        self
    }
    /// The cache key: names and value bits.
    fn key(&self) -> Vec<(&'static str, u64)> {
        self.0.iter().map(|&(n, v)| (n, v.to_bits())).collect()
    }
}

type Key = (&'static str, Vec<(&'static str, u64)>);

#[derive(Default)]
/// One compute pipeline per shader name and specialization, created on first use.
pub struct PipelineCache {
    pipelines: Mutex<HashMap<Key, wgpu::ComputePipeline>>,
}

impl PipelineCache {
    /// The pipeline of `shader` specialized as `constants`, created (under an error scope) the
    /// first time.
    pub fn get(
        &self,
        gpu: &Gpu,
        shader: &'static shaders::Shader,
        constants: &Specialization,
    ) -> Result<wgpu::ComputePipeline> {
        let name = shader.name;
        let mut map =
            self.pipelines.lock().map_err(|_| QatError::gpu("creating a pipeline", "pipeline cache poisoned"))?;
        let key = (name, constants.key());
        if let Some(p) = map.get(&key) {
            return Ok(p.clone());
        }
        constants.check(shader)?;
        let values: Vec<(&str, f64)> = constants.0.clone();
        let pipeline = gpu.scoped(&format!("creating the pipeline for shader {name:?}"), || {
            let module = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(name),
                source: wgpu::ShaderSource::Wgsl(shader.source.into()),
            });
            Ok(gpu.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(name),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: wgpu::PipelineCompilationOptions { constants: &values, ..Default::default() },
                cache: None,
            }))
        })?;
        map.insert(key, pipeline.clone());
        Ok(pipeline)
    }
}
