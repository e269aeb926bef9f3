//! What install, upgrade and rollback print: the revision they recorded.

use crate::cilium::lifecycle;
use crate::cli::flags::{GlobalArgs, Output};
use crate::cli::out::stdout_write;
use crate::error::Result;

pub fn print_outcome(o: &lifecycle::Outcome, g: &GlobalArgs) -> Result<()> {
    let r = &o.release;
    let text = match g.output {
        Some(Output::Json) => format!("{}\n", serde_json::to_string_pretty(&serde_json::json!({
            "name": r.name(), "namespace": r.namespace(), "revision": r.version(), "status": r.status(),
            "description": r.description(), "chart": format!("{}-{}", r.chart_name(), r.chart_version()), "objects": o.applied,
        })).unwrap_or_default()),
        _ => format!(
            "NAME: {}\nNAMESPACE: {}\nREVISION: {}\nSTATUS: {}\nDESCRIPTION: {}\nCHART: {}-{}\nOBJECTS APPLIED: {}\n",
            r.name(), r.namespace(), r.version(), r.status(), r.description(), r.chart_name(), r.chart_version(), o.applied
        ),
    };
    stdout_write(text.as_bytes())
}
