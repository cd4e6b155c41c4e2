//! The int8 ops, one file per op, each holding the whole of its op: the struct the model holds
//! (`QLayer`'s variant, named after the TFLite builtin it matches), what its output shape
//! depends on (`Shape`, which training's layer kinds map to as well) with its shape rule and
//! work, its validation, its interpreter kernel, its `.qat` bytes and its lowering to `.tflite`
//! and ONNX. `int8_ops!` lists them; `QLayer`, `OpShape` and their dispatch are declared from
//! the list here, and the training crate's GPU engine (`wgpu_qat::int8_gpu`) declares its
//! launchers from the same list. Adding an op adds its file and one line to the list
//! (docs/ARCHITECTURE.md).

use crate::checks::NodeIo;
use crate::export::{onnx_graph, tflite_graph};
use crate::payload::{Reader, Writer, R};
use crate::quant::params::TensorQuant;
use crate::shape::elements;
use crate::tensor::Tensor;
use crate::work::Cost;
use std::ops::RangeInclusive;

/// Calls `$m! { module Type: tag T, since V; ... }` with every int8 op: its module under `ops/`,
/// its type (also its `QLayer` and `OpShape` variant), its node tag in the `.qat` format and the
/// first format version that has it (`crate::format::VERSION` is at least the newest).
#[macro_export]
#[doc(hidden)]
macro_rules! int8_ops {
    ($m:ident) => {
        $m! {
            conv2d Conv2d: tag 1, since 2;
            max_pool MaxPool: tag 2, since 2;
            flatten Flatten: tag 3, since 2;
            fully_connected FullyConnected: tag 4, since 2;
            depthwise_conv2d DepthwiseConv2d: tag 5, since 2;
            avg_pool AvgPool: tag 6, since 2;
            mean Mean: tag 7, since 2;
            add Add: tag 8, since 2;
            concat Concat: tag 9, since 2;
        }
    };
}

/// What an op's output shape depends on: its rule and its work (`crate::work`).
pub(crate) trait ShapeRule {
    /// How many inputs the op reads.
    fn arity(&self) -> RangeInclusive<usize> {
        1..=1
    }
    /// The output shape on `inputs` (as many as `arity` allows), after the op's size limits.
    fn output(&self, inputs: &[[u32; 3]]) -> R<[u32; 3]>;
    /// What one image of the op costs the interpreter.
    fn cost(&self, inputs: &[[u32; 3]], output: [u32; 3]) -> Cost;
}

/// One int8 op: everything the crate does with it.
pub(crate) trait Int8Op: Sized {
    /// The TFLite builtin's name, e.g. `CONV_2D`.
    const NAME: &'static str;
    /// What the output shape depends on.
    fn shape(&self) -> OpShape;
    /// The output quantization the op sets; None: its first input's passes through.
    fn output_quant(&self) -> Option<TensorQuant> {
        None
    }
    /// The scales of the op's weights: one per output channel, one for per-tensor weights, none
    /// without weights.
    fn weight_scales(&self) -> &[f32] {
        &[]
    }
    /// Whether the op's output is flat ([1, N]) in `.tflite` and ONNX.
    fn flat_output(&self) -> bool {
        false
    }
    /// Whether the op reads its inputs as images ([1, H, W, C]): the exporters reshape a flat
    /// input (a dense layer's output) to one pixel before it.
    fn reads_images(&self) -> bool {
        false
    }
    /// What only an int8 model has to check (the shape rule has checked the sizes).
    fn check(&self, node: &NodeIo) -> R<()>;
    /// The kernel, as LiteRT's reference kernel computes it: `inputs` with their quantization.
    fn run(&self, inputs: &[&Tensor], quants: &[TensorQuant]) -> Tensor;
    /// The node's two flag bytes in the `.qat` format (padding, activation).
    fn flags(&self) -> [u8; 2] {
        [0, 0]
    }
    /// The op's fields after the node header.
    fn write(&self, _w: &mut Writer) {}
    /// The op from its flag bytes and fields.
    fn read(r: &mut Reader, flags: [u8; 2]) -> R<Self>;
    /// Adds the op's operators to the `.tflite` graph.
    fn to_tflite(&self, g: &mut tflite_graph::Graph, node: &tflite_graph::Node);
    /// Adds the op's nodes to the ONNX graph; returns its float result.
    fn to_onnx(&self, g: &mut onnx_graph::Graph, node: &onnx_graph::Node) -> onnx_graph::Lowered;
}

macro_rules! declare {
    ($($module:ident $Op:ident: tag $tag:literal, since $since:literal;)*) => {
        $(pub mod $module;)*

        /// The newest format version an op needs.
        pub(crate) const NEWEST_OP_VERSION: u16 = {
            let mut newest = 0;
            $(if $since > newest { newest = $since; })*
            newest
        };

        /// An int8 op, named after the TFLite builtin it matches.
        #[derive(Debug, Clone, PartialEq)]
        pub enum QLayer {
            $(
                #[doc = concat!("See [`", stringify!($module), "::", stringify!($Op), "`].")]
                $Op($module::$Op),
            )*
        }

        /// What the shape of an op depends on: one description for every op, which training's
        /// layer kinds and the int8 model both map to, so shapes are inferred and size limits
        /// checked in one place (`OpShape::infer`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum OpShape {
            $(
                #[doc = concat!("See [`", stringify!($module), "::Shape`].")]
                $Op($module::Shape),
            )*
        }

        impl QLayer {
            /// The TFLite builtin's name, e.g. `CONV_2D`.
            pub fn op_name(&self) -> &'static str {
                match self {
                    $(QLayer::$Op(_) => <$module::$Op as Int8Op>::NAME,)*
                }
            }
            /// What the op's output shape depends on (`OpShape::infer` does the rest).
            pub fn shape_op(&self) -> OpShape {
                match self {
                    $(QLayer::$Op(o) => o.shape(),)*
                }
            }
            /// The output quantization this op sets, if it sets one.
            pub fn output_quant(&self) -> Option<TensorQuant> {
                match self {
                    $(QLayer::$Op(o) => o.output_quant(),)*
                }
            }
            /// The scales of the op's weights: one per output channel, one for per-tensor
            /// weights, none without weights.
            pub fn weight_scales(&self) -> &[f32] {
                match self {
                    $(QLayer::$Op(o) => o.weight_scales(),)*
                }
            }
            /// The op's interpreter kernel on `inputs` with their quantization (a validated
            /// node's inputs: `crate::interpreter` runs whole models).
            pub fn run(&self, inputs: &[&Tensor], quants: &[TensorQuant]) -> Tensor {
                match self {
                    $(QLayer::$Op(o) => o.run(inputs, quants),)*
                }
            }
            pub(crate) fn flat_output(&self) -> bool {
                match self {
                    $(QLayer::$Op(o) => o.flat_output(),)*
                }
            }
            pub(crate) fn reads_images(&self) -> bool {
                match self {
                    $(QLayer::$Op(o) => o.reads_images(),)*
                }
            }
            pub(crate) fn check(&self, node: &NodeIo) -> R<()> {
                match self {
                    $(QLayer::$Op(o) => o.check(node),)*
                }
            }
            /// The node header's tag and flag bytes.
            pub(crate) fn header(&self) -> [u8; 3] {
                match self {
                    $(QLayer::$Op(o) => { let [a, b] = o.flags(); [$tag, a, b] })*
                }
            }
            pub(crate) fn write(&self, w: &mut Writer) {
                match self {
                    $(QLayer::$Op(o) => o.write(w),)*
                }
            }
            /// The op of node tag `tag` in a file of format `version`.
            pub(crate) fn read(tag: u8, version: u16, flags: [u8; 2], r: &mut Reader) -> R<QLayer> {
                match tag {
                    $($tag if version < $since => Err(format!(
                        "node tag {} ({}) is not in format version {version} (it is from version {})",
                        $tag, <$module::$Op as Int8Op>::NAME, $since
                    )),)*
                    $($tag => Ok(QLayer::$Op($module::$Op::read(r, flags)?)),)*
                    t => Err(format!("unknown node tag {t}")),
                }
            }
            pub(crate) fn to_tflite(&self, g: &mut tflite_graph::Graph, node: &tflite_graph::Node) {
                match self {
                    $(QLayer::$Op(o) => o.to_tflite(g, node),)*
                }
            }
            pub(crate) fn to_onnx(&self, g: &mut onnx_graph::Graph, node: &onnx_graph::Node) -> onnx_graph::Lowered {
                match self {
                    $(QLayer::$Op(o) => o.to_onnx(g, node),)*
                }
            }
        }

        impl OpShape {
            fn rule(&self) -> &dyn ShapeRule {
                match self {
                    $(OpShape::$Op(s) => s,)*
                }
            }
        }
    };
}

crate::int8_ops!(declare);

impl OpShape {
    /// The output shape of the op on `inputs`, after every size limit of `crate::limits`; the
    /// error says which limit or which mismatch (the caller names the layer).
    pub fn infer(&self, inputs: &[[u32; 3]]) -> R<[u32; 3]> {
        use crate::limits::{MAX_CONCAT_INPUTS, MAX_TENSOR_ELEMENTS};
        let arity = self.rule().arity();
        if inputs.len() > MAX_CONCAT_INPUTS {
            return Err(format!("{} inputs is more than the limit of {MAX_CONCAT_INPUTS}", inputs.len()));
        }
        if !arity.contains(&inputs.len()) {
            return Err(format!("takes {} to {} inputs, has {}", arity.start(), arity.end(), inputs.len()));
        }
        let shape = self.rule().output(inputs)?;
        if elements(shape) > MAX_TENSOR_ELEMENTS {
            return Err(format!(
                "its output {shape:?} has more than the limit of {MAX_TENSOR_ELEMENTS} elements per image"
            ));
        }
        Ok(shape)
    }
    /// What one image of the op costs, reading `inputs` and making `output` (shapes as `infer`
    /// gives them).
    pub fn cost(&self, inputs: &[[u32; 3]], output: [u32; 3]) -> Cost {
        self.rule().cost(inputs, output)
    }
}

/// The usage of a graph (`crate::work::usage`): `shapes[t]` of every tensor (0: the input), and
/// for each node its op and input tensors.
pub fn usage(shapes: &[[u32; 3]], nodes: &[(OpShape, Vec<usize>)]) -> crate::work::Usage {
    let shape = |t: usize| shapes.get(t).copied().unwrap_or([0, 0, 0]);
    let costs: Vec<(Cost, Vec<usize>)> = nodes
        .iter()
        .enumerate()
        .map(|(k, (op, inputs))| {
            let ins: Vec<[u32; 3]> = inputs.iter().map(|&t| shape(t)).collect();
            (op.cost(&ins, shape(k + 1)), inputs.clone())
        })
        .collect();
    crate::work::usage(shapes, &costs)
}
