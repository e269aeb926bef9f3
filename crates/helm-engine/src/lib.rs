//! Helm-v4-compatible chart engine: Go text/template, Sprig and Helm functions, values, charts.
//!
//! Public API (what `kubectl podnet` uses):
//!
//! ```
//! use helm_engine::{Chart, RenderOptions, Values};
//! # let dir = tempfile::tempdir().unwrap();
//! # let write = |p: &str, s: &str| {
//! #     let p = dir.path().join(p);
//! #     std::fs::create_dir_all(p.parent().unwrap()).unwrap();
//! #     std::fs::write(p, s).unwrap();
//! # };
//! write("Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n");
//! write("values.yaml", "greeting: hello\n");
//! write(
//!     "templates/cm.yaml",
//!     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  greeting: {{ .Values.greeting | upper | quote }}\n",
//! );
//! let chart = Chart::load(dir.path()).unwrap();
//! let mut values = Values::new();
//! values.add_set("greeting=hi").unwrap(); // as `--set greeting=hi`
//! let docs = helm_engine::render(&chart, &values, &RenderOptions::default()).unwrap();
//! let mut out = Vec::new();
//! helm_engine::write_template_stream(&mut out, &docs).unwrap();
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.starts_with("---\n# Source: demo/templates/cm.yaml\n"));
//! assert!(text.contains("greeting: \"HI\""));
//! ```
//!
//! * [`Chart::load`] reads a `.tgz` or a directory (links, `..` and absolute paths rejected,
//!   Helm's decompression limits enforced).
//! * [`Values`] collects `-f` files in order (YAML 1.1 read exactly as Helm reads it).
//! * [`render_files`] returns `{template path: rendered text}` like Helm's engine;
//!   [`render_chart_path`] / [`render()`] return the manifest documents in Helm's install order;
//!   [`write_template_stream`] writes them as `helm template` prints them.
//!
//! Rendering runs on a dedicated thread with a large stack (deep `include` recursion is capped
//! by Helm's limit of 1000 and ends in an error).

pub mod chart;
pub mod common_values;
pub mod functions;
pub mod jsonschema;
pub mod keyreach;
pub mod merge;
pub mod render;
pub mod strvals;
pub mod toml;
pub mod yaml;
pub mod yamlout;

/// Template values (the gotemplate crate's), which charts, values and schemas are read into.
pub use gotemplate::{gostr, value};

pub use chart::{Chart, LoadError, read_tgz, read_tgz_from};
pub use merge::merge_json_maps;
pub use render::{RenderError, RenderOptions, RenderedDoc, split_manifests};

use std::collections::BTreeMap;

/// User-supplied values, as a JSON document (Send-able), merged like Helm's CLI merges `-f` files.
#[derive(Debug, Clone, Default)]
pub struct Values {
    json: serde_json::Map<String, serde_json::Value>,
}

fn to_serde(v: &value::Value) -> serde_json::Value {
    use value::Value as V;
    match v {
        V::Nil => serde_json::Value::Null,
        V::Bool(b) => serde_json::Value::Bool(*b),
        V::Int(i) | V::Int64(i) => serde_json::Value::from(*i),
        V::Uint(u) => serde_json::Value::from(*u),
        V::Byte(b) => serde_json::Value::from(*b),
        V::Float(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        V::Str(s) => serde_json::Value::String(s.to_string()),
        V::List(l) => serde_json::Value::Array(l.iter().map(to_serde).collect()),
        V::Map(m) => serde_json::Value::Object(
            m.borrow()
                .iter()
                .map(|(k, v)| (k.clone(), to_serde(v)))
                .collect(),
        ),
        V::Object(_) => serde_json::Value::Null,
    }
}

impl Values {
    pub fn new() -> Values {
        Values::default()
    }
    /// Merge a YAML values file (later files win; maps merge recursively).
    pub fn add_yaml_file(&mut self, name: &str, src: &str) -> Result<(), RenderError> {
        let v = yaml::parse_values(src)
            .map_err(|e| RenderError(format!("failed to parse {}: {}", name, e)))?;
        if let serde_json::Value::Object(o) = to_serde(&v) {
            merge_json_maps(&mut self.json, &o);
        }
        Ok(())
    }
    /// Merge a JSON object (e.g. from `--set-json`; numbers become float64 as in Helm).
    pub fn add_json(&mut self, v: &serde_json::Value) {
        if let serde_json::Value::Object(o) = v {
            merge_json_maps(&mut self.json, o);
        }
    }
    /// `--set a.b=1,c={x,y}` (ints become int64, as in Helm).
    pub fn add_set(&mut self, expr: &str) -> Result<(), RenderError> {
        strvals::parse_into(expr, &mut self.json)
            .map_err(|e| RenderError(format!("failed parsing --set data: {e}")))
    }
    /// `--set-string a=1` (values stay strings).
    pub fn add_set_string(&mut self, expr: &str) -> Result<(), RenderError> {
        strvals::parse_into_string(expr, &mut self.json)
            .map_err(|e| RenderError(format!("failed parsing --set-string data: {e}")))
    }
    /// `--set-json 'a={"b":1}'` (numbers float64, as in Helm).
    pub fn add_set_json(&mut self, expr: &str) -> Result<(), RenderError> {
        strvals::parse_json(expr, &mut self.json)
            .map_err(|e| RenderError(format!("failed parsing --set-json data {expr}: {e}")))
    }
    /// `--set-file a=path` (the file's content as a string), each file at most
    /// [`MAX_SET_FILE_BYTES`]: a path may name a device or FIFO (`/dev/zero`) that never ends.
    pub fn add_set_file(&mut self, expr: &str) -> Result<(), RenderError> {
        let reader = |p: &str| read_set_file(p);
        strvals::parse_into_file(expr, &mut self.json, &reader)
            .map_err(|e| RenderError(format!("failed parsing --set-file data: {e}")))
    }
    /// The values as JSON.
    pub fn as_json(&self) -> serde_json::Value {
        serde_json::Value::Object(self.json.clone())
    }
}

/// Largest file `--set-file` reads (Helm has no bound; podnet's values files have the same).
pub const MAX_SET_FILE_BYTES: u64 = 16 << 20;

fn read_set_file(path: &str) -> Result<String, String> {
    use std::io::Read as _;
    let f = std::fs::File::open(path).map_err(|e| format!("open {path}: {e}"))?;
    let mut bytes = Vec::new();
    f.take(MAX_SET_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("read {path}: {e}"))?;
    if bytes.len() as u64 > MAX_SET_FILE_BYTES {
        return Err(format!(
            "{path} is larger than {} MiB, the most --set-file reads",
            MAX_SET_FILE_BYTES >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("{path} is not valid UTF-8 text"))
}

/// JSON values → engine values: integers (only `--set` makes them) stay int64, others float64.
fn values_from_serde(v: &serde_json::Value) -> value::Value {
    use value::Value as V;
    match v {
        serde_json::Value::Null => V::Nil,
        serde_json::Value::Bool(b) => V::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) if !n.is_f64() => V::Int64(i),
            _ => V::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => V::str(s),
        serde_json::Value::Array(a) => V::list(a.iter().map(values_from_serde).collect()),
        serde_json::Value::Object(o) => V::map(
            o.iter()
                .map(|(k, v)| (k.clone(), values_from_serde(v)))
                .collect(),
        ),
    }
}

fn on_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .name("helm-render".into())
        .stack_size(1 << 30)
        .spawn(f)
        .expect("spawn render thread")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// Chart source kept as bytes so rendering can move to the render thread.
fn chart_source(chart: &Chart) -> Chart {
    chart.clone()
}

/// Render all templates: `{template path: text}` (NOTES.txt included, partials excluded).
pub fn render_files(
    chart_path: &std::path::Path,
    values: &Values,
    opts: &RenderOptions,
) -> Result<BTreeMap<String, String>, RenderError> {
    let path = chart_path.to_path_buf();
    let vals = values.as_json();
    let opts = opts.clone();
    on_big_stack(move || {
        let chart = Chart::load(&path).map_err(|e| RenderError(e.0))?;
        let v = values_from_serde(&vals);
        render::render_files(&chart, &v, &opts)
    })
}

/// Load a chart (`.tgz` or directory) and render it into manifest documents in Helm's install
/// order, on a dedicated large-stack thread (preferred entry point for the CLI).
pub fn render_chart_path(
    chart_path: &std::path::Path,
    values: &Values,
    opts: &RenderOptions,
) -> Result<Vec<RenderedDoc>, RenderError> {
    let path = chart_path.to_path_buf();
    let vals = values.as_json();
    let opts = opts.clone();
    on_big_stack(move || {
        let chart = Chart::load(&path).map_err(|e| RenderError(e.0))?;
        let v = values_from_serde(&vals);
        let files = render::render_files(&chart, &v, &opts)?;
        let mut docs = if opts.include_crds {
            render::crd_docs(&chart, &v)
        } else {
            vec![]
        };
        docs.extend(render::sort_manifests(&files)?);
        Ok(docs)
    })
}

/// Render a loaded chart into manifest documents in Helm's install order (on the caller's
/// thread; prefer [`render_chart_path`] for untrusted charts because of deep `include` recursion).
pub fn render(
    chart: &Chart,
    values: &Values,
    opts: &RenderOptions,
) -> Result<Vec<RenderedDoc>, RenderError> {
    let c = chart_source(chart);
    let v = values_from_serde(&values.as_json());
    let files = render::render_files(&c, &v, opts)?;
    let mut docs = if opts.include_crds {
        render::crd_docs(&c, &v)
    } else {
        vec![]
    };
    docs.extend(render::sort_manifests(&files)?);
    Ok(docs)
}

/// Render the chart's `NOTES.txt` as Helm keeps it in a release: `None` when the chart has none.
pub fn render_notes(
    chart: &Chart,
    values: &Values,
    opts: &RenderOptions,
) -> Result<Option<String>, RenderError> {
    let v = values_from_serde(&values.as_json());
    let files = render::render_files(chart, &v, opts)?;
    Ok(files
        .into_iter()
        .find(|(k, _)| k.ends_with("templates/NOTES.txt"))
        .map(|(_, text)| text))
}

/// Write documents as `helm template` prints them.
pub fn write_template_stream(
    w: &mut impl std::io::Write,
    docs: &[RenderedDoc],
) -> std::io::Result<()> {
    let mut manifest = String::new();
    for d in docs.iter().filter(|d| !d.hook) {
        manifest.push_str(&format!("---\n# Source: {}\n{}\n", d.source, d.content));
    }
    let mut out = format!("{}\n", manifest.trim());
    for d in docs.iter().filter(|d| d.hook) {
        out.push_str(&format!("---\n# Source: {}\n{}\n", d.source, d.content));
    }
    // Go's bytes: a byte that is not UTF-8 is written as that byte (gotemplate::gostr)
    w.write_all(&gotemplate::gostr::to_bytes(&out))
}
