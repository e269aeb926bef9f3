//! Differential tests on public charts of other projects, under their defaults and a feature-rich
//! values set. Developers commit nothing fetched, so the charts are read from `public/` of the test
//! charts directory (`$PODNET_TEST_CHARTS`, else `../shared/charts`) and the test is ignored until
//! they are there: `cargo test -p helm-engine --test engine_public_charts -- --ignored`.
use std::path::PathBuf;
use testkit::engine::{compare, ours};
use testkit::helm::Oracle;

fn public_charts() -> Vec<PathBuf> {
    let dir = testkit::charts::extra_dir().join("public");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tgz"))
        .collect();
    // PODNET_PUBLIC_ONLY=a,b keeps the charts whose file name contains one of the parts.
    if let Ok(only) = std::env::var("PODNET_PUBLIC_ONLY") {
        v.retain(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            only.split(',').any(|part| n.contains(part))
        });
    }
    v.sort();
    v
}

/// Chart-specific value sets beside the chart: `NAME.values/*.yaml` for `NAME.tgz`, each one a set.
fn extra_sets(chart: &std::path::Path) -> Vec<(String, String)> {
    let dir = chart.with_extension("values");
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let set = p.file_stem().unwrap().to_string_lossy().into_owned();
            (set, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

/// Values that switch on common optional features across charts.
const RICH: &str = r#"
replicaCount: 3
replicas: 2
nameOverride: renamed
fullnameOverride: ""
podAnnotations:
  note: "yes"
  long: "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore"
podLabels:
  team: net
commonLabels:
  env: test
nodeSelector:
  kubernetes.io/os: linux
tolerations:
- operator: Exists
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
      - matchExpressions:
        - key: eks.amazonaws.com/compute-type
          operator: In
          values: [hybrid]
resources:
  limits:
    cpu: 200m
    memory: 256Mi
  requests:
    cpu: 100m
    memory: 128Mi
serviceMonitor:
  enabled: true
prometheus:
  monitor:
    enabled: true
podDisruptionBudget:
  enabled: true
  minAvailable: 1
autoscaling:
  enabled: true
  minReplicas: 2
  maxReplicas: 5
ingress:
  enabled: true
  hosts:
  - host: example.local
    paths:
    - path: /
      pathType: Prefix
extraArgs:
  v: 2
env:
- name: A
  value: "1"
clusterName: hybrid-cluster
"#;

/// Chart-specific rich values (charts whose schema forbids unknown keys).
const TRAEFIK_RICH: &str = r#"
deployment:
  replicas: 2
  podAnnotations:
    note: "yes"
commonLabels:
  env: test
ingressRoute:
  dashboard:
    enabled: true
providers:
  kubernetesGateway:
    enabled: true
log:
  level: DEBUG
service:
  type: NodePort
  annotations:
    a: b
tolerations:
- operator: Exists
additionalArguments:
- --api.insecure=true
env:
- name: A
  value: "1"
autoscaling:
  enabled: true
  maxReplicas: 4
"#;

/// Odd scalars (YAML 1.1 forms, long and multi-line strings, special characters) where charts
/// print free-form maps: annotations, labels, env, resources.
const ODD: &str = r#"
podAnnotations: &ann
  yes-bool: yes
  off-bool: off
  octal: 0755
  octal-o: 0o17
  hex: 0x1F
  sexagesimal: 1:30
  exp: 1e3
  float: 1.50
  big: 12345678901234567890
  negzero: -0
  date: 2024-01-01
  time: 2001-12-14t21:59:43.10-05:00
  tilde: ~
  empty: ""
  quoted-true: "true"
  colon: "a: b"
  hash: "a #b"
  lead-space: " x"
  trail-space: "x "
  tab: "a\tb"
  unicode: "ünïcödé ✓"
  emoji: "😀"
  backslash: 'C:\dir'
  single: "it's"
  double: 'say "hi"'
  star: "*star"
  amp: "&amp"
  dash: "- x"
  q: "?"
  pct: "%"
  at: "@x"
  backtick: "`x`"
  nul: null
  multi: |
    line one
      indented
    line three
  multi-strip: |-
    a
    b
  folded: >
    folded text
    continues here
  long: "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation"
  longword: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbb"
  json: '{"a": [1, 2], "b": {"c": null}}'
  "1": numeric-key
  "true": bool-key
  "a.b/c": dotted
annotations: *ann
commonAnnotations: *ann
podLabels:
  app.kubernetes.io/part-of: x
  n: "1"
commonLabels:
  z: "last"
  a: "first"
env:
- name: ODD
  value: "0755"
- name: MULTI
  value: |
    x
    y
extraEnv:
- name: ODD
  value: "yes"
resources:
  limits:
    cpu: 1.5
    memory: 1e3Mi
  requests:
    cpu: 0.1
    memory: 1024
"#;

fn rich_for(chart: &std::path::Path) -> String {
    let n = chart.file_name().unwrap().to_string_lossy();
    if n.starts_with("traefik") {
        TRAEFIK_RICH.to_string()
    } else {
        RICH.to_string()
    }
}

type Files = std::collections::BTreeMap<String, String>;

/// Mask the lines of `ours` and `theirs` where Helm's `again` render differs from `theirs`.
fn mask_random(mut ours: Files, mut theirs: Files, again: &Files) -> (Files, Files) {
    for (k, t) in theirs.iter_mut() {
        let Some(g) = again.get(k) else { continue };
        if g == t {
            continue;
        }
        let tl: Vec<&str> = t.split('\n').collect();
        let gl: Vec<&str> = g.split('\n').collect();
        if tl.len() != gl.len() {
            continue;
        }
        let random: Vec<bool> = tl.iter().zip(&gl).map(|(x, y)| x != y).collect();
        let fix = |s: &str| -> String {
            s.split('\n')
                .enumerate()
                .map(|(i, l)| {
                    if random.get(i) == Some(&true) {
                        "<RANDOM>"
                    } else {
                        l
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        if let Some(o) = ours.get_mut(k)
            && o.split('\n').count() == tl.len()
        {
            *o = fix(o);
        }
        *t = fix(t);
    }
    (ours, theirs)
}

/// Helm lists schema errors, and a schema's disallowed additional properties, in Go map order
/// (random): sort both.
fn norm_err(e: &str) -> String {
    let re =
        regex::Regex::new(r"additional properties ('[^']*'(?:, '[^']*')*) not allowed").unwrap();
    let e = re.replace_all(e, |c: &regex::Captures| {
        let mut v: Vec<&str> = c[1].split(", ").collect();
        v.sort();
        format!("additional properties {} not allowed", v.join(", "))
    });
    // schema errors come in Go map order too: compare their lines as a set
    let mut lines: Vec<&str> = e.lines().collect();
    lines.sort();
    lines.join("\n")
}

fn check(
    o: &mut Oracle,
    chart: &std::path::Path,
    set: &str,
    values: Vec<String>,
) -> (usize, usize, Vec<String>) {
    let theirs = o.render(chart, &values, "rel", "ns");
    let mine = ours(chart, &values, "rel", "ns");
    let name = chart.file_name().unwrap().to_string_lossy().to_string();
    match (mine, theirs) {
        (Ok(a), Ok(b)) => {
            // charts generate random names, passwords and ids: the lines where a second Helm
            // render differs from the first are masked on both sides
            let again = o.render(chart, &values, "rel", "ns").unwrap_or_default();
            let (a, b) = mask_random(a, b, &again);
            let c = compare(&a, &b);
            eprintln!(
                "[{name} {set}] identical documents: {}/{}",
                c.identical, c.total
            );
            let diffs = c
                .diffs
                .into_iter()
                .map(|d| format!("[{name} {set}] {d}"))
                .collect();
            (c.identical, c.total, diffs)
        }
        (Err(a), Err(b)) if norm_err(&a) == norm_err(&b) => {
            eprintln!("[{name} {set}] both fail identically: {a}");
            (1, 1, vec![])
        }
        (a, b) => (
            0,
            1,
            vec![format!(
                "[{name} {set}] ours: {:?}\nhelm: {:?}",
                a.err(),
                b.err()
            )],
        ),
    }
}

#[test]
#[ignore = "needs the public charts in $PODNET_TEST_CHARTS/public/"]
fn public_charts_match_helm() {
    let charts = public_charts();
    assert!(
        charts.len() >= 10 || std::env::var_os("PODNET_PUBLIC_ONLY").is_some(),
        "expected at least 10 vendored public charts"
    );
    let mut bad = Vec::new();
    let mut o = Oracle::start();
    for c in &charts {
        let mut sets = vec![
            ("defaults".to_string(), vec![]),
            ("rich".to_string(), vec![rich_for(c)]),
            ("odd".to_string(), vec![ODD.to_string()]),
        ];
        sets.extend(extra_sets(c).into_iter().map(|(n, y)| (n, vec![y])));
        for (set, vals) in sets {
            let (same, total, diffs) = check(&mut o, c, &set, vals);
            if same != total {
                bad.extend(diffs);
            }
        }
    }
    let show = std::env::var("PODNET_PUBLIC_SHOW")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    for d in bad.iter().take(show) {
        eprintln!("{d}");
    }
    assert!(bad.is_empty(), "{} documents differ", bad.len());
}
