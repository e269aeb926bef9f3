//! `cilium pull`, `cilium versions`, the chart cache and the library's `oci::resolve_chart`
//! against a real registry (Debian's docker-registry) holding charts pushed by Helm v4, with a
//! counting, fault-injecting proxy in front of it where the case needs one.

use std::time::{Duration, Instant};

use predicates::prelude::*;
use testkit::charts::{CILIUM, cilium};
use testkit::files_under;
use testkit::podnet::{isolated as podnet, mentions};
use testkit::registry::{self, Proxy, Registry};

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)))
}

#[test]
fn pull_by_version_tag_and_digest_gives_helms_bytes() {
    let reg = Registry::start();
    let digests = reg.push(&["1.17.18", "1.17.6-0"]);
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let chart = format!("oci://{}/charts/cilium", reg.addr);

    // --version
    let out = podnet(&cache)
        .args([
            "cilium",
            "pull",
            "--chart",
            &chart,
            "--version",
            "1.17.18",
            "--plain-http",
            "-o",
            "json",
            "-d",
        ])
        .arg(work.path().join("by-version"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v = json(&out);
    assert_eq!(v["pulled"]["digest"], digests["1.17.18"].as_str());
    assert_eq!(v["pulled"]["version"], "1.17.18");
    assert_eq!(v["pulled"]["cached"], false);
    let ours = std::fs::read(work.path().join("by-version/cilium-1.17.18.tgz")).unwrap();

    // Helm v4 pulls the same bytes, and they are the original archive.
    let helms = reg.helm_pull("1.17.18", &work.path().join("helm"));
    assert_eq!(
        ours,
        std::fs::read(helms).unwrap(),
        "podnet and helm pulled different bytes"
    );
    assert_eq!(ours, std::fs::read(cilium(CILIUM)).unwrap());

    // :TAG in the reference (fresh cache), an EKS rebuild tag
    let cache2 = work.path().join("cache2");
    podnet(&cache2)
        .args([
            "cilium",
            "pull",
            "--chart",
            &format!("{chart}:1.17.6-0"),
            "--plain-http",
            "-d",
        ])
        .arg(work.path().join("by-tag"))
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "Digest: {}",
            digests["1.17.6-0"]
        )));
    assert!(work.path().join("by-tag/cilium-1.17.6-0.tgz").is_file());

    // @sha256 digest (fresh cache)
    let cache3 = work.path().join("cache3");
    podnet(&cache3)
        .args([
            "cilium",
            "pull",
            "--chart",
            &format!("{chart}@{}", digests["1.17.18"]),
            "--plain-http",
            "-d",
        ])
        .arg(work.path().join("by-digest"))
        .assert()
        .success();
    assert_eq!(
        ours,
        std::fs::read(work.path().join("by-digest/cilium-1.17.18.tgz")).unwrap()
    );

    // a tag and a different --version conflict
    podnet(&cache3)
        .args([
            "cilium",
            "pull",
            "--chart",
            &format!("{chart}:1.17.6-0"),
            "--version",
            "1.17.18",
            "--plain-http",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--version"));

    // a version with `+` (tag `_`), as Helm stores it
    let plus = reg.push(&["1.15.19+podnet.1"]);
    podnet(&cache)
        .args([
            "cilium",
            "pull",
            "--chart",
            &chart,
            "--version",
            "1.15.19+podnet.1",
        ])
        .args(["--plain-http", "-d"])
        .arg(work.path().join("plus"))
        .assert()
        .success()
        .stdout(predicate::str::contains(plus["1.15.19+podnet.1"].as_str()));
    assert!(
        work.path()
            .join("plus/cilium-1.15.19+podnet.1.tgz")
            .is_file()
    );

    // --untar
    let untar = work.path().join("untar");
    podnet(&cache)
        .args([
            "cilium",
            "pull",
            "--chart",
            &chart,
            "--version",
            "1.17.18",
            "--plain-http",
            "--untar",
            "-d",
        ])
        .arg(&untar)
        .assert()
        .success();
    assert!(untar.join("cilium/Chart.yaml").is_file());
    assert!(untar.join("cilium/values.yaml").is_file());

    // a missing version: 404 named with registry and repository
    podnet(&cache)
        .args([
            "cilium",
            "pull",
            "--chart",
            &chart,
            "--version",
            "9.9.9",
            "--plain-http",
        ])
        .assert()
        .code(2)
        .stderr(mentions(&[
            "manifest 9.9.9",
            "404 Not Found",
            "repository charts/cilium",
        ]));
}

#[test]
fn library_resolve_chart_and_version_constraints() {
    let reg = Registry::start();
    let digests = reg.push(&["1.16.15-0", "1.16.16-0", "1.17.18"]);
    let work = tempfile::tempdir().unwrap();
    let chart: podnet::oci::ChartRef = format!("oci://{}/charts/cilium", reg.addr).parse().unwrap();
    let opts = podnet::oci::PullOptions {
        version: Some("~1.16.0".into()),
        cache_dir: Some(work.path().to_path_buf()),
        plain_http: true,
        ..Default::default()
    };
    let r = podnet::oci::resolve_chart(&chart, &opts).unwrap();
    assert_eq!(r.version, "1.16.16-0");
    assert_eq!(r.digest, digests["1.16.16-0"]);
    assert!(r.path.is_file() && !r.cached);
    // no version: the newest release
    let latest = podnet::oci::resolve_chart(
        &chart,
        &podnet::oci::PullOptions {
            version: None,
            ..opts.clone()
        },
    )
    .unwrap();
    assert_eq!(latest.version, "1.17.18");
    // by digest, cached: no request at all
    let pinned = chart.with_digest(&digests["1.16.16-0"]);
    let again = podnet::oci::resolve_chart(
        &pinned,
        &podnet::oci::PullOptions {
            version: None,
            ..opts.clone()
        },
    )
    .unwrap();
    assert!(again.cached);
    assert_eq!((again.requests, again.path.clone()), (0, r.path.clone()));
}

#[test]
fn versions_sorted_with_eks_rebuilds_and_prereleases() {
    let reg = Registry::start();
    reg.push(registry::VERSIONS);
    let work = tempfile::tempdir().unwrap();
    let chart = format!("oci://{}/charts/cilium", reg.addr);
    let out = podnet(work.path())
        .args([
            "cilium",
            "versions",
            "--chart",
            &chart,
            "--plain-http",
            "-o",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v = json(&out);
    let rows = v["versions"].as_array().unwrap();
    let got: Vec<(&str, bool)> = rows
        .iter()
        .map(|r| {
            (
                r["version"].as_str().unwrap(),
                r["newestInMinor"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("1.18.4-0", true),
            ("1.17.18", true),
            ("1.17.6-1", false),
            ("1.17.6-0", false),
            ("1.16.16-0", true),
            ("1.16.15-0", false),
            ("1.15.19+podnet.1", true),
        ]
    );
    // 1.15 is not a minor the hybrid values support; `+` is stored as `_` (Helm's tag rule).
    assert!(rows[..6].iter().all(|r| r["hybridSupported"] == true));
    assert_eq!(rows[6]["hybridSupported"], false);
    assert_eq!(rows[6]["tag"], "1.15.19_podnet.1");

    let out = podnet(work.path())
        .args([
            "cilium",
            "versions",
            "--chart",
            &chart,
            "--plain-http",
            "--all",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("VERSION") && lines[0].contains("NEWEST"),
        "{text}"
    );
    assert!(
        lines[1].contains("1.18.4-0") && lines[1].contains("newest patch"),
        "{text}"
    );
    assert!(
        lines[2].contains("1.18.0-rc.1") && lines[2].contains("pre-release"),
        "{text}"
    );
    assert_eq!(lines.len(), 1 + 8, "{text}");
}

#[test]
fn digest_pinned_cache_hit_makes_zero_requests_and_offline_works() {
    let reg = Registry::start();
    let digests = reg.push(&["1.17.18", "1.17.6-0"]);
    let proxy = Proxy::start(&reg.addr);
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let chart = format!("oci://{}/charts/cilium", proxy.addr);

    // First pull by tag: HEAD, GET manifest, GET config, GET chart.
    podnet(&cache)
        .args([
            "cilium",
            "pull",
            "--chart",
            &format!("{chart}:1.17.18"),
            "--plain-http",
            "-d",
        ])
        .arg(work.path())
        .assert()
        .success();
    let first = proxy.count();
    eprintln!("first pull by tag: {first} requests: {:?}", proxy.log());
    assert_eq!(first, 4);

    // Pinned by digest and cached: zero requests.
    let pinned = format!("{chart}@{}", digests["1.17.18"]);
    for _ in 0..3 {
        podnet(&cache)
            .args([
                "cilium",
                "pull",
                "--chart",
                &pinned,
                "--plain-http",
                "-o",
                "json",
                "-d",
            ])
            .arg(work.path().join("again"))
            .assert()
            .success()
            .stdout(predicate::str::contains("\"cached\": true"));
    }
    assert_eq!(
        proxy.count() - first,
        0,
        "digest-pinned cache hits made requests"
    );

    // A tag is re-resolved online with one HEAD, the blobs come from the cache.
    podnet(&cache)
        .args([
            "cilium",
            "pull",
            "--chart",
            &format!("{chart}:1.17.18"),
            "--plain-http",
            "-d",
        ])
        .arg(work.path().join("again"))
        .assert()
        .success();
    assert_eq!(proxy.count() - first, 1);
    assert!(
        proxy
            .log()
            .last()
            .unwrap()
            .starts_with("HEAD /v2/charts/cilium/manifests/1.17.18")
    );
    let before_offline = proxy.count();

    // --offline: the tag from the index, no requests; even with the registry gone.
    drop(proxy);
    podnet(&cache)
        .args([
            "cilium",
            "pull",
            "--chart",
            &format!("{chart}:1.17.18"),
            "--offline",
            "-d",
        ])
        .arg(work.path().join("offline"))
        .assert()
        .success();
    assert!(work.path().join("offline/cilium-1.17.18.tgz").is_file());
    podnet(&cache)
        .args([
            "cilium",
            "pull",
            "--chart",
            &chart,
            "--version",
            "1.17.18",
            "--offline",
            "-d",
        ])
        .arg(work.path().join("offline"))
        .assert()
        .success();
    // --offline says exactly what is missing
    podnet(&cache)
        .args([
            "cilium",
            "pull",
            "--chart",
            &chart,
            "--version",
            "1.17.6-0",
            "--offline",
        ])
        .assert()
        .code(2)
        .stderr(mentions(&["--offline", "tag 1.17.6-0", "not in the cache"]));
    podnet(&cache)
        .args([
            "cilium",
            "versions",
            "--chart",
            &chart,
            "--offline",
            "-o",
            "json",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("1.17.18").and(predicate::str::contains("1.17.6-0").not()),
        );
    let _ = before_offline;

    // cache list / prune
    podnet(&cache)
        .args(["cache", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("charts/cilium").and(predicate::str::contains("1.17.18")));
    podnet(&cache)
        .args(["cache", "prune", "--older-than", "1h"])
        .assert()
        .success()
        .stdout(predicate::str::contains("freed 0 blob(s)"));
    podnet(&cache)
        .args(["cache", "prune", "--all", "-o", "json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"blobs\": 3"));
    assert!(files_under(&cache.join("blobs")).is_empty());
    podnet(&cache)
        .args(["cache", "list", "-o", "json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"charts\": []"));
}

#[test]
fn tampered_blob_is_refused_and_nothing_is_cached() {
    let reg = Registry::start();
    reg.push(&["1.17.18"]);
    // Find the chart layer's digest: it is the original archive's sha256.
    let bytes = std::fs::read(cilium(CILIUM)).unwrap();
    let layer = podnet::oci::cache::sha256_digest(&bytes);
    let file = reg.blob_file(&layer);
    let mut stored = std::fs::read(&file).unwrap();
    let mid = stored.len() / 2;
    stored[mid] ^= 0x01; // same size, one bit flipped
    std::fs::write(&file, &stored).unwrap();

    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    podnet(&cache)
        .args([
            "cilium",
            "pull",
            "--chart",
            &format!("oci://{}/charts/cilium", reg.addr),
            "--version",
            "1.17.18",
            "--plain-http",
            "-d",
        ])
        .arg(work.path().join("out"))
        .assert()
        .code(2)
        .stderr(mentions(&[
            "does not match its digest",
            &layer,
            "nothing was cached",
        ]));
    assert!(
        files_under(&cache.join("blobs")).is_empty(),
        "{:?}",
        files_under(&cache)
    );
    assert!(
        files_under(&cache.join("tmp")).is_empty(),
        "{:?}",
        files_under(&cache)
    );
    assert!(!cache.join("index.json").exists());
    assert!(!work.path().join("out").exists());
}

#[test]
fn retries_500_and_429_then_recovers_honouring_retry_after() {
    let reg = Registry::start();
    reg.push(&["1.17.18"]);
    let proxy = Proxy::start(&reg.addr);
    let work = tempfile::tempdir().unwrap();
    proxy.fail_next(&[(500, None), (503, None), (429, Some(2))]);
    let t0 = Instant::now();
    podnet(&work.path().join("cache"))
        .args([
            "cilium",
            "pull",
            "--chart",
            &format!("oci://{}/charts/cilium:1.17.18", proxy.addr),
            "--plain-http",
            "-d",
        ])
        .arg(work.path())
        .assert()
        .success();
    let took = t0.elapsed();
    let log = proxy.log();
    eprintln!(
        "500, 503, 429 (Retry-After: 2) then ok: {} requests in {took:?}: {log:?}",
        log.len()
    );
    assert_eq!(log.len(), 3 + 4);
    assert!(
        took >= Duration::from_secs(2),
        "Retry-After not honoured: {took:?}"
    );

    // Always failing: a clear final error naming registry, repository and status.
    proxy.fail_next(&[(503, None); 10]);
    podnet(&work.path().join("cache2"))
        .args([
            "cilium",
            "pull",
            "--chart",
            &format!("oci://{}/charts/cilium:1.17.18", proxy.addr),
            "--plain-http",
            "--registry-retries",
            "2",
        ])
        .assert()
        .code(2)
        .stderr(mentions(&[
            &format!("registry {}", proxy.addr),
            "repository charts/cilium",
            "503 Service Unavailable after 3 attempts",
        ]));
}

#[test]
fn registry_down_or_hung_fails_clearly_within_the_timeout() {
    let work = tempfile::tempdir().unwrap();
    // Nothing listens.
    let port = testkit::ports::free_port();
    let t0 = Instant::now();
    podnet(&work.path().join("cache"))
        .args([
            "cilium",
            "pull",
            "--chart",
            &format!("oci://127.0.0.1:{port}/charts/cilium:1.17.18"),
            "--plain-http",
            "--registry-retries",
            "2",
        ])
        .assert()
        .code(2)
        .stderr(mentions(&[
            &format!("registry 127.0.0.1:{port}"),
            "repository charts/cilium",
            "after 3 attempts",
        ]));
    let down = t0.elapsed();
    // Accepts connections, never answers: each attempt ends at --registry-timeout.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = hung.local_addr().unwrap().to_string();
    let t0 = Instant::now();
    podnet(&work.path().join("cache"))
        .args([
            "cilium",
            "pull",
            "--chart",
            &format!("oci://{addr}/charts/cilium:1.17.18"),
            "--plain-http",
            "--registry-timeout",
            "1s",
            "--registry-retries",
            "1",
        ])
        .assert()
        .code(2)
        .stderr(mentions(&[
            "no response within 1s",
            &format!("registry {addr}"),
        ]));
    let hung_took = t0.elapsed();
    eprintln!("registry down: error after {down:?}; hung registry: error after {hung_took:?}");
    assert!(down < Duration::from_secs(10), "{down:?}");
    assert!(hung_took < Duration::from_secs(6), "{hung_took:?}");
    drop(hung);
}

#[test]
fn interrupted_download_leaves_no_cache_entry_and_is_retried() {
    let reg = Registry::start();
    reg.push(&["1.17.18"]);
    let proxy = Proxy::start(&reg.addr);
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let chart = format!("oci://{}/charts/cilium:1.17.18", proxy.addr);

    // Every blob download is cut halfway: error, and nothing in the cache.
    proxy.cut_blobs(usize::MAX);
    podnet(&cache)
        .args([
            "cilium",
            "pull",
            "--chart",
            &chart,
            "--plain-http",
            "--registry-retries",
            "2",
            "-d",
        ])
        .arg(work.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("interrupted"));
    assert!(
        files_under(&cache.join("blobs")).is_empty(),
        "{:?}",
        files_under(&cache)
    );
    assert!(
        files_under(&cache.join("tmp")).is_empty(),
        "{:?}",
        files_under(&cache)
    );
    assert!(!cache.join("index.json").exists());

    // Cut once: retried, verified, cached.
    proxy.cut_blobs(1);
    let n0 = proxy.count();
    podnet(&cache)
        .args(["cilium", "pull", "--chart", &chart, "--plain-http", "-d"])
        .arg(work.path().join("out"))
        .assert()
        .success();
    eprintln!("one cut download, then ok: {} requests", proxy.count() - n0);
    assert_eq!(proxy.count() - n0, 5);
    assert_eq!(
        std::fs::read(work.path().join("out/cilium-1.17.18.tgz")).unwrap(),
        std::fs::read(cilium(CILIUM)).unwrap()
    );
}

#[test]
fn concurrent_pulls_share_one_consistent_cache() {
    let reg = Registry::start();
    let digests = reg.push(&["1.17.18"]);
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let chart = format!("oci://{}/charts/cilium:1.17.18", reg.addr);
    let children: Vec<_> = (0..4)
        .map(|i| {
            let mut c = testkit::podnet::isolated_std(&cache);
            c.args(["cilium", "pull", "--chart", &chart, "--plain-http", "-d"])
                .arg(work.path().join(format!("out{i}")))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    for ch in children {
        let out = ch.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(files_under(&cache.join("blobs")).len(), 3);
    assert!(files_under(&cache.join("tmp")).is_empty());
    let idx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cache.join("index.json")).unwrap()).unwrap();
    assert!(idx["charts"][&digests["1.17.18"]].is_object(), "{idx}");
    for i in 0..4 {
        assert_eq!(
            std::fs::read(work.path().join(format!("out{i}/cilium-1.17.18.tgz"))).unwrap(),
            std::fs::read(cilium(CILIUM)).unwrap()
        );
    }
}

#[test]
fn killed_mid_download_leaves_no_cache_entry() {
    let reg = Registry::start();
    reg.push(&["1.17.18"]);
    let proxy = Proxy::start(&reg.addr);
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let chart = format!("oci://{}/charts/cilium:1.17.18", proxy.addr);
    proxy.stall_blobs(true);
    let mut child = testkit::podnet::isolated_std(&cache)
        .args(["cilium", "pull", "--chart", &chart, "--plain-http", "-d"])
        .arg(work.path().join("out"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !proxy.log().iter().any(|l| l.contains("/blobs/")) {
        assert!(t0.elapsed() < Duration::from_secs(20), "no blob request");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL: no destructor runs
    child.wait().unwrap();
    // Half a blob may sit in tmp/, but nothing is an entry: no blob, no index.
    assert!(
        files_under(&cache.join("blobs")).is_empty(),
        "{:?}",
        files_under(&cache)
    );
    assert!(!cache.join("index.json").exists());
    assert!(!work.path().join("out").exists());
    // The next run is unaffected.
    proxy.stall_blobs(false);
    podnet(&cache)
        .args(["cilium", "pull", "--chart", &chart, "--plain-http", "-d"])
        .arg(work.path().join("out"))
        .assert()
        .success();
    assert_eq!(files_under(&cache.join("blobs")).len(), 3);
}
