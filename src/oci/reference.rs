//! `oci://HOST[:PORT]/REPO[:TAG][@sha256:HEX]` chart references and Helm's tag rule.

use std::fmt;
use std::str::FromStr;

/// The chart AWS publishes for Cilium on EKS Hybrid Nodes.
pub const DEFAULT_CHART: &str = "oci://public.ecr.aws/eks/cilium/cilium";

/// A chart in an OCI registry. `registry` is `host[:port]`, `repository` the path below it
/// (its last component is the chart name, as Helm pushes it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChartRef {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:<64 hex>` of the manifest.
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid chart reference {input:?}: {reason}")]
pub struct RefError {
    pub input: String,
    pub reason: String,
}

impl ChartRef {
    /// The chart name: the last path component of the repository.
    pub fn name(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(&self.repository)
    }

    /// `host/repo`, the key the cache and messages use.
    pub fn location(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The same chart at another tag (digest dropped).
    pub fn with_tag(&self, tag: &str) -> ChartRef {
        ChartRef {
            tag: Some(tag.to_string()),
            digest: None,
            ..self.clone()
        }
    }

    /// The same chart pinned to a manifest digest.
    pub fn with_digest(&self, digest: &str) -> ChartRef {
        ChartRef {
            digest: Some(digest.to_string()),
            ..self.clone()
        }
    }
}

impl fmt::Display for ChartRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oci://{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Checks `sha256:<64 lowercase hex>`.
pub fn valid_digest(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn valid_tag(t: &str) -> bool {
    // distribution: [\w][\w.-]{0,127}
    !t.is_empty()
        && t.len() <= 128
        && t.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_alphanumeric() || b == b'_' || (i > 0 && (b == b'.' || b == b'-'))
        })
}

fn valid_repository(r: &str) -> bool {
    !r.is_empty()
        && r.split('/').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
                && c.as_bytes()[0].is_ascii_alphanumeric()
                && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
        })
}

impl FromStr for ChartRef {
    type Err = RefError;

    fn from_str(input: &str) -> Result<Self, RefError> {
        let err = |reason: &str| RefError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let rest = input
            .strip_prefix("oci://")
            .ok_or_else(|| err("OCI chart references start with oci://"))?;
        if let Some((before, _)) = rest.split_once('@')
            && !before.contains('/')
        {
            // user:password@host — never echo it back.
            return Err(RefError {
                input: "oci://<credentials>@…".into(),
                reason: "credentials in the reference are not supported; use --username with --password-stdin or a registry config".into(),
            });
        }
        let (rest, digest) = match rest.split_once('@') {
            Some((r, d)) => {
                if !valid_digest(d) {
                    return Err(err("the digest must be sha256: followed by 64 hex digits"));
                }
                (r, Some(d.to_string()))
            }
            None => (rest, None),
        };
        let (registry, path) = rest
            .split_once('/')
            .ok_or_else(|| err("expected oci://HOST/REPOSITORY"))?;
        if registry.is_empty()
            || registry.bytes().any(|b| {
                !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
            })
        {
            return Err(err("the registry host is empty or has invalid characters"));
        }
        let (repository, tag) = match path.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r, Some(t.to_string())),
            _ => (path, None),
        };
        if let Some(t) = &tag
            && !valid_tag(t)
        {
            return Err(err(
                "a tag is letters, digits, '_', '.' and '-' (Helm stores '+' in versions as '_')",
            ));
        }
        if !valid_repository(repository) {
            return Err(err(
                "the repository must be lowercase path components (a-z, 0-9, '.', '_', '-')",
            ));
        }
        Ok(ChartRef {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag,
            digest,
        })
    }
}

/// Helm's rule: OCI tags cannot hold `+`, so a chart version `1.2.3+abc` is stored as tag `1.2.3_abc`.
pub fn version_to_tag(version: &str) -> String {
    version.replace('+', "_")
}

/// The inverse of [`version_to_tag`].
pub fn tag_to_version(tag: &str) -> String {
    tag.replace('_', "+")
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn parses_tag_digest_and_port() {
        let r: ChartRef = "oci://public.ecr.aws/eks/cilium/cilium".parse().unwrap();
        assert_eq!(r.registry, "public.ecr.aws");
        assert_eq!(r.repository, "eks/cilium/cilium");
        assert_eq!(r.name(), "cilium");
        assert_eq!(r.tag, None);
        let r: ChartRef = "oci://127.0.0.1:5000/charts/cilium:1.17.18"
            .parse()
            .unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.tag.as_deref(), Some("1.17.18"));
        let s = format!("oci://127.0.0.1:5000/charts/cilium:1.17.6-0@{D}");
        let r: ChartRef = s.parse().unwrap();
        assert_eq!(r.tag.as_deref(), Some("1.17.6-0"));
        assert_eq!(r.digest.as_deref(), Some(D));
        assert_eq!(r.to_string(), s);
    }

    #[test]
    fn rejects_bad_refs() {
        for bad in [
            "public.ecr.aws/eks/cilium",
            "oci://host",
            "oci:///repo",
            "oci://host/Repo",
            "oci://host/repo:1.0+x",
            "oci://host/repo@sha256:abc",
            "oci://host/repo//x",
        ] {
            assert!(bad.parse::<ChartRef>().is_err(), "{bad}");
        }
        let e = "oci://me:hunter2@host/repo"
            .parse::<ChartRef>()
            .unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn helm_tag_rule() {
        assert_eq!(version_to_tag("1.17.18+eks.1"), "1.17.18_eks.1");
        assert_eq!(tag_to_version("1.17.18_eks.1"), "1.17.18+eks.1");
    }
}
