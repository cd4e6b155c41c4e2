//! How each layer kind trains and exports, one file per kind (the list is `layer_kinds!`):
//! the forward and backward it records into a training step (`Behaviour::record`, through
//! `train::record`), the int8 op it becomes (`Behaviour::export`, through `quantize::export`),
//! and the layer an int8 op stands for (`Behaviour::from_int8`, for `verify`). What a kind is
//! (options, shape, parameters) is `model::kinds`.
//!
//! docs/ARCHITECTURE.md lists the files one edits to add a kind.

use crate::model::kinds::Layer;
use crate::model::params::HostParams;
use crate::quantize::export::Export;
use crate::train::record::Builder;
use crate::Result;
use qat_int8::ops::QLayer;

/// A layer and its float parameters (weighted kinds), as an int8 op stands for them.
pub type FromInt8 = Option<(Layer, Option<HostParams>)>;

/// What a layer kind does on the GPU and in the int8 model.
pub trait Behaviour {
    /// Records the forward of node `k` into the training step, and what its backward needs;
    /// returns the output buffer and its length.
    fn record(&self, b: &mut Builder, k: usize) -> Result<(wgpu::Buffer, usize)>;
    /// The int8 op of this layer.
    fn export(&self, x: &Export) -> Result<QLayer>;
    /// The layer (and its float parameters, dequantized with input scale `s_in`) that an int8
    /// op stands for, when the op is this kind's.
    fn from_int8(op: &QLayer, s_in: f64) -> FromInt8
    where
        Self: Sized;
}

macro_rules! declare {
    ($($module:ident $Kind:ident,)*) => {
        $(mod $module;)*

        /// The behaviour of `layer`'s kind: the one dispatch over every kind.
        pub fn behaviour(layer: &Layer) -> &dyn Behaviour {
            match layer {
                $(Layer::$Kind(l) => l,)*
            }
        }

        /// Every kind's `from_int8`, with its spec-file `type`, in the list's order.
        pub const FROM_INT8: &[(&str, fn(&QLayer, f64) -> FromInt8)] = &[
            $((crate::model::kinds::$module::$Kind::NAME, <crate::model::kinds::$module::$Kind as Behaviour>::from_int8),)*
        ];
    };
}

crate::layer_kinds!(declare);

/// The one layer that int8 op `op` stands for (input scale `s_in`): exactly one kind claims each
/// op, and an op two kinds claim is an error naming both (a kind added later cannot hide
/// another).
pub fn from_int8(op: &QLayer, s_in: f64) -> Result<FromInt8> {
    let claims: Vec<(&str, FromInt8)> =
        FROM_INT8.iter().filter_map(|(name, f)| f(op, s_in).map(|l| (*name, Some(l)))).collect();
    match claims.len() {
        0 => Ok(None),
        1 => Ok(claims.into_iter().next().and_then(|c| c.1)),
        _ => Err(crate::QatError::Invalid(format!(
            "{} is claimed by the layer kinds {}: only one may stand for an int8 op",
            op.op_name(),
            claims.iter().map(|c| c.0).collect::<Vec<_>>().join(" and ")
        ))),
    }
}
