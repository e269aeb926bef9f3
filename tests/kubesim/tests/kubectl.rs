//! kubesim driven by the real kubectl.

use kubesim::Options;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;
use testkit::cluster::{kubesim, kubesim_with, nodes_yaml};
use testkit::kubectl::Kubectl;
use testkit::{eventually, write_file};

const APP: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: demo
  labels: {app: web}
data:
  a: "1"
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: demo
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 8080
"#;

#[test]
fn discovery_version_api_resources_explain() {
    let sim = kubesim();
    let k = Kubectl::new(sim.kubeconfig());
    let v = k.json(&["version"]);
    assert_eq!(v["serverVersion"]["gitVersion"], "v1.33.1");
    let out = k.ok(&["api-resources"]);
    let ds = out
        .lines()
        .find(|l| l.starts_with("daemonsets "))
        .expect("daemonsets listed");
    assert!(
        ds.contains("ds")
            && ds.contains("apps/v1")
            && ds.contains("true")
            && ds.contains("DaemonSet"),
        "{ds}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("customresourcedefinitions") && l.contains("crd,crds"))
    );
    let cluster = k.ok(&["api-resources", "--namespaced=false", "-o", "name"]);
    assert!(cluster.lines().any(|l| l == "nodes"));
    assert!(!cluster.lines().any(|l| l == "pods"));
    let ex = k.ok(&["explain", "pods"]);
    assert!(ex.contains("KIND:       Pod"), "{ex}");
    assert!(ex.contains("FIELDS:") && ex.contains("spec"), "{ex}");
    let ex = k.ok(&["explain", "deployment.spec.template.spec.containers"]);
    assert!(ex.contains("image"), "{ex}");
    // every field of the built-in kinds, down to inline volume sources
    let ex = k.ok(&["explain", "pod.spec.volumes.hostPath"]);
    assert!(
        ex.contains("path") && ex.contains("<HostPathVolumeSource>"),
        "{ex}"
    );
    let ex = k.ok(&["explain", "daemonset.spec.updateStrategy.rollingUpdate"]);
    assert!(ex.contains("maxUnavailable"), "{ex}");
    let ns = k.ok(&["get", "ns"]);
    for n in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(ns.contains(n), "{ns}");
    }
}

#[test]
fn apply_get_describe_rollout_wait_delete() {
    let sim = kubesim();
    let k = Kubectl::new(sim.kubeconfig());
    let out = k.ok_stdin(&["apply", "-f", "-"], APP);
    assert!(out.contains("namespace/demo created"), "{out}");
    assert!(out.contains("deployment.apps/web created"), "{out}");
    let out = k.ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        "demo",
        "--timeout=30s",
    ]);
    assert!(out.contains("successfully rolled out"), "{out}");
    k.ok(&[
        "wait",
        "--for=condition=Available",
        "deployment/web",
        "-n",
        "demo",
        "--timeout=30s",
    ]);
    k.ok(&[
        "wait",
        "--for=condition=Ready",
        "pods",
        "-l",
        "app=web",
        "-n",
        "demo",
        "--timeout=30s",
    ]);

    // get: table, wide, json, yaml
    let table = k.ok(&["get", "deploy", "-n", "demo"]);
    assert!(table.starts_with("NAME"), "{table}");
    assert!(
        table.contains("READY") && table.contains("UP-TO-DATE") && table.contains("2/2"),
        "{table}"
    );
    let wide = k.ok(&["get", "pods", "-n", "demo", "-o", "wide"]);
    assert!(
        wide.contains("IP") && wide.contains("NODE") && wide.contains("Running"),
        "{wide}"
    );
    let pods = k.json(&["get", "pods", "-n", "demo", "-l", "app=web"]);
    let items = pods["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    for p in items {
        assert_eq!(p["status"]["phase"], "Running");
        assert!(
            p["status"]["podIP"]
                .as_str()
                .is_some_and(|ip| !ip.is_empty())
        );
        assert_eq!(p["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
    }
    let yaml = k.ok(&["get", "cm", "cfg", "-n", "demo", "-o", "yaml"]);
    assert!(
        yaml.contains("kind: ConfigMap") && yaml.contains("a: \"1\""),
        "{yaml}"
    );
    let svc = k.json(&["get", "svc", "web", "-n", "demo"]);
    assert!(
        svc["spec"]["clusterIP"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("10.100."))
    );
    let svc_t = k.ok(&["get", "svc", "-n", "demo"]);
    assert!(
        svc_t.contains("CLUSTER-IP") && svc_t.contains("80/TCP"),
        "{svc_t}"
    );

    // describe
    let d = k.ok(&["describe", "deployment", "web", "-n", "demo"]);
    assert!(d.contains("Replicas:") && d.contains("nginx:1.27"), "{d}");
    let d = k.ok(&["describe", "cm", "cfg", "-n", "demo"]);
    assert!(d.contains("Name:         cfg"), "{d}");

    // re-apply with a change, then rollout a new image
    let changed = APP.replace("a: \"1\"", "a: \"2\"\n  b: \"3\"");
    let out = k.ok_stdin(&["apply", "-f", "-"], &changed);
    assert!(
        out.contains("configmap/cfg configured") && out.contains("deployment.apps/web unchanged"),
        "{out}"
    );
    let cm = k.json(&["get", "cm", "cfg", "-n", "demo"]);
    assert_eq!(cm["data"]["a"], "2");
    assert_eq!(cm["data"]["b"], "3");
    k.ok(&[
        "set",
        "image",
        "deployment/web",
        "-n",
        "demo",
        "web=nginx:1.28",
    ]);
    let out = k.ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        "demo",
        "--timeout=30s",
    ]);
    assert!(out.contains("successfully rolled out"), "{out}");
    let rs = k.json(&["get", "rs", "-n", "demo"]);
    assert_eq!(rs["items"].as_array().map(|a| a.len()), Some(2));
    let d = k.json(&["get", "deploy", "web", "-n", "demo"]);
    assert_eq!(d["metadata"]["generation"], 2);
    assert_eq!(d["status"]["observedGeneration"], 2);
    assert_eq!(d["status"]["updatedReplicas"], 2);

    // scale subresource
    k.ok(&["scale", "deployment/web", "-n", "demo", "--replicas=3"]);
    k.ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        "demo",
        "--timeout=30s",
    ]);
    eventually("3 pods", Duration::from_secs(10), || {
        k.json(&["get", "pods", "-n", "demo", "-l", "app=web"])["items"]
            .as_array()
            .is_some_and(|a| a.len() == 3)
    });

    // delete cascades to replica sets and pods
    let out = k.ok(&["delete", "deployment", "web", "-n", "demo"]);
    assert!(out.contains("deployment.apps \"web\" deleted"), "{out}");
    eventually("pods garbage-collected", Duration::from_secs(10), || {
        k.json(&["get", "pods,rs", "-n", "demo"])["items"]
            .as_array()
            .is_some_and(|a| a.is_empty())
    });
    let out = k.ok(&["delete", "namespace", "demo"]);
    assert!(out.contains("namespace \"demo\" deleted"), "{out}");
    let err = k.fails(&["get", "cm", "cfg", "-n", "demo"]);
    assert!(err.contains("NotFound"), "{err}");
}

#[test]
fn label_and_all_three_patch_types() {
    let sim = kubesim();
    let k = Kubectl::new(sim.kubeconfig());
    k.ok_stdin(&["apply", "-f", "-"], APP);
    let out = k.ok(&["label", "cm", "cfg", "-n", "demo", "tier=frontend"]);
    assert!(out.contains("configmap/cfg labeled"), "{out}");
    let out = k.ok(&["label", "cm", "-n", "demo", "-l", "tier=frontend", "tier-"]);
    assert!(out.contains("unlabeled"), "{out}");
    k.ok(&["annotate", "cm", "cfg", "-n", "demo", "note=hello"]);

    k.ok(&[
        "patch",
        "cm",
        "cfg",
        "-n",
        "demo",
        "-p",
        r#"{"data":{"s":"strategic"}}"#,
    ]);
    k.ok(&[
        "patch",
        "cm",
        "cfg",
        "-n",
        "demo",
        "--type=merge",
        "-p",
        r#"{"data":{"a":null,"m":"merge"}}"#,
    ]);
    k.ok(&[
        "patch",
        "cm",
        "cfg",
        "-n",
        "demo",
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/data/j","value":"json"}]"#,
    ]);
    let cm = k.json(&["get", "cm", "cfg", "-n", "demo"]);
    assert_eq!(
        cm["data"],
        serde_json::json!({"s": "strategic", "m": "merge", "j": "json"})
    );
    assert_eq!(cm["metadata"]["annotations"]["note"], "hello");
    assert!(cm["metadata"]["labels"].get("tier").is_none());

    // strategic merge on a keyed list: containers merge by name
    k.ok(&[
        "patch",
        "deployment",
        "web",
        "-n",
        "demo",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1"}]}}}}"#,
    ]);
    let d = k.json(&["get", "deploy", "web", "-n", "demo"]);
    let names: Vec<&str> = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, vec!["web", "sidecar"]);
    // a failing JSON patch test op is a 422
    let err = k.fails(&[
        "patch",
        "cm",
        "cfg",
        "-n",
        "demo",
        "--type=json",
        "-p",
        r#"[{"op":"test","path":"/data/j","value":"nope"}]"#,
    ]);
    assert!(err.contains("Invalid") || err.contains("test"), "{err}");
}

#[test]
fn server_side_apply_conflicts_and_managed_fields() {
    let sim = kubesim();
    let k = Kubectl::new(sim.kubeconfig());
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: default\ndata:\n  x: \"1\"\n  y: \"2\"\n";
    let out = k.ok_stdin(&["apply", "--server-side", "-f", "-"], cm);
    assert!(out.contains("configmap/ssa serverside-applied"), "{out}");
    k.ok(&[
        "patch",
        "cm",
        "ssa",
        "--type=merge",
        "-p",
        r#"{"data":{"x":"9"}}"#,
    ]);
    let o = k.run_stdin(&["apply", "--server-side", "-f", "-"], cm);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Apply failed with 1 conflict")
            && err.contains("kubectl-patch")
            && err.contains(".data.x"),
        "{err}"
    );
    k.ok_stdin(
        &["apply", "--server-side", "--force-conflicts", "-f", "-"],
        cm,
    );
    // dropping a field from the applied config removes it
    let smaller = cm.replace("  y: \"2\"\n", "");
    k.ok_stdin(&["apply", "--server-side", "-f", "-"], &smaller);
    let live = k.json(&["get", "cm", "ssa", "--show-managed-fields"]);
    assert_eq!(live["data"], serde_json::json!({"x": "1"}));
    let mf = live["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields");
    let apply = mf
        .iter()
        .find(|m| m["operation"] == "Apply")
        .expect("Apply entry");
    assert_eq!(apply["manager"], "kubectl");
    assert!(apply["fieldsV1"]["f:data"].get("f:x").is_some());
    // a different manager applying the same value co-owns it without conflict
    k.ok_stdin(
        &["apply", "--server-side", "--field-manager=other", "-f", "-"],
        &smaller,
    );
    // dry run changes nothing
    let dry = cm.replace("x: \"1\"", "x: \"dry\"");
    k.ok_stdin(
        &[
            "apply",
            "--server-side",
            "--force-conflicts",
            "--dry-run=server",
            "-f",
            "-",
        ],
        &dry,
    );
    assert_eq!(k.json(&["get", "cm", "ssa"])["data"]["x"], "1");
}

#[test]
fn errors_conflicts_and_generate_name() {
    let sim = kubesim();
    let k = Kubectl::new(sim.kubeconfig());
    let err = k.fails(&["get", "cm", "nope"]);
    assert!(
        err.contains("Error from server (NotFound): configmaps \"nope\" not found"),
        "{err}"
    );
    let err = k.fails(&["create", "configmap", "x", "-n", "missing"]);
    assert!(err.contains("namespaces \"missing\" not found"), "{err}");
    k.ok(&["create", "configmap", "x", "--from-literal=k=v"]);
    let err = k.fails(&["create", "configmap", "x", "--from-literal=k=v"]);
    assert!(err.contains("configmaps \"x\" already exists"), "{err}");
    // stale resourceVersion on replace is a 409 conflict
    let mut cm = k.json(&["get", "cm", "x"]);
    k.ok(&["label", "cm", "x", "bump=1"]);
    cm["data"]["k"] = Value::from("stale");
    let err = {
        let o = k.run_stdin(&["replace", "-f", "-"], &cm.to_string());
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    assert!(
        err.contains("Conflict") && err.contains("the object has been modified"),
        "{err}"
    );
    // generateName
    let out = k.ok_stdin(
        &["create", "-f", "-", "-o", "name"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: gen-\n",
    );
    assert!(
        out.trim().starts_with("configmap/gen-") && out.trim().len() == "configmap/gen-".len() + 5,
        "{out}"
    );
    // invalid name
    let err = k.fails(&["create", "configmap", "Bad_Name"]);
    assert!(err.contains("Invalid"), "{err}");
}

#[test]
fn crd_serves_new_kind_and_deleting_it_removes_objects() {
    let sim = kubesim();
    let k = Kubectl::new(sim.kubeconfig());
    let crd = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: eniconfigs.crd.k8s.amazonaws.com
spec:
  group: crd.k8s.amazonaws.com
  scope: Cluster
  names:
    kind: ENIConfig
    listKind: ENIConfigList
    plural: eniconfigs
    singular: eniconfig
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"#;
    k.ok_stdin(&["apply", "-f", "-"], crd);
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/eniconfigs.crd.k8s.amazonaws.com",
        "--timeout=10s",
    ]);
    let eni = "apiVersion: crd.k8s.amazonaws.com/v1alpha1\nkind: ENIConfig\nmetadata:\n  name: us-west-2a\nspec:\n  subnet: subnet-0123\n  securityGroups: [sg-1]\n";
    let out = k.ok_stdin(&["apply", "-f", "-"], eni);
    assert!(
        out.contains("eniconfig.crd.k8s.amazonaws.com/us-west-2a created"),
        "{out}"
    );
    let got = k.json(&["get", "eniconfigs", "us-west-2a"]);
    assert_eq!(got["spec"]["subnet"], "subnet-0123");
    let res = k.ok(&["api-resources", "--api-group=crd.k8s.amazonaws.com"]);
    assert!(
        res.contains("eniconfigs") && res.contains("ENIConfig"),
        "{res}"
    );
    let t = k.ok(&["get", "eniconfig"]);
    assert!(t.contains("us-west-2a"), "{t}");
    k.ok(&[
        "patch",
        "eniconfig",
        "us-west-2a",
        "--type=merge",
        "-p",
        r#"{"spec":{"subnet":"subnet-9"}}"#,
    ]);
    assert_eq!(
        k.json(&["get", "eniconfig", "us-west-2a"])["spec"]["subnet"],
        "subnet-9"
    );
    k.ok(&["delete", "crd", "eniconfigs.crd.k8s.amazonaws.com"]);
    let err = k.fails(&["get", "eniconfigs"]);
    assert!(
        err.contains("the server doesn't have a resource type") || err.contains("NotFound"),
        "{err}"
    );
}

#[test]
fn watch_streams_events() {
    let sim = kubesim();
    let k = Kubectl::new(sim.kubeconfig());
    k.ok(&["create", "configmap", "first", "--from-literal=a=b"]);
    let mut child = k
        .cmd(&[
            "get",
            "configmaps",
            "-w",
            "--output-watch-events",
            "--request-timeout=30s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl get -w");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // the initial list is printed before the watch starts
    let mut seen = vec![];
    let t0 = std::time::Instant::now();
    while !seen.iter().any(|l: &String| l.contains("first")) {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "kubectl get -w printed nothing: {seen:?}"
        );
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.push(l);
        }
    }
    assert!(
        seen[0].contains("EVENT") && seen[0].contains("NAME") && seen[0].contains("DATA"),
        "{seen:?}"
    );
    k.ok(&["create", "configmap", "watched", "--from-literal=a=b"]);
    k.ok(&["label", "configmap", "watched", "x=y"]);
    k.ok(&["delete", "configmap", "watched"]);
    let t0 = std::time::Instant::now();
    while t0.elapsed() < Duration::from_secs(15) {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.push(l);
        }
        if seen.iter().any(|l| l.contains("DELETED")) {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let all = seen.join("\n");
    assert!(
        all.lines()
            .any(|l| l.contains("ADDED") && l.contains("watched")),
        "{all}"
    );
    assert!(
        all.lines()
            .any(|l| l.contains("MODIFIED") && l.contains("watched")),
        "{all}"
    );
    assert!(
        all.lines()
            .any(|l| l.contains("DELETED") && l.contains("watched")),
        "{all}"
    );
}

#[test]
fn pagination_selectors_and_deletecollection() {
    let sim = kubesim();
    let k = Kubectl::new(sim.kubeconfig());
    let mut docs = String::new();
    for i in 0..30 {
        docs.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:02}\n  labels:\n    idx: \"{i}\"\n    parity: {}\n",
            if i % 2 == 0 { "even" } else { "odd" }
        ));
    }
    k.ok_stdin(&["apply", "-f", "-"], &docs);
    let names = k.ok(&["get", "cm", "-l", "idx", "--chunk-size=7", "-o", "name"]);
    assert_eq!(names.lines().count(), 30, "{names}");
    let sel = k.ok(&[
        "get",
        "cm",
        "-l",
        "idx in (1,2,3),parity!=odd",
        "-o",
        "name",
    ]);
    assert_eq!(sel.trim(), "configmap/cm-02");
    let sel = k.ok(&[
        "get",
        "cm",
        "-l",
        "parity=odd,idx notin (1,3)",
        "-o",
        "name",
    ]);
    assert_eq!(sel.lines().count(), 13, "{sel}");
    let fs = k.ok(&[
        "get",
        "cm",
        "--field-selector",
        "metadata.name=cm-05",
        "-o",
        "name",
    ]);
    assert_eq!(fs.trim(), "configmap/cm-05");
    // raw paginated list: limit + continue
    let page: Value = serde_json::from_str(&k.ok(&[
        "get",
        "--raw",
        "/api/v1/namespaces/default/configmaps?limit=10&labelSelector=idx",
    ]))
    .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 10);
    assert_eq!(page["metadata"]["remainingItemCount"], 20);
    let cont = page["metadata"]["continue"].as_str().unwrap();
    let page2: Value = serde_json::from_str(&k.ok(&[
        "get",
        "--raw",
        &format!(
            "/api/v1/namespaces/default/configmaps?limit=10&labelSelector=idx&continue={cont}"
        ),
    ]))
    .unwrap();
    assert_eq!(page2["items"][0]["metadata"]["name"], "cm-10");
    // deletecollection
    k.ok(&[
        "delete",
        "--raw",
        "/api/v1/namespaces/default/configmaps?labelSelector=parity%3Deven",
    ]);
    let left = k.ok(&["get", "cm", "-l", "idx", "-o", "name"]);
    assert_eq!(left.lines().count(), 15, "{left}");
}

#[test]
fn daemonset_schedules_on_matching_nodes_and_rolls() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = write_file(dir.path(), "nodes.yaml", &nodes_yaml(3, 2));
    let sim = kubesim_with(Options {
        load: vec![nodes],
        faults: vec!["image-pull:broken.example/".into()],
        ..Options::default()
    });
    let k = Kubectl::new(sim.kubeconfig());
    let nodes = k.ok(&["get", "nodes", "-o", "wide"]);
    assert!(
        nodes.contains("mi-00000000000000000")
            && nodes.contains("Ready")
            && nodes.contains("172.16.0.10"),
        "{nodes}"
    );
    let ds = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: kube-system
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - key: eks.amazonaws.com/compute-type
                operator: In
                values: [hybrid]
      tolerations:
      - operator: Exists
      hostNetwork: true
      containers:
      - name: agent
        image: quay.io/cilium/cilium:v1.17.18
"#;
    k.ok_stdin(&["apply", "-f", "-"], ds);
    let out = k.ok(&[
        "rollout",
        "status",
        "ds/agent",
        "-n",
        "kube-system",
        "--timeout=30s",
    ]);
    assert!(out.contains("successfully rolled out"), "{out}");
    let pods = k.json(&["get", "pods", "-n", "kube-system", "-l", "app=agent"]);
    let mut on: Vec<String> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap().to_string())
        .collect();
    on.sort();
    assert_eq!(on, vec!["mi-00000000000000000", "mi-00000000000000001"]);
    for p in pods["items"].as_array().unwrap() {
        let ip = p["status"]["podIP"].as_str().unwrap();
        assert_eq!(p["status"]["hostIP"].as_str(), Some(ip), "hostNetwork pod");
        assert!(ip.starts_with("172.16.0."), "{ip}");
    }
    let t = k.ok(&["get", "ds", "agent", "-n", "kube-system"]);
    assert!(
        t.contains("DESIRED") && t.lines().nth(1).unwrap().split_whitespace().nth(1) == Some("2"),
        "{t}"
    );
    // a template change rolls the pods
    k.ok(&[
        "set",
        "image",
        "ds/agent",
        "-n",
        "kube-system",
        "agent=quay.io/cilium/cilium:v1.17.19",
    ]);
    k.ok(&[
        "rollout",
        "status",
        "ds/agent",
        "-n",
        "kube-system",
        "--timeout=30s",
    ]);
    let pods = k.json(&["get", "pods", "-n", "kube-system", "-l", "app=agent"]);
    let imgs: Vec<&str> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["spec"]["containers"][0]["image"].as_str().unwrap())
        .collect();
    assert_eq!(imgs, vec!["quay.io/cilium/cilium:v1.17.19"; 2]);
    // image pull fault
    k.ok(&[
        "set",
        "image",
        "ds/agent",
        "-n",
        "kube-system",
        "agent=broken.example/agent:1",
    ]);
    eventually("ImagePullBackOff", Duration::from_secs(15), || {
        k.ok(&["get", "pods", "-n", "kube-system", "-l", "app=agent"])
            .contains("ImagePullBackOff")
    });
    let ev = k.ok(&["get", "events", "-n", "kube-system"]);
    assert!(
        ev.contains("Failed") && ev.contains("broken.example/agent:1"),
        "{ev}"
    );
    let o = k.run(&[
        "rollout",
        "status",
        "ds/agent",
        "-n",
        "kube-system",
        "--timeout=2s",
    ]);
    assert!(
        !o.status.success(),
        "rollout must not finish with a pull fault"
    );
    let d = k.ok(&["describe", "node", "mi-00000000000000000"]);
    assert!(d.contains("eks.amazonaws.com/compute-type=hybrid"), "{d}");
    // without a CNI, pod-network pods on the hybrid nodes cannot start
    let web = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {eks.amazonaws.com/compute-type: hybrid}
      tolerations: [{operator: Exists}]
      containers: [{name: web, image: nginx}]
"#;
    k.ok_stdin(&["apply", "-f", "-"], web);
    eventually("ContainerCreating", Duration::from_secs(10), || {
        let t = k.ok(&["get", "pods", "-l", "app=web"]);
        t.lines().skip(1).count() == 2 && t.lines().skip(1).all(|l| l.contains("ContainerCreating"))
    });
    let ev = k.ok(&["get", "events"]);
    assert!(
        ev.contains("FailedCreatePodSandBox") && ev.contains("cni plugin not initialized"),
        "{ev}"
    );
    // the node's network becomes ready: the pod starts
    k.ok(&[
        "patch", "node", "mi-00000000000000000", "--subresource=status", "--type=merge", "-p",
        r#"{"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"kubelet is posting ready status"}]}}"#,
    ]);
    eventually("one web pod Running", Duration::from_secs(10), || {
        k.ok(&[
            "get",
            "pods",
            "-l",
            "app=web",
            "--field-selector",
            "spec.nodeName=mi-00000000000000000",
        ])
        .contains("Running")
    });
}

#[test]
fn loaded_objects_are_kept_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_file(
        dir.path(),
        "pods.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: fixed\n  namespace: app\nspec:\n  nodeName: n1\n  containers:\n  - name: c\n    image: x\nstatus:\n  phase: Running\n  podIP: 10.9.8.7\n",
    );
    let sim = kubesim_with(Options {
        load: vec![f],
        ..Options::default()
    });
    let k = Kubectl::new(sim.kubeconfig());
    std::thread::sleep(Duration::from_millis(500));
    let p = k.json(&["get", "pod", "fixed", "-n", "app"]);
    assert_eq!(p["status"]["podIP"], "10.9.8.7");
    assert_eq!(p["status"]["phase"], "Running");
    assert_eq!(p["spec"]["nodeName"], "n1");
}

#[test]
fn tls_with_generated_ca_and_bearer_token() {
    let sim = kubesim_with(Options {
        tls: true,
        ..Options::default()
    });
    assert!(sim.url().starts_with("https://127.0.0.1:"));
    let token = sim.token().expect("token generated").to_string();
    assert!(
        sim.kubeconfig_yaml()
            .contains("certificate-authority-data:")
    );
    let k = Kubectl::new(sim.kubeconfig());
    let out = k.ok_stdin(&["apply", "-f", "-"], APP);
    assert!(out.contains("deployment.apps/web created"), "{out}");
    k.ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        "demo",
        "--timeout=30s",
    ]);
    k.ok(&["get", "pods", "-n", "demo", "-o", "wide"]);
    // without the token: 401
    let dir = tempfile::tempdir().unwrap();
    let bad = sim.kubeconfig_yaml().replace(&token, "wrong-token");
    let bad_path = write_file(dir.path(), "bad-kubeconfig", &bad);
    let o = k
        .cmd(&["get", "ns"])
        .env("KUBECONFIG", &bad_path)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Unauthorized"), "{err}");
}

#[test]
fn rollout_history_undo_restart_drain_diff_auth_events() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = write_file(dir.path(), "nodes.yaml", &nodes_yaml(2, 0));
    let sim = kubesim_with(Options {
        load: vec![nodes],
        ..Options::default()
    });
    let k = Kubectl::new(sim.kubeconfig());
    k.ok_stdin(&["apply", "-f", "-"], APP);
    k.ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        "demo",
        "--timeout=30s",
    ]);
    k.ok(&[
        "set",
        "image",
        "deployment/web",
        "-n",
        "demo",
        "web=nginx:1.28",
    ]);
    k.ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        "demo",
        "--timeout=30s",
    ]);
    let h = k.ok(&["rollout", "history", "deployment/web", "-n", "demo"]);
    assert!(
        h.contains("REVISION") && h.lines().any(|l| l.starts_with('2')),
        "{h}"
    );
    let out = k.ok(&["rollout", "undo", "deployment/web", "-n", "demo"]);
    assert!(out.contains("rolled back"), "{out}");
    k.ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        "demo",
        "--timeout=30s",
    ]);
    let d = k.json(&["get", "deploy", "web", "-n", "demo"]);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.27"
    );
    k.ok(&["rollout", "restart", "deployment/web", "-n", "demo"]);
    k.ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        "demo",
        "--timeout=30s",
    ]);

    // describe shows scheduler/kubelet events; logs; auth can-i; diff
    let pod = k
        .ok(&["get", "pods", "-n", "demo", "-o", "name"])
        .lines()
        .next()
        .unwrap()
        .to_string();
    let d = k.ok(&["describe", &pod, "-n", "demo"]);
    assert!(
        d.contains("Scheduled") && d.contains("Started container web"),
        "{d}"
    );
    let ev = k.ok(&["get", "events", "-n", "demo"]);
    assert!(ev.contains("Successfully assigned demo/"), "{ev}");
    k.ok(&["logs", &pod, "-n", "demo"]);
    assert_eq!(k.ok(&["auth", "can-i", "create", "pods"]).trim(), "yes");
    let changed = APP.replace("nginx:1.27", "nginx:9");
    let o = k.run_stdin(&["diff", "-f", "-"], &changed);
    let diff = String::from_utf8_lossy(&o.stdout);
    assert!(
        diff.contains("+        image: nginx:9") || diff.contains("+      - image: nginx:9"),
        "{diff}"
    );

    // cordon and drain (evictions)
    let node = "ip-10-0-0-10.ec2.internal";
    k.ok(&["cordon", node]);
    let nodes = k.ok(&["get", "nodes"]);
    assert!(nodes.contains("Ready,SchedulingDisabled"), "{nodes}");
    let out = k.ok(&["drain", node, "--ignore-daemonsets", "--timeout=30s"]);
    assert!(out.contains("drained"), "{out}");
    k.ok(&[
        "rollout",
        "status",
        "deployment/web",
        "-n",
        "demo",
        "--timeout=30s",
    ]);
    let pods = k.json(&["get", "pods", "-n", "demo"]);
    for p in pods["items"].as_array().unwrap() {
        assert_ne!(
            p["spec"]["nodeName"], node,
            "no pod left on the drained node"
        );
    }
}

#[test]
fn daemonset_history_undo_and_deployment_progress_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = write_file(dir.path(), "nodes.yaml", &nodes_yaml(3, 0));
    let sim = kubesim_with(Options {
        load: vec![nodes],
        faults: vec!["image-pull:broken/".into()],
        ..Options::default()
    });
    let k = Kubectl::new(sim.kubeconfig());
    let manifest = r#"
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: "img:1"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: stuck, namespace: default}
spec:
  progressDeadlineSeconds: 2
  replicas: 1
  selector: {matchLabels: {app: stuck}}
  template:
    metadata: {labels: {app: stuck}}
    spec:
      containers: [{name: c, image: "broken/x:1"}]
"#;
    k.ok_stdin(&["apply", "-f", "-"], manifest);
    k.ok(&[
        "rollout",
        "status",
        "ds/agent",
        "-n",
        "kube-system",
        "--timeout=30s",
    ]);
    k.ok(&[
        "set",
        "image",
        "ds/agent",
        "-n",
        "kube-system",
        "agent=img:2",
    ]);
    let out = k.ok(&[
        "rollout",
        "status",
        "ds/agent",
        "-n",
        "kube-system",
        "--timeout=30s",
    ]);
    assert!(
        out.contains("new pods have been updated") || out.contains("successfully rolled out"),
        "{out}"
    );
    let h = k.ok(&["rollout", "history", "ds/agent", "-n", "kube-system"]);
    assert!(
        h.lines().any(|l| l.starts_with('1')) && h.lines().any(|l| l.starts_with('2')),
        "{h}"
    );
    let crs = k.ok(&["get", "controllerrevisions", "-n", "kube-system"]);
    assert!(crs.contains("daemonset.apps/agent"), "{crs}");
    k.ok(&["rollout", "undo", "ds/agent", "-n", "kube-system"]);
    k.ok(&[
        "rollout",
        "status",
        "ds/agent",
        "-n",
        "kube-system",
        "--timeout=30s",
    ]);
    let ds = k.json(&["get", "ds", "agent", "-n", "kube-system"]);
    assert_eq!(
        ds["spec"]["template"]["spec"]["containers"][0]["image"],
        "img:1"
    );
    // a Deployment whose image cannot be pulled exceeds its progress deadline
    let o = k.run(&["rollout", "status", "deploy/stuck", "--timeout=30s"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("exceeded its progress deadline"), "{err}");
}

#[test]
fn imperative_create_commands_send_protobuf_and_work() {
    let sim = kubesim();
    let k = Kubectl::new(sim.kubeconfig());
    // kubectl's typed clients send these bodies as protobuf
    let cmds: &[&[&str]] = &[
        &["create", "namespace", "team"],
        &["create", "serviceaccount", "robot", "-n", "team"],
        &[
            "create",
            "secret",
            "generic",
            "creds",
            "-n",
            "team",
            "--from-literal=user=admin",
        ],
        &[
            "create",
            "configmap",
            "settings",
            "-n",
            "team",
            "--from-literal=mode=fast",
        ],
        &[
            "create",
            "role",
            "reader",
            "-n",
            "team",
            "--verb=get,list",
            "--resource=pods",
        ],
        &[
            "create",
            "rolebinding",
            "reader",
            "-n",
            "team",
            "--role=reader",
            "--serviceaccount=team:robot",
        ],
        &[
            "create",
            "clusterrole",
            "node-reader",
            "--verb=get",
            "--resource=nodes",
        ],
        &[
            "create",
            "clusterrolebinding",
            "node-reader",
            "--clusterrole=node-reader",
            "--user=alice",
        ],
        &[
            "create",
            "deployment",
            "api",
            "-n",
            "team",
            "--image=nginx:1.27",
            "--replicas=2",
            "--port=8080",
        ],
        &[
            "create",
            "service",
            "nodeport",
            "api-np",
            "-n",
            "team",
            "--tcp=80:8080",
        ],
        &["create", "job", "once", "-n", "team", "--image=busybox"],
        &[
            "create",
            "cronjob",
            "tick",
            "-n",
            "team",
            "--image=busybox",
            "--schedule=*/5 * * * *",
        ],
        &["create", "priorityclass", "high", "--value=1000"],
        &[
            "create",
            "poddisruptionbudget",
            "api",
            "-n",
            "team",
            "--selector=app=api",
            "--min-available=1",
        ],
        &["create", "quota", "small", "-n", "team", "--hard=pods=20"],
        &[
            "create",
            "ingress",
            "web",
            "-n",
            "team",
            "--rule=example.com/=api:80",
        ],
        &[
            "run",
            "shell",
            "-n",
            "team",
            "--image=busybox",
            "--labels=app=shell",
        ],
        &[
            "expose",
            "deployment",
            "api",
            "-n",
            "team",
            "--port=80",
            "--target-port=8080",
        ],
    ];
    for c in cmds {
        k.ok(c);
    }
    k.ok(&[
        "rollout",
        "status",
        "deployment/api",
        "-n",
        "team",
        "--timeout=30s",
    ]);
    k.ok(&[
        "wait",
        "--for=condition=Complete",
        "job/once",
        "-n",
        "team",
        "--timeout=30s",
    ]);
    k.ok(&[
        "wait",
        "--for=condition=Ready",
        "pod/shell",
        "-n",
        "team",
        "--timeout=30s",
    ]);
    k.ok(&[
        "autoscale",
        "deployment",
        "api",
        "-n",
        "team",
        "--max=5",
        "--cpu-percent=80",
    ]);
    let hpa = k.json(&["get", "hpa", "api", "-n", "team"]);
    assert_eq!(hpa["spec"]["maxReplicas"], 5);
    let d = k.json(&["get", "deploy", "api", "-n", "team"]);
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"],
        8080
    );
    let role = k.json(&["get", "role", "reader", "-n", "team"]);
    assert_eq!(role["rules"][0]["verbs"], json!(["get", "list"]));
    let rb = k.json(&["get", "rolebinding", "reader", "-n", "team"]);
    assert_eq!(rb["subjects"][0]["kind"], "ServiceAccount");
    assert_eq!(rb["roleRef"]["name"], "reader");
    let s = k.json(&["get", "secret", "creds", "-n", "team"]);
    assert_eq!(s["data"]["user"], "YWRtaW4=");
    let np = k.json(&["get", "svc", "api-np", "-n", "team"]);
    let port = np["spec"]["ports"][0]["nodePort"].as_i64().unwrap();
    assert!((30000..32768).contains(&port), "{port}");
    // the Service gets Endpoints and an EndpointSlice from its ready pods
    eventually("endpoints", Duration::from_secs(10), || {
        k.ok(&["describe", "svc", "api", "-n", "team"])
            .lines()
            .any(|l| l.starts_with("Endpoints:") && l.matches(":8080").count() == 2)
    });
    let slices = k.json(&[
        "get",
        "endpointslices",
        "-n",
        "team",
        "-l",
        "kubernetes.io/service-name=api",
    ]);
    assert_eq!(
        slices["items"][0]["endpoints"].as_array().map(|a| a.len()),
        Some(2)
    );
    let svc = k.json(&["get", "svc", "api", "-n", "team"]);
    assert_eq!(svc["spec"]["selector"]["app"], "api");
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 8080);
    let pdb = k.json(&["get", "pdb", "api", "-n", "team"]);
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    let pc = k.json(&["get", "priorityclass", "high"]);
    assert_eq!(pc["value"], 1000);
    let cj = k.json(&["get", "cronjob", "tick", "-n", "team"]);
    assert_eq!(cj["spec"]["schedule"], "*/5 * * * *");
    let token = k.ok(&["create", "token", "robot", "-n", "team"]);
    assert!(!token.trim().is_empty());
    let out = k.ok(&["delete", "namespace", "team"]);
    assert!(out.contains("deleted"), "{out}");
    let err = k.fails(&["get", "deploy", "api", "-n", "team"]);
    assert!(err.contains("NotFound"), "{err}");
}

#[test]
fn strict_field_validation_rejects_unknown_fields() {
    let sim = kubesim();
    let k = Kubectl::new(sim.kubeconfig());
    let typo = APP
        .replace("replicas: 2", "replica: 2")
        .replace("image: nginx:1.27", "imagee: nginx:1.27");
    let o = k.run_stdin(&["apply", "-f", "-"], &typo);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("strict decoding error: unknown field \"spec.replica\", unknown field \"spec.template.spec.containers[0].imagee\""),
        "{err}"
    );
    // inline members (volume sources, probe handlers, key selectors) are known fields
    let ok = r#"
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  containers:
  - name: c
    image: busybox
    readinessProbe:
      httpGet: {path: /, port: 80}
    env:
    - name: X
      valueFrom:
        configMapKeyRef: {name: cm, key: k}
    volumeMounts: [{name: v, mountPath: /v}]
  volumes:
  - name: v
    configMap: {name: cm}
"#;
    k.ok_stdin(&["apply", "-f", "-"], ok);
    // --validate=false skips it
    k.ok_stdin(&["apply", "--validate=false", "-f", "-"], &typo);
}
