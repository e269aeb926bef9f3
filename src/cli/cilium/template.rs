//! `kubectl podnet cilium template`: render a chart with our Helm-compatible engine and print
//! what `helm template` prints (or write one file per template with `--output-dir`).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::cli::flags::{ChartSource, GlobalArgs, SetArgs};
use crate::cli::out::stdout_write;
use crate::error::{Error, Result};
use crate::helm::{self, Chart, RenderOptions, Values};

#[derive(Debug, Args)]
#[command(
    disable_version_flag = true,
    long_about = "Render the Cilium chart locally, byte-identical to `helm template` (Helm v4).\n\n\
The chart comes from a .tgz, a directory, or an OCI registry (default: AWS's Cilium chart for hybrid \
nodes). Values merge like Helm's: chart defaults, then each -f in order.\n\n\
Example:\n  kubectl podnet cilium values --cluster my-cluster | kubectl podnet cilium template -f - --chart ./cilium-1.17.18.tgz"
)]
pub struct TemplateArgs {
    #[command(flatten)]
    pub source: ChartSource,
    /// Values files, merged in order; `-` reads stdin
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    #[command(flatten)]
    pub set: SetArgs,
    /// Release name
    #[arg(long, value_name = "NAME", default_value = "cilium")]
    pub release: String,
    /// Kubernetes version for .Capabilities (default: Helm v4's built-in)
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Extra API versions for .Capabilities.APIVersions (G/V or G/V/Kind)
    #[arg(long = "api-versions", value_name = "G/V")]
    pub api_versions: Vec<String>,
    /// Render as an upgrade (.Release.IsUpgrade)
    #[arg(long)]
    pub is_upgrade: bool,
    /// Also print the charts' `crds/` files (before all other manifests, as Helm does)
    #[arg(long)]
    pub include_crds: bool,
    /// Only print the templates with these paths (e.g. templates/cilium-agent/daemonset.yaml)
    #[arg(long = "show-only", short = 's', value_name = "PATH")]
    pub show_only: Vec<String>,
    /// Write each template to DIR/<chart>/templates/… instead of stdout
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
}

fn render_err(e: helm::RenderError) -> Error {
    let help = if e.0.starts_with("values don't meet the specifications") {
        "the message is Helm's: each line names a value (JSON pointer) that the chart's \
         values.schema.json rejects"
    } else {
        "the message is Helm's: it names the template, line and value at fault"
    };
    Error::Conflict {
        message: format!("rendering failed: {e}"),
        help: Some(help.into()),
    }
}

fn load_chart(a: &TemplateArgs) -> Result<Chart> {
    let path = a.source.path()?;
    Chart::load(&path).map_err(|e| Error::Input {
        location: path.display().to_string(),
        message: format!("cannot load the chart: {}", e.0),
        help: Some("pass a Helm chart .tgz, a chart directory, or oci://…".into()),
    })
}

fn read_values(a: &TemplateArgs) -> Result<Values> {
    let mut values = Values::new();
    if a.values.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(Error::flag("--values", "stdin (-) can be given only once"));
    }
    for p in &a.values {
        let (name, text) = crate::input::read_text(p)?;
        values
            .add_yaml_file(&name, &text)
            .map_err(|e| Error::Input {
                location: name.clone(),
                message: e.to_string(),
                help: Some("fix the YAML; Helm reads values with YAML 1.1 rules".into()),
            })?;
    }
    // Helm's order: -f files, then --set-json, --set, --set-string, --set-file.
    a.set.apply(&mut values)?;
    Ok(values)
}

pub fn run(a: TemplateArgs, g: &GlobalArgs) -> Result<u8> {
    let chart = load_chart(&a)?;
    let values = read_values(&a)?;
    let opts = RenderOptions {
        release_name: a.release.clone(),
        namespace: g.release_namespace(),
        is_install: !a.is_upgrade,
        is_upgrade: a.is_upgrade,
        kube_version: a.kube_version.clone(),
        api_versions: a.api_versions.clone(),
        include_crds: a.include_crds,
        ..RenderOptions::default()
    };
    let mut docs = helm::render(&chart, &values, &opts).map_err(render_err)?;
    if !a.show_only.is_empty() {
        let missing: Vec<&String> = a
            .show_only
            .iter()
            .filter(|s| !docs.iter().any(|d| wanted_one(&d.source, s)))
            .collect();
        if let Some(m) = missing.first() {
            return Err(Error::flag_help(
                "--show-only",
                format!("could not find template {m} in chart"),
                "name it as in `# Source:` lines, e.g. templates/cilium-agent/daemonset.yaml",
            ));
        }
        docs.retain(|d| a.show_only.iter().any(|s| wanted_one(&d.source, s)));
    }
    match &a.output_dir {
        None => {
            let mut out = Vec::new();
            helm::write_template_stream(&mut out, &docs).map_err(|source| Error::Write {
                path: PathBuf::from("<stdout>"),
                source,
            })?;
            stdout_write(&out)?;
        }
        Some(dir) => write_dir(dir, &docs)?,
    }
    Ok(0)
}

/// `--show-only` names a template with or without the chart's directory in front.
fn wanted_one(src: &str, s: &str) -> bool {
    let s = s.trim_start_matches("./");
    src == s || src.split_once('/').is_some_and(|(_, rest)| rest == s)
}

/// `--output-dir`: one file per template, documents of a template joined as Helm writes them.
fn write_dir(dir: &Path, docs: &[helm::RenderedDoc]) -> Result<()> {
    let mut files: Vec<(String, String)> = Vec::new();
    for d in docs {
        match files.iter_mut().find(|(s, _)| *s == d.source) {
            Some((_, text)) => {
                text.push_str(&format!("---\n# Source: {}\n{}\n", d.source, d.content))
            }
            None => files.push((
                d.source.clone(),
                format!("---\n# Source: {}\n{}\n", d.source, d.content),
            )),
        }
    }
    for (src, text) in files {
        if src.split('/').any(|c| c == ".." || c.is_empty()) {
            return Err(Error::Input {
                location: src,
                message: "template path escapes the output directory".into(),
                help: None,
            });
        }
        let path = dir.join(&src);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        // a chart may render bytes that are not UTF-8: written as Go writes them
        crate::fsutil::atomic_write(&path, &helm::gostr::to_bytes(&text))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
