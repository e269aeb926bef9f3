//! `kubectl podnet cilium diff`: the release's drift (live vs release, wanted vs release, facts vs
//! values). The work is [`crate::cilium::diff::diff`]; this file turns flags into its options and
//! prints the report.

use std::path::PathBuf;

use clap::Args;

use super::plan::{gather_facts, with_flag_facts};
use crate::cilium::diff::{self, DiffOptions, DiffReport, Wanted, WantedChart};
use crate::cli::flags::{
    ChartSource, FactArgs, FleetArgs, GlobalArgs, Output, RegistryArgs, SetArgs, read_files,
};
use crate::cli::out::{self, stdout_write};
use crate::error::{Error, Result};
use crate::fleet::report::{ClusterReport, FleetReport};
use crate::fleet::{self, NameFrom};
use crate::helm::Values;
use crate::report::text::TextStyle;
use crate::report::{FailOn, Report, Stream};

pub const ABOUT: &str = "Show how the Cilium release has drifted, and exit 1 if it has.\n\n\
Live vs release (always): every object of the deployed revision's manifest is read from the cluster \
and compared with the manifest. Only fields the manifest sets are compared, so what the API server \
and controllers add (defaults, status, managedFields, uid, resourceVersion, generation, \
kubectl.kubernetes.io/* annotations, replicas under a HorizontalPodAutoscaler) is not drift; a \
field changed or removed live is. Quantities (100m = 0.1), ports given as text, and empty values \
the server drops compare by meaning. Also reported: objects of the manifest missing from the \
cluster, and objects carrying the release's Helm labels and annotations that the manifest no \
longer has.\n\n\
Wanted vs release (with -f, --set*, --chart or --version): the values and manifest diffs of the \
upgrade those would make, as `upgrade --diff` prints them (without --chart, the deployed revision's \
own chart is rendered with the new values).\n\n\
Facts vs values (with --cluster NAME or network fact flags): the deployed values validated against \
today's networks, e.g. a remote pod network added in EKS that the pod CIDR list does not use.\n\n\
Output: a unified diff per object; -o json gives {object, apiVersion, kind, namespace, name, state, \
fields: [{path, live, release}]} per object for CI. Secret data is never printed (shown as \
\"(redacted)\"). Exit codes: 0 no drift, 1 drift, 2 error.\n\n\
Many clusters at once: --contexts a,b,c or --all-contexts diffs the release of every context \
(--parallel at a time, each within --cluster-timeout) into one report with a section per cluster and a \
fleet summary; with --region, each context's EKS cluster (named by --cluster-name-from) gives its \
facts. Exit 2 if a cluster could not be checked, else 1 if any drifted, else 0.\n\n\
Examples:\n  kubectl podnet cilium diff\n  kubectl podnet cilium diff -o json\n  \
kubectl podnet cilium diff --all-contexts --region us-west-2 --cluster-name-from eks-arn\n  \
kubectl podnet cilium diff --set operator.replicas=1\n  \
kubectl podnet cilium diff --cluster my-cluster --region us-west-2";

#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct DiffArgs {
    /// Release name
    #[arg(long, value_name = "NAME", default_value = "cilium")]
    pub release: String,
    /// Values merged over the deployed revision's, for wanted vs release (as `upgrade -f`)
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    #[command(flatten)]
    pub set: SetArgs,
    /// Chart for wanted vs release: a .tgz or oci://… [default: the deployed revision's chart]
    #[arg(long, value_name = "CHART")]
    pub chart: Option<String>,
    /// Chart version for an OCI chart (exact or a semver constraint)
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Allow the wanted upgrade to skip a minor or downgrade (as `upgrade --force`)
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub facts: FactArgs,
    /// Facts vs values: findings at or above this severity count as drift
    #[arg(long, value_enum, default_value = "warning")]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// In a fleet run with --region: each context's EKS cluster name is the context's name, or
    /// the name in its cluster's ARN (arn:aws:eks:REGION:ACCOUNT:cluster/NAME, whose region is used)
    #[arg(
        long,
        value_enum,
        value_name = "FROM",
        default_value = "context",
        help_heading = "Fleet"
    )]
    pub cluster_name_from: NameFrom,
}

/// A drifted release is a cluster "with findings" in a fleet report; drift is exit 1.
impl ClusterReport for DiffReport {
    fn json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
    fn text(&self, style: &TextStyle) -> String {
        text(self, style)
    }
    fn findings(&self) -> usize {
        if !self.drift {
            return 0;
        }
        let s = &self.summary;
        (self.objects.len() + s.wanted_changes.unwrap_or(0) + s.failing_facts.unwrap_or(0)).max(1)
    }
    fn fails(&self, _: FailOn) -> bool {
        // --fail-on already decided which facts findings are drift.
        self.drift
    }
}

fn text(report: &DiffReport, style: &TextStyle) -> String {
    report.text(&|r: &Report| {
        let mut buf = Vec::new();
        let _ = r.write_text(&mut buf, style);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

impl DiffArgs {
    /// One cluster's diff options, the same in a single run and for each cluster of a fleet.
    fn options<'a>(
        &'a self,
        namespace: &'a str,
        minor: Option<crate::cilium::versions::Minor>,
        wanted_chart: Option<WantedChart<'a>>,
        new_values: &'a serde_json::Value,
        facts: Option<&'a crate::cilium::facts::NetworkFacts>,
    ) -> DiffOptions<'a> {
        DiffOptions {
            release: &self.release,
            namespace,
            wanted: self.wants_upgrade().then_some(Wanted {
                chart: wanted_chart,
                values: new_values,
                force: self.force,
            }),
            facts,
            minor,
            nodes: self.facts.nodes,
            fail_on: self.fail_on,
        }
    }

    fn wants_upgrade(&self) -> bool {
        !self.values.is_empty()
            || !self.set.is_empty()
            || self.chart.is_some()
            || self.version.is_some()
    }

    fn wants_facts(&self) -> bool {
        let f = &self.facts;
        f.cluster.is_some()
            || !f.remote_pod_network.is_empty()
            || !f.remote_node_network.is_empty()
            || !f.vpc_cidr.is_empty()
            || f.service_cidr.is_some()
    }
}

pub fn run(a: DiffArgs, g: &GlobalArgs) -> Result<u8> {
    out::only_table_or_json(g)?;
    if a.version.is_some() && a.chart.is_none() {
        return Err(Error::flag_help(
            "--version",
            "needs --chart",
            "name the OCI chart, e.g. --chart oci://quay.io/cilium/charts/cilium --version 1.18.4",
        ));
    }
    let minor = match a.facts.cilium_version.as_deref() {
        Some(v) => Some(crate::cilium::versions::resolve(Some(v))?),
        None => None,
    };
    let loaded = match &a.chart {
        Some(chart) => Some(
            ChartSource {
                chart: chart.clone(),
                version: a.version.clone(),
                registry: a.registry.clone(),
            }
            .load()?,
        ),
        None => None,
    };
    let mut values = Values::new();
    read_files(&a.values, &mut values)?;
    a.set.apply(&mut values)?;
    let new_values = values.as_json();
    let ns = g.release_namespace();
    let wanted_chart = loaded
        .as_ref()
        .map(|(chart, files)| WantedChart { chart, files });
    if let Some(sel) = a.fleet.selection(g)? {
        if a.facts.cluster.is_some() {
            return Err(Error::flag_help(
                "--cluster",
                "names one EKS cluster, but a fleet run has many",
                "use --region: each context's cluster is read (see --cluster-name-from)",
            ));
        }
        return out::runtime()?.block_on(diff_fleet(
            &a,
            g,
            &sel,
            &ns,
            minor,
            wanted_chart,
            &new_values,
        ));
    }
    let facts = if a.wants_facts() {
        Some(gather_facts(&a.facts)?)
    } else {
        None
    };
    let opts = a.options(&ns, minor, wanted_chart, &new_values, facts.as_ref());
    let report = out::runtime()?.block_on(async {
        let client = crate::kube::client(&g.target()).await?;
        diff::diff(&client, &opts).await
    })?;
    let text = match g.output {
        Some(Output::Json) => String::from_utf8_lossy(&out::to_json(&report)?).into_owned(),
        _ => text(&report, &g.text_style(Stream::Stdout)),
    };
    stdout_write(text.as_bytes())?;
    Ok(if report.drift { out::EXIT_FINDINGS } else { 0 })
}

/// `cilium diff --contexts/--all-contexts`: the same diff for every context, one report. With
/// `--region`, each cluster's facts come from its own EKS cluster; the network fact flags apply
/// to every cluster.
async fn diff_fleet(
    a: &DiffArgs,
    g: &GlobalArgs,
    sel: &fleet::Selection,
    ns: &str,
    minor: Option<crate::cilium::versions::Minor>,
    wanted_chart: Option<WantedChart<'_>>,
    new_values: &serde_json::Value,
) -> Result<u8> {
    let fleet = fleet::Fleet::load(&g.target(), sel)?;
    let session = match &a.facts.region {
        Some(region) => {
            Some(crate::aws::Session::load(Some(region.clone()), a.facts.profile.clone()).await)
        }
        None => None,
    };
    if session.is_none() && a.facts.profile.is_some() {
        return Err(Error::flag_help(
            "--profile",
            "applies to --region in a fleet run",
            "pass --region to read each context's EKS cluster",
        ));
    }
    let (session, wanted_chart) = (&session, &wanted_chart);
    let outcomes = fleet::run(
        &fleet,
        a.fleet.limits(),
        |r: &DiffReport| {
            if r.drift {
                "drift".to_string()
            } else {
                "no drift".to_string()
            }
        },
        |job| async move {
            let facts = match session {
                Some(session) => {
                    let (name, region) = job.member.eks_cluster(a.cluster_name_from)?;
                    job.say(format!("reading EKS cluster {name}"));
                    Some(with_flag_facts(
                        session.discover(&name, region.as_deref()).await?,
                        &a.facts,
                    )?)
                }
                None if a.wants_facts() => Some(with_flag_facts(Default::default(), &a.facts)?),
                None => None,
            };
            let client = job.client().await?;
            job.say("reading the release and its objects");
            let opts = a.options(ns, minor, *wanted_chart, new_values, facts.as_ref());
            diff::diff(&client, &opts).await
        },
    )
    .await;
    out::fleet_output(
        &FleetReport {
            command: "cilium diff",
            outcomes,
        },
        g,
        a.fail_on,
    )
}
