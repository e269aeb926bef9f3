//! `kubectl podnet cache list|prune`: the local chart cache.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::flags::{GlobalArgs, Output, parse_duration};
use super::out::{only_table_or_json, plain_table, stdout_write, table_text, to_json};
use crate::error::{Error, Result};
use crate::oci::{self, cache::Cache};

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

pub fn run(cmd: CacheCommand, g: &GlobalArgs) -> Result<u8> {
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
                        table_text(&mut t),
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
