//! The network plan behind `cilium values`, `validate` and `install`: facts from flags or EKS,
//! `-f` files merged in order, and values generated and validated from the plan flags.

use std::path::PathBuf;

use crate::aws::{self, ClusterRef};
use crate::cilium::facts::{NetworkFacts, Source};
use crate::cilium::generate::{self, Plan};
use crate::cilium::validate::{self, Context};
use crate::cilium::versions;
use crate::cli::flags::{FactArgs, GlobalArgs, PlanArgs};
use crate::cli::out::{self, render_report};
use crate::error::{Error, Result};
use crate::input;
use crate::report::Report;

pub const CAPACITY_HELP: &str = "Capacity: the operator gives each node one /MASK block of the pod CIDRs; \
blocks = Σ 2^(MASK − prefix). Of each block, the network and broadcast addresses are not assignable and \
the router (cilium_host) and health endpoint take two more, so pods per node = 2^(32 − MASK) − 4 \
(/25 → 124, /24 → 252). MASK must be at least every pod CIDR's prefix and at most /29.";

/// Builds the facts: discovered ones first, then flags on top (with a note for each override).
pub fn gather_facts(a: &FactArgs) -> Result<NetworkFacts> {
    for (flag, given) in [("--region", &a.region), ("--profile", &a.profile)] {
        if given.is_some() && a.cluster.is_none() {
            return Err(Error::flag_help(
                flag,
                "applies to --cluster",
                "pass --cluster NAME to read the cluster's networks from EKS",
            ));
        }
    }
    let facts = match &a.cluster {
        Some(name) => {
            let target = ClusterRef {
                name: name.clone(),
                region: a.region.clone(),
                profile: a.profile.clone(),
            };
            let rt = out::runtime()?;
            rt.block_on(aws::discover(&target))?
        }
        None => NetworkFacts::default(),
    };
    let facts = with_flag_facts(facts, a)?;
    for n in &facts.notes {
        eprintln!("note: {n}");
    }
    Ok(facts)
}

/// The flags' facts over discovered ones (with a note for each override); IPv6 is refused.
pub fn with_flag_facts(mut facts: NetworkFacts, a: &FactArgs) -> Result<NetworkFacts> {
    facts.override_list(
        "remote pod networks",
        "--remote-pod-network",
        |f| &mut f.remote_pod_networks,
        a.remote_pod_network.clone(),
    );
    facts.override_list(
        "remote node networks",
        "--remote-node-network",
        |f| &mut f.remote_node_networks,
        a.remote_node_network.clone(),
    );
    facts.override_list(
        "VPC CIDRs",
        "--vpc-cidr",
        |f| &mut f.vpc_cidrs,
        a.vpc_cidr.clone(),
    );
    if let Some(s) = a.service_cidr {
        if let Some((old, Source::Cluster)) = facts.service_cidr
            && old != s
        {
            {
                facts.notes.push(format!(
                    "--service-cidr overrides the service CIDR read from the cluster ({old} → {s})"
                ));
            }
        }
        facts.service_cidr = Some((s, Source::Flag));
    }
    for (flag, list) in [
        ("--remote-pod-network", &facts.remote_pod_networks),
        ("--remote-node-network", &facts.remote_node_networks),
        ("--vpc-cidr", &facts.vpc_cidrs),
    ] {
        if let Some(v6) = list.iter().find(|c| c.as_v4().is_none()) {
            return Err(Error::flag_help(
                flag,
                format!("{v6} is IPv6; EKS Hybrid Nodes support IPv4 only"),
                "use IPv4 CIDRs",
            ));
        }
    }
    Ok(facts)
}

pub fn load_merged(paths: &[PathBuf], allow_empty: bool) -> Result<Option<input::ValuesDoc>> {
    let mut merged: Option<input::ValuesDoc> = None;
    if paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(Error::flag("--values", "stdin (-) can be given only once"));
    }
    for p in paths {
        let doc = input::read_values(p, allow_empty)?;
        merged = Some(match merged {
            None => doc,
            Some(mut m) => {
                input::merge(&mut m.value, &doc.value);
                m.source = format!("{} + {}", m.source, doc.source);
                m
            }
        });
    }
    Ok(merged)
}

/// Generates and validates values from the plan flags; findings go to stderr.
pub fn generate_values(
    a: &PlanArgs,
    user: Option<input::ValuesDoc>,
    chart_minor: Option<versions::Minor>,
    g: &GlobalArgs,
) -> Result<(Plan, generate::Generated, Report)> {
    if a.kube_proxy_replacement && (a.k8s_service_host.is_none() || a.k8s_service_port.is_none()) {
        return Err(Error::flag_help(
            "--kube-proxy-replacement",
            "needs --k8s-service-host and --k8s-service-port",
            "without kube-proxy, Cilium reaches the API server directly: pass the EKS API endpoint host (no https://) and port 443",
        ));
    }
    // The chart being installed decides the minor unless --cilium-version says otherwise.
    let minor = match (chart_minor, a.facts.cilium_version.as_deref()) {
        (Some(m), None) => m,
        (_, v) => versions::resolve(v)?,
    };
    let facts = gather_facts(&a.facts)?;
    let plan = Plan {
        minor,
        pod_cidrs: a.pod_cidr.clone(),
        mask_size: a.mask_size,
        pods_per_node: a.pods_per_node,
        nodes: a.facts.nodes,
        kube_proxy_replacement: a.kube_proxy_replacement,
        k8s_service_host: a.k8s_service_host.clone(),
        k8s_service_port: a.k8s_service_port,
        bgp: a.bgp,
        facts,
        user,
    };
    let generated = generate::generate(&plan)?;
    let ctx = Context {
        minor,
        facts: &plan.facts,
        nodes: plan.nodes,
    };
    let report = Report::new(validate::validate(&generated.values, &ctx));
    let invalid = !report.valid;
    if !report.findings.is_empty() {
        // Findings go to stderr so stdout stays a clean values document for pipes.
        let shown: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.id != "check-skipped" || invalid)
            .cloned()
            .collect();
        if !shown.is_empty() {
            render_report(&Report::new(shown), g, true)?;
        }
    }
    Ok((plan, generated, report))
}
