//! The Cilium minors podnet knows: embedded base values, the chart's key tree (for typo
//! detection) and the few chart defaults validation must assume when a key is left out.

use serde_json::Value;

use crate::error::{Error, Result};

/// A supported Cilium minor and its embedded data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Minor {
    pub minor: u64,
    base: &'static str,
    keys: &'static str,
}

impl Minor {
    pub fn name(&self) -> String {
        format!("1.{}", self.minor)
    }

    /// The hybrid-node base values (`values/1.N.yaml`).
    pub fn base_values(&self) -> Value {
        // Embedded at build time and covered by tests, so a parse failure is a build defect;
        // fall back to an empty map instead of panicking.
        serde_saphyr::from_str(self.base).unwrap_or(Value::Object(Default::default()))
    }

    pub fn base_text(&self) -> &'static str {
        self.base
    }

    /// Key tree of the chart's values: objects for maps, `null` for leaves, `"*"` for free-form.
    pub fn key_tree(&self) -> Value {
        serde_json::from_str(self.keys).unwrap_or(Value::Null)
    }

    /// Envoy runs as its own DaemonSet by default from Cilium 1.16 on.
    pub fn envoy_default_enabled(&self) -> bool {
        self.minor >= 16
    }
}

/// Pod CIDR pool the chart uses when the values leave it out.
pub const CHART_DEFAULT_POOL: &str = "10.0.0.0/8";
/// Per-node mask the chart uses when the values leave it out.
pub const CHART_DEFAULT_MASK: u8 = 24;

pub const SUPPORTED: &[Minor] = &[
    Minor {
        minor: 16,
        base: include_str!("../../values/1.16.yaml"),
        keys: include_str!("../../values/keys-1.16.json"),
    },
    Minor {
        minor: 17,
        base: include_str!("../../values/1.17.yaml"),
        keys: include_str!("../../values/keys-1.17.json"),
    },
    Minor {
        minor: 18,
        base: include_str!("../../values/1.18.yaml"),
        keys: include_str!("../../values/keys-1.18.json"),
    },
    Minor {
        minor: 19,
        base: include_str!("../../values/1.19.yaml"),
        keys: include_str!("../../values/keys-1.19.json"),
    },
];

/// The minor AWS supports for hybrid nodes today (its guide: "Cilium v1.17.x").
pub const AWS_SUPPORTED_MINOR: u64 = 17;

pub fn newest() -> Minor {
    SUPPORTED[SUPPORTED.len() - 1]
}

pub fn supported_list() -> String {
    SUPPORTED
        .iter()
        .map(Minor::name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolves `--cilium-version` (`1.17`, `1.17.6`, `v1.17.6`, `1.17.6-0`) to a supported minor.
pub fn resolve(version: Option<&str>) -> Result<Minor> {
    let Some(v) = version else {
        return Ok(newest());
    };
    let t = v.trim().trim_start_matches('v');
    let mut parts = t.split(['.', '-', '+']);
    let major = parts.next().and_then(|p| p.parse::<u64>().ok());
    let minor = parts.next().and_then(|p| p.parse::<u64>().ok());
    let (Some(1), Some(minor)) = (major, minor) else {
        return Err(Error::flag_help(
            "--cilium-version",
            format!("`{v}` is not a Cilium version"),
            format!(
                "use a version such as 1.17 or 1.17.6; supported: {}",
                supported_list()
            ),
        ));
    };
    SUPPORTED
        .iter()
        .copied()
        .find(|m| m.minor == minor)
        .ok_or_else(|| {
            Error::flag_help(
                "--cilium-version",
                format!("Cilium 1.{minor} is not supported by this podnet"),
                format!("supported minors: {}", supported_list()),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_parses() {
        for m in SUPPORTED {
            let base = m.base_values();
            assert_eq!(base["ipam"]["mode"], "cluster-pool", "{}", m.name());
            assert!(m.key_tree()["ipam"]["operator"].is_object(), "{}", m.name());
        }
    }

    #[test]
    fn resolves_versions() {
        assert_eq!(resolve(None).unwrap().minor, 19);
        assert_eq!(resolve(Some("1.17")).unwrap().minor, 17);
        assert_eq!(resolve(Some("v1.17.6")).unwrap().minor, 17);
        assert_eq!(resolve(Some("1.17.6-0")).unwrap().minor, 17);
        assert!(resolve(Some("1.12")).is_err());
        assert!(resolve(Some("banana")).is_err());
    }
}
