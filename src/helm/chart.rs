//! Chart loading (directory or .tgz), `.helmignore`, subcharts, and `.Files`.

use super::exec::TErr;
use super::value::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

/// Helm's limits: whole decompressed chart and single file.
pub const MAX_DECOMPRESSED_CHART: u64 = 100 * 1024 * 1024;
pub const MAX_DECOMPRESSED_FILE: u64 = 5 * 1024 * 1024;

/// A chart load error.
#[derive(Debug, Clone)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for LoadError {}

/// A loaded chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Chart.yaml as a JSON-typed value.
    pub metadata: Value,
    /// values.yaml.
    pub values: Value,
    /// Templates: (path relative to chart root, e.g. `templates/a.yaml`, source). Shared, so
    /// that rendering (which clones the chart) copies no text.
    pub templates: Vec<(String, Rc<str>)>,
    /// Other files (path relative to chart root → bytes), shared with `.Files` in the same way.
    pub files: Rc<BTreeMap<String, Vec<u8>>>,
    /// Subcharts from `charts/`.
    pub dependencies: Vec<Chart>,
    /// Raw values.schema.json, if any.
    pub schema: Option<String>,
}

// Value is Rc-based; a Chart is used on one thread.
impl Chart {
    /// Load from a `.tgz` archive or a directory.
    pub fn load(path: impl AsRef<Path>) -> Result<Chart, LoadError> {
        let p = path.as_ref();
        let md = std::fs::symlink_metadata(p)
            .map_err(|e| LoadError(format!("{}: {}", p.display(), e)))?;
        if md.is_dir() {
            let files = read_dir_files(p)?;
            from_files(files)
        } else {
            let data =
                std::fs::read(p).map_err(|e| LoadError(format!("{}: {}", p.display(), e)))?;
            Chart::load_archive(&data)
        }
    }

    /// Load from `.tgz` bytes.
    pub fn load_archive(data: &[u8]) -> Result<Chart, LoadError> {
        from_files(read_tgz(data)?)
    }

    pub fn name(&self) -> String {
        self.metadata
            .get("name")
            .map(|v| super::funcs::strval(&v))
            .unwrap_or_default()
    }
}

fn check_rel_path(name: &str) -> Result<(), LoadError> {
    if name.starts_with('/') || name.contains('\\') && name.starts_with("\\") {
        return Err(LoadError(format!(
            "chart illegally contains absolute paths: {}",
            name
        )));
    }
    if name.split('/').any(|s| s == "..") {
        return Err(LoadError(format!(
            "chart illegally references parent directory: {}",
            name
        )));
    }
    Ok(())
}

/// Read a gzipped tar archive into (path without the top directory → bytes).
pub fn read_tgz(data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, LoadError> {
    let gz = flate2::read::GzDecoder::new(data);
    let mut ar = tar::Archive::new(gz);
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut total: u64 = 0;
    let entries = ar
        .entries()
        .map_err(|e| LoadError(format!("failed to read chart archive: {}", e)))?;
    for e in entries {
        let mut e = e.map_err(|e| LoadError(format!("failed to read chart archive: {}", e)))?;
        let et = e.header().entry_type();
        let name = String::from_utf8_lossy(&e.path_bytes()).replace('\\', "/");
        if et.is_symlink() || et.is_hard_link() {
            return Err(LoadError(format!(
                "chart contains a link, which is not allowed: {}",
                name
            )));
        }
        if et.is_dir()
            || et.is_pax_global_extensions()
            || et.is_pax_local_extensions()
            || et.is_gnu_longname()
        {
            continue;
        }
        if !et.is_file() {
            continue;
        }
        check_rel_path(&name)?;
        // strip the first component (the chart directory)
        let rel = match name.split_once('/') {
            Some((_, r)) => r.to_string(),
            None => continue,
        };
        if rel.is_empty() {
            continue;
        }
        check_rel_path(&rel)?;
        let size = e.header().size().unwrap_or(0);
        if size > MAX_DECOMPRESSED_FILE {
            return Err(LoadError(format!(
                "decompressed chart file {:?} is larger than the maximum file size {}",
                rel, MAX_DECOMPRESSED_FILE
            )));
        }
        let mut buf = Vec::with_capacity(size as usize);
        (&mut e)
            .take(MAX_DECOMPRESSED_FILE + 1)
            .read_to_end(&mut buf)
            .map_err(|e| LoadError(format!("failed to read chart archive: {}", e)))?;
        if buf.len() as u64 > MAX_DECOMPRESSED_FILE {
            return Err(LoadError(format!(
                "decompressed chart file {:?} is larger than the maximum file size {}",
                rel, MAX_DECOMPRESSED_FILE
            )));
        }
        total += buf.len() as u64;
        if total > MAX_DECOMPRESSED_CHART {
            return Err(LoadError(format!(
                "chart exceeds maximum decompressed size {}",
                MAX_DECOMPRESSED_CHART
            )));
        }
        out.push((rel, trim_bom(buf)));
    }
    Ok(out)
}

/// Helm drops a UTF-8 byte-order mark at the start of every chart file.
fn trim_bom(mut data: Vec<u8>) -> Vec<u8> {
    if data.starts_with(b"\xEF\xBB\xBF") {
        data.drain(..3);
    }
    data
}

fn read_dir_files(root: &Path) -> Result<Vec<(String, Vec<u8>)>, LoadError> {
    let ignore_file = root.join(".helmignore");
    let ignore = match std::fs::read(&ignore_file) {
        Ok(b) => Ignore::parse(&String::from_utf8_lossy(&b))
            .map_err(|e| LoadError(format!("{}: {}", ignore_file.display(), e.0)))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ignore::parse("")?,
        Err(e) => return Err(LoadError(format!("{}: {}", ignore_file.display(), e))),
    };
    let mut out = Vec::new();
    let mut total = 0u64;
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let rd =
            std::fs::read_dir(&dir).map_err(|e| LoadError(format!("{}: {}", dir.display(), e)))?;
        let mut ents: Vec<_> = rd.filter_map(|e| e.ok()).collect();
        ents.sort_by_key(|e| e.file_name());
        for e in ents {
            let name = e.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() {
                name.clone()
            } else {
                format!("{}/{}", rel, name)
            };
            let ft = e.file_type().map_err(|e| LoadError(e.to_string()))?;
            if ft.is_symlink() {
                return Err(LoadError(format!(
                    "chart contains a link, which is not allowed: {}",
                    r
                )));
            }
            if ft.is_dir() {
                if !ignore.ignored(&r, true) {
                    stack.push((e.path(), r));
                }
            } else if ignore.ignored(&r, false) {
                continue;
            } else if ft.is_file() {
                let md = e.metadata().map_err(|e| LoadError(e.to_string()))?;
                if md.len() > MAX_DECOMPRESSED_FILE {
                    return Err(LoadError(format!(
                        "chart file {:?} is larger than the maximum file size {}",
                        r, MAX_DECOMPRESSED_FILE
                    )));
                }
                total += md.len();
                if total > MAX_DECOMPRESSED_CHART {
                    return Err(LoadError(format!(
                        "chart exceeds maximum size {}",
                        MAX_DECOMPRESSED_CHART
                    )));
                }
                let data = std::fs::read(e.path()).map_err(|e| LoadError(e.to_string()))?;
                out.push((r, trim_bom(data)));
            }
        }
    }
    Ok(out)
}

/// A `.helmignore` rule set. Helm applies it only when loading a chart directory (an archive
/// was filtered when it was packaged), with Helm's own semantics rather than gitignore's: the
/// first matching rule decides, and a `!rule` ignores every path it does *not* match.
struct Ignore {
    rules: Vec<IgnoreRule>,
}

struct IgnoreRule {
    negate: bool,
    must_dir: bool,
    /// Matched against the base name only (a pattern without `/`).
    base_only: bool,
    pattern: String,
}

impl Ignore {
    /// Parse `.helmignore` text and add Helm's default rule (`templates/.?*`).
    fn parse(s: &str) -> Result<Ignore, LoadError> {
        let mut ig = Ignore { rules: Vec::new() };
        for line in s.lines().chain(std::iter::once("templates/.?*")) {
            let rule = line.trim();
            if rule.is_empty() || rule.starts_with('#') {
                continue;
            }
            if rule.contains("**") {
                return Err(LoadError("double-star (**) syntax is not supported".into()));
            }
            go_match(rule, "abc").map_err(LoadError)?;
            let (negate, rule) = match rule.strip_prefix('!') {
                Some(r) => (true, r),
                None => (false, rule),
            };
            let (must_dir, rule) = match rule.strip_suffix('/') {
                Some(r) => (true, r),
                None => (false, rule),
            };
            let (base_only, pattern) = match rule.strip_prefix('/') {
                Some(r) => (false, r),
                None => (!rule.contains('/'), rule),
            };
            ig.rules.push(IgnoreRule {
                negate,
                must_dir,
                base_only,
                pattern: pattern.to_string(),
            });
        }
        Ok(ig)
    }

    fn ignored(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for r in &self.rules {
            let subject = if r.base_only {
                path.rsplit('/').next().unwrap_or(path)
            } else {
                path
            };
            let hit = go_match(&r.pattern, subject).unwrap_or(false);
            if r.negate {
                if (r.must_dir && !is_dir) || !hit {
                    return true;
                }
            } else if (!r.must_dir || is_dir) && hit {
                return true;
            }
        }
        false
    }
}

/// Go's `path/filepath.Match` on '/'-separated names: `*` and `?` never match '/', classes
/// `[a-z]`/`[^…]`, `\\` escapes; Err("syntax error in pattern") for a malformed pattern, also
/// when the name already failed to match (Go checks the rest of the pattern then).
pub fn go_match(pattern: &str, name: &str) -> Result<bool, String> {
    let mut pat = pattern;
    let mut name = name;
    'chunks: while !pat.is_empty() {
        let (star, chunk, rest) = scan_chunk(pat);
        pat = rest;
        if star && chunk.is_empty() {
            return Ok(!name.contains('/'));
        }
        match match_chunk(chunk, name) {
            Ok(Some(t)) if t.is_empty() || !pat.is_empty() => {
                name = t;
                continue;
            }
            Err(e) => return Err(e),
            _ => {}
        }
        if star {
            for (i, c) in name.char_indices() {
                if c == '/' {
                    break;
                }
                let after = &name[i + c.len_utf8()..];
                match match_chunk(chunk, after)? {
                    Some(t) if pat.is_empty() && !t.is_empty() => continue,
                    Some(t) => {
                        name = t;
                        continue 'chunks;
                    }
                    None => {}
                }
            }
        }
        while !pat.is_empty() {
            let (_, chunk, rest) = scan_chunk(pat);
            pat = rest;
            match_chunk(chunk, "")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Split off leading stars and the chunk up to the next unescaped star outside a class.
fn scan_chunk(pat: &str) -> (bool, &str, &str) {
    let star = pat.starts_with('*');
    let pat = pat.trim_start_matches('*');
    let b = pat.as_bytes();
    let (mut i, mut in_class) = (0, false);
    while i < b.len() {
        match b[i] {
            b'\\' if i + 1 < b.len() => i += 1,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'*' if !in_class => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pat[..i], &pat[i..])
}

/// Match one star-free chunk at the start of `s`: Ok(Some(rest)) on a match, Ok(None) when it
/// does not match, Err on a malformed chunk (checked to the end, as Go does).
fn match_chunk<'s>(chunk: &str, s: &'s str) -> Result<Option<&'s str>, String> {
    const BAD: &str = "syntax error in pattern";
    let mut s = s;
    let mut failed = false;
    let mut c = chunk;
    while let Some(first) = c.chars().next() {
        if !failed && s.is_empty() && first != '[' {
            failed = true;
        }
        match first {
            '[' => {
                let r = s.chars().next();
                if let Some(r) = r {
                    s = &s[r.len_utf8()..];
                } else {
                    failed = true;
                }
                c = &c[1..];
                let negated = c.starts_with('^');
                if negated {
                    c = &c[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if c.starts_with(']') && nrange > 0 {
                        c = &c[1..];
                        break;
                    }
                    let (lo, rest) = class_char(c).ok_or(BAD)?;
                    c = rest;
                    let mut hi = lo;
                    if let Some(rest) = c.strip_prefix('-') {
                        let (h, rest) = class_char(rest).ok_or(BAD)?;
                        hi = h;
                        c = rest;
                    }
                    if r.is_some_and(|r| lo <= r && r <= hi) {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            '?' => {
                match s.chars().next() {
                    Some(r) if r != '/' => s = &s[r.len_utf8()..],
                    _ => failed = true,
                }
                c = &c[1..];
            }
            '\\' => {
                c = &c[1..];
                let lit = c.chars().next().ok_or(BAD)?;
                if !failed {
                    match s.strip_prefix(lit) {
                        Some(rest) => s = rest,
                        None => failed = true,
                    }
                }
                c = &c[lit.len_utf8()..];
            }
            lit => {
                if !failed {
                    match s.strip_prefix(lit) {
                        Some(rest) => s = rest,
                        None => failed = true,
                    }
                }
                c = &c[lit.len_utf8()..];
            }
        }
    }
    Ok(if failed { None } else { Some(s) })
}

/// One (possibly escaped) character of a class; None when the class is malformed.
fn class_char(c: &str) -> Option<(char, &str)> {
    let mut it = c.chars();
    let ch = it.next()?;
    if ch == '-' || ch == ']' {
        return None;
    }
    if ch == '\\' {
        let e = it.next()?;
        return Some((e, it.as_str()));
    }
    Some((ch, it.as_str()))
}

/// `.Files.Glob` patterns without `**` (gobwas/glob with '/' separators: `*` stops at '/').
pub fn glob_match(pat: &str, name: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn rec(p: &[char], n: &[char]) -> bool {
        if p.is_empty() {
            return n.is_empty();
        }
        match p[0] {
            '*' => {
                for i in 0..=n.len() {
                    if i > 0 && n[i - 1] == '/' {
                        break;
                    }
                    if rec(&p[1..], &n[i..]) {
                        return true;
                    }
                }
                false
            }
            '?' => !n.is_empty() && n[0] != '/' && rec(&p[1..], &n[1..]),
            '[' => {
                if n.is_empty() {
                    return false;
                }
                let mut i = 1;
                let neg = p.get(1) == Some(&'^') || p.get(1) == Some(&'!');
                if neg {
                    i += 1;
                }
                let mut matched = false;
                while i < p.len() && p[i] != ']' {
                    if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
                        if p[i] <= n[0] && n[0] <= p[i + 2] {
                            matched = true;
                        }
                        i += 3;
                    } else {
                        if p[i] == n[0] {
                            matched = true;
                        }
                        i += 1;
                    }
                }
                if i >= p.len() {
                    return false;
                }
                matched != neg && rec(&p[i + 1..], &n[1..])
            }
            '\\' if p.len() > 1 => !n.is_empty() && n[0] == p[1] && rec(&p[2..], &n[1..]),
            c => !n.is_empty() && n[0] == c && rec(&p[1..], &n[1..]),
        }
    }
    rec(&p, &n)
}

fn from_files(files: Vec<(String, Vec<u8>)>) -> Result<Chart, LoadError> {
    let mut metadata: Option<Value> = None;
    let mut values = Value::empty_map();
    let mut templates = Vec::new();
    let mut other = BTreeMap::new();
    let mut sub_files: BTreeMap<String, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    let mut sub_archives: Vec<(String, Vec<u8>)> = Vec::new();
    let mut schema = None;
    for (name, data) in files {
        if name == "Chart.yaml" {
            let s = String::from_utf8_lossy(&data);
            metadata = Some(
                super::yaml::parse(&s)
                    .map_err(|e| LoadError(format!("cannot load Chart.yaml: {}", e)))?,
            );
        } else if name == "values.yaml" {
            let s = String::from_utf8_lossy(&data);
            values = super::yaml::parse_values(&s)
                .map_err(|e| LoadError(format!("cannot load values.yaml: {}", e)))?;
        } else if name == "values.schema.json" {
            schema = Some(super::value::utf8_lossy(&data));
        } else if let Some(rest) = name.strip_prefix("charts/") {
            if let Some((sub, r)) = rest.split_once('/') {
                sub_files
                    .entry(sub.to_string())
                    .or_default()
                    .push((r.to_string(), data));
            } else if rest.ends_with(".tgz") || rest.ends_with(".tar.gz") {
                sub_archives.push((rest.to_string(), data));
            }
        } else if name.starts_with("templates/") {
            let text = match String::from_utf8(data) {
                Ok(t) => t,
                Err(e) => super::value::utf8_lossy(e.as_bytes()),
            };
            templates.push((name, Rc::from(text)));
        } else if name == "Chart.lock" || name == "requirements.yaml" || name == "requirements.lock"
        {
            other.insert(name, data);
        } else {
            other.insert(name, data);
        }
    }
    let metadata = metadata.ok_or_else(|| LoadError("Chart.yaml file is missing".into()))?;
    if !matches!(metadata, Value::Map(_)) {
        return Err(LoadError("cannot load Chart.yaml: not a map".into()));
    }
    let mut deps = Vec::new();
    for (_, files) in sub_files {
        if files.iter().any(|(n, _)| n == "Chart.yaml") {
            deps.push(from_files(files)?);
        }
    }
    for (_, data) in sub_archives {
        deps.push(Chart::load_archive(&data)?);
    }
    Ok(Chart {
        metadata,
        values,
        templates,
        files: Rc::new(other),
        dependencies: deps,
        schema,
    })
}

/// `.Files` methods.
pub fn files_method(
    f: &Rc<BTreeMap<String, Vec<u8>>>,
    name: &str,
    args: &[Value],
) -> Result<Value, TErr> {
    let arg = args.first().and_then(|a| a.as_str()).unwrap_or("");
    match name {
        "Get" => Ok(Value::string(
            f.get(arg)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default(),
        )),
        "GetBytes" => Ok(Value::list(
            f.get(arg)
                .map(|b| b.iter().map(|x| Value::Int(*x as i64)).collect())
                .unwrap_or_default(),
        )),
        "Lines" => {
            let s = f
                .get(arg)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            if s.is_empty() {
                return Ok(Value::list(vec![]));
            }
            let s = s.strip_suffix('\n').unwrap_or(&s);
            Ok(Value::list(s.split('\n').map(Value::str).collect()))
        }
        "Glob" => {
            let mut m = BTreeMap::new();
            for (k, v) in f.iter() {
                if glob_match_double_star(arg, k) {
                    m.insert(k.clone(), v.clone());
                }
            }
            Ok(Value::Object(Rc::new(super::value::Object::Files(
                Rc::new(m),
            ))))
        }
        "AsConfig" => {
            let mut m = BTreeMap::new();
            for (k, v) in f.iter() {
                let base = k.rsplit('/').next().unwrap_or(k);
                m.insert(
                    base.to_string(),
                    Value::string(String::from_utf8_lossy(v).into_owned()),
                );
            }
            if m.is_empty() {
                return Ok(Value::str(""));
            }
            Ok(Value::string(
                super::yamlout::to_yaml(&Value::map(m)).unwrap_or_default(),
            ))
        }
        "AsSecrets" => {
            use base64::Engine;
            let mut m = BTreeMap::new();
            for (k, v) in f.iter() {
                let base = k.rsplit('/').next().unwrap_or(k);
                m.insert(
                    base.to_string(),
                    Value::string(base64::engine::general_purpose::STANDARD.encode(v)),
                );
            }
            if m.is_empty() {
                return Ok(Value::str(""));
            }
            Ok(Value::string(
                super::yamlout::to_yaml(&Value::map(m)).unwrap_or_default(),
            ))
        }
        _ => Err(TErr::new(format!("can't call method {}", name))),
    }
}

/// gobwas/glob with '/' separator: `*` doesn't cross '/', `**` does.
fn glob_match_double_star(pat: &str, name: &str) -> bool {
    if !pat.contains("**") {
        return glob_match(pat, name);
    }
    let p: Vec<char> = pat.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn rec(p: &[char], n: &[char]) -> bool {
        if p.is_empty() {
            return n.is_empty();
        }
        if p.len() >= 2 && p[0] == '*' && p[1] == '*' {
            for i in 0..=n.len() {
                if rec(&p[2..], &n[i..]) {
                    return true;
                }
            }
            return false;
        }
        match p[0] {
            '*' => {
                for i in 0..=n.len() {
                    if i > 0 && n[i - 1] == '/' {
                        break;
                    }
                    if rec(&p[1..], &n[i..]) {
                        return true;
                    }
                }
                false
            }
            '?' => !n.is_empty() && n[0] != '/' && rec(&p[1..], &n[1..]),
            c => !n.is_empty() && n[0] == c && rec(&p[1..], &n[1..]),
        }
    }
    rec(&p, &n)
}
