//! The crate's module import graph, read from the `crate::` paths in `src/` (issue 9).
//!
//! Each top-level module (`src/X/` or `src/X.rs`) is a node; a file of `X` that names
//! `crate::Y` (or a crate-root re-export of `Y`, such as `crate::Handle`) is an edge X → Y.
//! Comments, `__loom.rs` (the loom models' door) and `#[cfg(test)] mod tests` at the bottom
//! of a file are not read. The layering rules it enforces:
//!
//! - no cycle among `runtime`, `scheduler` and `time`;
//! - `time` names only `task`, `util` and `loom` (the facade, with its seeded faults `loom::fault`);
//! - `task` names none of `runtime`, `scheduler`, `time`;
//! - `scheduler` does not name `runtime`.
//!
//! `bash scripts/module_graph.sh` prints the graph (this test with `--nocapture`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without comments and without a trailing `#[cfg(test)] mod ... {`.
fn code_lines(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if t == "#[cfg(test)]" || t == "#[cfg(all(test, not(loom)))]" {
            let next = lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty());
            if next.is_some_and(|n| n.starts_with("mod ") && n.ends_with('{')) {
                break;
            }
        }
        let code = match l.find("//") {
            Some(k) => &l[..k],
            None => l,
        };
        out.push(code.to_string());
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The names a `crate::` occurrence refers to: `crate::x::..` → x, `crate::{a, b::c}` → a, b.
fn named_after_crate(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(k) = rest.find("crate::") {
        let before_ok = k == 0 || {
            let c = rest[..k].chars().last().unwrap();
            !(c.is_alphanumeric() || c == '_' || c == '$')
        };
        rest = &rest[k + "crate::".len()..];
        if !before_ok {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let n = ident_at(part.trim());
                if !n.is_empty() {
                    names.push(n.to_string());
                }
            }
        } else {
            let n = ident_at(rest);
            if !n.is_empty() {
                names.push(n.to_string());
            }
        }
    }
    names
}

/// The crate root's re-exports: `pub use time::{Sleep, ..}` maps `Sleep` to `time`.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let code = code_lines(lib).join(" ");
    let mut map = BTreeMap::new();
    for stmt in code.split(';') {
        let Some(k) = stmt.find("pub use ") else {
            continue;
        };
        let path = stmt[k + "pub use ".len()..].trim();
        let module = ident_at(path).to_string();
        let names: Vec<&str> = match path.find('{') {
            Some(b) => path[b + 1..].trim_end_matches('}').split(',').collect(),
            None => vec![path.rsplit("::").next().unwrap()],
        };
        for n in names {
            let n = ident_at(n.trim());
            if !n.is_empty() {
                map.insert(n.to_string(), module.clone());
            }
        }
    }
    map
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(&src).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            first.trim_end_matches(".rs").to_string()
        })
        .collect();
    let reexports = root_reexports(&fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut g = Graph::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let from = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if from == "lib" || from == "__loom" {
            continue;
        }
        let text = fs::read_to_string(f).unwrap();
        for line in code_lines(&text) {
            for name in named_after_crate(&line) {
                let to = if modules.contains(&name) {
                    name
                } else if let Some(m) = reexports.get(&name) {
                    m.clone()
                } else {
                    continue; // a macro or item of lib.rs itself
                };
                if to != from {
                    g.entry(from.clone())
                        .or_default()
                        .entry(to)
                        .or_default()
                        .insert(rel.to_string_lossy().into_owned());
                }
            }
        }
    }
    g
}

/// A cycle among `nodes`, if any (depth-first search).
fn cycle(g: &Graph, nodes: &[&str]) -> Option<Vec<String>> {
    fn visit(
        g: &Graph,
        nodes: &[&str],
        n: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut c = path[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for to in g.get(n).into_iter().flat_map(|e| e.keys()) {
            if nodes.contains(&to.as_str()) {
                if let Some(c) = visit(g, nodes, to, path, done) {
                    return Some(c);
                }
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    nodes
        .iter()
        .find_map(|n| visit(g, nodes, n, &mut Vec::new(), &mut done))
}

fn print(g: &Graph) {
    for (from, edges) in g {
        for (to, files) in edges {
            let files: Vec<&str> = files.iter().map(|s| s.as_str()).collect();
            println!("{from:>10} -> {to:<10} ({})", files.join(", "));
        }
    }
}

#[test]
fn layering_has_no_cycle() {
    let g = graph();
    print(&g);
    let core = ["runtime", "scheduler", "time"];
    let mut errors = Vec::new();
    if let Some(c) = cycle(&g, &core) {
        errors.push(format!(
            "cycle among runtime/scheduler/time: {}",
            c.join(" -> ")
        ));
    }
    let allowed = |from: &str, to: &str| match from {
        "time" => ["task", "util", "loom"].contains(&to),
        "task" => !core.contains(&to),
        // The scheduler answers "which thread, which runtime"; `runtime/` wraps it.
        "scheduler" => to != "runtime",
        _ => true,
    };
    for (from, edges) in &g {
        for (to, files) in edges {
            if !allowed(from, to) {
                errors.push(format!("{from} must not name {to} (in {files:?})"));
            }
        }
    }
    // Informational: cycles through the rest of the crate (blocking, io, ...).
    let all: Vec<&str> = g.keys().map(|s| s.as_str()).collect();
    match cycle(&g, &all) {
        Some(c) => println!("other cycle (not enforced): {}", c.join(" -> ")),
        None => println!("no cycle in the whole graph"),
    }
    for (a, edges) in &g {
        for b in edges.keys().filter(|b| a < *b) {
            if g.get(b).is_some_and(|e| e.contains_key(a)) {
                println!("mutual imports (not enforced): {a} <-> {b}");
            }
        }
    }
    assert!(errors.is_empty(), "layering broken:\n{}", errors.join("\n"));
}

#[test]
fn the_reader_sees_edges() {
    // A checker that reads nothing passes everything: the runtime must be seen naming the
    // scheduler, and a made-up line must parse.
    let g = graph();
    assert!(g
        .get("runtime")
        .is_some_and(|e| e.contains_key("scheduler")));
    assert_eq!(
        named_after_crate("use crate::{a::b, c}; x(crate::d::e); not_crate::f"),
        ["a", "c", "d"]
    );
    assert!(cycle(&Graph::new(), &["a"]).is_none());
}
