//! Findings as text for people, at any width.
//!
//! Two layouts. At [`LIST_MAX_WIDTH`] columns and below, each finding is a block, as cargo and
//! cargo-deny print diagnostics:
//!
//! ```text
//! error[pod-cidr-overlaps-vpc]
//!   where: ipam.operator.clusterPoolIPv4PodCIDRList[0]
//!    what: pod CIDR 10.0.0.0/16 overlaps the VPC CIDR 10.0.0.0/16
//!     fix: pick a pod CIDR outside the VPC
//! ```
//!
//! Wider, findings are a kubectl-style table (SEVERITY, ID, WHERE, FINDING) when every token fits
//! its column, and the list otherwise. Text wraps only at spaces: check IDs, object names, values
//! paths, CIDRs and URLs are never split; a token longer than the line stays whole on a line of its
//! own (and overflows it). Widths count characters: everything printed here is ASCII apart from a
//! few punctuation marks (`—`, `…`) that are one column wide.

use std::io::IsTerminal;

use super::severity::Severity;

/// Widths up to this one get the list layout.
pub const LIST_MAX_WIDTH: usize = 80;
/// The width when the output is not a terminal and `COLUMNS` is not set.
pub const DEFAULT_WIDTH: usize = 80;
/// Narrower requests are raised to this.
pub const MIN_WIDTH: usize = 20;

/// The table's FINDING column is never narrower than this (else the list is used).
const MIN_FINDING_COLUMN: usize = 30;
const GAP: &str = "   ";

/// `--color`: when to colour human output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set (to anything but the empty string)
    #[default]
    Auto,
    /// Always colour, even in pipes and with NO_COLOR
    Always,
    /// Never colour
    Never,
}

impl ColorChoice {
    /// Whether to colour output that goes to a terminal (`tty`) or not.
    pub fn enabled(self, tty: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

/// Where a text goes: its terminal (if any) decides the width and the colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn is_terminal(self) -> bool {
        match self {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
        }
    }

    fn terminal_width(self) -> Option<usize> {
        let size = match self {
            Stream::Stdout => terminal_size::terminal_size_of(std::io::stdout()),
            Stream::Stderr => terminal_size::terminal_size_of(std::io::stderr()),
        };
        size.map(|(w, _)| usize::from(w.0)).filter(|w| *w > 0)
    }
}

/// How to print human text: the line width and whether to use ANSI colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextStyle {
    pub width: usize,
    pub color: bool,
}

impl TextStyle {
    /// Uncoloured text `width` columns wide.
    pub fn plain(width: usize) -> Self {
        TextStyle {
            width: width.max(MIN_WIDTH),
            color: false,
        }
    }

    /// The style for text written to `stream`. Width: `width` (the `--width` flag) when given;
    /// else the terminal's width when `stream` is a terminal; else `COLUMNS` when it is a positive
    /// number; else [`DEFAULT_WIDTH`].
    pub fn detect(stream: Stream, width: Option<usize>, color: ColorChoice) -> Self {
        let tty = stream.is_terminal();
        let width = width
            .or_else(|| if tty { stream.terminal_width() } else { None })
            .or_else(|| {
                std::env::var("COLUMNS")
                    .ok()
                    .and_then(|c| c.trim().parse::<usize>().ok())
                    .filter(|c| *c > 0)
            })
            .unwrap_or(DEFAULT_WIDTH);
        TextStyle {
            width: width.max(MIN_WIDTH),
            color: color.enabled(tty),
        }
    }

    /// `text` in the severity's colour when colouring.
    pub fn paint(&self, text: &str, sev: Severity) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match sev {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// `text` in bold when colouring.
    pub fn bold(&self, text: &str) -> String {
        if self.color {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// One finding, as the renderers see it: validate findings and failed audit checks alike.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a> {
    pub severity: Severity,
    pub id: &'a str,
    /// Values paths or objects, one per line; empty when the finding is about no one place.
    pub wheres: Vec<String>,
    pub what: &'a str,
    pub fix: Option<&'a str>,
    pub docs: Option<&'a str>,
}

fn width_of(s: &str) -> usize {
    s.chars().count()
}

/// The longest space-separated token of `text`.
fn longest_token(text: &str) -> usize {
    text.split([' ', '\n']).map(width_of).max().unwrap_or(0)
}

/// `text` in lines of at most `width` columns, broken only at spaces; a token longer than
/// `width` is a line of its own. Newlines in `text` are kept. Never returns an empty list.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut len = 0;
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let w = width_of(word);
            if len > 0 && len + 1 + w > width {
                lines.push(std::mem::take(&mut line));
                len = 0;
            }
            if len > 0 {
                line.push(' ');
                len += 1;
            }
            line.push_str(word);
            len += w;
        }
        lines.push(line);
    }
    lines
}

/// `text` wrapped to `width` with `first` before its first line and `rest` before the others
/// (both as wide as each other, e.g. a label and spaces).
pub fn hanging(out: &mut String, first: &str, rest: &str, text: &str, width: usize) {
    let indent = width_of(first).max(width_of(rest));
    for (i, line) in wrap(text, width.saturating_sub(indent)).iter().enumerate() {
        out.push_str(if i == 0 { first } else { rest });
        out.push_str(line);
        trim_end_spaces(out);
        out.push('\n');
    }
}

fn trim_end_spaces(out: &mut String) {
    let keep = out.trim_end_matches(' ').len();
    out.truncate(keep);
}

/// Appends the findings to `out` in the layout the width calls for.
pub fn write_entries(out: &mut String, entries: &[Entry<'_>], style: &TextStyle) {
    match table_widths(entries, style.width) {
        Some(widths) => write_table(out, entries, style, widths),
        None => write_list(out, entries, style),
    }
}

/// Labels of the list layout, right-aligned so that the values start in one column.
const LABEL_INDENT: &str = "  ";
const LABEL_WIDTH: usize = 6; // "where:"

fn label(name: &str) -> String {
    format!("{LABEL_INDENT}{:>LABEL_WIDTH$} ", format!("{name}:"))
}

fn write_list(out: &mut String, entries: &[Entry<'_>], style: &TextStyle) {
    let blank = " ".repeat(LABEL_INDENT.len() + LABEL_WIDTH + 1);
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&style.paint(e.severity.as_str(), e.severity));
        out.push('[');
        out.push_str(&style.bold(e.id));
        out.push_str("]\n");
        for (j, w) in e.wheres.iter().enumerate() {
            let first = if j == 0 {
                label("where")
            } else {
                blank.clone()
            };
            hanging(out, &first, &blank, w, style.width);
        }
        hanging(out, &label("what"), &blank, e.what, style.width);
        if let Some(fix) = e.fix {
            hanging(out, &label("fix"), &blank, fix, style.width);
        }
        if let Some(docs) = e.docs {
            hanging(out, &label("docs"), &blank, docs, style.width);
        }
    }
}

/// Column widths of the table layout: (severity, ID, WHERE, FINDING), or None when the width
/// calls for the list or a token would not fit its column.
fn table_widths(entries: &[Entry<'_>], width: usize) -> Option<[usize; 4]> {
    if width <= LIST_MAX_WIDTH {
        return None;
    }
    let sev = entries
        .iter()
        .map(|e| e.severity.as_str().len())
        .chain(["SEVERITY".len()])
        .max()?;
    let id = entries
        .iter()
        .map(|e| width_of(e.id))
        .chain(["ID".len()])
        .max()?;
    let wheres = || entries.iter().flat_map(where_cell);
    let where_natural = wheres().map(|w| width_of(&w)).chain([5]).max()?;
    let where_token = wheres().map(|w| longest_token(&w)).max().unwrap_or(1);
    let finding_token = entries
        .iter()
        .flat_map(finding_cell)
        .map(|t| longest_token(&t))
        .max()
        .unwrap_or(1);
    let avail = width.checked_sub(sev + id + 3 * GAP.len())?;
    let where_w = where_natural.min((avail / 2).max(where_token));
    let finding_w = avail.checked_sub(where_w)?;
    (finding_w >= MIN_FINDING_COLUMN.max(finding_token)).then_some([sev, id, where_w, finding_w])
}

fn where_cell(e: &Entry<'_>) -> Vec<String> {
    if e.wheres.is_empty() {
        vec!["-".to_string()]
    } else {
        e.wheres.clone()
    }
}

fn finding_cell(e: &Entry<'_>) -> Vec<String> {
    let mut cell = vec![e.what.to_string()];
    if let Some(fix) = e.fix {
        cell.push(format!("fix: {fix}"));
    }
    cell
}

fn write_table(out: &mut String, entries: &[Entry<'_>], style: &TextStyle, w: [usize; 4]) {
    let [sev_w, id_w, where_w, finding_w] = w;
    let header = format!(
        "{:sev_w$}{GAP}{:id_w$}{GAP}{:where_w$}{GAP}FINDING",
        "SEVERITY", "ID", "WHERE"
    );
    out.push_str(header.trim_end());
    out.push('\n');
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let wheres: Vec<String> = where_cell(e)
            .iter()
            .flat_map(|x| wrap(x, where_w))
            .collect();
        let finding: Vec<String> = finding_cell(e)
            .iter()
            .flat_map(|x| wrap(x, finding_w))
            .collect();
        for row in 0..wheres.len().max(finding.len()) {
            let (sev, id) = if row == 0 {
                // Pad before painting: escape codes take no columns.
                let sev = format!("{:sev_w$}", e.severity.as_str());
                let id = format!("{:id_w$}", e.id);
                (style.paint(&sev, e.severity), style.bold(&id))
            } else {
                (" ".repeat(sev_w), " ".repeat(id_w))
            };
            let cell = |v: &[String]| v.get(row).cloned().unwrap_or_default();
            out.push_str(&format!(
                "{sev}{GAP}{id}{GAP}{:where_w$}{GAP}{}",
                cell(&wheres),
                cell(&finding)
            ));
            trim_end_spaces(out);
            out.push('\n');
        }
        // The link under the row, from the ID column on: a URL rarely fits the FINDING column.
        if let Some(docs) = e.docs {
            let indent = " ".repeat(sev_w + GAP.len());
            hanging(
                out,
                &format!("{indent}docs: "),
                &format!("{indent}      "),
                docs,
                style.width,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_only_at_spaces() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(
            wrap("see pod/apps-0/app-0-t8nv92c4pl-gc4m9 now", 10),
            ["see", "pod/apps-0/app-0-t8nv92c4pl-gc4m9", "now"]
        );
        assert_eq!(wrap("one\ntwo three", 5), ["one", "two", "three"]);
        assert_eq!(wrap("", 5), [""]);
        assert_eq!(wrap("a  b", 10), ["a b"]);
    }

    fn entry(id: &'static str, wheres: &[&str], what: &'static str) -> Entry<'static> {
        Entry {
            severity: Severity::Error,
            id,
            wheres: wheres.iter().map(|s| s.to_string()).collect(),
            what,
            fix: Some("do the thing"),
            docs: Some("https://example.com/a/long/link"),
        }
    }

    #[test]
    fn list_up_to_80_table_beyond() {
        let e = [entry(
            "pod-cidr-invalid",
            &["ipam.mode"],
            "the mode is wrong",
        )];
        let mut out = String::new();
        write_entries(&mut out, &e, &TextStyle::plain(80));
        assert_eq!(
            out,
            "error[pod-cidr-invalid]\n  where: ipam.mode\n   what: the mode is wrong\n    fix: do the thing\n   docs: https://example.com/a/long/link\n"
        );
        let mut out = String::new();
        write_entries(&mut out, &e, &TextStyle::plain(81));
        assert!(out.starts_with("SEVERITY   ID"), "{out}");
        assert!(out.contains("\n           docs: https://example.com/a/long/link\n"));
    }

    #[test]
    fn table_falls_back_to_list_when_a_token_does_not_fit() {
        let long = "x".repeat(90);
        let e = [Entry {
            what: "short",
            ..entry("id", &[&long], "y")
        }];
        let mut out = String::new();
        write_entries(&mut out, &e, &TextStyle::plain(120));
        assert!(out.starts_with("error[id]"), "{out}");
    }

    #[test]
    fn colour_does_not_shift_columns() {
        let e = [entry("an-id", &["a.b"], "m")];
        let (mut plain, mut coloured) = (String::new(), String::new());
        write_entries(&mut plain, &e, &TextStyle::plain(100));
        write_entries(
            &mut coloured,
            &e,
            &TextStyle {
                width: 100,
                color: true,
            },
        );
        assert!(coloured.contains("\x1b["));
        let stripped = coloured
            .replace("\x1b[1;31m", "")
            .replace("\x1b[1m", "")
            .replace("\x1b[0m", "");
        assert_eq!(stripped, plain);
    }
}
