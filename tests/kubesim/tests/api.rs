//! Raw HTTP checks of API semantics: watch (resourceVersion, 410 Gone, bookmarks, timeouts),
//! subresources, dry run, tables, faults, scale.

use kubesim::Options;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use testkit::cluster::{kubesim, kubesim_with};
use testkit::http::{json_lines, request};
use testkit::kubectl::Kubectl;

fn post(url: &str, path: &str, v: &Value) -> Value {
    let (code, _, body) = request(
        url,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        v.to_string().as_bytes(),
    )
    .unwrap();
    assert!(
        code == 201 || code == 200,
        "POST {path}: {code} {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).unwrap()
}

fn get(url: &str, path: &str) -> (u16, Value) {
    let (code, _, body) = request(url, "GET", path, &[], b"").unwrap();
    (code, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn cm(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}})
}

#[test]
fn watch_from_resource_version_gone_bookmarks_and_timeout() {
    let sim = kubesim();
    let url = sim.url().to_string();
    let created = post(&url, "/api/v1/namespaces/default/configmaps", &cm("w1"));
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, _, _) = request(
        &url,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/w1",
        &[("Content-Type", "application/merge-patch+json")],
        br#"{"data":{"a":"2"}}"#,
    )
    .unwrap();
    assert_eq!(code, 200);
    post(&url, "/api/v1/namespaces/default/configmaps", &cm("w2"));
    // from a resourceVersion: only later events
    let t0 = Instant::now();
    let (code, _, body) = request(
        &url,
        "GET",
        &format!(
            "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=1"
        ),
        &[],
        b"",
    )
    .unwrap();
    assert_eq!(code, 200);
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "timeoutSeconds honoured"
    );
    let evs = json_lines(&body);
    let kinds: Vec<(String, String)> = evs
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_string(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("MODIFIED".into(), "w1".into()),
            ("ADDED".into(), "w2".into())
        ]
    );
    // too old: 410 Gone as an ERROR event
    let (_, _, body) = request(
        &url,
        "GET",
        "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=5&timeoutSeconds=1",
        &[],
        b"",
    )
    .unwrap();
    let evs = json_lines(&body);
    assert_eq!(evs[0]["type"], "ERROR");
    assert_eq!(evs[0]["object"]["code"], 410);
    assert_eq!(evs[0]["object"]["reason"], "Expired");
    // streaming list: initial events then the initial-events-end bookmark
    let (_, _, body) = request(&url, "GET",
        "/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1",
        &[], b"").unwrap();
    let evs = json_lines(&body);
    assert_eq!(evs.iter().filter(|e| e["type"] == "ADDED").count(), 2);
    let bm = evs
        .iter()
        .find(|e| e["type"] == "BOOKMARK")
        .expect("bookmark");
    assert_eq!(
        bm["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    // label-selector watch sees an object leave the selection as DELETED
    // (from the current resourceVersion, so the test does not race the watch registration)
    let (_, list) = get(&url, "/api/v1/namespaces/default/configmaps");
    let from = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let w = std::thread::spawn({
        let url = url.clone();
        move || {
            let p = format!(
                "/api/v1/namespaces/default/configmaps?watch=true&labelSelector=team%3Da&timeoutSeconds=2&resourceVersion={from}"
            );
            request(&url, "GET", &p, &[], b"").unwrap()
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let mut c = cm("w3");
    c["metadata"]["labels"] = json!({"team": "a"});
    post(&url, "/api/v1/namespaces/default/configmaps", &c);
    request(
        &url,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/w3",
        &[("Content-Type", "application/merge-patch+json")],
        br#"{"metadata":{"labels":{"team":"b"}}}"#,
    )
    .unwrap();
    let (_, _, body) = w.join().unwrap();
    let types: Vec<String> = json_lines(&body)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(types, vec!["ADDED", "DELETED"]);
}

#[test]
fn subresources_dry_run_tables_and_status_errors() {
    let sim = kubesim();
    let url = sim.url().to_string();
    // dry run does not persist
    let (code, _, _) = request(
        &url,
        "POST",
        "/api/v1/namespaces/default/configmaps?dryRun=All",
        &[("Content-Type", "application/json")],
        cm("dry").to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(code, 201);
    let (code, st) = get(&url, "/api/v1/namespaces/default/configmaps/dry");
    assert_eq!(code, 404);
    assert_eq!(st["kind"], "Status");
    assert_eq!(st["reason"], "NotFound");
    assert_eq!(st["details"]["name"], "dry");
    // status subresource only changes status; main resource ignores status
    let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"a": "b"}},
                 "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}},
        "status": {"replicas": 42}});
    let created = post(&url, "/apis/apps/v1/namespaces/default/deployments", &d);
    assert!(created["status"].get("replicas").is_none_or(|r| r != 42));
    assert_eq!(created["metadata"]["generation"], 1);
    let (code, _, body) = request(
        &url,
        "PATCH",
        "/apis/apps/v1/namespaces/default/deployments/d/status",
        &[("Content-Type", "application/merge-patch+json")],
        br#"{"status":{"replicas":7},"spec":{"replicas":9}}"#,
    )
    .unwrap();
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["status"]["replicas"], 7);
    assert_eq!(v["spec"]["replicas"], 0);
    // scale subresource
    let (code, sc) = get(&url, "/apis/apps/v1/namespaces/default/deployments/d/scale");
    assert_eq!(code, 200);
    assert_eq!(sc["kind"], "Scale");
    assert_eq!(sc["status"]["selector"], "a=b");
    // stale resourceVersion on update
    let mut stale = created.clone();
    stale["metadata"]["resourceVersion"] = json!("1");
    let (code, _, body) = request(
        &url,
        "PUT",
        "/apis/apps/v1/namespaces/default/deployments/d",
        &[("Content-Type", "application/json")],
        stale.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(code, 409);
    let st: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(st["reason"], "Conflict");
    // tables
    let (code, _, body) = request(
        &url,
        "GET",
        "/api/v1/namespaces",
        &[(
            "Accept",
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
        )],
        b"",
    )
    .unwrap();
    assert_eq!(code, 200);
    let t: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(t["kind"], "Table");
    let cols: Vec<&str> = t["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(cols, vec!["Name", "Status", "Age"]);
    // objects loaded while running are stored as written
    let n = sim
        .load_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: late, namespace: extra}\nspec: {nodeName: n9, containers: [{name: c, image: x}]}\nstatus: {phase: Failed}\n")
        .unwrap();
    assert_eq!(n, 1);
    let (code, late) = get(&url, "/api/v1/namespaces/extra/pods/late");
    assert_eq!(code, 200);
    assert_eq!(late["status"]["phase"], "Failed");
    // unknown resource
    let (code, _) = get(&url, "/api/v1/nothings");
    assert_eq!(code, 404);
    // namespaces must exist
    let (code, _, body) = request(
        &url,
        "POST",
        "/api/v1/namespaces/ghost/configmaps",
        &[("Content-Type", "application/json")],
        cm("x").to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(code, 404, "{}", String::from_utf8_lossy(&body));
}

#[test]
fn faults_errors_throttling_latency_drop_conflict_watch_close() {
    let sim = kubesim_with(Options {
        faults: vec!["error:503:1x:GET:/api/v1/namespaces/default/configmaps".into()],
        ..Options::default()
    });
    let url = sim.url().to_string();
    let path = "/api/v1/namespaces/default/configmaps";
    let (code, hdrs, _) = request(&url, "GET", path, &[], b"").unwrap();
    assert_eq!(code, 503);
    assert!(hdrs.iter().any(|(k, v)| k == "retry-after" && v == "1"));
    assert_eq!(request(&url, "GET", path, &[], b"").unwrap().0, 200);

    sim.set_faults(&["throttle:1x:3:GET"]).unwrap();
    let (code, hdrs, body) = request(&url, "GET", path, &[], b"").unwrap();
    assert_eq!(code, 429);
    assert!(hdrs.iter().any(|(k, v)| k == "retry-after" && v == "3"));
    let st: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(st["reason"], "TooManyRequests");
    assert_eq!(request(&url, "GET", path, &[], b"").unwrap().0, 200);

    sim.set_faults(&["latency:300ms:GET:/api/v1/namespaces/*/configmaps"])
        .unwrap();
    let t0 = Instant::now();
    assert_eq!(request(&url, "GET", path, &[], b"").unwrap().0, 200);
    assert!(t0.elapsed() >= Duration::from_millis(300));

    sim.set_faults(&["drop:1x"]).unwrap();
    let r = request(&url, "GET", path, &[], b"");
    assert!(
        r.is_err() || r.as_ref().unwrap().2.is_empty(),
        "connection dropped"
    );
    assert_eq!(request(&url, "GET", path, &[], b"").unwrap().0, 200);

    sim.set_faults(&["conflict:1x"]).unwrap();
    post(&url, path, &cm("c"));
    let (code, _, _) = request(
        &url,
        "PATCH",
        &format!("{path}/c"),
        &[("Content-Type", "application/merge-patch+json")],
        br#"{"data":{"a":"3"}}"#,
    )
    .unwrap();
    assert_eq!(code, 409);

    sim.set_faults(&["watch-close:1"]).unwrap();
    let w = std::thread::spawn({
        let url = url.clone();
        move || {
            let t0 = Instant::now();
            let r = request(&url, "GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0&timeoutSeconds=20", &[], b"").unwrap();
            (r, t0.elapsed())
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    post(&url, path, &cm("d"));
    let ((_, _, body), took) = w.join().unwrap();
    assert!(took < Duration::from_secs(10), "watch closed early");
    assert!(!json_lines(&body).is_empty());

    // kubectl against a flaky server: a 500 on the first list is reported as a server error
    sim.set_faults(&["error:500:1x:GET:/api/v1/namespaces/default/configmaps"])
        .unwrap();
    let k = Kubectl::new(sim.kubeconfig());
    let err = k.fails(&["get", "configmaps"]);
    assert!(
        err.contains("InternalError") || err.contains("500") || err.contains("kubesim fault"),
        "{err}"
    );
    k.ok(&["get", "configmaps"]);
}

#[test]
fn scenario_scale_load_and_paginated_lists() {
    // Full scale (5,000 nodes / 150,000 pods) with KUBESIM_FULL_SCALE=1; a tenth otherwise (debug builds).
    let full = std::env::var_os("KUBESIM_FULL_SCALE").is_some();
    let spec = if full {
        "eks:nodes=5000,hybrid=50,pods=150000"
    } else {
        "eks:nodes=500,hybrid=5,pods=15000,misplaced=3"
    };
    let t0 = Instant::now();
    let sim = kubesim_with(Options {
        scenario: Some(spec.into()),
        ..Options::default()
    });
    let load = t0.elapsed();
    eprintln!(
        "scenario {spec}: loaded in {:?} (store {:?})",
        load, sim.load_time
    );
    // No bound on the time: a timed unit test fails on a loaded machine and proves nothing
    // (tests/bench/audit.sh measures the scale).
    let url = sim.url().to_string();
    let t1 = Instant::now();
    let (code, _, body) = request(&url, "GET", "/api/v1/pods", &[], b"").unwrap();
    let fetched = t1.elapsed();
    assert_eq!(code, 200);
    let all: Value = serde_json::from_slice(&body).unwrap();
    let n = all["items"].as_array().unwrap().len();
    eprintln!(
        "full pod list: {n} pods, {} bytes, served in {fetched:?}",
        body.len()
    );
    let pods = if full { 150_000 } else { 15_000 };
    let nodes = if full { 5_000 } else { 500 };
    let hybrid_n = if full { 50 } else { 5 };
    assert_eq!(n, pods + nodes * 2 + hybrid_n); // workload + aws-node (EC2) + kube-proxy (EC2 and hybrid)
    // paginated list walks the whole consistent snapshot
    let t2 = Instant::now();
    let mut seen = 0;
    let mut cont = String::new();
    loop {
        let p = if cont.is_empty() {
            "/api/v1/pods?limit=5000".to_string()
        } else {
            format!("/api/v1/pods?limit=5000&continue={cont}")
        };
        let (code, page) = get(&url, &p);
        assert_eq!(code, 200);
        seen += page["items"].as_array().unwrap().len();
        match page["metadata"]["continue"].as_str() {
            Some(c) if !c.is_empty() => cont = c.to_string(),
            _ => break,
        }
    }
    eprintln!("paginated pod list: {seen} pods in {:?}", t2.elapsed());
    assert_eq!(seen, n);
    // the generated cluster looks like EKS
    let k = Kubectl::new(sim.kubeconfig());
    let hybrid = k.ok(&[
        "get",
        "nodes",
        "-l",
        "eks.amazonaws.com/compute-type=hybrid",
        "-o",
        "name",
    ]);
    assert_eq!(hybrid.lines().count(), hybrid_n);
    assert!(hybrid.lines().all(|l| l.starts_with("node/mi-")));
    let ds = k.json(&["get", "ds", "aws-node", "-n", "kube-system"]);
    assert_eq!(ds["status"]["desiredNumberScheduled"], nodes);
    let env = &ds["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(
        env.as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG" && e["value"] == "true")
    );
    let eni = k.json(&["get", "eniconfigs"]);
    assert_eq!(eni["items"].as_array().unwrap().len(), 3);
    k.ok(&[
        "get",
        "cm",
        "amazon-vpc-cni",
        "aws-auth",
        "-n",
        "kube-system",
    ]);
    let node = k.json(&[
        "get",
        "nodes",
        "-l",
        "topology.kubernetes.io/zone=us-west-2a",
        "--chunk-size=0",
    ]);
    let n0 = &node["items"][0];
    assert!(
        n0["spec"]["providerID"]
            .as_str()
            .unwrap()
            .starts_with("aws:///us-west-2a/i-0")
    );
    assert!(n0["status"]["capacity"]["pods"].as_str().is_some());
    // new pods on an EC2 node take addresses from its ENIConfig subnet (custom networking)
    k.ok(&[
        "run",
        "probe",
        "--image=busybox",
        "--overrides",
        r#"{"spec":{"nodeSelector":{"topology.kubernetes.io/zone":"us-west-2b"}}}"#,
    ]);
    k.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/probe",
        "--timeout=30s",
    ]);
    let probe = k.json(&["get", "pod", "probe"]);
    let ip = probe["status"]["podIP"].as_str().unwrap();
    assert!(
        ip.starts_with("100.65."),
        "pod IP {ip} from the us-west-2b pod subnet 100.65.0.0/16"
    );
    // frozen: loaded pods keep their addresses
    std::thread::sleep(Duration::from_millis(500));
    let one = k.json(&[
        "get",
        "pods",
        "-n",
        "apps-0",
        "-l",
        "app=app-0",
        "--chunk-size=0",
    ]);
    assert!(
        one["items"][0]["status"]["podIP"]
            .as_str()
            .unwrap()
            .starts_with("100.6")
    );
}
