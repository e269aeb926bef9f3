//! `kubectl podnet cilium status`: release, agent and operator readiness, hybrid nodes without an
//! agent, IPAM pool usage.

use clap::Args;

use crate::cilium::status::StatusReport;
use crate::cli::flags::{FleetArgs, GlobalArgs, Output, ReleaseArgs};
use crate::cli::out::{self, stdout_write};
use crate::error::Result;
use crate::fleet::report::{ClusterReport, FleetReport};
use crate::report::ci::{self, JunitCases};
use crate::report::text::TextStyle;
use crate::report::{FailOn, Severity};

#[derive(Debug, Args)]
#[command(
    after_help = "Many clusters at once: --contexts a,b,c or --all-contexts reports every \
context's status (--parallel at a time, each within --cluster-timeout) in one report, a section per \
cluster and a fleet summary (-o json, sarif or junit for machines). Exit 2 if a cluster could not be \
checked, else 1 if a cluster has an error finding, else 0."
)]
pub struct StatusArgs {
    #[command(flatten)]
    pub release: ReleaseArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// Status exits 1 on error findings, as a single run does.
const FAIL_ON: FailOn = FailOn::Error;

impl ClusterReport for StatusReport {
    fn json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
    fn text(&self, style: &TextStyle) -> String {
        text(self, style)
    }
    fn findings(&self) -> usize {
        self.findings.len()
    }
    fn fails(&self, fail_on: FailOn) -> bool {
        self.findings.iter().any(|f| fail_on.trips(f.severity))
    }
    fn sarif_run(&self) -> Option<serde_json::Value> {
        Some(ci::findings_sarif_run(&self.findings))
    }
    fn junit_cases(&self) -> Option<JunitCases> {
        Some(ci::findings_junit_cases(
            "podnet.cilium.status",
            &self.findings,
        ))
    }
}

pub fn run(a: StatusArgs, g: &GlobalArgs) -> Result<u8> {
    let ns = g.release_namespace();
    if let Some(sel) = a.fleet.selection(g)? {
        let rt = out::runtime()?;
        return rt.block_on(async {
            let fleet = crate::fleet::Fleet::load(&g.target(), &sel)?;
            let (release, ns) = (&a.release.release, &ns);
            let outcomes = crate::fleet::run(
                &fleet,
                a.fleet.limits(),
                |s: &StatusReport| match s.findings.len() {
                    0 => "ok".to_string(),
                    n => format!("{n} finding(s)"),
                },
                |job| async move {
                    let client = job.client().await?;
                    job.say("reading the release, agent, operator and nodes");
                    crate::cilium::status::status(&client, release, ns).await
                },
            )
            .await;
            out::fleet_output(
                &FleetReport {
                    command: "cilium status",
                    outcomes,
                },
                g,
                FAIL_ON,
            )
        });
    }
    let s = out::runtime()?.block_on(async {
        let client = crate::kube::client(&g.target()).await?;
        crate::cilium::status::status(&client, &a.release.release, &ns).await
    })?;
    let failing = s.findings.iter().any(|f| f.severity == Severity::Error);
    let text = match g.output {
        Some(Output::Json) => format!("{}\n", serde_json::to_string_pretty(&s).unwrap_or_default()),
        _ => text(&s, &g.text_style(crate::report::Stream::Stdout)),
    };
    stdout_write(text.as_bytes())?;
    Ok(if failing { out::EXIT_FINDINGS } else { 0 })
}

/// The status for people: one line per component, then the findings.
fn text(s: &StatusReport, style: &TextStyle) -> String {
    let mut t = String::new();
    let line = |k: &str, v: String| format!("{k:<22}{v}\n");
    t.push_str(&line(
        "Release:",
        s.release
            .as_ref()
            .map(|r| {
                format!(
                    "{} revision {} {} ({})",
                    r["name"].as_str().unwrap_or(""),
                    r["revision"],
                    r["status"].as_str().unwrap_or(""),
                    r["chart"].as_str().unwrap_or("")
                )
            })
            .unwrap_or_else(|| "not found".into()),
    ));
    t.push_str(&line(
        "Agent (DaemonSet):",
        s.agent
            .as_ref()
            .map(|a| {
                format!(
                    "{}/{} ready, {} updated",
                    a["ready"], a["desired"], a["updated"]
                )
            })
            .unwrap_or_else(|| "not found".into()),
    ));
    t.push_str(&line(
        "Operator:",
        s.operator
            .as_ref()
            .map(|o| format!("{}/{} available", o["available"], o["replicas"]))
            .unwrap_or_else(|| "not found".into()),
    ));
    t.push_str(&line(
        "Hybrid nodes:",
        format!(
            "{} ({} without a ready agent)",
            s.hybrid_nodes,
            s.hybrid_nodes_without_agent.len()
        ),
    ));
    if let Some(p) = &s.pool {
        t.push_str(&line(
            "IPAM pool:",
            format!(
                "{} /{}: {} of {} node blocks in use",
                p["cidrs"]
                    .as_array()
                    .map(|c| c
                        .iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default(),
                p["mask"],
                p["blocksInUse"]
                    .as_u64()
                    .map_or_else(|| "unknown".to_string(), |u| u.to_string()),
                p["blocks"].as_str().unwrap_or("")
            ),
        ));
    }
    let images: Vec<String> = s
        .agent
        .iter()
        .chain(s.operator.iter())
        .flat_map(|x| x["images"].as_array().cloned().unwrap_or_default())
        .filter_map(|i| i.as_str().map(str::to_string))
        .collect();
    t.push_str(&line("Images:", images.join(", ")));
    if !s.findings.is_empty() {
        t.push('\n');
        t.push_str(&crate::report::findings_text(&s.findings, style));
    }
    t
}
