//! `kubectl podnet cilium …`: one file per subcommand. Flags shared between commands live in
//! [`crate::cli::flags`]; [`plan`] (the network plan behind values, validate and install) and
//! [`outcome`] (what release commands print) are shared helpers, not commands. No subcommand file
//! imports another.

mod diff;
mod get_values;
mod history;
mod install;
mod outcome;
mod plan;
mod pull;
mod rollback;
mod status;
mod template;
mod uninstall;
mod upgrade;
mod validate;
mod values;
mod versions;

use clap::Subcommand;

use super::flags::{GlobalArgs, ReleaseArgs};
use crate::error::Result;

/// `cilium --help`: what the subcommands do, in groups.
pub const ABOUT: &str = "Cilium for EKS Hybrid Nodes: values, validation, the chart and the Helm release.\n\n\
Values: `values` generates Helm values whose pod CIDRs fit the cluster's networks; `validate` checks a \
values file against them and the hybrid-node rules.\n\
Chart: `pull` and `versions` read OCI registries through a local cache; `template` renders the chart \
exactly as `helm template` (Helm v4) prints it.\n\
Release, recorded the way Helm records it (so `helm` and podnet can take turns): `install`, `upgrade` \
(with AWS's preflight and upgrade guards), `rollback`, `status`, `diff` (drift), `history`, `get-values`, `uninstall`.";

#[derive(Debug, Subcommand)]
pub enum CiliumCommand {
    /// Generate Cilium Helm values for EKS Hybrid Nodes from your network plan
    #[command(long_about = values::ABOUT)]
    Values(values::ValuesArgs),
    /// Check a Cilium values file against the cluster's networks and the hybrid-node rules
    #[command(long_about = validate::ABOUT)]
    Validate(validate::ValidateArgs),
    /// Download the Cilium chart from an OCI registry (like helm pull), through the cache
    Pull(pull::PullArgs),
    /// List the chart versions in an OCI registry, newest first
    Versions(versions::VersionsArgs),
    /// Render the chart locally, exactly as `helm template` (Helm v4) prints it
    Template(Box<template::TemplateArgs>),
    /// Install Cilium as a Helm release (validated values, server-side apply, Helm's records)
    Install(Box<install::InstallArgs>),
    /// Upgrade the release: deployed values reused, pool and minor-skip guards, prune, supersede
    Upgrade(Box<upgrade::UpgradeArgs>),
    /// Return to an earlier revision (also recovers an interrupted operation)
    Rollback(rollback::RollbackArgs),
    /// Release, agent and operator readiness, hybrid nodes without an agent, IPAM pool usage
    Status(status::StatusArgs),
    /// Drift of the release: live objects vs its manifest, a wanted upgrade, today's network facts
    #[command(long_about = diff::ABOUT)]
    Diff(Box<diff::DiffArgs>),
    /// Revisions of the release, as `helm history` shows them
    History(history::HistoryArgs),
    /// The user values of the release's last revision, as `helm get values` prints them
    GetValues(ReleaseArgs),
    /// Remove the release's objects (never aws-node, never what it does not own) and its records
    Uninstall(uninstall::UninstallArgs),
}

pub fn run(cmd: CiliumCommand, g: &GlobalArgs) -> Result<u8> {
    match cmd {
        CiliumCommand::Values(a) => values::run(a, g),
        CiliumCommand::Validate(a) => validate::run(a, g),
        CiliumCommand::Pull(a) => pull::run(a, g),
        CiliumCommand::Versions(a) => versions::run(a, g),
        CiliumCommand::Template(a) => template::run(*a, g),
        CiliumCommand::Install(a) => install::run(*a, g),
        CiliumCommand::Upgrade(a) => upgrade::run(*a, g),
        CiliumCommand::Rollback(a) => rollback::run(a, g),
        CiliumCommand::Status(a) => status::run(a, g),
        CiliumCommand::Diff(a) => diff::run(*a, g),
        CiliumCommand::History(a) => history::run(a, g),
        CiliumCommand::GetValues(a) => get_values::run(a, g),
        CiliumCommand::Uninstall(a) => uninstall::run(a, g),
    }
}
