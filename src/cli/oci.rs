//! `kubectl podnet cilium pull|versions` and `kubectl podnet cache list|prune`: flags and glue
//! over [`crate::oci`]. [`ChartArgs`] and [`RegistryArgs`] are meant to be flattened into every
//! command that takes `--chart oci://…` (template, install, upgrade).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use comfy_table::{ContentArrangement, Table, presets};

use super::{GlobalArgs, Output, stdout_write};
use crate::error::{Error, Result};
use crate::oci::{self, ChartRef, Credentials, PullOptions, ResolvedChart, cache::Cache};

fn parse_chart_ref(s: &str) -> std::result::Result<ChartRef, String> {
    s.parse::<ChartRef>().map_err(|e| e.to_string())
}

/// `30s`, `5m`, `2h`, `7d`, or plain seconds.
pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (e.g. 30s, 5m, 2h, 7d)"))?;
    let mult = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        _ => {
            return Err(format!(
                "{s:?}: unknown unit {unit:?} (use ms, s, m, h or d)"
            ));
        }
    };
    if !n.is_finite() || n < 0.0 {
        return Err(format!("{s:?} is not a duration"));
    }
    Ok(Duration::from_secs_f64(n * mult))
}

/// Which chart: an OCI reference and a version. Flattening it turns off the subcommand's
/// automatic `--version` (the CLI propagates one), as `--version` is the chart version here.
#[derive(Debug, Args, Clone)]
#[command(disable_version_flag = true)]
pub struct ChartArgs {
    /// Chart in an OCI registry: oci://HOST/REPO[:TAG|@sha256:DIGEST]
    #[arg(long, value_name = "REF", default_value = oci::DEFAULT_CHART, value_parser = parse_chart_ref)]
    pub chart: ChartRef,
    /// Chart version: exact (1.17.6-0) or a semver constraint (~1.17.0) [default: newest release]
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
}

/// How to reach the registry and where to cache.
#[derive(Debug, Args, Clone)]
pub struct RegistryArgs {
    /// Talk HTTP instead of HTTPS to the registry
    #[arg(long, help_heading = "Registry")]
    pub plain_http: bool,
    /// Do not verify the registry's TLS certificate
    #[arg(long, help_heading = "Registry")]
    pub insecure_skip_tls_verify: bool,
    /// Also trust the CA certificates in this PEM file
    #[arg(long, value_name = "FILE", help_heading = "Registry")]
    pub ca_file: Option<PathBuf>,
    /// Registry username (the password is read from stdin with --password-stdin)
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Registry",
        requires = "password_stdin"
    )]
    pub username: Option<String>,
    /// Read the registry password from stdin
    #[arg(long, help_heading = "Registry", requires = "username")]
    pub password_stdin: bool,
    /// Helm's registry credentials file [default: ~/.config/helm/registry/config.json]; docker's config.json is read after it
    #[arg(long, value_name = "FILE", help_heading = "Registry")]
    pub registry_config: Option<PathBuf>,
    /// Retries of a failed registry request (429, 5xx, connection errors), with backoff
    #[arg(long, value_name = "N", default_value_t = 4, help_heading = "Registry")]
    pub registry_retries: u32,
    /// Limit per registry request (connect, response, each read)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration, help_heading = "Registry")]
    pub registry_timeout: Duration,
    /// Chart cache directory [default: $XDG_CACHE_HOME/kubectl-podnet]
    #[arg(
        long,
        value_name = "DIR",
        env = "PODNET_CACHE_DIR",
        help_heading = "Registry"
    )]
    pub cache_dir: Option<PathBuf>,
    /// Use cached charts only; make no network requests
    #[arg(long, help_heading = "Registry")]
    pub offline: bool,
}

impl RegistryArgs {
    /// The library options; reads the password from stdin when `--password-stdin` is given.
    pub fn pull_options(&self, version: Option<&str>) -> Result<PullOptions> {
        let credentials = match (&self.username, self.password_stdin) {
            (Some(u), true) => {
                let mut p = String::new();
                std::io::stdin()
                    .read_to_string(&mut p)
                    .map_err(|source| Error::Read {
                        path: PathBuf::from("<stdin>"),
                        source,
                    })?;
                let p = p.trim_end_matches(['\n', '\r']).to_string();
                if p.is_empty() {
                    return Err(Error::flag("--password-stdin", "stdin held no password"));
                }
                Some(Credentials {
                    username: u.clone(),
                    password: p,
                    source: "--username/--password-stdin".into(),
                })
            }
            _ => None,
        };
        Ok(PullOptions {
            version: version.map(str::to_string),
            cache_dir: self.cache_dir.clone(),
            offline: self.offline,
            plain_http: self.plain_http,
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
            ca_file: self.ca_file.clone(),
            credentials,
            registry_config: self.registry_config.clone(),
            timeout: self.registry_timeout,
            retries: self.registry_retries,
            resolve: Vec::new(),
        })
    }
}

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

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// List cached charts: version, digest, size, age
    List(CacheListArgs),
    /// Remove cached charts (all, or those unused for a while) and blobs nothing refers to
    Prune(CachePruneArgs),
}

#[derive(Debug, Args)]
pub struct CacheListArgs {
    /// Chart cache directory [default: $XDG_CACHE_HOME/kubectl-podnet]
    #[arg(long, value_name = "DIR", env = "PODNET_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CachePruneArgs {
    /// Chart cache directory [default: $XDG_CACHE_HOME/kubectl-podnet]
    #[arg(long, value_name = "DIR", env = "PODNET_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Remove charts not used for this long (30d, 12h, …)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "all")]
    pub older_than: Option<Duration>,
    /// Remove every cached chart
    #[arg(long)]
    pub all: bool,
    /// Say what would be removed, remove nothing
    #[arg(long)]
    pub dry_run: bool,
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    let mut s = serde_json::to_string_pretty(v).map_err(|e| Error::Conflict {
        message: format!("cannot write JSON: {e}"),
        help: None,
    })?;
    s.push('\n');
    Ok(s.into_bytes())
}

fn plain_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty()
        .set_header(header.to_vec());
    t
}

fn only_table_or_json(g: &GlobalArgs) -> Result<()> {
    if !matches!(g.output, None | Some(Output::Table) | Some(Output::Json)) {
        return Err(Error::flag_help(
            "--output",
            "this command prints table or json",
            "use -o table or -o json",
        ));
    }
    Ok(())
}

/// `kubectl podnet cilium pull`: like `helm pull`, through the cache.
pub fn pull(a: PullArgs, g: &GlobalArgs) -> Result<u8> {
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
    let f = std::fs::File::open(&r.path).map_err(|source| Error::Read {
        path: r.path.clone(),
        source,
    })?;
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    ar.unpack(tmp.path()).map_err(|source| Error::Write {
        path: target.clone(),
        source,
    })?;
    let inner = tmp.path().join(&r.name);
    if !inner.is_dir() {
        return Err(Error::Conflict {
            message: format!("the chart archive has no top-level directory {}/", r.name),
            help: None,
        });
    }
    std::fs::rename(&inner, &target).map_err(|source| Error::Write {
        path: target.clone(),
        source,
    })?;
    Ok(target)
}

/// `kubectl podnet cilium versions`.
pub fn versions(a: VersionsArgs, g: &GlobalArgs) -> Result<u8> {
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
                format!("{}\n", super::table_text(&mut t)).into_bytes()
            }
        }
    };
    stdout_write(&out)?;
    Ok(0)
}

fn age(secs: u64) -> String {
    let d = oci::cache::now_secs().saturating_sub(secs);
    match d {
        0..=119 => format!("{d}s"),
        120..=7199 => format!("{}m", d / 60),
        7200..=172_799 => format!("{}h", d / 3600),
        _ => format!("{}d", d / 86400),
    }
}

fn human_size(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{:.1}MiB", b as f64 / (1u64 << 20) as f64)
    } else if b >= 1 << 10 {
        format!("{:.1}KiB", b as f64 / 1024.0)
    } else {
        format!("{b}B")
    }
}

pub fn cache(cmd: CacheCommand, g: &GlobalArgs) -> Result<u8> {
    only_table_or_json(g)?;
    match cmd {
        CacheCommand::List(a) => {
            let c = Cache::new(a.cache_dir.unwrap_or_else(oci::cache::default_dir));
            let idx = c.index();
            let total: u64 = c.blobs().iter().map(|b| b.1).sum();
            let out = match g.output {
                Some(Output::Json) => to_json(&serde_json::json!({
                    "schemaVersion": 1,
                    "cacheDir": c.root(),
                    "totalBytes": total,
                    "charts": idx.charts.iter().map(|(d, e)| {
                        let tags: Vec<&String> = idx.tags.iter().filter(|(_, t)| &t.digest == d).map(|(k, _)| k).collect();
                        serde_json::json!({
                            "digest": d, "location": e.location, "name": e.name, "version": e.version,
                            "chartDigest": e.chart, "size": e.size, "pulledAt": e.pulled_at,
                            "usedAt": e.used_at, "tags": tags,
                        })
                    }).collect::<Vec<_>>(),
                }))?,
                _ => {
                    let mut t =
                        plain_table(&["CHART", "VERSION", "DIGEST", "SIZE", "PULLED", "USED"]);
                    for (d, e) in &idx.charts {
                        t.add_row(vec![
                            e.location.clone(),
                            e.version.clone(),
                            d.chars().take(19).collect::<String>(),
                            human_size(e.size),
                            age(e.pulled_at),
                            age(e.used_at.max(e.pulled_at)),
                        ]);
                    }
                    format!(
                        "{}{}\n{} chart(s), {} on disk in {}\n",
                        super::table_text(&mut t),
                        if idx.charts.is_empty() { "" } else { "\n" },
                        idx.charts.len(),
                        human_size(total),
                        c.root().display()
                    )
                    .into_bytes()
                }
            };
            stdout_write(&out)?;
            Ok(0)
        }
        CacheCommand::Prune(a) => {
            let c = Cache::new(a.cache_dir.unwrap_or_else(oci::cache::default_dir));
            let older = if a.all {
                None
            } else {
                Some(a.older_than.unwrap_or(Duration::MAX))
            };
            let p = c.prune(older, a.dry_run).map_err(|e| Error::Registry {
                message: format!("cannot prune the cache {}: {e}", c.root().display()),
                help: None,
            })?;
            let out = match g.output {
                Some(Output::Json) => to_json(&serde_json::json!({
                    "schemaVersion": 1, "dryRun": a.dry_run, "pruned": p,
                }))?,
                _ => {
                    let mut s = String::new();
                    for ch in &p.charts {
                        s.push_str(&format!(
                            "{} {ch}\n",
                            if a.dry_run { "would remove" } else { "removed" }
                        ));
                    }
                    s.push_str(&format!(
                        "{} {} blob(s), {}\n",
                        if a.dry_run { "would free" } else { "freed" },
                        p.blobs,
                        human_size(p.bytes)
                    ));
                    s.into_bytes()
                }
            };
            stdout_write(&out)?;
            Ok(0)
        }
    }
}
