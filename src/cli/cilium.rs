//! `kubectl podnet cilium …` flags and glue.

use std::io;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{GlobalArgs, Output, stdout_write};
use crate::aws::{self, ClusterRef};
use crate::cilium::facts::{NetworkFacts, Source};
use crate::cilium::generate::{self, Plan};
use crate::cilium::validate::{self, Context};
use crate::cilium::versions;
use crate::error::{Error, Result};
use crate::input;
use crate::net::Cidr;
use crate::report::{FailOn, Report};

#[derive(Debug, Subcommand)]
pub enum CiliumCommand {
    /// Generate Cilium Helm values for EKS Hybrid Nodes from your network plan
    #[command(long_about = VALUES_ABOUT)]
    Values(ValuesArgs),
    /// Check a Cilium values file against the cluster's networks and the hybrid-node rules
    #[command(long_about = VALIDATE_ABOUT)]
    Validate(ValidateArgs),
    /// Download the Cilium chart from an OCI registry (like helm pull), through the cache
    Pull(super::oci::PullArgs),
    /// List the chart versions in an OCI registry, newest first
    Versions(super::oci::VersionsArgs),
    /// Render the chart locally, exactly as `helm template` (Helm v4) prints it
    Template(Box<super::template::TemplateArgs>),
    /// Install Cilium as a Helm release (validated values, server-side apply, Helm's records)
    Install(Box<super::lifecycle::InstallArgs>),
    /// Upgrade the release: deployed values reused, pool and minor-skip guards, prune, supersede
    Upgrade(Box<super::lifecycle::UpgradeArgs>),
    /// Return to an earlier revision (also recovers an interrupted operation)
    Rollback(super::lifecycle::RollbackArgs),
    /// Release, agent and operator readiness, hybrid nodes without an agent, IPAM pool usage
    Status(super::lifecycle::ReleaseArgs),
    /// Revisions of the release, as `helm history` shows them
    History(super::lifecycle::ReleaseArgs),
    /// The user values of the deployed revision, as `helm get values` prints them
    GetValues(super::lifecycle::ReleaseArgs),
    /// Remove the release's objects (never aws-node, never what it does not own) and its records
    Uninstall(super::lifecycle::UninstallArgs),
}

const CAPACITY_HELP: &str = "Capacity: the operator gives each node one /MASK block of the pod CIDRs; \
blocks = Σ 2^(MASK − prefix). Of each block, the network and broadcast addresses are not assignable and \
the router (cilium_host) and health endpoint take two more, so pods per node = 2^(32 − MASK) − 4 \
(/25 → 124, /24 → 252). MASK must be at least every pod CIDR's prefix and at most /29.";

const VALUES_ABOUT: &str = "Generate Cilium Helm values for EKS Hybrid Nodes.\n\n\
The values pin the Cilium agent and operator to hybrid nodes (eks.amazonaws.com/compute-type In [hybrid]), \
use cluster-pool IPAM with your pod CIDRs, disable Envoy and the unmanaged-pod watcher's restarts, and \
turn on service topology, as AWS's hybrid nodes guide prescribes. Network facts come from flags or from \
EKS (--cluster); flags win. The result is validated and refused if invalid (unless --force).\n\n\
Capacity: the operator gives each node one /MASK block of the pod CIDRs; blocks = Σ 2^(MASK − prefix). \
Of each block, the network and broadcast addresses are not assignable and the router (cilium_host) and \
health endpoint take two more, so pods per node = 2^(32 − MASK) − 4 (/25 → 124, /24 → 252).\n\n\
Example:\n  kubectl podnet cilium values --pod-cidr 10.200.0.0/16 --remote-node-network 10.80.0.0/16 --vpc-cidr 10.0.0.0/16";

const VALIDATE_ABOUT: &str = "Check a Cilium values file for EKS Hybrid Nodes.\n\n\
Pod CIDRs must be RFC 1918, disjoint from each other, the VPC, the service CIDR and the remote node \
networks, and inside the remote pod networks; the mask must fit the nodes; agent and operator must be \
confined to hybrid nodes. Findings have stable IDs; -o json gives a machine-readable report.\n\n\
Example:\n  kubectl podnet cilium validate -f cilium-values.yaml --vpc-cidr 10.0.0.0/16 --nodes 40";

fn parse_cidr(s: &str) -> std::result::Result<Cidr, String> {
    s.parse::<Cidr>().map_err(|e| e.to_string())
}

/// Facts about the cluster's networks, from flags or EKS.
#[derive(Debug, Args, Clone)]
pub struct FactArgs {
    /// Read networks from this EKS cluster (DescribeCluster, DescribeVpcs)
    #[arg(long, value_name = "NAME", help_heading = "Cluster facts")]
    pub cluster: Option<String>,
    /// AWS region of --cluster (default: the AWS config's region)
    #[arg(
        long,
        value_name = "REGION",
        help_heading = "Cluster facts",
        requires = "cluster"
    )]
    pub region: Option<String>,
    /// AWS profile for --cluster
    #[arg(
        long,
        value_name = "PROFILE",
        help_heading = "Cluster facts",
        requires = "cluster"
    )]
    pub profile: Option<String>,
    /// The cluster's remote pod network (repeatable or comma-separated)
    #[arg(long, value_name = "CIDR", value_delimiter = ',', value_parser = parse_cidr, help_heading = "Network facts")]
    pub remote_pod_network: Vec<Cidr>,
    /// The cluster's remote node network: your on-premises node subnets (repeatable)
    #[arg(long, value_name = "CIDR", value_delimiter = ',', value_parser = parse_cidr, help_heading = "Network facts")]
    pub remote_node_network: Vec<Cidr>,
    /// A CIDR block of the cluster's VPC (repeatable)
    #[arg(long, value_name = "CIDR", value_delimiter = ',', value_parser = parse_cidr, help_heading = "Network facts")]
    pub vpc_cidr: Vec<Cidr>,
    /// The Kubernetes service CIDR [default: as EKS picks it: 172.20.0.0/16 if the VPC is in 10.0.0.0/8, else 10.100.0.0/16]
    #[arg(long, value_name = "CIDR", value_parser = parse_cidr, help_heading = "Network facts")]
    pub service_cidr: Option<Cidr>,
    /// Number of hybrid nodes the pool must serve
    #[arg(long, value_name = "N", help_heading = "Network facts")]
    pub nodes: Option<u64>,
    /// Cilium version the values are for (1.16 … 1.19) [default: newest supported]
    #[arg(long, value_name = "VERSION")]
    pub cilium_version: Option<String>,
}

/// The network plan that values are generated from (shared by `values` and `install`).
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub facts: FactArgs,
    /// Pod CIDR for Cilium's cluster pool (repeatable) [default: the remote pod networks]
    #[arg(long, value_name = "CIDR", value_delimiter = ',', value_parser = parse_cidr)]
    pub pod_cidr: Vec<Cidr>,
    /// Per-node block size as a prefix length [default: 25, 124 pods per node]
    #[arg(long, value_name = "BITS", value_parser = clap::value_parser!(u8).range(1..=32), conflicts_with = "pods_per_node")]
    pub mask_size: Option<u8>,
    /// Pick the smallest per-node block that holds N pods
    #[arg(long, value_name = "N")]
    pub pods_per_node: Option<u64>,
    /// Replace kube-proxy with Cilium (needs --k8s-service-host and --k8s-service-port)
    #[arg(long)]
    pub kube_proxy_replacement: bool,
    /// EKS API endpoint host, without https:// (for --kube-proxy-replacement)
    #[arg(long, value_name = "HOST")]
    pub k8s_service_host: Option<String>,
    /// EKS API endpoint port (443)
    #[arg(long, value_name = "PORT")]
    pub k8s_service_port: Option<u16>,
    /// Enable Cilium's BGP control plane (to advertise pod CIDRs on-premises)
    #[arg(long)]
    pub bgp: bool,
}

#[derive(Debug, Args)]
#[command(after_help = CAPACITY_HELP)]
pub struct ValuesArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Your own values to merge in (kept, unless they contradict the network or affinity keys)
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Write to this file (atomically) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Print the values even if validation finds errors
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
#[command(after_help = CAPACITY_HELP)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub facts: FactArgs,
    /// Values file(s) to check, merged in order like Helm's -f; `-` reads stdin
    #[arg(short = 'f', long = "values", value_name = "FILE", required = true)]
    pub values: Vec<PathBuf>,
    /// Exit 1 when a finding reaches this severity
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
}

pub fn run(cmd: CiliumCommand, g: &GlobalArgs) -> Result<u8> {
    match cmd {
        CiliumCommand::Values(a) => values(a, g),
        CiliumCommand::Validate(a) => validate_cmd(a, g),
        CiliumCommand::Pull(a) => super::oci::pull(a, g),
        CiliumCommand::Versions(a) => super::oci::versions(a, g),
        CiliumCommand::Template(a) => super::template::run(*a, g),
        CiliumCommand::Install(a) => super::lifecycle::install(*a, g),
        CiliumCommand::Upgrade(a) => super::lifecycle::upgrade(*a, g),
        CiliumCommand::Rollback(a) => super::lifecycle::rollback(a, g),
        CiliumCommand::Status(a) => super::lifecycle::status(a, g),
        CiliumCommand::History(a) => super::lifecycle::history(a, g),
        CiliumCommand::GetValues(a) => super::lifecycle::get_values(a, g),
        CiliumCommand::Uninstall(a) => super::lifecycle::uninstall(a, g),
    }
}

/// Builds the facts: discovered ones first, then flags on top (with a note for each override).
pub(super) fn gather_facts(a: &FactArgs) -> Result<NetworkFacts> {
    let mut facts = match &a.cluster {
        Some(name) => {
            let target = ClusterRef {
                name: name.clone(),
                region: a.region.clone(),
                profile: a.profile.clone(),
            };
            let rt = super::runtime()?;
            rt.block_on(aws::discover(&target))?
        }
        None => NetworkFacts::default(),
    };
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
    for n in &facts.notes {
        eprintln!("note: {n}");
    }
    Ok(facts)
}

pub(super) fn load_merged(
    paths: &[PathBuf],
    allow_empty: bool,
) -> Result<Option<input::ValuesDoc>> {
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

fn render_report(report: &Report, g: &GlobalArgs, to_stderr: bool) -> Result<()> {
    let mut buf = Vec::new();
    let io_err = |source| Error::Write {
        path: PathBuf::from(if to_stderr { "<stderr>" } else { "<stdout>" }),
        source,
    };
    match g.output {
        Some(Output::Json) if !to_stderr => report.write_json(&mut buf).map_err(io_err)?,
        _ => report
            .write_text(
                &mut buf,
                &g.text_style(if to_stderr {
                    crate::report::Stream::Stderr
                } else {
                    crate::report::Stream::Stdout
                }),
            )
            .map_err(io_err)?,
    }
    if to_stderr {
        use std::io::Write;
        io::stderr().write_all(&buf).map_err(io_err)
    } else {
        stdout_write(&buf)
    }
}

fn validate_cmd(a: ValidateArgs, g: &GlobalArgs) -> Result<u8> {
    if matches!(g.output, Some(Output::Yaml)) {
        return Err(Error::flag_help(
            "--output",
            "validate prints table or json",
            "use -o table or -o json",
        ));
    }
    let minor = versions::resolve(a.facts.cilium_version.as_deref())?;
    let doc = load_merged(&a.values, false)?
        .ok_or_else(|| Error::flag("--values", "a values file is required"))?;
    let facts = gather_facts(&a.facts)?;
    let ctx = Context {
        minor,
        facts: &facts,
        nodes: a.facts.nodes,
    };
    let report = Report::new(validate::validate(&doc.value, &ctx));
    render_report(&report, g, false)?;
    Ok(if report.fails(a.fail_on) {
        super::EXIT_FINDINGS
    } else {
        0
    })
}

fn values(a: ValuesArgs, g: &GlobalArgs) -> Result<u8> {
    if matches!(g.output, Some(Output::Table)) {
        return Err(Error::flag_help(
            "--output",
            "values are printed as yaml or json",
            "use -o yaml or -o json",
        ));
    }
    let user = load_merged(&a.values, true)?;
    let (plan, generated, report) = generate_values(&a.plan, user, None, g)?;
    if !report.valid && !a.force {
        eprintln!(
            "error: the generated values are invalid (see above); fix the inputs or pass --force to print them anyway"
        );
        return Ok(super::EXIT_FINDINGS);
    }
    let text = match g.output {
        Some(Output::Json) => format!(
            "{}\n",
            serde_json::to_string_pretty(&generated.values).map_err(|e| Error::Conflict {
                message: format!("cannot write values as JSON: {e}"),
                help: None,
            })?
        ),
        _ => format!(
            "{}{}",
            generate::header(&plan, &generated),
            generate::to_yaml(&generated.values)?
        ),
    };
    match &a.output_file {
        Some(path) => {
            crate::fsutil::atomic_write(path, text.as_bytes())?;
            eprintln!("wrote {}", path.display());
        }
        None => stdout_write(text.as_bytes())?,
    }
    Ok(0)
}

/// Generates and validates values from the plan flags; findings go to stderr.
pub(super) fn generate_values(
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
