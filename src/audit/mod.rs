//! VPC CNI custom networking audit: collect facts (Kubernetes, EC2) → pure checks → report.
//! Also max pods per instance type, which the audit uses for its capacity checks.
pub mod checks;
pub mod collect;
pub mod facts;
pub mod maxpods;
pub mod report;
