//! Secrets never shown (issue 24): known secret strings go in everywhere podnet meets secrets — a
//! kubeconfig bearer token and client key, Secret data in a chart, a registry password (stdin and
//! docker config), an ECR token from moto — and every output of every command is searched for them
//! (and their base64), with trace logging on: install, `upgrade --diff`, upgrade, get-values,
//! diff, status, history, and the errors of a wrong token, a refused connection and a wrong
//! password. Also: TLS verification is on unless asked off, and asking prints a warning.
//! Backends: the real control plane (`tests/cluster.sh`: kube-apiserver with client-certificate
//! TLS); Debian's docker-registry with htpasswd; moto.

mod lifecycle;

use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine as _;
use testkit::cluster::RealCluster;
use testkit::podnet::{expect_code, hybrid_values_file};

const KUBE_TOKEN: &str = "kubetoken-PODNETSECRET-1a2b3c";
const SECRET_DATA: &str = "chartdata-PODNETSECRET-4d5e6f";
const SECRET_DATA_2: &str = "chartdata-PODNETSECRET-upgraded-7a8b";
const REG_PASS: &str = "regpass-PODNETSECRET-9c0d";
/// moto's ECR authorization token decodes to `AWS:` and this (tests/oci_ecr.rs).
const ECR_PASS: &str = "123456789012-auth-token";

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Secrets met at run time (a cluster's client key), searched for too.
static MORE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Every secret string, plain and base64.
fn needles() -> Vec<String> {
    let mut v = Vec::new();
    for s in [KUBE_TOKEN, SECRET_DATA, SECRET_DATA_2, REG_PASS, ECR_PASS] {
        v.push(s.to_string());
        v.push(b64(s.as_bytes()));
    }
    v.push(b64(format!("podnet:{REG_PASS}").as_bytes()));
    v.push(b64(format!("AWS:{ECR_PASS}").as_bytes()));
    v.extend(MORE.lock().unwrap().iter().cloned());
    v
}

/// The real cluster's kubeconfig with a bearer token beside its client certificate and key
/// (x509 authenticates; the token is one more secret to keep); the key's strings are registered.
fn kubeconfig_with_token(kubeconfig: &Path) -> String {
    let kc = std::fs::read_to_string(kubeconfig).unwrap();
    let key_b64 = kc
        .lines()
        .find_map(|l| l.trim().strip_prefix("client-key-data: "))
        .expect("client-key-data")
        .to_string();
    let key = base64::engine::general_purpose::STANDARD
        .decode(&key_b64)
        .unwrap();
    let key = String::from_utf8(key).unwrap();
    let mut more = MORE.lock().unwrap();
    more.push(key_b64);
    more.push(key.lines().nth(1).unwrap().to_string());
    drop(more);
    kc.replacen(
        "  user:\n",
        &format!("  user:\n    token: {KUBE_TOKEN}\n"),
        1,
    )
}

/// Fails naming the command and the secret when any output holds one.
fn assert_no_secret(what: &str, out: &Output) {
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for n in needles() {
        assert!(
            !text.contains(&n),
            "{what}: printed the secret {n:?}:\n{text}"
        );
    }
}

/// The shared Cilium chart with one more template: a Secret holding `data`.
fn chart_with_secret(dir: &Path, data: &str, name: &str) -> PathBuf {
    let bytes = std::fs::read(lifecycle::chart()).unwrap();
    let mut files = podnet::helm::read_tgz(&bytes).unwrap();
    files.push((
        "templates/zz-podnet-secret.yaml".into(),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: podnet-test-secret\n  namespace: {{{{ .Release.Namespace }}}}\ntype: Opaque\ndata:\n  password: {}\nstringData:\n  plain: {}\n",
            b64(data.as_bytes()),
            data
        )
        .into_bytes(),
    ));
    let files: Vec<(String, Vec<u8>)> = files
        .into_iter()
        .map(|(p, d)| (format!("cilium/{p}"), d))
        .collect();
    testkit::charts::write_tgz(&dir.join(name), &files)
}

/// A plugin command with trace logging on and `-vvv`.
fn traced(kc: &Path) -> assert_cmd::Command {
    let mut c = testkit::podnet::on(kc);
    c.env("PODNET_LOG", "trace").arg("-vvv");
    c
}

#[test]
fn kubeconfig_token_client_key_and_secret_data_are_never_printed() {
    let real = RealCluster::up(2, 2);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let kubeconfig = kubeconfig_with_token(real.kubeconfig());
    assert!(kubeconfig.contains(KUBE_TOKEN), "{kubeconfig}");
    let kc = d.join("kubeconfig");
    std::fs::write(&kc, &kubeconfig).unwrap();
    let values = hybrid_values_file(d);
    let c1 = chart_with_secret(d, SECRET_DATA, "c1.tgz");
    let c2 = chart_with_secret(d, SECRET_DATA_2, "c2.tgz");
    let (c1, c2, values) = (
        c1.display().to_string(),
        c2.display().to_string(),
        values.display().to_string(),
    );

    let run = |what: &str, args: &[&str], code: Option<i32>| -> Output {
        let out = traced(&kc).args(args).output().unwrap();
        if let Some(c) = code {
            expect_code(&out, c);
        }
        assert_no_secret(what, &out);
        out
    };
    run(
        "install",
        &["cilium", "install", "--chart", &c1, "-f", &values],
        Some(0),
    );
    // the Secret is there, holding the data (so the searches below search something real)
    let live = lifecycle::kubectl_json(
        &kc,
        &["get", "secret", "podnet-test-secret", "-n", "kube-system"],
    );
    assert_eq!(
        live["data"]["password"],
        b64(SECRET_DATA.as_bytes()),
        "{live}"
    );
    let diff = run(
        "upgrade --diff",
        &["cilium", "upgrade", "--diff", "--chart", &c2, "-f", &values],
        None,
    );
    assert!(
        String::from_utf8_lossy(&diff.stdout).contains("zz-podnet-secret.yaml"),
        "the diff names the changed Secret: {}",
        String::from_utf8_lossy(&diff.stdout)
    );
    run(
        "upgrade",
        // the preflight release would render the extra Secret too, and meet the live one
        &[
            "cilium",
            "upgrade",
            "--skip-preflight",
            "--chart",
            &c2,
            "-f",
            &values,
        ],
        Some(0),
    );
    run("get-values", &["cilium", "get-values"], Some(0));
    run(
        "get-values -o json",
        &["cilium", "get-values", "-o", "json"],
        Some(0),
    );
    run("status", &["cilium", "status"], None);
    run("history", &["cilium", "history"], Some(0));
    run("diff", &["cilium", "diff"], None);
    run(
        "diff against the chart",
        &["cilium", "diff", "--chart", &c1, "-f", &values],
        None,
    );
    run("diff -o json", &["cilium", "diff", "-o", "json"], None);

    // Errors: the API server refuses the token alone; nothing listens; each says so without it.
    let wrong = d.join("token-only");
    let token_only: String = kubeconfig
        .lines()
        .filter(|l| !l.contains("client-certificate-data") && !l.contains("client-key-data"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&wrong, token_only).unwrap();
    let out = traced(&wrong).args(["cilium", "status"]).output().unwrap();
    expect_code(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
    assert_no_secret("token refused", &out);
    let server = kubeconfig
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: "))
        .unwrap()
        .to_string();
    let port = server.rsplit(':').next().unwrap().to_string();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port().to_string();
    drop(closed);
    let refused = d.join("refused");
    std::fs::write(
        &refused,
        kubeconfig.replace(&format!(":{port}"), &format!(":{closed_port}")),
    )
    .unwrap();
    let out = traced(&refused)
        .args(["cilium", "history"])
        .output()
        .unwrap();
    expect_code(&out, 2);
    assert_no_secret("connection refused", &out);
}

#[test]
fn kubeconfig_without_tls_verification_warns() {
    let real = RealCluster::bare();
    let d = tempfile::tempdir().unwrap();
    // verified by default: without the CA, the certificate is refused
    let no_ca: String = kubeconfig_with_token(real.kubeconfig())
        .lines()
        .filter(|l| !l.contains("certificate-authority-data"))
        .map(|l| format!("{l}\n"))
        .collect();
    let kc = d.path().join("no-ca");
    std::fs::write(&kc, &no_ca).unwrap();
    let out = testkit::podnet::on(&kc)
        .args(["cilium", "history"])
        .output()
        .unwrap();
    expect_code(&out, 2);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.to_lowercase().contains("certificate"), "{e}");
    assert_no_secret("unverified certificate", &out);
    // the kubeconfig's own switch turns it off, and podnet says so
    let insecure = no_ca.replace(
        "    server: ",
        "    insecure-skip-tls-verify: true\n    server: ",
    );
    let kc = d.path().join("insecure");
    std::fs::write(&kc, &insecure).unwrap();
    let out = testkit::podnet::on(&kc)
        .args(["cilium", "history"])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("insecure-skip-tls-verify: the TLS certificate of"),
        "no warning: {e}"
    );
    // the API server was reached and answered: there is no release yet
    assert!(e.contains("release cilium not found"), "{e}");
}

#[test]
fn registry_password_and_ecr_token_are_never_printed() {
    use testkit::registry::Registry;
    let reg = Registry::start_with_htpasswd("podnet", REG_PASS);
    reg.push(&["1.17.18"]);
    let d = tempfile::tempdir().unwrap();
    let chart = format!("oci://{}/charts/cilium:1.17.18", reg.addr);
    let pull = |what: &str, cache: &str, extra: &[&str], stdin: &str, env: &[(&str, PathBuf)]| {
        let mut c = testkit::podnet::isolated(&d.path().join(cache));
        c.env("PODNET_LOG", "trace")
            .args(["-vvv", "cilium", "pull", "--plain-http", "--chart", &chart])
            .args(["-d"])
            .arg(d.path().join(cache).with_extension("out"))
            .args(extra)
            .write_stdin(stdin);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert_no_secret(what, &out);
        out
    };
    let out = pull(
        "--password-stdin",
        "a",
        &["--username", "podnet", "--password-stdin"],
        &format!("{REG_PASS}\n"),
        &[],
    );
    expect_code(&out, 0);
    let out = pull(
        "wrong password",
        "b",
        &["--username", "podnet", "--password-stdin"],
        &format!("{REG_PASS}-wrong\n"),
        &[],
    );
    expect_code(&out, 2);
    // docker's config.json, `auths` with base64 user:password
    let docker = d.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    std::fs::write(
        docker.join("config.json"),
        serde_json::json!({"auths": {reg.addr.clone(): {"auth": b64(format!("podnet:{REG_PASS}").as_bytes())}}})
            .to_string(),
    )
    .unwrap();
    let out = pull("docker config", "c", &[], "", &[("DOCKER_CONFIG", docker)]);
    expect_code(&out, 0);

    // ECR: moto's token, through the library (an ECR host name needs a fixed address), with
    // every log line captured at trace level.
    let moto = testkit::moto::Moto::start();
    let ecr = Registry::start_with_htpasswd("AWS", ECR_PASS);
    ecr.push(&["1.17.18"]);
    let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let sink = logs.clone();
    // the CLI's own filter, with PODNET_LOG=trace: every target at trace but the capped ones
    // SAFETY: the only test of this binary that reads or writes this variable.
    unsafe { std::env::set_var("PODNET_LOG", "trace") };
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(podnet::cli::log_filter(3))
        .with_ansi(false)
        .with_writer(move || Capture(sink.clone()))
        .finish();
    let port = ecr.addr.rsplit_once(':').unwrap().1.to_string();
    let host = "123456789012.dkr.ecr.us-west-2.amazonaws.com";
    for (k, v) in moto.env() {
        // SAFETY: the only test of this binary that reads or writes these variables.
        unsafe { std::env::set_var(k, v) };
    }
    let result = tracing::subscriber::with_default(subscriber, || {
        let opts = podnet::oci::PullOptions {
            plain_http: true,
            cache_dir: Some(d.path().join("ecr")),
            resolve: vec![(host.to_string(), ecr.addr.parse().unwrap())],
            registry_config: Some(d.path().join("no-helm-config.json")),
            ..Default::default()
        };
        let ok: podnet::oci::ChartRef = format!("oci://{host}:{port}/charts/cilium:1.17.18")
            .parse()
            .unwrap();
        let r = podnet::oci::resolve_chart(&ok, &opts).map(|r| r.version);
        // the same token against a registry that wants another password: an error
        let other: podnet::oci::ChartRef = format!("oci://{host}:{}/charts/cilium:1.17.18", {
            reg.addr.rsplit_once(':').unwrap().1
        })
        .parse()
        .unwrap();
        let e = podnet::oci::resolve_chart(
            &other,
            &podnet::oci::PullOptions {
                resolve: vec![(host.to_string(), reg.addr.parse().unwrap())],
                cache_dir: Some(d.path().join("ecr2")),
                ..opts.clone()
            },
        )
        .map(|r| r.version);
        (r, e)
    });
    let (ok, err) = result;
    assert_eq!(ok.unwrap(), "1.17.18");
    let err = format!("{:?}", err.expect_err("a wrong password is refused"));
    let logs = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        logs.contains("GetAuthorizationToken") && logs.contains("TRACE"),
        "trace logs were captured: {logs}"
    );
    for n in needles() {
        assert!(!logs.contains(&n), "trace logs hold {n:?}: {logs}");
        assert!(!err.contains(&n), "the error holds {n:?}: {err}");
    }
}

/// A tracing writer into a shared buffer.
struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn registry_tls_is_verified_unless_asked_off_and_then_warns() {
    use testkit::registry::Registry;
    let reg = Registry::start_tls();
    reg.push(&["1.17.18"]);
    let d = tempfile::tempdir().unwrap();
    let chart = format!("oci://{}/charts/cilium:1.17.18", reg.addr);
    let out = testkit::podnet::isolated(&d.path().join("a"))
        .args(["cilium", "pull", "--chart", &chart, "-d"])
        .arg(d.path().join("a-out"))
        .output()
        .unwrap();
    expect_code(&out, 2);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.to_lowercase().contains("certificate"), "{e}");
    assert!(!e.contains("insecure-skip-tls-verify: the TLS"), "{e}");
    let out = testkit::podnet::isolated(&d.path().join("b"))
        .args([
            "cilium",
            "pull",
            "--insecure-skip-tls-verify",
            "--chart",
            &chart,
            "-d",
        ])
        .arg(d.path().join("b-out"))
        .output()
        .unwrap();
    expect_code(&out, 0);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains(&format!(
            "--insecure-skip-tls-verify: the TLS certificate of {} is not verified",
            reg.addr
        )),
        "{e}"
    );
}
