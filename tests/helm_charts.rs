//! Differential tests on fixture charts (subcharts, globals, conditions, aliases, hooks).
#[path = "support/helm/mod.rs"]
mod helm_support;
use helm_support::{Oracle, compare, ours};
use std::path::PathBuf;

fn chart(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/charts")
        .join(name)
}

fn check(name: &str, values: &[&str]) {
    let mut o = Oracle::start();
    let values: Vec<String> = values.iter().map(|s| s.to_string()).collect();
    let theirs = o.render(&chart(name), &values, "my-release-name-long", "prod");
    let mine = ours(&chart(name), &values, "my-release-name-long", "prod");
    match (mine, theirs) {
        (Ok(a), Ok(b)) => {
            let c = compare(&a, &b);
            eprintln!(
                "[{name} {values:?}] identical documents: {}/{}",
                c.identical, c.total
            );
            for d in &c.diffs {
                eprintln!("{d}");
            }
            assert_eq!(c.identical, c.total);
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("ours: {a:?}\nhelm: {b:?}"),
    }
}

#[test]
fn parent_defaults() {
    check("parent", &[]);
}

#[test]
fn parent_overrides() {
    check(
        "parent",
        &[
            "optional:\n  enabled: true\nchild:\n  removeMe: null\n  color: green\nglobal:\n  region: ap\nreplicas: null\n",
        ],
    );
}

#[test]
fn template_stream_orders_kinds_and_hooks() {
    let c = podnet::helm::Chart::load(chart("parent")).unwrap();
    let docs = podnet::helm::render(
        &c,
        &podnet::helm::Values::new(),
        &podnet::helm::RenderOptions::default(),
    )
    .unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d.kind.as_str()).collect();
    assert_eq!(kinds, vec!["Namespace", "ConfigMap", "Service", "", "Job"]);
    let mut out = Vec::new();
    podnet::helm::write_template_stream(&mut out, &docs).unwrap();
    let s = String::from_utf8(out).unwrap();
    assert!(
        s.starts_with("---\n# Source: parent/templates/cm.yaml\napiVersion: v1\nkind: Namespace"),
        "{s}"
    );
    assert!(s.contains("---\n# Source: parent/templates/hook.yaml\n"));
}

#[test]
fn render_chart_path_matches_render() {
    let v = podnet::helm::Values::new();
    let o = podnet::helm::RenderOptions::default();
    let a = podnet::helm::render_chart_path(&chart("parent"), &v, &o).unwrap();
    let c = podnet::helm::Chart::load(chart("parent")).unwrap();
    let b = podnet::helm::render(&c, &v, &o).unwrap();
    assert_eq!(a, b);
}

#[test]
fn include_crds_prepends_crd_files() {
    let o = podnet::helm::RenderOptions {
        include_crds: true,
        ..Default::default()
    };
    let docs = podnet::helm::render_chart_path(&chart("parent"), &podnet::helm::Values::new(), &o)
        .unwrap();
    assert_eq!(docs[0].source, "parent/crds/widgets.yaml");
    assert_eq!(docs[0].kind, "CustomResourceDefinition");
    let plain = podnet::helm::render_chart_path(
        &chart("parent"),
        &podnet::helm::Values::new(),
        &Default::default(),
    )
    .unwrap();
    assert!(plain.iter().all(|d| !d.source.contains("/crds/")));
}
