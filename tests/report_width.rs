//! Findings for people at any width, through the real binary: `cilium validate`, `cilium values`
//! (refusals, on stderr) and `audit` at 60, 80 and 140 columns (snapshots), check IDs, object
//! names, values paths, CIDRs and URLs never split at any width, and `--color` / `NO_COLOR`.
//!
//! Backend of the audit test: the REAL API server (`testkit::cluster::BareCluster`: etcd and
//! kube-apiserver, the objects created through the API, nothing changing them).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use serde_json::{Value, json};
use testkit::cluster::BareCluster;
use testkit::fixtures::{
    CNI_IMAGE, config_map, eniconfig, hybrid_affinity, node, pod, tutorial_subnets,
};

const WIDTHS: [usize; 3] = [60, 80, 140];

fn podnet() -> Command {
    let mut c = Command::cargo_bin("kubectl-podnet").expect("binary built");
    c.env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .env_remove("AWS_ENDPOINT_URL");
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("UTF-8 output")
}

fn has_ansi(s: &str) -> bool {
    s.contains('\x1b')
}

/// `s` without the SGR sequences (`ESC [ … m`) the renderers use.
fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('m').expect("SGR ends in m");
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    out
}

// --- cilium validate -------------------------------------------------------------------------

/// AWS's guide's values with two overlapping pod CIDRs, one inside the EKS default service CIDR,
/// an operator without the hybrid affinity and Envoy on: errors, warnings and info, with paths.
fn seed_values() -> Value {
    json!({
        "affinity": hybrid_affinity(),
        "ipam": {"mode": "cluster-pool", "operator": {
            "clusterPoolIPv4MaskSize": 25,
            "clusterPoolIPv4PodCIDRList": ["10.100.0.0/24", "10.100.0.0/25"],
        }},
        "loadBalancer": {"serviceTopology": true},
        "operator": {"unmanagedPodWatcher": {"restart": true}},
        "envoy": {"enabled": true},
        "kubeProxyReplacement": "false",
    })
}

const SEED_FACTS: &[&str] = &[
    "--vpc-cidr",
    "192.168.0.0/16",
    "--remote-node-network",
    "192.168.100.0/24",
    "--nodes",
    "3",
];

struct Validate {
    _dir: tempfile::TempDir,
    values: std::path::PathBuf,
}

impl Validate {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let values = dir.path().join("values.yaml");
        std::fs::write(&values, seed_values().to_string()).unwrap();
        Validate { _dir: dir, values }
    }

    fn run(&self, flags: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = podnet();
        c.args(["cilium", "validate", "-f"])
            .arg(&self.values)
            .args(SEED_FACTS)
            .args(flags);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        out
    }

    fn at(&self, width: usize) -> String {
        text(&self.run(&["--width", &width.to_string()], &[]).stdout)
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.run(&["-o", "json"], &[]).stdout).unwrap()
    }
}

#[test]
fn validate_findings_at_60_80_140_columns() {
    let v = Validate::new();
    for w in WIDTHS {
        insta::assert_snapshot!(format!("validate_{w}_columns"), v.at(w));
    }
}

/// Every token a finding has (ID, path, words of the message, fix and link) and that a reader
/// needs whole.
fn validate_tokens(report: &Value) -> BTreeSet<String> {
    let mut tokens = BTreeSet::new();
    for f in report["findings"].as_array().unwrap() {
        tokens.insert(f["id"].as_str().unwrap().to_string());
        for key in ["path", "object", "input", "message", "remediation", "docs"] {
            if let Some(s) = f[key].as_str() {
                tokens.extend(s.split_whitespace().map(str::to_string));
            }
        }
    }
    tokens
}

/// Every token appears whole in `out`, and lines fit `width` (see [`assert_fits`]).
fn assert_whole(out: &str, tokens: &BTreeSet<String>, width: usize) {
    // Words, and the IDs inside `error[ID]` headings.
    let mut words: BTreeSet<&str> = out.split_whitespace().collect();
    for line in out.lines() {
        if let Some((sev, rest)) = line.split_once('[')
            && ["error", "warning", "info"].contains(&sev)
        {
            words.insert(rest.strip_suffix(']').expect("error[ID]"));
        }
    }
    for t in tokens {
        assert!(
            words.contains(t.as_str()),
            "{t:?} is broken or missing at {width} columns:\n{out}"
        );
    }
    assert_fits(out, width);
}

/// A line is longer than `width` only to keep a token whole: it is one token after its
/// indentation and label.
fn assert_fits(out: &str, width: usize) {
    for line in out.lines() {
        if line.chars().count() <= width {
            continue;
        }
        let rest: Vec<&str> = line
            .split_whitespace()
            .skip_while(|w| ["where:", "what:", "fix:", "docs:"].contains(w))
            .collect();
        assert_eq!(
            rest.len(),
            1,
            "line over {width} columns for no long token:\n{line}\n{out}"
        );
    }
}

#[test]
fn validate_never_splits_a_token() {
    let v = Validate::new();
    let tokens = validate_tokens(&v.json());
    assert!(tokens.contains("ipam.operator.clusterPoolIPv4PodCIDRList[1]"));
    assert!(tokens.contains("pod-cidr-overlaps-service-cidr"));
    for w in [20, 40, 60, 72, 80, 81, 100, 120, 140, 200] {
        let out = v.at(w);
        assert_whole(&out, &tokens, w);
        // The layout: a list at 80 columns and below; a table when every token fits its column
        // (this report's longest FINDING word is 47 characters), else still the list.
        let table = out.starts_with("SEVERITY ");
        assert_eq!(table, w >= 140, "at {w} columns:\n{out}");
    }
}

#[test]
fn width_comes_from_the_flag_then_columns_then_80() {
    let v = Validate::new();
    let columns = |c: &str| text(&v.run(&[], &[("COLUMNS", c)]).stdout);
    assert_eq!(columns("140"), v.at(140));
    assert_eq!(columns("60"), v.at(60));
    // Not a terminal and no COLUMNS: 80 columns, the list.
    assert_eq!(text(&v.run(&[], &[]).stdout), v.at(80));
    assert_eq!(columns("junk"), v.at(80));
    // The flag wins over COLUMNS.
    assert_eq!(
        text(&v.run(&["--width", "140"], &[("COLUMNS", "60")]).stdout),
        v.at(140)
    );
    let out = podnet()
        .args(["cilium", "validate", "--width", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let v = Validate::new();
    let run = |flags: &[&str], env: &[(&str, &str)]| text(&v.run(flags, env).stdout);
    // Not a terminal: auto is plain.
    assert!(!has_ansi(&run(&[], &[])));
    let always = run(&["--color", "always"], &[]);
    assert!(always.contains("\x1b[1;31merror"), "{always}");
    // always forces colour even with NO_COLOR; the words are the same.
    assert_eq!(run(&["--color", "always"], &[("NO_COLOR", "1")]), always);
    assert_eq!(strip_ansi(&always), run(&[], &[]));
    for (flags, env) in [
        (&["--color", "never"][..], &[][..]),
        (&["--no-color"][..], &[][..]),
        (&[][..], &[("NO_COLOR", "1")][..]),
        (&["--color", "auto"][..], &[("NO_COLOR", "1")][..]),
        // The last of --color and --no-color wins.
        (&["--color", "always", "--no-color"][..], &[][..]),
    ] {
        assert!(!has_ansi(&run(flags, env)), "{flags:?} {env:?}");
    }
    assert!(has_ansi(&run(&["--no-color", "--color", "always"], &[])));
    // The table colours its severity cells without shifting the columns.
    let wide = run(&["--color", "always", "--width", "140"], &[]);
    assert!(wide.starts_with("SEVERITY "), "{wide}");
    assert!(wide.contains("\x1b[1;31merror   \x1b[0m"), "{wide}");
}

/// On a terminal (a pseudo-terminal from util-linux `script`), auto colours unless NO_COLOR is
/// set, and the width is the terminal's.
#[test]
fn on_a_terminal_auto_colours_and_takes_its_width() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `script` (util-linux) to make a terminal");
        return;
    }
    let v = Validate::new();
    let bin = assert_cmd::cargo::cargo_bin("kubectl-podnet");
    let tty = |cols: usize, no_color: Option<&str>| {
        let cmd = format!(
            "stty rows 40 cols {cols}; '{}' cilium validate -f '{}' {}",
            bin.display(),
            v.values.display(),
            SEED_FACTS.join(" ")
        );
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"])
            .env_remove("NO_COLOR")
            .env("COLUMNS", "200");
        if let Some(n) = no_color {
            c.env("NO_COLOR", n);
        }
        let out = c.output().unwrap();
        // The terminal turns \n into \r\n.
        text(&out.stdout).replace("\r\n", "\n")
    };
    let coloured = tty(140, None);
    assert!(has_ansi(&coloured), "{coloured}");
    // The terminal's width beats COLUMNS (200).
    assert_eq!(strip_ansi(&coloured), v.at(140));
    let plain = tty(60, Some("1"));
    assert!(!has_ansi(&plain), "{plain}");
    assert_eq!(plain, v.at(60));
    // An empty NO_COLOR does not count.
    assert!(has_ansi(&tty(60, Some(""))));
}

#[test]
fn values_refusal_on_stderr_follows_the_width() {
    let args = [
        "cilium",
        "values",
        "--pod-cidr",
        "10.0.0.0/16",
        "--vpc-cidr",
        "10.0.0.0/16",
    ];
    for (w, table) in [(60, false), (140, true)] {
        let out = podnet()
            .args(args)
            .args(["--width", &w.to_string()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        assert_eq!(err.starts_with("SEVERITY "), table, "{err}");
        assert!(
            err.contains("error[pod-cidr-overlaps-vpc]") != table,
            "{err}"
        );
        // The findings fit (the error after them is miette's, unwrapped off a terminal).
        let findings = err.split("\nerror: ").next().unwrap();
        assert_fits(findings, w);
    }
}

#[test]
fn help_documents_width_and_colour() {
    let out = podnet().arg("--help").output().unwrap();
    let help = text(&out.stdout);
    for s in [
        "--color <WHEN>",
        "--no-color",
        "--width <COLUMNS>",
        "$COLUMNS",
    ] {
        assert!(help.contains(s), "{s}: {help}");
    }
}

// --- audit -----------------------------------------------------------------------------------

/// AWS's custom networking tutorial cluster gone wrong in several ways at once: a node group not
/// recycled (its pods in the node subnet, max pods too high), twelve pods with long generated
/// names outside their ENIConfig subnet, one node role shared by Linux and Windows, and an
/// ENIConfig no node uses: errors with many objects, a warning and info.
fn audit_world() -> (Vec<Value>, Vec<Value>) {
    let env: Vec<Value> = [
        ("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "true"),
        ("ENI_CONFIG_LABEL_DEF", "topology.kubernetes.io/zone"),
    ]
    .iter()
    .map(|(k, v)| json!({"name": k, "value": v}))
    .collect();
    let mut objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps-0"}}),
        json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "eniconfigs.crd.k8s.amazonaws.com"},
            "spec": {"group": "crd.k8s.amazonaws.com", "scope": "Cluster",
                "names": {"kind": "ENIConfig", "listKind": "ENIConfigList", "plural": "eniconfigs", "singular": "eniconfig"},
                "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}}),
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "aws-node", "namespace": "kube-system"},
            "spec": {"selector": {"matchLabels": {"k8s-app": "aws-node"}}, "template": {
                "metadata": {"labels": {"k8s-app": "aws-node"}},
                "spec": {"containers": [{"name": "aws-node", "image": CNI_IMAGE, "env": env}]}}}}),
        config_map("amazon-vpc-cni", json!({"enable-windows-ipam": "true"})),
        config_map(
            "aws-auth",
            json!({"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/eks-nodes\n  groups:\n  - eks:kube-proxy-windows\n  - system:bootstrappers\n  - system:nodes\n"}),
        ),
        eniconfig("us-west-2a", "subnet-pod-a", &["sg-1"]),
        eniconfig("us-west-2b", "subnet-pod-b", &["sg-1"]),
        eniconfig("us-west-2c-secondary-cidr-pods", "subnet-pod-a", &["sg-1"]),
        node(
            "ip-192-168-0-10",
            "us-west-2a",
            "192.168.0.10",
            "m5.large",
            "linux",
            20,
        ),
        node(
            "ip-192-168-32-10",
            "us-west-2b",
            "192.168.32.10",
            "m5.large",
            "linux",
            20,
        ),
        node(
            "ip-192-168-1-20",
            "us-west-2a",
            "192.168.1.20",
            "m5.large",
            "linux",
            29,
        ),
        node(
            "win-1",
            "us-west-2a",
            "192.168.0.50",
            "m5.large",
            "windows",
            20,
        ),
        pod("apps-0", "web-a", "ip-192-168-0-10", "100.64.0.5"),
        pod("apps-0", "old-1", "ip-192-168-1-20", "192.168.1.33"),
    ];
    for i in 0..12 {
        objects.push(pod(
            "apps-0",
            &format!("app-{i}-t8nv92c4pl-gc4m9"),
            "ip-192-168-32-10",
            &format!("100.66.0.{}", 10 + i),
        ));
    }
    let subnets = tutorial_subnets();
    (objects, subnets)
}

/// The audit's cluster on the real API server (a bare cluster: nothing changes the objects).
struct Audit {
    _dir: tempfile::TempDir,
    cluster: BareCluster,
    subnets: std::path::PathBuf,
}

impl Audit {
    fn start() -> Self {
        let (objects, subnets) = audit_world();
        let dir = tempfile::tempdir().unwrap();
        let s = dir.path().join("subnets.json");
        std::fs::write(&s, json!({"Subnets": subnets}).to_string()).unwrap();
        let mut cluster = BareCluster::up();
        cluster.load(&objects);
        Audit {
            _dir: dir,
            cluster,
            subnets: s,
        }
    }

    fn run(&self, flags: &[&str]) -> Output {
        let out = run_audit(self.cluster.kubeconfig(), &self.subnets, flags);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        out
    }

    fn at(&self, width: usize) -> String {
        text(&self.run(&["--width", &width.to_string()]).stdout)
    }
}

fn run_audit(kubeconfig: &Path, subnets: &Path, flags: &[&str]) -> Output {
    podnet()
        .arg("audit")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--subnets")
        .arg(subnets)
        .args(flags)
        .output()
        .unwrap()
}

/// IDs, the objects the text shows (the first ten of a check) and the words of messages, fixes and
/// links of the failed checks; the IDs and messages of skipped ones.
fn audit_tokens(report: &Value) -> BTreeSet<String> {
    let mut tokens = BTreeSet::new();
    for c in report["checks"].as_array().unwrap() {
        let mut keys = vec!["message"];
        match c["status"].as_str().unwrap() {
            "fail" => keys.extend(["remediation", "docs"]),
            "skipped" => {}
            _ => continue,
        }
        tokens.insert(c["id"].as_str().unwrap().to_string());
        for key in keys {
            tokens.extend(
                c[key]
                    .as_str()
                    .unwrap()
                    .split_whitespace()
                    .map(str::to_string),
            );
        }
        for o in c["objects"].as_array().unwrap().iter().take(10) {
            tokens.extend(o.as_str().unwrap().split_whitespace().map(str::to_string));
        }
    }
    tokens
}

#[test]
fn audit_findings_at_60_80_140_columns_never_split_a_token() {
    let a = Audit::start();
    let report: Value = serde_json::from_slice(&a.run(&["-o", "json"]).stdout).unwrap();
    let tokens = audit_tokens(&report);
    for t in [
        "pod/apps-0/app-0-t8nv92c4pl-gc4m9",
        "node/ip-192-168-1-20",
        "pod-ip-outside-eniconfig-subnet",
        "eniconfig/us-west-2c-secondary-cidr-pods",
    ] {
        assert!(tokens.contains(t), "{t} not in the report: {tokens:?}");
    }
    for w in WIDTHS {
        let out = a.at(w);
        assert_whole(&out, &tokens, w);
        insta::assert_snapshot!(format!("audit_{w}_columns"), out);
    }
    for w in [20, 40, 81, 100, 120, 200] {
        assert_whole(&a.at(w), &tokens, w);
    }
    // Without subnets, the checks that need them are skipped: that section wraps as well.
    let no_subnets = |w: usize| {
        podnet()
            .arg("audit")
            .arg("--kubeconfig")
            .arg(a.cluster.kubeconfig())
            .args(["--width", &w.to_string()])
            .output()
            .unwrap()
    };
    let report: Value = serde_json::from_slice(
        &podnet()
            .args(["audit", "-o", "json", "--kubeconfig"])
            .arg(a.cluster.kubeconfig())
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let tokens = audit_tokens(&report);
    for w in [40, 60, 80, 140] {
        let out = text(&no_subnets(w).stdout);
        assert!(out.contains("\nSKIPPED ("), "{out}");
        assert_whole(&out, &tokens, w);
    }
    // Colour: forced, or not at all.
    assert!(has_ansi(&text(&a.run(&["--color", "always"]).stdout)));
    assert!(!has_ansi(&text(&a.run(&["--color", "never"]).stdout)));
    let out = podnet()
        .env("NO_COLOR", "1")
        .arg("audit")
        .arg("--kubeconfig")
        .arg(a.cluster.kubeconfig())
        .arg("--subnets")
        .arg(&a.subnets)
        .output()
        .unwrap();
    assert!(!has_ansi(&text(&out.stdout)));
}
