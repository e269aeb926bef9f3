//! The one findings model shared by `cilium validate`, `audit`, preflight and status, and its
//! renderers. Finding IDs are stable kebab-case strings: scripts and CI match on them.

use std::io::{self, Write};

use serde::Serialize;

pub mod ci;
mod severity;
pub mod text;

pub use severity::{FailOn, Severity};
pub use text::{ColorChoice, Entry, Stream, TextStyle};

/// Version of the JSON report layout; bumped only on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// What a finding is about: a path inside a values document or a cluster object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Subject {
    /// A Helm values path, e.g. `ipam.operator.clusterPoolIPv4PodCIDRList[1]`.
    Path(String),
    /// A Kubernetes object reference, e.g. `node/ip-10-0-1-5`.
    Object(String),
    /// An input that is not part of the document (a flag or an AWS fact).
    Input(String),
}

impl Subject {
    pub fn text(&self) -> &str {
        match self {
            Subject::Path(s) | Subject::Object(s) | Subject::Input(s) => s,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub severity: Severity,
    pub message: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<&'static str>,
}

impl Finding {
    pub fn new(id: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            id,
            severity,
            message: message.into(),
            subject: None,
            remediation: None,
            docs: None,
        }
    }

    pub fn error(id: &'static str, message: impl Into<String>) -> Self {
        Self::new(id, Severity::Error, message)
    }

    pub fn warning(id: &'static str, message: impl Into<String>) -> Self {
        Self::new(id, Severity::Warning, message)
    }

    pub fn info(id: &'static str, message: impl Into<String>) -> Self {
        Self::new(id, Severity::Info, message)
    }

    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.subject = Some(Subject::Path(path.into()));
        self
    }

    pub fn on(mut self, subject: Subject) -> Self {
        self.subject = Some(subject);
        self
    }

    pub fn fix(mut self, remediation: impl Into<String>) -> Self {
        self.remediation = Some(remediation.into());
        self
    }

    pub fn docs(mut self, url: &'static str) -> Self {
        self.docs = Some(url);
        self
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub info: usize,
}

/// A finished set of findings, in stable order: most severe first, then by subject and ID.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub schema_version: u32,
    pub valid: bool,
    pub summary: Summary,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn new(mut findings: Vec<Finding>) -> Self {
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.subject.cmp(&b.subject))
                .then_with(|| a.id.cmp(b.id))
                .then_with(|| a.message.cmp(&b.message))
        });
        findings.dedup();
        let mut summary = Summary::default();
        for f in &findings {
            match f.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.info += 1,
            }
        }
        Report {
            schema_version: SCHEMA_VERSION,
            valid: summary.errors == 0,
            summary,
            findings,
        }
    }

    /// True when a finding reaches the `--fail-on` threshold (exit code 1).
    pub fn fails(&self, fail_on: FailOn) -> bool {
        self.findings.iter().any(|f| fail_on.trips(f.severity))
    }

    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self).map_err(io::Error::other)?;
        writeln!(out)
    }

    /// The findings for people (see [`text`]), then a summary line.
    pub fn write_text(&self, out: &mut dyn Write, style: &TextStyle) -> io::Result<()> {
        if self.findings.is_empty() {
            return writeln!(out, "No findings: the values are valid.");
        }
        let mut text = findings_text(&self.findings, style);
        let s = &self.summary;
        text.push('\n');
        text::hanging(
            &mut text,
            "",
            "",
            &format!(
                "{} error(s), {} warning(s), {} info: {}",
                s.errors,
                s.warnings,
                s.info,
                if self.valid { "valid" } else { "INVALID" }
            ),
            style.width,
        );
        out.write_all(text.as_bytes())
    }
}

/// Findings as text in the layout `style`'s width calls for (no summary).
pub fn findings_text(findings: &[Finding], style: &TextStyle) -> String {
    let entries: Vec<Entry<'_>> = findings
        .iter()
        .map(|f| Entry {
            severity: f.severity,
            id: f.id,
            wheres: f
                .subject
                .as_ref()
                .map(|s| vec![s.text().to_string()])
                .unwrap_or_default(),
            what: &f.message,
            fix: f.remediation.as_deref(),
            docs: f.docs,
        })
        .collect();
    let mut out = String::new();
    text::write_entries(&mut out, &entries, style);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_and_counts() {
        let r = Report::new(vec![
            Finding::info("b", "x").at("z"),
            Finding::error("a", "y").at("b"),
            Finding::warning("c", "z").at("a"),
            Finding::error("a", "y").at("a"),
        ]);
        let ids: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.id, f.subject.clone()))
            .collect();
        assert_eq!(ids[0], ("a", Some(Subject::Path("a".into()))));
        assert_eq!(ids[1], ("a", Some(Subject::Path("b".into()))));
        assert_eq!(ids[2].0, "c");
        assert_eq!(ids[3].0, "b");
        assert_eq!(
            r.summary,
            Summary {
                errors: 2,
                warnings: 1,
                info: 1
            }
        );
        assert!(!r.valid);
        assert!(r.fails(FailOn::Error));
        assert!(!Report::new(vec![Finding::warning("w", "m")]).fails(FailOn::Error));
        assert!(Report::new(vec![Finding::warning("w", "m")]).fails(FailOn::Warning));
        assert!(!Report::new(vec![Finding::error("e", "m")]).fails(FailOn::None));
    }

    #[test]
    fn json_shape() {
        let r = Report::new(vec![
            Finding::error("pod-cidr-invalid", "bad")
                .at("ipam")
                .fix("do"),
        ]);
        let mut buf = Vec::new();
        r.write_json(&mut buf).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["schemaVersion"], 1);
        assert_eq!(v["valid"], false);
        assert_eq!(v["summary"]["errors"], 1);
        assert_eq!(v["findings"][0]["path"], "ipam");
        assert_eq!(v["findings"][0]["remediation"], "do");
        assert!(v["findings"][0].get("docs").is_none());
    }
}
