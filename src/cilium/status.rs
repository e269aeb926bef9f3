//! `cilium status`: the release, the agent and operator readiness, hybrid nodes without a ready
//! agent, and the IPAM pool's usage, as facts plus findings.

use kube::Client;
use kube::api::{Api, DynamicObject, GroupVersionKind};
use kube::discovery::ApiResource;
use serde_json::{Value, json};

use super::HINTS;
use crate::error::Result;
use crate::kube::with_retries;
use crate::release::storage::{Store, status};

/// What `cilium status` reports: facts plus findings.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub release: Option<Value>,
    pub agent: Option<Value>,
    pub operator: Option<Value>,
    pub hybrid_nodes: usize,
    pub hybrid_nodes_without_agent: Vec<String>,
    pub pool: Option<Value>,
    pub findings: Vec<crate::report::Finding>,
}

fn images(spec: Option<&k8s_openapi::api::core::v1::PodSpec>) -> Vec<String> {
    spec.map(|s| {
        s.containers
            .iter()
            .filter_map(|c| c.image.clone())
            .collect()
    })
    .unwrap_or_default()
}

/// What to do about a release whose last revision is not deployed: an interrupted (pending) one
/// needs `--recover` or a rollback; a failed one is applied again or rolled back to the last
/// deployed revision, when there is one.
fn not_deployed_fix(history: &[crate::release::storage::Release]) -> String {
    let Some(last) = history.last() else {
        return String::new();
    };
    if last.is_pending() {
        return HINTS.pending();
    }
    if last.status() == status::UNINSTALLING {
        return format!("an uninstall was interrupted: {}", HINTS.uninstalling());
    }
    match history
        .iter()
        .rev()
        .find(|r| r.status() == status::DEPLOYED)
    {
        Some(d) => format!(
            "`{0} upgrade` applies the chart again; `{0} rollback {1}` returns to revision {1}, the last deployed",
            HINTS.cli,
            d.version()
        ),
        None => format!(
            "`{0} upgrade` applies the chart again; `{0} uninstall` removes what it created",
            HINTS.cli
        ),
    }
}

/// Release, agent and operator readiness, hybrid nodes without an agent, pool usage.
pub async fn status(client: &Client, release_name: &str, namespace: &str) -> Result<StatusReport> {
    use crate::report::Finding;
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
    use k8s_openapi::api::core::v1::{Node, Pod};
    let mut findings = Vec::new();
    let history = Store::new(client, namespace, HINTS)
        .history(release_name)
        .await?;
    let last = history.last();
    match last {
        None => findings.push(
            Finding::error(
                "release-not-found",
                format!("no release {release_name} in {namespace}"),
            )
            .fix("kubectl podnet cilium install"),
        ),
        Some(r) if r.status() != status::DEPLOYED => findings.push(
            Finding::error(
                "release-not-deployed",
                format!(
                    "revision {} is {}: {}",
                    r.version(),
                    r.status(),
                    r.description()
                ),
            )
            .fix(not_deployed_fix(&history)),
        ),
        Some(_) => {}
    }
    if !Store::new(client, namespace, HINTS)
        .history(super::PREFLIGHT_RELEASE)
        .await?
        .is_empty()
    {
        findings.push(
            Finding::warning(
                "preflight-left-behind",
                format!(
                    "a pre-flight check (release {}, DaemonSet cilium-pre-flight-check) is still installed: a preflight run was interrupted",
                    super::PREFLIGHT_RELEASE
                ),
            )
            .fix("`kubectl podnet cilium upgrade --preflight` runs it again and removes it; `kubectl podnet cilium uninstall` removes it with Cilium"),
        );
    }
    let release = last.map(|r| json!({"name": r.name(), "revision": r.version(), "status": r.status(), "chart": format!("{}-{}", r.chart_name(), r.chart_version()), "updated": r.updated()}));

    let ds_api: Api<DaemonSet> = Api::namespaced(client.clone(), namespace);
    let agent = crate::kube::get_opt(&ds_api, "cilium", "get daemonset cilium").await?;
    let agent_json = agent.as_ref().map(|d| {
        let s = d.status.clone().unwrap_or_default();
        json!({"desired": s.desired_number_scheduled, "ready": s.number_ready, "updated": s.updated_number_scheduled.unwrap_or(0), "available": s.number_available.unwrap_or(0),
               "images": images(d.spec.as_ref().and_then(|s| s.template.spec.as_ref()))})
    });
    if let Some(a) = &agent_json
        && a["ready"] != a["desired"]
    {
        findings.push(Finding::error("agent-not-ready", format!("cilium agents ready {}/{}", a["ready"], a["desired"])).fix("kubectl -n kube-system get pods -l k8s-app=cilium -o wide; kubectl describe the ones not Ready"));
    }
    let dep_api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let op = crate::kube::get_opt(
        &dep_api,
        "cilium-operator",
        "get deployment cilium-operator",
    )
    .await?;
    let op_json = op.as_ref().map(|d| {
        let s = d.status.clone().unwrap_or_default();
        json!({"replicas": d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1), "available": s.available_replicas.unwrap_or(0),
               "images": images(d.spec.as_ref().and_then(|s| s.template.spec.as_ref()))})
    });
    if let Some(o) = &op_json
        && o["available"].as_i64().unwrap_or(0) < o["replicas"].as_i64().unwrap_or(1)
    {
        findings.push(
            Finding::error(
                "operator-not-available",
                format!(
                    "cilium-operator available {}/{}",
                    o["available"], o["replicas"]
                ),
            )
            .fix("kubectl -n kube-system describe deployment cilium-operator"),
        );
    }

    let mut hybrid = Vec::new();
    let nodes: Api<Node> = Api::all(client.clone());
    crate::kube::list_pages(
        &nodes,
        kube::api::ListParams::default().labels("eks.amazonaws.com/compute-type=hybrid"),
        "list hybrid nodes",
        |page| {
            hybrid.extend(page.into_iter().filter_map(|n| n.metadata.name));
        },
    )
    .await?;
    let mut with_agent = std::collections::HashSet::new();
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    crate::kube::list_pages(
        &pods,
        kube::api::ListParams::default().labels("k8s-app=cilium"),
        "list cilium agent pods",
        |page| {
            for p in page {
                let ready = p
                    .status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
                if ready && let Some(n) = p.spec.and_then(|s| s.node_name) {
                    with_agent.insert(n);
                }
            }
        },
    )
    .await?;
    let without: Vec<String> = hybrid
        .iter()
        .filter(|n| !with_agent.contains(*n))
        .cloned()
        .collect();
    if !without.is_empty() {
        findings.push(
            Finding::error(
                "hybrid-node-without-agent",
                format!(
                    "{} hybrid node(s) have no ready Cilium agent: {}",
                    without.len(),
                    without.join(", ")
                ),
            )
            .fix("check the agent's affinity and the pods' events on those nodes"),
        );
    }

    // Pool usage: node blocks handed out (CiliumNodes) against the release's pool.
    let pool = match last {
        Some(r) => {
            let cfg = r.config();
            let list: Vec<crate::net::Ipv4Net> =
                crate::input::get(cfg, "ipam.operator.clusterPoolIPv4PodCIDRList")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|c| c.as_str()?.parse().ok()).collect())
                    .unwrap_or_default();
            let mask = crate::input::get(cfg, "ipam.operator.clusterPoolIPv4MaskSize")
                .and_then(Value::as_f64)
                .map_or(super::versions::CHART_DEFAULT_MASK, |m| m as u8);
            let gvk = GroupVersionKind::gvk("cilium.io", "v2", "CiliumNode");
            let ar = ApiResource::from_gvk_with_plural(&gvk, "ciliumnodes");
            let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
            let params = kube::api::ListParams::default();
            // No CiliumNode CRD (the operator registers it when it first starts): no node
            // block has been handed out yet. Any other error leaves the count unknown.
            let used = match with_retries("list ciliumnodes", || async {
                match api.list(&params).await {
                    Err(kube::Error::Api(e)) if e.code == 404 => Ok(None),
                    r => r.map(Some),
                }
            })
            .await
            {
                Ok(None) => Some(0),
                Ok(Some(l)) => Some(
                    l.items
                        .iter()
                        .map(|n| {
                            n.data["spec"]["ipam"]["podCIDRs"]
                                .as_array()
                                .map_or(0, Vec::len)
                        })
                        .sum::<usize>(),
                ),
                Err(_) => None,
            };
            (!list.is_empty()).then(|| {
                let cap = crate::net::pool_capacity(&list, mask);
                if let Some(u) = used
                    && crate::net::utilisation(u as u64, cap.blocks) > 80.0
                {
                    findings.push(Finding::warning("pool-nearly-full", format!("{u} of {} /{mask} node blocks are in use", cap.blocks)).fix("add a pod CIDR to the pool before adding nodes"));
                }
                json!({"cidrs": list.iter().map(ToString::to_string).collect::<Vec<_>>(), "mask": mask, "blocks": cap.blocks.to_string(), "blocksInUse": used})
            })
        }
        None => None,
    };
    Ok(StatusReport {
        release,
        agent: agent_json,
        operator: op_json,
        hybrid_nodes: hybrid.len(),
        hybrid_nodes_without_agent: without,
        pool,
        findings,
    })
}
