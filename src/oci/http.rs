//! Registry transport: the distribution API over reqwest (rustls, aws-lc-rs), with the
//! anonymous/credentialed bearer-token flow and basic auth, a timeout on every request and on
//! every read of a body, and bounded retries with backoff on 429/5xx and connection errors that
//! honour `Retry-After`. Errors name the registry, the repository and the status.
//!
//! oci-client's `Client` hides the status and headers of failed requests (so `Retry-After`
//! cannot be honoured) and swallows token-endpoint failures; the requests are therefore made
//! here, while the manifest and descriptor types and media types come from oci-client.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, LINK, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use sha2::{Digest, Sha256};

use super::auth::Credentials;
use super::cache::hex;

/// How to reach a registry.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    pub plain_http: bool,
    pub insecure_skip_tls_verify: bool,
    pub ca_file: Option<PathBuf>,
    /// Limit for connecting, for a response's headers, and for each read of a body.
    pub timeout: Duration,
    /// Retries after the first attempt (429, 5xx, connection errors, timeouts).
    pub retries: u32,
    /// Longest `Retry-After` honoured; a registry asking for more gets an error instead.
    pub max_retry_after: Duration,
    pub credentials: Option<Credentials>,
    /// Fixed addresses for host names (curl's `--resolve`).
    pub resolve: Vec<(String, std::net::SocketAddr)>,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            plain_http: false,
            insecure_skip_tls_verify: false,
            ca_file: None,
            timeout: Duration::from_secs(30),
            retries: 4,
            max_retry_after: Duration::from_secs(60),
            credentials: None,
            resolve: Vec::new(),
        }
    }
}

/// Slowest average a body may arrive at over each `timeout` window. A registry that sends one
/// byte a second never trips the per-read timeout; this floor abandons it after one window.
pub const MIN_BYTES_PER_SEC: u64 = 1024;

/// Measures a body's rate over windows of the transport's timeout.
struct RateFloor {
    window: Duration,
    start: std::time::Instant,
    bytes: u64,
}

impl RateFloor {
    fn new(window: Duration) -> RateFloor {
        RateFloor {
            window,
            start: std::time::Instant::now(),
            bytes: 0,
        }
    }

    /// Counts `n` bytes; the reason to give up when the window that just ended was too slow.
    fn add(&mut self, n: usize) -> Option<String> {
        self.bytes += n as u64;
        let elapsed = self.start.elapsed();
        if elapsed < self.window {
            return None;
        }
        let secs = elapsed.as_secs().max(1);
        if self.bytes < MIN_BYTES_PER_SEC * secs {
            return Some(format!(
                "too slow: {} bytes in {elapsed:.0?}, under {MIN_BYTES_PER_SEC} bytes/s",
                self.bytes
            ));
        }
        self.start = std::time::Instant::now();
        self.bytes = 0;
        None
    }
}

/// A failed registry operation. `status` is the last HTTP status, if one came back.
#[derive(Debug, Clone)]
pub struct RegistryError {
    pub message: String,
    pub status: Option<u16>,
    pub help: Option<String>,
}

impl RegistryError {
    fn new(message: String) -> Self {
        RegistryError {
            message,
            status: None,
            help: None,
        }
    }

    fn help(mut self, h: impl Into<String>) -> Self {
        self.help = Some(h.into());
        self
    }
}

#[derive(Debug, Clone)]
enum AuthState {
    Anonymous,
    Basic,
    Bearer(String),
}

/// A connection to one repository of one registry.
pub struct Transport {
    client: reqwest::Client,
    base: String,
    pub registry: String,
    pub repository: String,
    opts: TransportOptions,
    auth: Mutex<AuthState>,
    requests: AtomicU64,
}

#[derive(Debug, Default)]
struct Challenge {
    scheme: String,
    params: Vec<(String, String)>,
}

impl Challenge {
    fn get(&self, k: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
}

/// `Bearer realm="…",service="…",scope="…"` (quoted values may hold commas).
fn parse_challenge(h: &str) -> Challenge {
    let h = h.trim();
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    let mut params = Vec::new();
    let mut s = rest.trim();
    while !s.is_empty() {
        let Some((k, after)) = s.split_once('=') else {
            break;
        };
        let k = k.trim().trim_start_matches(',').trim().to_string();
        let after = after.trim_start();
        let (v, next) = if let Some(q) = after.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = q.char_indices();
            let mut end = q.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            out.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => out.push(c),
                }
            }
            (out, &q[end..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        params.push((k, v));
        s = next.trim_start().trim_start_matches(',').trim_start();
    }
    Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    }
}

/// `Retry-After`: delay-seconds, or an HTTP-date (IMF-fixdate) turned into the time left.
fn retry_after(h: &HeaderMap) -> Option<Duration> {
    let v = h.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(Duration::from_secs(s));
    }
    let at = http_date(v)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Unix seconds of `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(v: &str) -> Option<u64> {
    let f: Vec<&str> = v.split_whitespace().collect();
    if f.len() != 6 || f[5] != "GMT" {
        return None;
    }
    let day: i64 = f[1].parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == f[2])? as i64
        + 1;
    let year: i64 = f[3].parse().ok()?;
    let hms: Vec<i64> = f[4].split(':').filter_map(|x| x.parse().ok()).collect();
    if hms.len() != 3 {
        return None;
    }
    // days from civil (Howard Hinnant's algorithm)
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2]).ok()
}

fn backoff(attempt: u32) -> Duration {
    let base = 250u64.saturating_mul(1 << attempt.min(5)).min(4000);
    // Jitter without a random-number dependency: the clock's sub-millisecond part.
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos() % 1000) * base / 4000)
        .unwrap_or(0);
    Duration::from_millis(base + jitter)
}

fn retryable_status(s: StatusCode) -> bool {
    matches!(s.as_u16(), 429 | 500 | 502 | 503 | 504)
}

fn describe_reqwest(e: &reqwest::Error) -> String {
    // reqwest's Display names the URL; the source chain says what went wrong.
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

/// The registry answers read from text alone (a `WWW-Authenticate` challenge, an error body), for
/// the fuzz target `oci_manifest`: they come from whatever server `--chart` names.
#[doc(hidden)]
pub fn fuzz_parse_answers(text: &str) -> usize {
    let c = parse_challenge(text);
    c.scheme.len() + c.params.len() + error_body(text.as_bytes()).len()
}

/// Short text of a distribution error body (`{"errors":[{"code":…,"message":…}]}`).
fn error_body(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Env {
        errors: Vec<E>,
    }
    #[derive(serde::Deserialize)]
    struct E {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    if let Ok(env) = serde_json::from_slice::<Env>(body) {
        return env
            .errors
            .iter()
            .map(|e| format!("{} {}", e.code, e.message).trim().to_string())
            .collect::<Vec<_>>()
            .join("; ");
    }
    let t = String::from_utf8_lossy(body);
    t.trim().chars().take(200).collect()
}

impl Transport {
    pub fn new(
        registry: &str,
        repository: &str,
        opts: TransportOptions,
    ) -> Result<Transport, RegistryError> {
        let mut b = reqwest::Client::builder()
            .connect_timeout(opts.timeout)
            .user_agent(concat!("kubectl-podnet/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(5));
        if opts.insecure_skip_tls_verify {
            b = b.danger_accept_invalid_certs(true);
        }
        for (host, addr) in &opts.resolve {
            b = b.resolve(host, *addr);
        }
        if let Some(ca) = &opts.ca_file {
            let pem = std::fs::read(ca).map_err(|e| {
                RegistryError::new(format!("cannot read --ca-file {}: {e}", ca.display()))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                RegistryError::new(format!(
                    "--ca-file {} holds no usable PEM certificate: {e}",
                    ca.display()
                ))
            })?;
            b = b.tls_certs_merge(certs);
        }
        let client = b.build().map_err(|e| {
            RegistryError::new(format!(
                "cannot set up the HTTP client: {}",
                describe_reqwest(&e)
            ))
        })?;
        let scheme = if opts.plain_http { "http" } else { "https" };
        // Docker Hub's registry API lives at registry-1.docker.io (as Helm/ORAS map it).
        let host = if registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            registry
        };
        Ok(Transport {
            client,
            base: format!("{scheme}://{host}"),
            registry: registry.to_string(),
            repository: repository.to_string(),
            auth: Mutex::new(AuthState::Anonymous),
            opts,
            requests: AtomicU64::new(0),
        })
    }

    /// Requests sent so far (every attempt counts).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn location(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v2/{}/{}", self.base, self.repository, path)
    }

    fn auth_state(&self) -> AuthState {
        self.auth
            .lock()
            .map(|a| a.clone())
            .unwrap_or(AuthState::Anonymous)
    }

    fn set_auth(&self, s: AuthState) {
        if let Ok(mut a) = self.auth.lock() {
            *a = s;
        }
    }

    /// Sends one request with retries; `what` says what was asked for ("manifest 1.17.18").
    /// Returns the first response that is neither retryable nor an auth challenge we can answer.
    async fn send(
        &self,
        method: Method,
        url: &str,
        accept: Option<&str>,
        what: &str,
    ) -> Result<Response, RegistryError> {
        let mut attempt: u32 = 0;
        let mut auth_rounds = 0;
        loop {
            let mut rb = self.client.request(method.clone(), url);
            if let Some(a) = accept {
                rb = rb.header(ACCEPT, a);
            }
            rb = match (self.auth_state(), &self.opts.credentials) {
                (AuthState::Bearer(t), _) => rb.bearer_auth(t),
                (AuthState::Basic, Some(c)) => rb.basic_auth(&c.username, Some(&c.password)),
                _ => rb,
            };
            self.requests.fetch_add(1, Ordering::Relaxed);
            tracing::debug!("{method} {url}");
            let fail = |detail: String, status: Option<u16>| RegistryError {
                message: format!(
                    "cannot get {what} from {} (registry {}, repository {}): {detail}",
                    self.location(),
                    self.registry,
                    self.repository
                ),
                status,
                help: None,
            };
            let res = tokio::time::timeout(self.opts.timeout, rb.send()).await;
            let res = match res {
                Err(_) => Err(format!(
                    "no response within {:?} ({method} {url})",
                    self.opts.timeout
                )),
                Ok(Err(e)) => Err(describe_reqwest(&e)),
                Ok(Ok(r)) => Ok(r),
            };
            let r = match res {
                Err(detail) => {
                    if attempt < self.opts.retries {
                        attempt += 1;
                        let d = backoff(attempt);
                        tracing::info!("{detail}; retry {attempt} in {d:?}");
                        tokio::time::sleep(d).await;
                        continue;
                    }
                    return Err(fail(
                        format!("{detail} (after {} attempts)", attempt + 1),
                        None,
                    )
                    .help(
                        "check that the registry is up and reachable (use --plain-http for a registry without TLS)",
                    ));
                }
                Ok(r) => r,
            };
            let status = r.status();
            if status == StatusCode::UNAUTHORIZED && auth_rounds < 2 {
                auth_rounds += 1;
                let header = r
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_string);
                if self.answer_challenge(header.as_deref(), what).await? {
                    continue;
                }
                return Err(fail("401 Unauthorized".into(), Some(401)).help(
                    "log in (docker login / helm registry login) or pass --username with --password-stdin",
                ));
            }
            if retryable_status(status) {
                let wait = retry_after(r.headers());
                let body = read_small(r, self.opts.timeout).await;
                if attempt < self.opts.retries {
                    attempt += 1;
                    let d = match wait {
                        Some(w) if w > self.opts.max_retry_after => {
                            return Err(fail(
                                format!(
                                    "{status}; the registry asks to retry after {w:?}, more than the {:?} podnet waits",
                                    self.opts.max_retry_after
                                ),
                                Some(status.as_u16()),
                            ));
                        }
                        Some(w) => w,
                        None => backoff(attempt),
                    };
                    tracing::info!("{method} {url}: {status}; retry {attempt} in {d:?}");
                    tokio::time::sleep(d).await;
                    continue;
                }
                let detail = error_body(&body);
                return Err(fail(
                    format!(
                        "{status} after {} attempts{}{detail}",
                        attempt + 1,
                        if detail.is_empty() { "" } else { ": " },
                    ),
                    Some(status.as_u16()),
                ));
            }
            return Ok(r);
        }
    }

    /// Answers a 401 challenge; `Ok(true)` when the request should be sent again.
    async fn answer_challenge(
        &self,
        header: Option<&str>,
        what: &str,
    ) -> Result<bool, RegistryError> {
        let Some(h) = header else {
            return Ok(false);
        };
        let ch = parse_challenge(h);
        match ch.scheme.as_str() {
            "basic" => {
                if self.opts.credentials.is_some() && !matches!(self.auth_state(), AuthState::Basic)
                {
                    self.set_auth(AuthState::Basic);
                    return Ok(true);
                }
                Ok(false)
            }
            "bearer" => {
                let token = self.fetch_token(&ch, what).await?;
                let fresh = !matches!(self.auth_state(), AuthState::Bearer(ref t) if *t == token);
                self.set_auth(AuthState::Bearer(token));
                Ok(fresh)
            }
            _ => Ok(false),
        }
    }

    /// Docker token auth: GET realm?service=…&scope=… (basic auth with credentials, anonymous
    /// without); OAuth2 refresh-token POST for identity tokens.
    async fn fetch_token(&self, ch: &Challenge, what: &str) -> Result<String, RegistryError> {
        let realm = ch.get("realm").ok_or_else(|| {
            RegistryError::new(format!(
                "{} asked for a bearer token without naming a token realm",
                self.registry
            ))
        })?;
        let default_scope = format!("repository:{}:pull", self.repository);
        let scope = ch.get("scope").unwrap_or(&default_scope).to_string();
        let service = ch.get("service").map(str::to_string);
        let mut attempt = 0;
        loop {
            let mut rb;
            match &self.opts.credentials {
                Some(c) if c.username == "<token>" => {
                    let mut form = vec![
                        ("grant_type", "refresh_token".to_string()),
                        ("refresh_token", c.password.clone()),
                        ("client_id", "kubectl-podnet".to_string()),
                        ("scope", scope.clone()),
                    ];
                    if let Some(s) = &service {
                        form.push(("service", s.clone()));
                    }
                    let body = form
                        .iter()
                        .map(|(k, v)| format!("{k}={}", urlencode(v)))
                        .collect::<Vec<_>>()
                        .join("&");
                    rb = self
                        .client
                        .post(realm)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body);
                }
                creds => {
                    let mut q = vec![format!("scope={}", urlencode(&scope))];
                    if let Some(s) = &service {
                        q.push(format!("service={}", urlencode(s)));
                    }
                    let sep = if realm.contains('?') { '&' } else { '?' };
                    rb = self.client.get(format!("{realm}{sep}{}", q.join("&")));
                    if let Some(c) = creds {
                        rb = rb.basic_auth(&c.username, Some(&c.password));
                    }
                }
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            tracing::debug!("token request to {realm} for {scope}");
            let res = tokio::time::timeout(self.opts.timeout, rb.send()).await;
            let err_ctx = || {
                format!(
                    "cannot get a token for {what} of {} from {realm}",
                    self.location()
                )
            };
            let r = match res {
                Ok(Ok(r)) if !retryable_status(r.status()) => r,
                other => {
                    let detail = match other {
                        Err(_) => format!("no response within {:?}", self.opts.timeout),
                        Ok(Err(e)) => describe_reqwest(&e),
                        Ok(Ok(r)) => r.status().to_string(),
                    };
                    if attempt < self.opts.retries {
                        attempt += 1;
                        tokio::time::sleep(backoff(attempt)).await;
                        continue;
                    }
                    return Err(RegistryError::new(format!("{}: {detail}", err_ctx())));
                }
            };
            let status = r.status();
            let body = read_small(r, self.opts.timeout).await;
            if !status.is_success() {
                let who = match &self.opts.credentials {
                    Some(c) => format!(" (credentials from {})", c.source),
                    None => " (anonymous)".to_string(),
                };
                return Err(RegistryError {
                    message: format!("{}: {status}{who}: {}", err_ctx(), error_body(&body)),
                    status: Some(status.as_u16()),
                    help: Some(
                        "check the credentials (docker login / helm registry login, or --username with --password-stdin)"
                            .into(),
                    ),
                });
            }
            #[derive(serde::Deserialize)]
            struct Tok {
                #[serde(default)]
                token: Option<String>,
                #[serde(default)]
                access_token: Option<String>,
            }
            let t: Tok = serde_json::from_slice(&body).map_err(|_| {
                RegistryError::new(format!("{}: the answer is not a token", err_ctx()))
            })?;
            return t
                .token
                .filter(|t| !t.is_empty())
                .or(t.access_token)
                .ok_or_else(|| {
                    RegistryError::new(format!("{}: the answer holds no token", err_ctx()))
                });
        }
    }

    fn status_error(&self, what: &str, status: StatusCode, body: &[u8]) -> RegistryError {
        let detail = error_body(body);
        let mut e = RegistryError {
            message: format!(
                "cannot get {what} from {} (registry {}, repository {}): {status}{}{}",
                self.location(),
                self.registry,
                self.repository,
                if detail.is_empty() { "" } else { ": " },
                detail
            ),
            status: Some(status.as_u16()),
            help: None,
        };
        if status == StatusCode::NOT_FOUND {
            e = e.help(
                "check the chart reference and version (kubectl podnet cilium versions --chart …)",
            );
        } else if status == StatusCode::FORBIDDEN {
            e = e.help("the credentials are not allowed to pull this repository");
        }
        e
    }

    /// HEAD of a manifest: its digest (`Docker-Content-Digest`), or `None` if the registry
    /// does not send it.
    pub async fn head_manifest(&self, reference: &str) -> Result<Option<String>, RegistryError> {
        let what = format!("manifest {reference}");
        let r = self
            .send(
                Method::HEAD,
                &self.url(&format!("manifests/{reference}")),
                Some(MANIFEST_ACCEPT),
                &what,
            )
            .await?;
        if !r.status().is_success() {
            return Err(self.status_error(&what, r.status(), b""));
        }
        Ok(r.headers()
            .get("docker-content-digest")
            .and_then(|h| h.to_str().ok())
            .map(str::to_string))
    }

    /// GET of a manifest by tag or digest: (bytes, digest). A digest reference is verified; for
    /// a tag the digest is computed and checked against `Docker-Content-Digest` when sent.
    pub async fn get_manifest(&self, reference: &str) -> Result<(Vec<u8>, String), RegistryError> {
        let what = format!("manifest {reference}");
        let r = self
            .send(
                Method::GET,
                &self.url(&format!("manifests/{reference}")),
                Some(MANIFEST_ACCEPT),
                &what,
            )
            .await?;
        let status = r.status();
        let header = r
            .headers()
            .get("docker-content-digest")
            .and_then(|h| h.to_str().ok())
            .map(str::to_string);
        let body = self.read_body(r, &what, 4 << 20).await?;
        if !status.is_success() {
            return Err(self.status_error(&what, status, &body));
        }
        let digest = super::cache::sha256_digest(&body);
        let expected = if reference.starts_with("sha256:") {
            Some(reference.to_string())
        } else {
            header.filter(|h| h.starts_with("sha256:"))
        };
        if let Some(e) = expected
            && e != digest
        {
            return Err(RegistryError::new(format!(
                "{what} from {} does not match its digest: expected {e}, got {digest}",
                self.location()
            )));
        }
        Ok((body, digest))
    }

    async fn read_body(
        &self,
        mut r: Response,
        what: &str,
        limit: usize,
    ) -> Result<Vec<u8>, RegistryError> {
        let mut out = Vec::new();
        let mut rate = RateFloor::new(self.opts.timeout);
        loop {
            match tokio::time::timeout(self.opts.timeout, r.chunk()).await {
                Err(_) => {
                    return Err(RegistryError::new(format!(
                        "reading {what} from {} stalled for {:?}",
                        self.location(),
                        self.opts.timeout
                    )));
                }
                Ok(Err(e)) => {
                    return Err(RegistryError::new(format!(
                        "reading {what} from {} failed: {}",
                        self.location(),
                        describe_reqwest(&e)
                    )));
                }
                Ok(Ok(None)) => return Ok(out),
                Ok(Ok(Some(c))) => {
                    if let Some(slow) = rate.add(c.len()) {
                        return Err(RegistryError::new(format!(
                            "reading {what} from {} failed: {slow}",
                            self.location()
                        )));
                    }
                    out.extend_from_slice(&c);
                    if out.len() > limit {
                        return Err(RegistryError::new(format!(
                            "{what} from {} is larger than {limit} bytes",
                            self.location()
                        )));
                    }
                }
            }
        }
    }

    /// Downloads a blob into `out` (truncated first), verifying size and sha256 as it streams.
    /// An interrupted body is retried from the start; a digest mismatch is not.
    pub async fn get_blob(
        &self,
        digest: &str,
        size: Option<u64>,
        out: &mut std::fs::File,
    ) -> Result<(), RegistryError> {
        use std::io::{Seek, Write};
        let what = format!("blob {digest}");
        let mut attempt = 0;
        loop {
            let r = self
                .send(
                    Method::GET,
                    &self.url(&format!("blobs/{digest}")),
                    None,
                    &what,
                )
                .await?;
            let status = r.status();
            if !status.is_success() {
                let body = read_small(r, self.opts.timeout).await;
                return Err(self.status_error(&what, status, &body));
            }
            let io = |e: std::io::Error| {
                RegistryError::new(format!("cannot write {what} to the cache: {e}"))
            };
            out.set_len(0).map_err(io)?;
            out.rewind().map_err(io)?;
            let mut hasher = Sha256::new();
            let mut n: u64 = 0;
            let mut r = r;
            let mut rate = RateFloor::new(self.opts.timeout);
            let interrupted = loop {
                match tokio::time::timeout(self.opts.timeout, r.chunk()).await {
                    Err(_) => break Some(format!("stalled for {:?}", self.opts.timeout)),
                    Ok(Err(e)) => break Some(describe_reqwest(&e)),
                    Ok(Ok(None)) => break None,
                    Ok(Ok(Some(c))) => {
                        if let Some(slow) = rate.add(c.len()) {
                            break Some(slow);
                        }
                        hasher.update(&c);
                        n += c.len() as u64;
                        if size.is_some_and(|s| n > s) {
                            break None;
                        }
                        out.write_all(&c).map_err(io)?;
                    }
                }
            };
            if let Some(detail) = interrupted {
                if attempt < self.opts.retries {
                    attempt += 1;
                    let d = backoff(attempt);
                    tracing::info!(
                        "download of {what} interrupted ({detail}); retry {attempt} in {d:?}"
                    );
                    tokio::time::sleep(d).await;
                    continue;
                }
                return Err(RegistryError::new(format!(
                    "download of {what} from {} (registry {}, repository {}) was interrupted after {n} bytes, {} attempts: {detail}",
                    self.location(),
                    self.registry,
                    self.repository,
                    attempt + 1
                )));
            }
            let got = format!("sha256:{}", hex(&hasher.finalize()));
            if size.is_some_and(|s| s != n) || got != digest {
                return Err(RegistryError::new(format!(
                    "{what} from {} does not match its digest: got {got} ({n} bytes{}); nothing was cached",
                    self.location(),
                    size.map(|s| format!(", expected {s}")).unwrap_or_default()
                ))
                .help("the registry's copy is damaged or was tampered with; re-push the chart"));
            }
            out.flush().map_err(io)?;
            return Ok(());
        }
    }

    /// Every tag of the repository (following `Link` pagination).
    pub async fn list_tags(&self) -> Result<Vec<String>, RegistryError> {
        #[derive(serde::Deserialize)]
        struct Tags {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let mut url = self.url("tags/list?n=1000");
        let mut out = Vec::new();
        for _ in 0..100 {
            let r = self.send(Method::GET, &url, None, "the tag list").await?;
            let status = r.status();
            let next = r
                .headers()
                .get(LINK)
                .and_then(|h| h.to_str().ok())
                .and_then(|l| {
                    let (u, rest) = l.trim().strip_prefix('<')?.split_once('>')?;
                    rest.contains("rel=\"next\"").then(|| u.to_string())
                });
            let body = self.read_body(r, "the tag list", 16 << 20).await?;
            if !status.is_success() {
                return Err(self.status_error("the tag list", status, &body));
            }
            let t: Tags = serde_json::from_slice(&body).map_err(|e| {
                RegistryError::new(format!(
                    "the tag list of {} is not JSON: {e}",
                    self.location()
                ))
            })?;
            out.extend(t.tags.unwrap_or_default());
            match next {
                Some(n) if n.starts_with('/') => url = format!("{}{n}", self.base),
                Some(n) => url = n,
                None => return Ok(out),
            }
        }
        Ok(out)
    }
}

async fn read_small(r: Response, timeout: Duration) -> Vec<u8> {
    match tokio::time::timeout(timeout, r.bytes()).await {
        Ok(Ok(b)) => b.iter().take(64 * 1024).copied().collect(),
        _ => Vec::new(),
    }
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What podnet accepts as a chart manifest: OCI image manifests (Helm's) and docker v2.
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json;q=0.5";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_challenges() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.get("realm"), Some("https://auth.example/token"));
        assert_eq!(c.get("service"), Some("registry.example"));
        assert_eq!(c.get("scope"), Some("repository:a/b:pull,push"));
        let c = parse_challenge(r#"Basic realm="Registry Realm""#);
        assert_eq!(c.scheme, "basic");
        assert_eq!(c.get("realm"), Some("Registry Realm"));
    }

    #[test]
    fn retry_after_and_backoff() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784111777));
        h.insert(
            RETRY_AFTER,
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        assert!(backoff(1) >= Duration::from_millis(500) && backoff(9) <= Duration::from_secs(5));
        assert_eq!(
            urlencode("repository:a/b:pull"),
            "repository%3Aa%2Fb%3Apull"
        );
    }
}
