//! The architecture's one-way dependencies, checked on the source: every `crate::…` path a file
//! under `src/` uses (in `use` trees, grouped or not, and inline), mapped to the top-level module
//! it names. Comments and string literals are left out before reading.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// Pure types and rules: no I/O, no framework.
const PURE_CORE: &[&str] = &[
    "domain",
    "tariff",
    "scheduling",
    "operators",
    "quote",
    "i18n",
];

/// One `crate::…` path a file uses.
#[derive(Debug, Clone)]
struct Import {
    /// The top-level module it names.
    module: String,
    /// As written, resolved from the crate root (`crate::db::requests::RequestRow`).
    path: String,
}

#[derive(Debug)]
struct SourceFile {
    /// Relative to the crate (`src/web/views.rs`).
    name: String,
    /// The top-level module it belongs to (`web`).
    module: String,
    /// The code without comments and string literals.
    code: String,
    imports: Vec<Import>,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file below `src/` (`web/views.rs` → `[web, views]`,
/// `web/mod.rs` → `[web]`); `None` for the crate roots.
fn module_path(relative: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?.to_owned();
    if parts.is_empty() && (stem == "lib" || stem == "main") {
        return None;
    }
    if stem != "mod" {
        parts.push(stem);
    }
    Some(parts)
}

/// The code with comments and string, byte-string, raw-string and char literals replaced by
/// blanks (line breaks kept), so nothing inside them reads as a path.
fn strip_comments_and_literals(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let previous_is_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if !previous_is_ident && (c == 'r' || (c == 'b' && next == Some('r'))) && {
            let start = if c == 'b' { i + 2 } else { i + 1 };
            let hashes = chars[start..].iter().take_while(|&&h| h == '#').count();
            chars.get(start + hashes) == Some(&'"')
        } {
            let start = if c == 'b' { i + 2 } else { i + 1 };
            let hashes = chars[start..].iter().take_while(|&&h| h == '#').count();
            i = start + hashes + 1;
            loop {
                if i >= chars.len() {
                    break;
                }
                if chars[i] == '"'
                    && chars[i + 1..].iter().take_while(|&&h| h == '#').count() >= hashes
                {
                    i += 1 + hashes;
                    break;
                }
                blank(&mut out, chars[i]);
                i += 1;
            }
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
                if i < chars.len() {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}'), else a lifetime or label.
            if next == Some('\\') {
                i += 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else if chars.get(i + 2) == Some(&'\'') {
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

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Reads a use tree (or an inline path) at `i`: segments separated by `::`, groups in braces.
/// Every complete path is pushed onto `paths`, prefixed with `prefix`.
fn read_tree(
    code: &[char],
    mut i: usize,
    prefix: &[String],
    paths: &mut Vec<Vec<String>>,
) -> usize {
    let skip_space = |mut i: usize| {
        while i < code.len() && code[i].is_whitespace() {
            i += 1;
        }
        i
    };
    let mut path = prefix.to_vec();
    loop {
        i = skip_space(i);
        if i < code.len() && code[i] == '{' {
            i += 1;
            loop {
                i = skip_space(i);
                if i >= code.len() {
                    return i;
                }
                if code[i] == '}' {
                    return i + 1;
                }
                if code[i] == ',' {
                    i += 1;
                    continue;
                }
                let before = i;
                i = read_tree(code, i, &path, paths);
                if i == before {
                    // Not a path (`*`, `self as x`): step over it.
                    i += 1;
                }
            }
        }
        let start = i;
        while i < code.len() && is_ident(code[i]) {
            i += 1;
        }
        if i == start {
            if path.len() > prefix.len() {
                paths.push(path);
            }
            return i;
        }
        let segment: String = code[start..i].iter().collect();
        let is_self = segment == "self";
        if !is_self {
            path.push(segment);
        }
        let after = skip_space(i);
        if code.get(after) == Some(&':') && code.get(after + 1) == Some(&':') {
            i = after + 2;
        } else {
            if path.len() > prefix.len() || is_self {
                paths.push(path);
            }
            // A rename (`d as e`) names nothing more.
            if code.get(after..after + 3) == Some(&['a', 's', ' '][..]) {
                i = skip_space(after + 3);
                while i < code.len() && is_ident(code[i]) {
                    i += 1;
                }
            }
            return i;
        }
    }
}

/// Every `crate::…` and `super::…` path of `code`, resolved from the crate root.
fn imports_of(code: &str, module: &[String]) -> Vec<Import> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let at_word = (i == 0 || !is_ident(chars[i - 1]) && chars[i - 1] != '$')
            && is_ident(chars[i])
            && !chars[i].is_numeric();
        if !at_word {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && is_ident(chars[i]) {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        let mut base: Vec<String> = match word.as_str() {
            "crate" => Vec::new(),
            // A file's own module, then its parent for each `super`.
            "super" => module[..module.len().saturating_sub(1)].to_vec(),
            _ => continue,
        };
        let mut j = i;
        // `super::super::…`
        loop {
            if chars.get(j) != Some(&':') || chars.get(j + 1) != Some(&':') {
                break;
            }
            let rest: String = chars[j + 2..].iter().take(5).collect();
            if word == "super"
                && rest == "super"
                && !chars.get(j + 7).copied().is_some_and(is_ident)
            {
                base.pop();
                j += 7;
            } else {
                break;
            }
        }
        if chars.get(j) != Some(&':') || chars.get(j + 1) != Some(&':') {
            continue;
        }
        let mut paths = Vec::new();
        i = read_tree(&chars, j + 2, &base, &mut paths);
        for path in paths {
            if let Some(first) = path.first() {
                found.push(Import {
                    module: first.clone(),
                    path: format!("crate::{}", path.join("::")),
                });
            }
        }
    }
    found
}

fn sources() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let mut files = Vec::new();
    for path in paths {
        let relative = path.strip_prefix(&src).expect("under src");
        let Some(module) = module_path(relative) else {
            continue;
        };
        let text =
            fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let code = strip_comments_and_literals(&text);
        let imports = imports_of(&code, &module);
        files.push(SourceFile {
            name: format!("src/{}", relative.to_string_lossy().replace('\\', "/")),
            module: module[0].clone(),
            code,
            imports,
        });
    }
    assert!(
        files.iter().any(|f| f.module == "web") && files.iter().any(|f| f.module == "db"),
        "the source tree was not found under {}",
        src.display()
    );
    files
}

/// One line per offending import: `file: import (why)`.
fn offences(
    files: &[SourceFile],
    from: impl Fn(&SourceFile) -> bool,
    forbidden: &[&str],
    why: &str,
) -> Vec<String> {
    let mut lines = Vec::new();
    for file in files.iter().filter(|f| from(f)) {
        for import in &file.imports {
            if import.module != file.module && forbidden.contains(&import.module.as_str()) {
                lines.push(format!("{}: uses {} ({why})", file.name, import.path));
            }
        }
    }
    lines
}

fn assert_none(lines: Vec<String>, rule: &str) {
    assert!(
        lines.is_empty(),
        "{rule}\n{}\n",
        lines
            .iter()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Whether a file reads the pool straight from the state (`state.db`).
fn touches_pool(file: &SourceFile) -> bool {
    let code: Vec<char> = file.code.chars().collect();
    code.windows(3)
        .enumerate()
        .any(|(i, w)| w == ['.', 'd', 'b'] && !code.get(i + 3).copied().is_some_and(is_ident))
}

#[test]
fn pages_api_and_edge_never_import_the_database() {
    let files = sources();
    let mut lines = Vec::new();
    for file in files
        .iter()
        .filter(|f| matches!(f.module.as_str(), "web" | "api" | "http"))
    {
        for import in file.imports.iter().filter(|i| i.module == "db") {
            lines.push(format!(
                "{}: uses {} (pages, API and edge go through services)",
                file.name, import.path
            ));
        }
        if touches_pool(file) {
            lines.push(format!(
                "{}: reads `.db` from the state (pages, API and edge go through services)",
                file.name
            ));
        }
    }
    assert_none(lines, "web/, api/ and http/ must not import db:");
}

#[test]
fn pages_and_api_never_import_each_other() {
    let files = sources();
    let mut lines = offences(
        &files,
        |f| f.module == "web",
        &["api"],
        "pages do not call the API",
    );
    lines.extend(offences(
        &files,
        |f| f.module == "api",
        &["web"],
        "the API does not call pages",
    ));
    assert_none(lines, "web and api must not import each other:");
}

#[test]
fn use_cases_workers_and_storage_never_import_the_edge() {
    let files = sources();
    let inner = |f: &SourceFile| {
        matches!(f.module.as_str(), "services" | "jobs" | "demo" | "db")
            || PURE_CORE.contains(&f.module.as_str())
    };
    let lines = offences(
        &files,
        inner,
        &["web", "api", "http", "app"],
        "dependencies point from the edge inwards",
    );
    assert_none(
        lines,
        "services, jobs, demo, db and the pure core must not import web, api, http or app:",
    );
}

#[test]
fn the_pure_core_has_no_io() {
    let files = sources();
    let mut lines = offences(
        &files,
        |f| PURE_CORE.contains(&f.module.as_str()),
        &[
            "db", "services", "jobs", "mail", "storage", "state", "app", "http", "web", "api",
            "demo",
        ],
        "the pure core does no I/O",
    );
    for file in files
        .iter()
        .filter(|f| PURE_CORE.contains(&f.module.as_str()))
    {
        for line in file.code.lines() {
            let line = line.trim_start();
            for framework in ["axum", "sqlx", "lettre"] {
                let used = line
                    .strip_prefix("use ")
                    .or_else(|| line.strip_prefix("pub use "))
                    .is_some_and(|rest| {
                        let rest = rest.trim_start().trim_start_matches("::");
                        rest.starts_with(framework)
                            && !rest[framework.len()..].starts_with(is_ident)
                    });
                if used {
                    lines.push(format!(
                        "{}: `{line}` (the pure core has no {framework})",
                        file.name
                    ));
                }
            }
        }
    }
    assert_none(
        lines,
        "domain, tariff, scheduling, operators, quote and i18n must not do I/O:",
    );
}

#[test]
fn the_domain_is_the_bottom_of_the_pure_core() {
    // Money, lengths, VAT status and the cases the engines price are the domain's: the tariff
    // engines, the scheduler and the operators build on them, never the other way round.
    let lines = sources()
        .iter()
        .filter(|f| f.module == "domain")
        .flat_map(|f| {
            f.imports
                .iter()
                .filter(|i| i.module != "domain")
                .map(move |i| format!("{}: uses {}", f.name, i.path))
        })
        .collect();
    assert_none(lines, "the domain must use nothing of the other modules:");
}

#[test]
fn top_level_modules_have_no_cycle() {
    let files = sources();
    // module -> module it uses -> one (file, import) that makes the edge
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for file in &files {
        edges.entry(file.module.clone()).or_default();
        for import in &file.imports {
            if import.module == file.module {
                continue;
            }
            edges
                .entry(file.module.clone())
                .or_default()
                .entry(import.module.clone())
                .or_insert_with(|| format!("{}: uses {}", file.name, import.path));
        }
    }
    // Depth-first search for a back edge; the path on the stack is the cycle.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeMap<String, String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flat_map(|e| e.keys()) {
            if let Some(cycle) = visit(next, edges, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }

    let mut done = BTreeSet::new();
    for node in edges.keys() {
        let mut stack = Vec::new();
        if let Some(cycle) = visit(node, &edges, &mut stack, &mut done) {
            let because: Vec<String> = cycle
                .windows(2)
                .map(|pair| {
                    format!(
                        "  {} -> {}: {}",
                        pair[0], pair[1], edges[&pair[0]][&pair[1]]
                    )
                })
                .collect();
            panic!(
                "cycle among top-level modules: {}\n{}\n",
                cycle.join(" -> "),
                because.join("\n")
            );
        }
    }
}

#[test]
fn import_reading_understands_groups_inline_paths_comments_and_strings() {
    let module = vec!["web".to_owned(), "views".to_owned()];
    let code = strip_comments_and_literals(
        r##"
        use crate::{a, b::{c, d as e}, f::*};
        // use crate::commented;
        /* crate::blocked::{x} */
        let s = "crate::quoted";
        let r = r#"crate::raw"#;
        let q = '\'';
        let c = '"';
        fn f<'a>(x: &'a str) { crate::inline::call(x); }
        use super::{frame, error::PageError};
        "##,
    );
    let paths: Vec<String> = imports_of(&code, &module)
        .into_iter()
        .map(|i| i.path)
        .collect();
    assert_eq!(
        paths,
        [
            "crate::a",
            "crate::b::c",
            "crate::b::d",
            "crate::f",
            "crate::inline::call",
            "crate::web::frame",
            "crate::web::error::PageError",
        ]
    );
}

/// The parameters of each `pub async fn` of a file: (function name, parameter text).
fn async_fn_signatures(code: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("pub async fn ") {
        let after = &rest[at + "pub async fn ".len()..];
        let name: String = after.chars().take_while(|c| is_ident(*c)).collect();
        let Some(open) = after.find('(') else { break };
        let mut depth = 0;
        let mut close = open;
        for (i, c) in after[open..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        found.push((name, after[open + 1..close].to_owned()));
        rest = &after[close..];
    }
    found
}

/// A read through the pool of what belongs to one request names who may read it: a tenant's
/// `Scope`, or the `RequestAccess` an authorised read of the request handed out. A bare id is
/// only for writes and reads inside a use case's transaction, which checked first.
#[test]
fn reads_of_a_requests_data_take_a_scope_or_an_access() {
    let files = sources();
    let mut lines = Vec::new();
    for file in files.iter().filter(|f| f.module == "db") {
        for (name, params) in async_fn_signatures(&file.code) {
            let through_pool = params.contains(": &Db");
            let by_bare_id = params.contains("request_id: RequestId");
            let named_reader = params.contains("&Scope") || params.contains("RequestAccess");
            if through_pool && by_bare_id && !named_reader {
                lines.push(format!("{}: {name}({params})", file.name));
            }
        }
    }
    assert!(
        files.iter().any(|f| f.name == "src/db/documents.rs"
            && async_fn_signatures(&f.code)
                .iter()
                .any(|(name, params)| name == "for_request" && params.contains("RequestAccess"))),
        "the check reads the repositories"
    );
    assert_none(
        lines,
        "a request's data is read with its reader's Scope or RequestAccess, not a bare id",
    );
}
