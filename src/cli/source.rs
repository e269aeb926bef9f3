//! Flags shared by the commands that render the chart: where the chart comes from, and the
//! user's values (`-f`, then `--set-json`, `--set`, `--set-string`, `--set-file`, Helm's order).

use std::path::PathBuf;

use clap::Args;

use super::oci::RegistryArgs;
use crate::error::{Error, Result};
use crate::helm::{self, Chart, Values};
use crate::oci::{self, ChartRef};

#[derive(Debug, Args)]
pub struct ChartSource {
    /// Chart: a .tgz, oci://HOST/REPO[:TAG|@sha256:DIGEST], or (template only) a chart directory
    #[arg(long, value_name = "CHART", default_value = oci::DEFAULT_CHART)]
    pub chart: String,
    /// Chart version for an OCI chart (exact or a semver constraint)
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// A chart archive's files: chart-relative path and bytes (kept in the release record).
pub type ChartFiles = Vec<(String, Vec<u8>)>;

impl ChartSource {
    /// Loads the chart (pulling it through the cache for oci://) with its archive's files.
    pub fn load(&self) -> Result<(Chart, ChartFiles)> {
        let path = self.path()?;
        let bytes = std::fs::read(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let bad_chart = |e: helm::LoadError| Error::Input {
            location: path.display().to_string(),
            message: format!("cannot load the chart: {}", e.0),
            help: Some("pass a chart .tgz or oci://…".into()),
        };
        let files = helm::chart::read_tgz(&bytes).map_err(bad_chart)?;
        let chart = Chart::load_archive(&bytes).map_err(bad_chart)?;
        Ok((chart, files))
    }

    /// The chart's local path: pulled through the cache for oci://, as given otherwise.
    pub fn path(&self) -> Result<PathBuf> {
        Ok(if self.chart.starts_with("oci://") {
            let r: ChartRef = self
                .chart
                .parse()
                .map_err(|e: oci::reference::RefError| Error::flag("--chart", e.to_string()))?;
            oci::resolve_chart(&r, &self.registry.pull_options(self.version.as_deref())?)?.path
        } else {
            if self.version.is_some() {
                return Err(Error::flag_help(
                    "--version",
                    "applies to OCI charts only",
                    "a local chart has its own version in Chart.yaml; drop --version",
                ));
            }
            PathBuf::from(&self.chart)
        })
    }

    pub fn version_of(chart: &Chart) -> String {
        chart
            .metadata
            .get("version")
            .map(|v| helm::funcs::strval(&v))
            .unwrap_or_default()
    }
}

#[derive(Debug, Args, Default)]
pub struct SetArgs {
    /// Set values on the command line (key1=val1,key2=val2; Helm's strvals syntax)
    #[arg(long, value_name = "KEY=VAL")]
    pub set: Vec<String>,
    /// Set STRING values on the command line
    #[arg(long, value_name = "KEY=VAL")]
    pub set_string: Vec<String>,
    /// Set JSON values on the command line (key1=jsonval1,key2=jsonval2)
    #[arg(long, value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
    /// Set values from files (key1=path1,key2=path2)
    #[arg(long, value_name = "KEY=PATH")]
    pub set_file: Vec<String>,
}

/// One `--set*` flag: its name, its values, and how the engine reads them.
type SetLayer<'a> = (
    &'a str,
    &'a Vec<String>,
    fn(&mut Values, &str) -> Result<(), helm::RenderError>,
);

impl SetArgs {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
            && self.set_string.is_empty()
            && self.set_json.is_empty()
            && self.set_file.is_empty()
    }

    /// Applies the layers over `values` in Helm's order.
    pub fn apply(&self, values: &mut Values) -> Result<()> {
        let layers: [SetLayer<'_>; 4] = [
            ("--set-json", &self.set_json, Values::add_set_json),
            ("--set", &self.set, Values::add_set),
            ("--set-string", &self.set_string, Values::add_set_string),
            ("--set-file", &self.set_file, Values::add_set_file),
        ];
        for (flag, exprs, add) in layers {
            for e in exprs {
                add(values, e).map_err(|err| {
                    Error::flag_help(
                        flag,
                        err.to_string(),
                        "syntax: key.sub[0]=value,other=value",
                    )
                })?;
            }
        }
        Ok(())
    }
}

/// Reads `-f` files: podnet's checks first (located errors, size cap), then Helm's reading of the
/// same text, so the release holds exactly what Helm would have made of it.
pub fn read_files(paths: &[PathBuf], values: &mut Values) -> Result<()> {
    if paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(Error::flag("--values", "stdin (-) can be given only once"));
    }
    for p in paths {
        let (doc, text) = crate::input::read_values_with_text(p, true)?;
        values
            .add_yaml_file(&doc.source, &text)
            .map_err(|e| Error::Input {
                location: doc.source.clone(),
                message: e.to_string(),
                help: Some("fix the YAML; Helm reads values with YAML 1.1 rules".into()),
            })?;
    }
    Ok(())
}
