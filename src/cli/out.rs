//! Output and process plumbing every command shares: exit codes, stdout, tables, JSON, reports,
//! progress on stderr, confirmation, and the async runtime.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use comfy_table::{ContentArrangement, Table, presets};

use super::flags::{GlobalArgs, Output};
use crate::error::{Error, Result};
use crate::fleet::report::{ClusterReport, FleetReport};
use crate::report::Report;

/// Exit codes: 0 ok, 1 findings at or above `--fail-on` (or invalid values), 2 usage or runtime error.
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// A single-threaded async runtime for the commands that talk to AWS or Kubernetes.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
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
pub fn table_text(t: &mut comfy_table::Table) -> String {
    for c in t.column_iter_mut() {
        c.set_padding((0, 3));
    }
    t.trim_fmt()
}

pub fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    let mut s = serde_json::to_string_pretty(v).map_err(|e| Error::Conflict {
        message: format!("cannot write JSON: {e}"),
        help: None,
    })?;
    s.push('\n');
    Ok(s.into_bytes())
}

pub fn plain_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty()
        .set_header(header.to_vec());
    t
}

pub fn only_table_or_json(g: &GlobalArgs) -> Result<()> {
    if !matches!(g.output, None | Some(Output::Table) | Some(Output::Json)) {
        return Err(Error::flag_help(
            "--output",
            "this command prints table or json",
            "use -o table or -o json",
        ));
    }
    Ok(())
}

pub fn render_report(report: &Report, g: &GlobalArgs, to_stderr: bool) -> Result<()> {
    let mut buf = Vec::new();
    let io_err = |source| Error::Write {
        path: PathBuf::from(if to_stderr { "<stderr>" } else { "<stdout>" }),
        source,
    };
    match g.output {
        Some(Output::Json) if !to_stderr => report.write_json(&mut buf).map_err(io_err)?,
        _ => report
            .write_text(
                &mut buf,
                &g.text_style(if to_stderr {
                    crate::report::Stream::Stderr
                } else {
                    crate::report::Stream::Stdout
                }),
            )
            .map_err(io_err)?,
    }
    if to_stderr {
        io::stderr().write_all(&buf).map_err(io_err)
    } else {
        stdout_write(&buf)
    }
}

pub fn show_report(report: &Report, g: &GlobalArgs) {
    let mut buf = Vec::new();
    let _ = report.write_text(&mut buf, &g.text_style(crate::report::Stream::Stderr));
    eprint!("{}", String::from_utf8_lossy(&buf));
}

/// A spinner on a terminal saying what is not ready yet (nothing when not a terminal).
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    pub fn start() -> Progress {
        Progress(std::io::stderr().is_terminal().then(|| {
            let pb = indicatif::ProgressBar::new_spinner();
            pb.enable_steady_tick(std::time::Duration::from_millis(120));
            pb
        }))
    }
    pub fn say(&self, m: &str) {
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

/// Asks on the terminal; refuses without one (a script must say --yes).
pub fn confirm(question: &str) -> Result<bool> {
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

/// Prints a fleet report in the format `-o` asks for and decides the exit code: 2 when a cluster
/// could not be checked, else 1 when a finding reaches `fail_on`, else 0. The formats were checked
/// before the run; one the command cannot print falls back to text.
pub fn fleet_output<R: ClusterReport>(
    report: &FleetReport<R>,
    g: &GlobalArgs,
    fail_on: crate::report::FailOn,
) -> Result<u8> {
    let text = match g.output {
        Some(Output::Json) => Some(report.json()),
        Some(Output::Sarif) => report.sarif(),
        Some(Output::Junit) => report.junit(),
        _ => None,
    }
    .unwrap_or_else(|| report.text(&g.text_style(crate::report::Stream::Stdout)));
    stdout_write(text.as_bytes())?;
    if report.any_not_checked() {
        let s = report.summary();
        eprintln!(
            "error: {} of {} cluster(s) could not be checked; the report says why",
            s.not_checked, s.clusters
        );
        Ok(EXIT_ERROR)
    } else if report.any_fails(fail_on) {
        Ok(EXIT_FINDINGS)
    } else {
        Ok(0)
    }
}
