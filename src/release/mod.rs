//! Helm releases, for any chart: render → apply (server-side apply under Helm's field manager,
//! with Helm's ownership metadata) → prune → hooks → wait → record; rollback; uninstall; recovery
//! from interrupted (`pending-*`) and failed revisions. Revisions are recorded exactly as Helm
//! records them, so `helm` and podnet can take turns on one release.
//!
//! This layer knows no chart. What a chart adds comes in from the caller: readiness behind
//! Helm's `--wait` ([`wait::Wait`]), rules that refuse or adjust an upgrade
//! ([`upgrade::UpgradePlan::rules`]), clean-up between [`uninstall::delete_objects`] and
//! [`uninstall::forget`], and the tool's command names for error hints ([`hints::Hints`]).
//!
//! * [`storage`]: the records (Secret `sh.helm.release.v1.<name>.v<rev>`), history, statuses.
//! * [`apply`]: API discovery, server-side apply, the charts' CRDs, pruning.
//! * [`hooks`]: `helm.sh/hook` documents, recorded and run at their events.
//! * [`install`], [`upgrade`], [`rollback`], [`uninstall`]: the operations.
//! * [`wait`]: what the operations share ([`wait::Ops`], [`wait::Outcome`]).
//! * [`drift`]: live objects against the recorded manifest; [`changes`]: an upgrade's diffs as text.
//!
//! Files in this folder import each other directly, never through this file's re-exports.

pub mod apply;
pub mod changes;
pub mod drift;
pub mod hints;
pub mod hooks;
pub mod install;
pub mod ops;
pub mod rollback;
pub mod storage;
pub mod uninstall;
pub mod upgrade;
pub mod wait;

pub use hints::Hints;
pub use storage::{
    MAX_HISTORY, Release, SECRET_TYPE, Store, chart_record, go_numbers, now_rfc3339, status,
};
pub use wait::{Ops, Outcome};
