//! The layout rule of the workspace: no source file reaches itself through
//! its imports. Each file's `use` trees and `crate::…`/`super::…` paths are
//! resolved to the file of the longest module prefix; a parent module's
//! facade (`mod.rs`/`lib.rs` re-exporting its own children) is not counted,
//! since that is how a module presents its parts, not a dependency between
//! peers. Test-only code (`#[cfg(test)]` items) is left out: tests may
//! reach across layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// (crate name, module path) → file.
type Modules = BTreeMap<(String, Vec<String>), PathBuf>;

const CRATES: &[(&str, &str)] = &[
    ("smart", "src"),
    ("smart_sandbox", "crates/sandbox/src"),
    ("smart_vocab", "crates/vocab/src"),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
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

fn modules() -> Modules {
    let mut mods = Modules::new();
    for (krate, root) in CRATES {
        let root = workspace().join(root);
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        for f in files {
            let rel = f.strip_prefix(&root).unwrap().with_extension("");
            let mut path: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if path == ["main"] {
                // The binary is a crate of its own that uses the library.
                mods.insert(("smart_main".into(), vec![]), f);
                continue;
            }
            if matches!(path.last().map(String::as_str), Some("mod" | "lib")) {
                path.pop();
            }
            mods.insert((krate.to_string(), path), f);
        }
    }
    mods
}

/// The source without `#[cfg(test)]` items and without line comments.
fn production_code(src: &str) -> String {
    let mut s: String = src
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    while let Some(i) = s.find("#[cfg(test)]") {
        let after = i + "#[cfg(test)]".len();
        let Some(k) = s[after..].find([';', '{']).map(|k| after + k) else {
            s.truncate(i);
            break;
        };
        let end = if s.as_bytes()[k] == b';' {
            k + 1
        } else {
            let mut depth = 0;
            let mut end = s.len();
            for (j, c) in s[k..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = k + j + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            end
        };
        s.replace_range(i..end, "");
    }
    s
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand_use(tree: &str) -> Vec<String> {
    // `x as y` names x; `~` marks the rename once the spaces are gone.
    let tree: String = tree
        .replace(" as ", "~")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let Some(open) = tree.find('{') else {
        return vec![tree.split('~').next().unwrap_or("").to_owned()];
    };
    let mut depth = 0;
    let mut close = tree.len();
    for (j, c) in tree[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = open + j;
                    break;
                }
            }
            _ => {}
        }
    }
    let (prefix, inner) = (&tree[..open], &tree[open + 1..close]);
    let mut parts = Vec::new();
    let (mut depth, mut cur) = (0, String::new());
    for c in inner.chars() {
        match c {
            ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
            '{' => {
                depth += 1;
                cur.push(c)
            }
            '}' => {
                depth -= 1;
                cur.push(c)
            }
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand_use(p))
        .map(|p| format!("{prefix}{p}"))
        .collect()
}

/// Every path the file names: its `use` trees and inline `crate::`,
/// `super::`, `self::` and other-crate paths.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let word_start = i == 0
            || !rest.as_bytes()[i - 1].is_ascii_alphanumeric() && rest.as_bytes()[i - 1] != b'_';
        let Some(end) = rest[i..].find(';') else {
            break;
        };
        if word_start {
            out.extend(expand_use(&rest[i + 4..i + end]));
        }
        rest = &rest[i + 4..];
    }
    for root in [
        "crate::",
        "super::",
        "self::",
        "smart_vocab::",
        "smart_sandbox::",
    ] {
        let mut from = 0;
        while let Some(i) = code[from..].find(root) {
            let at = from + i;
            let boundary = at == 0 || {
                let b = code.as_bytes()[at - 1];
                !(b.is_ascii_alphanumeric() || b == b'_' || b == b':')
            };
            let end = code[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |e| at + e);
            if boundary {
                out.push(code[at..end].to_owned());
            }
            from = end.max(at + 1);
        }
    }
    out
}

fn edges(mods: &Modules) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut graph = BTreeMap::new();
    for ((krate, module), file) in mods {
        let krate = if krate == "smart_main" {
            "smart"
        } else {
            krate.as_str()
        };
        let is_facade = matches!(
            file.file_name().and_then(|n| n.to_str()),
            Some("mod.rs" | "lib.rs")
        );
        let dir = file.parent().unwrap();
        let code = production_code(&std::fs::read_to_string(file).unwrap());
        let mut targets = BTreeSet::new();
        for p in paths(&code) {
            let mut segs: Vec<&str> = p.split("::").filter(|s| !s.is_empty()).collect();
            if segs.is_empty() {
                continue;
            }
            let (target_crate, mut base): (&str, Vec<String>) = match segs[0] {
                "crate" => (krate, vec![]),
                "smart_vocab" | "smart_sandbox" | "smart" => (segs[0], vec![]),
                "self" => (krate, module.clone()),
                "super" => {
                    let mut b = module.clone();
                    while segs.first() == Some(&"super") {
                        b.pop();
                        segs.remove(0);
                    }
                    segs.insert(0, "super");
                    (krate, b)
                }
                first
                    if is_facade
                        && mods.contains_key(&(
                            krate.to_owned(),
                            [module.clone(), vec![first.to_owned()]].concat(),
                        )) =>
                {
                    segs.insert(0, "self");
                    (krate, module.clone())
                }
                _ => continue,
            };
            base.extend(segs[1..].iter().map(|s| s.to_string()));
            for k in (0..=base.len()).rev() {
                if let Some(t) = mods.get(&(target_crate.to_owned(), base[..k].to_vec())) {
                    let own_part = is_facade && t.starts_with(dir);
                    if t != file && !own_part {
                        targets.insert(t.clone());
                    }
                    break;
                }
            }
        }
        graph.insert(file.clone(), targets);
    }
    graph
}

/// The files that can reach themselves, as one example cycle each.
fn cycles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut reported = BTreeSet::new();
    for start in graph.keys() {
        if reported.contains(start) {
            continue;
        }
        // Breadth-first from start's targets back to start, keeping parents.
        let mut parent: BTreeMap<&PathBuf, &PathBuf> = BTreeMap::new();
        let mut queue: std::collections::VecDeque<&PathBuf> = graph[start].iter().collect();
        for t in &graph[start] {
            parent.insert(t, start);
        }
        while let Some(n) = queue.pop_front() {
            if n == start {
                let mut cycle = vec![start.clone()];
                let mut at = parent[start];
                while at != start {
                    cycle.push(at.clone());
                    at = parent[at];
                }
                cycle.reverse();
                reported.extend(cycle.iter().cloned());
                found.push(cycle);
                break;
            }
            for t in graph.get(n).into_iter().flatten() {
                if !parent.contains_key(t) {
                    parent.insert(t, n);
                    queue.push_back(t);
                }
            }
        }
    }
    found
}

#[test]
fn no_source_file_reaches_itself_through_its_imports() {
    let graph = edges(&modules());
    let root = workspace();
    let shown: Vec<String> = cycles(&graph)
        .iter()
        .map(|c| {
            c.iter()
                .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
                .collect::<Vec<_>>()
                .join(" → ")
        })
        .collect();
    assert!(shown.is_empty(), "import circles:\n{}", shown.join("\n"));
}

#[test]
fn the_circle_finder_finds_a_circle() {
    // The rule must be able to fail: two peers that import each other, and
    // a facade re-exporting its part (not a circle).
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.rs");
    let b = dir.path().join("b.rs");
    std::fs::write(&a, "use crate::b::B;\npub struct A;").unwrap();
    std::fs::write(&b, "pub struct B(crate::a::A);").unwrap();
    let mut mods = Modules::new();
    mods.insert(("smart".into(), vec!["a".into()]), a.clone());
    mods.insert(("smart".into(), vec!["b".into()]), b.clone());
    let found = cycles(&edges(&mods));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].len(), 2);

    std::fs::write(
        &b,
        "pub struct B;\n#[cfg(test)]\nmod tests { use crate::a::A; }",
    )
    .unwrap();
    std::fs::write(&a, "use crate::b::B;\npub struct A;").unwrap();
    assert!(cycles(&edges(&mods)).is_empty(), "test-only imports count");
}

#[test]
fn use_trees_are_expanded() {
    assert_eq!(
        expand_use("crate::a::{b, c::{d, e as f}}"),
        ["crate::a::b", "crate::a::c::d", "crate::a::c::e"]
    );
}
