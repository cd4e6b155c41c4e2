//! GPU-free: the main crate's imports run one way. Every module has the rank that
//! docs/ARCHITECTURE.md's `layering` table gives (the longest listed prefix of its path); a
//! module may import only modules of its own rank or below, and no modules import each other in
//! a circle. An import that runs upward or around fails here, naming the file, the module it
//! imports and both ranks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The rank table of docs/ARCHITECTURE.md: module path -> rank.
fn ranks() -> BTreeMap<String, u32> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ARCHITECTURE.md")).unwrap();
    let block = doc.split("```text\nlayering\n").nth(1).expect("docs/ARCHITECTURE.md has the layering table");
    let block = &block[..block.find("```").unwrap()];
    let mut out = BTreeMap::new();
    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        let mut words = line.split_whitespace();
        let rank: u32 = words.next().unwrap().parse().unwrap();
        for m in words {
            assert!(out.insert(m.to_string(), rank).is_none(), "{m} is listed twice");
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a library file (`src/train/plan.rs` -> `train::plan`), or None for the
/// binary's files.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts[0] == "main" || parts[0] == "cli" {
        return None;
    }
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    Some(parts.join("::"))
}

/// The code of `text` without comments.
fn code(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The leaves of a use tree starting at `text` (after `crate::` or `super::`): `a::b`,
/// `a::{b, c::{d, e}}`, each as its segments after `prefix`. Returns the paths and the bytes read.
fn use_tree(text: &str, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let head: String = text.chars().take_while(|&c| ident(c)).collect();
    let mut path = prefix.to_vec();
    path.extend(head.split("::").filter(|s| !s.is_empty()).map(str::to_string));
    let mut i = head.len();
    if !text[i..].starts_with('{') {
        out.push(path);
        return i;
    }
    i += 1;
    loop {
        let rest = &text[i..];
        let skip = rest.len() - rest.trim_start().len();
        i += skip;
        if text[i..].starts_with('}') {
            return i + 1;
        }
        i += use_tree(&text[i..], &path, out);
        let rest = &text[i..];
        let skip = rest.len() - rest.trim_start().len();
        i += skip;
        if text[i..].starts_with(',') {
            i += 1;
        } else if text[i..].starts_with('}') {
            return i + 1;
        } else {
            return i;
        }
    }
}

/// The paths a file names from the crate root: every leaf of every `crate::` path or use tree,
/// and `super::` paths resolved against its module.
fn imported_paths(module: &str, text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let code = code(text);
    let bytes = code.as_bytes();
    let parent: Vec<String> = module.split("::").map(str::to_string).collect();
    for (word, base) in [("crate::", Vec::new()), ("super::", parent[..parent.len().saturating_sub(1)].to_vec())] {
        let mut i = 0;
        while let Some(at) = code[i..].find(word) {
            let start = i + at;
            i = start + word.len();
            if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
                continue; // `wgpu_crate::`, not ours
            }
            i += use_tree(&code[i..], &base, &mut out);
        }
    }
    out
}

/// The module a path names: its longest prefix that is a module of the crate; a root item
/// (`crate::Result`) or macro is the module that defines it.
fn target(modules: &BTreeSet<String>, path: &[String]) -> Option<String> {
    for n in (1..=path.len()).rev() {
        let m = path[..n].join("::");
        if modules.contains(&m) {
            return Some(m);
        }
    }
    let first = path.first().map(|s| s.trim_end_matches('!').to_string())?;
    match first.as_str() {
        "QatError" | "Result" => Some("error".into()),
        "kernel" | "shader" | "wgsl" => Some("gpu::shaders".into()),
        "uniform_fields" => Some("gpu::uniform".into()),
        "layer_kinds" => Some("layer_kinds".into()),
        _ => None,
    }
}

fn rank_of(ranks: &BTreeMap<String, u32>, module: &str) -> Option<u32> {
    let parts: Vec<&str> = module.split("::").collect();
    (1..=parts.len()).rev().find_map(|n| ranks.get(&parts[..n].join("::")).copied())
}

/// Every (importer, imported module) pair of the library, with the importing file.
fn imports() -> (BTreeSet<String>, Vec<(String, String, PathBuf)>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(&src, f)).filter(|m| !m.is_empty()).collect();
    let mut edges = Vec::new();
    for f in &files {
        let Some(m) = module_of(&src, f) else { continue };
        if m.is_empty() {
            continue; // lib.rs declares the modules
        }
        for path in imported_paths(&m, &std::fs::read_to_string(f).unwrap()) {
            if let Some(t) = target(&modules, &path) {
                if t != m && !t.starts_with(&format!("{m}::")) && !m.starts_with(&format!("{t}::")) {
                    edges.push((m.clone(), t, f.clone()));
                }
            }
        }
    }
    (modules, edges)
}

#[test]
fn every_module_has_a_rank_and_imports_run_one_way() {
    let ranks = ranks();
    let (modules, edges) = imports();
    for m in &modules {
        assert!(rank_of(&ranks, m).is_some(), "module {m} has no rank in docs/ARCHITECTURE.md's layering table");
    }
    let mut upward = Vec::new();
    for (from, to, file) in &edges {
        let (a, b) = (rank_of(&ranks, from).unwrap(), rank_of(&ranks, to).unwrap());
        if b > a {
            upward.push(format!("{} ({from}, rank {a}) imports {to} (rank {b})", file.display()));
        }
    }
    upward.sort();
    upward.dedup();
    assert!(upward.is_empty(), "imports that run upward:\n{}", upward.join("\n"));
}

#[test]
fn no_modules_import_each_other_in_a_circle() {
    let (modules, edges) = imports();
    let mut next: BTreeMap<&str, BTreeSet<&str>> = modules.iter().map(|m| (m.as_str(), BTreeSet::new())).collect();
    for (from, to, _) in &edges {
        next.get_mut(from.as_str()).unwrap().insert(to.as_str());
    }
    // Depth-first search for a back edge; the error names the circle.
    fn visit<'a>(
        m: &'a str,
        next: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        state: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        state.insert(m, 1);
        stack.push(m);
        for &n in &next[m] {
            match state.get(n).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|&s| s == n).unwrap();
                    let mut circle = stack[at..].to_vec();
                    circle.push(n);
                    return Some(circle);
                }
                0 => {
                    if let Some(c) = visit(n, next, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(m, 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in next.keys() {
        if state.get(m).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(m, &next, &mut state, &mut Vec::new()) {
                panic!("modules import each other in a circle: {}", c.join(" -> "));
            }
        }
    }
}

#[test]
fn the_check_sees_an_upward_import() {
    // The scanner itself: a model file that imports a layer behaviour is flagged.
    let ranks = ranks();
    let modules: BTreeSet<String> = ["model::spec", "layers"].iter().map(|s| s.to_string()).collect();
    let paths = imported_paths("model::spec", "use crate::layers::behaviour; // a comment: crate::gpu\n");
    let nested = imported_paths("m", "use crate::model::{spec::{ModelSpec, Node}, kinds::Layer};");
    assert_eq!(nested.len(), 3, "{nested:?}");
    assert_eq!(nested[0], ["model", "spec", "ModelSpec"]);
    let t: Vec<String> = paths.iter().filter_map(|p| target(&modules, p)).collect();
    assert_eq!(t, ["layers"]);
    assert!(rank_of(&ranks, "layers").unwrap() > rank_of(&ranks, "model::spec").unwrap());
}
