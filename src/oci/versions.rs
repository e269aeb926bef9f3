//! Chart versions from registry tags: semver order with EKS's rebuild tags, constraint matching
//! as Helm does it, and the "newest patch of each minor" marks of `cilium versions`.
//!
//! AWS republishes upstream Cilium charts as `X.Y.Z-N` (N = rebuild number). Strict semver would
//! read `-N` as a pre-release of X.Y.Z; here a purely numeric single pre-release identifier is a
//! rebuild: X.Y.Z < X.Y.Z-0 < X.Y.Z-1, and rebuilds count as releases. Other pre-releases
//! (`-rc.1`, `-pre.2`) sort before X.Y.Z and are hidden unless asked for.

use std::cmp::Ordering;

use semver::{Prerelease, Version, VersionReq};
use serde::Serialize;

use super::reference::tag_to_version;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartVersion {
    /// The tag as stored in the registry (`+` written as `_`).
    pub tag: String,
    /// The chart version (`_` read back as `+`, a leading `v` kept as written).
    pub version: String,
    pub semver: Version,
    /// EKS rebuild number of an `X.Y.Z-N` tag.
    pub rebuild: Option<u64>,
}

impl ChartVersion {
    /// Parses a registry tag; `None` for tags that are not versions (`latest`, digests…).
    pub fn from_tag(tag: &str) -> Option<ChartVersion> {
        let version = tag_to_version(tag);
        let text = version.strip_prefix('v').unwrap_or(&version);
        let semver = Version::parse(text).ok()?;
        let pre = semver.pre.as_str();
        let rebuild = if !pre.is_empty()
            && pre.bytes().all(|b| b.is_ascii_digit())
            && (pre == "0" || !pre.starts_with('0'))
        {
            pre.parse().ok()
        } else {
            None
        };
        Some(ChartVersion {
            tag: tag.to_string(),
            version,
            semver,
            rebuild,
        })
    }

    /// A real pre-release (`-rc.1`), not an EKS rebuild.
    pub fn is_prerelease(&self) -> bool {
        !self.semver.pre.is_empty() && self.rebuild.is_none()
    }

    pub fn minor_key(&self) -> (u64, u64) {
        (self.semver.major, self.semver.minor)
    }

    /// The version as the upstream release it rebuilds: `1.17.6-2` → `1.17.6`.
    pub fn release(&self) -> Version {
        let mut v = self.semver.clone();
        if self.rebuild.is_some() {
            v.pre = Prerelease::EMPTY;
        }
        v.build = semver::BuildMetadata::EMPTY;
        v
    }
}

impl Ord for ChartVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let s = &self.semver;
        let o = &other.semver;
        // class: 0 pre-release, 1 release, 2 rebuild
        let class = |v: &ChartVersion| {
            if v.rebuild.is_some() {
                2
            } else if v.semver.pre.is_empty() {
                1
            } else {
                0
            }
        };
        (s.major, s.minor, s.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then(class(self).cmp(&class(other)))
            .then(self.rebuild.cmp(&other.rebuild))
            .then(s.pre.cmp(&o.pre))
            .then(s.build.cmp(&o.build))
            .then(self.tag.cmp(&other.tag))
    }
}

impl PartialOrd for ChartVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Parses tags into versions sorted newest first; non-version tags are dropped.
pub fn sorted_versions<'a>(tags: impl IntoIterator<Item = &'a str>) -> Vec<ChartVersion> {
    let mut v: Vec<ChartVersion> = tags
        .into_iter()
        .filter_map(ChartVersion::from_tag)
        .collect();
    v.sort_by(|a, b| b.cmp(a));
    v.dedup_by(|a, b| a.tag == b.tag);
    v
}

/// Whether `--version` names one exact version (then it is used as the tag directly, as Helm does).
pub fn is_exact(version: &str) -> bool {
    let v = version.strip_prefix('v').unwrap_or(version);
    Version::parse(v).is_ok()
}

/// Picks the tag for `--version` among `tags`, as Helm does for OCI: empty means the newest
/// release; an exact version that exists wins; otherwise the newest release matching the
/// constraint (`^1.17`, `~1.17.0`, `>=1.16, <1.18`). Rebuilds match through their upstream version.
pub fn select(tags: &[String], version: Option<&str>) -> Result<ChartVersion, String> {
    let all = sorted_versions(tags.iter().map(String::as_str));
    let want = version.map(str::trim).filter(|v| !v.is_empty());
    let Some(want) = want else {
        return all
            .into_iter()
            .find(|v| !v.is_prerelease())
            .ok_or_else(|| "no release versions among the tags".to_string());
    };
    if let Some(v) = all
        .iter()
        .find(|v| v.version == want || v.tag == want || v.version.strip_prefix('v') == Some(want))
    {
        return Ok(v.clone());
    }
    let req = VersionReq::parse(want.strip_prefix('v').unwrap_or(want))
        .map_err(|e| format!("{want:?} is neither a version nor a constraint: {e}"))?;
    let allow_pre = !req.comparators.iter().all(|c| c.pre.is_empty());
    all.into_iter()
        .find(|v| {
            (allow_pre || !v.is_prerelease())
                && (req.matches(&v.release()) || req.matches(&v.semver))
        })
        .ok_or_else(|| format!("no version matches {want:?}"))
}

/// One row of `cilium versions`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VersionRow {
    pub version: String,
    pub tag: String,
    pub minor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebuild: Option<u64>,
    pub prerelease: bool,
    /// The newest release of its minor.
    pub newest_in_minor: bool,
    /// The hybrid-node values podnet generates support this minor.
    pub hybrid_supported: bool,
}

/// Rows for `cilium versions`, newest first; pre-releases only with `all`.
pub fn rows(tags: &[String], all: bool, supported: &dyn Fn(u64, u64) -> bool) -> Vec<VersionRow> {
    let versions = sorted_versions(tags.iter().map(String::as_str));
    let mut seen_minor = std::collections::HashSet::new();
    versions
        .into_iter()
        .filter(|v| all || !v.is_prerelease())
        .map(|v| {
            let (maj, min) = v.minor_key();
            let newest = !v.is_prerelease() && seen_minor.insert((maj, min));
            VersionRow {
                minor: format!("{maj}.{min}"),
                rebuild: v.rebuild,
                prerelease: v.is_prerelease(),
                newest_in_minor: newest,
                hybrid_supported: supported(maj, min),
                version: v.version,
                tag: v.tag,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn eks_rebuilds_sort_after_their_release() {
        let t = tags(&[
            "1.17.6-1",
            "1.17.6",
            "1.17.6-0",
            "1.17.6-rc.1",
            "1.16.15-0",
            "latest",
            "1.17.10-0",
            "1.17.6-10",
            "1.17.6-2",
        ]);
        let s: Vec<String> = sorted_versions(t.iter().map(String::as_str))
            .into_iter()
            .map(|v| v.tag)
            .collect();
        assert_eq!(
            s,
            [
                "1.17.10-0",
                "1.17.6-10",
                "1.17.6-2",
                "1.17.6-1",
                "1.17.6-0",
                "1.17.6",
                "1.17.6-rc.1",
                "1.16.15-0"
            ]
        );
    }

    #[test]
    fn select_like_helm() {
        let t = tags(&[
            "1.16.15-0",
            "1.17.6-0",
            "1.17.6-1",
            "1.18.0-rc.1",
            "1.17.18",
            "1.2.3_abc",
        ]);
        assert_eq!(select(&t, None).unwrap().tag, "1.17.18");
        assert_eq!(select(&t, Some("1.17.6-0")).unwrap().tag, "1.17.6-0");
        assert_eq!(select(&t, Some("~1.16.0")).unwrap().tag, "1.16.15-0");
        assert_eq!(
            select(&t, Some(">=1.17.0, <1.17.10")).unwrap().tag,
            "1.17.6-1"
        );
        assert_eq!(select(&t, Some("1.2.3+abc")).unwrap().tag, "1.2.3_abc");
        assert!(select(&t, Some("^2")).is_err());
        assert!(select(&t, Some("not a version")).is_err());
        assert!(is_exact("1.17.6-0") && is_exact("v1.2.3") && !is_exact("^1.17"));
    }

    #[test]
    fn rows_mark_newest_patch_per_minor() {
        let t = tags(&[
            "1.16.15-0",
            "1.16.14-0",
            "1.17.6-0",
            "1.17.6-1",
            "1.18.0-rc.1",
            "1.15.1",
        ]);
        let sup = |maj: u64, min: u64| maj == 1 && (16..=19).contains(&min);
        let r = rows(&t, false, &sup);
        let got: Vec<(&str, bool, bool)> = r
            .iter()
            .map(|r| (r.tag.as_str(), r.newest_in_minor, r.hybrid_supported))
            .collect();
        assert_eq!(
            got,
            [
                ("1.17.6-1", true, true),
                ("1.17.6-0", false, true),
                ("1.16.15-0", true, true),
                ("1.16.14-0", false, true),
                ("1.15.1", true, false)
            ]
        );
        let r = rows(&t, true, &sup);
        assert_eq!(r[0].tag, "1.18.0-rc.1");
        assert!(r[0].prerelease && !r[0].newest_in_minor);
    }
}
