//! `kubectl podnet cilium get-values`: the user values of the release's last revision, as
//! `helm get values` prints them.

use crate::cilium::lifecycle;
use crate::cli::flags::{GlobalArgs, Output, ReleaseArgs};
use crate::cli::out::{self, stdout_write};
use crate::error::{Error, Result};

pub fn run(a: ReleaseArgs, g: &GlobalArgs) -> Result<u8> {
    let ns = g.release_namespace();
    let h = out::runtime()?.block_on(async {
        let client = crate::kube::client(&g.target()).await?;
        lifecycle::store(&client, &ns).history(&a.release).await
    })?;
    let last = h.last().ok_or_else(|| Error::Conflict {
        message: format!("release {} not found in {ns}", a.release),
        help: None,
    })?;
    let text = match g.output {
        Some(Output::Json) => format!(
            "{}\n",
            serde_json::to_string_pretty(last.config()).unwrap_or_default()
        ),
        _ => crate::cilium::generate::to_yaml(last.config())?,
    };
    stdout_write(text.as_bytes())?;
    Ok(0)
}
