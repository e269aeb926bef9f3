//! `kubectl podnet cilium install | history | get-values | uninstall`: Helm-compatible releases.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use comfy_table::{Table, presets};

use super::oci::RegistryArgs;
use super::{GlobalArgs, Output, stdout_write};
use crate::cilium::lifecycle::{self, InstallPlan};
use crate::cilium::validate::{self, Context};
use crate::cilium::{facts::NetworkFacts, versions};
use crate::error::{Error, Result};
use crate::helm::{Chart, Values};
use crate::kube::Target;
use crate::oci::{self, ChartRef};
use crate::release::Store;
use crate::report::Report;

#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct InstallArgs {
    /// Chart: a .tgz or oci://HOST/REPO[:TAG|@sha256:DIGEST]
    #[arg(long, value_name = "CHART", default_value = oci::DEFAULT_CHART)]
    pub chart: String,
    /// Chart version for an OCI chart
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Values files (e.g. from `kubectl podnet cilium values`), merged in order; `-` reads stdin
    #[arg(short = 'f', long = "values", value_name = "FILE", required = true)]
    pub values: Vec<PathBuf>,
    /// Release name
    #[arg(long, value_name = "NAME", default_value = "cilium")]
    pub release: String,
    /// Install even if the values fail validation
    #[arg(long)]
    pub force: bool,
    /// Server-side apply field manager (Helm's CLI applies as `helm`; share it to avoid conflicts)
    #[arg(long, value_name = "NAME", default_value = lifecycle::FIELD_MANAGER)]
    pub field_manager: String,
    /// Wait until the agent is ready on every hybrid node and the operator is available
    #[arg(long)]
    pub wait: bool,
    /// Limit for --wait
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = super::oci::parse_duration)]
    pub timeout: std::time::Duration,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// Release name
    #[arg(long, value_name = "NAME", default_value = "cilium")]
    pub release: String,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Release name
    #[arg(long, value_name = "NAME", default_value = "cilium")]
    pub release: String,
    /// Also delete the *.cilium.io CRDs (and with them every Cilium custom resource)
    #[arg(long)]
    pub purge_crds: bool,
}

fn target(g: &GlobalArgs) -> Target {
    Target {
        kubeconfig: g.kubeconfig.clone(),
        context: g.context.clone(),
    }
}

fn namespace(g: &GlobalArgs) -> String {
    g.namespace.clone().unwrap_or_else(|| "kube-system".into())
}

/// A chart archive's files: chart-relative path and bytes.
type ChartFiles = Vec<(String, Vec<u8>)>;

/// Loads a chart from a .tgz or oci://, with the archive's files for the release record.
fn load_chart(
    chart: &str,
    version: Option<&str>,
    registry: &RegistryArgs,
) -> Result<(Chart, ChartFiles)> {
    let path = if chart.starts_with("oci://") {
        let r: ChartRef = chart
            .parse()
            .map_err(|e: oci::reference::RefError| Error::flag("--chart", e.to_string()))?;
        oci::resolve_chart(&r, &registry.pull_options(version)?)?.path
    } else {
        PathBuf::from(chart)
    };
    let bytes = std::fs::read(&path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    let bad_chart = |e: crate::helm::LoadError| Error::Input {
        location: path.display().to_string(),
        message: format!("cannot load the chart: {}", e.0),
        help: Some("pass a chart .tgz or oci://…".into()),
    };
    let files = crate::helm::chart::read_tgz(&bytes).map_err(bad_chart)?;
    let chart = Chart::load_archive(&bytes).map_err(bad_chart)?;
    Ok((chart, files))
}

pub fn install(a: InstallArgs, g: &GlobalArgs) -> Result<u8> {
    let (chart, files) = load_chart(&a.chart, a.version.as_deref(), &a.registry)?;
    // Values: Helm's reading for the release, podnet's rules before anything touches the cluster.
    let mut values = Values::new();
    let mut merged = serde_json::json!({});
    for p in &a.values {
        let doc = crate::input::read_values(p, true)?;
        crate::input::merge(&mut merged, &doc.value);
        let text = serde_json::to_string(&doc.value).unwrap_or_default();
        values
            .add_yaml_file(&doc.source, &text)
            .map_err(|e| Error::Input {
                location: doc.source.clone(),
                message: e.to_string(),
                help: None,
            })?;
    }
    let chart_version = chart
        .metadata
        .get("version")
        .map(|v| crate::helm::funcs::strval(&v))
        .unwrap_or_default();
    let minor = versions::resolve(Some(&chart_version)).unwrap_or_else(|_| versions::newest());
    let facts = NetworkFacts::default();
    let report = Report::new(validate::validate(
        &merged,
        &Context {
            minor,
            facts: &facts,
            nodes: None,
        },
    ));
    if !report.valid {
        let mut buf = Vec::new();
        let _ = report.write_table(&mut buf, g.color_for(std::io::stderr().is_terminal()));
        eprint!("{}", String::from_utf8_lossy(&buf));
        if !a.force {
            eprintln!("error: the values are invalid (see above); fix them or pass --force");
            return Ok(super::EXIT_FINDINGS);
        }
    }

    let ns = namespace(g);
    let rt = super::runtime()?;
    let outcome = rt.block_on(async {
        let client = crate::kube::client(&target(g)).await?;
        let checks =
            crate::report::Report::new(lifecycle::preinstall_checks(&client, &ns, &merged).await?);
        if !checks.findings.is_empty() {
            let mut buf = Vec::new();
            let _ = checks.write_table(&mut buf, g.color_for(std::io::stderr().is_terminal()));
            eprint!("{}", String::from_utf8_lossy(&buf));
        }
        if !checks.valid && !a.force {
            return Err(Error::Conflict {
                message: "the cluster is not ready for Cilium (see the findings above)".into(),
                help: Some("fix them, or pass --force to install anyway".into()),
            });
        }
        let o = lifecycle::install(
            &client,
            &InstallPlan {
                release: &a.release,
                namespace: &ns,
                chart: &chart,
                chart_files: &files,
                values: &values,
                field_manager: &a.field_manager,
            },
        )
        .await?;
        if a.wait {
            wait_with_progress(&client, &a.release, &ns, a.timeout).await?;
        }
        Ok::<_, Error>(o)
    })?;
    let r = &outcome.release;
    let text = match g.output {
        Some(Output::Json) => format!("{}\n", serde_json::to_string_pretty(&serde_json::json!({
            "name": r.name(), "namespace": r.namespace(), "revision": r.version(), "status": r.status(),
            "chart": format!("{}-{}", r.chart_name(), r.chart_version()), "objects": outcome.applied,
        })).unwrap_or_default()),
        _ => format!(
            "NAME: {}\nNAMESPACE: {}\nREVISION: {}\nSTATUS: {}\nCHART: {}-{}\nOBJECTS APPLIED: {}\n",
            r.name(), r.namespace(), r.version(), r.status(), r.chart_name(), r.chart_version(), outcome.applied
        ),
    };
    stdout_write(text.as_bytes())?;
    Ok(0)
}

pub fn history(a: ReleaseArgs, g: &GlobalArgs) -> Result<u8> {
    let ns = namespace(g);
    let h = super::runtime()?.block_on(async {
        let client = crate::kube::client(&target(g)).await?;
        Store::new(&client, &ns).history(&a.release).await
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
            format!("{}\n", t.trim_fmt())
        }
    };
    stdout_write(text.as_bytes())?;
    Ok(0)
}

pub fn get_values(a: ReleaseArgs, g: &GlobalArgs) -> Result<u8> {
    let ns = namespace(g);
    let h = super::runtime()?.block_on(async {
        let client = crate::kube::client(&target(g)).await?;
        Store::new(&client, &ns).history(&a.release).await
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

pub fn uninstall(a: UninstallArgs, g: &GlobalArgs) -> Result<u8> {
    let ns = namespace(g);
    let (deleted, kept) = super::runtime()?.block_on(async {
        let client = crate::kube::client(&target(g)).await?;
        lifecycle::uninstall(&client, &a.release, &ns, a.purge_crds).await
    })?;
    let mut out = format!(
        "release \"{}\" uninstalled: {} object(s) deleted\n",
        a.release,
        deleted.len()
    );
    for k in &kept {
        out.push_str(&format!("kept: {k}\n"));
    }
    out.push_str("note: Cilium leaves interfaces (cilium_host, cilium_net, cilium_vxlan), routes and iptables rules on the hybrid nodes; reboot or clean them before installing another CNI.\n");
    stdout_write(out.as_bytes())?;
    Ok(0)
}

#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct UpgradeArgs {
    /// Chart: a .tgz or oci://HOST/REPO[:TAG|@sha256:DIGEST]
    #[arg(long, value_name = "CHART", default_value = oci::DEFAULT_CHART)]
    pub chart: String,
    /// Chart version for an OCI chart
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Values merged over the deployed revision's (as `helm get values` + `-f` does)
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Release name
    #[arg(long, value_name = "NAME", default_value = "cilium")]
    pub release: String,
    /// Allow skipping a minor version or downgrading
    #[arg(long)]
    pub force: bool,
    /// Server-side apply field manager
    #[arg(long, value_name = "NAME", default_value = lifecycle::FIELD_MANAGER)]
    pub field_manager: String,
    /// Only run AWS's preflight check for the target version (release cilium-preflight, removed after)
    #[arg(long)]
    pub preflight: bool,
    /// How long to wait for the preflight pods
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = super::oci::parse_duration)]
    pub timeout: std::time::Duration,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Revision to return to [default: the one before the deployed revision]
    pub revision: Option<i64>,
    /// Release name
    #[arg(long, value_name = "NAME", default_value = "cilium")]
    pub release: String,
    /// Server-side apply field manager
    #[arg(long, value_name = "NAME", default_value = lifecycle::FIELD_MANAGER)]
    pub field_manager: String,
}

fn print_outcome(o: &lifecycle::Outcome, g: &GlobalArgs) -> Result<()> {
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

pub fn upgrade(a: UpgradeArgs, g: &GlobalArgs) -> Result<u8> {
    let (chart, files) = load_chart(&a.chart, a.version.as_deref(), &a.registry)?;
    let mut new_values = serde_json::json!({});
    for p in &a.values {
        let doc = crate::input::read_values(p, true)?;
        crate::input::merge(&mut new_values, &doc.value);
    }
    let ns = namespace(g);
    if a.preflight {
        return preflight(&a, g, &chart, &files, &new_values, &ns);
    }
    let o = super::runtime()?.block_on(async {
        let client = crate::kube::client(&target(g)).await?;
        lifecycle::upgrade(
            &client,
            &lifecycle::UpgradePlan {
                release: &a.release,
                namespace: &ns,
                chart: &chart,
                chart_files: &files,
                new_values: &new_values,
                field_manager: &a.field_manager,
                force: a.force,
            },
        )
        .await
    })?;
    print_outcome(&o, g)?;
    Ok(0)
}

pub fn rollback(a: RollbackArgs, g: &GlobalArgs) -> Result<u8> {
    let ns = namespace(g);
    let o = super::runtime()?.block_on(async {
        let client = crate::kube::client(&target(g)).await?;
        lifecycle::rollback(&client, &a.release, &ns, a.revision, &a.field_manager).await
    })?;
    print_outcome(&o, g)?;
    Ok(0)
}

pub fn status(a: ReleaseArgs, g: &GlobalArgs) -> Result<u8> {
    let ns = namespace(g);
    let s = super::runtime()?.block_on(async {
        let client = crate::kube::client(&target(g)).await?;
        lifecycle::status(&client, &a.release, &ns).await
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
                        p["blocksInUse"],
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
            for f in &s.findings {
                t.push_str(&format!(
                    "{}: {} — {}\n",
                    f.severity.as_str(),
                    f.id,
                    f.message
                ));
            }
            t
        }
    };
    stdout_write(text.as_bytes())?;
    Ok(if failing { super::EXIT_FINDINGS } else { 0 })
}

fn preflight(
    a: &UpgradeArgs,
    g: &GlobalArgs,
    chart: &Chart,
    files: &[(String, Vec<u8>)],
    new_values: &serde_json::Value,
    ns: &str,
) -> Result<u8> {
    let report = super::runtime()?.block_on(async {
        let client = crate::kube::client(&target(g)).await?;
        // The deployed values, as the real upgrade would use them.
        let history = Store::new(&client, ns).history(&a.release).await?;
        let mut base = history
            .last()
            .map(|r| r.config().clone())
            .unwrap_or_else(|| serde_json::json!({}));
        crate::input::merge(&mut base, new_values);
        if std::io::stderr().is_terminal() {
            eprintln!(
                "preflight: installing {} and waiting up to {:?} …",
                lifecycle::PREFLIGHT_RELEASE,
                a.timeout
            );
        }
        lifecycle::preflight(
            &client,
            ns,
            chart,
            files,
            &base,
            &a.field_manager,
            a.timeout,
        )
        .await
    })?;
    let text = match g.output {
        Some(Output::Json) => format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ),
        _ => {
            let mut t = format!(
                "preflight for chart {}: {} — pre-flight pods ready on {}/{} agent nodes, deployment {}\n",
                report.chart,
                if report.passed { "PASSED" } else { "FAILED" },
                report.ready_nodes,
                report.agent_nodes,
                if report.deployment_ready {
                    "ready"
                } else {
                    "not ready"
                }
            );
            for p in &report.problems {
                t.push_str(&format!("  {p}\n"));
            }
            t.push_str(if report.cleaned_up { "cilium-preflight removed\n" } else { "warning: cilium-preflight could not be removed; run `kubectl podnet cilium uninstall --release cilium-preflight`\n" });
            t
        }
    };
    stdout_write(text.as_bytes())?;
    Ok(if report.passed {
        0
    } else {
        super::EXIT_FINDINGS
    })
}

/// `--wait`: a spinner on a terminal saying what is not ready yet.
async fn wait_with_progress(
    client: &kube::Client,
    release: &str,
    ns: &str,
    timeout: std::time::Duration,
) -> Result<()> {
    let pb = std::io::stderr().is_terminal().then(|| {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        pb
    });
    let r = lifecycle::wait_ready(client, release, ns, timeout, |m| {
        if let Some(pb) = &pb {
            pb.set_message(format!("waiting: {m}"));
        }
    })
    .await;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    r.map(|_| ())
}
