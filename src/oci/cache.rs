//! Content-addressed chart cache.
//!
//! ```text
//! ROOT/blobs/sha256/<hex>   verified blobs: manifests, Helm configs, chart archives
//! ROOT/index.json           tags → manifest digests (with when they were resolved) and charts
//! ROOT/tmp/                 downloads in progress (renamed into blobs/ once verified)
//! ROOT/lock                 advisory lock held while the index or blobs/ change
//! ```
//! A blob is only ever renamed into `blobs/` after its sha256 matched its name, and the index is
//! replaced atomically, so a crash or Ctrl-C leaves at most a stray file in `tmp/`.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Where the cache lives: `--cache-dir`, else `PODNET_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/kubectl-podnet`, else `~/.cache/kubectl-podnet`.
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("PODNET_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("kubectl-podnet");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    PathBuf::from(home).join(".cache").join("kubectl-podnet")
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `sha256:<hex>` of bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    #[serde(default)]
    pub schema_version: u32,
    /// `host/repo:tag` → what it resolved to.
    #[serde(default)]
    pub tags: BTreeMap<String, TagEntry>,
    /// Manifest digest → the chart it holds.
    #[serde(default)]
    pub charts: BTreeMap<String, ChartEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TagEntry {
    pub digest: String,
    /// Unix seconds of the last online resolution.
    pub resolved_at: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ChartEntry {
    /// `host/repo`
    pub location: String,
    pub name: String,
    pub version: String,
    /// Digest of the chart archive layer.
    pub chart: String,
    /// Digest of the Helm config blob.
    pub config: String,
    pub size: u64,
    pub pulled_at: u64,
    #[serde(default)]
    pub used_at: u64,
}

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

/// Exclusive lock on the cache; released on drop.
pub struct Lock(File);

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = FileExt::unlock(&self.0);
    }
}

impl Cache {
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        self.root.join("blobs").join("sha256").join(hex)
    }

    fn index_path(&self) -> PathBuf {
        self.root.join("index.json")
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    fn ensure_dirs(&self) -> io::Result<()> {
        fs::create_dir_all(self.root.join("blobs").join("sha256"))?;
        fs::create_dir_all(self.tmp_dir())
    }

    /// Blocks until this process holds the cache's exclusive lock.
    pub fn lock(&self) -> io::Result<Lock> {
        self.ensure_dirs()?;
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.root.join("lock"))?;
        FileExt::lock_exclusive(&f)?;
        Ok(Lock(f))
    }

    /// The index, or an empty one when there is none yet (or it is unreadable: it is only a cache).
    pub fn index(&self) -> Index {
        match fs::read(self.index_path()) {
            Ok(b) => serde_json::from_slice(&b).unwrap_or_else(|e| {
                tracing::warn!(
                    "ignoring unreadable cache index {}: {e}",
                    self.index_path().display()
                );
                Index::default()
            }),
            Err(_) => Index::default(),
        }
    }

    /// Read-modify-write of the index under the lock (the caller holds it).
    pub fn update_index(&self, _lock: &Lock, f: impl FnOnce(&mut Index)) -> io::Result<()> {
        let mut idx = self.index();
        idx.schema_version = 1;
        f(&mut idx);
        let bytes = serde_json::to_vec_pretty(&idx).map_err(io::Error::other)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".index-")
            .tempfile_in(&self.root)?;
        tmp.write_all(&bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(self.index_path()).map_err(|e| e.error)?;
        Ok(())
    }

    /// A cached blob's bytes, re-verified against its digest. A blob that no longer matches
    /// (disk damage, tampering) is removed and reported as missing.
    pub fn read_verified(&self, digest: &str) -> Option<Vec<u8>> {
        let path = self.blob_path(digest);
        let bytes = fs::read(&path).ok()?;
        if sha256_digest(&bytes) == digest {
            Some(bytes)
        } else {
            tracing::warn!("cached blob {digest} is damaged; removing it");
            let _ = fs::remove_file(&path);
            None
        }
    }

    /// Whether a blob is cached and still matches its digest.
    pub fn has_verified(&self, digest: &str) -> bool {
        let Ok(mut f) = File::open(self.blob_path(digest)) else {
            return false;
        };
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => h.update(&buf[..n]),
                Err(_) => return false,
            }
        }
        if format!("sha256:{}", hex(&h.finalize())) == digest {
            true
        } else {
            tracing::warn!("cached blob {digest} is damaged; removing it");
            let _ = fs::remove_file(self.blob_path(digest));
            false
        }
    }

    /// A temp file for a download; it disappears unless [`Cache::commit`] keeps it.
    pub fn temp(&self) -> io::Result<tempfile::NamedTempFile> {
        self.ensure_dirs()?;
        tempfile::Builder::new()
            .prefix("dl-")
            .suffix(".part")
            .tempfile_in(self.tmp_dir())
    }

    /// Moves a verified temp file into `blobs/` under its digest.
    pub fn commit(&self, tmp: tempfile::NamedTempFile, digest: &str) -> io::Result<PathBuf> {
        tmp.as_file().sync_all()?;
        let dest = self.blob_path(digest);
        tmp.persist(&dest).map_err(|e| e.error)?;
        Ok(dest)
    }

    /// Stores verified bytes under their digest.
    pub fn put(&self, digest: &str, bytes: &[u8]) -> io::Result<PathBuf> {
        let mut tmp = self.temp()?;
        tmp.write_all(bytes)?;
        self.commit(tmp, digest)
    }

    /// Every blob on disk: digest, size, modification time.
    pub fn blobs(&self) -> Vec<(String, u64, SystemTime)> {
        let mut out = Vec::new();
        if let Ok(rd) = fs::read_dir(self.root.join("blobs").join("sha256")) {
            for e in rd.flatten() {
                if let Ok(md) = e.metadata()
                    && md.is_file()
                {
                    out.push((
                        format!("sha256:{}", e.file_name().to_string_lossy()),
                        md.len(),
                        md.modified().unwrap_or(UNIX_EPOCH),
                    ));
                }
            }
        }
        out.sort();
        out
    }

    /// Removes charts last used before `cutoff` (all with `None`), then every blob and tag
    /// no chart refers to, and stale temp files. Returns what was removed.
    pub fn prune(&self, older_than: Option<Duration>, dry_run: bool) -> io::Result<Pruned> {
        let lock = self.lock()?;
        let now = now_secs();
        let idx = self.index();
        let mut pruned = Pruned::default();
        let keep_chart = |c: &ChartEntry| match older_than {
            None => false,
            Some(age) => now.saturating_sub(c.used_at.max(c.pulled_at)) < age.as_secs(),
        };
        let mut kept = Index {
            schema_version: 1,
            ..Default::default()
        };
        for (m, c) in &idx.charts {
            if keep_chart(c) {
                kept.charts.insert(m.clone(), c.clone());
            } else {
                pruned
                    .charts
                    .push(format!("{}:{} ({m})", c.location, c.version));
            }
        }
        for (t, e) in &idx.tags {
            if kept.charts.contains_key(&e.digest) {
                kept.tags.insert(t.clone(), e.clone());
            }
        }
        let live: std::collections::HashSet<&str> = kept
            .charts
            .iter()
            .flat_map(|(m, c)| [m.as_str(), c.chart.as_str(), c.config.as_str()])
            .collect();
        for (d, size, _) in self.blobs() {
            if !live.contains(d.as_str()) {
                pruned.bytes += size;
                pruned.blobs += 1;
                if !dry_run {
                    fs::remove_file(self.blob_path(&d))?;
                }
            }
        }
        if let Ok(rd) = fs::read_dir(self.tmp_dir()) {
            for e in rd.flatten() {
                let stale = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > Duration::from_secs(3600));
                if stale && !dry_run {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        if !dry_run {
            self.update_index(&lock, |i| *i = kept)?;
        }
        Ok(pruned)
    }
}

#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pruned {
    pub charts: Vec<String>,
    pub blobs: u64,
    pub bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_index_and_prune() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::new(dir.path());
        let a = b"chart".as_slice();
        let da = sha256_digest(a);
        c.put(&da, a).unwrap();
        assert_eq!(c.read_verified(&da).as_deref(), Some(a));
        let db = sha256_digest(b"orphan");
        c.put(&db, b"orphan").unwrap();
        let lock = c.lock().unwrap();
        c.update_index(&lock, |i| {
            i.charts.insert(
                "sha256:m".into(),
                ChartEntry {
                    location: "h/r".into(),
                    name: "r".into(),
                    version: "1.0.0".into(),
                    chart: da.clone(),
                    config: "sha256:c".into(),
                    size: 5,
                    pulled_at: now_secs(),
                    used_at: 0,
                },
            );
        })
        .unwrap();
        drop(lock);
        let p = c.prune(Some(Duration::from_secs(3600)), false).unwrap();
        assert_eq!((p.blobs, p.charts.len()), (1, 0));
        assert!(c.has_verified(&da) && !c.blob_path(&db).exists());
        // damaged blob: detected and removed
        fs::write(c.blob_path(&da), b"chArt").unwrap();
        assert!(c.read_verified(&da).is_none() && !c.blob_path(&da).exists());
        let p = c.prune(None, false).unwrap();
        assert_eq!(p.charts.len(), 1);
        assert!(c.index().charts.is_empty());
    }
}
