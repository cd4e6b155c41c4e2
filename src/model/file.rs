//! Model spec files (TOML, or JSON by extension): a name, the input shape and a list of named
//! layers with explicit inputs, in any order. Reading checks everything and names the layer:
//! unknown layer types and fields, missing options, inputs that name nothing (dangling), cycles,
//! and shape errors. docs/MODELS.md describes the format.

use crate::model::{kinds::Layer, spec::ModelSpec, spec::Node};
use crate::{QatError, Result};
use qat_int8::limits;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::Path;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: Option<String>,
    input: [u32; 3],
    /// The logits layer; default: the last layer listed.
    output: Option<String>,
    layers: Vec<RawLayer>,
}

#[derive(Debug, serde::Deserialize)]
struct RawLayer {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    /// One input (default: the layer listed before, or the model input for the first).
    input: Option<String>,
    /// Several inputs (add, concat).
    inputs: Option<Vec<String>>,
    /// The kind's options; the kind's parser (`model::kinds`) takes them and refuses the rest.
    #[serde(flatten)]
    options: std::collections::BTreeMap<String, serde_json::Value>,
}

/// The name by which layers refer to the model input.
pub const INPUT: &str = "input";

/// Largest spec file we read: far above any real model (a 4096-layer spec is about 400 KiB).
pub const MAX_SPEC_BYTES: u64 = 16 << 20;

/// Reads and checks a spec file (TOML, or JSON by extension); errors name the file and the layer.
pub fn read(path: &Path) -> Result<ModelSpec> {
    let bad = |detail: String| QatError::BadData { path: path.into(), detail };
    let bytes = qat_int8::input::read_bounded(path, MAX_SPEC_BYTES, "a spec file")?;
    let text = String::from_utf8(bytes).map_err(|e| bad(format!("not UTF-8 text ({e})")))?;
    let raw: RawModel = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?
    } else {
        toml::from_str(&text).map_err(|e| bad(e.to_string()))?
    };
    let default_name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    parse(raw, default_name).map_err(bad)
}

/// Parses a spec from TOML text (tests, and files without a path).
pub fn from_toml(text: &str) -> std::result::Result<ModelSpec, String> {
    let raw: RawModel = toml::from_str(text).map_err(|e| e.to_string())?;
    parse(raw, "model".into())
}

fn layer_of(l: &RawLayer) -> std::result::Result<Layer, String> {
    crate::model::kinds::parse(&l.name, &l.kind, l.options.clone())
}

fn parse(raw: RawModel, default_name: String) -> std::result::Result<ModelSpec, String> {
    let name = raw.name.unwrap_or(default_name);
    if raw.layers.is_empty() {
        return Err("the model has no layers".into());
    }
    if raw.layers.len() > limits::MAX_LAYERS {
        return Err(format!(
            "{} layers is more than the limit of {} (docs/MODELS.md)",
            raw.layers.len(),
            limits::MAX_LAYERS
        ));
    }
    if let Some(l) = raw.layers.iter().find(|l| l.name.is_empty() || l.name.len() > limits::MAX_NAME_BYTES) {
        let shown: String = l.name.chars().take(40).collect();
        return Err(format!(
            "layer name {shown:?}... has {} bytes; names have 1 to {} bytes",
            l.name.len(),
            limits::MAX_NAME_BYTES
        ));
    }
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, l) in raw.layers.iter().enumerate() {
        if l.name == INPUT || index.insert(l.name.as_str(), i).is_some() {
            return Err(format!("layer name {:?} is used twice (or is the reserved name \"input\")", l.name));
        }
    }
    // Inputs by name, then by position in the file.
    let mut reads: Vec<Vec<Option<usize>>> = Vec::new();
    for (i, l) in raw.layers.iter().enumerate() {
        let names: Vec<String> = match (&l.input, &l.inputs) {
            (Some(_), Some(_)) => return Err(format!("layer {:?}: give `input` or `inputs`, not both", l.name)),
            (Some(one), None) => vec![one.clone()],
            (None, Some(many)) => many.clone(),
            (None, None) if i == 0 => vec![INPUT.into()],
            (None, None) => vec![raw.layers[i - 1].name.clone()],
        };
        let mut ids = Vec::new();
        for n in names {
            if n == INPUT {
                ids.push(None);
            } else {
                let &j = index.get(n.as_str()).ok_or_else(|| {
                    format!("layer {:?}: input {n:?} is not a layer of this model (dangling input)", l.name)
                })?;
                ids.push(Some(j));
            }
        }
        reads.push(ids);
    }
    // Topological order (Kahn), keeping file order among ready layers: O(n log n) with a heap
    // of ready layers and a list of readers per layer.
    let n = raw.layers.len();
    let mut pending: Vec<usize> = reads.iter().map(|r| r.iter().flatten().count()).collect();
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, r) in reads.iter().enumerate() {
        for &j in r.iter().flatten() {
            readers[j].push(i);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..n).filter(|&i| pending[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    let mut placed = vec![false; n];
    while let Some(Reverse(next)) = ready.pop() {
        placed[next] = true;
        order.push(next);
        for &i in &readers[next] {
            pending[i] -= 1;
            if pending[i] == 0 {
                ready.push(Reverse(i));
            }
        }
    }
    if order.len() < n {
        let stuck: Vec<&str> = (0..n).filter(|&i| !placed[i]).map(|i| raw.layers[i].name.as_str()).take(10).collect();
        return Err(format!("layers {stuck:?} form a cycle (each waits for another's output); first: {:?}", stuck[0]));
    }
    let output = match &raw.output {
        Some(o) => *index.get(o.as_str()).ok_or_else(|| format!("output {o:?} is not a layer of this model"))?,
        None => n - 1,
    };
    // The output must come last: move it there if nothing reads it.
    if reads.iter().any(|r| r.contains(&Some(output))) {
        return Err(format!("output layer {:?} is read by other layers", raw.layers[output].name));
    }
    order.retain(|&i| i != output);
    order.push(output);
    let position: HashMap<usize, usize> = order.iter().enumerate().map(|(p, &i)| (i, p)).collect();
    let mut nodes = Vec::with_capacity(n);
    for &i in &order {
        let l = &raw.layers[i];
        let inputs = reads[i].iter().map(|r| r.map_or(0, |j| position[&j] + 1)).collect();
        nodes.push(Node { name: l.name.clone(), layer: layer_of(l)?, inputs });
    }
    let spec = ModelSpec { name, input: raw.input, nodes };
    spec.shapes().map_err(|e| e.to_string())?;
    Ok(spec)
}

/// `--model`: a built-in name, or a path to a .toml/.json spec file.
pub fn resolve(model: &str) -> Result<ModelSpec> {
    let path = Path::new(model);
    if model.ends_with(".toml") || model.ends_with(".json") || path.is_file() {
        read(path)
    } else {
        ModelSpec::builtin(model)
    }
}

/// A spec file (TOML) for `spec`: what `read` reads back as the same spec (`qat import`
/// writes it).
pub fn to_toml(spec: &ModelSpec) -> String {
    use qat_int8::quant::clamp::Activation;
    let tensor = |t: usize| if t == 0 { INPUT.to_string() } else { spec.nodes[t - 1].name.clone() };
    let act = |a: Activation| match a {
        Activation::None => None,
        Activation::Relu => Some("relu"),
        Activation::Relu6 => Some("relu6"),
    };
    let mut out = format!("name = {:?}\ninput = {:?}\n", spec.name, spec.input);
    for node in &spec.nodes {
        let kind = node.layer.kind();
        let mut fields = kind.spec_fields();
        if let Some(a) = act(node.layer.activation()) {
            fields.push(format!("activation = \"{a}\""));
        }
        let inputs: Vec<String> = node.inputs.iter().map(|&t| tensor(t)).collect();
        let wiring = if inputs.len() == 1 {
            format!("input = {:?}", inputs[0])
        } else {
            format!("inputs = [{}]", inputs.iter().map(|i| format!("{i:?}")).collect::<Vec<_>>().join(", "))
        };
        out.push_str(&format!("\n[[layers]]\nname = {:?}\ntype = \"{}\"\n{wiring}\n", node.name, kind.op_name()));
        for f in fields {
            out.push_str(&f);
            out.push('\n');
        }
    }
    out
}
