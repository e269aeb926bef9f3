//! kubectl-podnet: plan, validate and operate pod networking on EKS clusters with hybrid nodes.
//!
//! What the commands do:
//! * `cilium values` / `cilium validate`: Cilium Helm values for EKS Hybrid Nodes generated from the
//!   network plan, and any values file checked against the cluster's networks ([`cilium`], [`net`],
//!   [`aws`]).
//! * `cilium pull` / `cilium versions` / `cache`: charts from OCI registries through a
//!   digest-verified cache ([`oci`]); `cilium template`: the chart rendered byte-identical to Helm v4
//!   ([`helm`]).
//! * `cilium install` / `upgrade` / `rollback` / `status` / `history` / `get-values` / `uninstall`: the
//!   Cilium Helm release ([`cilium::lifecycle`] and friends) over the chart-agnostic, Helm-compatible
//!   release machinery ([`release`]).
//! * `audit` / `max-pods`: Amazon VPC CNI custom networking audit and max pods per instance type
//!   ([`audit`]).
//!
//! Data flows one way: inputs (flags, files, AWS, the cluster) → facts (`cilium::facts`,
//! `audit::facts`) → findings (`cilium::validate`, `audit::checks`, [`report`]) or manifests and
//! release records → output ([`cli`]). Modules depend one way too: `cli` → `cilium` → `release` →
//! `helm` / `kube` (checked by `tests/module_layering.rs`).
pub mod audit;
pub mod aws;
pub mod cilium;
pub mod cli;
pub mod error;
pub mod fleet;
/// The chart engine (the `helm-engine` crate), under the name the plugin's modules use.
pub use helm_engine as helm;
pub mod fsutil;
pub mod input;
pub mod kube;
pub mod net;
pub mod oci;
pub mod release;
pub mod report;
