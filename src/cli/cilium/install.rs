//! `kubectl podnet cilium install`: Cilium as a Helm release — validated values, cluster checks,
//! server-side apply, Helm's records.

use std::path::PathBuf;

use clap::Args;

use super::outcome::print_outcome;
use super::plan::{gather_facts, generate_values, load_merged};
use crate::cilium::lifecycle::{self, InstallPlan};
use crate::cilium::validate::{self, Context};
use crate::cilium::versions;
use crate::cli::flags::{ApplyArgs, ChartSource, GlobalArgs, PlanArgs, SetArgs, read_files};
use crate::cli::out::{self, Progress, show_report, stdout_write};
use crate::error::{Error, Result};
use crate::helm::{Chart, Values};
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
    pub plan: PlanArgs,
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
        let user = load_merged(&a.values, true)?;
        let (plan, generated, _) = generate_values(&a.plan, user, Some(minor), g)?;
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
        gather_facts(&a.plan.facts)?
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

pub fn run(a: InstallArgs, g: &GlobalArgs) -> Result<u8> {
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
        return Ok(out::EXIT_FINDINGS);
    }
    let ns = g.release_namespace();
    if a.dry_run {
        return dry_run(&chart, &values, &a.release, &ns, true);
    }
    let rt = out::runtime()?;
    let progress = Progress::start();
    let say = |m: &str| progress.say(m);
    let outcome = rt.block_on(async {
        let client = crate::kube::client(&g.target()).await?;
        let checks = Report::new(
            crate::cilium::preinstall::preinstall_checks(&client, &ns, &values.as_json()).await?,
        );
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
