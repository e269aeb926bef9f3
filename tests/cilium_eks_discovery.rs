//! `cilium values --cluster` and `cilium validate --cluster` against a real moto server:
//! clusters with remote networks are created through the EKS and EC2 APIs, then read back.

use assert_cmd::Command;
use aws_sdk_eks::types::{
    KubernetesNetworkConfigRequest, RemoteNetworkConfigRequest, RemoteNodeNetwork,
    RemotePodNetwork, VpcConfigRequest,
};
use serde_json::Value;
use testkit::moto::Moto;

struct World {
    moto: Moto,
}

/// A VPC with two CIDR blocks, a subnet, and clusters: `hybrid` (remote networks), `plain`
/// (none), `v6` (IPv6 family).
async fn world() -> World {
    let moto = Moto::start();
    let conf = moto.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    ec2.associate_vpc_cidr_block()
        .vpc_id(&vpc_id)
        .cidr_block("10.1.0.0/16")
        .send()
        .await
        .unwrap();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.0.1.0/24")
        .availability_zone("us-west-2a")
        .send()
        .await
        .unwrap();
    let subnet_id = subnet.subnet().unwrap().subnet_id().unwrap().to_string();

    let eks = aws_sdk_eks::Client::new(&conf);
    let vpc_cfg = VpcConfigRequest::builder().subnet_ids(&subnet_id).build();
    let remote = RemoteNetworkConfigRequest::builder()
        .remote_node_networks(
            RemoteNodeNetwork::builder()
                .cidrs("192.168.100.0/23")
                .build(),
        )
        .remote_pod_networks(RemotePodNetwork::builder().cidrs("192.168.64.0/20").build())
        .build();
    eks.create_cluster()
        .name("hybrid")
        .role_arn("arn:aws:iam::123456789012:role/eks")
        .resources_vpc_config(vpc_cfg.clone())
        .remote_network_config(remote)
        .send()
        .await
        .unwrap();
    eks.create_cluster()
        .name("plain")
        .role_arn("arn:aws:iam::123456789012:role/eks")
        .resources_vpc_config(vpc_cfg.clone())
        .send()
        .await
        .unwrap();
    let remote = RemoteNetworkConfigRequest::builder()
        .remote_node_networks(
            RemoteNodeNetwork::builder()
                .cidrs("192.168.100.0/23")
                .build(),
        )
        .build();
    eks.create_cluster()
        .name("v6")
        .role_arn("arn:aws:iam::123456789012:role/eks")
        .resources_vpc_config(vpc_cfg)
        .remote_network_config(remote)
        .kubernetes_network_config(
            KubernetesNetworkConfigRequest::builder()
                .ip_family(aws_sdk_eks::types::IpFamily::Ipv6)
                .build(),
        )
        .send()
        .await
        .unwrap();
    World { moto }
}

fn podnet(w: &World) -> Command {
    let mut c = testkit::podnet::cmd();
    c.envs(w.moto.env());
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eks_discovery_against_moto() {
    let w = world().await;

    // values from the cluster alone: remote pod network becomes the pool; facts in the header.
    let out = podnet(&w)
        .args(["cilium", "values", "--cluster", "hybrid"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("# Cluster: hybrid"), "{text}");
    assert!(
        text.contains("# Remote node networks: 192.168.100.0/23"),
        "{text}"
    );
    assert!(
        text.contains("# VPC CIDRs: 10.0.0.0/16, 10.1.0.0/16"),
        "{text}"
    );
    assert!(text.contains("# Service CIDR: 172.20.0.0/16\n"), "{text}");
    assert!(text.contains("- 192.168.64.0/20"), "{text}");

    // A flag overrides a discovered fact, with a note on stderr.
    let out = podnet(&w)
        .args([
            "cilium",
            "values",
            "--cluster",
            "hybrid",
            "--remote-node-network",
            "192.168.200.0/24",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--remote-node-network overrides"));

    // validate against the cluster: a pod CIDR in the VPC and outside the remote pod networks.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v.yaml");
    std::fs::write(
        &p,
        "ipam:\n  operator:\n    clusterPoolIPv4PodCIDRList: [10.1.128.0/20]\n",
    )
    .unwrap();
    let out = podnet(&w)
        .args([
            "cilium",
            "validate",
            "--cluster",
            "hybrid",
            "-o",
            "json",
            "-f",
        ])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    for id in [
        "pod-cidr-overlaps-vpc",
        "pod-cidr-not-in-remote-pod-networks",
        "remote-pod-network-not-in-pool",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(
        !ids.contains(&"check-skipped"),
        "all facts came from the cluster: {ids:?}"
    );

    // Clear errors for the ways discovery fails.
    let err = |args: &[&str]| {
        let out = podnet(&w).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let e = err(&["cilium", "values", "--cluster", "missing"]);
    assert!(e.contains("`missing` not found in region us-west-2"), "{e}");
    let e = err(&["cilium", "values", "--cluster", "plain"]);
    assert!(e.contains("no remote node networks"), "{e}");
    let e = err(&["cilium", "values", "--cluster", "v6"]);
    assert!(e.contains("IPv6"), "{e}");

    // Unreachable endpoint: a closed port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = podnet(&w)
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{closed}"))
        .args(["cilium", "values", "--cluster", "hybrid"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains(&format!("cannot reach http://127.0.0.1:{closed}")),
        "{e}"
    );

    // No credentials at all.
    let out = podnet(&w)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_PROFILE", "nobody")
        .args(["cilium", "values", "--cluster", "hybrid"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("credentials"), "{e}");
}

#[test]
fn flags_only_needs_no_aws() {
    // No endpoint, no credentials, no network: flags alone must work.
    let out = testkit::podnet::cmd()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env_remove("AWS_ACCESS_KEY_ID")
        .args([
            "cilium",
            "values",
            "--pod-cidr",
            "10.200.0.0/16",
            "--remote-node-network",
            "10.80.0.0/16",
            "--vpc-cidr",
            "10.0.0.0/16",
        ])
        .output()
        .unwrap();
    testkit::podnet::expect_code(&out, 0);
}
