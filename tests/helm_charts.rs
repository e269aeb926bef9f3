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

/// Write a small chart `c` under `root` (files relative to the chart directory) and a `.tgz` of it.
fn scratch_chart(root: &std::path::Path, files: &[(&str, &[u8])]) -> (PathBuf, PathBuf) {
    let dir = root.join("c");
    for (name, data) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
    let tgz = root.join("c.tgz");
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&tgz).unwrap(),
        flate2::Compression::default(),
    );
    let mut ar = tar::Builder::new(gz);
    ar.append_dir_all("c", &dir).unwrap();
    ar.into_inner().unwrap().finish().unwrap();
    (dir, tgz)
}

/// Both engines on a directory and on its archive: the same documents or the same error.
fn same_as_helm(o: &mut Oracle, chart: &std::path::Path) -> Result<usize, String> {
    let theirs = o.render(chart, &[], "r", "ns");
    let mine = ours(chart, &[], "r", "ns");
    match (mine, theirs) {
        (Ok(a), Ok(b)) => {
            let c = compare(&a, &b);
            for d in &c.diffs {
                eprintln!("{d}");
            }
            assert_eq!(c.identical, c.total, "{}", chart.display());
            Ok(c.total)
        }
        (Err(a), Err(b)) => {
            assert!(
                a.ends_with(&b),
                "{}: ours {a:?}, helm {b:?}",
                chart.display()
            );
            Err(b)
        }
        (a, b) => panic!("{}: ours {a:?}\nhelm: {b:?}", chart.display()),
    }
}

/// `.helmignore` applies to chart directories only, with Helm's rules (first match decides, a
/// `!rule` ignores what it does not match, `templates/.?*` by default, no `**`); archives load
/// every file. A UTF-8 BOM at the start of a file is dropped in both.
#[test]
fn helmignore_and_bom_follow_helm() {
    let chart_yaml: &[u8] = b"apiVersion: v2\nname: c\nversion: 0.1.0\n";
    let tpl: &[u8] =
        b"a: {{ .Files.Get \"keep.txt\" | quote }} {{ .Files.Get \"drop.txt\" | quote }} {{ .Files.Get \"files/x.md\" | quote }}\n";
    let mut o = Oracle::start();
    // (.helmignore, documents from the directory and from the archive, or the error)
    type Want = Result<(usize, usize), &'static str>;
    let cases: &[(&str, Want)] = &[
        ("templates/b.yaml\n*.txt\n", Ok((2, 4))),
        ("/files/\n# comment\n\n[a-c]rop.txt\n", Ok((3, 4))),
        ("*.txt\n!keep.txt\n", Err("Chart.yaml file is missing")),
        ("**/x.md\n", Err("double-star (**) syntax is not supported")),
        ("[z\n", Err("syntax error in pattern")),
    ];
    for (ignore, want) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, tgz) = scratch_chart(
            tmp.path(),
            &[
                ("Chart.yaml", chart_yaml),
                (".helmignore", ignore.as_bytes()),
                ("templates/a.yaml", tpl),
                ("templates/b.yaml", b"b: 1\n"),
                ("templates/.hidden.yaml", b"h: 1\n"),
                ("templates/bom.yaml", b"\xEF\xBB\xBFbom: 1\n"),
                ("keep.txt", b"k"),
                ("drop.txt", b"d"),
                ("files/x.md", b"m"),
            ],
        );
        let got = same_as_helm(&mut o, &dir);
        match want {
            Ok((n, _)) => assert_eq!(got.as_ref().ok(), Some(n), "{ignore:?}: {got:?}"),
            Err(e) => assert_eq!(
                got.as_ref().err().map(|s| s.as_str()),
                Some(*e),
                "{ignore:?}"
            ),
        }
        // the archive of the same directory ignores nothing
        let got = same_as_helm(&mut o, &tgz);
        let n_tgz = match want {
            Ok((_, n)) => *n,
            Err(_) => 4,
        };
        assert_eq!(got, Ok(n_tgz), "{ignore:?} (archive)");
    }
}
