//! Command line: the top-level parser, dispatch, and the mapping of results to exit codes.
//! Business logic lives in the library modules; this layer turns flags into plans, runs them and
//! prints the result.
//!
//! One file per command (`audit`, `maxpods`, `cache`, `version`, `completion`; `cilium/` with one
//! file per subcommand); the flags shared between commands in [`flags`], output plumbing in
//! [`out`]. A command file imports `flags`, `out` and library modules, never another command.

mod audit;
mod cache;
mod cilium;
mod completion;
pub mod flags;
mod maxpods;
pub mod out;
mod version;

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::error::Error;
use flags::GlobalArgs;
pub use out::{EXIT_ERROR, EXIT_FINDINGS, stdout_write};

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-podnet",
    bin_name = "kubectl podnet",
    version,
    about = "Plan, validate and operate pod networking on Amazon EKS clusters with hybrid nodes",
    long_about = "Plan, validate and operate pod networking on Amazon EKS clusters with hybrid nodes.\n\n\
Cilium on EKS Hybrid Nodes (`kubectl podnet cilium`): generate and validate Helm values whose pod CIDRs \
fit the cluster's networks; pull and render the chart exactly as Helm v4 does; install, upgrade (with \
AWS's preflight), roll back, inspect and uninstall the Helm release, recorded the way Helm records it.\n\n\
Amazon VPC CNI: audit custom networking (`kubectl podnet audit`) and compute max pods per instance \
type (`kubectl podnet max-pods`).",
    after_help = "Exit codes: 0 ok; 1 findings at or above --fail-on, or invalid values; 2 usage or runtime error.",
    propagate_version = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Cilium for EKS Hybrid Nodes: values, validation, the chart, and install/upgrade/rollback/status/uninstall
    #[command(subcommand, long_about = cilium::ABOUT)]
    Cilium(Box<cilium::CiliumCommand>),
    /// Audit VPC CNI custom networking: ENIConfigs, subnets, pod IPs, max pods, Windows, hybrid nodes
    Audit(audit::AuditArgs),
    /// Max pods per node of the Amazon VPC CNI for an instance type
    MaxPods(maxpods::MaxPodsArgs),
    /// Chart cache: list and prune charts pulled from OCI registries
    #[command(subcommand)]
    Cache(cache::CacheCommand),
    /// Print the version and git commit of this build
    Version,
    /// Print a shell completion script
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Parses, runs, reports. The only place that decides exit codes.
pub fn main() -> ExitCode {
    // `kubectl podnet __man [DIR]`: man pages for the release archives (krew/dist.sh). Handled before
    // clap so that help and shell completions never offer it.
    let mut args = std::env::args_os().skip(1);
    if args.next().is_some_and(|a| a == "__man") {
        return match man_pages(args.next().map(PathBuf::from)) {
            Ok(code) => ExitCode::from(code),
            Err(e) => {
                eprintln!("{:?}", miette::Report::new(e));
                ExitCode::from(EXIT_ERROR)
            }
        };
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_tracing(cli.global.verbose);
    let color = cli.global.color_for(io::stderr().is_terminal());
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .color(color)
                .unicode(color)
                .terminal_links(false)
                // Unwrapped on pipes and in CI logs, so names and reasons stay greppable.
                .wrap_lines(color)
                .build(),
        )
    }));
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("{:?}", miette::Report::new(e));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn is_broken_pipe(e: &Error) -> bool {
    matches!(e, Error::Write { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
}

fn init_tracing(verbose: u8) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(log_filter(verbose))
        .with_writer(io::stderr)
        .with_target(false)
        .try_init();
}

/// Targets whose trace output holds secrets, capped at debug whatever `PODNET_LOG` asks: the AWS
/// SDK traces whole responses (ECR's GetAuthorizationToken is a registry password).
const SECRET_BEARING_LOGS: &[&str] = &["aws_smithy_runtime=debug", "aws_smithy_runtime_api=debug"];

/// The log filter: podnet's own logs at the `-v` level, or `PODNET_LOG`; never the targets in
/// [`SECRET_BEARING_LOGS`] below debug. Public so the secrets test logs exactly as the CLI does.
pub fn log_filter(verbose: u8) -> tracing_subscriber::EnvFilter {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let mut filter =
        tracing_subscriber::EnvFilter::try_from_env("PODNET_LOG").unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(format!("podnet={level},kubectl_podnet={level}"))
        });
    for d in SECRET_BEARING_LOGS {
        filter = filter.add_directive(d.parse().expect("a valid directive"));
    }
    filter
}

fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Cilium(c) => cilium::run(*c, &cli.global),
        Command::Audit(a) => audit::run(a, &cli.global),
        Command::MaxPods(a) => maxpods::run(a, &cli.global),
        Command::Cache(c) => cache::run(c, &cli.global),
        Command::Version => version::run(&cli.global),
        Command::Completion { shell } => completion::run(shell, Cli::command()),
    }
}

/// Man pages generated from the clap definitions: the top page to stdout, or one page per command
/// into DIR (`kubectl-podnet.1`, `kubectl-podnet-cilium-values.1`, …).
fn man_pages(dir: Option<PathBuf>) -> Result<u8, Error> {
    let cmd = Cli::command();
    match dir {
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut buf)
                .map_err(|source| Error::Write {
                    path: PathBuf::from("<stdout>"),
                    source,
                })?;
            stdout_write(&buf)?;
        }
        Some(dir) => std::fs::create_dir_all(&dir)
            .and_then(|()| clap_mangen::generate_to(cmd, &dir))
            .map_err(|source| Error::Write { path: dir, source })?,
    }
    Ok(0)
}
