//! `kubectl podnet cilium upgrade`: deployed values reused, AWS's preflight, pool and minor-skip
//! guards, diff and dry run, prune, supersede, optional rollback on failure.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::outcome::print_outcome;
use crate::cilium::lifecycle;
use crate::cilium::preflight::{self, PreflightReport};
use crate::cli::flags::{ApplyArgs, ChartSource, GlobalArgs, Output, SetArgs, read_files};
use crate::cli::out::{self, Progress, stdout_write};
use crate::error::{Error, Result};
use crate::helm::{Chart, Values};

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
    for doc in crate::helm::split_manifests(manifest) {
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
        crate::helm::split_manifests(m)
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

pub fn run(a: UpgradeArgs, g: &GlobalArgs) -> Result<u8> {
    let (chart, files) = a.source.load()?;
    let mut values = Values::new();
    read_files(&a.values, &mut values)?;
    a.set.apply(&mut values)?;
    let new_values = values.as_json();
    let ns = g.release_namespace();
    if a.preflight {
        return run_preflight(&a, g, &chart, &files, &new_values, &ns).map(|r| r.0);
    }
    let progress = Progress::start();
    let say = |m: &str| progress.say(m);
    let rt = out::runtime()?;
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
    let client = rt.block_on(crate::kube::client(&g.target()))?;
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
        let (code, report) = run_preflight(&a, g, &chart, &files, &new_values, &ns)?;
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

fn run_preflight(
    a: &UpgradeArgs,
    g: &GlobalArgs,
    chart: &Chart,
    files: &[(String, Vec<u8>)],
    new_values: &serde_json::Value,
    ns: &str,
) -> Result<(u8, PreflightReport)> {
    let report = out::runtime()?.block_on(async {
        let client = crate::kube::client(&g.target()).await?;
        // The deployed values, as the real upgrade would use them.
        let history = lifecycle::store(&client, ns).history(&a.release).await?;
        let mut base = history
            .last()
            .map(|r| r.config().clone())
            .unwrap_or_else(|| serde_json::json!({}));
        crate::input::merge(&mut base, new_values);
        if std::io::stderr().is_terminal() {
            eprintln!(
                "preflight: installing {} and waiting up to {:?} …",
                preflight::PREFLIGHT_RELEASE,
                a.apply.timeout
            );
        }
        preflight::preflight(
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
    let code = if report.passed { 0 } else { out::EXIT_FINDINGS };
    Ok((code, report))
}
