//! `kubectl podnet audit` and subnets as `aws ec2 describe-subnets` prints them: every check is
//! raised by one cluster and passed by a near twin.
//!
//! Backend: the REAL API server (`RealCluster::bare()`: etcd + kube-apiserver of
//! `tests/cluster.sh up --bare`) for every scenario: each object is created through the API (so
//! it is validated and defaulted as on EKS), pods' status (phase, podIP) is written through the
//! status subresource, and nothing changes them afterwards (no controller or kubelet runs). One
//! cluster serves a test's scenarios in turn (`BareCluster::load`). kubesim only where a real server
//! cannot be made to fail on demand: `kubesim_faults_are_retried_or_end_in_a_clear_error`
//! (500s, throttling, dropped connections).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use testkit::cluster::{BareCluster, kubesim_with_objects};
use testkit::fixtures::{
    LINUX_ROLE, aws_node, config_map, eniconfig, node, pod, subnet, tutorial_objects,
    tutorial_subnets,
};
use testkit::podnet as cli;

/// A small EKS cluster after AWS's custom networking tutorial: two zones, ENIConfigs named by
/// zone, ENI_CONFIG_LABEL_DEF set, nodes recycled (pods in the ENIConfig subnets), max pods lowered.
#[derive(Clone)]
struct World {
    objects: Vec<Value>,
    subnets: Vec<Value>,
    extra_flags: Vec<String>,
}

fn tutorial() -> World {
    World {
        objects: tutorial_objects(),
        subnets: tutorial_subnets(),
        extra_flags: vec![],
    }
}

impl World {
    fn with(mut self, f: impl FnOnce(&mut Vec<Value>)) -> Self {
        f(&mut self.objects);
        self
    }

    fn replace(self, kind: &str, name: &str, new: Value) -> Self {
        self.with(|objs| {
            let i = objs
                .iter()
                .position(|o| o["kind"] == kind && o["metadata"]["name"] == name)
                .unwrap_or_else(|| panic!("no {kind}/{name}"));
            if new.is_null() {
                objs.remove(i);
            } else {
                objs[i] = new;
            }
        })
    }

    fn subnets(mut self, f: impl FnOnce(&mut Vec<Value>)) -> Self {
        f(&mut self.subnets);
        self
    }

    fn flags(mut self, flags: &[&str]) -> Self {
        self.extra_flags.extend(flags.iter().map(|s| s.to_string()));
        self
    }

    /// The subnets file (in the returned dir).
    fn subnets_file(&self) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let subnets = dir.path().join("subnets.json");
        std::fs::write(&subnets, json!({"Subnets": self.subnets}).to_string()).unwrap();
        (dir, subnets)
    }

    /// A bare real cluster with the objects, and the subnets file (in the returned dir).
    fn start(&self) -> (BareCluster, tempfile::TempDir, PathBuf) {
        let mut real = BareCluster::up();
        real.load(&self.objects);
        let (dir, subnets) = self.subnets_file();
        (real, dir, subnets)
    }

    /// Loads the objects into `real`, runs the audit (-o json), returns (exit code, report).
    fn audit_on(&self, real: &mut BareCluster) -> (i32, Value) {
        real.load(&self.objects);
        let (_dir, subnets) = self.subnets_file();
        run_audit(real.kubeconfig(), &subnets, &self.extra_flags)
    }

    /// [`World::audit_on`] a new bare cluster.
    fn audit(&self) -> (i32, Value) {
        self.audit_on(&mut BareCluster::up())
    }
}

fn run_audit(kubeconfig: &Path, subnets: &Path, extra: &[String]) -> (i32, Value) {
    let out = cli::on(kubeconfig)
        .args(["audit", "-o", "json", "--subnets"])
        .arg(subnets)
        .args(extra)
        .output()
        .unwrap();
    cli::code_and_json(&out)
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("check {id} missing"))
}

fn status(report: &Value, id: &str) -> String {
    check(report, id)["status"].as_str().unwrap().to_string()
}

#[test]
fn tutorial_cluster_passes_every_check() {
    let (code, r) = tutorial()
        .flags(&["--remote-pod-network", "192.168.64.0/18"])
        .audit();
    let failed: Vec<&Value> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] != "pass")
        .collect();
    assert!(
        failed.is_empty(),
        "{}",
        serde_json::to_string_pretty(&failed).unwrap()
    );
    assert_eq!(code, 0);
    assert_eq!(r["schemaVersion"], 1);
    assert_eq!(r["cluster"]["cni"]["version"], "v1.19.2-eksbuild.1");
    assert_eq!(r["cluster"]["cni"]["customNetworking"], true);
    assert_eq!(r["cluster"]["eniConfigs"].as_array().unwrap().len(), 2);
    assert_eq!(r["cluster"]["podsSeen"], 2);
    assert_eq!(r["summary"]["pass"], 21);
}

#[test]
fn tutorial_with_one_node_group_not_recycled() {
    // The tutorial's own failure: a node created before the switch keeps its pods in its subnet.
    let w = tutorial().with(|o| {
        o.push(node(
            "ip-192-168-1-20",
            "us-west-2a",
            "192.168.1.20",
            "m5.large",
            "linux",
            29,
        ));
        o.push(pod("apps", "old-1", "ip-192-168-1-20", "192.168.1.33"));
        o.push(pod("apps", "old-2", "ip-192-168-1-20", "192.168.1.34"));
    });
    let (code, r) = w.audit();
    assert_eq!(code, 1);
    let failed: Vec<&str> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        ["node-needs-replacement", "max-pods-exceeds-capacity"],
        "{r}"
    );
    assert_eq!(
        check(&r, "node-needs-replacement")["objects"],
        json!(["node/ip-192-168-1-20 (2 pod(s) in the node's own subnet)"])
    );
    assert_eq!(
        check(&r, "max-pods-exceeds-capacity")["objects"],
        json!(["node/ip-192-168-1-20 (m5.large: capacity 29 pods, VPC CNI allows 20)"])
    );
}

/// (check ID, cluster that raises it, near twin that passes it)
fn cases() -> Vec<(&'static str, World, World)> {
    let t = tutorial;
    let env_plus = |extra: &[(&str, &str)]| {
        let mut env = vec![
            ("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "true"),
            ("ENI_CONFIG_LABEL_DEF", "topology.kubernetes.io/zone"),
        ];
        env.extend_from_slice(extra);
        aws_node(&env)
    };
    let windows_node = || {
        let mut n = node(
            "win-1",
            "us-west-2a",
            "192.168.0.50",
            "m5.large",
            "linux",
            20,
        );
        n["metadata"]["labels"]["kubernetes.io/os"] = json!("windows");
        n
    };
    let hybrid_node = || {
        let mut n = node("mi-0abc", "onprem", "10.80.0.10", "", "linux", 110);
        n["metadata"]["labels"]["eks.amazonaws.com/compute-type"] = json!("hybrid");
        n
    };
    vec![
        ("custom-networking-disabled", t().replace("DaemonSet", "aws-node", aws_node(&[("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "false")])), t()),
        ("cni-version-too-old",
            t().with(|o| { let i = o.iter().position(|x| x["kind"] == "DaemonSet").unwrap(); o[i]["spec"]["template"]["spec"]["containers"][0]["image"] = json!("x/amazon-k8s-cni:v1.6.3-eksbuild.1"); }),
            t().with(|o| { let i = o.iter().position(|x| x["kind"] == "DaemonSet").unwrap(); o[i]["spec"]["template"]["spec"]["containers"][0]["image"] = json!("x/amazon-k8s-cni:v1.6.3-eksbuild.2"); })),
        ("ipv6-with-custom-networking", t().replace("DaemonSet", "aws-node", env_plus(&[("ENABLE_IPv6", "true")])), t().replace("DaemonSet", "aws-node", env_plus(&[("ENABLE_IPv6", "false")]))),
        ("eniconfig-missing-for-node", t().replace("ENIConfig", "us-west-2b", Value::Null), t()),
        ("eniconfig-default-fallback",
            t().replace("DaemonSet", "aws-node", aws_node(&[("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "true")])).with(|o| o.push(eniconfig("default", "subnet-pod-a", &["sg-1"]))),
            t().with(|o| o.push(eniconfig("default", "subnet-pod-a", &["sg-1"])))),
        ("eniconfig-subnet-not-found", t().replace("ENIConfig", "us-west-2b", eniconfig("us-west-2b", "subnet-gone", &["sg-1"])), t()),
        ("eniconfig-subnet-wrong-az", t().replace("ENIConfig", "us-west-2b", eniconfig("us-west-2b", "subnet-pod-a", &["sg-1"])), t()),
        ("eniconfig-subnet-wrong-vpc", t().subnets(|s| s[3] = subnet("subnet-pod-b", "100.65.0.0/16", "us-west-2b", "vpc-other", 65000)), t()),
        ("eniconfig-no-security-groups", t().replace("ENIConfig", "us-west-2b", eniconfig("us-west-2b", "subnet-pod-b", &[])), t()),
        ("eniconfig-unused", t().with(|o| o.push(eniconfig("us-west-2c", "subnet-pod-a", &["sg-1"]))), t()),
        ("pod-ip-outside-eniconfig-subnet", t().with(|o| o.push(pod("apps", "stray", "ip-192-168-0-10", "100.65.3.3"))), t().with(|o| o.push(pod("apps", "fine", "ip-192-168-0-10", "100.64.3.3")))),
        ("node-needs-replacement", t().with(|o| o.push(pod("apps", "old", "ip-192-168-0-10", "192.168.0.77"))), t().with(|o| { let mut p = pod("kube-system", "kube-proxy-x", "ip-192-168-0-10", "192.168.0.10"); p["spec"]["hostNetwork"] = json!(true); o.push(p); })),
        ("max-pods-exceeds-capacity", t().replace("Node", "ip-192-168-0-10", node("ip-192-168-0-10", "us-west-2a", "192.168.0.10", "m5.large", "linux", 21)), t()),
        ("subnet-ip-exhaustion", t().subnets(|s| s[2] = subnet("subnet-pod-a", "100.64.0.0/16", "us-west-2a", "vpc-1", 18)), t().subnets(|s| s[2] = subnet("subnet-pod-a", "100.64.0.0/16", "us-west-2a", "vpc-1", 24))),
        ("security-groups-for-pods-override", t().replace("DaemonSet", "aws-node", env_plus(&[("ENABLE_POD_ENI", "true")])), t()),
        ("external-snat-required", t().replace("DaemonSet", "aws-node", env_plus(&[("AWS_VPC_K8S_CNI_EXTERNALSNAT", "true")])), t()),
        ("windows-ipam-disabled", t().with(|o| o.push(windows_node())), t().with(|o| o.push(windows_node())).replace("ConfigMap", "amazon-vpc-cni", config_map("amazon-vpc-cni", json!({"enable-windows-ipam": "true"})))),
        ("aws-auth-windows-role-missing-groups",
            t().with(|o| o.push(windows_node())),
            t().with(|o| o.push(windows_node())).replace("ConfigMap", "aws-auth", config_map("aws-auth", json!({"mapRoles": format!("{LINUX_ROLE}- rolearn: arn:aws:iam::111122223333:role/eks-windows-nodes\n  groups:\n  - eks:kube-proxy-windows\n  - system:bootstrappers\n  - system:nodes\n")})))),
        ("aws-auth-shared-node-role",
            t().with(|o| o.push(windows_node())).replace("ConfigMap", "aws-auth", config_map("aws-auth", json!({"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/eks-nodes\n  groups:\n  - eks:kube-proxy-windows\n  - system:bootstrappers\n  - system:nodes\n"}))),
            t().with(|o| o.push(windows_node())).replace("ConfigMap", "aws-auth", config_map("aws-auth", json!({"mapRoles": format!("{LINUX_ROLE}- rolearn: arn:aws:iam::111122223333:role/eks-windows-nodes\n  groups:\n  - eks:kube-proxy-windows\n  - system:bootstrappers\n  - system:nodes\n")})))),
        ("hybrid-node-runs-aws-node",
            t().with(|o| { o.push(hybrid_node()); let mut p = pod("kube-system", "aws-node-h1", "mi-0abc", "10.80.0.10"); p["metadata"]["labels"] = json!({"k8s-app": "aws-node"}); p["spec"]["hostNetwork"] = json!(true); o.push(p); }),
            t().with(|o| o.push(hybrid_node()))),
        ("hybrid-pod-ip-outside-remote-pod-networks",
            t().with(|o| { o.push(hybrid_node()); o.push(pod("apps", "h1", "mi-0abc", "10.99.0.4")); }).flags(&["--remote-pod-network", "192.168.64.0/18"]),
            t().with(|o| { o.push(hybrid_node()); o.push(pod("apps", "h1", "mi-0abc", "192.168.64.4")); }).flags(&["--remote-pod-network", "192.168.64.0/18"])),
    ]
}

#[test]
fn every_check_is_raised_and_passed() {
    let cases = cases();
    let ids: Vec<&str> = cases.iter().map(|c| c.0).collect();
    for (id, _) in podnet::audit::checks::CHECKS {
        assert!(ids.contains(id), "no scenario for {id}");
    }
    let mut real = BareCluster::up();
    for (id, bad, good) in cases {
        let (_, r) = bad.audit_on(&mut real);
        assert_eq!(status(&r, id), "fail", "{id} not raised: {}", check(&r, id));
        assert!(
            check(&r, id)["objects"]
                .as_array()
                .is_some_and(|o| !o.is_empty()),
            "{id} names no objects"
        );
        let (_, r) = good.audit_on(&mut real);
        assert_eq!(
            status(&r, id),
            "pass",
            "{id} raised on the twin: {}",
            check(&r, id)
        );
    }
}

#[test]
fn missing_data_is_skipped_never_passed() {
    // No subnets at all: subnet-dependent checks are skipped with the reason.
    let mut real = BareCluster::up();
    real.load(&tutorial().objects);
    let out = cli::on(real.kubeconfig())
        .args(["audit", "-o", "json"])
        .output()
        .unwrap();
    let r = cli::json(&out);
    for id in [
        "eniconfig-subnet-not-found",
        "pod-ip-outside-eniconfig-subnet",
        "node-needs-replacement",
        "subnet-ip-exhaustion",
    ] {
        assert_eq!(status(&r, id), "skipped", "{id}");
        assert!(
            check(&r, id)["message"]
                .as_str()
                .unwrap()
                .contains("--subnets"),
            "{id}"
        );
    }
    // No aws-node at all: the CNI checks are skipped, not passed.
    let (_, r) = tutorial()
        .replace("DaemonSet", "aws-node", Value::Null)
        .audit_on(&mut real);
    for id in [
        "custom-networking-disabled",
        "cni-version-too-old",
        "eniconfig-missing-for-node",
    ] {
        assert_eq!(status(&r, id), "skipped", "{id}");
    }
}

#[test]
fn output_formats_and_selection() {
    let w = tutorial().with(|o| o.push(pod("apps", "old", "ip-192-168-0-10", "192.168.0.77")));
    let (real, _dir, subnets) = w.start();
    let run = |args: &[&str]| {
        cli::on(real.kubeconfig())
            .arg("audit")
            .arg("--subnets")
            .arg(&subnets)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("Audit: 21 checks: 20 passed, 1 failed (1 error"),
        "{text}"
    );
    assert!(
        text.contains("node-needs-replacement") && text.contains("fix: cordon"),
        "{text}"
    );
    let out = run(&["-o", "sarif"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(
        v["runs"][0]["results"][0]["ruleId"],
        "node-needs-replacement"
    );
    assert_eq!(v["runs"][0]["results"][0]["level"], "error");
    let out = run(&["-o", "junit"]);
    let x = String::from_utf8_lossy(&out.stdout);
    assert!(
        x.contains("<testsuite name=\"audit\" tests=\"21\" failures=\"1\" skipped=\"0\">"),
        "{x}"
    );
    assert!(x.contains("<failure type=\"error\""), "{x}");
    let out = run(&["--skip", "node-needs-replacement"]);
    assert_eq!(out.status.code(), Some(0));
    let out = run(&[
        "-o",
        "json",
        "--check",
        "eniconfig-unused",
        "--check",
        "cni-version-too-old",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["checks"].as_array().unwrap().len(), 2);
    let out = run(&["--check", "no-such-check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown check"));
    let out = run(&["--fail-on", "none"]);
    assert_eq!(out.status.code(), Some(0));
    // -n narrows pods: the stray pod is in `apps`, so kube-system alone passes.
    let out = run(&["-n", "kube-system"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn kubesim_faults_are_retried_or_end_in_a_clear_error() {
    // kubesim: a real server cannot be made to fail, throttle or drop connections on demand.
    let w = tutorial();
    let sim = kubesim_with_objects(&w.objects);
    let (dir, subnets) = w.subnets_file();
    let audit = || {
        cli::on(sim.kubeconfig())
            .args(["audit", "-o", "json", "--subnets"])
            .arg(&subnets)
            .output()
            .unwrap()
    };
    // Transient faults on the pod list are retried: the result is the same as without them.
    for fault in [
        "error:500:2x:GET:/api/v1/pods",
        "throttle:2x:0:GET:/api/v1/pods",
        "drop:2x:GET:/api/v1/pods",
        "error:503:1x:GET:/api/v1/nodes",
    ] {
        sim.set_faults(&[fault]).unwrap();
        let out = audit();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{fault}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["cluster"]["podsSeen"], 2, "{fault}");
        assert_eq!(v["summary"]["pass"], 21, "{fault}");
    }
    // A server that always answers 500 on pod lists: exit 2 naming the request, never a pass.
    sim.set_faults(&["error:500:1:GET:/api/v1/pods"]).unwrap();
    let out = cli::on(sim.kubeconfig())
        .arg("audit")
        .arg("--subnets")
        .arg(&subnets)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("list pods") && e.contains("500") && e.contains("attempts"),
        "{e}"
    );
    assert!(out.stdout.is_empty());
    // Unreachable API server.
    sim.set_faults(&[]).unwrap();
    let kc = std::fs::read_to_string(sim.kubeconfig()).unwrap();
    let dead = kc.replace(sim.url(), &testkit::ports::dead_url());
    let dead_path = dir.path().join("dead.kubeconfig");
    std::fs::write(&dead_path, dead).unwrap();
    let out = cli::on(&dead_path).arg("audit").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `--cluster`: the VPC, its subnets and an ENIConfig subnet in another VPC come from EC2
/// DescribeSubnets on a real moto server; the cluster from EKS DescribeCluster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_reads_subnets_from_ec2_and_eks() {
    let m = testkit::moto::Moto::start();
    let conf = m.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let vpc = ec2
        .create_vpc()
        .cidr_block("192.168.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    ec2.associate_vpc_cidr_block()
        .vpc_id(&vpc)
        .cidr_block("100.64.0.0/16")
        .send()
        .await
        .unwrap();
    let other = ec2
        .create_vpc()
        .cidr_block("172.31.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let mk = |vpc: String, cidr: &'static str, az: &'static str| {
        let ec2 = ec2.clone();
        async move {
            ec2.create_subnet()
                .vpc_id(vpc)
                .cidr_block(cidr)
                .availability_zone(az)
                .send()
                .await
                .unwrap()
                .subnet()
                .unwrap()
                .subnet_id()
                .unwrap()
                .to_string()
        }
    };
    let node_a = mk(vpc.clone(), "192.168.0.0/19", "us-west-2a").await;
    let _node_b = mk(vpc.clone(), "192.168.32.0/19", "us-west-2b").await;
    let pod_a = mk(vpc.clone(), "100.64.0.0/17", "us-west-2a").await;
    let pod_b = mk(vpc.clone(), "100.64.128.0/17", "us-west-2b").await;
    let foreign = mk(other, "172.31.0.0/20", "us-west-2b").await;
    let eks = aws_sdk_eks::Client::new(&conf);
    eks.create_cluster()
        .name("prod")
        .role_arn("arn:aws:iam::123456789012:role/eks")
        .resources_vpc_config(
            aws_sdk_eks::types::VpcConfigRequest::builder()
                .subnet_ids(&node_a)
                .build(),
        )
        .send()
        .await
        .unwrap();

    // us-west-2b's ENIConfig points at a subnet of another VPC; a node in 2a predates the switch.
    let w = tutorial()
        .replace(
            "ENIConfig",
            "us-west-2a",
            eniconfig("us-west-2a", &pod_a, &["sg-1"]),
        )
        .replace(
            "ENIConfig",
            "us-west-2b",
            eniconfig("us-west-2b", &foreign, &["sg-1"]),
        )
        .with(|o| o.push(pod("apps", "old", "ip-192-168-0-10", "192.168.0.99")));
    let _ = pod_b;
    let mut real = BareCluster::up();
    real.load(&w.objects);
    let out = cli::on(real.kubeconfig())
        .envs(m.env())
        .args(["audit", "-o", "json", "--cluster", "prod"])
        .output()
        .unwrap();
    let (code, r) = cli::code_and_json(&out);
    assert_eq!(code, 1);
    assert_eq!(r["cluster"]["vpcId"], json!(vpc));
    assert_eq!(r["cluster"]["awsFacts"], "cluster");
    assert_eq!(status(&r, "eniconfig-subnet-wrong-vpc"), "fail");
    assert!(
        check(&r, "eniconfig-subnet-wrong-vpc")["objects"][0]
            .as_str()
            .unwrap()
            .contains(&foreign)
    );
    assert_eq!(status(&r, "eniconfig-subnet-not-found"), "pass");
    assert_eq!(status(&r, "node-needs-replacement"), "fail");
    assert_eq!(
        check(&r, "node-needs-replacement")["objects"],
        json!(["node/ip-192-168-0-10 (1 pod(s) in the node's own subnet)"])
    );
    // web-b sits in 100.65.0.5 while its node's ENIConfig subnet is 172.31.0.0/20.
    assert_eq!(status(&r, "pod-ip-outside-eniconfig-subnet"), "fail");
}

#[test]
fn tutorial_report_golden() {
    // The tutorial cluster with one node group not recycled: the whole JSON report, golden.
    let w = tutorial().with(|o| {
        o.push(node(
            "ip-192-168-1-20",
            "us-west-2a",
            "192.168.1.20",
            "m5.large",
            "linux",
            29,
        ));
        o.push(pod("apps", "old-1", "ip-192-168-1-20", "192.168.1.33"));
    });
    let (_, r) = w.audit();
    insta::with_settings!({sort_maps => true}, {
        insta::assert_json_snapshot!("audit_tutorial_not_recycled", r);
    });
}
