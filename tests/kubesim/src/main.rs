use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

/// In-memory Kubernetes API server for tests: real kubectl and Helm operate on it.
#[derive(Parser, Debug)]
#[command(name = "kubesim", version)]
struct Cli {
    /// Listen address (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: String,
    /// Write a kubeconfig for this server here.
    #[arg(long)]
    kubeconfig_out: Option<PathBuf>,
    /// Multi-document YAML file, or a folder of *.yaml, to load at start (repeatable).
    #[arg(long)]
    load: Vec<PathBuf>,
    /// Generated cluster, e.g. `eks` or `eks:nodes=5000,pods=150000,hybrid=50`.
    #[arg(long)]
    scenario: Option<String>,
    /// Kubernetes version reported by /version.
    #[arg(long, default_value = "1.33.1")]
    kube_version: String,
    /// Delay before a scheduled pod is Running and Ready (e.g. 2s, 500ms).
    #[arg(long, default_value = "500ms", value_parser = parse_duration)]
    ready_after: Duration,
    /// Delay every request by this much (e.g. 50ms), as a remote API server's round trip would;
    /// the same as `--fault latency:DURATION`.
    #[arg(long, value_parser = parse_duration)]
    latency: Option<Duration>,
    /// Fault spec (repeatable), e.g. `image-pull:cilium`, `latency:200ms:GET:/api/v1/pods`, `throttle:3x:2`.
    #[arg(long)]
    fault: Vec<String>,
    /// Do not run the simulated controllers.
    #[arg(long)]
    no_controllers: bool,
    /// Require this bearer token (generated when --tls is given without one).
    #[arg(long)]
    token: Option<String>,
    /// Serve HTTPS with a generated CA; the kubeconfig carries the CA and the token.
    #[arg(long)]
    tls: bool,
    /// Log every request to stderr.
    #[arg(long, short)]
    verbose: bool,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    kubesim::util::parse_duration(s).ok_or_else(|| format!("invalid duration {s:?}"))
}

fn main() {
    let cli = Cli::parse();
    let opts = kubesim::Options {
        addr: cli.addr,
        kubeconfig_out: cli.kubeconfig_out,
        load: cli.load,
        scenario: cli.scenario,
        kube_version: cli.kube_version,
        ready_after: cli.ready_after,
        faults: cli
            .latency
            .map(|d| format!("latency:{}ms", d.as_millis()))
            .into_iter()
            .chain(cli.fault)
            .collect(),
        controllers: !cli.no_controllers,
        token: cli.token,
        tls: cli.tls,
        verbose: cli.verbose,
    };
    match kubesim::Kubesim::start_blocking(opts) {
        Ok(sim) => {
            println!("{}", sim.url());
            eprintln!(
                "kubesim: serving {} (kubeconfig {}, loaded in {:?})",
                sim.url(),
                sim.kubeconfig().display(),
                sim.load_time
            );
            sim.wait();
        }
        Err(e) => {
            eprintln!("kubesim: {e}");
            std::process::exit(2);
        }
    }
}
