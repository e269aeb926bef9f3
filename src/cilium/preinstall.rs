//! Cluster checks before `cilium install`: hybrid nodes have joined, no other CNI runs, kube-proxy
//! matches `kubeProxyReplacement`, and no Cilium DaemonSet exists outside a Helm release.

use kube::Client;
use kube::api::Api;
use serde_json::Value;

use crate::error::Result;

/// DaemonSets of other CNIs that must not run beside Cilium on hybrid nodes.
const FOREIGN_CNIS: [&str; 5] = [
    "calico-node",
    "kube-flannel-ds",
    "kube-router",
    "weave-net",
    "antrea-agent",
];

/// Cluster checks before an install: hybrid nodes, another CNI, kube-proxy against
/// `kubeProxyReplacement`, a Cilium DaemonSet that no release owns.
pub async fn preinstall_checks(
    client: &Client,
    namespace: &str,
    values: &Value,
) -> Result<Vec<crate::report::Finding>> {
    use crate::report::Finding;
    use k8s_openapi::api::apps::v1::DaemonSet;
    use k8s_openapi::api::core::v1::Node;
    let mut out = Vec::new();
    let nodes: Api<Node> = Api::all(client.clone());
    let mut hybrid = 0;
    crate::kube::list_pages(
        &nodes,
        kube::api::ListParams::default().labels("eks.amazonaws.com/compute-type=hybrid"),
        "list hybrid nodes",
        |p| hybrid += p.len(),
    )
    .await?;
    if hybrid == 0 {
        out.push(
            Finding::warning(
                "no-hybrid-nodes",
                "no hybrid nodes have joined yet; the agents start when they do",
            )
            .fix("join hybrid nodes (nodeadm), or check the kubeconfig context"),
        );
    }
    let all: Api<DaemonSet> = Api::all(client.clone());
    let mut dss = Vec::new();
    crate::kube::list_pages(
        &all,
        kube::api::ListParams::default(),
        "list daemonsets",
        |p| dss.extend(p),
    )
    .await?;
    for ds in &dss {
        let name = ds.metadata.name.clone().unwrap_or_default();
        let ns = ds.metadata.namespace.clone().unwrap_or_default();
        if FOREIGN_CNIS.contains(&name.as_str()) {
            out.push(Finding::error("foreign-cni-present", format!("daemonset/{ns}/{name} is another CNI; two CNIs on hybrid nodes break pod networking")).on(crate::report::Subject::Object(format!("daemonset/{ns}/{name}"))).fix("remove it from hybrid nodes before installing Cilium"));
        }
        let owned = ds
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("meta.helm.sh/release-name"))
            .is_some();
        if name == "cilium" && ns == namespace && !owned {
            out.push(
                Finding::error(
                    "cilium-not-managed",
                    format!("daemonset/{ns}/cilium exists but belongs to no Helm release"),
                )
                .fix("remove the old Cilium first (it was not installed with Helm or podnet)"),
            );
        }
    }
    let kube_proxy = dss
        .iter()
        .any(|d| d.metadata.name.as_deref() == Some("kube-proxy"));
    let kpr = matches!(
        crate::input::get(values, "kubeProxyReplacement"),
        Some(Value::Bool(true))
    ) || crate::input::get(values, "kubeProxyReplacement")
        .and_then(Value::as_str)
        .is_some_and(|s| s == "true" || s == "strict");
    if kpr && kube_proxy {
        out.push(Finding::error("kube-proxy-with-replacement", "kubeProxyReplacement is on but the kube-proxy DaemonSet exists; both would program services").fix("keep kube-proxy off the hybrid nodes (node affinity) or turn kube-proxy replacement off"));
    }
    if !kpr && !kube_proxy {
        out.push(Finding::error("kube-proxy-missing", "kubeProxyReplacement is off but there is no kube-proxy DaemonSet: services would not work").fix("install the kube-proxy add-on, or use --kube-proxy-replacement values"));
    }
    Ok(out)
}
