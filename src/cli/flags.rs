//! Every flag group shared by more than one command, in one place: the global kubectl-style
//! flags and output format, the chart source and registry flags, `-f`/`--set*` values, the
//! network facts and plan, and how releases are applied.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::cilium::lifecycle::{self, Ops};
use crate::error::{Error, Result};
use crate::helm::{self, Chart, Values};
use crate::kube::Target;
use crate::net::Cidr;
use crate::oci::{self, ChartRef, Credentials, PullOptions};
use crate::report::{ColorChoice, Stream, TextStyle};

/// Flags every kubectl user knows, spelled the way kubectl spells them.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Path to the kubeconfig file to use for CLI requests
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The name of the kubeconfig context to use
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// How long to wait for one API server response before giving up on it (retried as a dropped
    /// connection); 0 waits for ever. As kubectl's flag, with units (1s, 2m, 3h)
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        default_value = "60s",
        value_parser = parse_duration
    )]
    pub request_timeout: Duration,
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

    /// The cluster to talk to: --kubeconfig and --context.
    pub fn target(&self) -> Target {
        Target {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            request_timeout: (!self.request_timeout.is_zero()).then_some(self.request_timeout),
        }
    }

    /// The release's namespace: -n, else kube-system.
    pub fn release_namespace(&self) -> String {
        self.namespace
            .clone()
            .unwrap_or_else(|| "kube-system".into())
    }
}

pub fn parse_chart_ref(s: &str) -> std::result::Result<ChartRef, String> {
    s.parse::<ChartRef>().map_err(|e| e.to_string())
}

/// `30s`, `5m`, `2h`, `7d`, or plain seconds.
pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (e.g. 30s, 5m, 2h, 7d)"))?;
    let mult = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        _ => {
            return Err(format!(
                "{s:?}: unknown unit {unit:?} (use ms, s, m, h or d)"
            ));
        }
    };
    if !n.is_finite() || n < 0.0 {
        return Err(format!("{s:?} is not a duration"));
    }
    Ok(Duration::from_secs_f64(n * mult))
}

pub fn parse_cidr(s: &str) -> std::result::Result<Cidr, String> {
    s.parse::<Cidr>().map_err(|e| e.to_string())
}

/// Which chart: an OCI reference and a version. Flattening it turns off the subcommand's
/// automatic `--version` (the CLI propagates one), as `--version` is the chart version here.
#[derive(Debug, Args, Clone)]
#[command(disable_version_flag = true)]
pub struct ChartArgs {
    /// Chart in an OCI registry: oci://HOST/REPO[:TAG|@sha256:DIGEST]
    #[arg(long, value_name = "REF", default_value = oci::DEFAULT_CHART, value_parser = parse_chart_ref)]
    pub chart: ChartRef,
    /// Chart version: exact (1.17.6-0) or a semver constraint (~1.17.0) [default: newest release]
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
}

/// How to reach the registry and where to cache.
#[derive(Debug, Args, Clone)]
pub struct RegistryArgs {
    /// Talk HTTP instead of HTTPS to the registry
    #[arg(long, help_heading = "Registry")]
    pub plain_http: bool,
    /// Do not verify the registry's TLS certificate
    #[arg(long, help_heading = "Registry")]
    pub insecure_skip_tls_verify: bool,
    /// Also trust the CA certificates in this PEM file
    #[arg(long, value_name = "FILE", help_heading = "Registry")]
    pub ca_file: Option<PathBuf>,
    /// Registry username (the password is read from stdin with --password-stdin)
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Registry",
        requires = "password_stdin"
    )]
    pub username: Option<String>,
    /// Read the registry password from stdin
    #[arg(long, help_heading = "Registry", requires = "username")]
    pub password_stdin: bool,
    /// Helm's registry credentials file [default: ~/.config/helm/registry/config.json]; docker's config.json is read after it
    #[arg(long, value_name = "FILE", help_heading = "Registry")]
    pub registry_config: Option<PathBuf>,
    /// Retries of a failed registry request (429, 5xx, connection errors), with backoff
    #[arg(long, value_name = "N", default_value_t = 4, help_heading = "Registry")]
    pub registry_retries: u32,
    /// Limit per registry request (connect, response, each read)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration, help_heading = "Registry")]
    pub registry_timeout: Duration,
    /// Chart cache directory [default: $XDG_CACHE_HOME/kubectl-podnet]
    #[arg(
        long,
        value_name = "DIR",
        env = "PODNET_CACHE_DIR",
        help_heading = "Registry"
    )]
    pub cache_dir: Option<PathBuf>,
    /// Use cached charts only; make no network requests
    #[arg(long, help_heading = "Registry")]
    pub offline: bool,
}

impl RegistryArgs {
    /// The library options; reads the password from stdin when `--password-stdin` is given.
    pub fn pull_options(&self, version: Option<&str>) -> Result<PullOptions> {
        let credentials = match (&self.username, self.password_stdin) {
            (Some(u), true) => {
                let mut p = String::new();
                std::io::stdin()
                    .read_to_string(&mut p)
                    .map_err(|source| Error::Read {
                        path: PathBuf::from("<stdin>"),
                        source,
                    })?;
                let p = p.trim_end_matches(['\n', '\r']).to_string();
                if p.is_empty() {
                    return Err(Error::flag("--password-stdin", "stdin held no password"));
                }
                Some(Credentials {
                    username: u.clone(),
                    password: p,
                    source: "--username/--password-stdin".into(),
                })
            }
            _ => None,
        };
        Ok(PullOptions {
            version: version.map(str::to_string),
            cache_dir: self.cache_dir.clone(),
            offline: self.offline,
            plain_http: self.plain_http,
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
            ca_file: self.ca_file.clone(),
            credentials,
            registry_config: self.registry_config.clone(),
            timeout: self.registry_timeout,
            retries: self.registry_retries,
            resolve: Vec::new(),
        })
    }
}

#[derive(Debug, Args)]
pub struct ChartSource {
    /// Chart: a .tgz, oci://HOST/REPO[:TAG|@sha256:DIGEST], or (template only) a chart directory
    #[arg(long, value_name = "CHART", default_value = oci::DEFAULT_CHART)]
    pub chart: String,
    /// Chart version for an OCI chart (exact or a semver constraint)
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// A chart archive's files: chart-relative path and bytes (kept in the release record).
pub type ChartFiles = Vec<(String, Vec<u8>)>;

impl ChartSource {
    /// Loads the chart (pulling it through the cache for oci://) with its archive's files.
    pub fn load(&self) -> Result<(Chart, ChartFiles)> {
        let path = self.path()?;
        let f = std::fs::File::open(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let bad_chart = |e: helm::LoadError| Error::Input {
            location: path.display().to_string(),
            message: format!("cannot load the chart: {}", e.0),
            help: Some("pass a chart .tgz or oci://…".into()),
        };
        // Streamed: the archive's limits apply before anything is held in memory.
        let files = helm::read_tgz_from(std::io::BufReader::new(f)).map_err(bad_chart)?;
        let chart = Chart::load_files(files.clone()).map_err(bad_chart)?;
        Ok((chart, files))
    }

    /// The chart's local path: pulled through the cache for oci://, as given otherwise.
    pub fn path(&self) -> Result<PathBuf> {
        Ok(if self.chart.starts_with("oci://") {
            let r: ChartRef = self
                .chart
                .parse()
                .map_err(|e: oci::reference::RefError| Error::flag("--chart", e.to_string()))?;
            oci::resolve_chart(&r, &self.registry.pull_options(self.version.as_deref())?)?.path
        } else {
            if self.version.is_some() {
                return Err(Error::flag_help(
                    "--version",
                    "applies to OCI charts only",
                    "a local chart has its own version in Chart.yaml; drop --version",
                ));
            }
            PathBuf::from(&self.chart)
        })
    }

    pub fn version_of(chart: &Chart) -> String {
        chart.version()
    }
}

#[derive(Debug, Args, Default)]
pub struct SetArgs {
    /// Set values on the command line (key1=val1,key2=val2; Helm's strvals syntax)
    #[arg(long, value_name = "KEY=VAL")]
    pub set: Vec<String>,
    /// Set STRING values on the command line
    #[arg(long, value_name = "KEY=VAL")]
    pub set_string: Vec<String>,
    /// Set JSON values on the command line (key1=jsonval1,key2=jsonval2)
    #[arg(long, value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
    /// Set values from files (key1=path1,key2=path2)
    #[arg(long, value_name = "KEY=PATH")]
    pub set_file: Vec<String>,
}

/// One `--set*` flag: its name, its values, and how the engine reads them.
type SetLayer<'a> = (
    &'a str,
    &'a Vec<String>,
    fn(&mut Values, &str) -> Result<(), helm::RenderError>,
);

impl SetArgs {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
            && self.set_string.is_empty()
            && self.set_json.is_empty()
            && self.set_file.is_empty()
    }

    /// Applies the layers over `values` in Helm's order.
    pub fn apply(&self, values: &mut Values) -> Result<()> {
        let layers: [SetLayer<'_>; 4] = [
            ("--set-json", &self.set_json, Values::add_set_json),
            ("--set", &self.set, Values::add_set),
            ("--set-string", &self.set_string, Values::add_set_string),
            ("--set-file", &self.set_file, Values::add_set_file),
        ];
        for (flag, exprs, add) in layers {
            for e in exprs {
                add(values, e).map_err(|err| {
                    Error::flag_help(
                        flag,
                        err.to_string(),
                        "syntax: key.sub[0]=value,other=value",
                    )
                })?;
            }
        }
        Ok(())
    }
}

/// Reads `-f` files: podnet's checks first (located errors, size cap), then Helm's reading of the
/// same text, so the release holds exactly what Helm would have made of it.
pub fn read_files(paths: &[PathBuf], values: &mut Values) -> Result<()> {
    if paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(Error::flag("--values", "stdin (-) can be given only once"));
    }
    for p in paths {
        let (doc, text) = crate::input::read_values_with_text(p, true)?;
        values
            .add_yaml_file(&doc.source, &text)
            .map_err(|e| Error::Input {
                location: doc.source.clone(),
                message: e.to_string(),
                help: Some("fix the YAML; Helm reads values with YAML 1.1 rules".into()),
            })?;
    }
    Ok(())
}

/// Facts about the cluster's networks, from flags or EKS.
#[derive(Debug, Args, Clone)]
pub struct FactArgs {
    /// Read networks from this EKS cluster (DescribeCluster, DescribeVpcs)
    #[arg(long, value_name = "NAME", help_heading = "Cluster facts")]
    pub cluster: Option<String>,
    /// AWS region of --cluster (default: the AWS config's region); with `validate --contexts`,
    /// read every context's EKS cluster in this region
    #[arg(long, value_name = "REGION", help_heading = "Cluster facts")]
    pub region: Option<String>,
    /// AWS profile for --cluster
    #[arg(long, value_name = "PROFILE", help_heading = "Cluster facts")]
    pub profile: Option<String>,
    /// The cluster's remote pod network (repeatable or comma-separated)
    #[arg(long, value_name = "CIDR", value_delimiter = ',', value_parser = parse_cidr, help_heading = "Network facts")]
    pub remote_pod_network: Vec<Cidr>,
    /// The cluster's remote node network: your on-premises node subnets (repeatable)
    #[arg(long, value_name = "CIDR", value_delimiter = ',', value_parser = parse_cidr, help_heading = "Network facts")]
    pub remote_node_network: Vec<Cidr>,
    /// A CIDR block of the cluster's VPC (repeatable)
    #[arg(long, value_name = "CIDR", value_delimiter = ',', value_parser = parse_cidr, help_heading = "Network facts")]
    pub vpc_cidr: Vec<Cidr>,
    /// The Kubernetes service CIDR [default: as EKS picks it: 172.20.0.0/16 if the VPC is in 10.0.0.0/8, else 10.100.0.0/16]
    #[arg(long, value_name = "CIDR", value_parser = parse_cidr, help_heading = "Network facts")]
    pub service_cidr: Option<Cidr>,
    /// Number of hybrid nodes the pool must serve
    #[arg(long, value_name = "N", help_heading = "Network facts")]
    pub nodes: Option<u64>,
    /// Cilium version the values are for (1.16 … 1.19) [default: newest supported]
    #[arg(long, value_name = "VERSION")]
    pub cilium_version: Option<String>,
}

/// The network plan that values are generated from (shared by `values` and `install`).
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub facts: FactArgs,
    /// Pod CIDR for Cilium's cluster pool (repeatable) [default: the remote pod networks]
    #[arg(long, value_name = "CIDR", value_delimiter = ',', value_parser = parse_cidr)]
    pub pod_cidr: Vec<Cidr>,
    /// Per-node block size as a prefix length [default: 25, 124 pods per node]
    #[arg(long, value_name = "BITS", value_parser = clap::value_parser!(u8).range(1..=32), conflicts_with = "pods_per_node")]
    pub mask_size: Option<u8>,
    /// Pick the smallest per-node block that holds N pods
    #[arg(long, value_name = "N")]
    pub pods_per_node: Option<u64>,
    /// Replace kube-proxy with Cilium (needs --k8s-service-host and --k8s-service-port)
    #[arg(long)]
    pub kube_proxy_replacement: bool,
    /// EKS API endpoint host, without https:// (for --kube-proxy-replacement)
    #[arg(long, value_name = "HOST")]
    pub k8s_service_host: Option<String>,
    /// EKS API endpoint port (443)
    #[arg(long, value_name = "PORT")]
    pub k8s_service_port: Option<u16>,
    /// Enable Cilium's BGP control plane (to advertise pod CIDRs on-premises)
    #[arg(long)]
    pub bgp: bool,
}

/// How changes are applied and awaited.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Server-side apply field manager (Helm's CLI applies as `helm`; share it to avoid conflicts)
    #[arg(long, value_name = "NAME", default_value = lifecycle::FIELD_MANAGER)]
    pub field_manager: String,
    /// Overwrite fields that another field manager changed since (kubectl edit/patch), as Helm v4's
    /// --force-conflicts; without it such a change stops the apply and is named
    #[arg(long)]
    pub force_conflicts: bool,
    /// Adopt existing objects that carry no (or another release's) Helm ownership metadata, as
    /// Helm's --take-ownership; without it install and upgrade refuse before changing anything
    #[arg(long)]
    pub take_ownership: bool,
    /// Wait until the agent is ready on every hybrid node and the operator is available
    #[arg(long)]
    pub wait: bool,
    /// Limit for --wait, hooks and the preflight
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

impl ApplyArgs {
    pub fn ops<'a>(&'a self, progress: &'a dyn Fn(&str)) -> Ops<'a> {
        Ops {
            field_manager: &self.field_manager,
            force_conflicts: self.force_conflicts,
            take_ownership: self.take_ownership,
            timeout: self.timeout,
            wait: self.wait.then_some(progress),
        }
    }
}

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// Release name
    #[arg(long, value_name = "NAME", default_value = "cilium")]
    pub release: String,
}

/// Many clusters in one run: the contexts, how many at once and how long each may take.
#[derive(Debug, Args, Clone)]
pub struct FleetArgs {
    /// Run for each of these kubeconfig contexts (comma-separated or repeated), concurrently, into
    /// one report with a section per cluster and a fleet summary
    #[arg(long, value_name = "NAME", value_delimiter = ',', num_args = 1.., help_heading = "Fleet")]
    pub contexts: Vec<String>,
    /// Run for every context of the kubeconfig
    #[arg(long, conflicts_with = "contexts", help_heading = "Fleet")]
    pub all_contexts: bool,
    /// Clusters checked at once
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..), help_heading = "Fleet")]
    pub parallel: u16,
    /// Limit per cluster: one not done by then is reported as timed out, the others go on
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration, help_heading = "Fleet")]
    pub cluster_timeout: Duration,
}

impl FleetArgs {
    /// The contexts to run over, or `None` for a single-cluster run. `--context` picks one
    /// cluster, so it cannot be combined with the fleet flags.
    pub fn selection(&self, g: &GlobalArgs) -> Result<Option<crate::fleet::Selection>> {
        let sel = if self.all_contexts {
            crate::fleet::Selection::All
        } else if !self.contexts.is_empty() {
            crate::fleet::Selection::Named(self.contexts.clone())
        } else {
            return Ok(None);
        };
        if let Some(c) = &g.context {
            return Err(Error::flag_help(
                "--context",
                format!("`--context {c}` picks one cluster; --contexts/--all-contexts pick many"),
                "name the cluster in --contexts instead",
            ));
        }
        Ok(Some(sel))
    }

    pub fn limits(&self) -> crate::fleet::Limits {
        crate::fleet::Limits {
            parallel: usize::from(self.parallel),
            cluster_timeout: self.cluster_timeout,
        }
    }
}
