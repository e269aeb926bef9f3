//! How changes are applied and awaited ([`Ops`]) and the chart's readiness check ([`Wait`]): plain
//! settings in a leaf module, so `apply` can take them without importing `wait` (which runs hooks).

use std::time::Duration;

use futures::future::LocalBoxFuture;
use kube::Client;

use super::hints::Hints;
use crate::error::Result;

/// Helm's `--wait` for one chart: resolves when the release's workloads are ready, or fails with
/// what is not ready and why once `timeout` has passed. The release layer knows no workloads;
/// the chart's layer says what "ready" means.
pub trait Wait {
    fn wait<'a>(
        &'a self,
        client: &'a Client,
        release: &'a str,
        namespace: &'a str,
        timeout: Duration,
    ) -> LocalBoxFuture<'a, Result<()>>;
}

/// How changes are applied and awaited, shared by install, upgrade and rollback.
#[derive(Clone, Copy)]
pub struct Ops<'a> {
    /// Server-side apply field manager; Helm's is its program name (`helm` for the CLI).
    pub field_manager: &'a str,
    /// Overwrite fields another field manager owns (Helm v4's `--force-conflicts`); without it a
    /// field changed outside the release (`kubectl edit`, `kubectl patch`) stops the apply.
    pub force_conflicts: bool,
    /// Adopt objects that exist without this release's ownership metadata (Helm's
    /// `--take-ownership`); without it such objects stop install and upgrade before any change.
    pub take_ownership: bool,
    /// Limit for hooks and for `wait`.
    pub timeout: Duration,
    /// Wait for the release to be ready before the post-hooks (Helm's `--wait`).
    pub wait: Option<&'a dyn Wait>,
    /// The driving tool's commands, named in errors.
    pub hints: Hints,
}
