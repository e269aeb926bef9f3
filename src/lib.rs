//! kubectl-podnet: plan, validate and operate pod networking on EKS clusters with hybrid nodes.
//!
//! Data flows one way: inputs (flags, files, AWS) → facts (`cilium::facts`) → findings
//! (`cilium::validate`, `report`) or manifests → output (`cli`).
pub mod audit;
pub mod aws;
pub mod cilium;
pub mod cli;
pub mod error;
pub mod fsutil;
pub mod helm;
pub mod input;
pub mod kube;
pub mod net;
pub mod oci;
pub mod release;
pub mod report;
