//! What install, upgrade and rollback share: how changes are applied and awaited ([`Ops`]), the
//! chart's readiness check behind Helm's `--wait` ([`Wait`]), and what an operation returns.

use kube::Client;

use super::hooks;
pub use super::ops::{Ops, Wait};
use super::storage::Release;
use crate::error::Result;

impl Ops<'_> {
    /// Helm's order after applying: wait (if asked), then the `post` hooks.
    pub async fn finish(&self, client: &Client, rel: &mut Release, post: &str) -> Result<()> {
        if let Some(w) = self.wait {
            w.wait(client, rel.name(), rel.namespace(), self.timeout)
                .await?;
        }
        hooks::run(
            client,
            rel,
            post,
            self.field_manager,
            self.timeout,
            &self.hints,
        )
        .await?;
        Ok(())
    }
}

/// The revision an operation recorded, and how many objects it applied.
pub struct Outcome {
    pub release: Release,
    pub applied: usize,
}
