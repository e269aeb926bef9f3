//! `kubectl podnet completion SHELL`: a shell completion script for the whole command tree.

use super::out::stdout_write;
use crate::error::Error;

/// Writes the completion script of `cmd` (the top-level command) for `shell` to stdout.
pub fn run(shell: clap_complete::Shell, mut cmd: clap::Command) -> Result<u8, Error> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "kubectl-podnet", &mut buf);
    stdout_write(&buf)?;
    Ok(0)
}
