//! `kubectl podnet version`: the version and git commit of this build, and the Cilium minors it
//! supports.

use super::flags::{GlobalArgs, Output};
use super::out::stdout_write;
use crate::error::Error;

pub fn run(g: &GlobalArgs) -> Result<u8, Error> {
    let version = env!("CARGO_PKG_VERSION");
    let commit = env!("PODNET_GIT_COMMIT");
    let minors: Vec<String> = crate::cilium::versions::SUPPORTED
        .iter()
        .map(|m| m.name())
        .collect();
    let text = match g.output {
        Some(Output::Json) => {
            let v = serde_json::json!({
                "version": version,
                "gitCommit": commit,
                "ciliumMinors": minors,
            });
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
        Some(Output::Yaml) => format!(
            "version: {version}\ngitCommit: {commit}\nciliumMinors:\n{}",
            minors
                .iter()
                .map(|m| format!("- \"{m}\"\n"))
                .collect::<String>()
        ),
        _ => format!("kubectl-podnet {version} (commit {commit})\n"),
    };
    stdout_write(text.as_bytes())?;
    Ok(0)
}
