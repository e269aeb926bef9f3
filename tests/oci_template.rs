//! Acceptance of issue 5: `cilium template --chart oci://…` renders exactly what the same chart
//! renders from the local .tgz, and a second template of a cached digest makes no request
//! (counted by the test proxy in front of the real registry).

use std::time::Instant;

use testkit::podnet::isolated as podnet;
use testkit::registry::{Proxy, Registry};

/// No random key material: Hubble's certificates from a CronJob instead of Helm's genCA.
const SET: &str = r#"hubble={"tls":{"auto":{"method":"cronJob"}}}"#;

/// Masks long base64 runs, in case a template still generates key material.
fn mask(s: &str) -> String {
    s.lines()
        .map(|l| {
            let t = l.trim_start().trim_start_matches("- ");
            let v = t
                .split_once(": ")
                .map(|(_, v)| v)
                .unwrap_or(t)
                .trim_matches('"');
            if v.len() > 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
            {
                format!("{}<masked>", &l[..l.len() - v.len()])
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn template_from_oci_equals_local_tgz_and_cached_digest_makes_zero_requests() {
    let reg = Registry::start();
    let digests = reg.push(&["1.17.18"]);
    let proxy = Proxy::start(&reg.addr);
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");

    let t0 = Instant::now();
    let local = podnet(&cache)
        .args(["cilium", "template", "--chart"])
        .arg(testkit::charts::cilium(testkit::charts::CILIUM))
        .args(["--set-json", SET])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let local_took = t0.elapsed();

    let t0 = Instant::now();
    let oci = podnet(&cache)
        .args([
            "cilium",
            "template",
            "--chart",
            &format!("oci://{}/charts/cilium", proxy.addr),
        ])
        .args(["--version", "1.17.18", "--plain-http", "--set-json", SET])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let first_took = t0.elapsed();
    let first = proxy.count();
    let (local, oci) = (
        String::from_utf8(local).unwrap(),
        String::from_utf8(oci).unwrap(),
    );
    assert!(local.contains("kind: DaemonSet"), "{local}");
    assert_eq!(
        mask(&oci),
        mask(&local),
        "oci:// render differs from the local .tgz render"
    );

    let pinned = format!("oci://{}/charts/cilium@{}", proxy.addr, digests["1.17.18"]);
    let t0 = Instant::now();
    let again = podnet(&cache)
        .args([
            "cilium",
            "template",
            "--chart",
            &pinned,
            "--plain-http",
            "--set-json",
            SET,
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let cached_took = t0.elapsed();
    assert_eq!(mask(&String::from_utf8(again).unwrap()), mask(&local));
    let second = proxy.count() - first;
    eprintln!(
        "template: local .tgz {local_took:?}; oci:// first {first_took:?} ({first} requests); \
         cached digest {cached_took:?} ({second} requests)"
    );
    assert_eq!(first, 4, "{:?}", proxy.log());
    assert_eq!(
        second,
        0,
        "a cached digest made requests: {:?}",
        proxy.log()
    );
}
