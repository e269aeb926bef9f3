//! Differential tests: our engine vs Helm v4 (helm-python-sdk) on the shared cilium chart.
use std::path::PathBuf;
use testkit::charts::{CILIUM, cilium};
use testkit::engine::{compare, ours};
use testkit::helm::Oracle;

fn fixture(name: &str) -> String {
    testkit::fixture_text(&format!("values/{name}"))
}

fn check(set: &str, values: Vec<String>) {
    check_chart(cilium(CILIUM), set, values)
}

/// A Cilium chart beyond testkit's list, from `$PODNET_TEST_CHARTS` (else `../shared/charts`).
fn unlisted(v: &str) -> PathBuf {
    testkit::charts::extra_dir().join(format!("cilium-{v}.tgz"))
}

fn check_chart(chart: PathBuf, set: &str, values: Vec<String>) {
    assert!(chart.exists(), "missing {}", chart.display());
    let mut o = Oracle::start();
    let theirs = o.render(&chart, &values, "cilium", "kube-system");
    let mine = ours(&chart, &values, "cilium", "kube-system");
    match (mine, theirs) {
        (Ok(a), Ok(b)) => {
            let c = compare(&a, &b);
            eprintln!("[{set}] identical documents: {}/{}", c.identical, c.total);
            for d in c.diffs.iter().take(15) {
                eprintln!("{d}");
            }
            assert_eq!(
                c.identical,
                c.total,
                "[{set}] {} documents differ",
                c.total - c.identical
            );
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("[{set}] ours: {:?}\nhelm: {:?}", a.err(), b.err()),
    }
}

#[test]
fn cilium_defaults() {
    check("defaults", vec![]);
}

#[test]
fn cilium_hybrid() {
    check("hybrid", vec![fixture("cilium-hybrid.yaml")]);
}

#[test]
fn cilium_kpr() {
    check(
        "kpr",
        vec![fixture("cilium-hybrid.yaml"), fixture("cilium-kpr.yaml")],
    );
}

#[test]
fn cilium_hubble() {
    check(
        "hubble",
        vec![fixture("cilium-hybrid.yaml"), fixture("cilium-hubble.yaml")],
    );
}

#[test]
fn cilium_clustermesh() {
    check(
        "clustermesh",
        vec![
            fixture("cilium-hybrid.yaml"),
            fixture("cilium-clustermesh.yaml"),
        ],
    );
}

#[test]
fn cilium_bgp_ingress() {
    check(
        "bgp-ingress",
        vec![
            fixture("cilium-hybrid.yaml"),
            fixture("cilium-bgp-ingress.yaml"),
        ],
    );
}

#[test]
fn cilium_odd() {
    check(
        "odd",
        vec![fixture("cilium-hybrid.yaml"), fixture("cilium-odd.yaml")],
    );
}

#[test]
fn cilium_preflight() {
    check(
        "preflight",
        vec![
            fixture("cilium-hybrid.yaml"),
            fixture("cilium-preflight.yaml"),
        ],
    );
}

#[test]
#[ignore = "needs cilium-1.16.19.tgz in $PODNET_TEST_CHARTS (not in the test chart list)"]
fn cilium_1_16_19_defaults_and_hybrid() {
    check_chart(unlisted("1.16.19"), "1.16.19 defaults", vec![]);
    check_chart(
        unlisted("1.16.19"),
        "1.16.19 hybrid",
        vec![fixture("cilium-hybrid.yaml")],
    );
    check_chart(
        unlisted("1.16.19"),
        "1.16.19 hubble+clustermesh",
        vec![
            fixture("cilium-hybrid.yaml"),
            fixture("cilium-hubble.yaml"),
            fixture("cilium-clustermesh.yaml"),
        ],
    );
}

#[test]
fn cilium_1_18_12_defaults_and_hybrid() {
    check_chart(cilium("1.18.12"), "1.18.12 defaults", vec![]);
    check_chart(
        cilium("1.18.12"),
        "1.18.12 hybrid",
        vec![fixture("cilium-hybrid.yaml")],
    );
    check_chart(
        cilium("1.18.12"),
        "1.18.12 hubble+clustermesh",
        vec![
            fixture("cilium-hybrid.yaml"),
            fixture("cilium-hubble.yaml"),
            fixture("cilium-clustermesh.yaml"),
        ],
    );
}

#[test]
fn cilium_1_19_6_defaults_and_hybrid() {
    check_chart(cilium("1.19.6"), "1.19.6 defaults", vec![]);
    check_chart(
        cilium("1.19.6"),
        "1.19.6 hybrid",
        vec![fixture("cilium-hybrid.yaml")],
    );
    check_chart(
        cilium("1.19.6"),
        "1.19.6 hubble+clustermesh",
        vec![
            fixture("cilium-hybrid.yaml"),
            fixture("cilium-hubble.yaml"),
            fixture("cilium-clustermesh.yaml"),
        ],
    );
}

#[test]
fn cilium_1_20_0_defaults_and_hybrid() {
    check_chart(cilium("1.20.0"), "1.20.0 defaults", vec![]);
    check_chart(
        cilium("1.20.0"),
        "1.20.0 hybrid",
        vec![fixture("cilium-hybrid.yaml")],
    );
    check_chart(
        cilium("1.20.0"),
        "1.20.0 hubble+clustermesh",
        vec![
            fixture("cilium-hybrid.yaml"),
            fixture("cilium-hubble.yaml"),
            fixture("cilium-clustermesh.yaml"),
        ],
    );
}

#[test]
fn cilium_with_own_ca() {
    // tls.ca.cert/key given: cilium's templates use buildCustomCert, then genSignedCert with it
    use base64::Engine;
    let keys = testkit::fixture("keys");
    let b64 = |f: &str| {
        base64::engine::general_purpose::STANDARD.encode(std::fs::read(keys.join(f)).unwrap())
    };
    let ca = format!(
        "tls:\n  ca:\n    cert: {}\n    key: {}\nhubble:\n  tls:\n    auto:\n      method: helm\n  relay:\n    enabled: true\n",
        b64("ca.crt"),
        b64("ca.key")
    );
    check("own-ca", vec![fixture("cilium-hybrid.yaml"), ca]);
}
