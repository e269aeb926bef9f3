//! VPC CNI custom networking: max pods per instance type (and, next, the cluster audit).
pub mod maxpods;
