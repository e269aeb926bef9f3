//! Differential tests: our engine vs Helm v4 (helm-python-sdk) on the shared cilium chart.
#[path = "support/helm/mod.rs"]
mod helm_support;
use helm_support::{Oracle, compare, ours};
use std::path::PathBuf;

fn cilium_chart() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/charts/cilium-1.17.18.tgz")
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/values")
            .join(name),
    )
    .unwrap()
}

fn check(set: &str, values: Vec<String>) {
    check_chart(cilium_chart(), set, values)
}

/// Other Cilium versions: public charts may only be committed under the steering repo's
/// `shared/charts/` (developers commit nothing fetched), so these tests read them from there
/// and are ignored until they are added. Run them with `cargo test --test helm_cilium -- --ignored`
/// (`PODNET_EXTRA_CHARTS=DIR` reads them from DIR instead, e.g. a local download).
fn vendored(v: &str) -> PathBuf {
    let dir = std::env::var_os("PODNET_EXTRA_CHARTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/charts"));
    dir.join(format!("cilium-{v}.tgz"))
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
#[ignore = "needs ../shared/charts/cilium-1.16.19.tgz (not yet in shared/)"]
fn cilium_1_16_19_defaults_and_hybrid() {
    check_chart(vendored("1.16.19"), "1.16.19 defaults", vec![]);
    check_chart(
        vendored("1.16.19"),
        "1.16.19 hybrid",
        vec![fixture("cilium-hybrid.yaml")],
    );
    check_chart(
        vendored("1.16.19"),
        "1.16.19 hubble+clustermesh",
        vec![
            fixture("cilium-hybrid.yaml"),
            fixture("cilium-hubble.yaml"),
            fixture("cilium-clustermesh.yaml"),
        ],
    );
}

#[test]
#[ignore = "needs ../shared/charts/cilium-1.18.12.tgz (not yet in shared/)"]
fn cilium_1_18_12_defaults_and_hybrid() {
    check_chart(vendored("1.18.12"), "1.18.12 defaults", vec![]);
    check_chart(
        vendored("1.18.12"),
        "1.18.12 hybrid",
        vec![fixture("cilium-hybrid.yaml")],
    );
    check_chart(
        vendored("1.18.12"),
        "1.18.12 hubble+clustermesh",
        vec![
            fixture("cilium-hybrid.yaml"),
            fixture("cilium-hubble.yaml"),
            fixture("cilium-clustermesh.yaml"),
        ],
    );
}

#[test]
#[ignore = "needs ../shared/charts/cilium-1.19.6.tgz (not yet in shared/)"]
fn cilium_1_19_6_defaults_and_hybrid() {
    check_chart(vendored("1.19.6"), "1.19.6 defaults", vec![]);
    check_chart(
        vendored("1.19.6"),
        "1.19.6 hybrid",
        vec![fixture("cilium-hybrid.yaml")],
    );
    check_chart(
        vendored("1.19.6"),
        "1.19.6 hubble+clustermesh",
        vec![
            fixture("cilium-hybrid.yaml"),
            fixture("cilium-hubble.yaml"),
            fixture("cilium-clustermesh.yaml"),
        ],
    );
}

#[test]
#[ignore = "needs ../shared/charts/cilium-1.20.0.tgz (not yet in shared/)"]
fn cilium_1_20_0_defaults_and_hybrid() {
    check_chart(vendored("1.20.0"), "1.20.0 defaults", vec![]);
    check_chart(
        vendored("1.20.0"),
        "1.20.0 hybrid",
        vec![fixture("cilium-hybrid.yaml")],
    );
    check_chart(
        vendored("1.20.0"),
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
    let keys = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keys");
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
