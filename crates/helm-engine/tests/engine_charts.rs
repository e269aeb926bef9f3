//! Differential tests on fixture charts (subcharts, globals, conditions, aliases, hooks).
use std::path::PathBuf;
use testkit::engine::{compare, ours};
use testkit::helm::Oracle;

fn chart(name: &str) -> PathBuf {
    testkit::fixture("charts").join(name)
}

fn check(name: &str, values: &[&str]) {
    check_path(&chart(name), values)
}

fn check_path(path: &std::path::Path, values: &[&str]) {
    let name = path.display();
    let mut o = Oracle::start();
    let values: Vec<String> = values.iter().map(|s| s.to_string()).collect();
    let theirs = o.render(path, &values, "my-release-name-long", "prod");
    let mine = ours(path, &values, "my-release-name-long", "prod");
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
    let c = helm_engine::Chart::load(chart("parent")).unwrap();
    let docs = helm_engine::render(
        &c,
        &helm_engine::Values::new(),
        &helm_engine::RenderOptions::default(),
    )
    .unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d.kind.as_str()).collect();
    assert_eq!(kinds, vec!["Namespace", "ConfigMap", "Service", "", "Job"]);
    let mut out = Vec::new();
    helm_engine::write_template_stream(&mut out, &docs).unwrap();
    let s = String::from_utf8(out).unwrap();
    assert!(
        s.starts_with("---\n# Source: parent/templates/cm.yaml\napiVersion: v1\nkind: Namespace"),
        "{s}"
    );
    assert!(s.contains("---\n# Source: parent/templates/hook.yaml\n"));
}

#[test]
fn render_chart_path_matches_render() {
    let v = helm_engine::Values::new();
    let o = helm_engine::RenderOptions::default();
    let a = helm_engine::render_chart_path(&chart("parent"), &v, &o).unwrap();
    let c = helm_engine::Chart::load(chart("parent")).unwrap();
    let b = helm_engine::render(&c, &v, &o).unwrap();
    assert_eq!(a, b);
}

#[test]
fn include_crds_prepends_crd_files() {
    let o = helm_engine::RenderOptions {
        include_crds: true,
        ..Default::default()
    };
    let docs =
        helm_engine::render_chart_path(&chart("parent"), &helm_engine::Values::new(), &o).unwrap();
    assert_eq!(docs[0].source, "parent/crds/widgets.yaml");
    assert_eq!(docs[0].kind, "CustomResourceDefinition");
    let plain = helm_engine::render_chart_path(
        &chart("parent"),
        &helm_engine::Values::new(),
        &Default::default(),
    )
    .unwrap();
    assert!(plain.iter().all(|d| !d.source.contains("/crds/")));
}

/// Write `files` (path, content) as chart directory `dir` and as `dir.tgz` beside it.
fn write_chart_dir_and_tgz(dir: &std::path::Path, files: &[(&str, &str)]) -> PathBuf {
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        std::fs::File::create(dir.with_extension("tgz")).unwrap(),
        flate2::Compression::fast(),
    ));
    let top = dir.file_name().unwrap().to_string_lossy().into_owned();
    for (p, c) in files {
        let f = dir.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        if let Some(target) = c.strip_prefix("->") {
            // a symbolic link: followed in a directory, refused in an archive
            std::os::unix::fs::symlink(target, &f).unwrap();
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            h.set_mode(0o777);
            tar.append_link(&mut h, format!("{top}/{p}"), target)
                .unwrap();
            continue;
        }
        std::fs::write(&f, c).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(c.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, format!("{top}/{p}"), c.as_bytes())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
    dir.with_extension("tgz")
}

/// `.helmignore` applies only to chart directories (never archives), the parent's rules cover
/// subchart files, rules are evaluated Helm's way (first match; a non-matching `!` rule
/// ignores), `templates/.?*` is always ignored, and a UTF-8 BOM is dropped from every file.
/// Symbolic links are followed in a directory (as Helm does) and refused in an archive.
#[test]
fn helmignore_and_bom_like_helm() {
    let tmp = tempfile::tempdir().unwrap();
    let list = "{{ range $p, $_ := .Files.Glob \"**\" }}{{ $p }}\n{{ end }}";
    let files: &[(&str, &str)] = &[
        ("Chart.yaml", "apiVersion: v2\nname: ign\nversion: 0.1.0\n"),
        ("values.yaml", "\u{feff}a: 1\n"),
        (
            ".helmignore",
            "\u{feff}# c\ntests/\n/ci\nfiles/*.tmp\n*.ba[^k]\n",
        ),
        (
            "templates/cm.yaml",
            "\u{feff}a: {{ .Values.a }}\nfiles: |\n  {{- tpl (.Files.Get \"files/list\") . | nindent 2 }}\n",
        ),
        ("templates/tests/t.yaml", "kind: Pod\n"),
        ("templates/.hidden.yaml", "kind: Hidden\n"),
        ("files/list", list),
        ("files/x.tmp", "x"),
        ("files/y.txt", "\u{feff}y"),
        ("files/a.bax", "x"),
        ("files/a.bak", "x"),
        ("ci/z.yaml", "z"),
        (
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        ),
        ("charts/sub/.helmignore", "*.txt\n"),
        ("charts/sub/s.txt", "s"),
        (
            "charts/sub/templates/cm.yaml",
            "sub: {{ .Files.Get \"s.txt\" }}\n",
        ),
        ("charts/sub/templates/tests/t.yaml", "kind: SubPod\n"),
    ];
    let tgz = write_chart_dir_and_tgz(&tmp.path().join("ign"), files);
    check_path(&tmp.path().join("ign"), &[]);
    check_path(&tgz, &[]);
    // links: followed in a directory as Helm does; refused in an archive (safe loading)
    let links: &[(&str, &str)] = &[
        ("Chart.yaml", "apiVersion: v2\nname: lnk\nversion: 0.1.0\n"),
        ("files/real.yaml", "kind: Linked\n"),
        ("templates/link.yaml", "->../files/real.yaml"),
        ("crds/link.yaml", "->../files/real.yaml"),
    ];
    let tgz = write_chart_dir_and_tgz(&tmp.path().join("lnk"), links);
    check_path(&tmp.path().join("lnk"), &[]);
    let e = helm_engine::Chart::load(&tgz).unwrap_err();
    assert!(
        e.0.contains("contains a link, which is not allowed: lnk/templates/link.yaml")
            || e.0
                .contains("contains a link, which is not allowed: lnk/crds/link.yaml"),
        "{e:?}"
    );
    // a negated rule that does not match a path ignores it: here even Chart.yaml
    let neg: &[(&str, &str)] = &[
        ("Chart.yaml", "apiVersion: v2\nname: neg\nversion: 0.1.0\n"),
        (".helmignore", "!keep.yaml\n"),
        ("templates/keep.yaml", "kind: Keep\n"),
    ];
    let tgz = write_chart_dir_and_tgz(&tmp.path().join("neg"), neg);
    check_path(&tmp.path().join("neg"), &[]);
    check_path(&tgz, &[]);
}

/// Dependency features across a chart tree: import-values (exports and child/parent forms),
/// tags, condition lists, one chart under two aliases, a library chart, a grandchild, an
/// archived subchart, globals and null-deleted subchart defaults.
#[test]
fn dependency_features_like_helm() {
    let tmp = tempfile::tempdir().unwrap();
    let show = "{{ .Chart.Name }} {{ .Template.Name }} {{ .Template.BasePath }} g={{ toJson .Values.global }} v={{ omit .Values \"global\" | toJson }}";
    let sub = |name: &str| format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n");
    let files: Vec<(String, String)> = vec![
        ("Chart.yaml".into(), "apiVersion: v2\nname: top\nversion: 1.0.0\ndependencies:\n- name: child\n  version: 0.1.0\n  import-values:\n  - data\n  - child: deep.inner\n    parent: imported\n- name: twin\n  alias: left\n  version: 0.1.0\n- name: twin\n  alias: right\n  version: 0.1.0\n  condition: right.on,global.twinOn\n- name: tagged\n  version: 0.1.0\n  tags: [extra]\n- name: lib\n  version: 0.1.0\n- name: packed\n  version: 0.1.0\n".into()),
        ("values.yaml".into(), "global:\n  region: eu\n  nested: {a: 1}\nchild:\n  drop: null\n  keep: parent\nleft:\n  side: L\nright:\n  side: R\n  on: true\ntags:\n  extra: false\nimported: {own: 1}\n".into()),
        ("templates/top.yaml".into(), format!("top: {show}\nlib: {{{{ include \"lib.hello\" . }}}}\nimported: {{{{ toJson .Values.imported }}}} {{{{ toJson .Values.data }}}}\nsubcharts: {{{{ keys .Subcharts | sortAlpha }}}}\n")),
        ("charts/child/Chart.yaml".into(), format!("{}dependencies:\n- name: grand\n  version: 0.1.0\n", sub("child"))),
        ("charts/child/values.yaml".into(), "drop: me\nkeep: child\nglobal:\n  region: us\n  own: child\nexports:\n  data:\n    data: {exported: true}\ndeep:\n  inner: {x: 1, y: [1, 2]}\n".into()),
        ("charts/child/templates/c.yaml".into(), format!("child: {show}\n")),
        ("charts/child/charts/grand/Chart.yaml".into(), sub("grand")),
        ("charts/child/charts/grand/values.yaml".into(), "g: 1\nglobal:\n  nested: {b: 2}\n".into()),
        ("charts/child/charts/grand/templates/g.yaml".into(), format!("grand: {show}\n")),
        ("charts/twin/Chart.yaml".into(), sub("twin")),
        ("charts/twin/values.yaml".into(), "side: none\n".into()),
        ("charts/twin/templates/t.yaml".into(), format!("twin: {show}\n")),
        ("charts/tagged/Chart.yaml".into(), sub("tagged")),
        ("charts/tagged/templates/t.yaml".into(), "tagged: yes\n".into()),
        ("charts/lib/Chart.yaml".into(), format!("{}type: library\n", sub("lib"))),
        ("charts/lib/templates/_h.tpl".into(), "{{ define \"lib.hello\" }}hello from {{ .Chart.Name }}{{ end }}".into()),
    ];
    let dir = tmp.path().join("top");
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    // the archived subchart
    let packed = tmp.path().join("packed");
    let tgz = write_chart_dir_and_tgz(
        &packed,
        &[
            ("Chart.yaml", &sub("packed")),
            ("values.yaml", "p: 1\n"),
            ("templates/p.yaml", &format!("packed: {show}\n")),
        ],
    );
    write_chart_dir_and_tgz(&dir, &refs);
    std::fs::copy(&tgz, dir.join("charts/packed-0.1.0.tgz")).unwrap();
    check_path(&dir, &[]);
    check_path(
        &dir,
        &[
            "tags:\n  extra: true\nright:\n  on: false\nglobal:\n  twinOn: true\n  region: ap\nchild:\n  keep: null\n  deep:\n    inner: {z: 3}\n",
        ],
    );
}

/// Which `define` wins when a parent, its subcharts and sibling files define one name: Helm
/// parses templates deepest first (a parent's definitions last), and an empty redefinition
/// keeps the earlier body.
#[test]
fn define_precedence_like_helm() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = |name: &str| format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n");
    let use_all = "{{ include \"both\" . }}|{{ include \"sub-only\" . }}|{{ include \"empty-top\" . }}|{{ include \"sibling\" . }}|{{ include \"deep\" . }}";
    let files: Vec<(String, String)> = vec![
        ("Chart.yaml".into(), format!("{}dependencies:\n- name: a\n  version: 0.1.0\n- name: b\n  version: 0.1.0\n", sub("top"))),
        ("templates/_a.tpl".into(), "{{ define \"both\" }}top-a{{ end }}{{ define \"sibling\" }}top-a{{ end }}{{- define \"empty-top\" }}{{ end }}".into()),
        ("templates/_b.tpl".into(), "{{ define \"sibling\" }}top-b{{ end }}".into()),
        ("templates/x/_c.tpl".into(), "{{ define \"sibling\" }}top-x-c{{ end }}{{ define \"deep\" }}top-x{{ end }}".into()),
        ("templates/out.yaml".into(), format!("top: {use_all}\n")),
        ("charts/a/Chart.yaml".into(), sub("a")),
        ("charts/a/templates/_h.tpl".into(), "{{ define \"both\" }}a{{ end }}{{ define \"sub-only\" }}a{{ end }}{{ define \"empty-top\" }}a-body{{ end }}{{ define \"deep\" }}a{{ end }}".into()),
        ("charts/a/templates/out.yaml".into(), format!("a: {use_all}\n")),
        ("charts/b/Chart.yaml".into(), sub("b")),
        ("charts/b/templates/_h.tpl".into(), "{{ define \"sub-only\" }}b{{ end }}{{ define \"both\" }}b{{ end }}".into()),
        ("charts/b/templates/deeper/_h.tpl".into(), "{{ define \"sub-only\" }}b-deeper{{ end }}".into()),
    ];
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = tmp.path().join("top");
    let tgz = write_chart_dir_and_tgz(&dir, &refs);
    check_path(&dir, &[]);
    check_path(&tgz, &[]);
}
