//! Helm 2 (`apiVersion: v1`) charts keep their dependencies in `requirements.yaml`; Helm v4's
//! loader reads them into the dependency list, so conditions, tags, aliases and import-values
//! apply as for v2 charts. Differential against Helm v4: umbrella v1 charts (with and without
//! `apiVersion`), nested v1 subcharts, a packaged v1 subchart, aliases, disabled subcharts, and
//! which of `requirements.yaml`, `requirements.lock` and `Chart.lock` `.Files` sees.
use std::path::Path;
use testkit::charts::write_tgz;
use testkit::engine::{compare, ours};
use testkit::helm::Oracle;
use testkit::write_file as write;

const DUMP: &str = r#"kind: ConfigMap
metadata:
  name: {{ .Chart.Name }}
data:
  apiVersion: {{ .Chart.APIVersion | quote }}
  values: |
{{ toYaml .Values | indent 4 }}
  deps: {{ .Chart.Dependencies | toJson | quote }}
  requirements: {{ .Files.Get "requirements.yaml" | quote }}
  requirementsLock: {{ .Files.Get "requirements.lock" | quote }}
  chartLock: {{ .Files.Get "Chart.lock" | quote }}
  files: {{ range $path, $_ := .Files }}{{ $path }} {{ end }}
"#;

const LOCK: &str = "dependencies:\n- name: db\n  repository: file://charts/db\n  version: 0.1.0\ndigest: sha256:0\ngenerated: \"2019-01-01T00:00:00Z\"\n";

/// An umbrella chart: `header` is its Chart.yaml's first lines (the apiVersion, or none).
fn build(root: &Path, header: &str) {
    write(
        root,
        "Chart.yaml",
        &format!("{header}name: app\nversion: 1.0.0\nannotations:\n  own: chart\n"),
    );
    write(
        root,
        "requirements.yaml",
        r#"dependencies:
- name: db
  version: 0.1.0
  repository: file://charts/db
  condition: db.enabled,global.db.enabled
  import-values:
  - data
  - child: config.nested
    parent: imported.here
- name: lib
  version: 0.2.0
  alias: liba
  condition: liba.enabled
- name: lib
  version: 0.2.0
  alias: libb
  tags: [extras]
- name: cache
  version: 0.3.0
  tags: [extras, caching]
  condition: cache.missing.path
  import-values:
  - child: exports.settings
    parent: fromcache
- name: packed
  version: 0.4.0
  condition: packed.enabled
"#,
    );
    write(root, "requirements.lock", LOCK);
    write(
        root,
        "values.yaml",
        "imported:\n  here:\n    own: parent\nliba:\n  enabled: true\nglobal:\n  db:\n    enabled: false\n",
    );
    write(root, "templates/app.yaml", DUMP);

    // a nested v1 subchart with its own requirements
    write(
        root,
        "charts/db/Chart.yaml",
        "apiVersion: v1\nname: db\nversion: 0.1.0\n",
    );
    write(
        root,
        "charts/db/requirements.yaml",
        "dependencies:\n- name: inner\n  version: 0.1.0\n  alias: renamed\n  condition: renamed.on\n",
    );
    write(
        root,
        "charts/db/values.yaml",
        "enabled: true\nexports:\n  data:\n    dbHost: db.local\nconfig:\n  nested:\n    a: child\nrenamed:\n  on: true\n",
    );
    write(root, "charts/db/templates/db.yaml", DUMP);
    write(
        root,
        "charts/db/charts/inner/Chart.yaml",
        "name: inner\nversion: 0.1.0\n",
    );
    write(root, "charts/db/charts/inner/values.yaml", "deep: 1\n");
    write(root, "charts/db/charts/inner/templates/inner.yaml", DUMP);

    write(
        root,
        "charts/lib/Chart.yaml",
        "apiVersion: v1\nname: lib\nversion: 0.2.0\n",
    );
    write(
        root,
        "charts/lib/values.yaml",
        "enabled: false\nlibValue: x\n",
    );
    write(root, "charts/lib/templates/lib.yaml", DUMP);

    write(
        root,
        "charts/cache/Chart.yaml",
        "apiVersion: v1\nname: cache\nversion: 0.3.0\n",
    );
    write(root, "charts/cache/Chart.lock", LOCK);
    write(
        root,
        "charts/cache/values.yaml",
        "exports:\n  settings:\n    ttl: 60\n",
    );
    write(root, "charts/cache/templates/cache.yaml", DUMP);

    // a packaged v1 subchart that has requirements of its own
    std::fs::create_dir_all(root.join("charts")).unwrap();
    write_tgz(
        &root.join("charts/packed-0.4.0.tgz"),
        &[
            (
                "packed/Chart.yaml",
                "apiVersion: v1\nname: packed\nversion: 0.4.0\n",
            ),
            (
                "packed/requirements.yaml",
                "dependencies:\n- name: leaf\n  version: 0.1.0\n  condition: leaf.on\n",
            ),
            ("packed/values.yaml", "leaf:\n  on: false\n"),
            ("packed/templates/p.yaml", DUMP),
            (
                "packed/charts/leaf/Chart.yaml",
                "name: leaf\nversion: 0.1.0\n",
            ),
            ("packed/charts/leaf/templates/l.yaml", DUMP),
        ],
    );
}

/// A v2 chart that still has a requirements.yaml: Helm lets it replace Chart.yaml's list.
fn build_v2_with_requirements(root: &Path) {
    write(
        root,
        "Chart.yaml",
        "apiVersion: v2\nname: app2\nversion: 1.0.0\ndependencies:\n- name: sub\n  version: 0.1.0\n  condition: fromchart.enabled\n",
    );
    write(
        root,
        "requirements.yaml",
        "dependencies:\n- name: sub\n  version: 0.1.0\n  alias: other\n  condition: fromrequirements.enabled\n",
    );
    write(root, "requirements.lock", LOCK);
    write(root, "Chart.lock", LOCK);
    write(root, "templates/app.yaml", DUMP);
    write(
        root,
        "charts/sub/Chart.yaml",
        "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
    );
    write(root, "charts/sub/templates/sub.yaml", DUMP);
}

const VALUE_SETS: &[&str] = &[
    "",
    "db:\n  enabled: false\n",
    "global:\n  db:\n    enabled: true\ndb:\n  enabled: null\n",
    "tags:\n  extras: true\n",
    "tags:\n  extras: false\n  caching: true\nliba:\n  enabled: false\n",
    "db:\n  renamed:\n    on: false\n  exports:\n    data:\n      dbHost: user\n",
    "packed:\n  enabled: true\n  leaf:\n    on: true\n",
    "fromchart:\n  enabled: false\nfromrequirements:\n  enabled: true\n",
    "fromrequirements:\n  enabled: false\n",
];

#[test]
fn v1_requirements_dependencies_match_helm() {
    let mut oracle = Oracle::start();
    let tmp = tempfile::tempdir().unwrap();
    let charts = [
        ("v1", tmp.path().join("v1")),
        ("no apiVersion", tmp.path().join("none")),
        ("v2 with requirements.yaml", tmp.path().join("v2")),
    ];
    build(&charts[0].1, "apiVersion: v1\n");
    build(&charts[1].1, "");
    build_v2_with_requirements(&charts[2].1);
    let mut failures = vec![];
    let (mut same, mut total) = (0, 0);
    for (label, root) in &charts {
        for vs in VALUE_SETS {
            let vals: Vec<String> = if vs.is_empty() {
                vec![]
            } else {
                vec![vs.to_string()]
            };
            let theirs = oracle.render(root, &vals, "rel", "ns");
            let mine = ours(root, &vals, "rel", "ns");
            match (&mine, &theirs) {
                (Ok(a), Ok(b)) => {
                    let c = compare(a, b);
                    same += c.identical;
                    total += c.total;
                    if c.identical != c.total {
                        failures.push(format!("{label}, values {vs:?}\n{}", c.diffs.join("\n")));
                    }
                }
                _ => failures.push(format!(
                    "{label}, values {vs:?}\n  ours: {mine:?}\n  helm: {theirs:?}"
                )),
            }
        }
    }
    eprintln!(
        "v1 requirements: {} charts x {} value sets, {same}/{total} documents identical to Helm",
        charts.len(),
        VALUE_SETS.len()
    );
    for f in &failures {
        eprintln!("{f}");
    }
    assert!(failures.is_empty(), "{} renders differ", failures.len());
    assert!(total >= charts.len() * VALUE_SETS.len() * 2);
}
