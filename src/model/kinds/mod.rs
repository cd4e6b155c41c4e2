//! The layer kinds' descriptions, one file per kind (the list is `layer_kinds!`): each kind's
//! options with their defaults, how a spec file gives them (`parse`) and how one is written back
//! (`LayerKind::spec_fields`), and the questions the model asks of it without a GPU (shape,
//! weights, quantization of its output). How a kind trains and exports is `layers::<kind>`.

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
            pub fn kind(&self) -> &dyn crate::model::layer::LayerKind {
                match self {
                    $(Layer::$Kind(l) => l,)*
                }
            }
        }

        /// Every kind's spec-file `type` and parser, in the list's order.
        pub const PARSERS: &[crate::model::layer::Parser] = &[
            $(crate::model::layer::Parser { name: $module::$Kind::NAME, parse: $module::$Kind::parse },)*
        ];
    };
}

crate::layer_kinds!(declare);
