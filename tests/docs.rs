//! GPU-free: the README is a front door (at most 150 lines, the prerequisites before the
//! commands), and every link and every repository path that the README and docs/ name resolves
//! inside the repository.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn documents() -> Vec<(String, String)> {
    let mut out = vec![("README.md".to_string(), std::fs::read_to_string(root().join("README.md")).unwrap())];
    for e in std::fs::read_dir(root().join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            let name = format!("docs/{}", p.file_name().unwrap().to_string_lossy());
            out.push((name, std::fs::read_to_string(&p).unwrap()));
        }
    }
    out
}

#[test]
fn the_readme_is_a_front_door() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(lines <= 150, "README.md has {lines} lines");
    let prerequisites = readme.find("mesa-vulkan-drivers").expect("the README names lavapipe's package");
    let commands = readme.find("```sh").expect("the README has its commands");
    assert!(prerequisites < commands, "the prerequisites come after the commands");
    let block = &readme[commands + 5..];
    let block = &block[..block.find("```").unwrap()];
    let commands: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(commands.len(), 2, "the set-up block holds exactly two commands: {commands:?}");
}

/// Paths the documents name: markdown link targets, and backticked or bare words that start
/// with a top-level folder of the repository.
fn named_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        let tail = &rest[at + 2..];
        let end = tail.find(')').unwrap_or(tail.len());
        out.push(tail[..end].to_string());
        rest = &tail[end..];
    }
    for word in text.split(|c: char| c.is_whitespace() || "`(),;:\"'".contains(c)) {
        let word = word.trim_end_matches(['.', ']']);
        let tops = ["src/", "tests/", "docs/", "int8/", "shaders/", "examples/", "benches/", ".ci/"];
        if tops.iter().any(|t| word.starts_with(t)) && !word.contains(['<', '*', '{', '#']) {
            out.push(word.to_string());
        }
    }
    out
}

#[test]
fn every_link_and_path_resolves_inside_the_repository() {
    let mut missing = Vec::new();
    for (name, text) in documents() {
        for p in named_paths(&text) {
            if p.starts_with("http://") || p.starts_with("https://") || p.starts_with("../") || p.starts_with('/') {
                missing.push(format!("{name}: {p} points outside the repository"));
            } else if !root().join(&p).exists() {
                missing.push(format!("{name}: {p} does not exist"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
