//! One report for a fleet run, in every format a single-cluster run prints: text with a section per
//! cluster, JSON (`{"schemaVersion", "command", "clusters": [{"context", "error", "report"}],
//! "summary"}`), SARIF (one run per cluster) and JUnit (one testsuite per cluster), each ending in
//! (or carrying) the fleet summary: clusters ok, with findings, not checked.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};

use super::{FailKind, Outcome};
use crate::report::ci::{JunitCases, driver, xml};
use crate::report::text::{self, TextStyle};
use crate::report::{FailOn, SCHEMA_VERSION};

/// What the fleet report needs of a single-cluster report.
pub trait ClusterReport {
    /// The report as `-o json` prints it for one cluster.
    fn json(&self) -> Value;
    /// The report as text, as a single run prints it.
    fn text(&self, style: &TextStyle) -> String;
    /// Failed checks or findings of any severity (0: the cluster is ok).
    fn findings(&self) -> usize;
    /// True when a finding reaches `fail_on` (exit code 1).
    fn fails(&self, fail_on: FailOn) -> bool;
    /// One SARIF run (`tool` and `results`), for commands that print SARIF.
    fn sarif_run(&self) -> Option<Value> {
        None
    }
    /// The testcases of one JUnit testsuite, with counts, for commands that print JUnit.
    fn junit_cases(&self) -> Option<JunitCases> {
        None
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedBy {
    pub unreachable: usize,
    pub timeout: usize,
    pub forbidden: usize,
    pub error: usize,
}

/// The fleet summary: every cluster is exactly one of ok, with findings, or not checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetSummary {
    pub clusters: usize,
    pub ok: usize,
    pub with_findings: usize,
    pub not_checked: usize,
    pub not_checked_by: FailedBy,
}

/// The outcomes of a fleet run and the command that made them.
pub struct FleetReport<R> {
    pub command: &'static str,
    pub outcomes: Vec<Outcome<R>>,
}

impl<R: ClusterReport> FleetReport<R> {
    pub fn summary(&self) -> FleetSummary {
        let mut s = FleetSummary {
            clusters: self.outcomes.len(),
            ..Default::default()
        };
        for o in &self.outcomes {
            match &o.result {
                Ok(r) if r.findings() == 0 => s.ok += 1,
                Ok(_) => s.with_findings += 1,
                Err(f) => {
                    s.not_checked += 1;
                    let by = &mut s.not_checked_by;
                    *match f.kind {
                        FailKind::Unreachable => &mut by.unreachable,
                        FailKind::Timeout => &mut by.timeout,
                        FailKind::Forbidden => &mut by.forbidden,
                        FailKind::Error => &mut by.error,
                    } += 1;
                }
            }
        }
        s
    }

    /// True when some cluster could not be checked (the command exits 2).
    pub fn any_not_checked(&self) -> bool {
        self.outcomes.iter().any(|o| o.result.is_err())
    }

    /// True when a checked cluster has a finding reaching `fail_on` (the command exits 1 unless
    /// a cluster could not be checked).
    pub fn any_fails(&self, fail_on: FailOn) -> bool {
        self.outcomes
            .iter()
            .any(|o| o.result.as_ref().is_ok_and(|r| r.fails(fail_on)))
    }

    pub fn summary_line(&self) -> String {
        let s = self.summary();
        let by = s.not_checked_by;
        let reasons: Vec<String> = [
            (by.unreachable, "unreachable"),
            (by.timeout, "timed out"),
            (by.forbidden, "forbidden"),
            (by.error, "error"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
        format!(
            "Fleet: {} cluster(s): {} ok, {} with findings, {} not checked{}.",
            s.clusters,
            s.ok,
            s.with_findings,
            s.not_checked,
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", reasons.join(", "))
            }
        )
    }

    /// A section per cluster (`== CONTEXT ==` and its report, or why it was not checked), then
    /// the fleet summary line.
    pub fn text(&self, style: &TextStyle) -> String {
        let mut out = String::new();
        for (i, o) in self.outcomes.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let _ = writeln!(out, "== {} ==", o.member.context);
            match &o.result {
                Ok(r) => {
                    let t = r.text(style);
                    out.push_str(&t);
                    if !t.ends_with('\n') {
                        out.push('\n');
                    }
                }
                Err(f) => text::hanging(
                    &mut out,
                    "",
                    "  ",
                    &format!("NOT CHECKED ({}): {}", f.kind.as_str(), f.reason),
                    style.width,
                ),
            }
        }
        out.push('\n');
        text::hanging(&mut out, "", "", &self.summary_line(), style.width);
        out
    }

    pub fn json(&self) -> String {
        let clusters: Vec<Value> = self
            .outcomes
            .iter()
            .map(|o| match &o.result {
                Ok(r) => json!({
                    "context": o.member.context,
                    "cluster": o.member.cluster,
                    "error": null,
                    "report": r.json(),
                }),
                Err(f) => json!({
                    "context": o.member.context,
                    "cluster": o.member.cluster,
                    "error": f.reason,
                    "errorKind": f.kind,
                    "report": null,
                }),
            })
            .collect();
        let v = json!({
            "schemaVersion": SCHEMA_VERSION,
            "command": self.command,
            "clusters": clusters,
            "summary": self.summary(),
        });
        format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
    }

    /// SARIF 2.1.0 with one run per cluster, each tagged with its context
    /// (`automationDetails.id` and `properties.context`); a cluster not checked is a run whose
    /// invocation failed, with the reason.
    pub fn sarif(&self) -> Option<String> {
        let mut runs = Vec::new();
        for o in &self.outcomes {
            let mut run = match &o.result {
                Ok(r) => r.sarif_run()?,
                Err(f) => json!({
                    "tool": {"driver": driver(Vec::new())},
                    "invocations": [{
                        "executionSuccessful": false,
                        "toolExecutionNotifications": [{
                            "level": "error",
                            "descriptor": {"id": format!("cluster-{}", f.kind.as_str())},
                            "message": {"text": f.reason},
                        }],
                    }],
                    "results": [],
                }),
            };
            run["automationDetails"] =
                json!({"id": format!("podnet/{}/{}/", self.command, o.member.context)});
            run["properties"] = json!({"context": o.member.context, "cluster": o.member.cluster});
            runs.push(run);
        }
        let v = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": runs,
        });
        Some(format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ))
    }

    /// JUnit XML with one testsuite per cluster, named after its context; a cluster not checked
    /// is a suite with one errored testcase carrying the reason.
    pub fn junit(&self) -> Option<String> {
        let mut suites = String::new();
        let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
        for o in &self.outcomes {
            let ctx = xml(&o.member.context);
            match &o.result {
                Ok(r) => {
                    let c = r.junit_cases()?;
                    tests += c.tests;
                    failures += c.failures;
                    skipped += c.skipped;
                    let _ = writeln!(
                        suites,
                        "  <testsuite name=\"{ctx}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n{}  </testsuite>",
                        c.tests, c.failures, c.skipped, c.xml
                    );
                }
                Err(f) => {
                    tests += 1;
                    errors += 1;
                    let _ = writeln!(
                        suites,
                        "  <testsuite name=\"{ctx}\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    <testcase classname=\"podnet.{}\" name=\"cluster-reachable\">\n      <error type=\"{}\" message=\"{}\"/>\n    </testcase>\n  </testsuite>",
                        self.command.replace(' ', "."),
                        f.kind.as_str(),
                        xml(&f.reason)
                    );
                }
            }
        }
        Some(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kubectl-podnet {}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n{suites}</testsuites>\n",
            self.command
        ))
    }
}

/// Plain findings (`cilium validate`) as one cluster's report.
impl ClusterReport for crate::report::Report {
    fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
    fn text(&self, style: &TextStyle) -> String {
        let mut buf = Vec::new();
        let _ = self.write_text(&mut buf, style);
        String::from_utf8_lossy(&buf).into_owned()
    }
    fn findings(&self) -> usize {
        self.findings.len()
    }
    fn fails(&self, fail_on: FailOn) -> bool {
        crate::report::Report::fails(self, fail_on)
    }
    fn sarif_run(&self) -> Option<Value> {
        Some(crate::report::ci::findings_sarif_run(&self.findings))
    }
    fn junit_cases(&self) -> Option<JunitCases> {
        Some(crate::report::ci::findings_junit_cases(
            "podnet.cilium.validate",
            &self.findings,
        ))
    }
}
