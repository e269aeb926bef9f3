//! `kubectl-podnet`: run as `kubectl podnet …` once on PATH.

/// mimalloc: chart rendering makes many small, short-lived allocations; against glibc's
/// allocator it cuts `cilium template` by about a third (fewer page faults, cheaper frees).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    podnet::cli::main()
}
