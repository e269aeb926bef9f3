//! Cilium for EKS Hybrid Nodes: values generation and validation.
pub mod facts;
pub mod generate;
pub mod hooks;
pub mod lifecycle;
pub mod validate;
pub mod versions;
