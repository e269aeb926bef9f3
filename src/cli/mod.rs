//! Command line: clap definitions and dispatch. Business logic lives in the library modules;
//! this layer turns flags into plans, runs them, and maps results to exit codes.

mod audit;
mod cilium;
mod lifecycle;
mod maxpods;
pub mod oci;
mod source;
mod template;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::error::Error;
use crate::report::{ColorChoice, Stream, TextStyle};

/// Exit codes: 0 ok, 1 findings at or above `--fail-on` (or invalid values), 2 usage or runtime error.
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-podnet",
    bin_name = "kubectl podnet",
    version,
    about = "Plan, validate and operate pod networking on Amazon EKS clusters with hybrid nodes",
    long_about = "Plan, validate and operate pod networking on Amazon EKS clusters with hybrid nodes.\n\n\
Cilium on EKS Hybrid Nodes: generate and validate Helm values whose pod CIDRs fit the cluster's \
networks (`kubectl podnet cilium values`, `kubectl podnet cilium validate`).",
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

/// Flags every kubectl user knows, spelled the way kubectl spells them.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Path to the kubeconfig file to use for CLI requests
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The name of the kubeconfig context to use
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Namespace of the release (default kube-system for cilium commands)
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Output format
    #[arg(short = 'o', long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<Output>,
    /// More logging on stderr (-v info, -vv debug, -vvv trace)
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to colour output: auto colours on a terminal unless NO_COLOR is set
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value_t = ColorChoice::Auto,
        overrides_with = "no_color"
    )]
    pub color: ColorChoice,
    /// The same as --color never
    #[arg(long, global = true, overrides_with = "color")]
    pub no_color: bool,
    /// Line width of findings and reports [default: the terminal's width; else $COLUMNS; else 80].
    /// Findings print as a list at 80 columns and below, as a table when wider
    #[arg(long, global = true, value_name = "COLUMNS", value_parser = clap::value_parser!(u16).range(20..))]
    pub width: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
    Yaml,
    /// SARIF 2.1.0 (audit)
    Sarif,
    /// JUnit XML (audit)
    Junit,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Cilium for EKS Hybrid Nodes: values and validation
    #[command(subcommand)]
    Cilium(Box<cilium::CiliumCommand>),
    /// Audit VPC CNI custom networking: ENIConfigs, subnets, pod IPs, max pods, Windows, hybrid nodes
    Audit(audit::AuditArgs),
    /// Max pods per node of the Amazon VPC CNI for an instance type
    MaxPods(maxpods::MaxPodsArgs),
    /// Chart cache: list and prune charts pulled from OCI registries
    #[command(subcommand)]
    Cache(oci::CacheCommand),
    /// Print the version and git commit of this build
    Version,
    /// Print a shell completion script
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

impl GlobalArgs {
    /// `--color`, with `--no-color` as `--color never`.
    pub fn color_choice(&self) -> ColorChoice {
        if self.no_color {
            ColorChoice::Never
        } else {
            self.color
        }
    }

    /// Whether to colour output to a terminal (`tty`) or not: see [`ColorChoice::enabled`].
    pub fn color_for(&self, tty: bool) -> bool {
        self.color_choice().enabled(tty)
    }

    /// Width and colour of human text written to `stream`: see [`TextStyle::detect`].
    pub fn text_style(&self, stream: Stream) -> TextStyle {
        TextStyle::detect(stream, self.width.map(usize::from), self.color_choice())
    }
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
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PODNET_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("podnet={level},kubectl_podnet={level}"))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_target(false)
        .try_init();
}

fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Cilium(c) => cilium::run(*c, &cli.global),
        Command::Audit(a) => audit::run(a, &cli.global),
        Command::MaxPods(a) => maxpods::run(a, &cli.global),
        Command::Cache(c) => oci::cache(c, &cli.global),
        Command::Version => version(&cli.global),
        Command::Completion { shell } => {
            let mut cmd = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "kubectl-podnet", &mut buf);
            stdout_write(&buf)?;
            Ok(0)
        }
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

fn version(g: &GlobalArgs) -> Result<u8, Error> {
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

/// A single-threaded async runtime for the commands that talk to AWS or Kubernetes.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Conflict {
            message: format!("cannot start the async runtime: {e}"),
            help: None,
        })
}

/// Writes the command's result to stdout; a closed pipe (`| head`) is not an error worth a trace.
pub fn stdout_write(bytes: &[u8]) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|source| Error::Write {
            path: PathBuf::from("<stdout>"),
            source,
        })
}

/// A borderless table as kubectl prints one: no left margin, three spaces between columns.
pub(crate) fn table_text(t: &mut comfy_table::Table) -> String {
    for c in t.column_iter_mut() {
        c.set_padding((0, 3));
    }
    t.trim_fmt()
}
