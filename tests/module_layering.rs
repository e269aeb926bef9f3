//! The layering of `src/`, checked mechanically: no import cycle between files of `cli/`,
//! `cilium/` and `release/`; `release/` never imports `cilium/` or `cli/`, `cilium/` never imports
//! `cli/`; and no command file in `cli/` imports another command's file.
//!
//! Every `.rs` file under `src/` is one node. An edge F → T means F names something in T: a `use`
//! tree (`crate::…`, `super::…`, `self::…`, or a child module of F) or a path written inline in
//! code (`crate::release::storage::Store::new`). A path resolves to the deepest module that has a
//! file of its own, so `crate::release::Release` (a re-export) points at `release/mod.rs` and
//! `crate::release::storage::Release` at `release/storage.rs`. `mod x;` declarations alone are
//! not edges (containment is not dependence); comments and string literals are ignored; inline
//! modules (`mod tests { use super::*; }`) are followed, so `super` means what rustc means.
//!
//! `cargo test --test module_layering -- --nocapture` prints every cycle in `src/` and the edge count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`["cli", "cilium", "install"]`) → file, relative to `src/`.
type Files = BTreeMap<Vec<String>, String>;
type Graph = BTreeMap<String, BTreeSet<String>>;

/// Files in `cli/` that several commands share; every other non-`mod.rs` file is a command.
const CLI_SHARED: [&str; 4] = [
    "cli/flags.rs",
    "cli/out.rs",
    "cli/cilium/plan.rs",
    "cli/cilium/outcome.rs",
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn collect(dir: &Path, root: &Path, out: &mut Files) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(&p, root, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "main.rs" {
                continue; // the binary: a crate of its own
            }
            let mut segs: Vec<String> = rel
                .trim_end_matches(".rs")
                .split('/')
                .map(String::from)
                .collect();
            if segs.last().is_some_and(|s| s == "mod" || s == "lib") {
                segs.pop();
            }
            out.insert(segs, rel);
        }
    }
}

/// The code without comments, string literals and char literals (their braces and paths are text).
fn strip(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !prev_is_ident(&b, i) {
            // raw string r"…", r#"…"#
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            'raw: while j < b.len() {
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break 'raw;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{1F}') or a lifetime ('a): only the literal is dropped.
            if next == Some('\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("' '");
            } else if b.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

fn tokens(code: &str) -> Vec<String> {
    let b: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_alphabetic() || c == '_' {
            let s = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push(b[s..i].iter().collect());
        } else if c == ':' && b.get(i + 1) == Some(&':') {
            out.push("::".into());
            i += 2;
        } else if c.is_whitespace() {
            i += 1;
        } else {
            out.push(c.to_string());
            i += 1;
        }
    }
    out
}

/// Expands a `use` tree from `toks[i]` into full paths.
fn use_tree(
    toks: &[String],
    mut i: usize,
    prefix: Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    let mut path = prefix;
    while i < toks.len() {
        let t = toks[i].as_str();
        if t == "{" {
            i += 1;
            while i < toks.len() && toks[i] != "}" {
                i = use_tree(toks, i, path.clone(), out);
                if toks.get(i).is_some_and(|t| t == ",") {
                    i += 1;
                }
            }
            return i + 1;
        }
        if t == "*" {
            out.push(path);
            return i + 1;
        }
        if t == "::" {
            i += 1;
            continue;
        }
        path.push(t.to_string());
        i += 1;
        if toks.get(i).is_some_and(|t| t == "::") {
            i += 1;
            continue;
        }
        if toks.get(i).is_some_and(|t| t == "as") {
            i += 2;
        }
        out.push(path);
        return i;
    }
    i
}

fn file_of(files: &Files, module: &[String]) -> Option<String> {
    // Inline modules have no file: the deepest enclosing module that has one.
    (0..=module.len())
        .rev()
        .find_map(|n| files.get(&module[..n]).cloned())
}

/// The file a path points into, seen from module `cur` (a file's module plus inline modules).
fn resolve(
    files: &Files,
    cur: &[String],
    children: &BTreeSet<String>,
    inline: bool,
    path: &[String],
) -> Option<String> {
    let first = path.first()?.as_str();
    let (mut m, rest): (Vec<String>, &[String]) = match first {
        "crate" => (vec![], &path[1..]),
        "self" => (cur.to_vec(), &path[1..]),
        "super" => {
            let mut m = cur.to_vec();
            let mut k = 0;
            while path.get(k).is_some_and(|s| s == "super") {
                m.pop()?;
                k += 1;
            }
            (m, &path[k..])
        }
        name if !inline && children.contains(name) => (cur.to_vec(), path),
        _ => return None, // another crate, or a local name
    };
    for seg in rest {
        if seg == "self" {
            continue;
        }
        let mut next = m.clone();
        next.push(seg.clone());
        if files.contains_key(&next) {
            m = next;
        } else {
            break;
        }
    }
    file_of(files, &m)
}

fn edges(files: &Files, module: &[String], text: &str) -> BTreeSet<String> {
    let toks = tokens(&strip(text));
    let me = files[module].clone();
    let children: BTreeSet<String> = toks
        .windows(3)
        .filter(|w| w[0] == "mod" && w[2] == ";")
        .map(|w| w[1].clone())
        .collect();
    let mut out = BTreeSet::new();
    let mut depth = 0usize;
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].as_str();
        let cur: Vec<String> = module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(n, _)| n.clone()))
            .collect();
        match t {
            "{" => depth += 1,
            "}" => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            "mod" if toks.get(i + 2).is_some_and(|t| t == "{") => {
                inline.push((toks[i + 1].clone(), depth + 1));
                i += 2;
                continue;
            }
            "use" => {
                let mut paths = Vec::new();
                i = use_tree(&toks, i + 1, vec![], &mut paths);
                for p in paths {
                    if let Some(f) = resolve(files, &cur, &children, !inline.is_empty(), &p) {
                        out.insert(f);
                    }
                }
                continue;
            }
            _ if toks.get(i + 1).is_some_and(|t| t == "::")
                && (i == 0 || toks[i - 1] != "::")
                && t.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_') =>
            {
                let mut path = vec![t.to_string()];
                let mut j = i + 1;
                while toks.get(j).is_some_and(|t| t == "::")
                    && toks.get(j + 1).is_some_and(|t| {
                        t.chars()
                            .next()
                            .is_some_and(|c| c.is_alphabetic() || c == '_')
                    })
                {
                    path.push(toks[j + 1].clone());
                    j += 2;
                }
                if let Some(f) = resolve(files, &cur, &children, !inline.is_empty(), &path) {
                    out.insert(f);
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.remove(&me);
    out
}

fn graph() -> Graph {
    graph_of(&src_dir())
}

/// The import graph of the files under one crate's source root.
fn graph_of(root: &Path) -> Graph {
    let mut files = Files::new();
    collect(root, root, &mut files);
    files
        .iter()
        .map(|(m, f)| {
            let text = std::fs::read_to_string(root.join(f)).unwrap();
            (f.clone(), edges(&files, m, &text))
        })
        .collect()
}

/// Strongly connected components with more than one file (Tarjan).
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.g.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !t.g.contains_key(w) {
                continue;
            }
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

/// The source roots of the workspace's library crates under `crates/` (the chart engine's crates).
fn crate_roots() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut roots: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.join("lib.rs").is_file())
        .collect();
    roots.sort();
    roots
}

#[test]
fn no_import_cycle_inside_any_engine_crate() {
    let roots = crate_roots();
    assert!(!roots.is_empty(), "no crates found under crates/");
    let mut bad = Vec::new();
    for root in &roots {
        let g = graph_of(root);
        let n: usize = g.values().map(BTreeSet::len).sum();
        let found = cycles(&g);
        println!(
            "{}: {} files, {n} edges, {} cycles",
            root.display(),
            g.len(),
            found.len()
        );
        // The check sees real edges (a parser that finds nothing would pass everything).
        assert!(n > 0 || g.len() < 3, "{}: no edges found", root.display());
        for c in found {
            println!("  cycle: {}", c.join(" ↔ "));
            bad.push(format!("{}: {}", root.display(), c.join(" ↔ ")));
        }
    }
    assert!(bad.is_empty(), "import cycles inside a crate: {bad:#?}");
}

fn layer(f: &str) -> Option<&'static str> {
    ["cli/", "cilium/", "release/"]
        .into_iter()
        .find(|p| f.starts_with(p))
        .map(|p| p.trim_end_matches('/'))
}

#[test]
fn no_import_cycle_anywhere_in_the_plugin() {
    let g = graph();
    let all = cycles(&g);
    let n: usize = g.values().map(BTreeSet::len).sum();
    println!(
        "{} files, {n} edges; cycles anywhere in src/: {}",
        g.len(),
        all.len()
    );
    for c in &all {
        println!("  cycle: {}", c.join(" ↔ "));
    }
    assert!(all.is_empty(), "import cycles in src/: {all:#?}");
}

#[test]
fn dependencies_run_cli_to_cilium_to_release() {
    let g = graph();
    let mut bad = Vec::new();
    for (f, to) in &g {
        for t in to {
            let wrong = matches!(
                (layer(f), layer(t)),
                (Some("release"), Some("cilium" | "cli")) | (Some("cilium"), Some("cli"))
            );
            if wrong {
                bad.push(format!("{f} → {t}"));
            }
        }
    }
    // Nothing below the CLI imports it, and the release layer imports nothing of Cilium.
    for (f, to) in &g {
        if layer(f).is_none() && f != "lib.rs" {
            for t in to.iter().filter(|t| t.starts_with("cli/")) {
                bad.push(format!("{f} → {t}"));
            }
        }
    }
    assert!(bad.is_empty(), "imports against the layering: {bad:#?}");
    // The check sees real edges (a parser that finds nothing would pass everything).
    assert!(
        g["cilium/lifecycle.rs"]
            .iter()
            .any(|t| t.starts_with("release/"))
    );
    assert!(g["release/install.rs"].contains("release/storage.rs"));
}

#[test]
fn no_cli_command_file_imports_another() {
    let g = graph();
    let is_command =
        |f: &str| f.starts_with("cli/") && !f.ends_with("/mod.rs") && !CLI_SHARED.contains(&f);
    let mut bad = Vec::new();
    for (f, to) in g.iter().filter(|(f, _)| is_command(f)) {
        for t in to.iter().filter(|t| is_command(t)) {
            bad.push(format!("{f} → {t}"));
        }
        // A command reaches shared code only: never the dispatch in a mod.rs.
        for t in to
            .iter()
            .filter(|t| t.starts_with("cli/") && t.ends_with("mod.rs"))
        {
            bad.push(format!("{f} → {t}"));
        }
    }
    assert!(
        bad.is_empty(),
        "cli command files importing other command files: {bad:#?}"
    );
    for s in CLI_SHARED {
        assert!(
            g.contains_key(s),
            "{s} is listed as shared but does not exist"
        );
    }
}

#[test]
fn the_parser_resolves_what_rustc_resolves() {
    let mut files = Files::new();
    for (m, f) in [
        (vec![], "lib.rs"),
        (vec!["a"], "a/mod.rs"),
        (vec!["a", "b"], "a/b.rs"),
        (vec!["a", "c"], "a/c.rs"),
        (vec!["d"], "d.rs"),
    ] {
        files.insert(m.into_iter().map(String::from).collect(), f.to_string());
    }
    let m = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let src = r#"
        //! use crate::d; (a comment)
        use super::c::{self, X};
        use crate::{d::Y, a::Z};
        fn f() { let s = "crate::d::q"; let c = '{'; }
        #[cfg(test)]
        mod tests { use super::*; }
    "#;
    let e = edges(&files, &m(&["a", "b"]), src);
    assert_eq!(
        e,
        BTreeSet::from(["a/c.rs".to_string(), "d.rs".into(), "a/mod.rs".into()])
    );
    let e = edges(
        &files,
        &m(&["a"]),
        "mod b; mod c; fn g() { b::run(); super::d::h(); }",
    );
    assert_eq!(e, BTreeSet::from(["a/b.rs".to_string(), "d.rs".into()]));
    // The test module's `super` is the file itself: no edge.
    let e = edges(&files, &m(&["d"]), "fn x() {}\nmod tests { use super::*; }");
    assert!(e.is_empty(), "{e:?}");
}
