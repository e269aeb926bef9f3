//! Chart loading (directory or .tgz), `.helmignore`, subcharts, and `.Files`.

use gotemplate::error::TemplateError;
use gotemplate::value::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

/// Helm v4's limit on a chart's decompressed file data (`archive.MaxDecompressedChartSize`).
/// Helm v4 dropped its per-file limit; only this total applies.
pub const MAX_DECOMPRESSED_CHART: u64 = 100 * 1024 * 1024;
/// Entries (files, directories, headers) read from one archive. Helm has no such limit; ours
/// bounds what empty entries cost, which the byte budget does not count. Real charts have
/// hundreds (Cilium 1.17: about 300).
pub const MAX_ARCHIVE_ENTRIES: u64 = 20_000;
/// The tar stream read from one archive: the file data plus every entry's header and padding,
/// so that data the byte budget skips (extension headers, directory payloads) stays bounded too.
pub const MAX_TAR_STREAM: u64 = MAX_DECOMPRESSED_CHART + MAX_ARCHIVE_ENTRIES * 2048;

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
    /// Templates: (path relative to chart root, e.g. `templates/a.yaml`, source).
    /// Shared, so that rendering (which clones the chart) copies no text.
    pub templates: Vec<(String, Rc<str>)>,
    /// Other files (path relative to chart root → bytes).
    /// Shared with `.Files` in the same way.
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
        let md = std::fs::metadata(p).map_err(|e| LoadError(format!("{}: {}", p.display(), e)))?;
        if md.is_dir() {
            let files = read_dir_files(p)?;
            from_files(files)
        } else {
            let f =
                std::fs::File::open(p).map_err(|e| LoadError(format!("{}: {}", p.display(), e)))?;
            from_files(read_tgz_from(std::io::BufReader::new(f))?)
        }
    }

    /// Load from a chart's files (paths relative to the chart root), e.g. as a release records them.
    pub fn load_files(files: Vec<(String, Vec<u8>)>) -> Result<Chart, LoadError> {
        from_files(files)
    }

    /// Load from `.tgz` bytes.
    pub fn load_archive(data: &[u8]) -> Result<Chart, LoadError> {
        from_files(read_tgz(data)?)
    }

    /// `name` of Chart.yaml, as text (empty when missing).
    pub fn name(&self) -> String {
        self.metadata_text("name")
    }

    /// `version` of Chart.yaml, as text (empty when missing).
    pub fn version(&self) -> String {
        self.metadata_text("version")
    }

    /// A field of Chart.yaml as Sprig's `toString` prints it (a YAML number stays as written).
    pub fn metadata_text(&self, field: &str) -> String {
        self.metadata
            .get(field)
            .map(|v| gotemplate::value::strval(&v))
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
    read_tgz_from(data)
}

/// Counts what the gzip stream yields and fails past [`MAX_TAR_STREAM`]: a gzip bomb stops
/// there, whatever the tar headers claim.
struct Bounded<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > MAX_TAR_STREAM {
            return Err(std::io::Error::other(too_large()));
        }
        Ok(n)
    }
}

fn too_large() -> String {
    format!("decompressed chart is larger than the maximum size {MAX_DECOMPRESSED_CHART}")
}

fn archive_err(e: std::io::Error) -> LoadError {
    LoadError(format!("failed to read chart archive: {e}"))
}

/// [`read_tgz`] from a stream: a chart file is never held whole before its limits are checked.
pub fn read_tgz_from(data: impl Read) -> Result<Vec<(String, Vec<u8>)>, LoadError> {
    let gz = flate2::read::GzDecoder::new(data);
    let mut ar = tar::Archive::new(Bounded { inner: gz, read: 0 });
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut remaining: u64 = MAX_DECOMPRESSED_CHART;
    let mut count: u64 = 0;
    let entries = ar.entries().map_err(archive_err)?;
    for e in entries {
        let mut e = e.map_err(archive_err)?;
        count += 1;
        if count > MAX_ARCHIVE_ENTRIES {
            return Err(LoadError(format!(
                "chart archive has more than {MAX_ARCHIVE_ENTRIES} entries"
            )));
        }
        let et = e.header().entry_type();
        let name = String::from_utf8_lossy(&e.path_bytes()).replace('\\', "/");
        // Archives come from registries: a link entry is refused (Helm would load it as an
        // empty file), so nothing in a chart ever points outside it.
        if et.is_symlink() || et.is_hard_link() {
            return Err(LoadError(format!(
                "chart archive contains a link, which is not allowed: {name} (package the chart with its files, e.g. `helm package`, which resolves links)"
            )));
        }
        if et.is_dir()
            || et.is_pax_global_extensions()
            || et.is_pax_local_extensions()
            || et.is_gnu_longname()
            || et.is_gnu_longlink()
        {
            continue;
        }
        // Devices and FIFOs (Helm would load them as empty files) have no place in a chart, and
        // `cilium pull --untar` must never create one.
        if !et.is_file() && !et.is_contiguous() {
            return Err(LoadError(format!(
                "chart archive contains {name}, which is not a regular file (tar type {:?})",
                char::from(et.as_byte())
            )));
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
        if size > remaining {
            return Err(LoadError(too_large()));
        }
        let mut buf = Vec::with_capacity(size as usize);
        (&mut e)
            .take(remaining + 1)
            .read_to_end(&mut buf)
            .map_err(archive_err)?;
        if buf.len() as u64 > remaining {
            return Err(LoadError(too_large()));
        }
        remaining -= buf.len() as u64;
        out.push((rel, trim_bom(buf)));
    }
    Ok(out)
}

/// Helm drops a leading UTF-8 byte order mark from every chart file it loads.
fn trim_bom(mut data: Vec<u8>) -> Vec<u8> {
    if data.starts_with(b"\xef\xbb\xbf") {
        data.drain(..3);
    }
    data
}

fn read_dir_files(root: &Path) -> Result<Vec<(String, Vec<u8>)>, LoadError> {
    let ignore = match std::fs::read(root.join(".helmignore")) {
        Ok(d) => Ignore::parse(&String::from_utf8_lossy(&d))?,
        Err(_) => Ignore::parse("")?,
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
            let mut ft = e.file_type().map_err(|e| LoadError(e.to_string()))?;
            if ft.is_symlink() {
                // Helm's walk follows symbolic links, keeping the link's path
                ft = std::fs::metadata(e.path())
                    .map_err(|err| {
                        LoadError(format!(
                            "error evaluating symlink {}: {}",
                            e.path().display(),
                            err
                        ))
                    })?
                    .file_type();
            }
            if ignore.ignored(&r, ft.is_dir()) {
                continue;
            }
            if ft.is_dir() {
                stack.push((e.path(), r));
            } else if ft.is_file() {
                let md = std::fs::metadata(e.path()).map_err(|e| LoadError(e.to_string()))?;
                let exceeded = || {
                    LoadError(format!(
                        "chart exceeds maximum decompressed size of {MAX_DECOMPRESSED_CHART} bytes"
                    ))
                };
                if md.len() > MAX_DECOMPRESSED_CHART - total {
                    return Err(exceeded());
                }
                let mut data = Vec::new();
                std::fs::File::open(e.path())
                    .and_then(|f| {
                        f.take(MAX_DECOMPRESSED_CHART - total + 1)
                            .read_to_end(&mut data)
                    })
                    .map_err(|e| LoadError(e.to_string()))?;
                total += data.len() as u64;
                if total > MAX_DECOMPRESSED_CHART {
                    return Err(exceeded());
                }
                out.push((r, trim_bom(data)));
            } else {
                // Helm's words; a FIFO would otherwise block the read forever
                return Err(LoadError(format!(
                    "cannot load irregular file {} as it has file mode type bits set",
                    e.path().display()
                )));
            }
        }
    }
    Ok(out)
}

/// One `.helmignore` rule as Helm's `pkg/ignore` parses it.
struct IgnoreRule {
    negate: bool,
    must_dir: bool,
    /// Match the base name only (a rule without `/`), else the whole relative path.
    base: bool,
    pat: String,
}

/// A `.helmignore` rule set with Helm's own evaluation (not gitignore's): rules are tried in
/// order and the first positive match ignores; a negative rule that does not match (or a
/// negative directory rule met by a file) ignores too. Helm applies it only when loading a
/// chart directory, with `templates/.?*` appended.
struct Ignore {
    rules: Vec<IgnoreRule>,
}

impl Ignore {
    fn parse(s: &str) -> Result<Ignore, LoadError> {
        let mut rules = Vec::new();
        for line in s.strip_prefix('\u{feff}').unwrap_or(s).split('\n') {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            if l.contains("**") {
                return Err(LoadError("double-star (**) syntax is not supported".into()));
            }
            if !glob_valid(l) {
                return Err(LoadError("syntax error in pattern".into()));
            }
            let (negate, l) = match l.strip_prefix('!') {
                Some(r) => (true, r),
                None => (false, l),
            };
            let (must_dir, l) = match l.strip_suffix('/') {
                Some(r) => (true, r),
                None => (false, l),
            };
            let (base, pat) = match l.strip_prefix('/') {
                Some(r) => (false, r),
                None => (!l.contains('/'), l),
            };
            rules.push(IgnoreRule {
                negate,
                must_dir,
                base,
                pat: pat.to_string(),
            });
        }
        rules.push(IgnoreRule {
            negate: false,
            must_dir: false,
            base: false,
            pat: "templates/.?*".into(),
        });
        Ok(Ignore { rules })
    }

    fn ignored(&self, path: &str, is_dir: bool) -> bool {
        for r in &self.rules {
            let m = || {
                let name = if r.base {
                    path.rsplit('/').next().unwrap_or(path)
                } else {
                    path
                };
                path_match(&r.pat, name)
            };
            if r.negate {
                if (r.must_dir && !is_dir) || !m() {
                    return true;
                }
                continue;
            }
            if r.must_dir && !is_dir {
                continue;
            }
            if m() {
                return true;
            }
        }
        false
    }
}

/// Whether a Go `filepath.Match` pattern is well formed: every `[` class is closed and
/// non-empty, and no range bound or escape is missing.
fn glob_valid(pat: &str) -> bool {
    let c: Vec<char> = pat.chars().collect();
    let mut i = 0;
    // one class member: an escaped or plain char other than '-' and ']'
    let esc = |i: &mut usize| -> bool {
        match c.get(*i) {
            None | Some('-') | Some(']') => false,
            Some('\\') => {
                *i += 2;
                *i <= c.len()
            }
            Some(_) => {
                *i += 1;
                true
            }
        }
    };
    while i < c.len() {
        match c[i] {
            '\\' => {
                if i + 1 >= c.len() {
                    return false;
                }
                i += 2;
            }
            '[' => {
                i += 1;
                if c.get(i) == Some(&'^') {
                    i += 1;
                }
                let mut n = 0;
                loop {
                    if c.get(i) == Some(&']') && n > 0 {
                        i += 1;
                        break;
                    }
                    if !esc(&mut i) {
                        return false;
                    }
                    if c.get(i) == Some(&'-') {
                        i += 1;
                        if !esc(&mut i) {
                            return false;
                        }
                    }
                    n += 1;
                }
            }
            _ => i += 1,
        }
    }
    true
}

/// Go `filepath.Match` (`.helmignore` rules): `*` and `?` never match `/`, `[^...]` negates.
fn path_match(pat: &str, name: &str) -> bool {
    let negc = '^';
    let p: Vec<char> = pat.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn rec(p: &[char], n: &[char], negc: char) -> bool {
        if p.is_empty() {
            return n.is_empty();
        }
        match p[0] {
            '*' => {
                for i in 0..=n.len() {
                    if i > 0 && n[i - 1] == '/' {
                        break;
                    }
                    if rec(&p[1..], &n[i..], negc) {
                        return true;
                    }
                }
                false
            }
            '?' => !n.is_empty() && n[0] != '/' && rec(&p[1..], &n[1..], negc),
            '[' => {
                if n.is_empty() {
                    return false;
                }
                let mut i = 1;
                let neg = p.get(1) == Some(&negc);
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
                matched != neg && rec(&p[i + 1..], &n[1..], negc)
            }
            '\\' if p.len() > 1 => !n.is_empty() && n[0] == p[1] && rec(&p[2..], &n[1..], negc),
            c => !n.is_empty() && n[0] == c && rec(&p[1..], &n[1..], negc),
        }
    }
    rec(&p, &n, negc)
}

fn from_files(files: Vec<(String, Vec<u8>)>) -> Result<Chart, LoadError> {
    let mut metadata: Option<Value> = None;
    let mut values = Value::empty_map();
    let mut templates = Vec::new();
    let mut other = BTreeMap::new();
    let mut sub_files: BTreeMap<String, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    let mut sub_archives: Vec<(String, Vec<u8>)> = Vec::new();
    let mut schema = None;
    let mut requirements: Option<Vec<u8>> = None;
    let mut requirements_lock: Option<Vec<u8>> = None;
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
            schema = Some(gotemplate::value::utf8_lossy(&data));
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
            templates.push((name, Rc::from(gotemplate::gostr::from_vec(data))));
        } else if name == "Chart.lock" {
            // Helm reads it into the chart's lock, not into `.Files`.
        } else if name == "requirements.yaml" {
            requirements = Some(data);
        } else if name == "requirements.lock" {
            requirements_lock = Some(data);
        } else {
            other.insert(name, data);
        }
    }
    let metadata = metadata.ok_or_else(|| LoadError("Chart.yaml file is missing".into()))?;
    if !matches!(metadata, Value::Map(_)) {
        return Err(LoadError("cannot load Chart.yaml: not a map".into()));
    }
    default_api_version(&metadata);
    apply_legacy_requirements(&metadata, requirements, requirements_lock, &mut other)?;
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

/// Helm 2 accepted charts without `apiVersion`; Helm's loader takes them as `v1`, which
/// `.Chart.APIVersion` then shows.
fn default_api_version(metadata: &Value) {
    if let Value::Map(m) = metadata {
        let missing = match m.borrow().get("apiVersion") {
            None | Some(Value::Nil) => true,
            Some(Value::Str(s)) => s.is_empty(),
            Some(_) => false,
        };
        if missing {
            m.borrow_mut().insert("apiVersion".into(), Value::str("v1"));
        }
    }
}

/// Helm 2's `requirements.yaml` / `requirements.lock`, as Helm's loader still reads them.
///
/// `requirements.yaml` is unmarshalled over Chart.yaml's metadata whatever the apiVersion, so its
/// `dependencies` replace Chart.yaml's and conditions, tags, aliases and import-values apply to them
/// as to a v2 chart's. Only a v1 chart (or one without apiVersion) keeps both files in `.Files`.
fn apply_legacy_requirements(
    metadata: &Value,
    requirements: Option<Vec<u8>>,
    lock: Option<Vec<u8>>,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), LoadError> {
    let api_version = metadata
        .get("apiVersion")
        .map(|v| gotemplate::value::strval(&v))
        .unwrap_or_default();
    let v1 = api_version == "v1";
    if let Some(data) = requirements {
        let text = String::from_utf8_lossy(&data);
        let parsed = super::yaml::parse(&text)
            .map_err(|e| LoadError(format!("cannot load requirements.yaml: {}", e)))?;
        if let (Value::Map(target), Value::Map(source)) = (metadata, &parsed) {
            for (key, value) in source.borrow().iter() {
                overlay_metadata_field(&mut target.borrow_mut(), key, value);
            }
        }
        if v1 {
            files.insert("requirements.yaml".into(), data);
        }
    }
    if let Some(data) = lock {
        let text = String::from_utf8_lossy(&data);
        super::yaml::parse(&text)
            .map_err(|e| LoadError(format!("cannot load requirements.lock: {}", e)))?;
        if v1 {
            files.insert("requirements.lock".into(), data);
        }
    }
    Ok(())
}

/// One key of `requirements.yaml` unmarshalled into Helm's Metadata struct: a field present
/// replaces Chart.yaml's, except the annotations map, which Go's decoder merges into.
fn overlay_metadata_field(target: &mut BTreeMap<String, Value>, key: &str, value: &Value) {
    match (key, target.get(key), value) {
        ("annotations", Some(Value::Map(old)), Value::Map(new)) => {
            let mut merged = old.borrow().clone();
            for (k, v) in new.borrow().iter() {
                merged.insert(k.clone(), v.clone());
            }
            target.insert(key.to_string(), Value::map(merged));
        }
        // A JSON null leaves a Go string or map field as it was and empties a slice.
        (_, Some(_), Value::Nil) if key != "dependencies" => {}
        _ => {
            target.insert(key.to_string(), value.clone());
        }
    }
}

/// A gobwas/glob pattern (`.Files.Glob`, separator `/`).
#[derive(Clone)]
enum Glob {
    Lit(char),
    /// `*`: any run without `/`
    Any,
    /// `**`: any run
    Super,
    /// `?`: one char but `/`
    Single,
    /// `[abc]`, `[a-z]`, `[!...]`
    Class(bool, Vec<(char, char)>),
    /// `{a,b}`
    Alt(Vec<Vec<Glob>>),
}

/// Parse a sequence up to the end, or (inside braces) up to `,` / `}`; None on a syntax error
/// (Helm's `.Files.Glob` then falls back to `**`, matching everything).
fn glob_parse(c: &[char], i: &mut usize, in_alt: bool) -> Option<Vec<Glob>> {
    let mut out = Vec::new();
    while *i < c.len() {
        match c[*i] {
            '\\' => {
                out.push(Glob::Lit(*c.get(*i + 1)?));
                *i += 2;
            }
            '*' if c.get(*i + 1) == Some(&'*') => {
                out.push(Glob::Super);
                *i += 2;
            }
            '*' => {
                out.push(Glob::Any);
                *i += 1;
            }
            '?' => {
                out.push(Glob::Single);
                *i += 1;
            }
            '[' => {
                *i += 1;
                let neg = c.get(*i) == Some(&'!');
                if neg {
                    *i += 1;
                }
                let mut items = Vec::new();
                if c.get(*i + 1) == Some(&'-') {
                    // a range is alone in its brackets
                    items.push((*c.get(*i)?, *c.get(*i + 2)?));
                    *i += 3;
                    if c.get(*i) != Some(&']') {
                        return None;
                    }
                } else {
                    while c.get(*i) != Some(&']') {
                        let mut ch = *c.get(*i)?;
                        if ch == '\\' {
                            *i += 1;
                            ch = *c.get(*i)?;
                        }
                        items.push((ch, ch));
                        *i += 1;
                    }
                }
                *i += 1;
                out.push(Glob::Class(neg, items));
            }
            '{' => {
                *i += 1;
                let mut alts = Vec::new();
                loop {
                    alts.push(glob_parse(c, i, true)?);
                    match c.get(*i) {
                        Some(',') => *i += 1,
                        Some('}') => {
                            *i += 1;
                            break;
                        }
                        // gobwas closes braces left open at the end
                        _ => break,
                    }
                }
                out.push(Glob::Alt(alts));
            }
            ',' | '}' if in_alt => return Some(out),
            ch => {
                out.push(Glob::Lit(ch));
                *i += 1;
            }
        }
    }
    Some(out)
}

fn glob_run(p: &[Glob], n: &[char]) -> bool {
    let Some((first, rest)) = p.split_first() else {
        return n.is_empty();
    };
    match first {
        Glob::Lit(ch) => n.first() == Some(ch) && glob_run(rest, &n[1..]),
        Glob::Single => n.first().is_some_and(|x| *x != '/') && glob_run(rest, &n[1..]),
        Glob::Class(neg, items) => {
            n.first()
                .is_some_and(|x| items.iter().any(|(lo, hi)| lo <= x && x <= hi) != *neg)
                && glob_run(rest, &n[1..])
        }
        Glob::Any => (0..=n.len())
            .take_while(|&i| i == 0 || n[i - 1] != '/')
            .any(|i| glob_run(rest, &n[i..])),
        Glob::Super => (0..=n.len()).any(|i| glob_run(rest, &n[i..])),
        Glob::Alt(alts) => alts.iter().any(|a| {
            let mut v = a.clone();
            v.extend_from_slice(rest);
            glob_run(&v, n)
        }),
    }
}

/// `.Files` methods.
pub fn files_method(
    f: &Rc<BTreeMap<String, Vec<u8>>>,
    name: &str,
    args: &[Value],
) -> Result<Value, TemplateError> {
    let arg = args.first().and_then(|a| a.as_str()).unwrap_or("");
    match name {
        // Go's string(bytes): a binary file's bytes stay as they are (see gotemplate::gostr)
        "Get" => Ok(Value::string(
            f.get(arg)
                .map(|b| gotemplate::gostr::from_bytes(b))
                .unwrap_or_default(),
        )),
        "GetBytes" => Ok(Value::bytes(f.get(arg).map_or(&[][..], |b| b))),
        "Lines" => {
            let s = f
                .get(arg)
                .map(|b| gotemplate::gostr::from_bytes(b))
                .unwrap_or_default();
            // a []string, as Helm's Lines returns
            if s.is_empty() {
                return Ok(Value::strings(vec![]));
            }
            let s = s.strip_suffix('\n').unwrap_or(&s);
            Ok(Value::strings(s.split('\n').map(str::to_string).collect()))
        }
        "Glob" => {
            let pat: Vec<char> = arg.chars().collect();
            let pat = glob_parse(&pat, &mut 0, false).unwrap_or(vec![Glob::Super]);
            let mut m = BTreeMap::new();
            for (k, v) in f.iter() {
                if glob_run(&pat, &k.chars().collect::<Vec<_>>()) {
                    m.insert(k.clone(), v.clone());
                }
            }
            Ok(Value::Object(Rc::new(gotemplate::value::Object::Files(
                Rc::new(m),
            ))))
        }
        "AsConfig" => {
            let mut m = BTreeMap::new();
            for (k, v) in f.iter() {
                let base = k.rsplit('/').next().unwrap_or(k);
                m.insert(
                    base.to_string(),
                    Value::string(gotemplate::gostr::from_bytes(v)),
                );
            }
            // Helm returns "" only for a nil Files; an empty one (no match) marshals to "{}"
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
            // Helm returns "" only for a nil Files; an empty one (no match) marshals to "{}"
            Ok(Value::string(
                super::yamlout::to_yaml(&Value::map(m)).unwrap_or_default(),
            ))
        }
        _ => Err(TemplateError::new(format!("can't call method {}", name))),
    }
}
