//! Waiting for Cilium (Helm's `--wait` for this chart): the agent ready on every hybrid node and
//! the operator available; on timeout, what is not ready and why.

use std::time::Duration;

use futures::future::LocalBoxFuture;
use kube::Client;
use kube::api::Api;

use super::status::{StatusReport, status};
use crate::error::{Error, Result};
use crate::kube::with_retries;
use crate::release::wait::Wait;

/// [`wait_ready`] as the release layer's [`Wait`], reporting progress to `progress`.
pub struct Ready<'a> {
    pub progress: &'a dyn Fn(&str),
}

impl Wait for Ready<'_> {
    fn wait<'a>(
        &'a self,
        client: &'a Client,
        release: &'a str,
        namespace: &'a str,
        timeout: Duration,
    ) -> LocalBoxFuture<'a, Result<()>> {
        Box::pin(async move {
            wait_ready(client, release, namespace, timeout, self.progress).await?;
            Ok(())
        })
    }
}

/// Waits until the agent is ready on every hybrid node and the operator is available; on
/// timeout the error lists what is not ready and why (waiting reasons such as ImagePullBackOff).
pub async fn wait_ready(
    client: &Client,
    release_name: &str,
    namespace: &str,
    timeout: std::time::Duration,
    mut progress: impl FnMut(&str),
) -> Result<StatusReport> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let s = status(client, release_name, namespace).await?;
        // Waiting happens before the revision is marked deployed: only the pods count.
        let pending: Vec<String> = s
            .findings
            .iter()
            .filter(|f| {
                f.severity == crate::report::Severity::Error && f.id != "release-not-deployed"
            })
            .map(|f| f.message.clone())
            .collect();
        if pending.is_empty() {
            return Ok(s);
        }
        progress(&pending.join("; "));
        if std::time::Instant::now() >= deadline {
            let reasons = not_ready_reasons(client, namespace)
                .await
                .unwrap_or_default();
            let mut msg = format!(
                "timed out after {timeout:?} waiting for Cilium: {}",
                pending.join("; ")
            );
            for r in reasons.iter().take(10) {
                msg.push_str(&format!("\n  {r}"));
            }
            return Err(Error::Kube {
                message: msg,
                help: Some("check the pods' events (kubectl -n kube-system describe pod …); `kubectl podnet cilium status` shows the state".into()),
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// `pod/name on node/x: Reason` for Cilium pods that are not ready.
async fn not_ready_reasons(client: &Client, namespace: &str) -> Result<Vec<String>> {
    use k8s_openapi::api::core::v1::Pod;
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let mut out = Vec::new();
    for sel in ["k8s-app=cilium", "io.cilium/app=operator"] {
        let lp = kube::api::ListParams::default().labels(sel);
        for p in with_retries("list cilium pods", || pods.list(&lp))
            .await?
            .items
        {
            let st = p.status.clone().unwrap_or_default();
            let ready = st
                .conditions
                .as_ref()
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
            if ready {
                continue;
            }
            let reason = st
                .container_statuses
                .as_ref()
                .and_then(|cs| {
                    cs.iter().find_map(|c| {
                        let w = c.state.as_ref()?.waiting.as_ref()?;
                        Some(format!(
                            "{}{}",
                            w.reason.clone().unwrap_or_default(),
                            w.message
                                .as_ref()
                                .map(|m| format!(" ({m})"))
                                .unwrap_or_default()
                        ))
                    })
                })
                .or(st.phase.clone())
                .unwrap_or_else(|| "not ready".into());
            let node = p
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .unwrap_or_else(|| "<unscheduled>".into());
            out.push(format!(
                "pod/{} on node/{node}: {reason}",
                p.metadata.name.unwrap_or_default()
            ));
        }
    }
    Ok(out)
}
