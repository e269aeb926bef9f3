//! `kubectl podnet cilium status`: release, agent and operator readiness, hybrid nodes without an
//! agent, IPAM pool usage.

use crate::cli::flags::{GlobalArgs, Output, ReleaseArgs};
use crate::cli::out::{self, stdout_write};
use crate::error::Result;

pub fn run(a: ReleaseArgs, g: &GlobalArgs) -> Result<u8> {
    let ns = g.release_namespace();
    let s = out::runtime()?.block_on(async {
        let client = crate::kube::client(&g.target()).await?;
        crate::cilium::status::status(&client, &a.release, &ns).await
    })?;
    let failing = s
        .findings
        .iter()
        .any(|f| f.severity == crate::report::Severity::Error);
    let text = match g.output {
        Some(Output::Json) => format!("{}\n", serde_json::to_string_pretty(&s).unwrap_or_default()),
        _ => {
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
                t.push_str(&crate::report::findings_text(
                    &s.findings,
                    &g.text_style(crate::report::Stream::Stdout),
                ));
            }
            t
        }
    };
    stdout_write(text.as_bytes())?;
    Ok(if failing { out::EXIT_FINDINGS } else { 0 })
}
