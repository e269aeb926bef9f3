//! Cilium's upgrade rules: the IPAM pool and block size are frozen after install, one minor at
//! a time, no downgrade (unless forced), and `upgradeCompatibility` set to the first installed
//! minor when the minor changes.

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::release::storage::Release;
use crate::release::upgrade::Proposal;

/// `(major, minor, patch)` of a chart version such as `1.17.6-0`.
fn mmp(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.trim_start_matches('v').split(['-', '+']).next()?;
    let mut p = core.split('.').map(|x| x.parse::<u64>().ok());
    Some((p.next()??, p.next()??, p.next().flatten().unwrap_or(0)))
}

/// Keys the AWS guide forbids changing after install.
const FROZEN: [&str; 3] = [
    "ipam.mode",
    "ipam.operator.clusterPoolIPv4PodCIDRList",
    "ipam.operator.clusterPoolIPv4MaskSize",
];

/// The checks `upgrade` makes before touching anything; errors say what to do instead.
pub fn upgrade_guards(
    old_chart: &str,
    new_chart: &str,
    old_values: &Value,
    new_values: &Value,
    force: bool,
) -> Result<()> {
    for key in FROZEN {
        let (a, b) = (
            crate::input::get(old_values, key),
            crate::input::get(new_values, key),
        );
        // The stored revision holds Go's numbers (25) and a values file may give 25.0: the same.
        let same = a.cloned().map(crate::release::storage::go_numbers)
            == b.cloned().map(crate::release::storage::go_numbers);
        if !same {
            return Err(Error::Conflict {
                message: format!(
                    "the upgrade changes {key} ({} → {}); Cilium cannot renumber running pods",
                    a.map(ToString::to_string).unwrap_or_else(|| "chart default".into()),
                    b.map(ToString::to_string).unwrap_or_else(|| "chart default".into())
                ),
                help: Some("keep the deployed value; to grow the pool, add a new CIDR in a planned migration (AWS: do not change clusterPoolIPv4PodCIDRList or clusterPoolIPv4MaskSize after deploying)".into()),
            });
        }
    }
    let (Some(o), Some(n)) = (mmp(old_chart), mmp(new_chart)) else {
        return Ok(());
    };
    if force {
        return Ok(());
    }
    if n < o {
        return Err(Error::Conflict {
            message: format!(
                "chart {new_chart} is older than the deployed {old_chart}: a downgrade"
            ),
            help: Some(
                "use `kubectl podnet cilium rollback` to return to an earlier revision, or --force"
                    .into(),
            ),
        });
    }
    if n.0 == o.0 && n.1 > o.1 + 1 {
        return Err(Error::Conflict {
            message: format!(
                "{old_chart} → {new_chart} skips a minor version; Cilium supports one minor at a time"
            ),
            help: Some(format!(
                "go one minor at a time: the newest 1.{}.x patch first, then the newest 1.{}.x, … up to 1.{} (`kubectl podnet cilium versions` lists them)",
                o.1,
                o.1 + 1,
                n.1
            )),
        });
    }
    Ok(())
}

/// Keeps the defaults of the first installed minor across minors (Cilium's `upgradeCompatibility`),
/// unless the values set it.
pub fn upgrade_compatibility(history: &[Release], new_chart: &str, merged: &mut Value) {
    if crate::input::get(merged, "upgradeCompatibility").is_none()
        && let Some((maj, min, _)) = history.first().and_then(|r| mmp(r.chart_version()))
        && mmp(new_chart).is_some_and(|n| (n.0, n.1) != (maj, min))
    {
        merged["upgradeCompatibility"] = json!(format!("{maj}.{min}"));
    }
}

/// The release layer's upgrade rules for Cilium: the guards, then `upgradeCompatibility`.
pub fn rules(p: &Proposal<'_>, merged: &mut Value, force: bool) -> Result<()> {
    upgrade_guards(
        p.base.chart_version(),
        p.chart_version,
        p.base.config(),
        merged,
        force,
    )?;
    upgrade_compatibility(p.history, p.chart_version, merged);
    Ok(())
}
