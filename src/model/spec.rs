//! Model specs: a DAG of named layers, each reading one or more tensors. Tensor 0 is the model
//! input; tensor k + 1 is the output of node k. Nodes are kept in topological order, so a node
//! only reads tensors made before it. Shapes are NHWC without the batch, [h, w, c]; flat
//! tensors are [1, 1, units].

use crate::model::kinds::Layer;
use crate::{QatError, Result};
use qat_int8::limits;
use qat_int8::shape::elements;

/// One layer of the graph and the tensors it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The layer's unique name.
    pub name: String,
    /// What it computes.
    pub layer: Layer,
    /// Tensor ids: 0 is the model input, k + 1 the output of node k (always k < this node).
    pub inputs: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
/// A model: its input shape and its DAG of named layers.
pub struct ModelSpec {
    /// The model's name (built-in name or spec file's).
    pub name: String,
    /// Input shape [h, w, c].
    pub input: [u32; 3],
    /// In topological order; the last node is the model output (the logits).
    pub nodes: Vec<Node>,
}

/// Names accepted by `--model` besides spec files.
pub const BUILTINS: &[&str] = &["mnist-cnn", "mnist-dwbn", "mnist-resnet", "cifar-resnet8"];

impl ModelSpec {
    /// Sequential graph: each layer reads the previous one.
    pub fn sequential(name: &str, input: [u32; 3], layers: Vec<(&str, Layer)>) -> ModelSpec {
        let nodes = layers
            .into_iter()
            .enumerate()
            .map(|(k, (n, layer))| Node { name: n.into(), layer, inputs: vec![k] })
            .collect();
        ModelSpec { name: name.into(), input, nodes }
    }

    /// Input shape of node `k`'s i-th input.
    pub fn tensor_shape(&self, shapes: &[[u32; 3]], tensor: usize) -> [u32; 3] {
        if tensor == 0 {
            self.input
        } else {
            shapes[tensor - 1]
        }
    }

    /// Output shape of every node, in order; errors name the layer and the shapes.
    pub fn shapes(&self) -> Result<Vec<[u32; 3]>> {
        if self.input.iter().any(|&d| d == 0 || d > limits::MAX_DIM)
            || elements(self.input) > limits::MAX_TENSOR_ELEMENTS
        {
            return Err(QatError::Invalid(format!(
                "model {}: input shape {:?} must have dimensions in 1..={} and at most {} elements",
                self.name,
                self.input,
                limits::MAX_DIM,
                limits::MAX_TENSOR_ELEMENTS
            )));
        }
        if self.nodes.len() > limits::MAX_LAYERS {
            return Err(QatError::Invalid(format!(
                "model {}: {} layers is more than the limit of {}",
                self.name,
                self.nodes.len(),
                limits::MAX_LAYERS
            )));
        }
        let mut out: Vec<[u32; 3]> = Vec::with_capacity(self.nodes.len());
        for (k, node) in self.nodes.iter().enumerate() {
            let err = |detail: String| QatError::Shape {
                layer: k,
                op: node.layer.op_name(),
                detail: format!("{:?}: {detail}", node.name),
            };
            if node.name.is_empty() || node.name.len() > limits::MAX_NAME_BYTES {
                return Err(err(format!(
                    "a layer name must have 1 to {} bytes, this one has {}",
                    limits::MAX_NAME_BYTES,
                    node.name.len()
                )));
            }
            if let Some(&bad) = node.inputs.iter().find(|&&t| t > k) {
                return Err(err(format!("reads tensor {bad}, which is not made before it")));
            }
            let ins: Vec<[u32; 3]> =
                node.inputs.iter().map(|&t| if t == 0 { self.input } else { out[t - 1] }).collect();
            let shape = node.layer.shape_op().infer(&ins).map_err(err)?;
            out.push(shape);
        }
        match (self.nodes.last(), out.last()) {
            (Some(_), Some(&[1, 1, _])) => Ok(out),
            (Some(last), Some(&shape)) => Err(QatError::Invalid(format!(
                "model {}: the output (last) layer {:?} makes {shape:?}; the logits are one value per class ([1, 1, classes]): end with a dense layer or a global average pooling",
                self.name, last.name
            ))),
            _ => Err(QatError::Invalid(format!("model {}: the model has no layers", self.name))),
        }
    }

    /// Number of classes (the channels of the last layer's [1, 1, classes] output).
    pub fn classes(&self) -> Result<u32> {
        Ok(self.shapes()?.last().map(|s| s[2]).unwrap_or(0))
    }

    /// Float parameter count: weights, biases and batch-norm gamma/beta (what float32 training
    /// stores per layer; moving statistics are not counted).
    pub fn parameter_count(&self) -> Result<usize> {
        let shapes = self.shapes()?;
        Ok(self
            .nodes
            .iter()
            .map(|node| {
                let input = self.tensor_shape(&shapes, node.inputs[0]);
                node.layer.kind().weights(input).map_or(0, |g| g.weight_len + g.bias_len + 2 * g.bn_channels)
            })
            .sum())
    }
}
