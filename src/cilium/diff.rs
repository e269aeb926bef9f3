//! `cilium diff`: how far the Cilium release has drifted, in one report.
//!
//! * Live vs release: the deployed revision's objects on the cluster against its manifest
//!   ([`crate::release::drift`]): changed fields, missing objects, extra objects that carry the
//!   release's ownership.
//! * Wanted vs release: with new values and/or a new chart, the upgrade's values and manifest
//!   diffs (what `upgrade --diff` prints; [`upgrade_diff`]).
//! * Facts vs values: the deployed values validated against today's network facts (EKS remote
//!   networks, VPC, service CIDR; [`super::validate`]).
//!
//! [`diff`] takes a client and options and returns a [`DiffReport`] (serializable), so a caller
//! can run it per cluster; [`DiffReport::text`] renders it for people.

use kube::Client;
use serde::Serialize;
use serde_json::Value;

use super::facts::NetworkFacts;
use super::lifecycle::{self, PreparedUpgrade, UpgradePlan};
use super::validate::{self, Context};
use super::{HINTS, generate, versions};
use crate::error::{Error, Result};
use crate::helm::Chart;
use crate::release::changes::{changed_objects, redact_secrets, unified};
use crate::release::drift::{self, ObjectDrift, State};
use crate::release::storage::{self, Release, status};
use crate::report::{FailOn, Finding, Report};

/// Version of the JSON layout of [`DiffReport`].
pub const SCHEMA_VERSION: u32 = 1;

/// The new chart for "wanted vs release": given, or (when `None`) the deployed revision's own.
#[derive(Clone, Copy)]
pub struct WantedChart<'a> {
    pub chart: &'a Chart,
    pub files: &'a [(String, Vec<u8>)],
}

/// An upgrade to compare with the deployed revision.
pub struct Wanted<'a> {
    pub chart: Option<WantedChart<'a>>,
    /// New user values, merged over the deployed revision's as `upgrade` merges them.
    pub values: &'a Value,
    /// Allow a minor skip or a downgrade (as `upgrade --force`).
    pub force: bool,
}

/// What to compare.
pub struct DiffOptions<'a> {
    pub release: &'a str,
    pub namespace: &'a str,
    pub wanted: Option<Wanted<'a>>,
    /// Today's network facts; `None` skips "facts vs values".
    pub facts: Option<&'a NetworkFacts>,
    /// The minor whose rules apply [default: the deployed chart's].
    pub minor: Option<versions::Minor>,
    /// Expected number of hybrid nodes, for the capacity rules.
    pub nodes: Option<u64>,
    /// Facts findings at or above this severity count as drift.
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffSummary {
    /// Manifest objects compared with the cluster.
    pub checked: usize,
    pub changed: usize,
    pub missing: usize,
    pub extra: usize,
    /// Objects the wanted upgrade would change (with -f/--set/--chart/--version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wanted_changes: Option<usize>,
    /// Facts findings at or above --fail-on (with cluster facts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing_facts: Option<usize>,
}

/// The upgrade's diffs against the deployed revision.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WantedDiff {
    pub from_revision: i64,
    pub from_chart: String,
    pub to_chart: String,
    /// Unified diff of the user values (empty when unchanged).
    pub values_diff: String,
    /// Unified diff of the manifests, Secret values hidden (empty when unchanged).
    pub manifest_diff: String,
    /// `~ Kind/name` (changed), `- Kind/name` (removed), `+ Kind/name` (added).
    pub changed_objects: Vec<String>,
}

impl WantedDiff {
    /// As `upgrade --diff` prints it.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (d, what) in [
            (&self.values_diff, "values"),
            (&self.manifest_diff, "manifest"),
        ] {
            if d.is_empty() {
                out.push_str(&format!("{what}: unchanged\n"));
            } else {
                out.push_str(d);
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.values_diff.is_empty() && self.manifest_diff.is_empty()
    }
}

/// One release's drift.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffReport {
    pub schema_version: u32,
    pub release: String,
    pub namespace: String,
    /// The deployed revision compared.
    pub revision: i64,
    pub chart: String,
    /// True when anything differs: exit code 1.
    pub drift: bool,
    pub summary: DiffSummary,
    /// Live vs release: changed, then missing, then extra.
    pub objects: Vec<ObjectDrift>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wanted: Option<WantedDiff>,
    /// Facts vs values: the deployed values validated against today's facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts: Option<Report>,
}

/// The values and manifest diffs between the deployed revision and a prepared upgrade.
pub fn upgrade_diff(p: &PreparedUpgrade) -> Result<WantedDiff> {
    let (b, n) = (&p.base, &p.next);
    let label = |r: &Release| {
        format!(
            "revision {}, {}-{}",
            r.version(),
            r.chart_name(),
            r.chart_version()
        )
    };
    Ok(WantedDiff {
        from_revision: b.version(),
        from_chart: format!("{}-{}", b.chart_name(), b.chart_version()),
        to_chart: format!("{}-{}", n.chart_name(), n.chart_version()),
        values_diff: unified(
            &generate::to_yaml(b.config())?,
            &generate::to_yaml(n.config())?,
            &format!("values (revision {})", b.version()),
            &format!("values (revision {})", n.version()),
        ),
        manifest_diff: unified(
            &redact_secrets(b.manifest()),
            &redact_secrets(n.manifest()),
            &format!("manifest ({})", label(b)),
            &format!("manifest ({})", label(n)),
        ),
        changed_objects: changed_objects(b.manifest(), n.manifest()),
    })
}

/// Compares the release's deployed revision with the cluster, and optionally with a wanted
/// upgrade and with today's network facts.
pub async fn diff(client: &Client, o: &DiffOptions<'_>) -> Result<DiffReport> {
    let history = lifecycle::store(client, o.namespace)
        .history(o.release)
        .await?;
    let Some(deployed) = history
        .iter()
        .rev()
        .find(|r| r.status() == status::DEPLOYED)
    else {
        return Err(Error::Conflict {
            message: match history.last() {
                None => format!("release {} not found in {}", o.release, o.namespace),
                Some(l) => format!(
                    "release {} has no deployed revision (the last, {}, is {})",
                    o.release,
                    l.version(),
                    l.status()
                ),
            },
            help: Some(
                "`kubectl podnet cilium history` lists the revisions; -n names the release's namespace"
                    .into(),
            ),
        });
    };
    let live = drift::live_drift(client, deployed, &history, &HINTS).await?;
    let count = |s: State| live.objects.iter().filter(|x| x.state == s).count();
    let mut summary = DiffSummary {
        checked: live.checked,
        changed: count(State::Changed),
        missing: count(State::Missing),
        extra: count(State::Extra),
        wanted_changes: None,
        failing_facts: None,
    };
    let wanted = match &o.wanted {
        Some(w) => {
            let d = wanted_diff(client, o, w, deployed).await?;
            summary.wanted_changes = Some(d.changed_objects.len());
            Some(d)
        }
        None => None,
    };
    let facts = match o.facts {
        Some(f) => {
            let minor = match o.minor {
                Some(m) => Ok(m),
                None => versions::resolve(Some(deployed.chart_version())),
            }
            .map_err(|_| Error::Conflict {
                message: format!(
                    "the deployed chart {}-{} is not a Cilium minor podnet validates ({})",
                    deployed.chart_name(),
                    deployed.chart_version(),
                    versions::supported_list()
                ),
                help: Some(
                    "drop --cluster and the network facts flags to skip facts vs values".into(),
                ),
            })?;
            let ctx = Context {
                minor,
                facts: f,
                nodes: o.nodes,
            };
            let findings: Vec<Finding> = validate::validate(deployed.config(), &ctx);
            let report = Report::new(findings);
            summary.failing_facts = Some(
                report
                    .findings
                    .iter()
                    .filter(|x| o.fail_on.trips(x.severity))
                    .count(),
            );
            Some(report)
        }
        None => None,
    };
    let drift = !live.objects.is_empty()
        || wanted.as_ref().is_some_and(|w| !w.is_empty())
        || summary.failing_facts.is_some_and(|n| n > 0);
    Ok(DiffReport {
        schema_version: SCHEMA_VERSION,
        release: o.release.to_string(),
        namespace: o.namespace.to_string(),
        revision: deployed.version(),
        chart: format!("{}-{}", deployed.chart_name(), deployed.chart_version()),
        drift,
        summary,
        objects: live.objects,
        wanted,
        facts,
    })
}

async fn wanted_diff(
    client: &Client,
    o: &DiffOptions<'_>,
    w: &Wanted<'_>,
    deployed: &Release,
) -> Result<WantedDiff> {
    let own;
    let (chart, files) = match &w.chart {
        Some(c) => (c.chart, c.files),
        None => {
            let files = storage::chart_files(deployed)?;
            let chart = Chart::load_files(files.clone()).map_err(|e| Error::Conflict {
                message: format!(
                    "cannot load the chart recorded in revision {}: {e}",
                    deployed.version()
                ),
                help: Some("pass the chart with --chart (and --version)".into()),
            })?;
            own = (chart, files);
            (&own.0, own.1.as_slice())
        }
    };
    let plan = UpgradePlan {
        release: o.release,
        namespace: o.namespace,
        chart,
        chart_files: files,
        new_values: w.values,
        ops: lifecycle::Ops {
            field_manager: lifecycle::FIELD_MANAGER,
            force_conflicts: false,
            take_ownership: false,
            timeout: std::time::Duration::from_secs(60),
            wait: None,
        },
        force: w.force,
        recover: false,
    };
    let prepared = lifecycle::prepare_upgrade(client, &plan).await?;
    upgrade_diff(&prepared)
}

impl DiffReport {
    /// For people: a summary, a unified diff per drifted object, the upgrade's diffs, the facts
    /// findings (as `findings` renders them), and a closing line.
    pub fn text(&self, findings: &dyn Fn(&Report) -> String) -> String {
        let s = &self.summary;
        let mut t = format!(
            "Release {} in {}: revision {} ({})\n\n",
            self.release, self.namespace, self.revision, self.chart
        );
        t.push_str(&format!(
            "Live vs release: {} of {} objects changed, {} missing, {} extra\n",
            s.changed, s.checked, s.missing, s.extra
        ));
        for o in &self.objects {
            let at = o
                .namespace
                .as_ref()
                .map(|n| format!(" in {n}"))
                .unwrap_or_default();
            let (old, new) = match o.state {
                State::Changed => (
                    format!("{} (release, revision {})", o.object, self.revision),
                    format!("{} (live{at})", o.object),
                ),
                State::Missing => (
                    format!("{} (release, revision {})", o.object, self.revision),
                    format!("{} (missing{at})", o.object),
                ),
                State::Extra => (
                    format!("{} (not in the release)", o.object),
                    format!("{} (live{at}, with the release's labels)", o.object),
                ),
            };
            t.push('\n');
            t.push_str(&unified(&o.release_yaml, &o.live_yaml, &old, &new));
        }
        if let Some(w) = &self.wanted {
            t.push_str(&format!(
                "\nWanted vs release: {} → {}, {} object(s) would change\n",
                w.from_chart,
                w.to_chart,
                w.changed_objects.len()
            ));
            for c in &w.changed_objects {
                t.push_str(&format!("  {c}\n"));
            }
            t.push_str(&w.text());
        }
        if let Some(f) = &self.facts {
            t.push_str(&format!(
                "\nFacts vs values: {} finding(s) at or above --fail-on\n",
                s.failing_facts.unwrap_or(0)
            ));
            t.push_str(&findings(f));
        }
        t.push('\n');
        t.push_str(if self.drift {
            "Drift found.\n"
        } else {
            "No drift.\n"
        });
        t
    }
}
