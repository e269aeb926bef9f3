//! `max-pods`: AWS's known figures through the binary, and the embedded ENI table checked type
//! by type against EC2 DescribeInstanceTypes served by a real moto server.

use serde_json::Value;
use testkit::moto;
use testkit::podnet::{cmd as podnet, expect_code};

fn json(args: &[&str]) -> Value {
    let out = podnet()
        .args(["max-pods", "-o", "json"])
        .args(args)
        .output()
        .unwrap();
    expect_code(&out, 0);
    testkit::podnet::json(&out)
}

#[test]
fn known_values_from_aws_calculator() {
    for (t, plain, custom) in [
        ("t3.medium", 17, 12),
        ("m5.large", 29, 20),
        ("m5.xlarge", 58, 44),
        ("c5.4xlarge", 234, 205),
        ("m5.24xlarge", 737, 688),
    ] {
        assert_eq!(json(&["--instance-type", t])["maxPods"], plain, "{t}");
        assert_eq!(
            json(&["--instance-type", t, "--custom-networking"])["maxPods"],
            custom,
            "{t}"
        );
    }
    assert_eq!(
        json(&["--instance-type", "m5.large", "--prefix-delegation"])["maxPods"],
        110
    );
    assert_eq!(
        json(&[
            "--instance-type",
            "m5.24xlarge",
            "--prefix-delegation",
            "--cni-version",
            "1.9.0"
        ])["maxPods"],
        250
    );
    assert_eq!(
        json(&["--instance-type", "m5.24xlarge", "--max-pods-cap", "100"])["maxPods"],
        100
    );
    let table = podnet()
        .args(["max-pods", "--instance-type", "m5.large"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("3 ENIs × 10 IPv4") && text.contains("(3 − 1) × (10 − 1) + 2"),
        "{text}"
    );
}

#[test]
fn errors_are_clear() {
    let out = podnet()
        .args(["max-pods", "--instance-type", "m5.hyperlarge"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("unknown instance type") && e.contains("m5.large"),
        "{e}"
    );
    let out = podnet()
        .args([
            "max-pods",
            "--instance-type",
            "m5.large",
            "--prefix-delegation",
            "--cni-version",
            "1.8.0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1.9.0"));
    let out = podnet()
        .args([
            "max-pods",
            "--instance-type",
            "t2.micro",
            "--prefix-delegation",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Nitro"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_table_matches_describe_instance_types() {
    let m = moto::Moto::start();
    for (k, v) in m.env() {
        // SAFETY: set before any other thread of this test reads the environment.
        unsafe { std::env::set_var(k, v) };
    }
    let table = include_str!("../src/audit/eni_limits.tsv");
    let types: Vec<&str> = table
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert!(types.len() > 1000);
    // Every fourth type: a few hundred, spread over all families.
    let mut checked = 0;
    for t in types.iter().step_by(4) {
        let live = podnet::aws::instance_limits("us-east-1", None, t)
            .await
            .unwrap();
        let embedded = podnet::audit::maxpods::lookup(t).unwrap();
        assert_eq!(live, embedded, "{t}");
        checked += 1;
    }
    assert!(checked > 300, "{checked}");
    // Through the binary too.
    let out = podnet()
        .envs(m.env())
        .args([
            "max-pods",
            "-o",
            "json",
            "--instance-type",
            "c5.4xlarge",
            "--region",
            "us-east-1",
            "--custom-networking",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["source"], "ec2:DescribeInstanceTypes");
    assert_eq!(v["maxPods"], 205);
    let out = podnet()
        .envs(m.env())
        .args([
            "max-pods",
            "--instance-type",
            "zz9.huge",
            "--region",
            "us-east-1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("zz9.huge"));
}
