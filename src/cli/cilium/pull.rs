//! `kubectl podnet cilium pull`: the chart from an OCI registry, like `helm pull`, through the cache.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::cli::flags::{ChartArgs, GlobalArgs, Output, RegistryArgs};
use crate::cli::out::{only_table_or_json, stdout_write, to_json};
use crate::error::{Error, Result};
use crate::oci::{self, ResolvedChart};

#[derive(Debug, Args)]
pub struct PullArgs {
    #[command(flatten)]
    pub chart: ChartArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Directory to write the chart to
    #[arg(
        short = 'd',
        long = "destination",
        value_name = "DIR",
        default_value = "."
    )]
    pub destination: PathBuf,
    /// Unpack the chart into DIR/<chart name> instead of writing the .tgz
    #[arg(long)]
    pub untar: bool,
}

/// `kubectl podnet cilium pull`: like `helm pull`, through the cache.
pub fn run(a: PullArgs, g: &GlobalArgs) -> Result<u8> {
    only_table_or_json(g)?;
    let opts = a.registry.pull_options(a.chart.version.as_deref())?;
    let r = oci::resolve_chart(&a.chart.chart, &opts)?;
    let written = if a.untar {
        untar(&r, &a.destination)?
    } else {
        let dest = a.destination.join(format!("{}-{}.tgz", r.name, r.version));
        std::fs::create_dir_all(&a.destination).map_err(|source| Error::Write {
            path: a.destination.clone(),
            source,
        })?;
        let bytes = std::fs::read(&r.path).map_err(|source| Error::Read {
            path: r.path.clone(),
            source,
        })?;
        crate::fsutil::atomic_write(&dest, &bytes)?;
        #[cfg(unix)]
        {
            // A chart is not a secret: readable like the file `helm pull` writes.
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o644));
        }
        dest
    };
    let out = match g.output {
        Some(Output::Json) => to_json(&serde_json::json!({
            "schemaVersion": 1,
            "pulled": r,
            "written": written,
        }))?,
        _ => format!(
            "Pulled: {}\nDigest: {}\nChart: {} {} ({}{})\nWrote: {}\n",
            r.reference,
            r.digest,
            r.name,
            r.version,
            r.chart_digest,
            if r.cached { ", from cache" } else { "" },
            written.display()
        )
        .into_bytes(),
    };
    stdout_write(&out)?;
    Ok(0)
}

/// Unpacks into `dir/<name>`, refusing to overwrite (as Helm does).
fn untar(r: &ResolvedChart, dir: &Path) -> Result<PathBuf> {
    let target = dir.join(&r.name);
    if target.exists() {
        return Err(Error::Conflict {
            message: format!("cannot unpack: {} already exists", target.display()),
            help: Some("remove it or pick another -d DIR".into()),
        });
    }
    let f = std::fs::File::open(&r.path).map_err(|source| Error::Read {
        path: r.path.clone(),
        source,
    })?;
    // The chart loader's checks (no links, devices, absolute or parent paths; Helm's size
    // limit) run before anything is written, as Helm's `pull --untar` loads before it expands.
    let files =
        crate::helm::read_tgz_from(std::io::BufReader::new(f)).map_err(|e| Error::Input {
            location: r.path.display().to_string(),
            message: format!("cannot unpack the chart: {}", e.0),
            help: Some("the registry serves a chart archive that is not safe to unpack".into()),
        })?;
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    // Unpack into a temp dir beside the target, then rename: no half-unpacked chart on failure.
    let tmp = tempfile::Builder::new()
        .prefix(".podnet-untar-")
        .tempdir_in(dir)
        .map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    let inner = tmp.path().join(&r.name);
    for (rel, data) in &files {
        let dest = inner.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&dest, data).map_err(|source| Error::Write {
            path: dest.clone(),
            source,
        })?;
    }
    if files.is_empty() {
        return Err(Error::Conflict {
            message: format!("the chart archive has no files under {}/", r.name),
            help: None,
        });
    }
    std::fs::rename(&inner, &target).map_err(|source| Error::Write {
        path: target.clone(),
        source,
    })?;
    Ok(target)
}
