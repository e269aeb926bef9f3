//! `cilium upgrade --preflight`: AWS's pre-flight check of the target version, installed as its
//! own release beside the running Cilium and always removed afterwards.

use kube::Client;
use kube::api::Api;
use serde_json::{Value, json};

use super::HINTS;
use super::lifecycle::{InstallPlan, Ops, install, uninstall};
use crate::error::{Error, Result};
use crate::helm::{Chart, Values};
use crate::kube::with_retries;
use crate::release::storage::Store;

pub use super::PREFLIGHT_RELEASE;

/// Result of `upgrade --preflight`.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreflightReport {
    pub passed: bool,
    pub chart: String,
    /// Nodes that run the Cilium agent, and on which the preflight pod must be ready.
    pub agent_nodes: usize,
    pub ready_nodes: usize,
    pub deployment_ready: bool,
    /// Why it did not pass: pods not ready and their reasons.
    pub problems: Vec<String>,
    pub cleaned_up: bool,
}

/// Removes a pre-flight check that an interrupted run left installed (killed before its own
/// clean-up): true when there was one. The release is podnet's own, never the user's.
pub async fn remove_leftover(
    client: &Client,
    namespace: &str,
    timeout: std::time::Duration,
) -> Result<bool> {
    let store = Store::new(client, namespace, HINTS);
    if store.history(PREFLIGHT_RELEASE).await?.is_empty() {
        return Ok(false);
    }
    uninstall(client, PREFLIGHT_RELEASE, namespace, false, timeout).await?;
    Ok(true)
}

/// AWS's preflight, steps 2–5 as one: render the target chart with `preflight.enabled=true`,
/// `agent=false`, `operator.enabled=false` as release `cilium-preflight`, wait until the
/// pre-flight DaemonSet is ready on every node running the agent and its Deployment is ready,
/// then remove it, whatever happened.
pub async fn preflight(
    client: &Client,
    namespace: &str,
    chart: &Chart,
    chart_files: &[(String, Vec<u8>)],
    base: &Value,
    field_manager: &str,
    timeout: std::time::Duration,
) -> Result<PreflightReport> {
    remove_leftover(client, namespace, timeout).await?;
    let mut v = base.clone();
    if !v.is_object() {
        v = json!({});
    }
    crate::input::merge(
        &mut v,
        &json!({"preflight": {"enabled": true}, "agent": false, "operator": {"enabled": false}}),
    );
    // Run the check where the agent runs: reuse the agent's affinity for the pre-flight pods.
    if let Some(aff) = crate::input::get(base, "affinity").filter(|a| a.is_object()) {
        v["preflight"]["affinity"] = aff.clone();
    }
    let mut values = Values::new();
    values.add_json(&v);
    let version = chart.version();
    let plan = InstallPlan {
        release: PREFLIGHT_RELEASE,
        namespace,
        chart,
        chart_files,
        values: &values,
        ops: Ops {
            field_manager,
            force_conflicts: false,
            take_ownership: false,
            timeout,
            wait: None,
        },
    };
    // Ctrl-C stops the wait, not the clean-up: the pre-flight objects never outlive the command.
    let waited = tokio::select! {
        w = async {
            match install(client, &plan).await {
                Ok(_) => wait_preflight(client, namespace, timeout).await,
                Err(e) => Err(Error::Conflict {
                    message: format!("preflight install failed: {e}"),
                    help: None,
                }),
            }
        } => w,
        _ = tokio::signal::ctrl_c() => Err(Error::Conflict {
            message: "preflight interrupted (Ctrl-C)".into(),
            help: Some(format!("{PREFLIGHT_RELEASE} was removed; run the preflight again")),
        }),
    };
    // Clean up on every path; report a clean-up failure next to the result.
    let cleaned = uninstall(client, PREFLIGHT_RELEASE, namespace, false, timeout).await;
    let (agent_nodes, ready_nodes, deployment_ready, problems) = waited?;
    let passed = problems.is_empty();
    if let Err(e) = &cleaned {
        tracing::warn!("preflight clean-up failed: {e}");
    }
    Ok(PreflightReport {
        passed,
        chart: version,
        agent_nodes,
        ready_nodes,
        deployment_ready,
        problems,
        cleaned_up: cleaned.is_ok(),
    })
}

type Waited = (usize, usize, bool, Vec<String>);

async fn wait_preflight(
    client: &Client,
    namespace: &str,
    timeout: std::time::Duration,
) -> Result<Waited> {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Pod;
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let deps: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let mut agent_nodes = std::collections::BTreeSet::new();
        let mut ready = std::collections::BTreeSet::new();
        let mut problems = Vec::new();
        let lp = kube::api::ListParams::default();
        let list = with_retries("list pods", || pods.list(&lp)).await?;
        for p in &list.items {
            let labels = p.metadata.labels.clone().unwrap_or_default();
            let node = p
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .unwrap_or_default();
            let is_ready = p
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
            match labels.get("k8s-app").map(String::as_str) {
                Some("cilium") => {
                    agent_nodes.insert(node);
                }
                Some("cilium-pre-flight-check") => {
                    if is_ready {
                        ready.insert(node);
                    } else {
                        let reason = p
                            .status
                            .as_ref()
                            .and_then(|s| s.container_statuses.as_ref())
                            .and_then(|cs| {
                                cs.iter().find_map(|c| {
                                    c.state.as_ref()?.waiting.as_ref()?.reason.clone()
                                })
                            })
                            .unwrap_or_else(|| "not ready".into());
                        problems.push(format!(
                            "pod/{} on node/{node}: {reason}",
                            p.metadata.name.clone().unwrap_or_default()
                        ));
                    }
                }
                _ => {}
            }
        }
        let missing: Vec<&String> = agent_nodes.iter().filter(|n| !ready.contains(*n)).collect();
        let dep = crate::kube::get_opt(
            &deps,
            "cilium-pre-flight-check",
            "get deployment cilium-pre-flight-check",
        )
        .await?;
        let dep_ready = dep.as_ref().is_none_or(|d| {
            d.status
                .as_ref()
                .and_then(|s| s.ready_replicas)
                .unwrap_or(0)
                >= d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
        });
        if missing.is_empty() && dep_ready && !agent_nodes.is_empty() {
            return Ok((agent_nodes.len(), ready.len(), dep_ready, vec![]));
        }
        if std::time::Instant::now() >= deadline {
            if agent_nodes.is_empty() {
                problems.push(
                    "no Cilium agent pods found: is Cilium installed in this namespace?".into(),
                );
            }
            for n in missing {
                if !problems.iter().any(|p| p.contains(&format!("node/{n}:"))) {
                    problems.push(format!("node/{n}: no ready pre-flight pod"));
                }
            }
            if !dep_ready {
                problems.push("deployment/cilium-pre-flight-check is not ready (CiliumNetworkPolicy validation)".into());
            }
            problems.sort();
            problems.dedup();
            return Ok((agent_nodes.len(), ready.len(), dep_ready, problems));
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
