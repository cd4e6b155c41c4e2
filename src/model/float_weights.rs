//! A model's float parameters as a safetensors file (`qat train --save-float FILE`, read back
//! by `qat train --init FILE`). Per weighted layer, by its name, little-endian F32:
//! `NAME.weight` in our layouts ([O, KH*KW*I] for conv, whose weights are OHWI; [KH*KW, C] for
//! depthwise; [out, in] for dense), `NAME.bias` (\[O\], absent where batch norm replaces the
//! bias), and with batch norm `NAME.bn.gamma`, `NAME.bn.beta`, `NAME.bn.moving_mean` and
//! `NAME.bn.moving_var` (\[C\]).

use crate::model::params::{HostBn, HostParams};
use crate::model::{geometry, spec::ModelSpec};
use crate::{QatError, Result};
use safetensors::{tensor::TensorView, Dtype, SafeTensors};
use std::path::Path;

/// Largest float-weights file read (far above any model the limits allow).
pub const MAX_BYTES: u64 = 1 << 30;

/// The tensors of one layer: (name, shape, values).
fn layer_tensors<'a>(name: &str, g: &geometry::Weights, p: &'a HostParams) -> Vec<(String, Vec<usize>, &'a [f32])> {
    let mut out =
        vec![(format!("{name}.weight"), vec![g.channels.max(1), g.weight_len / g.channels.max(1)], &p.weight[..])];
    if g.inner == 1 {
        // Depthwise: the channel is the fastest index.
        out[0].1 = vec![g.weight_len / g.channels.max(1), g.channels];
    }
    if g.bias_len > 0 {
        out.push((format!("{name}.bias"), vec![g.bias_len], &p.bias[..]));
    }
    if let Some(bn) = &p.bn {
        for (what, v) in
            [("gamma", &bn.gamma), ("beta", &bn.beta), ("moving_mean", &bn.moving_mean), ("moving_var", &bn.moving_var)]
        {
            out.push((format!("{name}.bn.{what}"), vec![v.len()], &v[..]));
        }
    }
    out
}

/// The weighted layers of `spec` with their geometry, in node order.
fn weighted(spec: &ModelSpec) -> Result<Vec<(String, geometry::Weights)>> {
    let shapes = spec.shapes()?;
    Ok(spec
        .nodes
        .iter()
        .filter_map(|n| n.layer.kind().weights(spec.tensor_shape(&shapes, n.inputs[0])).map(|g| (n.name.clone(), g)))
        .collect())
}

/// The safetensors bytes of `params` (one entry per weighted node of `spec`).
pub fn to_bytes(spec: &ModelSpec, params: &[HostParams]) -> Result<Vec<u8>> {
    let layers = weighted(spec)?;
    if layers.len() != params.len() {
        return Err(QatError::Invalid(format!("{} weighted layers but {} parameter sets", layers.len(), params.len())));
    }
    let mut views = Vec::new();
    for ((name, g), p) in layers.iter().zip(params) {
        for (tensor, shape, values) in layer_tensors(name, g, p) {
            let view = TensorView::new(Dtype::F32, shape, bytemuck::cast_slice(values))
                .map_err(|e| QatError::Invalid(format!("tensor {tensor}: {e}")))?;
            views.push((tensor, view));
        }
    }
    let meta = [("format".to_string(), "wgpu-qat float weights".to_string()), ("model".to_string(), spec.name.clone())];
    safetensors::serialize(views, Some(meta.into_iter().collect())).map_err(|e| QatError::Invalid(e.to_string()))
}

/// Reads float parameters for `spec` from `path`: every tensor the layout above names must be
/// there with its shape; extra tensors are an error too (they mean another model).
pub fn read(path: &Path, spec: &ModelSpec) -> Result<Vec<HostParams>> {
    let bad = |detail: String| QatError::BadData { path: path.into(), detail };
    let bytes = qat_int8::input::read_bounded(path, MAX_BYTES, "a float-weights file")?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| bad(format!("not a readable safetensors file (truncated or corrupt?): {e}")))?;
    let mut used = 0usize;
    let mut get = |name: String, shape: Vec<usize>| -> Result<Vec<f32>> {
        let t = st
            .tensor(&name)
            .map_err(|_| bad(format!("no tensor {name:?} (shape {shape:?}); the file holds {:?}", st.names())))?;
        if t.dtype() != Dtype::F32 || t.shape() != shape.as_slice() {
            return Err(bad(format!(
                "tensor {name:?} is {:?} {:?}; model {} needs F32 {shape:?}",
                t.dtype(),
                t.shape(),
                spec.name
            )));
        }
        used += 1;
        let v: Vec<f32> = t.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(bad(format!("tensor {name:?} holds {} at index {i}", v[i])));
        }
        Ok(v)
    };
    let mut params = Vec::new();
    for (name, g) in weighted(spec)? {
        let blank = HostParams {
            weight: vec![0.0; g.weight_len],
            bias: vec![0.0; g.bias_len],
            bn: (g.bn_channels > 0).then(|| HostBn {
                gamma: vec![0.0; g.bn_channels],
                beta: vec![0.0; g.bn_channels],
                moving_mean: vec![0.0; g.bn_channels],
                moving_var: vec![0.0; g.bn_channels],
            }),
        };
        let wanted: Vec<(String, Vec<usize>)> =
            layer_tensors(&name, &g, &blank).into_iter().map(|(n, s, _)| (n, s)).collect();
        let mut values = Vec::new();
        for (tensor, shape) in wanted {
            values.push(get(tensor, shape)?);
        }
        let mut it = values.into_iter();
        let mut next = || it.next().unwrap_or_default();
        let weight = next();
        let bias = if g.bias_len > 0 { next() } else { Vec::new() };
        let bn = (g.bn_channels > 0).then(|| HostBn {
            gamma: next(),
            beta: next(),
            moving_mean: next(),
            moving_var: next(),
        });
        if let Some(b) = &bn {
            if let Some(i) = b.moving_var.iter().position(|&v| v < 0.0) {
                return Err(bad(format!("{name}.bn.moving_var[{i}] is negative ({})", b.moving_var[i])));
            }
        }
        params.push(HostParams { weight, bias, bn });
    }
    if used != st.len() {
        return Err(bad(format!(
            "holds {} tensors, model {} has {used}: it was saved from another model",
            st.len(),
            spec.name
        )));
    }
    Ok(params)
}
