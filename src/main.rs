//! `kubectl-podnet`: run as `kubectl podnet …` once on PATH.
fn main() -> std::process::ExitCode {
    podnet::cli::main()
}
