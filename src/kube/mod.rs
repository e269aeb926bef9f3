//! Kubernetes client construction and paged listing, shaped like kubectl's: `--kubeconfig`,
//! `--context`, `KUBECONFIG`, then in-cluster config. Every request has a timeout; lists are read
//! in pages so a 150,000-pod cluster never sits in memory at once.

use std::time::Duration;

use futures::Future;
use kube::api::{Api, ListParams, ObjectList};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Where to connect, as the global flags say.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub kubeconfig: Option<std::path::PathBuf>,
    pub context: Option<String>,
    /// Longest wait for one server response (`--request-timeout`); `None` waits for ever.
    pub request_timeout: Option<Duration>,
}

/// The default of `--request-timeout`: a request the API server holds longer is given up (and
/// retried, as any dropped connection).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Items per list page; kubectl uses 500.
pub const PAGE: u32 = 500;
const ATTEMPTS: u32 = 5;

pub async fn client(t: &Target) -> Result<Client> {
    let opts = KubeConfigOptions {
        context: t.context.clone(),
        ..Default::default()
    };
    let config = match &t.kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path).map_err(|e| Error::Input {
                location: path.display().to_string(),
                message: format!("cannot use this kubeconfig: {e}"),
                help: Some(
                    "check the file, or drop --kubeconfig to use KUBECONFIG / ~/.kube/config"
                        .into(),
                ),
            })?;
            Config::from_custom_kubeconfig(kc, &opts)
                .await
                .map_err(|e| kubeconfig_err(&e.to_string(), t))?
        }
        None if t.context.is_some() => Config::from_kubeconfig(&opts)
            .await
            .map_err(|e| kubeconfig_err(&e.to_string(), t))?,
        None => Config::infer()
            .await
            .map_err(|e| kubeconfig_err(&e.to_string(), t))?,
    };
    finish(config, t.request_timeout)
}

/// The kubeconfig as `--kubeconfig`, else `KUBECONFIG` (merged), else `~/.kube/config` name it,
/// read once: a fleet run builds every context's client from this one copy.
pub fn read_kubeconfig(path: Option<&std::path::Path>) -> Result<Kubeconfig> {
    match path {
        Some(path) => Kubeconfig::read_from(path).map_err(|e| Error::Input {
            location: path.display().to_string(),
            message: format!("cannot use this kubeconfig: {e}"),
            help: Some(
                "check the file, or drop --kubeconfig to use KUBECONFIG / ~/.kube/config".into(),
            ),
        }),
        None => Kubeconfig::read().map_err(|e| Error::Kube {
            message: format!("no usable kubeconfig: {e}"),
            help: Some(
                "set KUBECONFIG, pass --kubeconfig, or run `aws eks update-kubeconfig --name CLUSTER`"
                    .into(),
            ),
        }),
    }
}

/// A client for one context of an already read kubeconfig. Only that context's cluster and user
/// are copied, so building hundreds of clients costs no more than one kubeconfig each.
pub async fn client_for_context(
    kc: &Kubeconfig,
    context: &str,
    request_timeout: Option<Duration>,
) -> Result<Client> {
    let named = kc.contexts.iter().find(|c| c.name == context);
    let (cluster, user) = named
        .and_then(|c| c.context.as_ref())
        .map(|c| (Some(c.cluster.as_str()), c.user.as_deref()))
        .unwrap_or((None, None));
    let one = Kubeconfig {
        clusters: kc
            .clusters
            .iter()
            .filter(|c| Some(c.name.as_str()) == cluster)
            .cloned()
            .collect(),
        auth_infos: kc
            .auth_infos
            .iter()
            .filter(|a| Some(a.name.as_str()) == user)
            .cloned()
            .collect(),
        contexts: named.into_iter().cloned().collect(),
        current_context: Some(context.to_string()),
        ..Default::default()
    };
    let opts = KubeConfigOptions {
        context: Some(context.to_string()),
        ..Default::default()
    };
    let target = Target {
        kubeconfig: None,
        context: Some(context.to_string()),
        request_timeout,
    };
    let config = Config::from_custom_kubeconfig(one, &opts)
        .await
        .map_err(|e| kubeconfig_err(&e.to_string(), &target))?;
    finish(config, request_timeout)
}

/// podnet's User-Agent. The API server names a write that carries no field manager (the Helm
/// release records, Helm's way) after it: without one, managedFields and audit logs said
/// `unknown` where the Helm CLI's records say `helm` and cilium-cli's `cilium`.
pub const USER_AGENT: &str = concat!("kubectl-podnet/", env!("CARGO_PKG_VERSION"));

fn finish(mut config: Config, request_timeout: Option<Duration>) -> Result<Client> {
    if config.accept_invalid_certs {
        // Only the kubeconfig can ask for this (kubectl's `insecure-skip-tls-verify: true`).
        tracing::warn!(
            "the kubeconfig sets insecure-skip-tls-verify: the TLS certificate of {} is not verified",
            config.cluster_url
        );
    }
    config.connect_timeout = Some(Duration::from_secs(10));
    config.read_timeout = request_timeout;
    config.write_timeout = request_timeout;
    config.headers.push((
        reqwest::header::USER_AGENT,
        reqwest::header::HeaderValue::from_static(USER_AGENT),
    ));
    Client::try_from(config).map_err(|e| Error::Kube {
        message: format!("cannot build a Kubernetes client: {e}"),
        help: None,
    })
}

/// True when `e` is the API server refusing our identity (401/403, as [`api_error`] words it):
/// the cluster answered, but cannot be checked with these credentials.
pub fn is_denied(e: &Error) -> bool {
    matches!(e, Error::Kube { message, .. } if message.contains(": 401 ") || message.contains(": 403 "))
}

/// True when `e` is a failure to reach the API server at all (connection refused, DNS, TLS),
/// as [`api_error`] words it.
pub fn is_unreachable(e: &Error) -> bool {
    matches!(e, Error::Kube { help: Some(h), .. } if h == UNREACHABLE_HELP)
}

const UNREACHABLE_HELP: &str = "check that the API server in the kubeconfig is reachable";

fn kubeconfig_err(msg: &str, t: &Target) -> Error {
    let help = match &t.context {
        Some(c) => format!("check that context `{c}` exists (kubectl config get-contexts)"),
        None => {
            "set KUBECONFIG, pass --kubeconfig, or run `aws eks update-kubeconfig --name CLUSTER`"
                .into()
        }
    };
    Error::Kube {
        message: format!("no usable kubeconfig: {msg}"),
        help: Some(help),
    }
}

/// True for errors worth another attempt: throttling, server faults, dropped connections.
fn retryable(e: &kube::Error) -> Option<Duration> {
    match e {
        kube::Error::Api(s) if s.code == 429 => Some(Duration::from_millis(500)),
        kube::Error::Api(s) if s.code >= 500 => Some(Duration::from_millis(200)),
        // An optimistic-concurrency conflict (not server-side apply's field conflicts, which
        // need the user): the next attempt reads or applies against the current object.
        kube::Error::Api(s)
            if s.code == 409 && s.message.contains("the object has been modified") =>
        {
            Some(Duration::from_millis(100))
        }
        kube::Error::Api(_) => None,
        kube::Error::HyperError(_) | kube::Error::Service(_) => Some(Duration::from_millis(200)),
        _ => None,
    }
}

/// Runs `call` with bounded retries and exponential backoff; `what` names the request in errors.
pub async fn with_retries<T, F, Fut>(what: &str, mut call: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, kube::Error>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) => match retryable(&e) {
                Some(base) if attempt < ATTEMPTS => {
                    let wait = base * 2u32.pow(attempt - 1);
                    tracing::info!(%what, attempt, error = %e, "retrying in {wait:?}");
                    tokio::time::sleep(wait).await;
                }
                _ => return Err(api_error(what, &e, attempt)),
            },
        }
    }
}

pub fn api_error(what: &str, e: &kube::Error, attempts: u32) -> Error {
    let tries = if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    };
    let (message, help) = match e {
        kube::Error::Api(s) if s.code == 401 || s.code == 403 => (
            format!("{what}: {} {}{tries}", s.code, s.message),
            "your identity lacks permission; check RBAC or the kubeconfig user".to_string(),
        ),
        // Server-side apply met fields another field manager set (kubectl edit/patch/apply).
        kube::Error::Api(s) if s.code == 409 && s.message.starts_with("Apply failed with") => (
            format!("{what}: {}{tries}", s.message),
            "these fields were changed outside the release since it was last applied (the \
             manager named owns them now); rerun with --force-conflicts to overwrite them, as \
             Helm v4's --force-conflicts, or undo the change first"
                .to_string(),
        ),
        kube::Error::Api(s) if s.code == 422 && s.message.contains("field is immutable") => (
            format!("{what}: {}{tries}", s.message),
            "the new chart changes a field Kubernetes never lets change (Helm fails the same \
             way); delete that object (for a workload, `kubectl delete --cascade=orphan` keeps \
             its pods running) and run the command again, which recreates it"
                .to_string(),
        ),
        kube::Error::Api(s) => (
            format!("{what}: {} {} ({}){tries}", s.code, s.message, s.reason),
            "retry later; with -v podnet logs each attempt".to_string(),
        ),
        kube::Error::HyperError(_) | kube::Error::Service(_) => {
            // The cause (refused, timed out, a certificate not trusted) is in the source chain;
            // "client error (Connect)" alone does not say which.
            let mut detail = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                let t = s.to_string();
                if !detail.contains(&t) {
                    detail.push_str(": ");
                    detail.push_str(&t);
                }
                src = s.source();
            }
            let help = if detail.contains("certificate") {
                "the API server's TLS certificate is not trusted: check the kubeconfig's                  certificate-authority(-data) for this cluster"
                    .to_string()
            } else {
                UNREACHABLE_HELP.to_string()
            };
            (format!("{what}: {detail}{tries}"), help)
        }
        other => (
            format!("{what}: {other}{tries}"),
            "check the kubeconfig's credentials and that its API server answers as Kubernetes does"
                .to_string(),
        ),
    };
    Error::Kube {
        message,
        help: Some(help),
    }
}

/// Gets one object, `None` when it does not exist.
pub async fn get_opt<K>(api: &Api<K>, name: &str, what: &str) -> Result<Option<K>>
where
    K: Clone + DeserializeOwned + std::fmt::Debug,
{
    with_retries(what, || api.get_opt(name)).await
}

/// Lists in pages of [`PAGE`], handing each page to `sink` before fetching the next.
pub async fn list_pages<K, S>(
    api: &Api<K>,
    params: ListParams,
    what: &str,
    mut sink: S,
) -> Result<usize>
where
    K: Clone + DeserializeOwned + std::fmt::Debug,
    S: FnMut(Vec<K>),
{
    let mut token: Option<String> = None;
    let mut total = 0;
    loop {
        let mut p = params.clone().limit(PAGE);
        if let Some(t) = &token {
            p = p.continue_token(t);
        }
        let page: ObjectList<K> = with_retries(what, || api.list(&p)).await?;
        token = page.metadata.continue_.clone().filter(|t| !t.is_empty());
        total += page.items.len();
        sink(page.items);
        if token.is_none() {
            return Ok(total);
        }
    }
}
