//! An OCI registry peer: Debian's `docker-registry` (distribution v2) on a free port with a temp
//! storage dir, optional htpasswd auth or TLS from a test CA; the test charts re-packaged under
//! other versions and pushed by Helm v4; and a small HTTP/1.1 proxy that counts requests,
//! injects 500/429 answers, cuts blob downloads, and can play a bearer token server in front of
//! the registry.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine;

use crate::helm::sdk;
use crate::http::status as http_status;
use crate::ports::free_port;

/// A running `docker-registry serve`; killed on drop.
pub struct Registry {
    child: Child,
    pub dir: tempfile::TempDir,
    /// `127.0.0.1:PORT`
    pub addr: String,
    pub storage: PathBuf,
    pub auth: Option<(String, String)>,
    /// PEM file of the CA that signed the registry's certificate (TLS registries only).
    pub ca: Option<PathBuf>,
}

impl Registry {
    pub fn start() -> Registry {
        Self::start_inner(None, false)
    }

    /// Serving HTTPS with a certificate for 127.0.0.1 from a test CA (`self.ca`).
    pub fn start_tls() -> Registry {
        Self::start_inner(None, true)
    }

    /// With htpasswd basic auth (bcrypt entry made by `htpasswd` from apache2-utils).
    pub fn start_with_htpasswd(user: &str, password: &str) -> Registry {
        Self::start_inner(Some((user.to_string(), password.to_string())), false)
    }

    fn start_inner(auth: Option<(String, String)>, tls: bool) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("data");
        let mut cfg = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n",
            storage.display()
        );
        if let Some((u, p)) = &auth {
            let htpasswd = dir.path().join("htpasswd");
            let out = Command::new("htpasswd")
                .args(["-Bbn", u, p])
                .output()
                .expect("htpasswd (apache2-utils) is needed: bash tests/setup.sh installs it");
            assert!(out.status.success());
            std::fs::write(&htpasswd, &out.stdout).unwrap();
            cfg.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: podnet-test\n    path: {}\n",
                htpasswd.display()
            ));
        }
        let ca = tls.then(|| {
            let (ca, cert, key) = test_ca_and_cert(dir.path());
            cfg.push_str(&format!(
                "http:\n  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                key.display()
            ));
            ca
        });
        for _ in 0..5 {
            let port = free_port();
            let addr = format!("127.0.0.1:{port}");
            let c = if tls {
                format!("{cfg}  addr: {addr}\n")
            } else {
                format!("{cfg}http:\n  addr: {addr}\n")
            };
            let cfg_path = dir.path().join("config.yml");
            std::fs::write(&cfg_path, c).unwrap();
            let mut child = Command::new("docker-registry")
                .arg("serve")
                .arg(&cfg_path)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("docker-registry is needed: bash tests/setup.sh installs it");
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // port taken: try another
                }
                let up = if tls {
                    TcpStream::connect(&addr).is_ok()
                } else {
                    http_status(&addr, "GET", "/v2/", None).is_some_and(|c| c == 200 || c == 401)
                };
                if up {
                    return Registry {
                        child,
                        dir,
                        addr,
                        storage,
                        auth,
                        ca,
                    };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("docker-registry did not start");
    }

    /// The stored file of a blob (distribution's filesystem layout).
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.storage
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem).
fn test_ca_and_cert(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "podnet test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let cert = params.signed_by(&key, &issuer).unwrap();
    let (ca_p, cert_p, key_p) = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&ca_p, ca_cert.pem()).unwrap();
    std::fs::write(&cert_p, cert.pem()).unwrap();
    std::fs::write(&key_p, key.serialize_pem()).unwrap();
    (ca_p, cert_p, key_p)
}

/// Real Cilium chart versions (and EKS rebuild tags) made from the listed 1.17.18 chart by
/// re-packaging it with Helm under other versions. Packaged once per test binary.
pub const VERSIONS: &[&str] = &[
    "1.16.15-0",
    "1.16.16-0",
    "1.17.6-0",
    "1.17.6-1",
    "1.17.18",
    "1.18.0-rc.1",
    "1.18.4-0",
    "1.15.19+podnet.1",
];

/// The pushed charts: version → file.
pub fn charts() -> &'static Vec<(String, PathBuf)> {
    static CHARTS: OnceLock<Vec<(String, PathBuf)>> = OnceLock::new();
    CHARTS.get_or_init(|| {
        let original = crate::charts::cilium(crate::charts::CILIUM);
        // Kept between runs beside the build (re-packaging costs seconds); files appear by rename only.
        let dir = crate::podnet::binary()
            .parent()
            .expect("target dir")
            .join("testkit-oci-charts");
        std::fs::create_dir_all(&dir).unwrap();
        let path = |v: &str| dir.join(format!("cilium-{v}.tgz"));
        let missing: Vec<&str> = VERSIONS
            .iter()
            .copied()
            .filter(|v| *v != crate::charts::CILIUM && !path(v).exists())
            .collect();
        if !missing.is_empty() {
            let stage = tempfile::tempdir_in(&dir).unwrap();
            let r = sdk::run(
                serde_json::json!({
                    "op": "package", "src": original, "versions": missing, "dest": stage.path(),
                }),
                &[],
            );
            for v in &missing {
                std::fs::rename(r["charts"][v].as_str().unwrap(), path(v)).unwrap();
            }
        }
        let orig = path(crate::charts::CILIUM);
        if !orig.exists() {
            // The original archive, byte for byte.
            let tmp = dir.join(format!(".orig-{}", std::process::id()));
            std::fs::copy(&original, &tmp).unwrap();
            std::fs::rename(&tmp, &orig).unwrap();
        }
        VERSIONS.iter().map(|v| (v.to_string(), path(v))).collect()
    })
}

/// The chart packaged as `version`.
pub fn chart(version: &str) -> PathBuf {
    charts()
        .iter()
        .find(|(v, _)| v == version)
        .unwrap_or_else(|| panic!("no test chart {version}"))
        .1
        .clone()
}

impl Registry {
    /// Pushes charts with Helm; returns version → manifest digest.
    pub fn push(&self, versions: &[&str]) -> BTreeMap<String, String> {
        let creds = self.dir.path().join("helm-registry.json");
        let paths: Vec<PathBuf> = versions.iter().map(|v| chart(v)).collect();
        let mut req = serde_json::json!({
            "op": "push", "charts": paths, "remote": format!("oci://{}/charts", self.addr),
            "credentials_file": creds,
        });
        if let Some((u, p)) = &self.auth {
            req["username"] = u.clone().into();
            req["password"] = p.clone().into();
        }
        let r = match &self.ca {
            Some(ca) => {
                req["tls"] = true.into();
                sdk::run(req, &[("SSL_CERT_FILE", ca)])
            }
            None => sdk::run(req, &[]),
        };
        r["digests"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect()
    }

    /// `helm pull` of `oci://ADDR/charts/cilium` at `version` into `dest`; returns the file Helm wrote.
    pub fn helm_pull(&self, version: &str, dest: &Path) -> PathBuf {
        std::fs::create_dir_all(dest).unwrap();
        let r = sdk::run(
            serde_json::json!({
                "op": "pull", "ref": format!("oci://{}/charts/cilium", self.addr), "version": version,
                "dest": dest, "credentials_file": self.dir.path().join("helm-registry.json"),
            }),
            &[],
        );
        dest.join(r["files"][0].as_str().unwrap())
    }
}

// ---------------------------------------------------------------------------------------------
// Fault-injecting, counting proxy (and bearer token server) in front of the registry.

/// Bearer token auth played by the proxy: `/token` hands out `token` (to anyone, or only with
/// the basic credentials in `require`), and `/v2/<repo>/…` needs `Authorization: Bearer token`.
#[derive(Clone, Debug)]
pub struct TokenMode {
    pub require: Option<(String, String)>,
    pub token: String,
}

#[derive(Default, Debug)]
pub struct ProxyState {
    /// `METHOD target` of every request received.
    pub log: Vec<String>,
    /// Status (and Retry-After seconds) for the next requests to `/v2/…`, one each.
    pub faults: VecDeque<(u16, Option<u64>)>,
    /// How many blob downloads to cut halfway (after the headers announced the full length).
    pub cut_blobs: usize,
    /// Blob downloads send half their body, then hang (until the client gives up or dies).
    pub stall_blobs: bool,
    pub token: Option<TokenMode>,
}

pub struct Proxy {
    pub addr: String,
    pub state: Arc<Mutex<ProxyState>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    pub fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let state = Arc::new(Mutex::new(ProxyState::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp, up, me) = (
            state.clone(),
            stop.clone(),
            upstream.to_string(),
            addr.clone(),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (st, up, me) = (st.clone(), up.clone(), me.clone());
                std::thread::spawn(move || {
                    let _ = handle(conn, &up, &st, &me);
                });
            }
        });
        Proxy { addr, state, stop }
    }

    pub fn count(&self) -> usize {
        self.state.lock().unwrap().log.len()
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn fail_next(&self, faults: &[(u16, Option<u64>)]) {
        self.state
            .lock()
            .unwrap()
            .faults
            .extend(faults.iter().copied());
    }

    pub fn cut_blobs(&self, n: usize) {
        self.state.lock().unwrap().cut_blobs = n;
    }

    pub fn stall_blobs(&self, on: bool) {
        self.state.lock().unwrap().stall_blobs = on;
    }

    pub fn token_mode(&self, mode: TokenMode) {
        self.state.lock().unwrap().token = Some(mode);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr);
    }
}

fn respond(
    w: &mut TcpStream,
    code: u16,
    reason: &str,
    headers: &[(String, String)],
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    let mut out = format!("HTTP/1.1 {code} {reason}\r\n");
    let mut has_len = false;
    for (k, v) in headers {
        if k.eq_ignore_ascii_case("content-length") {
            has_len = true;
        }
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has_len {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    w.write_all(out.as_bytes())?;
    if !head_only {
        w.write_all(body)?;
    }
    w.flush()
}

fn repo_of(target: &str) -> String {
    let p = target.strip_prefix("/v2/").unwrap_or("");
    for sep in ["/manifests/", "/blobs/", "/tags/"] {
        if let Some((r, _)) = p.split_once(sep) {
            return r.to_string();
        }
    }
    String::new()
}

fn handle(
    client: TcpStream,
    upstream: &str,
    state: &Mutex<ProxyState>,
    me: &str,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut w = client;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let mut headers: Vec<(String, String)> = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let header = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
        };
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body)?;
        let head_only = method == "HEAD";

        let (fault, token, cut) = {
            let mut s = state.lock().unwrap();
            s.log.push(format!("{method} {target}"));
            let fault = if target.starts_with("/v2/") {
                s.faults.pop_front()
            } else {
                None
            };
            let blob = method == "GET" && target.contains("/blobs/");
            let cut = blob && s.cut_blobs > 0;
            let stall = blob && s.stall_blobs;
            (fault, s.token.clone(), (cut, stall))
        };
        let (cut, stall) = cut;
        if let Some((code, retry_after)) = fault {
            let mut h = vec![("Content-Type".to_string(), "application/json".to_string())];
            if let Some(s) = retry_after {
                h.push(("Retry-After".into(), s.to_string()));
            }
            let body =
                br#"{"errors":[{"code":"UNAVAILABLE","message":"injected by the test proxy"}]}"#;
            respond(&mut w, code, "Injected", &h, body, head_only)?;
            continue;
        }
        if target.starts_with("/token") {
            let Some(t) = &token else {
                respond(&mut w, 404, "Not Found", &[], b"", head_only)?;
                continue;
            };
            let ok = match &t.require {
                None => true,
                Some((u, p)) => {
                    let want = format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
                    );
                    header("authorization").as_deref() == Some(want.as_str())
                }
            };
            if ok {
                let b = format!(r#"{{"token":"{}","expires_in":300}}"#, t.token);
                respond(
                    &mut w,
                    200,
                    "OK",
                    &[("Content-Type".into(), "application/json".into())],
                    b.as_bytes(),
                    head_only,
                )?;
            } else {
                respond(
                    &mut w,
                    401,
                    "Unauthorized",
                    &[],
                    br#"{"details":"bad credentials"}"#,
                    head_only,
                )?;
            }
            continue;
        }
        if let Some(t) = &token
            && target.starts_with("/v2/")
            && header("authorization").as_deref() != Some(format!("Bearer {}", t.token).as_str())
        {
            let ch = format!(
                r#"Bearer realm="http://{me}/token",service="podnet-test",scope="repository:{}:pull""#,
                repo_of(&target)
            );
            respond(
                &mut w,
                401,
                "Unauthorized",
                &[
                    ("WWW-Authenticate".into(), ch),
                    ("Content-Type".into(), "application/json".into()),
                ],
                br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
                head_only,
            )?;
            continue;
        }

        // Forward as HTTP/1.0: the registry then sends a plain body and closes.
        let mut up = TcpStream::connect(upstream)?;
        let mut req = format!("{method} {target} HTTP/1.0\r\nHost: {upstream}\r\n");
        for (k, v) in &headers {
            let k_l = k.to_ascii_lowercase();
            if k_l == "accept"
                || (k_l == "authorization" && token.is_none())
                || k_l == "content-type"
                || k_l == "content-length"
            {
                req.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        req.push_str("\r\n");
        up.write_all(req.as_bytes())?;
        up.write_all(&body)?;
        let mut raw = Vec::new();
        up.read_to_end(&mut raw)?;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(raw.len());
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let rbody = raw.get(split + 4..).unwrap_or(&[]).to_vec();
        let mut lines = head.lines();
        let status_line = lines.next().unwrap_or("HTTP/1.0 502 Bad Gateway");
        let mut sp = status_line.splitn(3, ' ');
        sp.next();
        let code: u16 = sp.next().and_then(|c| c.parse().ok()).unwrap_or(502);
        let reason = sp.next().unwrap_or("").to_string();
        let mut rh: Vec<(String, String)> = Vec::new();
        for l in lines {
            if let Some((k, v)) = l.split_once(':') {
                let k_l = k.trim().to_ascii_lowercase();
                if matches!(
                    k_l.as_str(),
                    "connection" | "transfer-encoding" | "keep-alive" | "content-length"
                ) {
                    continue;
                }
                rh.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        if head_only {
            let l = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().to_string())
                })
                .unwrap_or_else(|| "0".into());
            rh.push(("Content-Length".into(), l));
        }
        if (cut || stall) && code == 200 {
            if cut {
                state.lock().unwrap().cut_blobs -= 1;
            }
            rh.push(("Content-Length".into(), rbody.len().to_string()));
            let mut out = format!("HTTP/1.1 {code} {reason}\r\n");
            for (k, v) in &rh {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            w.write_all(out.as_bytes())?;
            w.write_all(&rbody[..rbody.len() / 2])?;
            w.flush()?;
            if stall && !cut {
                std::thread::sleep(Duration::from_secs(30));
            }
            let _ = w.shutdown(Shutdown::Both);
            return Ok(());
        }
        respond(&mut w, code, &reason, &rh, &rbody, head_only)?;
    }
}
