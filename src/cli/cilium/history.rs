//! `kubectl podnet cilium history`: the release's revisions, as `helm history` shows them.

use comfy_table::{Table, presets};

use crate::cilium::lifecycle;
use crate::cli::flags::{GlobalArgs, Output, ReleaseArgs};
use crate::cli::out::{self, stdout_write, table_text};
use crate::error::{Error, Result};

pub fn run(a: ReleaseArgs, g: &GlobalArgs) -> Result<u8> {
    let ns = g.release_namespace();
    let h = out::runtime()?.block_on(async {
        let client = crate::kube::client(&g.target()).await?;
        lifecycle::store(&client, &ns).history(&a.release).await
    })?;
    if h.is_empty() {
        return Err(Error::Conflict {
            message: format!("release {} not found in {ns}", a.release),
            help: Some("pass --release and -n as used at install time".into()),
        });
    }
    let rows = lifecycle::history_rows(&h);
    let text = match g.output {
        Some(Output::Json) => {
            let v: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| serde_json::json!({"revision": r[0].parse::<i64>().unwrap_or(0), "updated": r[1], "status": r[2], "chart": r[3], "app_version": r[4], "description": r[5]}))
                .collect();
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
        _ => {
            let mut t = Table::new();
            t.load_style(presets::NOTHING).force_no_tty();
            t.set_header([
                "REVISION",
                "UPDATED",
                "STATUS",
                "CHART",
                "APP VERSION",
                "DESCRIPTION",
            ]);
            for r in rows {
                t.add_row(r.to_vec());
            }
            format!("{}\n", table_text(&mut t))
        }
    };
    stdout_write(text.as_bytes())?;
    Ok(0)
}
