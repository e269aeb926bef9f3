//! `kubectl podnet cilium history`: the release's revisions, as `helm history` shows them.

use clap::Args;
use comfy_table::{Table, presets};

use crate::cilium::lifecycle;
use crate::cli::flags::{FleetArgs, GlobalArgs, Output, ReleaseArgs};
use crate::cli::out::{self, stdout_write, table_text};
use crate::error::{Error, Result};
use crate::fleet::report::{ClusterReport, FleetReport};
use crate::report::FailOn;
use crate::report::text::TextStyle;

#[derive(Debug, Args)]
#[command(
    after_help = "Many clusters at once: --contexts a,b,c or --all-contexts prints every \
context's history (--parallel at a time, each within --cluster-timeout) in one report, a section per \
cluster and a fleet summary. Exit 2 if a cluster could not be read or has no such release, else 0."
)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub release: ReleaseArgs,
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// One cluster's history, as `helm history` rows.
pub struct History(Vec<[String; 6]>);

impl ClusterReport for History {
    fn json(&self) -> serde_json::Value {
        json(&self.0)
    }
    fn text(&self, _style: &TextStyle) -> String {
        table(&self.0)
    }
    fn findings(&self) -> usize {
        0
    }
    fn fails(&self, _fail_on: FailOn) -> bool {
        false
    }
}

async fn history(client: &kube::Client, release: &str, ns: &str) -> Result<History> {
    let h = lifecycle::store(client, ns).history(release).await?;
    if h.is_empty() {
        return Err(Error::Conflict {
            message: format!("release {release} not found in {ns}"),
            help: Some("pass --release and -n as used at install time".into()),
        });
    }
    Ok(History(lifecycle::history_rows(&h)))
}

pub fn run(a: HistoryArgs, g: &GlobalArgs) -> Result<u8> {
    let ns = g.release_namespace();
    let rt = out::runtime()?;
    if let Some(sel) = a.fleet.selection(g)? {
        out::only_table_or_json(g)?;
        return rt.block_on(async {
            let fleet = crate::fleet::Fleet::load(&g.target(), &sel)?;
            let (release, ns) = (&a.release.release, &ns);
            let outcomes = crate::fleet::run(
                &fleet,
                a.fleet.limits(),
                |h: &History| format!("{} revision(s)", h.0.len()),
                |job| async move {
                    let client = job.client().await?;
                    job.say("reading the release records");
                    history(&client, release, ns).await
                },
            )
            .await;
            out::fleet_output(
                &FleetReport {
                    command: "cilium history",
                    outcomes,
                },
                g,
                FailOn::None,
            )
        });
    }
    let h = rt.block_on(async {
        let client = crate::kube::client(&g.target()).await?;
        history(&client, &a.release.release, &ns).await
    })?;
    let text = match g.output {
        Some(Output::Json) => format!(
            "{}\n",
            serde_json::to_string_pretty(&json(&h.0)).unwrap_or_default()
        ),
        _ => table(&h.0),
    };
    stdout_write(text.as_bytes())?;
    Ok(0)
}

fn json(rows: &[[String; 6]]) -> serde_json::Value {
    rows.iter()
        .map(|r| serde_json::json!({"revision": r[0].parse::<i64>().unwrap_or(0), "updated": r[1], "status": r[2], "chart": r[3], "app_version": r[4], "description": r[5]}))
        .collect()
}

fn table(rows: &[[String; 6]]) -> String {
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
