//! kubesim: an in-memory Kubernetes API server for tests.
//!
//! ```no_run
//! let sim = kubesim::Kubesim::start_blocking(kubesim::Options::default()).unwrap();
//! println!("{} {}", sim.url(), sim.kubeconfig().display());
//! ```

pub mod body;
pub mod cilium;
pub mod controllers;
pub mod discovery;
pub mod error;
pub mod faults;
pub mod fields;
pub mod load;
pub mod obj;
pub mod openapi;
pub mod patch;
pub mod proto;
pub mod resources;
pub mod scenario;
pub mod selector;
pub mod server;
pub mod store;
pub mod table;
pub mod tls;
pub mod util;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use server::{Config, Shared};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::Store;

/// How to run a simulator.
#[derive(Clone, Debug)]
pub struct Options {
    /// Listen address; port 0 picks a free port.
    pub addr: String,
    /// Where to write the kubeconfig; a temporary file (removed on drop) when unset.
    pub kubeconfig_out: Option<PathBuf>,
    /// YAML files or folders to load at start.
    pub load: Vec<PathBuf>,
    /// A generated scenario, e.g. `eks` or `eks:nodes=50,pods=500,hybrid=4`.
    pub scenario: Option<String>,
    pub kube_version: String,
    /// Pods become Running/Ready this long after they are scheduled.
    pub ready_after: Duration,
    pub faults: Vec<String>,
    /// Run the simulated controllers (DaemonSet, Deployment, ReplicaSet, pods, GC).
    pub controllers: bool,
    /// Require this bearer token (also written to the kubeconfig). With `tls` and no token,
    /// a random token is generated.
    pub token: Option<String>,
    /// Serve HTTPS with a generated CA (written to the kubeconfig).
    pub tls: bool,
    /// Log every request to stderr.
    pub verbose: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            addr: "127.0.0.1:0".into(),
            kubeconfig_out: None,
            load: vec![],
            scenario: None,
            kube_version: "1.33.1".into(),
            ready_after: Duration::from_millis(500),
            faults: vec![],
            controllers: true,
            token: None,
            tls: false,
            verbose: std::env::var_os("KUBESIM_VERBOSE").is_some(),
        }
    }
}

/// A running simulator; stopped when dropped.
pub struct Kubesim {
    url: String,
    kubeconfig_path: PathBuf,
    kubeconfig: String,
    temp_dir: Option<PathBuf>,
    shared: Arc<Shared>,
    ca_pem: Option<String>,
    token: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Time spent loading files and scenarios at start.
    pub load_time: Duration,
}

impl Kubesim {
    /// Starts a simulator on its own runtime thread.
    pub async fn start(opts: Options) -> Result<Kubesim, String> {
        Self::start_blocking(opts)
    }

    /// Starts a simulator on its own runtime thread (no async context needed).
    pub fn start_blocking(mut opts: Options) -> Result<Kubesim, String> {
        let faults = faults::Faults::parse(&opts.faults)?;
        let tls = if opts.tls {
            Some(tls::generate()?)
        } else {
            None
        };
        if opts.tls && opts.token.is_none() {
            opts.token = Some(format!("kubesim-{}", util::rand_suffix(24)));
        }
        let ca_pem = tls.as_ref().map(|t| t.ca_pem.clone());
        let acceptor = tls.map(|t| t.acceptor);
        let mut store = Store::new();
        let t0 = std::time::Instant::now();
        if let Some(sc) = &opts.scenario {
            scenario::generate(&mut store, sc)?;
        }
        for p in &opts.load {
            load::load_path(&mut store, p)?;
        }
        let load_time = t0.elapsed();
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            cfg: Config {
                kube_version: opts.kube_version.clone(),
                token: opts.token.clone(),
                verbose: opts.verbose,
                faults,
            },
            server_addr: Mutex::new(String::new()),
        });
        let std_listener = std::net::TcpListener::bind(&opts.addr)
            .map_err(|e| format!("bind {}: {e}", opts.addr))?;
        std_listener
            .set_nonblocking(true)
            .map_err(|e| e.to_string())?;
        let local = std_listener.local_addr().map_err(|e| e.to_string())?;
        *shared.server_addr.lock().map_err(|e| e.to_string())? = local.to_string();
        let url = if acceptor.is_some() {
            format!("https://{local}")
        } else {
            format!("http://{local}")
        };
        let (stx, srx) = tokio::sync::oneshot::channel::<()>();
        let sh = shared.clone();
        let ctl = opts.controllers;
        let ready_after = opts.ready_after;
        let thread = std::thread::Builder::new()
            .name("kubesim".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        eprintln!("kubesim: runtime: {e}");
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("kubesim: listener: {e}");
                            return;
                        }
                    };
                    if ctl {
                        tokio::spawn(controllers::run(sh.clone(), ready_after));
                    }
                    let accept = async {
                        loop {
                            let Ok((stream, _)) = listener.accept().await else {
                                continue;
                            };
                            let _ = stream.set_nodelay(true);
                            let sh = sh.clone();
                            let acceptor = acceptor.clone();
                            tokio::spawn(async move {
                                let svc = service_fn(move |req| {
                                    let sh = sh.clone();
                                    async move {
                                        Ok::<_, std::convert::Infallible>(
                                            server::handle(sh, req).await,
                                        )
                                    }
                                });
                                match acceptor {
                                    Some(a) => {
                                        let Ok(tls) = a.accept(stream).await else {
                                            return;
                                        };
                                        let _ = http1::Builder::new()
                                            .keep_alive(true)
                                            .serve_connection(TokioIo::new(tls), svc)
                                            .await;
                                    }
                                    None => {
                                        let _ = http1::Builder::new()
                                            .keep_alive(true)
                                            .serve_connection(TokioIo::new(stream), svc)
                                            .await;
                                    }
                                }
                            });
                        }
                    };
                    tokio::select! {
                        _ = accept => {}
                        _ = srx => {}
                    }
                });
                rt.shutdown_timeout(Duration::from_millis(200));
            })
            .map_err(|e| e.to_string())?;
        let kubeconfig = kubeconfig_yaml(&url, opts.token.as_deref(), ca_pem.as_deref());
        let (kubeconfig_path, temp_dir) = match &opts.kubeconfig_out {
            Some(p) => (p.clone(), None),
            None => {
                let dir = std::env::temp_dir().join(format!(
                    "kubesim-{}-{}",
                    std::process::id(),
                    util::rand_suffix(8)
                ));
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                (dir.join("kubeconfig"), Some(dir))
            }
        };
        std::fs::write(&kubeconfig_path, &kubeconfig)
            .map_err(|e| format!("write {}: {e}", kubeconfig_path.display()))?;
        Ok(Kubesim {
            url,
            kubeconfig_path,
            kubeconfig,
            temp_dir,
            shared,
            ca_pem,
            token: opts.token.clone(),
            shutdown: Some(stx),
            thread: Some(thread),
            load_time,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Path of the kubeconfig file.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig_path
    }

    /// PEM of the generated CA (TLS only).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The bearer token clients must send, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The kubeconfig YAML.
    pub fn kubeconfig_yaml(&self) -> &str {
        &self.kubeconfig
    }

    /// Direct access to the store (for assertions in Rust tests).
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut self.shared.lock())
    }

    /// Stores objects from multi-document YAML (or JSON) as written, like `--load`, while running.
    pub fn load_yaml(&self, text: &str) -> Result<usize, String> {
        let objs = load::parse_documents(text)?;
        load::load_objects(&mut self.shared.lock(), objs)
    }

    /// Stores objects as written, like `--load`, while running.
    pub fn load_objects(&self, objs: Vec<serde_json::Value>) -> Result<usize, String> {
        load::load_objects(&mut self.shared.lock(), objs)
    }

    /// Replaces the active faults (same syntax as `--fault`).
    pub fn set_faults(&self, specs: &[&str]) -> Result<(), String> {
        let v: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        self.shared.cfg.faults.set(&v)
    }

    /// Blocks until stopped (used by the binary).
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Kubesim {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(d) = &self.temp_dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

pub fn kubeconfig_yaml(url: &str, token: Option<&str>, ca_pem: Option<&str>) -> String {
    let user = match token {
        Some(t) => format!("    token: {t}\n"),
        None => "    username: admin\n".to_string(),
    };
    let ca = ca_pem
        .map(|p| {
            format!(
                "    certificate-authority-data: {}\n",
                util::base64_encode(p.as_bytes())
            )
        })
        .unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: kubesim\n  cluster:\n    server: {url}\n{ca}contexts:\n- name: kubesim\n  context:\n    cluster: kubesim\n    user: kubesim\n    namespace: default\ncurrent-context: kubesim\nusers:\n- name: kubesim\n  user:\n{user}preferences: {{}}\n"
    )
}
