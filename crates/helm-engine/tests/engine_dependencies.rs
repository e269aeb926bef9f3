//! Subchart processing, differential against Helm v4: `import-values` (the `exports` string
//! form and the child/parent map form), `tags` and `condition` (nested paths, comma lists,
//! non-bool values), aliases (one chart used twice), parent values overriding imported ones.
use std::path::Path;
use testkit::engine::{compare, ours};
use testkit::helm::Oracle;
use testkit::{fuzz_params, write_file as write};

const DUMP: &str = "kind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}\ndata:\n  values: |\n{{ toYaml .Values | indent 4 }}\n  deps: {{ .Chart.Dependencies | toJson | quote }}\n";

fn build(root: &Path) {
    write(
        root,
        "Chart.yaml",
        r#"apiVersion: v2
name: app
version: 1.0.0
dependencies:
- name: db
  version: 0.1.0
  import-values:
  - data
  - missing
  - child: config.nested
    parent: imported.here
  - child: notatable
    parent: x
- name: lib
  version: 0.2.0
  alias: liba
  condition: liba.enabled,global.libs
- name: lib
  version: 0.2.0
  alias: libb
  condition: libb.enabled
  tags: [extras]
- name: cache
  version: 0.3.0
  tags: [extras, caching]
  condition: cache.nope.enabled
  import-values:
  - child: exports.settings
    parent: fromcache
- name: old
  version: ">=2.0.0"
  alias: renamed-old
- name: ranged
  version: "~1.2"
  alias: renamed-ranged
  condition: ranged.on
"#,
    );
    write(
        root,
        "values.yaml",
        "imported:\n  here:\n    own: parent\n    b: parent-wins\n    gone: null\nparentOnly: 1\nnullKey: null\nliba:\n  enabled: true\ndb:\n  config:\n    nested:\n      b: null\n",
    );
    write(root, "templates/app.yaml", DUMP);

    write(
        root,
        "charts/db/Chart.yaml",
        "apiVersion: v2\nname: db\nversion: 0.1.0\ndependencies:\n- name: inner\n  version: 0.1.0\n  condition: inner.on\n",
    );
    write(
        root,
        "charts/db/values.yaml",
        "exports:\n  data:\n    dbHost: db.local\n    dbPort: 5432\n    nested: {a: 1}\n    dbNull: null\nconfig:\n  nested:\n    a: child\n    b: child\n    gone: child\nnotatable: 3\ninner:\n  on: true\n",
    );
    write(root, "charts/db/templates/db.yaml", DUMP);
    write(
        root,
        "charts/db/charts/inner/Chart.yaml",
        "apiVersion: v2\nname: inner\nversion: 0.1.0\n",
    );
    write(root, "charts/db/charts/inner/values.yaml", "deep: 1\n");
    write(root, "charts/db/charts/inner/templates/inner.yaml", DUMP);

    write(
        root,
        "charts/lib/Chart.yaml",
        "apiVersion: v2\nname: lib\nversion: 0.2.0\n",
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
        "apiVersion: v2\nname: cache\nversion: 0.3.0\n",
    );
    write(
        root,
        "charts/cache/values.yaml",
        "exports:\n  settings:\n    ttl: 60\n",
    );
    write(root, "charts/cache/templates/cache.yaml", DUMP);

    // a chart whose version does not satisfy the constraint is kept, unaliased
    write(
        root,
        "charts/old/Chart.yaml",
        "apiVersion: v2\nname: old\nversion: 1.2.3\n",
    );
    write(root, "charts/old/values.yaml", "o: 1\n");
    write(root, "charts/old/templates/old.yaml", DUMP);
    write(
        root,
        "charts/ranged/Chart.yaml",
        "apiVersion: v2\nname: ranged\nversion: 1.2.3\n",
    );
    write(root, "charts/ranged/templates/r.yaml", DUMP);
    // a chart in charts/ that Chart.yaml does not list is always rendered
    write(
        root,
        "charts/extra/Chart.yaml",
        "apiVersion: v2\nname: extra\nversion: 0.1.0\n",
    );
    write(root, "charts/extra/templates/extra.yaml", DUMP);
}

const VALUE_SETS: &[&str] = &[
    "",
    "tags:\n  extras: true\n",
    "tags:\n  extras: false\n  caching: true\n",
    "tags:\n  extras: false\nlibb:\n  enabled: true\n",
    "liba:\n  enabled: false\nglobal:\n  libs: true\n",
    "liba:\n  enabled: notabool\nglobal:\n  libs: false\n",
    "db:\n  inner:\n    on: false\n  exports:\n    data:\n      dbPort: 6543\nimported:\n  here:\n    a: user\n",
    "dbHost: override\nfromcache:\n  ttl: 5\ntags:\n  caching: true\n",
    "renamed-ranged:\n  on: false\nold:\n  o: 2\n",
];

#[test]
fn dependencies_and_import_values_match_helm() {
    let mut o = Oracle::start();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("app");
    build(&root);
    let mut failures = vec![];
    let (mut same, mut total) = (0, 0);
    for vs in VALUE_SETS {
        let vals: Vec<String> = if vs.is_empty() {
            vec![]
        } else {
            vec![vs.to_string()]
        };
        let theirs = o.render(&root, &vals, "rel", "ns");
        let mine = ours(&root, &vals, "rel", "ns");
        match (&mine, &theirs) {
            (Ok(a), Ok(b)) => {
                let c = compare(a, b);
                same += c.identical;
                total += c.total;
                if c.identical != c.total {
                    failures.push(format!("values {vs:?}\n{}", c.diffs.join("\n")));
                }
            }
            _ => failures.push(format!(
                "values {vs:?}\n  ours: {mine:?}\n  helm: {theirs:?}"
            )),
        }
    }
    eprintln!(
        "dependency value sets: {} sets, {same}/{total} documents identical to Helm",
        VALUE_SETS.len()
    );
    for f in &failures {
        eprintln!("{f}");
    }
    assert!(failures.is_empty(), "{} value sets differ", failures.len());
    assert!(total >= VALUE_SETS.len() * 3);
}

/// Deterministic xorshift generator for random charts with subcharts.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
    /// A YAML flow value: scalars, nulls, small maps (keys from a shared pool so they collide).
    fn value(&mut self, depth: u32) -> String {
        match if depth == 0 {
            self.below(3)
        } else {
            self.below(6)
        } {
            0 => self
                .pick(&["1", "x", "true", "false", "2.5", "\"s\""])
                .to_string(),
            1 => "null".into(),
            2 => "[1, 2]".into(),
            _ => {
                let n = 1 + self.below(3);
                let mut keys: Vec<&str> = (0..n)
                    .map(|_| self.pick(&["k", "m", "enabled", "exp", "g"]))
                    .collect();
                keys.sort();
                keys.dedup();
                let parts: Vec<String> = keys
                    .iter()
                    .map(|k| format!("{k}: {}", self.value(depth - 1)))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
        }
    }
    fn values_doc(&mut self, keys: &[&str]) -> String {
        let mut out = String::new();
        for k in keys {
            if self.below(3) > 0 {
                out.push_str(&format!("{k}: {}\n", self.value(2)));
            }
        }
        out
    }
}

#[test]
fn random_subchart_values_match_helm() {
    let mut o = Oracle::start();
    let tmp = tempfile::tempdir().unwrap();
    let (seed, n) = fuzz_params("PODNET_DEPS_FUZZ", (0x2545_F491_4F6C_DD1Du64, 150usize));
    let mut g = Gen(seed);
    let mut failures = vec![];
    let (mut same, mut total, mut errors) = (0, 0, 0);
    let keys = [
        "k", "m", "global", "exports", "sub", "tags", "enabled", "exp",
    ];
    for i in 0..n {
        let root = tmp.path().join(format!("c{i}"));
        let alias = if g.below(3) == 0 { "  alias: al\n" } else { "" };
        let cond = match g.below(3) {
            0 => "  condition: sub.enabled\n".to_string(),
            1 => "  tags: [t1]\n".to_string(),
            _ => String::new(),
        };
        let imports = match g.below(4) {
            0 => "  import-values: [exp]\n".to_string(),
            1 => "  import-values:\n  - child: m\n    parent: fromsub\n".to_string(),
            2 => "  import-values:\n  - child: m\n    parent: m\n  - exp\n".to_string(),
            _ => String::new(),
        };
        write(
            &root,
            "Chart.yaml",
            &format!(
                "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: 0.1.0\n{alias}{cond}{imports}"
            ),
        );
        write(&root, "values.yaml", &g.values_doc(&keys));
        write(&root, "templates/app.yaml", DUMP);
        write(
            &root,
            "charts/sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        );
        write(&root, "charts/sub/values.yaml", &g.values_doc(&keys));
        write(&root, "charts/sub/templates/sub.yaml", DUMP);
        let user = g.values_doc(&["k", "m", "global", "sub", "al", "tags", "fromsub"]);
        let vals = if user.is_empty() {
            vec![]
        } else {
            vec![user.clone()]
        };
        let theirs = o.render(&root, &vals, "rel", "ns");
        let mine = ours(&root, &vals, "rel", "ns");
        match (&mine, &theirs) {
            (Ok(a), Ok(b)) => {
                let c = compare(a, b);
                same += c.identical;
                total += c.total;
                if c.identical != c.total {
                    failures.push(format!(
                        "case {i}\nChart deps: {alias}{cond}{imports}parent values:\n{}sub values:\n{}user:\n{user}\n{}",
                        std::fs::read_to_string(root.join("values.yaml")).unwrap(),
                        std::fs::read_to_string(root.join("charts/sub/values.yaml")).unwrap(),
                        c.diffs.join("\n")
                    ));
                }
            }
            (Err(a), Err(b)) if a == b => errors += 1,
            _ => failures.push(format!("case {i}\n  ours: {mine:?}\n  helm: {theirs:?}")),
        }
    }
    eprintln!(
        "random subchart cases: {n} ({errors} fail in both with the same error), {same}/{total} documents identical to Helm"
    );
    for f in failures.iter().take(5) {
        eprintln!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} random subchart cases differ",
        failures.len()
    );
}
