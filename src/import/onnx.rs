//! ONNX import: a float CNN as `torch.onnx.export` or tf2onnx writes it becomes a `ModelSpec`
//! and its float parameters (`HostParams`), parsed with prost over the vendored `onnx.proto`
//! (the exporter's). Nodes are taken in the file's (topological) order:
//! - Conv (group 1, or group == channels with one filter per group: depthwise), with padding
//!   that is TensorFlow's "same", none ("valid") or given per side (`pads`, each side less than
//!   the kernel), equal strides, no dilation;
//! - Pad (constant zeros over height and width) folded into the Conv or MaxPool that reads it
//!   (a max pool only of a ReLU's output, where a zero never wins over an in-bounds value), and
//!   a Pad of nothing (torch's export of an average pool) dropped;
//! - BatchNormalization right after a conv (folded into it as our conv's batch norm, the conv's
//!   bias moved into the mean, the variance shifted so that var + our epsilon equals the file's
//!   var + its epsilon);
//! - Relu, and Clip(0, 6) as ReLU6, right after a conv, dense or Add (fused as its activation);
//! - Add and Concat of activations; MaxPool (padding as Conv's), AveragePool (no padding or
//!   "same"; a window over the whole input is global average pooling), GlobalAveragePool and
//!   ReduceMean over height and width; Flatten, and Reshape to [batch, -1];
//! - Gemm (alpha = beta = 1), or MatMul followed by Add of a constant, as dense;
//! - Mul and Add of a per-channel (or scalar) constant right after a conv or dense layer without
//!   batch norm, folded into its weights and bias (tf2onnx's folded batch norm);
//! - a trailing Softmax (dropped: the model's outputs are logits), Identity, Dropout, Squeeze of
//!   a pooled 1x1 tensor, and Constant nodes (read as data).
//!
//! Layouts: ONNX activations are NCHW, ours NHWC; conv weights [O, I, KH, KW] become OHWI,
//! depthwise [C, 1, KH, KW] become [KH, KW, C], and a dense layer that reads a flattened NCHW
//! tensor has its inputs reordered to the NHWC flattening. tf2onnx's Transposes between NHWC and
//! NCHW (and its Reshape of a one-channel input, the same bytes) are followed rather than
//! refused. Anything else is refused with the node's name, its op type and a hint.
//!
//! Integer attributes are read as ONNX stores them (i64) and checked against our limits before
//! any narrowing, float initializers and constants must be finite and below `MAX_MAGNITUDE`, and
//! long values are abbreviated in messages (`brief`).

use crate::model::kinds::{
    add::Add, avg_pool::AvgPool, concat::Concat, conv2d::Conv2d, dense::Dense, depthwise_conv2d::DepthwiseConv2d,
    flatten::Flatten, global_avg_pool::GlobalAvgPool, max_pool::MaxPool, Layer,
};
use crate::model::params::{HostBn, HostParams};
use crate::model::{spec::ModelSpec, spec::Node};
use crate::ops::batch_norm::EPSILON;
use crate::{QatError, Result};
use prost::Message;
use qat_int8::export::onnx_proto as pb;
use qat_int8::quant::clamp::Activation;
use qat_int8::shape::{Padding, Pads};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Largest ONNX file read.
pub const MAX_BYTES: u64 = 1 << 30;

/// Largest magnitude of a float initializer or constant: far above any trained network's
/// weights or statistics, far below what overflows float32 sums.
pub const MAX_MAGNITUDE: f64 = 1e10;

/// At most this many values of a list are quoted in a message.
const QUOTED: usize = 8;

/// A list of values for a message: the first `QUOTED`, then how many there are in all.
fn brief<T: std::fmt::Debug>(values: &[T]) -> String {
    if values.len() <= QUOTED {
        return format!("{values:?}");
    }
    let shown: Vec<String> = values[..QUOTED].iter().map(|v| format!("{v:?}")).collect();
    format!("[{}, ... ({} values)]", shown.join(", "), values.len())
}

/// A name or string for a message: at most 80 characters, then how long it is.
fn brief_str(s: &str) -> String {
    match s.char_indices().nth(80) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}... ({} bytes)", &s[..cut], s.len()),
    }
}

/// An imported model.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The graph as our layers.
    pub spec: ModelSpec,
    /// Float parameters, one entry per weighted node.
    pub params: Vec<HostParams>,
    /// What the import changed that a user may want to know (a dropped Softmax, ...).
    pub notes: Vec<String>,
}

/// A tensor value the graph holds as data (initializer or Constant node output).
#[derive(Debug, Clone)]
struct Constant {
    dims: Vec<usize>,
    values: Vec<f64>,
    /// Of an integer type (int32, int64): shape arithmetic divides it as integers.
    integer: bool,
}

/// What an ONNX value is on our side.
#[derive(Debug, Clone, Copy)]
struct Act {
    /// Our tensor id (0: the input, k + 1: node k).
    tensor: usize,
    /// [h, w, c] (flat: [1, 1, units]).
    shape: [u32; 3],
    /// The ONNX value is laid out NCHW (after a Transpose of tf2onnx's NHWC input, or in a
    /// PyTorch graph) rather than NHWC.
    nchw: bool,
    /// A flat value made by flattening an NCHW [h, w, c] tensor: its element order is c, h, w.
    chw_order: Option<[u32; 3]>,
}

struct Importer {
    path: PathBuf,
    constants: HashMap<String, Constant>,
    values: HashMap<String, Act>,
    /// Values made by a zero Pad: the padded activation and its padding, folded into the window
    /// (Conv, MaxPool) that reads it.
    padded: HashMap<String, (Act, Pads)>,
    /// Readers of each ONNX value (to fuse only what nothing else reads).
    readers: HashMap<String, usize>,
    nodes: Vec<Node>,
    /// Shape of each of our tensors (0: the input).
    shapes: Vec<[u32; 3]>,
    /// Parameters per node index (weighted nodes only).
    params: HashMap<usize, HostParams>,
    names: HashMap<String, usize>,
    notes: Vec<String>,
}

fn node_name(n: &pb::NodeProto, index: usize) -> String {
    match n.name.as_deref() {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => format!("{}_{index}", n.op_type.as_deref().unwrap_or("node")),
    }
}

fn attr<'a>(n: &'a pb::NodeProto, name: &str) -> Option<&'a pb::AttributeProto> {
    n.attribute.iter().find(|a| a.name.as_deref() == Some(name))
}

fn attr_int(n: &pb::NodeProto, name: &str, default: i64) -> i64 {
    attr(n, name).and_then(|a| a.i).unwrap_or(default)
}

fn attr_ints(n: &pb::NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(n, name).map(|a| a.ints.clone())
}

fn attr_float(n: &pb::NodeProto, name: &str, default: f32) -> f32 {
    attr(n, name).and_then(|a| a.f).unwrap_or(default)
}

fn attr_str(n: &pb::NodeProto, name: &str) -> Option<String> {
    attr(n, name).and_then(|a| a.s.as_ref()).map(|s| String::from_utf8_lossy(s).into_owned())
}

/// The values of a TensorProto (FLOAT, DOUBLE, INT32, INT64), as f64.
fn tensor_values(t: &pb::TensorProto) -> std::result::Result<Constant, String> {
    if let Some(&d) = t.dims.iter().find(|&&d| d < 0) {
        return Err(format!("a negative dimension {d}"));
    }
    let dims: Vec<usize> = t.dims.iter().map(|&d| usize::try_from(d).unwrap_or(usize::MAX)).collect();
    let count = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or("its dimensions overflow")?;
    let raw = t.raw_data.as_deref().unwrap_or(&[]);
    let from_raw = |size: usize, f: &dyn Fn(&[u8]) -> f64| -> std::result::Result<Vec<f64>, String> {
        if raw.len() != count * size {
            return Err(format!("{} bytes of data for {count} values of {size} bytes", raw.len()));
        }
        Ok(raw.chunks_exact(size).map(f).collect())
    };
    let values = match t.data_type.unwrap_or(0) {
        1 if !raw.is_empty() || t.float_data.is_empty() => {
            from_raw(4, &|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)?
        }
        1 => t.float_data.iter().map(|&v| v as f64).collect(),
        11 if !raw.is_empty() || t.double_data.is_empty() => {
            from_raw(8, &|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))?
        }
        11 => t.double_data.clone(),
        7 if !raw.is_empty() || t.int64_data.is_empty() => {
            from_raw(8, &|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f64)?
        }
        7 => t.int64_data.iter().map(|&v| v as f64).collect(),
        6 if !raw.is_empty() || t.int32_data.is_empty() => {
            from_raw(4, &|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)?
        }
        6 => t.int32_data.iter().map(|&v| v as f64).collect(),
        other => return Err(format!("data type {other} (only float, double, int32 and int64 constants are read)")),
    };
    if values.len() != count {
        return Err(format!("{} values for dimensions {}", values.len(), brief(&dims)));
    }
    if matches!(t.data_type, Some(1 | 11)) {
        if let Some(i) = values.iter().position(|v| !v.is_finite() || v.abs() > MAX_MAGNITUDE) {
            let v = values[i];
            let shown = if t.data_type == Some(1) { format!("{:e}", v as f32) } else { format!("{v:e}") };
            let why = if v.is_finite() {
                format!(", beyond the {MAX_MAGNITUDE:e} any trained network's value stays within")
            } else {
                String::new()
            };
            return Err(format!("holds {shown} at index {i}{why}: the weights are damaged; export them again"));
        }
    }
    Ok(Constant { dims, values, integer: matches!(t.data_type, Some(6 | 7)) })
}

/// TensorFlow "same" padding of one axis: (leading, trailing).
fn same_pads(input: u32, kernel: u32, stride: u32) -> (i64, i64) {
    let out = input.div_ceil(stride.max(1));
    let total = out.saturating_sub(1).saturating_mul(stride).saturating_add(kernel).saturating_sub(input) as i64;
    (total / 2, total - total / 2)
}

/// Reads `path` and imports it.
pub fn read(path: &Path) -> Result<Imported> {
    let bytes = qat_int8::input::read_bounded(path, MAX_BYTES, "an ONNX model")?;
    import(path, &bytes)
}

/// Imports the ONNX model in `bytes` (read from `path`, which errors name).
pub fn import(path: &Path, bytes: &[u8]) -> Result<Imported> {
    let model = pb::ModelProto::decode(bytes).map_err(|e| QatError::BadData {
        path: path.into(),
        detail: format!("not an ONNX model (protobuf decoding failed: {e}); truncated or not ONNX?"),
    })?;
    let graph =
        model.graph.ok_or_else(|| QatError::BadData { path: path.into(), detail: "no graph in the model".into() })?;
    let mut imp = Importer {
        path: path.into(),
        constants: HashMap::new(),
        values: HashMap::new(),
        padded: HashMap::new(),
        readers: HashMap::new(),
        nodes: Vec::new(),
        shapes: Vec::new(),
        params: HashMap::new(),
        names: HashMap::new(),
        notes: Vec::new(),
    };
    for t in &graph.initializer {
        let name = t.name.clone().unwrap_or_default();
        let c = tensor_values(t).map_err(|e| imp.bad(format!("initializer {:?}: {e}", brief_str(&name))))?;
        imp.constants.insert(name, c);
    }
    for n in &graph.node {
        for i in n.input.iter().filter(|i| !i.is_empty()) {
            *imp.readers.entry(i.clone()).or_default() += 1;
        }
    }
    for o in &graph.output {
        *imp.readers.entry(o.name.clone().unwrap_or_default()).or_default() += 1;
    }
    let input = imp.input(&graph)?;
    let graph_outputs: Vec<String> = graph.output.iter().filter_map(|o| o.name.clone()).collect();
    imp.values.insert(input.0, input.1);
    imp.shapes.push(input.1.shape);
    let input_shape = input.1.shape;
    for (index, n) in graph.node.iter().enumerate() {
        imp.node(n, index, &graph_outputs)?;
    }
    let Importer { nodes, mut params, notes, .. } = imp;
    let params = (0..nodes.len()).filter_map(|k| params.remove(&k)).collect();
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "imported".into());
    let spec = ModelSpec { name, input: input_shape, nodes };
    spec.shapes().map_err(|e| QatError::BadData { path: path.into(), detail: format!("the imported graph: {e}") })?;
    Ok(Imported { spec, params, notes })
}

impl Importer {
    fn bad(&self, detail: impl Into<String>) -> QatError {
        QatError::BadData { path: self.path.clone(), detail: detail.into() }
    }

    fn refuse(&self, n: &pb::NodeProto, index: usize, why: impl std::fmt::Display) -> QatError {
        let op = n.op_type.as_deref().unwrap_or("?");
        self.bad(format!("node {:?} ({}): {why}", brief_str(&node_name(n, index)), brief_str(op)))
    }

    /// The graph input (the first input that is not an initializer): its name and our view.
    fn input(&self, graph: &pb::GraphProto) -> Result<(String, Act)> {
        let vi = graph
            .input
            .iter()
            .find(|i| !self.constants.contains_key(i.name.as_deref().unwrap_or("")))
            .ok_or_else(|| self.bad("the graph has no input"))?;
        let name = vi.name.clone().unwrap_or_default();
        let dims: Vec<Option<i64>> = match vi.r#type.as_ref().and_then(|t| t.value.as_ref()) {
            Some(pb::type_proto::Value::TensorType(t)) => t
                .shape
                .as_ref()
                .map(|s| {
                    s.dim
                        .iter()
                        .map(|d| match d.value {
                            Some(pb::tensor_shape_proto::dimension::Value::DimValue(v)) => Some(v),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let max = qat_int8::limits::MAX_DIM;
        let size = |d: &Option<i64>| d.and_then(|v| u32::try_from(v).ok()).filter(|&v| v > 0 && v <= max);
        if dims.len() != 4 || dims[1..].iter().any(|d| size(d).is_none()) {
            return Err(self.bad(format!(
                "input {:?} has shape {}; an image model takes [batch, channels, height, width] (or [batch, height, width, channels]) with known sizes of at most {max}",
                brief_str(&name),
                brief(&dims)
            )));
        }
        let [a, b, c] = [size(&dims[1]).unwrap_or(1), size(&dims[2]).unwrap_or(1), size(&dims[3]).unwrap_or(1)];
        // NCHW unless the last axis looks like channels and the first does not (tf2onnx keeps
        // Keras's NHWC input and transposes it).
        let nhwc = c <= 4 && a > 4;
        let shape = if nhwc { [a, b, c] } else { [b, c, a] };
        Ok((name, Act { tensor: 0, shape, nchw: !nhwc, chw_order: None }))
    }

    /// An integer attribute or dimension `v` named `what`, checked to lie in 1..=`max` before it
    /// is narrowed (ONNX stores i64).
    fn size(&self, n: &pb::NodeProto, index: usize, what: &str, v: i64, max: u32) -> Result<u32> {
        match u32::try_from(v) {
            Ok(s) if (1..=max).contains(&s) => Ok(s),
            _ => Err(self.refuse(n, index, format!("{what} {v} is outside 1..={max}"))),
        }
    }

    /// A size that is a tensor dimension (usize), checked as `size`.
    fn dim(&self, n: &pb::NodeProto, index: usize, what: &str, v: usize, max: u32) -> Result<u32> {
        self.size(n, index, what, i64::try_from(v).unwrap_or(i64::MAX), max)
    }

    fn act(&self, n: &pb::NodeProto, index: usize, i: usize) -> Result<Act> {
        let name = n.input.get(i).cloned().unwrap_or_default();
        self.values.get(&name).copied().ok_or_else(|| {
            if self.padded.contains_key(&name) {
                self.refuse(n, index, format!("input {:?} is made by a Pad, which is supported right before a Conv or MaxPool (folded into its padding)", brief_str(&name)))
            } else if self.constants.contains_key(&name) {
                self.refuse(
                    n,
                    index,
                    format!("input {:?} is a constant where an activation is expected", brief_str(&name)),
                )
            } else {
                self.refuse(n, index, format!("input {:?} is not produced by a supported node", brief_str(&name)))
            }
        })
    }

    /// The first input of a window (Conv, MaxPool, AveragePool), with the padding of a Pad that
    /// made it (`Pads::default()` when none did).
    fn window_input(&self, n: &pb::NodeProto, index: usize) -> Result<(Act, Pads)> {
        match n.input.first().and_then(|i| self.padded.get(i)) {
            Some(&(a, pads)) => Ok((a, pads)),
            None => Ok((self.act(n, index, 0)?, Pads::default())),
        }
    }

    /// A Pad node: zeros (the constant mode's default value) on the spatial axes only; the
    /// padding waits for the window that reads it (`window_input`), and a Pad of nothing is no
    /// node at all.
    fn pad(&mut self, n: &pb::NodeProto, index: usize) -> Result<()> {
        let a = self.act(n, index, 0)?;
        let mode = attr_str(n, "mode").unwrap_or_else(|| "constant".into());
        if mode != "constant" {
            return Err(self.refuse(
                n,
                index,
                format!("mode {:?}: only zero (constant) padding folds into a Conv or MaxPool", brief_str(&mode)),
            ));
        }
        let pads: Vec<i64> = match attr_ints(n, "pads") {
            Some(p) => p,
            None => self.constant(n, index, 1)?.values.iter().map(|&v| v as i64).collect(),
        };
        let value = match n.input.get(2).filter(|s| !s.is_empty()) {
            Some(_) => self.constant(n, index, 2)?.values.first().copied().unwrap_or(0.0),
            None => attr_float(n, "value", 0.0) as f64,
        };
        if value != 0.0 || n.input.get(3).is_some_and(|s| !s.is_empty()) {
            return Err(self.refuse(
                n,
                index,
                format!("padding with {value} (or along given axes): zero padding of all four axes' pads is supported"),
            ));
        }
        // [begin of each axis..., end of each axis...]; height and width are axes 2, 3 (NCHW)
        // or 1, 2 (NHWC).
        let (hy, wx) = if a.nchw { (2, 3) } else { (1, 2) };
        let other = (0..4).filter(|&ax| ax != hy && ax != wx);
        if pads.len() != 8 || pads.iter().any(|&p| p < 0) || other.clone().any(|ax| pads[ax] != 0 || pads[ax + 4] != 0)
        {
            return Err(self.refuse(
                n,
                index,
                format!(
                    "pads {}: only non-negative padding of height and width (4-D, no cropping) is supported",
                    brief(&pads)
                ),
            ));
        }
        let side = |i: usize| -> Result<u32> {
            u32::try_from(pads[i])
                .ok()
                .filter(|&p| p <= qat_int8::limits::MAX_KERNEL)
                .ok_or_else(|| self.refuse(n, index, format!("pads {}: too large", brief(&pads))))
        };
        let p = Pads { top: side(hy)?, bottom: side(hy + 4)?, left: side(wx)?, right: side(wx + 4)? };
        if let Some(o) = n.output.first() {
            if p.is_zero() {
                self.values.insert(o.clone(), a);
            } else {
                self.padded.insert(o.clone(), (a, p));
            }
        }
        Ok(())
    }

    /// The padding of a window (`kernel` at `stride`) over `input` whose own padding is `own`
    /// (as the node gives it, for the input after `pre`, a Pad's padding, is added): the sum,
    /// each side less than the kernel, named "valid" or "same" where it is one of them.
    fn folded_padding(
        &self,
        n: &pb::NodeProto,
        index: usize,
        input: [u32; 3],
        pre: Pads,
        own: Padding,
        (kernel, stride): ([u32; 2], u32),
    ) -> Result<Padding> {
        if pre.is_zero() {
            return Ok(own);
        }
        let padded = [input[0] + pre.top + pre.bottom, input[1] + pre.left + pre.right, input[2]];
        let own = match own {
            Padding::Valid => Pads::default(),
            Padding::Explicit(p) => p,
            Padding::Same => qat_int8::shape::window([padded[0], padded[1]], kernel, stride, Padding::Same)
                .map(|w| w.pads)
                .ok_or_else(|| self.refuse(n, index, "the padded input is smaller than the kernel"))?,
        };
        let sum = Pads {
            top: pre.top + own.top,
            bottom: pre.bottom + own.bottom,
            left: pre.left + own.left,
            right: pre.right + own.right,
        };
        let same = qat_int8::shape::window([input[0], input[1]], kernel, stride, Padding::Same).map(|w| w.pads);
        if same == Some(sum) {
            return Ok(Padding::Same);
        }
        let padding = Padding::Explicit(sum);
        qat_int8::shape::check_pads(padding, kernel).map_err(|e| {
            self.refuse(n, index, format!("with the Pad before it folded in, its {e}; pad less before it"))
        })?;
        Ok(padding)
    }

    /// A pool's `ceil_mode = 1` as padding: output sizes rounded up (a last window that starts
    /// in the bottom or right padding dropped, as PyTorch and onnxruntime drop it) are the
    /// floor-mode sizes of an input padded further at the bottom and right. A max pool pads with
    /// the lowest value, so the extra rows never win; an average pool's extra windows average
    /// their in-bounds values (count_include_pad = 0), which average pooling here takes only
    /// without explicit padding, so it is refused where ceil and floor differ.
    #[allow(clippy::too_many_arguments)]
    fn ceil_padding(
        &self,
        n: &pb::NodeProto,
        index: usize,
        input: [u32; 3],
        padding: Padding,
        k: u32,
        s: u32,
        max_pool: bool,
    ) -> Result<Padding> {
        let Some(w) = qat_int8::shape::window([input[0], input[1]], [k, k], s, padding) else {
            return Ok(padding);
        };
        let p = w.pads;
        let extra = |size: u32, lead: u32, trail: u32| -> u32 {
            let padded = (size + lead + trail) as i64;
            let span = padded - k as i64;
            if span < 0 {
                return 0;
            }
            let mut out = (span + s as i64 - 1) / s as i64 + 1;
            if (out - 1) * s as i64 >= (size + lead) as i64 {
                out -= 1;
            }
            ((out - 1) * s as i64 + k as i64 - padded).max(0) as u32
        };
        let (down, across) = (extra(input[0], p.top, p.bottom), extra(input[1], p.left, p.right));
        if down == 0 && across == 0 {
            return Ok(padding);
        }
        if !max_pool {
            return Err(self.refuse(n, index, "ceil_mode = 1 rounds this average pool's output up, over windows partly outside the input; average pooling here takes no padding: export with ceil_mode=False"));
        }
        let padded = Padding::Explicit(Pads { bottom: p.bottom + down, right: p.right + across, ..p });
        qat_int8::shape::check_pads(padded, [k, k])
            .map_err(|e| self.refuse(n, index, format!("with ceil_mode = 1 as padding, its {e}")))?;
        Ok(padded)
    }

    /// Shape arithmetic on static shapes, folded to a constant: `Shape` of an activation (its
    /// batch 1; a dimension this graph cannot tell, that of a 1x1 NHWC value that may be flat,
    /// NaN, so that a reshape to it is refused) and `Gather`, `Unsqueeze`, `Squeeze`, `Concat`,
    /// `Cast`, `Slice` and integer `Add`, `Sub`, `Mul`, `Div` of constants, as
    /// `x.view(x.size(0), -1)` exports with a dynamic batch.
    /// `None` for any other node.
    fn shape_arithmetic(&self, n: &pb::NodeProto, index: usize, op: &str) -> Result<Option<Constant>> {
        let all_constant =
            !n.input.is_empty() && n.input.iter().all(|i| i.is_empty() || self.constants.contains_key(i));
        let input = |i: usize| self.constant(n, index, i);
        let small = |c: &Constant| -> Result<Vec<i64>> {
            if c.values.len() > 64 || c.values.iter().any(|v| !v.is_finite() || v.fract() != 0.0) {
                return Err(self.refuse(n, index, "shape arithmetic on more than 64 or non-integer values"));
            }
            Ok(c.values.iter().map(|&v| v as i64).collect())
        };
        let axis_of = |a: i64, rank: usize| -> Result<usize> {
            let r = rank as i64;
            if a < -r || a >= r.max(1) {
                return Err(self.refuse(n, index, format!("axis {a} of a rank-{rank} constant")));
            }
            Ok(a.rem_euclid(r.max(1)) as usize)
        };
        let folded = match op {
            "Shape" if self.values.contains_key(n.input.first().map_or("", |s| s.as_str())) => {
                let a = self.act(n, index, 0)?;
                let [h, w, c] = a.shape.map(|d| d as f64);
                let values = if a.nchw {
                    vec![1.0, c, h, w]
                } else if a.shape[..2] != [1, 1] {
                    vec![1.0, h, w, c]
                } else {
                    vec![1.0, f64::NAN, f64::NAN, f64::NAN]
                };
                Constant { dims: vec![4], values, integer: true }
            }
            "Cast" if all_constant => Constant { integer: matches!(attr_int(n, "to", 1), 6 | 7), ..input(0)?.clone() },
            "Gather" if all_constant => {
                let (data, idx) = (input(0)?, input(1)?);
                if data.dims.len() != 1 || attr_int(n, "axis", 0) != 0 {
                    return Err(self.refuse(n, index, "only a gather from a 1-D constant (a shape) is folded"));
                }
                let len = data.values.len();
                let picked = small(idx)?
                    .iter()
                    .map(|&i| axis_of(i, len).map(|i| data.values[i]))
                    .collect::<Result<Vec<f64>>>()?;
                Constant { dims: idx.dims.clone(), values: picked, integer: data.integer }
            }
            "Unsqueeze" | "Squeeze" if all_constant => {
                let c = input(0)?;
                let axes = match attr_ints(n, "axes") {
                    Some(a) => a,
                    None if n.input.len() > 1 && !n.input[1].is_empty() => small(input(1)?)?,
                    None => Vec::new(),
                };
                let dims = if op == "Unsqueeze" {
                    let rank = c.dims.len() + axes.len();
                    let at: Vec<usize> = axes.iter().map(|&a| axis_of(a, rank)).collect::<Result<_>>()?;
                    let mut rest = c.dims.iter();
                    (0..rank).map(|i| if at.contains(&i) { 1 } else { rest.next().copied().unwrap_or(1) }).collect()
                } else {
                    let at: Vec<usize> = axes.iter().map(|&a| axis_of(a, c.dims.len())).collect::<Result<_>>()?;
                    c.dims
                        .iter()
                        .enumerate()
                        .filter(|&(i, &d)| !(at.contains(&i) || at.is_empty() && d == 1))
                        .map(|(_, &d)| d)
                        .collect()
                };
                Constant { dims, values: c.values.clone(), integer: c.integer }
            }
            "Concat" if all_constant => {
                let parts: Vec<&Constant> = (0..n.input.len()).map(input).collect::<Result<_>>()?;
                if parts.iter().any(|p| p.dims.len() > 1) {
                    return Err(self.refuse(n, index, "only a concat of 1-D constants (shapes) is folded"));
                }
                let values: Vec<f64> = parts.iter().flat_map(|p| p.values.iter().copied()).collect();
                Constant { dims: vec![values.len()], values, integer: parts.iter().all(|p| p.integer) }
            }
            "Slice" if all_constant => {
                let data = input(0)?;
                if data.dims.len() != 1 {
                    return Err(self.refuse(n, index, "only a slice of a 1-D constant (a shape) is folded"));
                }
                let len = data.values.len() as i64;
                let one = |i: usize, default: i64| -> Result<i64> {
                    match n.input.get(i).filter(|s| !s.is_empty()) {
                        Some(_) => small(input(i)?)?
                            .first()
                            .copied()
                            .ok_or_else(|| self.refuse(n, index, "an empty slice bound")),
                        None => Ok(default),
                    }
                };
                let (start, end, step) = (one(1, 0)?, one(2, len)?, one(4, 1)?);
                if step != 1 || one(3, 0)? != 0 {
                    return Err(self.refuse(n, index, "only a slice along axis 0 with step 1 is folded"));
                }
                let clamp = |v: i64| (if v < 0 { v + len } else { v }).clamp(0, len) as usize;
                let values = data.values[clamp(start)..clamp(end).max(clamp(start))].to_vec();
                Constant { dims: vec![values.len()], values, integer: data.integer }
            }
            // Integer arithmetic on shapes (ShuffleNet's channels // groups), element by element
            // or against one value.
            "Add" | "Sub" | "Mul" | "Div"
                if all_constant && n.input.len() == 2 && input(0)?.integer && input(1)?.integer =>
            {
                let (a, b) = (input(0)?, input(1)?);
                let (a_vals, b_vals) = (small(a)?, small(b)?);
                let len = a_vals.len().max(b_vals.len());
                if !(a_vals.len() == len || a_vals.len() == 1) || !(b_vals.len() == len || b_vals.len() == 1) {
                    return Err(self.refuse(n, index, "integer arithmetic on constants of different lengths"));
                }
                let at = |v: &[i64], i: usize| v[if v.len() == 1 { 0 } else { i }];
                let values = (0..len)
                    .map(|i| {
                        let (x, y) = (at(&a_vals, i), at(&b_vals, i));
                        match op {
                            "Add" => x.checked_add(y),
                            "Sub" => x.checked_sub(y),
                            "Mul" => x.checked_mul(y),
                            _ => x.checked_div(y),
                        }
                        .map(|v| v as f64)
                        .ok_or_else(|| {
                            self.refuse(
                                n,
                                index,
                                format!("{x} and {y}: the integer arithmetic overflows or divides by zero"),
                            )
                        })
                    })
                    .collect::<Result<Vec<f64>>>()?;
                let dims = if a_vals.len() >= b_vals.len() { a.dims.clone() } else { b.dims.clone() };
                Constant { dims, values, integer: true }
            }
            _ => return Ok(None),
        };
        Ok(Some(folded))
    }

    fn constant(&self, n: &pb::NodeProto, index: usize, i: usize) -> Result<&Constant> {
        let name = n.input.get(i).cloned().unwrap_or_default();
        self.constants.get(&name).ok_or_else(|| {
            self.refuse(n, index, format!("input {:?} must be a constant (initializer)", brief_str(&name)))
        })
    }

    /// Adds a node, checking its shapes; returns its index and output shape.
    fn push(
        &mut self,
        n: &pb::NodeProto,
        index: usize,
        name: String,
        layer: Layer,
        inputs: Vec<usize>,
    ) -> Result<(usize, [u32; 3])> {
        let ins: Vec<[u32; 3]> = inputs.iter().map(|&t| self.shapes[t]).collect();
        let shape = layer.shape_op().infer(&ins).map_err(|e| self.refuse(n, index, e))?;
        let mut unique = name.replace(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'), "_");
        if unique.is_empty() || unique == crate::model::file::INPUT {
            unique = format!("node{}", self.nodes.len());
        }
        let count = self.names.entry(unique.clone()).or_default();
        *count += 1;
        if *count > 1 {
            unique = format!("{unique}_{count}");
        }
        self.nodes.push(Node { name: unique, layer, inputs });
        self.shapes.push(shape);
        Ok((self.nodes.len() - 1, shape))
    }

    fn output(&mut self, n: &pb::NodeProto, act: Act) {
        if let Some(o) = n.output.first() {
            self.values.insert(o.clone(), act);
        }
    }

    /// The node that made `a` (an activation made by a node), if only one reader reads it.
    fn sole_producer(&self, n: &pb::NodeProto, a: Act) -> Option<usize> {
        let only = n.input.first().is_some_and(|i| self.readers.get(i).copied().unwrap_or(0) == 1);
        (a.tensor > 0 && only).then(|| a.tensor - 1)
    }

    fn node(&mut self, n: &pb::NodeProto, index: usize, graph_outputs: &[String]) -> Result<()> {
        let op = n.op_type.clone().unwrap_or_default();
        let name = node_name(n, index);
        if let Some(c) = self.shape_arithmetic(n, index, &op)? {
            if let Some(o) = n.output.first() {
                self.constants.insert(o.clone(), c);
            }
            return Ok(());
        }
        match op.as_str() {
            "Constant" => {
                let t = attr(n, "value").and_then(|a| a.t.as_ref()).ok_or_else(|| self.refuse(n, index, "only tensor constants are read"))?;
                let c = tensor_values(t).map_err(|e| self.refuse(n, index, e))?;
                if let Some(o) = n.output.first() {
                    self.constants.insert(o.clone(), c);
                }
            }
            // torch.onnx.export shares equal initializers (all-zero biases, for one) through
            // Identity nodes: an Identity of a constant is that constant.
            "Identity" if n.input.first().is_some_and(|i| self.constants.contains_key(i)) => {
                let c = self.constant(n, index, 0)?.clone();
                if let Some(o) = n.output.first() {
                    self.constants.insert(o.clone(), c);
                }
            }
            "Identity" | "Dropout" => {
                let a = self.act(n, index, 0)?;
                self.output(n, a);
            }
            "Transpose" => {
                let a = self.act(n, index, 0)?;
                let perm = attr_ints(n, "perm").unwrap_or_default();
                let nchw = match perm.as_slice() {
                    [0, 3, 1, 2] if !a.nchw => true,
                    [0, 2, 3, 1] if a.nchw => false,
                    _ => return Err(self.refuse(n, index, format!("permutation {}: only NHWC <-> NCHW transposes of activations are followed", brief(&perm)))),
                };
                self.output(n, Act { nchw, ..a });
            }
            "Pad" => self.pad(n, index)?,
            "Conv" => self.conv(n, index, name)?,
            "BatchNormalization" => self.batch_norm(n, index)?,
            "Relu" | "Clip" => {
                let a = self.act(n, index, 0)?;
                let act = if op == "Relu" {
                    Activation::Relu
                } else {
                    let bound = |i: usize, attr_name: &str, default: f32| -> Result<f32> {
                        match n.input.get(i).filter(|s| !s.is_empty()) {
                            Some(_) => {
                                let c = self.constant(n, index, i)?;
                                c.values.first().map(|&v| v as f32).ok_or_else(|| self.refuse(n, index, "an empty bound"))
                            }
                            None => Ok(attr_float(n, attr_name, default)),
                        }
                    };
                    let (lo, hi) = (bound(1, "min", f32::MIN)?, bound(2, "max", f32::MAX)?);
                    match (lo, hi) {
                        (0.0, 6.0) => Activation::Relu6,
                        (0.0, h) if h >= f32::MAX => Activation::Relu,
                        _ => return Err(self.refuse(n, index, format!("Clip({lo}, {hi}): only Clip(0, 6) (ReLU6) is supported"))),
                    }
                };
                let k = self
                    .sole_producer(n, a)
                    .filter(|&k| self.nodes[k].layer.activation() == Activation::None)
                    .ok_or_else(|| self.refuse(n, index, "an activation must directly follow the conv, dense or Add it applies to (and be its only reader)"))?;
                let ok = match &mut self.nodes[k].layer {
                    Layer::Conv2d(c) => { c.activation = act; true }
                    Layer::DepthwiseConv2d(c) => { c.activation = act; true }
                    Layer::Dense(d) => { d.activation = act; true }
                    Layer::Add(d) => { d.activation = act; true }
                    _ => false,
                };
                if !ok {
                    return Err(self.refuse(n, index, format!("follows a {} layer; activations fuse into conv, dense or Add", self.nodes[k].layer.op_name())));
                }
                self.output(n, a);
            }
            "Add" | "Mul" if self.constants.contains_key(n.input.get(1).map_or("", |s| s.as_str())) => {
                self.affine(n, index, op == "Mul")?;
            }
            "Add" => {
                let (a, b) = (self.act(n, index, 0)?, self.act(n, index, 1)?);
                if a.shape != b.shape || a.nchw != b.nchw {
                    return Err(self.refuse(n, index, format!("adds {:?} and {:?}: only activations of one shape (no broadcasting)", a.shape, b.shape)));
                }
                let (k, _) = self.push(n, index, name, Layer::Add(Add { activation: Activation::None }), vec![a.tensor, b.tensor])?;
                self.output(n, Act { tensor: k + 1, ..a });
            }
            "Squeeze" => {
                let a = self.act(n, index, 0)?;
                if a.shape[..2] != [1, 1] {
                    return Err(self.refuse(n, index, format!("squeezes a {:?} tensor: only the 1x1 output of a global pooling", a.shape)));
                }
                self.output(n, Act { nchw: false, chw_order: None, ..a });
            }
            "Concat" => {
                let parts: Vec<Act> = (0..n.input.len()).map(|i| self.act(n, index, i)).collect::<Result<_>>()?;
                let Some(&first) = parts.first() else { return Err(self.refuse(n, index, "no inputs")) };
                let axis = attr_int(n, "axis", 1);
                let channel_axis = if first.nchw { [1, -3] } else { [3, -1] };
                if !channel_axis.contains(&axis) || parts.iter().any(|p| p.shape[..2] != first.shape[..2] || p.nchw != first.nchw) {
                    return Err(self.refuse(n, index, format!("axis {axis}: only a concat of same-size activations along channels is supported")));
                }
                let (k, shape) = self.push(n, index, name, Layer::Concat(Concat), parts.iter().map(|p| p.tensor).collect())?;
                self.output(n, Act { tensor: k + 1, shape, ..first });
            }
            "MaxPool" | "AveragePool" => {
                let (a, pre) = self.window_input(n, index)?;
                let kernel = attr_ints(n, "kernel_shape").unwrap_or_default();
                let strides = attr_ints(n, "strides").unwrap_or_else(|| vec![1, 1]);
                let (Some(&k), Some(&s)) = (kernel.first(), strides.first()) else {
                    return Err(self.refuse(n, index, "no kernel_shape"));
                };
                let unpadded = pre.is_zero() && attr_ints(n, "pads").is_none_or(|p| p.iter().all(|&v| v == 0));
                let whole = kernel.len() == 2 && kernel[0] == a.shape[0] as i64 && kernel[1] == a.shape[1] as i64;
                if op == "AveragePool" && whole && unpadded && attr_int(n, "ceil_mode", 0) == 0 {
                    // One window over the whole input (DS-CNN's 25x5 pool, ResNet-8's 8x8): the
                    // mean over height and width.
                    let (k_node, shape) = self.push(n, index, name, Layer::GlobalAvgPool(GlobalAvgPool), vec![a.tensor])?;
                    self.output(n, Act { tensor: k_node + 1, shape, ..a });
                    return Ok(());
                }
                if kernel.len() != 2 || strides.len() != 2 || kernel[1] != k || strides[1] != s {
                    return Err(self.refuse(n, index, format!("kernel_shape {}, strides {}: square windows and equal strides only (or one window over the whole input, read as global average pooling)", brief(&kernel), brief(&strides))));
                }
                let max = qat_int8::limits::MAX_KERNEL;
                let (k, s) = (self.size(n, index, "kernel_shape", k, max)?, self.size(n, index, "strides", s, max)?);
                for attr_name in ["dilations"] {
                    if attr_ints(n, attr_name).is_some_and(|d| d.iter().any(|&v| v != 1)) {
                        return Err(self.refuse(n, index, format!("{attr_name} {}: no dilation only", brief(&attr_ints(n, attr_name).unwrap_or_default()))));
                    }
                }
                if !pre.is_zero() {
                    let relu = a.tensor > 0
                        && matches!(self.nodes[a.tensor - 1].layer.activation(), Activation::Relu | Activation::Relu6);
                    if op == "AveragePool" {
                        return Err(self.refuse(n, index, "a zero Pad before an AveragePool counts the padded zeros in its averages; average pooling here averages in-bounds values only (count_include_pad = 0): remove the Pad or pad inside the pool"));
                    }
                    if !relu {
                        return Err(self.refuse(n, index, "a zero Pad before a MaxPool is a max pool's padding only where the values are never negative (after a ReLU); here they may be"));
                    }
                }
                let padded = [a.shape[0] + pre.top + pre.bottom, a.shape[1] + pre.left + pre.right, a.shape[2]];
                let own = self.padding(n, index, padded, [k, k], s)?;
                let mut padding = self.folded_padding(n, index, a.shape, pre, own, ([k, k], s))?;
                if attr_int(n, "ceil_mode", 0) != 0 {
                    padding = self.ceil_padding(n, index, a.shape, padding, k, s, op == "MaxPool")?;
                }
                let layer = if op == "MaxPool" {
                    Layer::MaxPool(MaxPool { size: k, stride: s, padding })
                } else {
                    if let Padding::Explicit(_) = padding {
                        return Err(self.refuse(n, index, format!("pads {}: average pooling takes no padding or TensorFlow's \"same\" padding here; export the pool without padding", brief(&attr_ints(n, "pads").unwrap_or_default()))));
                    }
                    if padding == Padding::Same && attr_int(n, "count_include_pad", 0) != 0 {
                        return Err(self.refuse(n, index, "count_include_pad = 1: padded windows average over their in-bounds values only here"));
                    }
                    Layer::AvgPool(AvgPool { size: k, stride: s, padding })
                };
                let (k_node, shape) = self.push(n, index, name, layer, vec![a.tensor])?;
                self.output(n, Act { tensor: k_node + 1, shape, ..a });
            }
            "GlobalAveragePool" | "ReduceMean" => {
                let a = self.act(n, index, 0)?;
                if op == "ReduceMean" {
                    let axes = match attr_ints(n, "axes") {
                        Some(a) => a,
                        None => self.constant(n, index, 1)?.values.iter().map(|&v| v as i64).collect(),
                    };
                    if attr_int(n, "keepdims", 1) != 1 && !a.nchw {
                        return Err(self.refuse(n, index, "keepdims = 0 over NHWC is not supported"));
                    }
                    let spatial = if a.nchw { [2, 3] } else { [1, 2] };
                    if axes.len() != 2 || !spatial.iter().all(|x| axes.contains(x)) {
                        return Err(self.refuse(n, index, format!("axes {}: only the mean over height and width is supported", brief(&axes))));
                    }
                }
                let (k, shape) = self.push(n, index, name, Layer::GlobalAvgPool(GlobalAvgPool), vec![a.tensor])?;
                self.output(n, Act { tensor: k + 1, shape, ..a });
            }
            "Flatten" | "Reshape" => {
                let a = self.act(n, index, 0)?;
                if op == "Flatten" && attr_int(n, "axis", 1) != 1 {
                    return Err(self.refuse(n, index, "only Flatten(axis = 1) is supported"));
                }
                if op == "Reshape" {
                    let target = self.constant(n, index, 1).map_err(|_| {
                        self.refuse(n, index, "the target shape must be a constant: export with torch.flatten(x, 1) or a fixed shape")
                    })?;
                    // tf2onnx turns a one-channel NHWC input into NCHW with a Reshape, and a
                    // classifier head makes a pooled [batch, C] tensor [batch, C, 1, 1] or
                    // [batch, 1, 1, C] again: the same bytes.
                    let [h, w, c] = a.shape.map(|d| d as f64);
                    let dims = &target.values;
                    if dims.len() == 4 && (a.shape[2] == 1 || a.shape[..2] == [1, 1]) {
                        let as_nchw = dims[1..] == [c, h, w];
                        let as_nhwc = dims[1..] == [h, w, c];
                        if as_nchw || as_nhwc {
                            self.output(n, Act { nchw: if as_nchw && as_nhwc { a.nchw } else { as_nchw }, ..a });
                            return Ok(());
                        }
                    }
                    let units = a.shape.iter().map(|&d| d as f64).product::<f64>();
                    let ok = target.values.len() == 2 && (target.values[1] == -1.0 || target.values[1] == units);
                    if !ok {
                        let shown: Vec<String> = target
                            .values
                            .iter()
                            .map(|v| if v.fract() == 0.0 { format!("{}", *v as i64) } else { format!("{v}") })
                            .collect();
                        let shuffle = if target.values.len() == 5 {
                            " (a channel shuffle, as ShuffleNet's view to [batch, groups, channels / groups, H, W], is not supported)"
                        } else {
                            ""
                        };
                        return Err(self.refuse(n, index, format!("reshape to {}: only [batch, -1] (a flatten) is supported{shuffle}", brief_str(&format!("[{}]", shown.join(", "))))));
                    }
                }
                let units = a.shape.iter().map(|&d| d as u64).product::<u64>().min(u32::MAX as u64) as u32;
                let spatial = a.shape[0] * a.shape[1] > 1;
                let chw_order = (spatial && a.nchw).then_some(a.shape);
                let act = if a.shape[..2] == [1, 1] {
                    Act { chw_order: None, ..a }
                } else {
                    let (k, shape) = self.push(n, index, name, Layer::Flatten(Flatten), vec![a.tensor])?;
                    debug_assert_eq!(shape, [1, 1, units]);
                    Act { tensor: k + 1, shape, nchw: false, chw_order }
                };
                self.output(n, act);
            }
            "Gemm" | "MatMul" => self.dense(n, index, name, op == "Gemm")?,
            // Both keep the logits' order, so top-1 is the same without them.
            "Softmax" | "LogSoftmax" => {
                let is_last = n.output.first().is_some_and(|o| graph_outputs.contains(o));
                if !is_last {
                    return Err(self.refuse(n, index, format!("only a {op} at the end of the graph is supported (it is dropped: our models output logits)")));
                }
                let a = self.act(n, index, 0)?;
                self.notes.push(format!("dropped the trailing {op} {name:?}: the model outputs logits"));
                self.output(n, a);
            }
            "Slice" | "Gather" => {
                return Err(self.refuse(
                    n,
                    index,
                    format!("{op} of an activation (a crop or a gather of its values, as NASNet's Cropping2D) is not supported; {op} is folded only in shape arithmetic on constants"),
                ))
            }
            other => {
                return Err(self.refuse(
                    n,
                    index,
                    format!("op {} is not supported; supported: Conv, BatchNormalization, Relu, Clip(0, 6), Add, Concat, MaxPool, AveragePool, GlobalAveragePool, ReduceMean, Pad (zeros, before Conv or MaxPool), Flatten, Reshape, Gemm, MatMul, Softmax or LogSoftmax (last), Identity, Dropout, Transpose (NHWC/NCHW), and shape arithmetic on static shapes (Shape, Gather, Unsqueeze, Squeeze, Concat, Cast, Slice, integer Add, Sub, Mul, Div)", brief_str(other)),
                ))
            }
        }
        Ok(())
    }

    /// Same or valid padding from `pads` / `auto_pad` for a window over an `input` tensor.
    fn padding(
        &self,
        n: &pb::NodeProto,
        index: usize,
        input: [u32; 3],
        kernel: [u32; 2],
        stride: u32,
    ) -> Result<Padding> {
        match attr_str(n, "auto_pad").as_deref() {
            Some("SAME_UPPER") => return Ok(Padding::Same),
            Some("VALID") => return Ok(Padding::Valid),
            Some("SAME_LOWER") => {
                return Err(self.refuse(
                    n,
                    index,
                    "auto_pad SAME_LOWER puts the larger half first; TensorFlow's \"same\" (SAME_UPPER) is supported",
                ))
            }
            _ => {}
        }
        let pads = attr_ints(n, "pads").unwrap_or_else(|| vec![0; 4]);
        if pads.iter().all(|&p| p == 0) {
            return Ok(Padding::Valid);
        }
        let (t, b) = same_pads(input[0], kernel[0], stride);
        let (l, r) = same_pads(input[1], kernel[1], stride);
        if pads == [t, l, b, r] {
            return Ok(Padding::Same);
        }
        // ONNX orders pads [top, left, bottom, right]; each side must be less than the kernel.
        let fits = |p: i64, k: u32| (0..k as i64).contains(&p);
        if pads.len() == 4
            && fits(pads[0], kernel[0])
            && fits(pads[2], kernel[0])
            && fits(pads[1], kernel[1])
            && fits(pads[3], kernel[1])
        {
            let side = |i: usize| pads[i] as u32;
            return Ok(Padding::Explicit(Pads { top: side(0), bottom: side(2), left: side(1), right: side(3) }));
        }
        Err(self.refuse(
            n,
            index,
            format!(
                "pads {}: padding is supported as [top, left, bottom, right] with each side less than the {}x{} kernel; pad less, or pad the input in the model before it",
                brief(&pads),
                kernel[0],
                kernel[1]
            ),
        ))
    }

    fn conv(&mut self, n: &pb::NodeProto, index: usize, name: String) -> Result<()> {
        let (a, pre) = self.window_input(n, index)?;
        let w = self.constant(n, index, 1)?.clone();
        // One pixel is the same bytes in either layout (a dense layer's output read by a conv).
        let one_pixel = a.shape[..2] == [1, 1];
        if !a.nchw && !one_pixel {
            return Err(self.refuse(n, index, "its input is NHWC; ONNX Conv takes NCHW"));
        }
        let [o, i, kh, kw] = match w.dims[..] {
            [o, i, kh, kw] => [o, i, kh, kw],
            _ => {
                return Err(self.refuse(
                    n,
                    index,
                    format!("weights of shape {}; 2-D convolutions have [O, I, KH, KW]", brief(&w.dims)),
                ))
            }
        };
        use qat_int8::limits::{MAX_DIM, MAX_KERNEL};
        self.dim(n, index, "weight dimension O", o, MAX_DIM)?;
        self.dim(n, index, "weight dimension I", i, MAX_DIM)?;
        let (kh_, kw_) =
            (self.dim(n, index, "kernel height", kh, MAX_KERNEL)?, self.dim(n, index, "kernel width", kw, MAX_KERNEL)?);
        if let Some(k) = attr_ints(n, "kernel_shape") {
            if k != [kh as i64, kw as i64] {
                return Err(self.refuse(
                    n,
                    index,
                    format!("kernel_shape {} does not match the weights' {kh} x {kw}", brief(&k)),
                ));
            }
        }
        let group = self.size(n, index, "group", attr_int(n, "group", 1), MAX_DIM)? as usize;
        let strides = attr_ints(n, "strides").unwrap_or_else(|| vec![1, 1]);
        let dil = attr_ints(n, "dilations").unwrap_or_else(|| vec![1, 1]);
        if strides.len() != 2 || strides[0] != strides[1] || dil.iter().any(|&d| d != 1) {
            return Err(self.refuse(
                n,
                index,
                format!("strides {}, dilations {}: equal strides and no dilation only", brief(&strides), brief(&dil)),
            ));
        }
        let stride = self.size(n, index, "strides", strides[0], MAX_KERNEL)?;
        let padded = [a.shape[0] + pre.top + pre.bottom, a.shape[1] + pre.left + pre.right, a.shape[2]];
        let own = self.padding(n, index, padded, [kh_, kw_], stride)?;
        let padding = self.folded_padding(n, index, a.shape, pre, own, ([kh_, kw_], stride))?;
        let bias = match n.input.get(2).filter(|s| !s.is_empty()) {
            Some(_) => self.constant(n, index, 2)?.values.iter().map(|&v| v as f32).collect(),
            None => vec![0.0; o],
        };
        let c = a.shape[2] as usize;
        let (layer, weight) = if group == 1 && i == c {
            // [O, I, KH, KW] -> OHWI.
            let mut v = vec![0f32; o * kh * kw * i];
            for (idx, val) in v.iter_mut().enumerate() {
                let (oo, rest) = (idx / (kh * kw * i), idx % (kh * kw * i));
                let (y, rest) = (rest / (kw * i), rest % (kw * i));
                let (x, ii) = (rest / i, rest % i);
                *val = w.values[((oo * i + ii) * kh + y) * kw + x] as f32;
            }
            let layer = Conv2d {
                filters: o as u32,
                kernel: [kh as u32, kw as u32],
                stride,
                padding,
                batch_norm: false,
                activation: Activation::None,
            };
            // A 1x1 conv of a 1x1 input (a classifier head after pooling) is a dense layer: the
            // same weights, [O, C].
            let pointwise_of_one_pixel = a.shape[..2] == [1, 1] && [kh, kw] == [1, 1] && stride == 1;
            if pointwise_of_one_pixel && matches!(padding, Padding::Valid | Padding::Same) {
                (Layer::Dense(Dense { units: o as u32, activation: Activation::None }), v)
            } else {
                (Layer::Conv2d(layer), v)
            }
        } else if group == c && o == c && i == 1 {
            // [C, 1, KH, KW] -> [KH, KW, C].
            let mut v = vec![0f32; kh * kw * c];
            for (idx, val) in v.iter_mut().enumerate() {
                let (tap, ch) = (idx / c, idx % c);
                *val = w.values[ch * kh * kw + tap] as f32;
            }
            let layer = DepthwiseConv2d {
                kernel: [kh as u32, kw as u32],
                stride,
                padding,
                batch_norm: false,
                activation: Activation::None,
            };
            (Layer::DepthwiseConv2d(layer), v)
        } else {
            return Err(self.refuse(n, index, format!("group {group} with {c} input channels and weights {}: plain (group 1) and depthwise (group = channels, one filter each) convolutions only", brief(&w.dims))));
        };
        if bias.len() != o {
            return Err(self.refuse(n, index, format!("{} biases for {o} filters", bias.len())));
        }
        let (k, shape) = self.push(n, index, name, layer, vec![a.tensor])?;
        self.params.insert(k, HostParams { weight, bias, bn: None });
        // ONNX's Conv writes NCHW (of one pixel, where it is our dense layer).
        self.output(n, Act { tensor: k + 1, shape, nchw: true, ..a });
        Ok(())
    }

    fn batch_norm(&mut self, n: &pb::NodeProto, index: usize) -> Result<()> {
        let a = self.act(n, index, 0)?;
        let k = self
            .sole_producer(n, a)
            .filter(|&k| matches!(&self.nodes[k].layer, Layer::Conv2d(c) if !c.batch_norm && c.activation == Activation::None) || matches!(&self.nodes[k].layer, Layer::DepthwiseConv2d(c) if !c.batch_norm && c.activation == Activation::None))
            .ok_or_else(|| self.refuse(n, index, "batch norm is supported right after a conv (its only reader), before any activation"))?;
        let get = |i: usize| -> Result<Vec<f64>> { Ok(self.constant(n, index, i)?.values.clone()) };
        let (gamma, beta, mean, var) = (get(1)?, get(2)?, get(3)?, get(4)?);
        let eps = attr_float(n, "epsilon", 1e-5) as f64;
        let Some(bias) = self.params.get(&k).map(|p| p.bias.clone()) else {
            return Err(self.bad("internal: conv without parameters"));
        };
        let c = bias.len();
        if [&gamma, &beta, &mean, &var].iter().any(|v| v.len() != c) {
            return Err(self.refuse(n, index, format!("batch-norm parameters are not {c} values each")));
        }
        // BN(conv + b) = gamma (conv - (mean - b)) / sqrt(var + eps) + beta, with our epsilon.
        let bn = HostBn {
            gamma: gamma.iter().map(|&v| v as f32).collect(),
            beta: beta.iter().map(|&v| v as f32).collect(),
            moving_mean: mean.iter().zip(&bias).map(|(&m, &b)| (m - b as f64) as f32).collect(),
            moving_var: var.iter().map(|&v| (v + eps - EPSILON as f64) as f32).collect(),
        };
        if let Some(i) = bn.moving_var.iter().position(|&v| v + EPSILON <= 0.0 || !v.is_finite()) {
            return Err(self.refuse(
                n,
                index,
                format!("channel {i}: variance {} + epsilon {eps} is not positive", var[i]),
            ));
        }
        if let Some(p) = self.params.get_mut(&k) {
            p.bn = Some(bn);
            p.bias = Vec::new();
        }
        match &mut self.nodes[k].layer {
            Layer::Conv2d(cv) => cv.batch_norm = true,
            Layer::DepthwiseConv2d(cv) => cv.batch_norm = true,
            _ => {}
        }
        self.output(n, a);
        Ok(())
    }

    /// Add or Mul of a constant (per channel or scalar) right after a conv, depthwise or dense
    /// layer without batch norm or activation: folded into its weights and bias (tf2onnx writes
    /// a folded batch norm this way, and MatMul + Add for a dense layer).
    fn affine(&mut self, n: &pb::NodeProto, index: usize, mul: bool) -> Result<()> {
        let a = self.act(n, index, 0)?;
        let c = self.constant(n, index, 1)?.clone();
        let k = self
            .sole_producer(n, a)
            .filter(|&k| match &self.nodes[k].layer {
                Layer::Conv2d(l) => !l.batch_norm && l.activation == Activation::None,
                Layer::DepthwiseConv2d(l) => !l.batch_norm && l.activation == Activation::None,
                Layer::Dense(l) => l.activation == Activation::None,
                _ => false,
            })
            .ok_or_else(|| self.refuse(n, index, "a constant Add or Mul is supported right after a conv or dense layer without batch norm or activation (its only reader)"))?;
        let channels = a.shape[2] as usize;
        let per_channel = c.values.len() == channels && c.dims.iter().filter(|&&d| d != 1).count() <= 1;
        if !(per_channel || c.values.len() == 1) {
            return Err(self.refuse(
                n,
                index,
                format!("a constant of shape {}: one value per channel ({channels}) or one value", brief(&c.dims)),
            ));
        }
        let at = |ch: usize| c.values[if c.values.len() == 1 { 0 } else { ch }] as f32;
        let depthwise = matches!(self.nodes[k].layer, Layer::DepthwiseConv2d(_));
        let p =
            self.params.get_mut(&k).ok_or_else(|| QatError::Invalid("internal: a layer without parameters".into()))?;
        if mul {
            let inner = p.weight.len() / channels.max(1);
            for (i, w) in p.weight.iter_mut().enumerate() {
                *w *= at(if depthwise { i % channels } else { i / inner.max(1) });
            }
            for (ch, b) in p.bias.iter_mut().enumerate() {
                *b *= at(ch);
            }
        } else {
            for (ch, b) in p.bias.iter_mut().enumerate() {
                *b += at(ch);
            }
        }
        self.output(n, a);
        Ok(())
    }

    fn dense(&mut self, n: &pb::NodeProto, index: usize, name: String, gemm: bool) -> Result<()> {
        let a = self.act(n, index, 0)?;
        if a.shape[..2] != [1, 1] {
            return Err(self.refuse(n, index, format!("input of shape {:?}: flatten it first", a.shape)));
        }
        let w = self.constant(n, index, 1)?.clone();
        let trans_b = gemm && attr_int(n, "transB", 0) != 0;
        if gemm
            && (attr_int(n, "transA", 0) != 0
                || attr_float(n, "alpha", 1.0) != 1.0
                || attr_float(n, "beta", 1.0) != 1.0)
        {
            return Err(self.refuse(n, index, "transA, alpha and beta must be 0, 1 and 1"));
        }
        let [rows, cols] = match w.dims[..] {
            [r, c] => [r, c],
            _ => {
                return Err(self.refuse(
                    n,
                    index,
                    format!("weights of shape {}; a dense layer has 2-D weights", brief(&w.dims)),
                ))
            }
        };
        let (units, inputs) = if trans_b { (rows, cols) } else { (cols, rows) };
        if inputs != a.shape[2] as usize {
            return Err(self.refuse(n, index, format!("weights {} for {} inputs", brief(&w.dims), a.shape[2])));
        }
        // Our layout [out, in], in the NHWC flattening of the input.
        let onnx_index = |i_ours: usize| -> usize {
            match a.chw_order {
                Some([h, wd, c]) => {
                    let (h, wd, c) = (h as usize, wd as usize, c as usize);
                    let (pix, ch) = (i_ours / c, i_ours % c);
                    let (y, x) = (pix / wd, pix % wd);
                    (ch * h + y) * wd + x
                }
                None => i_ours,
            }
        };
        let mut weight = vec![0f32; units * inputs];
        for o in 0..units {
            for i in 0..inputs {
                let src = onnx_index(i);
                weight[o * inputs + i] = w.values[if trans_b { o * inputs + src } else { src * units + o }] as f32;
            }
        }
        let bias = match n.input.get(2).filter(|s| !s.is_empty()) {
            Some(_) if gemm => {
                let c = self.constant(n, index, 2)?;
                if c.values.len() != units {
                    return Err(self.refuse(n, index, format!("{} biases for {units} units", c.values.len())));
                }
                c.values.iter().map(|&v| v as f32).collect()
            }
            _ => vec![0.0; units],
        };
        let (k, _) = self.push(
            n,
            index,
            name,
            Layer::Dense(Dense { units: units as u32, activation: Activation::None }),
            vec![a.tensor],
        )?;
        self.params.insert(k, HostParams { weight, bias, bn: None });
        self.output(n, Act { tensor: k + 1, shape: [1, 1, units as u32], nchw: false, chw_order: None });
        Ok(())
    }
}
