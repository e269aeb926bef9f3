//! Registry authentication against real peers: distribution with htpasswd basic auth (Helm v4
//! logs in and pushes), credentials from docker's config.json, Helm's registry config, a
//! credential helper (credsStore) and `--username --password-stdin`; and the bearer-token flow
//! with a token server (the test proxy) in front of the registry. Secrets never reach stderr.

use base64::Engine;
use predicates::prelude::*;
use testkit::charts::{CILIUM, cilium};
use testkit::podnet::{flat, isolated as podnet};
use testkit::registry::{Proxy, Registry, TokenMode};

const USER: &str = "podnet";
const PASS: &str = "s3cret-Pa55word";

fn assert_no_secret(stderr: &[u8]) {
    let s = String::from_utf8_lossy(stderr);
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"));
    assert!(!s.contains(PASS), "the password leaked: {s}");
    assert!(!s.contains(&b64), "the basic credentials leaked: {s}");
}

#[test]
fn htpasswd_registry_with_every_credential_source() {
    let reg = Registry::start_with_htpasswd(USER, PASS);
    let digests = reg.push(&["1.17.18"]);
    let work = tempfile::tempdir().unwrap();
    let chart = format!("oci://{}/charts/cilium:1.17.18", reg.addr);

    // No credentials: a clear 401.
    let out = podnet(&work.path().join("c0"))
        .args(["cilium", "pull", "--chart", &chart, "--plain-http", "-d"])
        .arg(work.path())
        .assert()
        .code(2)
        .get_output()
        .clone();
    let e = flat(&out.stderr);
    assert!(
        e.contains("401 Unauthorized") && e.contains(&format!("registry {}", reg.addr)),
        "{e}"
    );
    assert!(e.contains("--password-stdin"), "{e}");

    // docker's config.json (DOCKER_CONFIG), `auth` entry.
    let docker = work.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"));
    std::fs::write(
        docker.join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.addr),
    )
    .unwrap();
    let out = podnet(&work.path().join("c1"))
        .env("DOCKER_CONFIG", &docker)
        .args([
            "cilium",
            "pull",
            "--chart",
            &chart,
            "--plain-http",
            "-vv",
            "-d",
        ])
        .arg(work.path().join("docker-out"))
        .assert()
        .success()
        .stdout(predicate::str::contains(digests["1.17.18"].as_str()))
        .get_output()
        .clone();
    assert_no_secret(&out.stderr);

    // Helm's own registry config, as `helm registry login` wrote it.
    let helm_cfg = reg.dir.path().join("helm-registry.json");
    assert!(helm_cfg.is_file());
    podnet(&work.path().join("c2"))
        .args([
            "cilium",
            "pull",
            "--chart",
            &chart,
            "--plain-http",
            "--registry-config",
        ])
        .arg(&helm_cfg)
        .arg("-d")
        .arg(work.path().join("helm-out"))
        .assert()
        .success();
    podnet(&work.path().join("c2b"))
        .env("HELM_REGISTRY_CONFIG", &helm_cfg)
        .args(["cilium", "versions", "--chart", &chart, "--plain-http"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1.17.18"));

    // A credential helper named by credsStore (docker's helper protocol).
    let bin = work.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-podnettest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\n[ \"$server\" = \"{}\" ] || {{ echo 'credentials not found in native keychain'; exit 1; }}\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASS}\"}}' \"$server\"\n",
            reg.addr
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let store = work.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::write(store.join("config.json"), r#"{"credsStore":"podnettest"}"#).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = podnet(&work.path().join("c3"))
        .env("DOCKER_CONFIG", &store)
        .env("PATH", path)
        .args([
            "cilium",
            "pull",
            "--chart",
            &chart,
            "--plain-http",
            "-vvv",
            "-d",
        ])
        .arg(work.path().join("helper-out"))
        .assert()
        .success()
        .get_output()
        .clone();
    assert_no_secret(&out.stderr);

    // --username with --password-stdin; a wrong password fails without echoing it.
    let out = podnet(&work.path().join("c4"))
        .args(["cilium", "pull", "--chart", &chart, "--plain-http", "-vvv"])
        .args(["--username", USER, "--password-stdin", "-d"])
        .arg(work.path().join("stdin-out"))
        .write_stdin(format!("{PASS}\n"))
        .assert()
        .success()
        .get_output()
        .clone();
    assert_no_secret(&out.stderr);
    let out = podnet(&work.path().join("c5"))
        .args(["cilium", "pull", "--chart", &chart, "--plain-http", "-vvv"])
        .args(["--username", USER, "--password-stdin"])
        .write_stdin("wrong-password-xyz\n")
        .assert()
        .code(2)
        .get_output()
        .clone();
    let e = flat(&out.stderr);
    assert!(e.contains("401 Unauthorized"), "{e}");
    assert!(!e.contains("wrong-password-xyz"), "{e}");

    for d in ["docker-out", "helm-out", "helper-out", "stdin-out"] {
        assert_eq!(
            std::fs::read(work.path().join(d).join("cilium-1.17.18.tgz")).unwrap(),
            std::fs::read(cilium(CILIUM)).unwrap(),
            "{d}"
        );
    }
}

#[test]
fn bearer_token_flow_anonymous_and_with_credentials() {
    let reg = Registry::start();
    reg.push(&["1.17.18", "1.17.6-0"]);
    let proxy = Proxy::start(&reg.addr);
    let work = tempfile::tempdir().unwrap();
    let chart = format!("oci://{}/charts/cilium", proxy.addr);

    // Anonymous tokens (as ECR Public hands them out).
    proxy.token_mode(TokenMode {
        require: None,
        token: "anon-token-1".into(),
    });
    podnet(&work.path().join("a"))
        .args([
            "cilium",
            "pull",
            "--chart",
            &format!("{chart}:1.17.18"),
            "--plain-http",
            "-d",
        ])
        .arg(work.path().join("anon"))
        .assert()
        .success();
    let log = proxy.log();
    eprintln!("anonymous token flow: {} requests: {log:?}", log.len());
    assert!(log[0].starts_with("HEAD /v2/charts/cilium/manifests/1.17.18"));
    assert!(
        log[1].starts_with(
            "GET /token?scope=repository%3Acharts%2Fcilium%3Apull&service=podnet-test"
        ),
        "{log:?}"
    );
    // challenge, token, then HEAD, manifest, config and chart with the token
    assert_eq!(log.len(), 6, "{log:?}");

    // Tokens only for the right basic credentials.
    proxy.token_mode(TokenMode {
        require: Some((USER.into(), PASS.into())),
        token: "user-token-2".into(),
    });
    let out = podnet(&work.path().join("b"))
        .args([
            "cilium",
            "versions",
            "--chart",
            &chart,
            "--plain-http",
            "-o",
            "json",
        ])
        .args(["--username", USER, "--password-stdin", "-vvv"])
        .write_stdin(PASS)
        .assert()
        .success()
        .stdout(predicate::str::contains("1.17.6-0"))
        .get_output()
        .clone();
    assert_no_secret(&out.stderr);
    let out = podnet(&work.path().join("c"))
        .args(["cilium", "versions", "--chart", &chart, "--plain-http"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let e = flat(&out.stderr);
    assert!(
        e.contains("cannot get a token") && e.contains("401") && e.contains("(anonymous)"),
        "{e}"
    );
    let out = podnet(&work.path().join("d"))
        .args(["cilium", "versions", "--chart", &chart, "--plain-http"])
        .args(["--username", USER, "--password-stdin"])
        .write_stdin("nope-not-it")
        .assert()
        .code(2)
        .get_output()
        .clone();
    let e = flat(&out.stderr);
    assert!(
        e.contains("cannot get a token") && e.contains("--username/--password-stdin"),
        "{e}"
    );
    assert!(!e.contains("nope-not-it"), "{e}");
}

#[test]
fn tls_registry_needs_the_ca_file_or_insecure_skip_verify() {
    let reg = Registry::start_tls();
    let digests = reg.push(&["1.17.18"]);
    let work = tempfile::tempdir().unwrap();
    let chart = format!("oci://{}/charts/cilium:1.17.18", reg.addr);
    let ca = reg.ca.clone().unwrap();

    // The test CA is not trusted by default: a certificate error, named.
    let out = podnet(&work.path().join("a"))
        .args([
            "cilium",
            "pull",
            "--chart",
            &chart,
            "--registry-retries",
            "0",
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let e = flat(&out.stderr);
    assert!(e.contains(&format!("registry {}", reg.addr)), "{e}");
    assert!(e.to_lowercase().contains("certificate"), "{e}");

    podnet(&work.path().join("b"))
        .args(["cilium", "pull", "--chart", &chart, "--ca-file"])
        .arg(&ca)
        .arg("-d")
        .arg(work.path().join("ca"))
        .assert()
        .success()
        .stdout(predicate::str::contains(digests["1.17.18"].as_str()));
    podnet(&work.path().join("c"))
        .args([
            "cilium",
            "pull",
            "--chart",
            &chart,
            "--insecure-skip-tls-verify",
            "-d",
        ])
        .arg(work.path().join("insecure"))
        .assert()
        .success();
    for d in ["ca", "insecure"] {
        assert_eq!(
            std::fs::read(work.path().join(d).join("cilium-1.17.18.tgz")).unwrap(),
            std::fs::read(cilium(CILIUM)).unwrap()
        );
    }
}
