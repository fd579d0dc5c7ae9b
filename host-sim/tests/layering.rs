//! The layers of host-sim point one way (ARCHITECTURE.md, "host-sim/"): this test reads
//! `src/`, collects every `crate::…`, `super::…` and `self::…` path outside test code, and fails
//! when a top-level module imports one it may not, when sibling modules anywhere import each other
//! in a circle, when the host prints, parses arguments or reaches the fake WeCom, or when
//! ARCHITECTURE.md does not name a top-level module.
//!
//! Cargo has no such check; this is a small reader of Rust paths, not a parser: comments and
//! everything from a file's first `#[cfg(test)]` on are skipped (tests may use any layer), as are
//! the test modules under a `tests/` folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and the top-level modules it may import. A module missing
/// here fails the test: a new layer is placed (and named in ARCHITECTURE.md) before it is used.
const LAYERS: &[(&str, &[&str])] = &[
    // Leaves: used by everything above, import nothing of the crate.
    ("term", &[]),
    ("defaults", &[]),
    ("store", &[]),
    ("fake_wecom", &[]),
    // The reference host: plugin loading, sessions, change sets, callbacks, reconcile.
    ("host", &["store", "term"]),
    // Text for people: tables, summaries, zh/en.
    ("render", &["term"]),
    // The platform's web server, on the host.
    ("platform", &["host", "store", "term"]),
    // The commands: clap arguments, printing; the only users of the fake besides tests.
    ("cli", &["host", "render", "platform", "store", "fake_wecom", "term", "defaults"]),
    // The benchmarks run the commands' own functions.
    ("bench", &["cli", "host", "render", "platform", "store", "fake_wecom", "term", "defaults"]),
];

/// Text in the host layer that would mean it prints, parses arguments or starts the fake.
const NOT_IN_HOST: &[&str] =
    &["println!", "print!(", "eprintln!", "eprint!(", "std::io::stdout", "clap::", "fake_wecom"];

fn src_dir() -> PathBuf {
    std::env::var_os("LAYERING_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[derive(Debug)]
struct SourceFile {
    /// Module path, e.g. `["host", "callbacks", "follow"]`; empty for lib.rs.
    module: Vec<String>,
    /// Path relative to `src/`, for messages.
    name: String,
    /// The code with comments, literals and test code removed.
    code: String,
    /// Modules this file declares `#[cfg(test)] mod name;` (test code in their own files).
    test_modules: Vec<Vec<String>>,
}

fn read_sources(dir: &Path, root: &Path, out: &mut Vec<SourceFile>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read src").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for path in entries {
        let rel = path.strip_prefix(root).expect("under src").to_string_lossy().replace('\\', "/");
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "tests") {
                continue;
            }
            read_sources(&path, root, out);
        } else if rel.ends_with(".rs") && rel != "main.rs" {
            let mut module: Vec<String> = rel.trim_end_matches(".rs").split('/').map(str::to_string).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).expect("read file");
            let (code, test_modules) = without_tests(&strip(&text));
            let test_modules = test_modules
                .into_iter()
                .map(|child| module.iter().cloned().chain(std::iter::once(child)).collect())
                .collect();
            out.push(SourceFile { module, name: rel, code, test_modules });
        }
    }
}

/// The files of the crate at `src`, without the modules declared `#[cfg(test)] mod name;`.
fn read_crate(src: &Path) -> Vec<SourceFile> {
    let mut files = Vec::new();
    read_sources(src, src, &mut files);
    let tests: Vec<Vec<String>> = files.iter().flat_map(|f| f.test_modules.clone()).collect();
    files.retain(|f| !tests.iter().any(|t| f.module.starts_with(t)));
    files
}

/// Removes every `#[cfg(test)]` item (a `mod tests { … }`, a test helper) from code already
/// stripped of comments and strings, and returns the names of `#[cfg(test)] mod name;` files.
fn without_tests(code: &str) -> (String, Vec<String>) {
    const ATTR: &str = "#[cfg(test)]";
    let mut out = String::with_capacity(code.len());
    let mut modules = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(ATTR) {
        out.push_str(&rest[..at]);
        let item = &rest[at + ATTR.len()..];
        let declared = item.trim_start().trim_start_matches("pub ").strip_prefix("mod ").map(|m| {
            let name: String = m.trim_start().chars().take_while(|c| is_ident(*c)).collect();
            let after = m.trim_start()[name.len()..].trim_start();
            (name, after.starts_with(';'))
        });
        if let Some((name, true)) = declared {
            modules.push(name);
        }
        // The item ends at its first `;` when that comes before any `{`, else at the `}` that
        // closes its first `{`.
        let end = match (item.find(';'), item.find('{')) {
            (Some(semi), brace) if brace.is_none_or(|b| semi < b) => semi + 1,
            (_, Some(open)) => {
                let mut depth = 0usize;
                let mut end = item.len();
                for (i, c) in item[open..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            _ => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    (out, modules)
}

/// Removes comments, and string and char literals (a message may mention `crate::…`).
fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if rest.starts_with("//") {
            rest = rest.find('\n').map_or("", |at| &rest[at..]);
        } else if rest.starts_with("/*") {
            rest = rest.find("*/").map_or("", |at| &rest[at + 2..]);
        } else if let Some(raw) = rest.strip_prefix("r#\"") {
            out.push_str("\"\"");
            rest = raw.find("\"#").map_or("", |at| &raw[at + 2..]);
        } else if let Some(len) = char_literal(rest) {
            // '"' and '\'' would otherwise open or close a string.
            out.push_str("' '");
            rest = &rest[len..];
        } else if rest.starts_with('"') {
            // Skip string literals (a message may mention `crate::…`); keep a placeholder.
            let bytes = rest.as_bytes();
            let mut i = 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            rest = rest.get(i + 1..).unwrap_or("");
        } else {
            let c = rest.chars().next().expect("non-empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The length of a char literal at the start of `text` (`'x'`, `'\n'`, `'\u{1b}'`), or `None`
/// (a lifetime such as `'a`, or anything else).
fn char_literal(text: &str) -> Option<usize> {
    let body = text.strip_prefix('\'')?;
    let mut chars = body.char_indices();
    let (_, first) = chars.next()?;
    if first == '\\' {
        let end = body[1..].find('\'')?;
        return Some(end + 3);
    }
    let (at, next) = chars.next()?;
    (next == '\'').then_some(1 + at + 1)
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Every path the code names from `crate::`, `super::` or `self::`, resolved to absolute segments.
fn paths(file: &SourceFile) -> Vec<Vec<String>> {
    let code = &file.code;
    let mut found = Vec::new();
    let mut at = 0;
    while at < code.len() {
        let rest = &code[at..];
        let starts = ["crate::", "super::", "self::"].iter().find(|p| rest.starts_with(**p));
        let preceded = code[..at].chars().next_back().is_some_and(|c| is_ident(c) || c == ':');
        match starts {
            Some(_) if !preceded => {
                let mut base: Vec<String> = Vec::new();
                let mut rest = rest;
                let mut first = true;
                loop {
                    if let Some(r) = rest.strip_prefix("crate::").filter(|_| first) {
                        base.clear();
                        rest = r;
                    } else if let Some(r) = rest.strip_prefix("super::") {
                        if first {
                            base = file.module.clone();
                        }
                        base.pop();
                        rest = r;
                    } else if let Some(r) = rest.strip_prefix("self::").filter(|_| first) {
                        base = file.module.clone();
                        rest = r;
                    } else {
                        break;
                    }
                    first = false;
                }
                let consumed = code.len() - at - rest.len();
                tree(rest, base, &mut found);
                at += consumed.max(1);
            }
            _ => at += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    found
}

/// Expands one use tree (`a::b::{c, d::e}`, `a::b`, `a`) under `base`.
fn tree(text: &str, base: Vec<String>, found: &mut Vec<Vec<String>>) {
    let mut path = base;
    let mut rest = text.trim_start();
    loop {
        let ident: String = rest.chars().take_while(|c| is_ident(*c)).collect();
        if ident.is_empty() {
            if let Some(inner) = rest.strip_prefix('{') {
                let mut depth = 1;
                let mut end = 0;
                for (i, c) in inner.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                let mut depth = 0;
                let mut start = 0;
                let group = &inner[..end];
                for (i, c) in group.char_indices().chain(std::iter::once((group.len(), ','))) {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            let item = group[start..i].trim();
                            if item == "self" {
                                found.push(path.clone());
                            } else if !item.is_empty() && item != "*" {
                                tree(item, path.clone(), found);
                            }
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                return;
            }
            found.push(path);
            return;
        }
        rest = &rest[ident.len()..];
        path.push(ident);
        match rest.strip_prefix("::") {
            Some(r) => rest = r,
            None => {
                found.push(path);
                return;
            }
        }
    }
}

/// A circle in `edges`, if any, as the names along it.
fn circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut found = stack[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, stack, done) {
                return Some(found);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

/// Each import circle between sibling modules (at any depth) of the crate made of `files`.
fn circles(files: &[SourceFile]) -> Vec<String> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    // parent module -> child -> siblings it imports
    let mut siblings: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in files {
        for path in paths(file) {
            let common = file.module.iter().zip(&path).take_while(|(a, b)| a == b).count();
            if common < file.module.len() && common < path.len() {
                let parent = file.module[..common].to_vec();
                let mut sibling = parent.clone();
                sibling.push(path[common].clone());
                if modules.contains(&sibling) {
                    siblings
                        .entry(parent)
                        .or_default()
                        .entry(file.module[common].clone())
                        .or_default()
                        .insert(path[common].clone());
                }
            }
        }
    }
    let mut found = Vec::new();
    for (parent, edges) in &siblings {
        if let Some(circle) = circle(edges) {
            let at = if parent.is_empty() { "crate".to_string() } else { parent.join("::") };
            found.push(format!("import circle in `{at}`: {}", circle.join(" -> ")));
        }
    }
    found
}

/// Every broken rule, one line each.
fn violations(src: &Path) -> Vec<String> {
    let files = read_crate(src);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let layers: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut problems = BTreeSet::new();
    for file in &files {
        let Some(top) = file.module.first() else { continue };
        let allowed = layers.get(top.as_str());
        if allowed.is_none() {
            problems.insert(format!("{}: top-level module `{top}` has no layer in tests/layering.rs", file.name));
        }
        if top == "host" {
            for word in NOT_IN_HOST {
                if file.code.contains(word) {
                    problems.insert(format!("{}: the host layer uses `{word}`", file.name));
                }
            }
        }
        for path in paths(file) {
            let Some(target) = path.first() else { continue };
            let known = modules.contains(&vec![target.clone()]);
            if target != top && known && allowed.is_some_and(|allowed| !allowed.contains(&target.as_str())) {
                problems.insert(format!(
                    "{}: `{top}` may not import `{target}` (crate::{})",
                    file.name,
                    path.join("::")
                ));
            }
        }
    }
    problems.extend(circles(&files));
    problems.into_iter().collect()
}

#[test]
fn layers_point_one_way() {
    let problems = violations(&src_dir());
    assert!(problems.is_empty(), "host-sim's layering is broken:\n{}", problems.join("\n"));
}

#[test]
fn no_crate_has_import_circles() {
    let workspace = std::env::var_os("LAYERING_WORKSPACE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    let mut problems = Vec::new();
    for krate in ["interface", "plugin", "host-sim"] {
        for circle in circles(&read_crate(&workspace.join(krate).join("src"))) {
            problems.push(format!("{krate}: {circle}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_code_map_names_every_layer() {
    let map = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../ARCHITECTURE.md"))
        .expect("ARCHITECTURE.md");
    let mut tops = BTreeSet::new();
    for entry in std::fs::read_dir(src_dir()).expect("src") {
        let name = entry.expect("entry").file_name().to_string_lossy().trim_end_matches(".rs").to_string();
        if name != "lib" && name != "main" {
            tops.insert(name);
        }
    }
    let missing: Vec<_> =
        tops.iter().filter(|t| !map.contains(&format!("`{t}/`")) && !map.contains(&format!("`{t}`"))).collect();
    assert!(missing.is_empty(), "ARCHITECTURE.md's code map does not name: {missing:?}");
    for (layer, _) in LAYERS {
        assert!(tops.contains(*layer), "tests/layering.rs names `{layer}`, which src/ no longer has");
    }
}

#[test]
fn the_reader_sees_what_it_should() {
    let file = |module: &[&str], code: &str| SourceFile {
        module: module.iter().map(|s| s.to_string()).collect(),
        name: "x.rs".into(),
        code: without_tests(&strip(code)).0,
        test_modules: Vec::new(),
    };
    let f = file(
        &["host", "callbacks", "follow"],
        "use super::journal::{self, Outcome};\nuse crate::{store::Store, term};\n// crate::cli::x\nlet s = \"crate::bench\"; let q = '\"'; fn f<'a>(x: &'a str) {}\nsuper::super::session::open(); let r = r#\"crate::cli\"#; let e = '\\'';\nself::Thing::new();\n#[cfg(test)]\nmod proptests;\nuse crate::render::Lang;\n#[cfg(test)]\nmod tests { use crate::cli; fn f() { if x { y() } } }\nuse crate::defaults::DEFAULT_DB;\n#[cfg(test)]\nuse crate::bench;",
    );
    let found: Vec<String> = paths(&f).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        found,
        [
            "host::callbacks::journal",
            "host::callbacks::journal::Outcome",
            "store::Store",
            "term",
            "host::session::open",
            "host::callbacks::follow::Thing::new",
            "render::Lang",
            "defaults::DEFAULT_DB"
        ]
    );
    let (_, declared) = without_tests("#[cfg(test)]\npub mod proptests;\n#[cfg(test)] mod tests { }");
    assert_eq!(declared, ["proptests"]);
}
