//! The layer kinds' descriptions, one file per kind (the list is `layer_kinds!`): each kind's
//! options with their defaults, how a spec file gives them (`parse`) and how one is written back
//! (`LayerKind::spec_fields`), and the questions the model asks of it without a GPU (shape,
//! weights, quantization of its output). How a kind trains and exports is `layers::<kind>`.

use crate::model::layer::{Fields, LayerKind};
use qat_int8::ops::OpShape;
use qat_int8::quant::clamp::Activation;
use std::collections::BTreeMap;

macro_rules! declare {
    ($($module:ident $Kind:ident,)*) => {
        $(pub mod $module;)*

        /// One layer of a model: its kind and that kind's options.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Layer {
            $(
                #[doc = concat!("See [`", stringify!($module), "::", stringify!($Kind), "`].")]
                $Kind($module::$Kind),
            )*
        }

        impl Layer {
            /// The kind's description: the one dispatch over every kind.
            pub fn kind(&self) -> &dyn LayerKind {
                match self {
                    $(Layer::$Kind(l) => l,)*
                }
            }
        }

        /// Every kind's spec-file `type` and parser, in the list's order.
        pub const PARSERS: &[Parser] = &[
            $(Parser { name: $module::$Kind::NAME, parse: $module::$Kind::parse },)*
        ];
    };
}

crate::layer_kinds!(declare);

/// A kind's spec-file `type` and the parser of its options.
pub struct Parser {
    /// The spec file's `type` (also [`LayerKind::op_name`]).
    pub name: &'static str,
    /// Reads the kind's options; every option the kind does not take is refused by the caller.
    pub parse: fn(&mut Fields) -> std::result::Result<Layer, String>,
}

impl Layer {
    /// The spec file's `type` of this layer.
    pub fn op_name(&self) -> &'static str {
        self.kind().op_name()
    }
    /// Whether the layer has weights.
    pub fn has_weights(&self) -> bool {
        self.kind().weights([1, 1, 1]).is_some()
    }
    /// Whether a batch norm follows the layer.
    pub fn has_batch_norm(&self) -> bool {
        self.kind().batch_norm()
    }
    /// The fused activation.
    pub fn activation(&self) -> Activation {
        self.kind().activation()
    }
    /// What the layer's output shape depends on.
    pub fn shape_op(&self) -> OpShape {
        self.kind().shape_op()
    }
}

/// Parses layer `layer` of spec-file type `kind` from its options.
pub fn parse(
    layer: &str,
    kind: &str,
    values: BTreeMap<String, serde_json::Value>,
) -> std::result::Result<Layer, String> {
    let Some(k) = PARSERS.iter().find(|k| k.name == kind) else {
        let known: Vec<&str> = PARSERS.iter().map(|k| k.name).collect();
        return Err(format!("layer {layer:?}: unknown layer type {kind:?} (known: {})", known.join(", ")));
    };
    let mut fields = Fields::new(layer, k.name, values);
    let parsed = (k.parse)(&mut fields)?;
    fields.finish()?;
    Ok(parsed)
}
