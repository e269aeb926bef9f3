//! `cilium validate` and `cilium values` through the real binary: every finding ID raised and
//! not raised, every exit code, bad input files, and snapshots of the outputs people read.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::{Value, json};
use testkit::fixtures::hybrid_affinity;

const GOOD_FACTS: &[&str] = &[
    "--vpc-cidr",
    "10.0.0.0/16",
    "--remote-node-network",
    "10.80.0.0/16",
    "--remote-pod-network",
    "10.200.0.0/16",
    "--service-cidr",
    "172.20.0.0/16",
];

/// The values AWS's guide prescribes, with a pod CIDR that fits GOOD_FACTS.
fn good() -> Value {
    json!({
        "affinity": hybrid_affinity(),
        "ipam": {"mode": "cluster-pool", "operator": {
            "clusterPoolIPv4MaskSize": 25,
            "clusterPoolIPv4PodCIDRList": ["10.200.0.0/16"],
        }},
        "loadBalancer": {"serviceTopology": true},
        "operator": {"affinity": hybrid_affinity(), "unmanagedPodWatcher": {"restart": false}},
        "envoy": {"enabled": false},
        "kubeProxyReplacement": "false",
    })
}

fn podnet() -> Command {
    let mut c = testkit::podnet::cmd();
    c.env_remove("AWS_ENDPOINT_URL");
    c
}

struct Run {
    code: i32,
    report: Value,
    stderr: String,
}

fn validate_with(values: &Value, flags: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("values.yaml");
    std::fs::write(&path, serde_json::to_string(values).unwrap()).unwrap();
    let out = podnet()
        .args(["cilium", "validate", "-o", "json", "-f"])
        .arg(&path)
        .args(flags)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    Run {
        code: out.status.code().unwrap_or(-1),
        report: serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}")),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

fn ids(r: &Run) -> Vec<String> {
    r.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

fn set(mut v: Value, pointer: &str, new: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let slot = if parent.is_empty() {
        &mut v
    } else {
        v.pointer_mut(parent).unwrap()
    };
    if new.is_null() {
        slot.as_object_mut().unwrap().remove(key);
    } else {
        slot[key] = new;
    }
    v
}

const POOL: &str = "/ipam/operator/clusterPoolIPv4PodCIDRList";

/// (finding ID, values that raise it, extra flags, values that do not, extra flags)
type Case = (
    &'static str,
    Value,
    Vec<&'static str>,
    Value,
    Vec<&'static str>,
);

fn cases() -> Vec<Case> {
    let g = good;
    vec![
        (
            "pod-cidr-invalid",
            set(g(), POOL, json!(["10.200.0.1/16"])),
            vec![],
            set(g(), POOL, json!(["10.200.0.0/16"])),
            vec![],
        ),
        (
            "pod-cidr-invalid",
            set(g(), POOL, json!([])),
            vec![],
            g(),
            vec![],
        ),
        (
            "pod-cidr-not-private",
            set(g(), POOL, json!(["8.8.0.0/16"])),
            vec![],
            set(g(), POOL, json!(["10.200.0.0/17"])),
            vec![],
        ),
        (
            "pod-cidr-not-private",
            set(g(), POOL, json!(["100.64.0.0/16"])),
            vec![],
            g(),
            vec![],
        ),
        (
            "pod-cidrs-overlap",
            set(g(), POOL, json!(["10.200.0.0/17", "10.200.64.0/18"])),
            vec![],
            set(g(), POOL, json!(["10.200.0.0/17", "10.200.128.0/17"])),
            vec![],
        ),
        (
            "pod-cidr-overlaps-vpc",
            set(g(), POOL, json!(["10.0.128.0/17"])),
            vec!["--remote-pod-network", "10.0.0.0/8"],
            set(g(), POOL, json!(["10.1.0.0/16"])),
            vec!["--remote-pod-network", "10.0.0.0/8"],
        ),
        (
            "pod-cidr-overlaps-service-cidr",
            set(g(), POOL, json!(["172.20.0.0/20"])),
            vec![],
            g(),
            vec![],
        ),
        (
            "pod-cidr-overlaps-remote-node-network",
            set(g(), POOL, json!(["10.80.0.0/20"])),
            vec![],
            set(g(), POOL, json!(["10.81.0.0/20"])),
            vec!["--remote-pod-network", "10.81.0.0/16"],
        ),
        (
            "pod-cidr-not-in-remote-pod-networks",
            set(g(), POOL, json!(["10.201.0.0/16"])),
            vec![],
            set(g(), POOL, json!(["10.200.128.0/17"])),
            vec![],
        ),
        (
            "remote-pod-network-not-in-pool",
            g(),
            vec!["--remote-pod-network", "10.202.0.0/16"],
            set(g(), POOL, json!(["10.200.0.0/16", "10.202.0.0/16"])),
            vec!["--remote-pod-network", "10.202.0.0/16"],
        ),
        (
            "mask-size-invalid",
            set(g(), "/ipam/operator/clusterPoolIPv4MaskSize", json!(30)),
            vec![],
            set(g(), "/ipam/operator/clusterPoolIPv4MaskSize", json!(29)),
            vec![],
        ),
        (
            "mask-size-invalid",
            set(g(), "/ipam/operator/clusterPoolIPv4MaskSize", json!("big")),
            vec![],
            set(g(), "/ipam/operator/clusterPoolIPv4MaskSize", json!("25")),
            vec![],
        ),
        (
            "mask-size-smaller-than-pool",
            set(g(), POOL, json!(["10.200.0.0/26"])),
            vec![],
            set(g(), POOL, json!(["10.200.0.0/25"])),
            vec![],
        ),
        (
            "pool-too-small",
            g(),
            vec!["--nodes", "513"],
            g(),
            vec!["--nodes", "512"],
        ),
        (
            "pool-nearly-full",
            g(),
            vec!["--nodes", "410"],
            g(),
            vec!["--nodes", "409"],
        ),
        (
            "ipam-mode-not-cluster-pool",
            set(g(), "/ipam/mode", json!("kubernetes")),
            vec![],
            set(g(), "/ipam/mode", json!("cluster-pool")),
            vec![],
        ),
        (
            "agent-hybrid-affinity-missing",
            set(g(), "/affinity", Value::Null),
            vec![],
            set(
                set(g(), "/affinity", Value::Null),
                "/nodeSelector",
                json!({"eks.amazonaws.com/compute-type": "hybrid"}),
            ),
            vec![],
        ),
        (
            "agent-hybrid-affinity-missing",
            set(
                g(),
                "/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchExpressions/0/operator",
                json!("NotIn"),
            ),
            vec![],
            g(),
            vec![],
        ),
        (
            "operator-hybrid-affinity-missing",
            set(g(), "/operator/affinity", Value::Null),
            vec![],
            set(
                set(g(), "/operator/affinity", Value::Null),
                "/operator/enabled",
                json!(false),
            ),
            vec![],
        ),
        (
            "ipv6-not-supported",
            set(g(), "/ipv6", json!({"enabled": true})),
            vec![],
            set(g(), "/ipv6", json!({"enabled": false})),
            vec![],
        ),
        (
            "ipv6-not-supported",
            set(g(), POOL, json!(["fd00::/104"])),
            vec![],
            g(),
            vec![],
        ),
        (
            "kube-proxy-replacement-needs-service-host",
            set(g(), "/kubeProxyReplacement", json!("true")),
            vec![],
            set(
                set(
                    set(g(), "/kubeProxyReplacement", json!("true")),
                    "/k8sServiceHost",
                    json!("ABC.gr7.us-west-2.eks.amazonaws.com"),
                ),
                "/k8sServicePort",
                json!(443),
            ),
            vec![],
        ),
        (
            "envoy-enabled",
            set(g(), "/envoy", json!({"enabled": true})),
            vec![],
            g(),
            vec![],
        ),
        (
            "envoy-enabled",
            set(g(), "/envoy", Value::Null),
            vec![],
            g(),
            vec![],
        ),
        (
            "unmanaged-pod-watcher-restart",
            set(g(), "/operator/unmanagedPodWatcher/restart", json!(true)),
            vec![],
            g(),
            vec![],
        ),
        (
            "values-unknown-key",
            set(g(), "/kubeProxyReplacment", json!("false")),
            vec![],
            set(g(), "/bgpControlPlane", json!({"enabled": true})),
            vec![],
        ),
        (
            "values-unknown-key",
            set(g(), "/ipam/operator/clusterPoolIPv4MaskSise", json!(24)),
            vec![],
            set(g(), "/operator/nodeSelector", json!({"any.label/x": "y"})),
            vec![],
        ),
        ("check-skipped", g(), vec!["--no-facts"], g(), vec![]),
    ]
}

#[test]
fn every_finding_id_is_raised_and_not_raised() {
    for (id, bad, bad_flags, ok, ok_flags) in cases() {
        let flags = |extra: &[&'static str]| -> Vec<&'static str> {
            if extra == ["--no-facts"] {
                return vec![];
            }
            let mut f: Vec<&str> = GOOD_FACTS.to_vec();
            f.extend_from_slice(extra);
            f
        };
        let r = validate_with(&bad, &flags(&bad_flags));
        assert!(
            ids(&r).iter().any(|i| i == id),
            "{id} not raised: {}\n{}",
            r.report,
            r.stderr
        );
        let r = validate_with(&ok, &flags(&ok_flags));
        assert!(
            !ids(&r).iter().any(|i| i == id),
            "{id} raised on the near miss: {}",
            r.report
        );
    }
}

#[test]
fn good_values_have_no_findings_and_exit_0() {
    let r = validate_with(&good(), GOOD_FACTS);
    assert_eq!(r.code, 0, "{}", r.report);
    assert_eq!(r.report["findings"], json!([]));
    assert_eq!(r.report["valid"], json!(true));
}

#[test]
fn report_matches_schema() {
    let r = validate_with(
        &set(good(), POOL, json!(["10.200.0.0/16", "8.8.8.0/24"])),
        GOOD_FACTS,
    );
    let v = &r.report;
    assert_eq!(v["schemaVersion"], json!(1));
    assert!(v["valid"].is_boolean());
    for k in ["errors", "warnings", "info"] {
        assert!(v["summary"][k].is_u64(), "summary.{k}");
    }
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    let mut last_sev = 3;
    for f in findings {
        let obj = f.as_object().unwrap();
        for k in obj.keys() {
            assert!(
                [
                    "id",
                    "severity",
                    "message",
                    "path",
                    "object",
                    "input",
                    "remediation",
                    "docs"
                ]
                .contains(&k.as_str()),
                "unexpected key {k}"
            );
        }
        let id = f["id"].as_str().unwrap();
        assert!(
            id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{id} is not kebab-case"
        );
        let sev = match f["severity"].as_str().unwrap() {
            "error" => 2,
            "warning" => 1,
            "info" => 0,
            s => panic!("bad severity {s}"),
        };
        assert!(sev <= last_sev, "findings not ordered by severity");
        last_sev = sev;
        assert!(!f["message"].as_str().unwrap().is_empty());
    }
    let errors = findings.iter().filter(|f| f["severity"] == "error").count();
    assert_eq!(v["summary"]["errors"], json!(errors));
    assert_eq!(v["valid"], json!(errors == 0));
    // Finding paths name the exact list entry.
    assert!(
        findings
            .iter()
            .any(|f| f["path"] == "ipam.operator.clusterPoolIPv4PodCIDRList[1]")
    );
}

#[test]
fn seed_example_is_caught_with_eks_default_service_cidr() {
    // AWS's guide uses 10.100.0.0/24 as POD_CIDR; EKS's default service CIDR is 10.100.0.0/16.
    let seed = set(good(), POOL, json!(["10.100.0.0/24"]));
    let r = validate_with(&seed, &["--service-cidr", "10.100.0.0/16"]);
    assert!(ids(&r).contains(&"pod-cidr-overlaps-service-cidr".to_string()));
    assert_eq!(r.code, 1);
    // Derived from a VPC outside 10/8: EKS would pick 10.100.0.0/16 too.
    let r = validate_with(&seed, &["--vpc-cidr", "192.168.0.0/16"]);
    let f = &r.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "pod-cidr-overlaps-service-cidr")
        .cloned()
        .unwrap();
    assert_eq!(f["severity"], "error");
    assert!(f["message"].as_str().unwrap().contains("10.100.0.0/16"));
    // With no facts at all it is still flagged, as a warning.
    let r = validate_with(&seed, &[]);
    let f = r.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "pod-cidr-overlaps-service-cidr")
        .cloned()
        .unwrap();
    assert_eq!(f["severity"], "warning");
}

#[test]
fn exit_codes_follow_fail_on() {
    let warn_only = set(good(), "/operator/unmanagedPodWatcher/restart", json!(true));
    assert_eq!(validate_with(&warn_only, GOOD_FACTS).code, 0);
    let mut flags = GOOD_FACTS.to_vec();
    flags.extend(["--fail-on", "warning"]);
    assert_eq!(validate_with(&warn_only, &flags).code, 1);
    let bad = set(good(), "/ipam/mode", json!("kubernetes"));
    assert_eq!(validate_with(&bad, GOOD_FACTS).code, 1);
    let mut flags = GOOD_FACTS.to_vec();
    flags.extend(["--fail-on", "none"]);
    assert_eq!(validate_with(&bad, &flags).code, 0);
    let mut flags = GOOD_FACTS.to_vec();
    flags.extend(["--fail-on", "info"]);
    assert_eq!(
        validate_with(&set(good(), "/envoy", json!({"enabled": true})), &flags).code,
        1
    );
}

fn write_tmp(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    (dir, p)
}

fn validate_file_err(bytes: &[u8]) -> String {
    let (_d, p) = write_tmp("bad.yaml", bytes);
    let out = podnet()
        .args(["cilium", "validate", "-f"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty(), "nothing on stdout for a bad file");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("bad.yaml"), "error names the file: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn bad_files_get_located_errors_and_exit_2() {
    let e = validate_file_err(b"ipam:\n  mode: [cluster-pool\n");
    assert!(e.contains("bad.yaml:2:"), "{e}");
    let e = validate_file_err(b"ipam:\n  operator:\n    clusterPoolIPv4PodCIDRList: 10.0.0.0/8\n");
    assert!(e.contains("bad.yaml:3:") && e.contains("wrong type"), "{e}");
    let e = validate_file_err(b"");
    assert!(e.contains("empty"), "{e}");
    let e = validate_file_err(b"\x7fELF\x02\x01\x01\x00\x00\x00");
    assert!(e.contains("binary"), "{e}");
    let e = validate_file_err(b"- just\n- a list\n");
    assert!(e.contains("mapping"), "{e}");
    let e = validate_file_err(b"a: 1\na: 2\n");
    assert!(e.contains("bad.yaml:2:1") && e.contains("duplicate"), "{e}");
    let mut big = b"a: ".to_vec();
    big.resize(50 * 1000 * 1000, b'x');
    let e = validate_file_err(&big);
    assert!(e.contains("50.0 MB"), "{e}");
}

#[test]
fn usage_errors_exit_2() {
    let out = podnet().args(["cilium", "validate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = podnet()
        .args(["cilium", "values", "--pod-cidr", "10.0.0.1/8"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("host bits"));
    let out = podnet()
        .args(["cilium", "validate", "-f", "/nonexistent/values.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/values.yaml"));
    let out = podnet()
        .args([
            "cilium",
            "values",
            "--pod-cidr",
            "10.200.0.0/16",
            "--cilium-version",
            "1.9",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--cilium-version"));
    let out = podnet()
        .args([
            "cilium",
            "values",
            "--pod-cidr",
            "10.200.0.0/16",
            "--kube-proxy-replacement",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--k8s-service-host"));
    let out = podnet().args(["cilium", "values"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "no pod CIDR at all is a usage error"
    );
    let out = podnet().args(["--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

const PLAN: &[&str] = &[
    "cilium",
    "values",
    "--cilium-version",
    "1.17",
    "--pod-cidr",
    "10.200.0.0/16",
    "--remote-pod-network",
    "10.200.0.0/16",
    "--remote-node-network",
    "10.80.0.0/16",
    "--vpc-cidr",
    "10.0.0.0/16",
    "--nodes",
    "40",
];

#[test]
fn generated_values_snapshot_and_round_trip() {
    let out = podnet().args(PLAN).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!("values_hybrid_1_17", text);
    // What values generates, validate accepts, with the same facts.
    let (_d, p) = write_tmp("gen.yaml", text.as_bytes());
    let out = podnet()
        .args(["cilium", "validate", "-o", "json", "--nodes", "40", "-f"])
        .arg(&p)
        .args(&PLAN[2..4])
        .args(&PLAN[6..12])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"], json!([]), "{v}");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn values_kube_proxy_replacement_bgp_and_pods_per_node() {
    let out = podnet()
        .args([
            "cilium",
            "values",
            "-o",
            "json",
            "--pod-cidr",
            "10.200.0.0/16",
            "--pods-per-node",
            "200",
            "--kube-proxy-replacement",
            "--k8s-service-host",
            "ABC.gr7.us-west-2.eks.amazonaws.com",
            "--k8s-service-port",
            "443",
            "--bgp",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kubeProxyReplacement"], "true");
    assert_eq!(v["k8sServiceHost"], "ABC.gr7.us-west-2.eks.amazonaws.com");
    assert_eq!(v["k8sServicePort"], 443);
    assert_eq!(v["bgpControlPlane"]["enabled"], true);
    // 200 pods need 204 addresses: a /24 (252 pods); a /25 holds only 124.
    assert_eq!(v["ipam"]["operator"]["clusterPoolIPv4MaskSize"], 24);
}

#[test]
fn values_refuses_invalid_unless_forced() {
    let args = [
        "cilium",
        "values",
        "--pod-cidr",
        "10.0.0.0/16",
        "--vpc-cidr",
        "10.0.0.0/16",
    ];
    let out = podnet().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "invalid values are not printed");
    assert!(String::from_utf8_lossy(&out.stderr).contains("pod-cidr-overlaps-vpc"));
    let out = podnet().args(args).arg("--force").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("10.0.0.0/16"));
}

#[test]
fn values_merges_user_file_and_rejects_contradictions() {
    let (_d, p) = write_tmp(
        "mine.yaml",
        b"hubble:\n  relay:\n    enabled: true\nipam:\n  mode: cluster-pool\n",
    );
    let out = podnet()
        .args([
            "cilium",
            "values",
            "-o",
            "json",
            "--pod-cidr",
            "10.200.0.0/16",
            "-f",
        ])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["hubble"]["relay"]["enabled"], true, "user keys kept");
    let (_d, p) = write_tmp(
        "mine.yaml",
        b"ipam:\n  operator:\n    clusterPoolIPv4PodCIDRList: [10.9.0.0/16]\n",
    );
    let out = podnet()
        .args(["cilium", "values", "--pod-cidr", "10.200.0.0/16", "-f"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mine.yaml") && err.contains("clusterPoolIPv4PodCIDRList"),
        "{err}"
    );
    let (_d, p) = write_tmp("mine.yaml", b"affinity:\n  nodeAffinity: {}\n");
    let out = podnet()
        .args(["cilium", "values", "--pod-cidr", "10.200.0.0/16", "-f"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("affinity"));
}

#[test]
fn values_output_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out.yaml");
    let out = podnet()
        .args(PLAN)
        .arg("--output-file")
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.starts_with("# Cilium 1.17 values"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left behind"
    );
}

#[test]
fn pipes_values_into_validate_via_stdin() {
    let out = podnet().args(PLAN).output().unwrap();
    let out = podnet()
        .args(["cilium", "validate", "-f", "-", "-o", "json"])
        .args(&PLAN[2..4])
        .args(&PLAN[6..12])
        .write_stdin(out.stdout)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
}

#[test]
fn validate_report_snapshot() {
    let seed = set(good(), POOL, json!(["10.100.0.0/24", "10.100.0.0/25"]));
    let r = validate_with(
        &seed,
        &[
            "--vpc-cidr",
            "192.168.0.0/16",
            "--remote-node-network",
            "192.168.100.0/24",
            "--nodes",
            "3",
        ],
    );
    // Sorted keys: the snapshot must not depend on serde_json's map ordering feature.
    insta::with_settings!({sort_maps => true}, {
        insta::assert_json_snapshot!("validate_seed_report", r.report);
    });
}

#[test]
fn version_and_completion() {
    let out = podnet().args(["version", "-o", "json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(semver::Version::parse(v["version"].as_str().unwrap()).is_ok());
    assert!(v["gitCommit"].as_str().is_some_and(|c| !c.is_empty()));
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = podnet().args(["completion", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("validate"),
            "{shell}"
        );
    }
}

#[test]
fn works_as_a_kubectl_plugin() {
    let bin = assert_cmd::cargo::cargo_bin("kubectl-podnet");
    let dir = bin.parent().unwrap();
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("kubectl")
        .args(["podnet", "--help"])
        .env("PATH", &path)
        .output()
        .expect("kubectl must be on PATH for this test");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Usage: kubectl podnet"), "{text}");
    let out = std::process::Command::new("kubectl")
        .args(["plugin", "list"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("kubectl-podnet"));
}
