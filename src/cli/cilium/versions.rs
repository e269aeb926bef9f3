//! `kubectl podnet cilium versions`: the chart versions in an OCI registry, newest first.

use clap::Args;

use crate::cli::flags::{GlobalArgs, Output, RegistryArgs, parse_chart_ref};
use crate::cli::out::{only_table_or_json, plain_table, stdout_write, table_text, to_json};
use crate::error::Result;
use crate::oci::{self, ChartRef};

#[derive(Debug, Args)]
pub struct VersionsArgs {
    /// Chart in an OCI registry: oci://HOST/REPO
    #[arg(long, value_name = "REF", default_value = oci::DEFAULT_CHART, value_parser = parse_chart_ref)]
    pub chart: ChartRef,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Include pre-releases (-rc, -pre); EKS rebuild tags (X.Y.Z-N) are always listed
    #[arg(long)]
    pub all: bool,
}

/// `kubectl podnet cilium versions`.
pub fn run(a: VersionsArgs, g: &GlobalArgs) -> Result<u8> {
    only_table_or_json(g)?;
    let opts = a.registry.pull_options(None)?;
    let tags = oci::list_tags(&a.chart, &opts)?;
    let supported = |maj: u64, min: u64| {
        maj == 1
            && crate::cilium::versions::SUPPORTED
                .iter()
                .any(|m| m.minor == min)
    };
    let rows = oci::versions::rows(&tags, a.all, &supported);
    if a.registry.offline {
        eprintln!("note: --offline: only the tags the cache has resolved before are listed");
    }
    let out = match g.output {
        Some(Output::Json) => to_json(&serde_json::json!({
            "schemaVersion": 1,
            "chart": a.chart.to_string(),
            "offline": a.registry.offline,
            "versions": rows,
        }))?,
        _ => {
            if rows.is_empty() {
                format!("No chart versions in {}\n", a.chart).into_bytes()
            } else {
                let mut t = plain_table(&["VERSION", "MINOR", "NEWEST", "HYBRID VALUES"]);
                for r in &rows {
                    t.add_row(vec![
                        if r.tag == r.version {
                            r.version.clone()
                        } else {
                            format!("{} (tag {})", r.version, r.tag)
                        },
                        r.minor.clone(),
                        if r.newest_in_minor {
                            "newest patch".into()
                        } else if r.prerelease {
                            "pre-release".into()
                        } else {
                            String::new()
                        },
                        if r.hybrid_supported {
                            "supported".into()
                        } else {
                            "-".into()
                        },
                    ]);
                }
                format!("{}\n", table_text(&mut t)).into_bytes()
            }
        }
    };
    stdout_write(&out)?;
    Ok(0)
}
