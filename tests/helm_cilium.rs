//! Differential tests: our engine vs Helm v4 (helm-python-sdk) on the shared cilium chart.
mod support;
use std::path::PathBuf;
use support::helm::{Oracle, compare, ours};

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
    let chart = cilium_chart();
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
