//! Shared pieces of the CI formats: SARIF 2.1.0 (code-scanning UIs) and JUnit XML (CI test
//! reports), for audit checks and plain findings alike.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Finding, Severity};

/// A testsuite's body: the `<testcase>` elements (indented by four spaces, one per line) and their counts.
pub struct JunitCases {
    pub xml: String,
    pub tests: usize,
    pub failures: usize,
    pub skipped: usize,
}

/// The SARIF `tool.driver` of podnet with these rules.
pub fn driver(rules: Vec<Value>) -> Value {
    json!({"name": "kubectl-podnet", "version": env!("CARGO_PKG_VERSION"), "informationUri": "https://github.com/podnet/kubectl-podnet", "rules": rules})
}

pub fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A SARIF run of plain findings (`cilium status`, `cilium validate`): a rule per finding ID.
pub fn findings_sarif_run(findings: &[Finding]) -> Value {
    let mut ids: Vec<&str> = findings.iter().map(|f| f.id).collect();
    ids.sort_unstable();
    ids.dedup();
    let rules: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "shortDescription": {"text": id.replace('-', " ")}}))
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut r = json!({
                "ruleId": f.id,
                "level": sarif_level(f.severity),
                "message": {"text": match &f.remediation {
                    Some(fix) => format!("{} Fix: {fix}", f.message),
                    None => f.message.clone(),
                }},
            });
            if let Some(s) = &f.subject {
                r["locations"] =
                    json!([{"logicalLocations": [{"name": s.text(), "kind": "resource"}]}]);
            }
            r
        })
        .collect();
    json!({"tool": {"driver": driver(rules)}, "results": results})
}

/// JUnit testcases of plain findings: one failed testcase per finding, or one passing
/// `no-findings` testcase.
pub fn findings_junit_cases(classname: &str, findings: &[Finding]) -> JunitCases {
    let mut x = String::new();
    for f in findings {
        let _ = writeln!(
            x,
            "    <testcase classname=\"{classname}\" name=\"{}\">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
            xml(f.id),
            f.severity.as_str(),
            xml(&f.message),
            xml(f.subject.as_ref().map(|s| s.text()).unwrap_or(""))
        );
    }
    if findings.is_empty() {
        let _ = writeln!(
            x,
            "    <testcase classname=\"{classname}\" name=\"no-findings\"/>"
        );
    }
    JunitCases {
        xml: x,
        tests: findings.len().max(1),
        failures: findings.len(),
        skipped: 0,
    }
}

pub fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
