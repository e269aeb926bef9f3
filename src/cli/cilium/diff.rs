//! `kubectl podnet cilium diff`: the release's drift (live vs release, wanted vs release, facts vs
//! values). The work is [`crate::cilium::diff::diff`]; this file turns flags into its options and
//! prints the report.

use std::path::PathBuf;

use clap::Args;

use super::plan::gather_facts;
use crate::cilium::diff::{self, DiffOptions, Wanted, WantedChart};
use crate::cli::flags::{
    ChartSource, FactArgs, GlobalArgs, Output, RegistryArgs, SetArgs, read_files,
};
use crate::cli::out::{self, stdout_write};
use crate::error::{Error, Result};
use crate::helm::Values;
use crate::report::{FailOn, Stream};

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
Examples:\n  kubectl podnet cilium diff\n  kubectl podnet cilium diff -o json\n  \
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
}

impl DiffArgs {
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
    let facts = if a.wants_facts() {
        Some(gather_facts(&a.facts)?)
    } else {
        None
    };
    let ns = g.release_namespace();
    let opts = DiffOptions {
        release: &a.release,
        namespace: &ns,
        wanted: a.wants_upgrade().then(|| Wanted {
            chart: loaded
                .as_ref()
                .map(|(chart, files)| WantedChart { chart, files }),
            values: &new_values,
            force: a.force,
        }),
        facts: facts.as_ref(),
        minor,
        nodes: a.facts.nodes,
        fail_on: a.fail_on,
    };
    let report = out::runtime()?.block_on(async {
        let client = crate::kube::client(&g.target()).await?;
        diff::diff(&client, &opts).await
    })?;
    let text = match g.output {
        Some(Output::Json) => String::from_utf8_lossy(&out::to_json(&report)?).into_owned(),
        _ => {
            let style = g.text_style(Stream::Stdout);
            report.text(&|r| {
                let mut buf = Vec::new();
                let _ = r.write_text(&mut buf, &style);
                String::from_utf8_lossy(&buf).into_owned()
            })
        }
    };
    stdout_write(text.as_bytes())?;
    Ok(if report.drift { out::EXIT_FINDINGS } else { 0 })
}
