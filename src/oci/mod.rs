//! Helm charts from OCI registries: resolve `oci://HOST/REPO[:TAG|@sha256:…]` (+ `--version`),
//! pull and verify the chart layer, and keep it in a content-addressed, offline-capable cache.
//!
//! Every command that takes `--chart oci://…` goes through [`resolve_chart`]:
//! - a reference pinned by digest whose chart is cached is used with **zero** network requests;
//! - a tag is re-resolved with one HEAD of its manifest (plus a token request where the registry
//!   wants one); a cached digest then costs nothing more;
//! - `--offline` uses the cache only and says exactly what is missing;
//! - every blob's sha256 (and size) is verified before it is kept or used.

pub mod auth;
pub mod cache;
pub mod ecr;
pub mod http;
pub mod manifest;
pub mod reference;
pub mod versions;

use std::path::PathBuf;
use std::time::Duration;

pub use auth::Credentials;
pub use cache::Cache;
pub use http::{RegistryError, TransportOptions};
pub use manifest::{
    HELM_CHART_LAYER_MEDIA_TYPE, HELM_CONFIG_MEDIA_TYPE, MAX_CHART_BLOB, MAX_CONFIG_BLOB,
};
pub use reference::{ChartRef, DEFAULT_CHART, tag_to_version, version_to_tag};

use crate::error::{Error, Result};

/// How to find, fetch and keep a chart.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// `--version`: an exact chart version (used as the tag, `+` → `_`) or a semver constraint.
    pub version: Option<String>,
    /// Cache root; `None` → [`cache::default_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Use the cache only.
    pub offline: bool,
    pub plain_http: bool,
    pub insecure_skip_tls_verify: bool,
    pub ca_file: Option<PathBuf>,
    /// `--username` + `--password-stdin`; otherwise Helm's and docker's config files are read.
    pub credentials: Option<Credentials>,
    /// Helm's registry config file (`--registry-config`), instead of the default location.
    pub registry_config: Option<PathBuf>,
    /// Per request (connect, headers, each body read).
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Fixed addresses for host names, like curl's `--resolve` (the URL's port is kept).
    pub resolve: Vec<(String, std::net::SocketAddr)>,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            version: None,
            cache_dir: None,
            offline: false,
            plain_http: false,
            insecure_skip_tls_verify: false,
            ca_file: None,
            credentials: None,
            registry_config: None,
            timeout: Duration::from_secs(30),
            retries: 4,
            resolve: Vec::new(),
        }
    }
}

impl PullOptions {
    pub fn cache(&self) -> Cache {
        Cache::new(self.cache_dir.clone().unwrap_or_else(cache::default_dir))
    }
}

/// A chart resolved to a verified archive in the cache.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedChart {
    /// The cached `.tgz` (content-addressed; do not modify).
    pub path: PathBuf,
    /// The reference with the tag (if any) and the manifest digest filled in.
    pub reference: String,
    pub name: String,
    pub version: String,
    /// Digest of the manifest.
    pub digest: String,
    /// Digest of the chart archive.
    pub chart_digest: String,
    pub size: u64,
    /// No blob had to be downloaded.
    pub cached: bool,
    /// HTTP requests made (every attempt, token requests included).
    pub requests: u64,
}

fn reg_err(e: RegistryError) -> Error {
    Error::Registry {
        message: e.message,
        help: e.help,
    }
}

fn cache_err(cache: &Cache, e: std::io::Error) -> Error {
    Error::Registry {
        message: format!("cache {}: {e}", cache.root().display()),
        help: Some(
            "check that the cache directory is writable (--cache-dir, PODNET_CACHE_DIR)".into(),
        ),
    }
}

/// Resolves `chart` to a verified, cached chart archive. Blocking: it runs its own
/// current-thread runtime, so call [`resolve_chart_async`] from inside an async context.
pub fn resolve_chart(chart: &ChartRef, opts: &PullOptions) -> Result<ResolvedChart> {
    runtime()?.block_on(resolve_chart_async(chart, opts))
}

/// Tags of the chart's repository (blocking). Offline: the tags the cache knows.
pub fn list_tags(chart: &ChartRef, opts: &PullOptions) -> Result<Vec<String>> {
    runtime()?.block_on(list_tags_async(chart, opts))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Registry {
            message: format!("cannot start the async runtime: {e}"),
            help: None,
        })
}

/// Credentials: explicit ones, else Helm's/docker's config files, else (private ECR hosts)
/// `ecr:GetAuthorizationToken`; none means anonymous (bearer tokens are still fetched).
async fn transport(chart: &ChartRef, opts: &PullOptions) -> Result<http::Transport> {
    let mut credentials = match &opts.credentials {
        Some(c) => Some(c.clone()),
        None => auth::lookup(&chart.registry, opts.registry_config.as_deref()).map_err(|m| {
            Error::Registry {
                message: m,
                help: None,
            }
        })?,
    };
    if credentials.is_none() {
        match ecr::credentials(&chart.registry, opts.timeout).await {
            Ok(c) => credentials = c,
            Err(m) => tracing::warn!("{m}; trying without credentials"),
        }
    }
    if let Some(c) = &credentials {
        tracing::info!(
            "using credentials for {} from {} (user {})",
            chart.registry,
            c.source,
            c.username
        );
    }
    if opts.plain_http
        && let Some(w) = plain_http_warning(&chart.registry)
    {
        tracing::warn!("{w}");
    }
    if opts.insecure_skip_tls_verify && !opts.plain_http {
        // Explicit, and still said every time: anyone on the path can serve another chart.
        tracing::warn!(
            "--insecure-skip-tls-verify: the TLS certificate of {} is not verified",
            chart.registry
        );
    }
    http::Transport::new(
        &chart.registry,
        &chart.repository,
        TransportOptions {
            plain_http: opts.plain_http,
            insecure_skip_tls_verify: opts.insecure_skip_tls_verify,
            ca_file: opts.ca_file.clone(),
            timeout: opts.timeout,
            retries: opts.retries,
            credentials,
            resolve: opts.resolve.clone(),
            ..Default::default()
        },
    )
    .map_err(reg_err)
}

pub async fn list_tags_async(chart: &ChartRef, opts: &PullOptions) -> Result<Vec<String>> {
    if opts.offline {
        let loc = chart.location();
        let idx = opts.cache().index();
        let tags: Vec<String> = idx
            .tags
            .keys()
            .filter_map(|k| k.strip_prefix(&loc)?.strip_prefix(':').map(str::to_string))
            .collect();
        return Ok(tags);
    }
    transport(chart, opts)
        .await?
        .list_tags()
        .await
        .map_err(reg_err)
}

/// The cached chart for a manifest digest, re-verified; `None` if anything is missing.
fn cached_chart(cache: &Cache, chart: &ChartRef, digest: &str) -> Option<ResolvedChart> {
    let idx = cache.index();
    let entry = idx.charts.get(digest)?;
    if !cache.has_verified(&entry.chart) {
        return None;
    }
    let reference = chart.with_digest(digest).to_string();
    Some(ResolvedChart {
        path: cache.blob_path(&entry.chart),
        reference,
        name: entry.name.clone(),
        version: entry.version.clone(),
        digest: digest.to_string(),
        chart_digest: entry.chart.clone(),
        size: entry.size,
        cached: true,
        requests: 0,
    })
}

fn touch(cache: &Cache, digest: &str, tag_key: Option<&str>) {
    let r = cache.lock().and_then(|l| {
        cache.update_index(&l, |i| {
            let now = cache::now_secs();
            if let Some(c) = i.charts.get_mut(digest) {
                c.used_at = now;
            }
            if let Some(k) = tag_key {
                i.tags.insert(
                    k.to_string(),
                    cache::TagEntry {
                        digest: digest.to_string(),
                        resolved_at: now,
                    },
                );
            }
        })
    });
    if let Err(e) = r {
        tracing::warn!("cannot update the cache index: {e}");
    }
}

fn check_version(found: &str, wanted: Option<&str>, chart: &ChartRef) -> Result<()> {
    if let Some(w) = wanted
        && versions::is_exact(w)
        && found.trim_start_matches('v') != w.trim_start_matches('v')
    {
        return Err(Error::Conflict {
            message: format!("{chart} holds chart version {found}, not --version {w}"),
            help: Some("drop --version or the digest, or make them agree".into()),
        });
    }
    Ok(())
}

/// See [`resolve_chart`].
pub async fn resolve_chart_async(chart: &ChartRef, opts: &PullOptions) -> Result<ResolvedChart> {
    let cache = opts.cache();
    let version = opts
        .version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty());
    if let (Some(t), Some(v)) = (&chart.tag, version)
        && versions::is_exact(v)
        && *t != version_to_tag(v)
    {
        return Err(Error::Conflict {
            message: format!("the chart reference {chart} has tag {t} but --version is {v}"),
            help: Some("give the version once: in the reference or with --version".into()),
        });
    }

    // 1. Pinned by digest: the cache answers without any request.
    if let Some(d) = &chart.digest {
        if let Some(hit) = cached_chart(&cache, chart, d) {
            check_version(&hit.version, version, chart)?;
            touch(&cache, d, None);
            return Ok(hit);
        }
        if opts.offline {
            return Err(offline_missing(&cache, chart, &format!("manifest {d}")));
        }
        let t = transport(chart, opts).await?;
        let r = fetch_and_store(&cache, &t, chart, d, None).await?;
        check_version(&r.version, version, chart)?;
        return Ok(r);
    }

    // 2. A tag: from the reference, an exact --version, or the newest match of the tags.
    let t = if opts.offline {
        None
    } else {
        Some(transport(chart, opts).await?)
    };
    let tag = match (&chart.tag, version) {
        (Some(tag), _) => tag.clone(),
        (None, Some(v)) if versions::is_exact(v) => version_to_tag(v),
        (None, v) => {
            let tags = match &t {
                Some(t) => t.list_tags().await.map_err(reg_err)?,
                None => list_tags_async(chart, opts).await?,
            };
            versions::select(&tags, v)
                .map_err(|m| Error::Registry {
                    message: format!(
                        "{}{}: {m}",
                        chart.location(),
                        if opts.offline {
                            " (offline: cached tags only)"
                        } else {
                            ""
                        }
                    ),
                    help: Some(
                        "list the versions with kubectl podnet cilium versions --chart …".into(),
                    ),
                })?
                .tag
        }
    };
    let tagged = chart.with_tag(&tag);
    let key = format!("{}:{tag}", chart.location());

    let Some(t) = t else {
        // Offline: the index says what the tag resolved to last time.
        let idx = cache.index();
        let Some(e) = idx.tags.get(&key) else {
            return Err(offline_missing(&cache, &tagged, &format!("tag {tag}")));
        };
        return match cached_chart(&cache, &tagged, &e.digest) {
            Some(mut hit) => {
                hit.reference = tagged.with_digest(&e.digest).to_string();
                touch(&cache, &e.digest, None);
                Ok(hit)
            }
            None => Err(offline_missing(
                &cache,
                &tagged,
                &format!("the chart of manifest {} (tag {tag})", e.digest),
            )),
        };
    };

    // Online: one HEAD re-resolves the tag; a cached digest needs nothing else.
    let head = t.head_manifest(&tag).await.map_err(reg_err)?;
    if let Some(d) = head.as_deref().filter(|d| reference::valid_digest(d))
        && let Some(mut hit) = cached_chart(&cache, &tagged, d)
    {
        hit.reference = tagged.with_digest(d).to_string();
        hit.requests = t.requests();
        touch(&cache, d, Some(&key));
        return Ok(hit);
    }
    let digest = match head.filter(|d| reference::valid_digest(d)) {
        Some(d) => d,
        None => t.get_manifest(&tag).await.map_err(reg_err)?.1,
    };
    fetch_and_store(&cache, &t, &tagged, &digest, Some(&key)).await
}

/// The warning `--plain-http` earns: said for every registry off this machine, whose traffic
/// (the chart, and any credentials) then crosses the network readable and changeable. A registry
/// on a loopback address (the usual local one) is not warned about.
pub fn plain_http_warning(registry: &str) -> Option<String> {
    let host = match registry.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => registry.rsplit_once(':').map_or(registry, |(h, _)| h),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (!loopback).then(|| {
        format!(
            "--plain-http: {registry} is reached without TLS; the chart and any credentials cross the network unencrypted"
        )
    })
}

fn offline_missing(cache: &Cache, chart: &ChartRef, what: &str) -> Error {
    Error::Registry {
        message: format!(
            "--offline: {what} of {} is not in the cache {}",
            chart.location(),
            cache.root().display()
        ),
        help: Some(format!(
            "pull it once while online (kubectl podnet cilium pull --chart {chart}), or drop --offline"
        )),
    }
}

/// Fetches manifest, config and chart layer of `digest`, verifies all three, then stores them
/// and the index entries under the cache lock. Nothing is kept unless everything verified.
async fn fetch_and_store(
    cache: &Cache,
    t: &http::Transport,
    chart: &ChartRef,
    digest: &str,
    tag_key: Option<&str>,
) -> Result<ResolvedChart> {
    let (mbytes, mdigest) = t.get_manifest(digest).await.map_err(reg_err)?;
    let manifest::ChartManifest { config, layer } = manifest::parse(&mbytes, chart, digest)?;

    // Config (small): verified in memory.
    let mut cfg_tmp = cache.temp().map_err(|e| cache_err(cache, e))?;
    t.get_blob(&config.digest, Some(config.size), cfg_tmp.as_file_mut())
        .await
        .map_err(reg_err)?;
    let cfg_bytes = std::fs::read(cfg_tmp.path()).map_err(|e| cache_err(cache, e))?;
    #[derive(serde::Deserialize)]
    struct HelmConfig {
        name: String,
        version: String,
    }
    let cfg: HelmConfig = serde_json::from_slice(&cfg_bytes).map_err(|e| Error::Registry {
        message: format!("the Helm config of {chart} is not valid: {e}"),
        help: None,
    })?;

    // Chart archive: streamed into a temp file, verified as it arrives.
    let mut chart_tmp = cache.temp().map_err(|e| cache_err(cache, e))?;
    t.get_blob(&layer.digest, Some(layer.size), chart_tmp.as_file_mut())
        .await
        .map_err(reg_err)?;

    let lock = cache.lock().map_err(|e| cache_err(cache, e))?;
    cache
        .put(&mdigest, &mbytes)
        .map_err(|e| cache_err(cache, e))?;
    cache
        .commit(cfg_tmp, &config.digest)
        .map_err(|e| cache_err(cache, e))?;
    let path = cache
        .commit(chart_tmp, &layer.digest)
        .map_err(|e| cache_err(cache, e))?;
    let now = cache::now_secs();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    cache
        .update_index(&lock, |i| {
            i.charts.insert(
                mdigest.clone(),
                cache::ChartEntry {
                    location: chart.location(),
                    name: cfg.name.clone(),
                    version: cfg.version.clone(),
                    chart: layer.digest.clone(),
                    config: config.digest.clone(),
                    size,
                    pulled_at: now,
                    used_at: now,
                },
            );
            if let Some(k) = tag_key {
                i.tags.insert(
                    k.to_string(),
                    cache::TagEntry {
                        digest: mdigest.clone(),
                        resolved_at: now,
                    },
                );
            }
        })
        .map_err(|e| cache_err(cache, e))?;
    drop(lock);
    Ok(ResolvedChart {
        path,
        reference: chart.with_digest(&mdigest).to_string(),
        name: cfg.name,
        version: cfg.version,
        digest: mdigest,
        chart_digest: layer.digest.clone(),
        size,
        cached: false,
        requests: t.requests(),
    })
}

#[cfg(test)]
mod tests {
    use super::plain_http_warning;

    #[test]
    fn plain_http_warns_for_every_registry_off_this_machine() {
        for off in [
            "registry.example:5000",
            "10.0.0.5",
            "public.ecr.aws",
            "[fd00::1]:5000",
        ] {
            let w = plain_http_warning(off).expect(off);
            assert!(w.contains(off) && w.contains("without TLS"), "{w}");
        }
        for local in [
            "127.0.0.1:5000",
            "localhost:5000",
            "LOCALHOST",
            "[::1]:5000",
            "127.1.2.3",
        ] {
            assert_eq!(plain_http_warning(local), None, "{local}");
        }
    }
}
