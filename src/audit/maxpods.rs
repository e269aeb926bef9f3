//! Max pods per node for the Amazon VPC CNI, the figures of AWS's max-pods calculator.
//!
//! Secondary-IP mode: each ENI keeps its primary address, so pods = ENIs × (IPv4 per ENI − 1) + 2
//! (the +2 are host-network pods: aws-node and kube-proxy). Custom networking leaves the primary
//! ENI to the node's own subnet, so one ENI fewer. Prefix delegation (Nitro, CNI ≥ 1.9) assigns
//! /28 prefixes, 16 addresses per slot, and is capped at 110 pods below 30 vCPUs, else 250.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;

use crate::error::{Error, Result};

/// ENI and address limits of one instance type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceLimits {
    pub instance_type: String,
    /// ENIs on the default network card (the VPC CNI attaches pod ENIs there).
    pub enis: u32,
    pub ipv4_per_eni: u32,
    pub vcpus: u32,
    /// Nitro or bare metal: prefix delegation works.
    pub nitro: bool,
}

/// How the CNI is configured for the figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mode {
    pub custom_networking: bool,
    pub prefix_delegation: bool,
}

const TABLE: &str = include_str!("eni_limits.tsv");

fn table() -> &'static HashMap<&'static str, InstanceLimits> {
    static T: OnceLock<HashMap<&'static str, InstanceLimits>> = OnceLock::new();
    T.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                let [name, enis, ips, vcpus, hv, metal] = f.as_slice() else {
                    return None;
                };
                Some((
                    *name,
                    InstanceLimits {
                        instance_type: name.to_string(),
                        enis: enis.parse().ok()?,
                        ipv4_per_eni: ips.parse().ok()?,
                        vcpus: vcpus.parse().ok()?,
                        nitro: *hv == "nitro" || *metal == "1",
                    },
                ))
            })
            .collect()
    })
}

/// Number of instance types in the embedded table.
pub fn known_types() -> usize {
    table().len()
}

/// Limits from the embedded table, or an error naming close matches.
pub fn lookup(instance_type: &str) -> Result<InstanceLimits> {
    let t = instance_type.trim().to_ascii_lowercase();
    if let Some(l) = table().get(t.as_str()) {
        return Ok(l.clone());
    }
    let family = t.split('.').next().unwrap_or("");
    let mut close: Vec<&str> = table()
        .keys()
        .copied()
        .filter(|k| k.split('.').next() == Some(family))
        .collect();
    close.sort_by_key(|k| (k.len(), *k));
    close.truncate(8);
    let help = if close.is_empty() {
        "check the spelling (e.g. m5.large), or pass --region to ask EC2 DescribeInstanceTypes"
            .to_string()
    } else {
        format!("{family} sizes podnet knows: {}", close.join(", "))
    };
    Err(Error::flag_help(
        "--instance-type",
        format!("unknown instance type `{instance_type}`"),
        help,
    ))
}

/// The pod ceiling prefix delegation applies (AWS's calculator: 110 below 30 vCPUs, else 250).
pub fn prefix_ceiling(vcpus: u32) -> u64 {
    if vcpus < 30 { 110 } else { 250 }
}

/// Max pods for `limits` in `mode`; `cap` is an extra ceiling (e.g. a node group's setting).
pub fn max_pods(limits: &InstanceLimits, mode: Mode, cap: Option<u64>) -> Result<u64> {
    let enis = u64::from(limits.enis);
    let usable_enis = if mode.custom_networking {
        enis.saturating_sub(1)
    } else {
        enis
    };
    let per_eni = u64::from(limits.ipv4_per_eni.saturating_sub(1));
    let pods = if mode.prefix_delegation {
        if !limits.nitro {
            return Err(Error::flag_help(
                "--prefix-delegation",
                format!(
                    "{} is not a Nitro instance; prefix delegation needs Nitro",
                    limits.instance_type
                ),
                "drop --prefix-delegation, or use a Nitro instance type",
            ));
        }
        (usable_enis * per_eni * 16 + 2).min(prefix_ceiling(limits.vcpus))
    } else {
        usable_enis * per_eni + 2
    };
    Ok(match cap {
        Some(c) => pods.min(c),
        None => pods,
    })
}

/// The arithmetic behind a figure, for people checking it.
pub fn formula(limits: &InstanceLimits, mode: Mode) -> String {
    let enis = if mode.custom_networking {
        format!("({} − 1)", limits.enis)
    } else {
        limits.enis.to_string()
    };
    if mode.prefix_delegation {
        format!(
            "min({enis} × ({} − 1) × 16 + 2, {})",
            limits.ipv4_per_eni,
            prefix_ceiling(limits.vcpus)
        )
    } else {
        format!("{enis} × ({} − 1) + 2", limits.ipv4_per_eni)
    }
}

/// Prefix delegation needs VPC CNI 1.9.0 or newer. Accepts `v1.19.2-eksbuild.1` forms.
pub fn parse_cni_version(v: &str) -> Option<semver::Version> {
    let t = v.trim().trim_start_matches('v');
    let core = t.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let (major, minor, patch) = (
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    );
    Some(semver::Version::new(major, minor, patch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(t: &str, custom: bool, prefix: bool) -> u64 {
        max_pods(
            &lookup(t).unwrap(),
            Mode {
                custom_networking: custom,
                prefix_delegation: prefix,
            },
            None,
        )
        .unwrap()
    }

    #[test]
    fn known_values() {
        for (t, plain, custom) in [
            ("t3.medium", 17, 12),
            ("m5.large", 29, 20),
            ("m5.xlarge", 58, 44),
            ("c5.4xlarge", 234, 205),
            ("m5.24xlarge", 737, 688),
        ] {
            assert_eq!(fig(t, false, false), plain, "{t}");
            assert_eq!(fig(t, true, false), custom, "{t} custom networking");
        }
        assert_eq!(fig("m5.large", false, true), 110);
        assert_eq!(fig("m5.24xlarge", false, true), 250);
        assert_eq!(fig("t3.medium", true, true), 110);
        assert!(known_types() > 1000);
    }

    #[test]
    fn errors() {
        assert!(
            lookup("m5.hyperlarge")
                .unwrap_err()
                .to_string()
                .contains("unknown instance type")
        );
        let xen = lookup("t2.micro").unwrap();
        assert!(
            max_pods(
                &xen,
                Mode {
                    custom_networking: false,
                    prefix_delegation: true
                },
                None
            )
            .is_err()
        );
        assert_eq!(fig("t2.micro", false, false), 4);
        assert_eq!(
            parse_cni_version("v1.19.2-eksbuild.1"),
            Some(semver::Version::new(1, 19, 2))
        );
        assert_eq!(
            parse_cni_version("1.6"),
            Some(semver::Version::new(1, 6, 0))
        );
        assert_eq!(parse_cni_version("x"), None);
    }
}
