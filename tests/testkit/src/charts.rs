//! Test charts: one list of the charts tests use, and one place that decides where they come from.
//!
//! 1. `PODNET_TEST_CHARTS=DIR`: `DIR/<name>-<version>.tgz`;
//! 2. else `../shared/charts` beside the clone, when it exists;
//! 3. else pulled by podnet's own OCI client (`kubectl-podnet cilium pull`) from the chart's public
//!    registry into `~/.cache/podnet-test-charts`, outside the clone.
//!
//! Whatever the source, the file's sha256 must be the one listed here. When no source gives the
//! chart the test fails with a message naming `PODNET_TEST_CHARTS`; it never skips.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use sha2::{Digest, Sha256};

/// The variable naming a directory of test charts.
pub const VAR: &str = "PODNET_TEST_CHARTS";

/// A chart as published: where it is pulled from and the sha256 of its `.tgz`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestChart {
    pub name: &'static str,
    pub version: &'static str,
    /// `oci://HOST/REPO` (the tag is the version).
    pub registry: &'static str,
    /// sha256 of the `.tgz`, lowercase hex.
    pub sha256: &'static str,
}

impl TestChart {
    pub fn file_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }

    /// `oci://HOST/REPO:VERSION`.
    pub fn reference(&self) -> String {
        format!("{}:{}", self.registry, self.version)
    }
}

/// Cilium publishes its charts as OCI artifacts on quay.io.
const CILIUM_OCI: &str = "oci://quay.io/cilium/charts/cilium";

/// Every chart a test uses, once.
pub const CHARTS: &[TestChart] = &[
    TestChart {
        name: "cilium",
        version: "1.17.18",
        registry: CILIUM_OCI,
        sha256: "6a9a929a4bfa7a7cbb1fbb429514dde61fdf70622aac3adfd0bed8a4b09e34e9",
    },
    TestChart {
        name: "cilium",
        version: "1.18.12",
        registry: CILIUM_OCI,
        sha256: "5923f9d9fcb11bc4692ad52353cc791b935d96e09ba0c535c5a8b88ea8a37572",
    },
    TestChart {
        name: "cilium",
        version: "1.19.6",
        registry: CILIUM_OCI,
        sha256: "21c43cf53841f9ab0375047d95aa4c64051ea52bbd2c679416e6408f5f1c9179",
    },
    TestChart {
        name: "cilium",
        version: "1.20.0",
        registry: CILIUM_OCI,
        sha256: "c5f013912360d1a334f44ef25f36da59ba3414cdb48f466ee12d0c4fdff27883",
    },
];

/// The Cilium version most tests install and render.
pub const CILIUM: &str = "1.17.18";

/// Where charts may come from; [`Sources::from_env`] is what tests use, tests of this module
/// build their own.
#[derive(Clone, Debug)]
pub struct Sources {
    /// `PODNET_TEST_CHARTS`.
    pub dir: Option<PathBuf>,
    /// `../shared/charts` beside the clone.
    pub shared: PathBuf,
    /// Where pulled charts are kept.
    pub cache: PathBuf,
    /// The plugin binary that pulls.
    pub podnet: PathBuf,
    /// Extra `cilium pull` flags (a test registry wants `--plain-http`).
    pub pull_flags: Vec<String>,
}

impl Sources {
    pub fn from_env() -> Sources {
        Sources {
            dir: std::env::var_os(VAR)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            shared: crate::repo_root().join("../shared/charts"),
            cache: crate::user_cache("podnet-test-charts"),
            podnet: crate::podnet::binary(),
            pull_flags: Vec::new(),
        }
    }

    /// The chart's verified file, or why there is none (naming [`VAR`]).
    pub fn resolve(&self, c: &TestChart) -> Result<PathBuf, String> {
        let file = c.file_name();
        let wanted = format!("{file} (sha256 {})", c.sha256);
        if let Some(dir) = &self.dir {
            let p = dir.join(&file);
            if !p.is_file() {
                return Err(format!(
                    "{VAR}={} has no {wanted}: put the chart there, or unset {VAR} to use \
                     ../shared/charts or pull it",
                    dir.display()
                ));
            }
            return verified(&p, c).map_err(|e| format!("{e} (from {VAR}={})", dir.display()));
        }
        if self.shared.is_dir() {
            return verified(&self.shared.join(&file), c);
        }
        let cached = self.cache.join(&file);
        if cached.is_file() && verified(&cached, c).is_ok() {
            return Ok(cached);
        }
        self.pull(c).map_err(|why| {
            format!(
                "test chart {file} is not available: {VAR} is not set, {} does not exist, and \
                 pulling {} failed: {why}\nSet {VAR} to a directory holding {wanted}.",
                self.shared.display(),
                c.reference()
            )
        })
    }

    /// `kubectl-podnet cilium pull` into a staging directory, verified, then renamed into the cache.
    fn pull(&self, c: &TestChart) -> Result<PathBuf, String> {
        if !self.podnet.is_file() {
            return Err(format!(
                "the plugin binary {} is not built (cargo build)",
                self.podnet.display()
            ));
        }
        std::fs::create_dir_all(&self.cache)
            .map_err(|e| format!("cannot create {}: {e}", self.cache.display()))?;
        let stage = tempfile::tempdir_in(&self.cache)
            .map_err(|e| format!("cannot stage in {}: {e}", self.cache.display()))?;
        let out = Command::new(&self.podnet)
            .args(["cilium", "pull", "--chart", &c.reference(), "-d"])
            .arg(stage.path())
            .args(["--registry-retries", "1", "--registry-timeout", "30s"])
            .args(&self.pull_flags)
            .env("PODNET_CACHE_DIR", self.cache.join(".podnet-cache"))
            .env("NO_COLOR", "1")
            .env_remove("PODNET_LOG")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.podnet.display()))?;
        if !out.status.success() {
            return Err(crate::podnet::flat(&out.stderr));
        }
        let pulled = stage.path().join(c.file_name());
        verified(&pulled, c)?;
        let dest = self.cache.join(c.file_name());
        std::fs::rename(&pulled, &dest)
            .map_err(|e| format!("cannot move the chart into {}: {e}", dest.display()))?;
        Ok(dest)
    }
}

/// The file, when its sha256 is the listed one.
fn verified(p: &Path, c: &TestChart) -> Result<PathBuf, String> {
    let bytes = std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
    let got = sha256_hex(&bytes);
    if got != c.sha256 {
        return Err(format!(
            "{} has sha256 {got}, the list wants {} for {}",
            p.display(),
            c.sha256,
            c.file_name()
        ));
    }
    Ok(p.to_path_buf())
}

/// sha256 of bytes, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The listed chart `name`-`version`.
pub fn listed(name: &str, version: &str) -> &'static TestChart {
    CHARTS
        .iter()
        .find(|c| c.name == name && c.version == version)
        .unwrap_or_else(|| {
            panic!("{name}-{version} is not in testkit's chart list (tests/testkit/src/charts.rs)")
        })
}

/// The chart's file from [`Sources::from_env`], resolved once per test binary; fails the test
/// with the reason when no source has it.
pub fn chart(name: &str, version: &str) -> PathBuf {
    static RESOLVED: OnceLock<Mutex<HashMap<String, Result<PathBuf, String>>>> = OnceLock::new();
    let c = listed(name, version);
    // One lock for all: concurrent tests wait for one pull instead of racing it.
    let r = RESOLVED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(c.file_name())
        .or_insert_with(|| Sources::from_env().resolve(c))
        .clone();
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// The listed Cilium chart of this version.
pub fn cilium(version: &str) -> PathBuf {
    chart("cilium", version)
}

/// Where charts beyond the list are looked for (the ignored public-charts test): `PODNET_TEST_CHARTS`,
/// else `../shared/charts`.
pub fn extra_dir() -> PathBuf {
    let s = Sources::from_env();
    s.dir.unwrap_or(s.shared)
}

/// Writes a chart package (a gzipped tar of `files`, each a path inside the archive such as
/// `mychart/Chart.yaml` and its contents) to `out`, and returns `out`.
pub fn write_tgz<P: AsRef<Path>, T: AsRef<[u8]>>(out: &Path, files: &[(P, T)]) -> PathBuf {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(out).expect("create the chart package"),
        flate2::Compression::fast(),
    );
    let mut b = tar::Builder::new(gz);
    for (path, data) in files {
        let data = data.as_ref();
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path.as_ref(), data)
            .expect("add a file to the chart package");
    }
    b.into_inner()
        .expect("finish the tar stream")
        .finish()
        .expect("finish the gzip stream");
    out.to_path_buf()
}
