//! `kubectl podnet cilium install | history | get-values | uninstall`: Helm-compatible releases.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use comfy_table::{Table, presets};

use super::source::{ChartSource, SetArgs, read_files};
use super::{GlobalArgs, Output, stdout_write};
use crate::cilium::lifecycle::{self, InstallPlan, Ops};
use crate::cilium::validate::{self, Context};
use crate::cilium::versions;
use crate::error::{Error, Result};
use crate::helm::{Chart, Values};
use crate::kube::Target;
use crate::release::Store;
use crate::report::Report;

#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub struct InstallArgs {
    #[command(flatten)]
    pub source: ChartSource,
    /// Values files (e.g. from `kubectl podnet cilium values`), merged in order; `-` reads stdin.
    /// Without -f, the values are generated from the network plan flags (as `cilium values` does)
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    #[command(flatten)]
    pub set: SetArgs,
    #[command(flatten)]
    pub plan: super::cilium::PlanArgs,
    /// Release name
    #[arg(long, value_name = "NAME", default_value = "cilium")]
    pub release: String,
    /// Install even if the values fail validation or the cluster checks fail
    #[arg(long)]
    pub force: bool,
    /// Render and print what would be applied; change nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

/// How changes are applied and awaited.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Server-side apply field manager (Helm's CLI applies as `helm`; share it to avoid conflicts)
    #[arg(long, value_name = "NAME", default_value = lifecycle::FIELD_MANAGER)]
    pub field_manager: String,
    /// Wait until the agent is ready on every hybrid node and the operator is available
    #[arg(long)]
    pub wait: bool,
    /// Limit for --wait, hooks and the preflight
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = super::oci::parse_duration)]
    pub timeout: std::time::Duration,
}

/// A spinner on a terminal saying what is not ready yet (nothing when not a terminal).
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new() -> Progress {
        Progress(std::io::stderr().is_terminal().then(|| {
            let pb = indicatif::ProgressBar::new_spinner();
            pb.enable_steady_tick(std::time::Duration::from_millis(120));
            pb
        }))
    }
    fn say(&self, m: &str) {
        if let Some(pb) = &self.0 {
            pb.set_message(format!("waiting: {m}"));
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}

impl ApplyArgs {
    fn ops<'a>(&'a self, progress: &'a dyn Fn(&str)) -> Ops<'a> {
        Ops {
            field_manager: &self.field_manager,
            timeout: self.timeout,
            wait: self.wait.then_some(progress),
        }
    }
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
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
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

/// Whether the plan flags ask for generated values (like `cilium values`) rather than `-f` alone.
fn generates(a: &InstallArgs) -> bool {
    !a.plan.pod_cidr.is_empty()
        || (a.values.is_empty()
            && (a.plan.facts.cluster.is_some() || !a.plan.facts.remote_pod_network.is_empty()))
}

/// The install's values: generated from the plan flags (with -f merged in as `cilium values`
/// does) or read from -f; then the --set layers; then podnet's validation.
fn install_values(
    a: &InstallArgs,
    g: &GlobalArgs,
    minor: versions::Minor,
) -> Result<(Values, Report)> {
    let mut values = Values::new();
    let facts = if generates(a) {
        let user = super::cilium::load_merged(&a.values, true)?;
        let (plan, generated, _) = super::cilium::generate_values(&a.plan, user, Some(minor), g)?;
        values.add_json(&generated.values);
        plan.facts
    } else {
        if a.values.is_empty() {
            return Err(Error::flag_help(
                "--values",
                "no values given",
                "pass -f FILE (e.g. from `kubectl podnet cilium values`), or the network plan (--pod-cidr …, or --cluster NAME) to generate them",
            ));
        }
        read_files(&a.values, &mut values)?;
        super::cilium::gather_facts(&a.plan.facts)?
    };
    a.set.apply(&mut values)?;
    let report = Report::new(validate::validate(
        &values.as_json(),
        &Context {
            minor,
            facts: &facts,
            nodes: a.plan.facts.nodes,
        },
    ));
    Ok((values, report))
}

fn show_report(report: &Report, g: &GlobalArgs) {
    let mut buf = Vec::new();
    let _ = report.write_text(&mut buf, &g.text_style(crate::report::Stream::Stderr));
    eprint!("{}", String::from_utf8_lossy(&buf));
}

pub fn install(a: InstallArgs, g: &GlobalArgs) -> Result<u8> {
    let (chart, files) = a.source.load()?;
    let chart_version = ChartSource::version_of(&chart);
    let minor = versions::resolve(Some(&chart_version)).unwrap_or_else(|_| versions::newest());
    // Podnet's rules before anything touches the cluster.
    let (values, report) = install_values(&a, g, minor)?;
    let shown: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.id != "check-skipped" || !report.valid)
        .cloned()
        .collect();
    if !shown.is_empty() {
        show_report(&Report::new(shown), g);
    }
    if !report.valid && !a.force {
        eprintln!("error: the values are invalid (see above); fix them or pass --force");
        return Ok(super::EXIT_FINDINGS);
    }
    let ns = namespace(g);
    if a.dry_run {
        return dry_run(&chart, &values, &a.release, &ns, true);
    }
    let rt = super::runtime()?;
    let progress = Progress::new();
    let say = |m: &str| progress.say(m);
    let outcome = rt.block_on(async {
        let client = crate::kube::client(&target(g)).await?;
        let checks =
            Report::new(lifecycle::preinstall_checks(&client, &ns, &values.as_json()).await?);
        if !checks.findings.is_empty() {
            show_report(&checks, g);
        }
        if !checks.valid && !a.force {
            return Err(Error::Conflict {
                message: "the cluster is not ready for Cilium (see the findings above)".into(),
                help: Some("fix them, or pass --force to install anyway".into()),
            });
        }
        lifecycle::install(
            &client,
            &InstallPlan {
                release: &a.release,
                namespace: &ns,
                chart: &chart,
                chart_files: &files,
                values: &values,
                ops: a.apply.ops(&say),
            },
        )
        .await
    })?;
    drop(progress);
    print_outcome(&outcome, g)?;
    Ok(0)
}

/// `--dry-run`: the documents that would be applied (hooks included), as `helm template` prints them.
fn dry_run(chart: &Chart, values: &Values, release: &str, ns: &str, install: bool) -> Result<u8> {
    let opts = crate::helm::RenderOptions {
        release_name: release.to_string(),
        namespace: ns.to_string(),
        is_install: install,
        is_upgrade: !install,
        ..Default::default()
    };
    let docs = crate::helm::render(chart, values, &opts).map_err(|e| Error::Conflict {
        message: format!("rendering failed: {e}"),
        help: None,
    })?;
    let mut out = Vec::new();
    crate::helm::write_template_stream(&mut out, &docs).map_err(|source| Error::Write {
        path: PathBuf::from("<stdout>"),
        source,
    })?;
    stdout_write(&out)?;
    eprintln!(
        "dry run: {} document(s) for release {release} in {ns} ({} hook(s)); nothing was applied",
        docs.len(),
        docs.iter().filter(|d| d.hook).count()
    );
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
            format!("{}\n", super::table_text(&mut t))
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

/// Asks on the terminal; refuses without one (a script must say --yes).
fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::flag_help(
            "--yes",
            "confirmation needed and stdin is not a terminal",
            "pass --yes to confirm",
        ));
    }
    eprint!("{question} [y/N] ");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|source| Error::Read {
            path: PathBuf::from("<stdin>"),
            source,
        })?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

pub fn uninstall(a: UninstallArgs, g: &GlobalArgs) -> Result<u8> {
    let ns = namespace(g);
    if !a.yes {
        let what = if a.purge_crds {
            " and delete every *.cilium.io CRD with all Cilium resources"
        } else {
            ""
        };
        if !confirm(&format!(
            "Uninstall release {} from {ns}{what}? Pods on hybrid nodes lose networking.",
            a.release
        ))? {
            eprintln!("aborted; nothing was changed");
            return Ok(super::EXIT_ERROR);
        }
    }
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
    #[command(flatten)]
    pub source: ChartSource,
    /// Values merged over the deployed revision's (as `helm get values` + `-f` does)
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    #[command(flatten)]
    pub set: SetArgs,
    /// Release name
    #[arg(long, value_name = "NAME", default_value = "cilium")]
    pub release: String,
    /// Allow skipping a minor version or downgrading
    #[arg(long)]
    pub force: bool,
    /// Only run AWS's preflight check for the target version (release cilium-preflight, removed after)
    #[arg(long, conflicts_with = "skip_preflight")]
    pub preflight: bool,
    /// Upgrade without running the preflight check first
    #[arg(long)]
    pub skip_preflight: bool,
    /// Print the values diff and the manifest diff, change nothing
    #[arg(long)]
    pub diff: bool,
    /// Print the documents the upgrade would apply, change nothing
    #[arg(long, conflicts_with = "diff")]
    pub dry_run: bool,
    /// If the upgrade fails, roll back to the revision that was deployed
    #[arg(long)]
    pub rollback_on_failure: bool,
    /// Go on from the last deployed revision when an earlier run was interrupted (pending-*)
    #[arg(long)]
    pub recover: bool,
    #[command(flatten)]
    pub apply: ApplyArgs,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Revision to return to [default: the one before the deployed revision]
    pub revision: Option<i64>,
    /// Release name
    #[arg(long, value_name = "NAME", default_value = "cilium")]
    pub release: String,
    #[command(flatten)]
    pub apply: ApplyArgs,
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

/// A unified diff of two texts (empty when equal).
fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

/// Secret values in a manifest replaced by a short digest, so a diff says that a key changed
/// without printing it.
fn redact_secrets(manifest: &str) -> String {
    use sha2::Digest as _;
    let mut out = String::with_capacity(manifest.len());
    for doc in crate::helm::render::split_manifests(manifest) {
        let is_secret = doc.lines().any(|l| l == "kind: Secret");
        let mut in_data = false;
        out.push_str("---\n");
        for line in doc.lines() {
            if !line.starts_with(' ') {
                in_data = is_secret && (line == "data:" || line == "stringData:");
            } else if in_data
                && let Some((key, value)) = line.split_once(": ")
                && !key.trim_start().is_empty()
            {
                let digest = sha2::Sha256::digest(value.trim().as_bytes());
                let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
                out.push_str(&format!("{key}: (hidden, sha256 {short}…)\n"));
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `Kind/name` of each object that differs between two manifests (added, removed or changed).
fn changed_objects(old: &str, new: &str) -> Vec<String> {
    let index = |m: &str| -> std::collections::BTreeMap<String, String> {
        crate::helm::render::split_manifests(m)
            .into_iter()
            .map(|d| {
                let field = |k: &str| {
                    d.lines()
                        .find_map(|l| l.strip_prefix(k))
                        .unwrap_or("?")
                        .trim()
                        .to_string()
                };
                (format!("{}/{}", field("kind:"), field("  name:")), d)
            })
            .collect()
    };
    let (a, b) = (index(old), index(new));
    let mut out: Vec<String> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, _)| {
            if b.contains_key(k) {
                format!("~ {k}")
            } else {
                format!("- {k}")
            }
        })
        .collect();
    out.extend(
        b.keys()
            .filter(|k| !a.contains_key(*k))
            .map(|k| format!("+ {k}")),
    );
    out
}

/// The values and manifest diffs between the deployed revision and the prepared one.
fn diffs(p: &lifecycle::PreparedUpgrade) -> Result<String> {
    let (b, n) = (&p.base, &p.next);
    let mut out = String::new();
    let vd = unified(
        &crate::cilium::generate::to_yaml(b.config())?,
        &crate::cilium::generate::to_yaml(n.config())?,
        &format!("values (revision {})", b.version()),
        &format!("values (revision {})", n.version()),
    );
    out.push_str(if vd.is_empty() {
        "values: unchanged\n"
    } else {
        &vd
    });
    let md = unified(
        &redact_secrets(b.manifest()),
        &redact_secrets(n.manifest()),
        &format!(
            "manifest (revision {}, {}-{})",
            b.version(),
            b.chart_name(),
            b.chart_version()
        ),
        &format!(
            "manifest (revision {}, {}-{})",
            n.version(),
            n.chart_name(),
            n.chart_version()
        ),
    );
    out.push_str(if md.is_empty() {
        "manifest: unchanged\n"
    } else {
        &md
    });
    Ok(out)
}

pub fn upgrade(a: UpgradeArgs, g: &GlobalArgs) -> Result<u8> {
    let (chart, files) = a.source.load()?;
    let mut values = Values::new();
    read_files(&a.values, &mut values)?;
    a.set.apply(&mut values)?;
    let new_values = values.as_json();
    let ns = namespace(g);
    if a.preflight {
        return preflight(&a, g, &chart, &files, &new_values, &ns).map(|r| r.0);
    }
    let progress = Progress::new();
    let say = |m: &str| progress.say(m);
    let rt = super::runtime()?;
    let plan = lifecycle::UpgradePlan {
        release: &a.release,
        namespace: &ns,
        chart: &chart,
        chart_files: &files,
        new_values: &new_values,
        ops: a.apply.ops(&say),
        force: a.force,
        recover: a.recover,
    };
    let client = rt.block_on(crate::kube::client(&target(g)))?;
    let prepared = rt.block_on(lifecycle::prepare_upgrade(&client, &plan))?;
    if a.diff {
        stdout_write(diffs(&prepared)?.as_bytes())?;
        return Ok(0);
    }
    if a.dry_run {
        let mut text = prepared.next.manifest().to_string();
        for h in prepared.next.0["hooks"].as_array().into_iter().flatten() {
            text.push_str(&format!(
                "---\n# Source: {}\n{}\n",
                h["path"].as_str().unwrap_or(""),
                h["manifest"].as_str().unwrap_or("")
            ));
        }
        stdout_write(text.as_bytes())?;
        eprintln!(
            "dry run: revision {} of {} would be applied; nothing was changed",
            prepared.next.version(),
            a.release
        );
        return Ok(0);
    }
    // A summary goes to stderr (stdout stays one document for -o json); --diff shows it all.
    let values_diff = unified(
        &crate::cilium::generate::to_yaml(prepared.base.config())?,
        &crate::cilium::generate::to_yaml(prepared.next.config())?,
        "values (deployed)",
        "values (new)",
    );
    eprint!(
        "{}",
        if values_diff.is_empty() {
            "values: unchanged\n"
        } else {
            &values_diff
        }
    );
    let changed = changed_objects(prepared.base.manifest(), prepared.next.manifest());
    eprintln!("objects changed: {}", changed.len());
    for c in &changed {
        eprintln!("  {c}");
    }
    if !a.skip_preflight && prepared.deployed.is_none() {
        eprintln!("note: no deployed revision (the agent is not running), so no preflight check");
    } else if !a.skip_preflight {
        let (code, report) = preflight(&a, g, &chart, &files, &new_values, &ns)?;
        if !report.passed {
            eprintln!(
                "error: the preflight check failed; the release was not upgraded (--skip-preflight upgrades anyway)"
            );
            return Ok(code);
        }
    }
    let deployed_rev = prepared.deployed.as_ref().map(|r| r.version());
    let result = rt.block_on(lifecycle::apply_upgrade(&client, prepared, plan.ops));
    let o = match (result, a.rollback_on_failure, deployed_rev) {
        (Ok(o), _, _) => o,
        (Err(e), true, Some(rev)) => {
            eprintln!("error: {e}\nrolling back to revision {rev} (--rollback-on-failure)");
            let o = rt.block_on(lifecycle::rollback(
                &client,
                &a.release,
                &ns,
                Some(rev),
                plan.ops,
            ))?;
            drop(progress);
            print_outcome(&o, g)?;
            return Err(Error::Conflict {
                message: format!("upgrade failed and was rolled back to revision {rev}: {e}"),
                help: Some(
                    "`kubectl podnet cilium history` shows the failed revision and the rollback"
                        .into(),
                ),
            });
        }
        (Err(e), _, _) => return Err(e),
    };
    drop(progress);
    print_outcome(&o, g)?;
    Ok(0)
}

pub fn rollback(a: RollbackArgs, g: &GlobalArgs) -> Result<u8> {
    let ns = namespace(g);
    let progress = Progress::new();
    let say = |m: &str| progress.say(m);
    let o = super::runtime()?.block_on(async {
        let client = crate::kube::client(&target(g)).await?;
        lifecycle::rollback(&client, &a.release, &ns, a.revision, a.apply.ops(&say)).await
    })?;
    drop(progress);
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
    Ok(if failing { super::EXIT_FINDINGS } else { 0 })
}

fn preflight(
    a: &UpgradeArgs,
    g: &GlobalArgs,
    chart: &Chart,
    files: &[(String, Vec<u8>)],
    new_values: &serde_json::Value,
    ns: &str,
) -> Result<(u8, lifecycle::PreflightReport)> {
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
                a.apply.timeout
            );
        }
        lifecycle::preflight(
            &client,
            ns,
            chart,
            files,
            &base,
            &a.apply.field_manager,
            a.apply.timeout,
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
    // Before an upgrade the preflight result is a step, not the command's output.
    if a.preflight {
        stdout_write(text.as_bytes())?;
    } else {
        eprint!("{text}");
    }
    let code = if report.passed {
        0
    } else {
        super::EXIT_FINDINGS
    };
    Ok((code, report))
}
