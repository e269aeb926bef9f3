//! Cilium for EKS Hybrid Nodes: what is Cilium's. Values generation ([`generate`]) and validation
//! ([`validate`]) from the network facts ([`facts`]), the supported minors and their rules
//! ([`versions`]), and the Cilium release on the cluster: install, upgrade, rollback and
//! uninstall over the chart-agnostic [`crate::release`] layer ([`lifecycle`]), with Cilium's
//! upgrade rules ([`upgrade`]), cluster checks before an install ([`preinstall`]), AWS's preflight
//! ([`preflight`]), readiness ([`wait`]), `status` ([`status`]) and drift ([`diff`]).
//!
//! Dependencies run one way: `cli` → `cilium` → `release` → `helm`/`kube`; `release` never
//! imports `cilium`. This file declares modules and one constant; it imports none of them.

pub mod diff;
pub mod facts;
pub mod generate;
pub mod lifecycle;
pub mod preflight;
pub mod preinstall;
pub mod status;
pub mod upgrade;
pub mod validate;
pub mod versions;
pub mod wait;

/// Release name of the preflight check (AWS's guide uses the same).
pub const PREFLIGHT_RELEASE: &str = "cilium-preflight";

/// The commands that release errors point to.
pub const HINTS: crate::release::hints::Hints = crate::release::hints::Hints {
    cli: "kubectl podnet cilium",
};
