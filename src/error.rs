//! Errors that end a command with exit code 2. Each says what failed, where (file:line:col, flag,
//! endpoint or object) and what to do next; miette renders them at the edge.

use std::path::PathBuf;

use miette::Diagnostic;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Error {
    /// A flag value that parses but cannot be used, e.g. an IPv6 pod CIDR or a mask of 40.
    #[error("invalid {flag}: {message}")]
    #[diagnostic(code(podnet::usage))]
    Flag {
        flag: String,
        message: String,
        #[help]
        help: Option<String>,
    },

    /// Flags that contradict each other or a values file.
    #[error("{message}")]
    #[diagnostic(code(podnet::conflict))]
    Conflict {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// A file that cannot be read at all.
    #[error("cannot read {}: {source}", path.display())]
    #[diagnostic(code(podnet::io), help("check that the path exists and is readable"))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file that can be read but is not usable input; `location` is `file:line:col`.
    #[error("{location}: {message}")]
    #[diagnostic(code(podnet::input))]
    Input {
        location: String,
        message: String,
        #[help]
        help: Option<String>,
    },

    /// Writing the result failed; nothing partial was left behind.
    #[error("cannot write {}: {source}", path.display())]
    #[diagnostic(code(podnet::write))]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A Kubernetes API call failed after retries, or no cluster could be reached.
    #[error("{message}")]
    #[diagnostic(code(podnet::kube))]
    Kube {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// An AWS call failed after retries.
    #[error("{message}")]
    #[diagnostic(code(podnet::aws))]
    Aws {
        message: String,
        #[help]
        help: Option<String>,
    },

    /// A registry or chart-cache operation failed (after retries); names registry, repository, status.
    #[error("{message}")]
    #[diagnostic(code(podnet::registry))]
    Registry {
        message: String,
        #[help]
        help: Option<String>,
    },
}

impl Error {
    pub fn flag(flag: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Flag {
            flag: flag.into(),
            message: message.into(),
            help: None,
        }
    }

    pub fn flag_help(
        flag: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Error::Flag {
            flag: flag.into(),
            message: message.into(),
            help: Some(help.into()),
        }
    }

    pub fn input(location: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Input {
            location: location.into(),
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, text: impl Into<String>) -> Self {
        match &mut self {
            Error::Flag { help, .. }
            | Error::Conflict { help, .. }
            | Error::Input { help, .. }
            | Error::Aws { help, .. }
            | Error::Kube { help, .. }
            | Error::Registry { help, .. } => *help = Some(text.into()),
            Error::Read { .. } | Error::Write { .. } => {}
        }
        self
    }
}
