//! What a layer is, without a GPU: the trait every kind's description implements
//! (`LayerKind`: its spec-file name, shape, parameters, activation and how its output is
//! quantized) and the spec-file fields a kind's parser takes (`Fields`). The kinds themselves,
//! the `Layer` enum and `parse` (which finds a kind by its `type`) are `model::kinds`.

use crate::model::geometry::Weights;
use qat_int8::ops::OpShape;
use qat_int8::quant::clamp::Activation;
use qat_int8::shape::{Padding, Pads};
use std::collections::BTreeMap;

/// The `padding` line of a spec file: "valid", "same", or [top, bottom, left, right].
pub fn padding_field(p: Padding) -> String {
    match p {
        Padding::Same => "padding = \"same\"".into(),
        Padding::Valid => "padding = \"valid\"".into(),
        Padding::Explicit(p) => format!("padding = [{}, {}, {}, {}]", p.top, p.bottom, p.left, p.right),
    }
}

/// How a layer's output is quantized when no Concat reads it (`model::placement`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputRange {
    /// An observer and fake quant of its own.
    Own,
    /// No fake quant: the output keeps the input's quantization.
    SameAsInput,
    /// Fake quant with the input's range, no observer.
    InputRange,
}

/// What every layer kind provides. Defaults fit a kind without weights or activation.
pub trait LayerKind {
    /// The spec file's `type`, used in messages too.
    fn op_name(&self) -> &'static str;
    /// What the output shape depends on (`OpShape::infer` does the rest).
    fn shape_op(&self) -> OpShape;
    /// The fused activation.
    fn activation(&self) -> Activation {
        Activation::None
    }
    /// Whether a batch norm follows (folded during QAT).
    fn batch_norm(&self) -> bool {
        false
    }
    /// The parameters for an input of `input` shape; None for a kind without weights.
    fn weights(&self, _input: [u32; 3]) -> Option<Weights> {
        None
    }
    /// Whether its weights are quantized per output channel when training asks for it (dense
    /// layers are per tensor, as TFLite's FULLY_CONNECTED).
    fn per_channel_weights(&self) -> bool {
        true
    }
    /// Whether its int8 op requantizes the accumulator with the fixed-point multiplier's double
    /// rounding (CONV_2D, DEPTHWISE_CONV_2D): QAT then simulates that rounding in the fake quant
    /// of its own output (`quant::double_rounding`). FULLY_CONNECTED rescales in f64 with one
    /// rounding (docs/NUMERICS.md), so dense layers say no.
    fn double_rounding(&self) -> bool {
        false
    }
    /// How its output is quantized when no Concat reads it.
    fn output_range(&self) -> OutputRange {
        OutputRange::SameAsInput
    }
    /// Whether it may feed a Concat, taking the Concat's shared scale as its own output's.
    fn may_feed_concat(&self) -> bool {
        false
    }
    /// The kind's options as a spec file writes them (`key = value` lines, without `type`,
    /// the inputs or the activation, which every kind writes alike): what `parse` reads back.
    fn spec_fields(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A layer's options as read from a spec file, taken one by one by the kind's parser; what is
/// left when it is done is refused as an option the kind does not take.
pub struct Fields {
    layer: String,
    kind: &'static str,
    values: BTreeMap<String, serde_json::Value>,
}

impl Fields {
    /// The options `values` of layer `layer` of kind `kind`.
    pub fn new(layer: &str, kind: &'static str, values: BTreeMap<String, serde_json::Value>) -> Fields {
        Fields { layer: layer.into(), kind, values }
    }
    fn bad(&self, what: &str) -> String {
        format!("layer {:?} ({}): {what}", self.layer, self.kind)
    }
    /// An optional non-negative integer option.
    pub fn opt_u32(&mut self, key: &str) -> std::result::Result<Option<u32>, String> {
        match self.values.remove(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.bad(&format!("`{key}` must be a non-negative integer, not {v}"))),
        }
    }
    /// A required non-negative integer option.
    pub fn u32(&mut self, key: &str) -> std::result::Result<u32, String> {
        self.opt_u32(key)?.ok_or_else(|| format!("layer {:?} ({}) needs `{key}`", self.layer, self.kind))
    }
    /// `kernel`: one size for both axes, or [height, width].
    pub fn kernel(&mut self) -> std::result::Result<[u32; 2], String> {
        let need = || format!("layer {:?} ({}) needs `kernel`", self.layer, self.kind);
        let v = self.values.remove("kernel").ok_or_else(need)?;
        let size = |v: &serde_json::Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
        match &v {
            serde_json::Value::Array(a) if a.len() == 2 => match (size(&a[0]), size(&a[1])) {
                (Some(h), Some(w)) => Ok([h, w]),
                _ => Err(self.bad(&format!("`kernel` must be a size or [height, width], not {v}"))),
            },
            other => size(other)
                .map(|k| [k, k])
                .ok_or_else(|| self.bad(&format!("`kernel` must be a size or [height, width], not {v}"))),
        }
    }
    /// An optional boolean option (default false).
    pub fn flag(&mut self, key: &str) -> std::result::Result<bool, String> {
        match self.values.remove(key) {
            None => Ok(false),
            Some(serde_json::Value::Bool(b)) => Ok(b),
            Some(v) => Err(self.bad(&format!("`{key}` must be true or false, not {v}"))),
        }
    }
    fn text(&mut self, key: &str) -> std::result::Result<Option<String>, String> {
        match self.values.remove(key) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.bad(&format!("`{key}` must be a string, not {v}"))),
        }
    }
    /// `padding`: "valid" (the default), "same", or [top, bottom, left, right] (explicit rows
    /// and columns, each less than the kernel; the shape check says so).
    pub fn padding(&mut self) -> std::result::Result<Padding, String> {
        let bad = |v: &serde_json::Value| {
            format!("layer {:?}: padding {v} is not \"valid\", \"same\" or [top, bottom, left, right]", self.layer)
        };
        match self.values.remove("padding") {
            None => Ok(Padding::Valid),
            Some(serde_json::Value::String(s)) if s == "valid" => Ok(Padding::Valid),
            Some(serde_json::Value::String(s)) if s == "same" => Ok(Padding::Same),
            Some(serde_json::Value::Array(a)) if a.len() == 4 => {
                let side: Vec<Option<u32>> = a.iter().map(|v| v.as_u64().and_then(|n| u32::try_from(n).ok())).collect();
                match side[..] {
                    [Some(top), Some(bottom), Some(left), Some(right)] => {
                        Ok(Padding::Explicit(Pads { top, bottom, left, right }))
                    }
                    _ => Err(bad(&serde_json::Value::Array(a))),
                }
            }
            Some(v) => Err(bad(&v)),
        }
    }
    /// `activation`: "none" (the default, also "linear"), "relu" or "relu6".
    pub fn activation(&mut self) -> std::result::Result<Activation, String> {
        match self.text("activation")?.as_deref() {
            None | Some("none") | Some("linear") => Ok(Activation::None),
            Some("relu") => Ok(Activation::Relu),
            Some("relu6") => Ok(Activation::Relu6),
            Some(a) => Err(format!("layer {:?}: activation {a:?} is not none, relu or relu6", self.layer)),
        }
    }
    /// Refuses the options no one took.
    pub fn finish(self) -> std::result::Result<(), String> {
        match self.values.keys().next() {
            None => Ok(()),
            Some(k) => Err(self.bad(&format!("unknown field `{k}` for this layer type (docs/MODELS.md)"))),
        }
    }
}
