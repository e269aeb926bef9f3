//! A small Cilium operator/agent simulation: once a `cilium-operator` Deployment is available,
//! the Cilium CRDs are registered and every node running a ready agent pod (`k8s-app=cilium`)
//! gets a CiliumNode with pod CIDRs from the cluster pool (`cilium-config`:
//! `cluster-pool-ipv4-cidr`, `cluster-pool-ipv4-mask-size`). Pods on such nodes take their IPs
//! from the CiliumNode's pod CIDRs. CRDs and CiliumNodes outlive an uninstall, as in a real cluster.

use crate::store::{Store, WriteOpts};
use crate::util::{self, ns_of, uid_of};
use serde_json::{Value, json};

const CRDS: &[(&str, &str, &str, bool, &[&str])] = &[
    ("ciliumnodes", "CiliumNode", "v2", false, &["cn", "ciliumn"]),
    (
        "ciliumendpoints",
        "CiliumEndpoint",
        "v2",
        true,
        &["cep", "ciliumep"],
    ),
    (
        "ciliumidentities",
        "CiliumIdentity",
        "v2",
        false,
        &["ciliumid"],
    ),
    (
        "ciliumnetworkpolicies",
        "CiliumNetworkPolicy",
        "v2",
        true,
        &["cnp", "ciliumnp"],
    ),
    (
        "ciliumclusterwidenetworkpolicies",
        "CiliumClusterwideNetworkPolicy",
        "v2",
        false,
        &["ccnp"],
    ),
    (
        "ciliumexternalworkloads",
        "CiliumExternalWorkload",
        "v2",
        false,
        &["cew"],
    ),
    (
        "ciliumlocalredirectpolicies",
        "CiliumLocalRedirectPolicy",
        "v2",
        true,
        &["clrp"],
    ),
    (
        "ciliumegressgatewaypolicies",
        "CiliumEgressGatewayPolicy",
        "v2",
        false,
        &[],
    ),
    (
        "ciliumenvoyconfigs",
        "CiliumEnvoyConfig",
        "v2",
        true,
        &["cec"],
    ),
    (
        "ciliumclusterwideenvoyconfigs",
        "CiliumClusterwideEnvoyConfig",
        "v2",
        false,
        &["ccec"],
    ),
    ("ciliumnodeconfigs", "CiliumNodeConfig", "v2", true, &[]),
    (
        "ciliumendpointslices",
        "CiliumEndpointSlice",
        "v2alpha1",
        false,
        &["ces"],
    ),
    (
        "ciliumloadbalancerippools",
        "CiliumLoadBalancerIPPool",
        "v2alpha1",
        false,
        &["ippools", "ippool", "lbippool", "lbippools"],
    ),
    (
        "ciliumbgppeeringpolicies",
        "CiliumBGPPeeringPolicy",
        "v2alpha1",
        false,
        &["bgpp"],
    ),
    (
        "ciliumbgpclusterconfigs",
        "CiliumBGPClusterConfig",
        "v2alpha1",
        false,
        &["cbgpcluster"],
    ),
    (
        "ciliumbgppeerconfigs",
        "CiliumBGPPeerConfig",
        "v2alpha1",
        false,
        &["cbgppeer"],
    ),
    (
        "ciliumbgpadvertisements",
        "CiliumBGPAdvertisement",
        "v2alpha1",
        false,
        &["cbgpadvert"],
    ),
    (
        "ciliumbgpnodeconfigs",
        "CiliumBGPNodeConfig",
        "v2alpha1",
        false,
        &["cbgpnode"],
    ),
    (
        "ciliumbgpnodeconfigoverrides",
        "CiliumBGPNodeConfigOverride",
        "v2alpha1",
        false,
        &["cbgpnodeoverride"],
    ),
    (
        "ciliumcidrgroups",
        "CiliumCIDRGroup",
        "v2alpha1",
        false,
        &["ccg"],
    ),
    (
        "ciliuml2announcementpolicies",
        "CiliumL2AnnouncementPolicy",
        "v2alpha1",
        false,
        &["l2announcement"],
    ),
    (
        "ciliumpodippools",
        "CiliumPodIPPool",
        "v2alpha1",
        false,
        &["cpip"],
    ),
];

fn crd(plural: &str, kind: &str, version: &str, namespaced: bool, short: &[&str]) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.cilium.io"),
                     "labels": {"io.cilium.k8s.crd.schema.version": "1.30.2"}},
        "spec": {
            "group": "cilium.io",
            "scope": if namespaced { "Namespaced" } else { "Cluster" },
            "names": {"kind": kind, "listKind": format!("{kind}List"), "plural": plural,
                      "singular": kind.to_lowercase(), "shortNames": short, "categories": ["cilium"]},
            "versions": [{"name": version, "served": true, "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]
        }
    })
}

fn sys() -> WriteOpts {
    WriteOpts {
        system: true,
        ..Default::default()
    }
}

/// Pod CIDR of a node from its CiliumNode, if any.
pub fn node_pod_cidr(st: &Store, node: &str) -> Option<String> {
    let cn = st.get_obj("ciliumnodes.cilium.io", "", node)?;
    cn.value()["spec"]["ipam"]["podCIDRs"][0]
        .as_str()
        .map(str::to_string)
}

pub fn operator(st: &mut Store) {
    let ops: Vec<Value> = st
        .objs("deployments.apps")
        .iter()
        .filter(|o| {
            o.labels()
                .and_then(|l| l.get("io.cilium/app"))
                .is_some_and(|v| v == "operator")
                && !o.deleting
                && !st.loaded.contains(&*o.uid)
        })
        .map(|o| o.value())
        .filter(|d| d["status"]["availableReplicas"].as_i64().unwrap_or(0) >= 1)
        .collect();
    let Some(op) = ops.first() else { return };
    let ns = ns_of(op).to_string();
    if let Some(rt) = st.find("apiextensions.k8s.io", "v1", "customresourcedefinitions") {
        for (plural, kind, version, namespaced, short) in CRDS {
            if !st.exists(&rt.key(), "", &format!("{plural}.cilium.io")) {
                let _ = st.create(
                    &rt,
                    "",
                    crd(plural, kind, version, *namespaced, short),
                    &sys(),
                );
            }
        }
    }
    let Some(cnrt) = st.find("cilium.io", "v2", "ciliumnodes") else {
        return;
    };
    let cfg = st
        .get_raw("configmaps", &ns, "cilium-config")
        .map(|c| c["data"].clone())
        .unwrap_or(Value::Null);
    let ipam = cfg["ipam"].as_str().unwrap_or("cluster-pool").to_string();
    let pools: Vec<(u32, u8)> = cfg["cluster-pool-ipv4-cidr"]
        .as_str()
        .unwrap_or("10.0.0.0/8")
        .split([' ', ','])
        .filter_map(util::parse_cidr)
        .collect();
    let mask: u8 = cfg["cluster-pool-ipv4-mask-size"]
        .as_str()
        .and_then(|m| m.parse().ok())
        .unwrap_or(24);
    // nodes with a ready agent
    let agent_nodes: Vec<String> = st
        .objs("pods")
        .iter()
        .filter(|p| {
            p.labels()
                .and_then(|l| l.get("k8s-app"))
                .is_some_and(|v| v == "cilium")
                && p.phase.as_deref() == Some("Running")
                && !p.deleting
        })
        .filter_map(|p| p.node_name.as_deref().map(str::to_string))
        .collect();
    let used: Vec<u32> = st
        .objs(&cnrt.key())
        .iter()
        .filter_map(|c| {
            c.value()["spec"]["ipam"]["podCIDRs"][0]
                .as_str()
                .and_then(util::parse_cidr)
                .map(|(b, _)| b)
        })
        .collect();
    let mut used = used;
    for node in agent_nodes {
        if st.exists(&cnrt.key(), "", &node) {
            continue;
        }
        let Some(n) = st.get_raw("nodes", "", &node) else {
            continue;
        };
        let cidr = if ipam == "cluster-pool" {
            let mut found = None;
            'pools: for (base, plen) in &pools {
                if *plen > mask {
                    continue;
                }
                let count = 1u64 << (mask - plen);
                for i in 0..count {
                    let b = base + (i as u32) * (1u32 << (32 - mask as u32));
                    if !used.contains(&b) {
                        found = Some(b);
                        break 'pools;
                    }
                }
            }
            match found {
                Some(b) => {
                    used.push(b);
                    Some(format!("{}/{mask}", util::ipv4(b)))
                }
                None => None,
            }
        } else {
            n["spec"]["podCIDR"].as_str().map(str::to_string)
        };
        let ip = n["status"]["addresses"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["type"] == "InternalIP"))
            .and_then(|x| x["address"].as_str())
            .unwrap_or("")
            .to_string();
        let mut cn = json!({
            "apiVersion": "cilium.io/v2", "kind": "CiliumNode",
            "metadata": {"name": node, "labels": n["metadata"]["labels"].clone(),
                "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": node, "uid": uid_of(&n)}]},
            "spec": {"addresses": [{"type": "InternalIP", "ip": ip}],
                     "ipam": {}},
            "status": {"ipam": {"operator-status": {}}},
        });
        if let Some(c) = &cidr {
            cn["spec"]["ipam"]["podCIDRs"] = json!([c]);
        } else {
            cn["status"]["ipam"]["operator-status"] =
                json!({"error": "allocator clusterpool-ipv4: no more CIDRs available"});
        }
        let _ = st.create(&cnrt, "", cn, &sys());
    }
}
