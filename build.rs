//! Records the git commit so `kubectl podnet version` can name the exact build.
use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=PODNET_GIT_COMMIT={commit}");
    println!("cargo:rerun-if-changed=.git/HEAD");
    // Only the checked-out branch's ref: watching all of `.git/refs/heads` rebuilt the crate
    // whenever any branch (another worktree's) moved.
    let head = std::fs::read_to_string(".git/HEAD").unwrap_or_default();
    // A detached HEAD holds the commit itself: `.git/HEAD` alone is then enough.
    if let Some(reference) = head.trim().strip_prefix("ref: ") {
        println!("cargo:rerun-if-changed=.git/{reference}");
        println!("cargo:rerun-if-changed=.git/packed-refs");
    }
}
