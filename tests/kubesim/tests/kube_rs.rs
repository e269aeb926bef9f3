//! kubesim driven by the kube-rs client (the client the plugin uses): TLS + token from the
//! kubeconfig, CRUD, selectors, pagination, merge patch, server-side apply, conflicts, watch.

use testkit::cluster::nodes_yaml;
use testkit::write_file;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod};
use kube::api::{
    Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use kubesim::Options;
use serde_json::json;
use std::time::Duration;

async fn client(sim: &kubesim::Kubesim) -> Client {
    let kc = Kubeconfig::read_from(sim.kubeconfig()).expect("kubeconfig parses");
    let cfg = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("kube config");
    Client::try_from(cfg).expect("client")
}

fn cm(name: &str, labels: serde_json::Value) -> ConfigMap {
    serde_json::from_value(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}}))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_crud_apply_list_watch_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = write_file(dir.path(), "nodes.yaml", &nodes_yaml(2, 1));
    let sim = kubesim::Kubesim::start(Options {
        tls: true,
        load: vec![nodes],
        ready_after: Duration::from_millis(100),
        ..Options::default()
    })
    .await
    .expect("kubesim starts");
    let c = client(&sim).await;
    let info = c.apiserver_version().await.expect("version");
    assert_eq!(info.git_version, "v1.33.1");

    let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
    for i in 0..5 {
        cms.create(
            &PostParams::default(),
            &cm(&format!("c{i}"), json!({"i": i.to_string(), "grp": "g"})),
        )
        .await
        .expect("create");
    }
    let got = cms.get("c3").await.expect("get");
    assert_eq!(got.data.unwrap()["k"], "v");
    let sel = cms
        .list(&ListParams::default().labels("grp=g,i in (1,2)"))
        .await
        .unwrap();
    assert_eq!(sel.items.len(), 2);
    // pagination
    let p1 = cms
        .list(&ListParams::default().labels("grp").limit(2))
        .await
        .unwrap();
    assert_eq!(p1.items.len(), 2);
    let tok = p1.metadata.continue_.clone().expect("continue token");
    let p2 = cms
        .list(
            &ListParams::default()
                .labels("grp")
                .limit(10)
                .continue_token(&tok),
        )
        .await
        .unwrap();
    assert_eq!(p2.items.len(), 3);
    // merge patch, then a stale replace is a 409
    let before = cms.get("c0").await.unwrap();
    cms.patch(
        "c0",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"m": "1"}})),
    )
    .await
    .unwrap();
    let err = cms
        .replace("c0", &PostParams::default(), &before)
        .await
        .unwrap_err();
    match err {
        kube::Error::Api(s) => assert_eq!(s.code, 409),
        other => panic!("expected a 409, got {other:?}"),
    }
    // server-side apply: create, conflict, force
    let applied = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"a": "1"}});
    cms.patch(
        "ssa",
        &PatchParams::apply("podnet"),
        &Patch::Apply(&applied),
    )
    .await
    .unwrap();
    cms.patch(
        "ssa",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"a": "2"}})),
    )
    .await
    .unwrap();
    let err = cms
        .patch(
            "ssa",
            &PatchParams::apply("podnet"),
            &Patch::Apply(&applied),
        )
        .await
        .unwrap_err();
    match err {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 409);
            assert!(s.message.contains("conflict"), "{}", s.message);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let forced = cms
        .patch(
            "ssa",
            &PatchParams::apply("podnet").force(),
            &Patch::Apply(&applied),
        )
        .await
        .unwrap();
    assert_eq!(forced.data.unwrap()["a"], "1");
    let mf = forced.metadata.managed_fields.unwrap();
    assert!(
        mf.iter()
            .any(|m| m.manager.as_deref() == Some("podnet")
                && m.operation.as_deref() == Some("Apply"))
    );

    // watch: existing objects first, then changes
    let mut stream = cms
        .watch(&WatchParams::default().labels("grp=g").timeout(10), "0")
        .await
        .unwrap()
        .boxed();
    let mut added = 0;
    while added < 5 {
        match stream.next().await {
            Some(Ok(WatchEvent::Added(_))) => added += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    cms.delete("c4", &DeleteParams::default()).await.unwrap();
    loop {
        match stream.next().await {
            Some(Ok(WatchEvent::Deleted(o))) => {
                assert_eq!(o.metadata.name.as_deref(), Some("c4"));
                break;
            }
            Some(Ok(WatchEvent::Bookmark(_))) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }

    // a Deployment becomes available; its pods land on nodes with IPs from the node podCIDR
    let deps: Api<Deployment> = Api::namespaced(c.clone(), "default");
    let d: Deployment =
        serde_json::from_value(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}))
        .unwrap();
    deps.create(&PostParams::default(), &d).await.unwrap();
    let mut ok = false;
    for _ in 0..100 {
        let d = deps.get("web").await.unwrap();
        if d.status.and_then(|s| s.available_replicas) == Some(2) {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "deployment became available");
    let pods: Api<Pod> = Api::namespaced(c.clone(), "default");
    let running = pods
        .list(
            &ListParams::default()
                .labels("app=web")
                .fields("status.phase=Running"),
        )
        .await
        .unwrap();
    assert_eq!(running.items.len(), 2);
    let nodes: Api<Node> = Api::all(c.clone());
    let hybrid = nodes
        .list(&ListParams::default().labels("eks.amazonaws.com/compute-type=hybrid"))
        .await
        .unwrap();
    assert_eq!(hybrid.items.len(), 1);
    // deleting the deployment garbage-collects its pods
    deps.delete("web", &DeleteParams::background())
        .await
        .unwrap();
    let mut gone = false;
    for _ in 0..100 {
        if pods
            .list(&ListParams::default().labels("app=web"))
            .await
            .unwrap()
            .items
            .is_empty()
        {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "pods garbage-collected");
}
