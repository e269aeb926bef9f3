//! Audit output: a table for people, JSON for scripts, SARIF for code-scanning UIs and JUnit for
//! CI test reports. All carry the same checks in the same order.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::json;

use super::checks::{CheckResult, Status};
use super::facts::ClusterFacts;
use crate::report::ci::{JunitCases, driver, sarif_level, xml};
use crate::report::text::{self, Entry, TextStyle};
use crate::report::{FailOn, Severity};

/// Objects shown per check in the table; JSON has them all (up to 1000).
const TABLE_OBJECTS: usize = 10;

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub skipped: usize,
    pub errors: usize,
    pub warnings: usize,
    pub info: usize,
}

pub struct AuditReport<'a> {
    pub facts: &'a ClusterFacts,
    pub pods_seen: usize,
    pub aws_source: Option<&'a str>,
    pub checks: Vec<CheckResult>,
}

impl AuditReport<'_> {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.checks {
            match c.status {
                Status::Pass => s.pass += 1,
                Status::Skipped => s.skipped += 1,
                Status::Fail => {
                    s.fail += 1;
                    match c.severity {
                        Severity::Error => s.errors += 1,
                        Severity::Warning => s.warnings += 1,
                        Severity::Info => s.info += 1,
                    }
                }
            }
        }
        s
    }

    pub fn fails(&self, fail_on: FailOn) -> bool {
        self.checks
            .iter()
            .any(|c| c.status == Status::Fail && fail_on.trips(c.severity))
    }

    fn cluster_json(&self) -> serde_json::Value {
        let f = self.facts;
        let cni = f.cni.as_ref().map(|c| {
            json!({
                "image": c.image,
                "version": c.version,
                "customNetworking": c.custom_networking(),
                "env": c.env.iter().filter(|(k, _)| k.starts_with("AWS_VPC_") || k.starts_with("ENI_CONFIG") || k.starts_with("ENABLE_") || k.starts_with("WARM_") || k.starts_with("MINIMUM_IP")).collect::<std::collections::BTreeMap<_, _>>(),
            })
        });
        json!({
            "cni": cni,
            "eniConfigs": f.eniconfigs.as_ref().map(|list| list.iter().map(|e| json!({"name": e.name, "subnet": e.subnet, "securityGroups": e.security_groups})).collect::<Vec<_>>()),
            "nodes": f.nodes.len(),
            "podsSeen": self.pods_seen,
            "vpcId": f.vpc_id,
            "subnetsKnown": f.subnets.as_ref().map(|s| s.len()),
            "awsFacts": self.aws_source,
        })
    }

    pub fn json(&self) -> String {
        let v = json!({
            "schemaVersion": 1,
            "cluster": self.cluster_json(),
            "summary": self.summary(),
            "checks": self.checks,
        });
        format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
    }

    /// The report for people: a summary line, the failed checks (most severe first, as a list or
    /// a table as `style`'s width calls for), then the skipped checks.
    pub fn table(&self, style: &TextStyle) -> String {
        let s = self.summary();
        let mut out = String::new();
        let cni = self
            .facts
            .cni
            .as_ref()
            .and_then(|c| c.version.clone())
            .unwrap_or_else(|| "not found".into());
        text::hanging(
            &mut out,
            "",
            "",
            &format!(
                "Audit: {} checks: {} passed, {} failed ({} error, {} warning, {} info), {} skipped. VPC CNI {cni}; {} nodes, {} pods.",
                self.checks.len(),
                s.pass,
                s.fail,
                s.errors,
                s.warnings,
                s.info,
                s.skipped,
                self.facts.nodes.len(),
                self.pods_seen
            ),
            style.width,
        );
        let mut failed: Vec<&CheckResult> = self
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .collect();
        // Most severe first; checks of one severity keep the report order.
        failed.sort_by_key(|c| std::cmp::Reverse(c.severity));
        let entries: Vec<Entry<'_>> = failed
            .iter()
            .map(|c| {
                let mut wheres: Vec<String> =
                    c.objects.iter().take(TABLE_OBJECTS).cloned().collect();
                if c.object_count > TABLE_OBJECTS {
                    wheres.push(format!(
                        "… and {} more (-o json lists them)",
                        c.object_count - TABLE_OBJECTS
                    ));
                }
                Entry {
                    severity: c.severity,
                    id: c.id,
                    wheres,
                    what: &c.message,
                    fix: (!c.remediation.is_empty()).then_some(c.remediation),
                    docs: (!c.docs.is_empty()).then_some(c.docs),
                }
            })
            .collect();
        if !entries.is_empty() {
            out.push('\n');
            text::write_entries(&mut out, &entries, style);
        }
        let skipped: Vec<&CheckResult> = self
            .checks
            .iter()
            .filter(|c| c.status == Status::Skipped)
            .collect();
        if !skipped.is_empty() {
            let _ = writeln!(out, "\nSKIPPED ({}):", skipped.len());
            for c in skipped {
                text::hanging(
                    &mut out,
                    "  ",
                    "    ",
                    &format!("{} — {}", c.id, c.message),
                    style.width,
                );
            }
        }
        out
    }

    /// The checks as one SARIF run: a rule per check, a result per failed check.
    pub fn sarif_run(&self) -> serde_json::Value {
        let rules: Vec<_> = self
            .checks
            .iter()
            .map(|c| json!({"id": c.id, "shortDescription": {"text": c.id.replace('-', " ")}, "helpUri": c.docs, "defaultConfiguration": {"level": sarif_level(c.severity)}}))
            .collect();
        let results: Vec<_> = self
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| {
                json!({
                    "ruleId": c.id,
                    "level": sarif_level(c.severity),
                    "message": {"text": format!("{} Fix: {}", c.message, c.remediation)},
                    "locations": c.objects.iter().take(100).map(|o| json!({"logicalLocations": [{"name": o, "kind": "resource"}]})).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({"tool": {"driver": driver(rules)}, "results": results})
    }

    pub fn sarif(&self) -> String {
        let v = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [self.sarif_run()],
        });
        format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
    }

    /// A testcase per check: passed, skipped (with the reason) or failed (with the objects).
    pub fn junit_cases(&self) -> JunitCases {
        let s = self.summary();
        let mut out = String::new();
        for c in &self.checks {
            let _ = write!(
                out,
                "    <testcase classname=\"podnet.audit\" name=\"{}\"",
                xml(c.id)
            );
            match c.status {
                Status::Pass => out.push_str("/>\n"),
                Status::Skipped => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml(&c.message)
                    );
                }
                Status::Fail => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
                        c.severity.as_str(),
                        xml(&c.message),
                        xml(&c.objects.join("\n"))
                    );
                }
            }
        }
        JunitCases {
            xml: out,
            tests: self.checks.len(),
            failures: s.fail,
            skipped: s.skipped,
        }
    }

    pub fn junit(&self) -> String {
        let c = self.junit_cases();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"kubectl-podnet audit\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
            c.tests, c.failures, c.skipped
        );
        let _ = writeln!(
            out,
            "  <testsuite name=\"audit\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
            c.tests, c.failures, c.skipped
        );
        out.push_str(&c.xml);
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}
