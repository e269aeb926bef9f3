//! OpenAPI v3 documents: enough for kubectl's server-side field validation check,
//! `kubectl apply` and `kubectl explain` on the core kinds. OpenAPI v2 is not served
//! (kubectl asks for it only as protobuf and falls back when it is missing).

use crate::resources::ResourceType;
use crate::store::Store;
use serde_json::{Map, Value, json};

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// Group-version path as used in the v3 index: `api/v1`, `apis/apps/v1`.
fn gv_path(rt: &ResourceType) -> String {
    if rt.group.is_empty() {
        format!("api/{}", rt.version)
    } else {
        format!("apis/{}/{}", rt.group, rt.version)
    }
}

fn schema_name(rt: &ResourceType) -> String {
    if rt.crd.is_some() {
        let rev: Vec<&str> = rt.group.split('.').rev().collect();
        return format!("{}.{}.{}", rev.join("."), rt.version, rt.kind);
    }
    let g = match rt.group.as_str() {
        "" => "core".to_string(),
        "apiextensions.k8s.io" => {
            return format!(
                "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.{}.{}",
                rt.version, rt.kind
            );
        }
        "apiregistration.k8s.io" => {
            return format!(
                "io.k8s.kube-aggregator.pkg.apis.apiregistration.{}.{}",
                rt.version, rt.kind
            );
        }
        g => g.trim_end_matches(".k8s.io").replace('.', "_"),
    };
    format!("io.k8s.api.{g}.{}.{}", rt.version, rt.kind)
}

fn gv_hash(types: &[&ResourceType]) -> String {
    let s: String = types.iter().map(|t| format!("{t:?}")).collect();
    crate::util::short_hash(&s).to_uppercase()
}

pub fn serve(st: &Store, path: &str, _q: &[(String, String)]) -> Option<Value> {
    if path == "/openapi/v3" {
        let mut paths = Map::new();
        let mut gvs: Vec<String> = st.types.iter().map(|t| gv_path(t)).collect();
        gvs.dedup();
        gvs.sort();
        gvs.dedup();
        for gv in gvs {
            let ts: Vec<&ResourceType> = st
                .types
                .iter()
                .filter(|t| gv_path(t) == gv)
                .map(|t| &**t)
                .collect();
            paths.insert(
                gv.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{gv}?hash={}", gv_hash(&ts))}),
            );
        }
        return Some(json!({"paths": paths}));
    }
    let gv = path.strip_prefix("/openapi/v3/")?;
    let ts: Vec<&ResourceType> = st
        .types
        .iter()
        .filter(|t| gv_path(t) == gv)
        .map(|t| &**t)
        .collect();
    if ts.is_empty() {
        return None;
    }
    Some(gv_doc(&ts))
}

/// A Swagger 2.0 document with a definition per kind (for clients that read /openapi/v2 as JSON).
pub fn v2(st: &Store) -> Value {
    let mut defs = Map::new();
    defs.insert(META.into(), object_meta());
    for rt in &st.types {
        let mut sc = kind_schema(rt);
        // v2 spells references #/definitions/…
        let text = serde_json::to_string(&sc)
            .unwrap_or_default()
            .replace("#/components/schemas/", "#/definitions/");
        sc = serde_json::from_str(&text).unwrap_or(sc);
        defs.insert(schema_name(rt), sc);
        for (n, x) in extra_schemas(rt) {
            let text = serde_json::to_string(&x)
                .unwrap_or_default()
                .replace("#/components/schemas/", "#/definitions/");
            defs.insert(n, serde_json::from_str(&text).unwrap_or(x));
        }
    }
    json!({"swagger": "2.0", "info": {"title": "Kubernetes", "version": "unversioned"},
           "paths": {}, "definitions": defs})
}

fn param(name: &str, typ: &str) -> Value {
    json!({"name": name, "in": "query", "description": format!("{name} query parameter"),
           "schema": {"type": typ, "uniqueItems": true}})
}

fn gv_doc(ts: &[&ResourceType]) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert(META.into(), object_meta());
    for rt in ts {
        let sname = schema_name(rt);
        let gvk = json!({"group": rt.group, "version": rt.version, "kind": rt.kind});
        let prefix = if rt.group.is_empty() {
            format!("/api/{}", rt.version)
        } else {
            format!("/apis/{}/{}", rt.group, rt.version)
        };
        let item = if rt.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", rt.plural)
        } else {
            format!("{prefix}/{}/{{name}}", rt.plural)
        };
        let collection = if rt.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}", rt.plural)
        } else {
            format!("{prefix}/{}", rt.plural)
        };
        let resp = json!({"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{sname}")}}}}});
        let op = |action: &str, extra: Vec<Value>| {
            let mut params = vec![param("dryRun", "string"), param("fieldManager", "string")];
            params.extend(extra);
            json!({
                "description": format!("{action} the specified {}", rt.kind),
                "operationId": format!("{action}{}", rt.kind),
                "parameters": params,
                "responses": resp,
                "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk,
            })
        };
        if rt.has_verb("get") {
            paths.insert(
                item.clone(),
                json!({
                    "get": op("get", vec![]),
                    "put": op("put", vec![param("fieldValidation", "string")]),
                    "patch": op("patch", vec![param("fieldValidation", "string"), param("force", "boolean")]),
                    "delete": op("delete", vec![]),
                    "parameters": [
                        {"name": "name", "in": "path", "required": true, "schema": {"type": "string", "uniqueItems": true}}
                    ],
                }),
            );
        }
        paths.insert(
            collection,
            json!({"post": op("post", vec![param("fieldValidation", "string")])}),
        );
        let full = if rt.crd.is_none() {
            crate::proto::kind_message(&rt.api_version(), &rt.kind)
        } else {
            None
        };
        match full {
            Some(msg) => {
                // every field of the built-in kind, from its protobuf schema; the hand-written
                // descriptions are laid over it
                let hand: Vec<(String, Value)> = extra_schemas(rt);
                for (n, mut sc) in crate::proto::openapi_schemas(&msg) {
                    if n == sname {
                        let k = kind_schema(rt);
                        sc["description"] = k["description"].clone();
                        sc["x-kubernetes-group-version-kind"] =
                            k["x-kubernetes-group-version-kind"].clone();
                        sc["properties"]["apiVersion"] = k["properties"]["apiVersion"].clone();
                        sc["properties"]["kind"] = k["properties"]["kind"].clone();
                    }
                    if let Some((_, h)) = hand.iter().find(|(hn, _)| *hn == n) {
                        overlay_descriptions(&mut sc, h);
                    }
                    if n == META {
                        overlay_descriptions(&mut sc, &object_meta());
                    }
                    schemas.insert(n, sc);
                }
            }
            None => {
                schemas.insert(sname.clone(), kind_schema(rt));
                for (n, s) in extra_schemas(rt) {
                    schemas.insert(n, s);
                }
            }
        }
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "unversioned"},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

/// Copies descriptions from a hand-written schema onto a generated one.
fn overlay_descriptions(generated: &mut Value, hand: &Value) {
    if let Some(d) = hand.get("description") {
        generated["description"] = d.clone();
    }
    if let (Some(gp), Some(hp)) = (
        generated
            .get_mut("properties")
            .and_then(Value::as_object_mut),
        hand.get("properties").and_then(Value::as_object),
    ) {
        for (k, hv) in hp {
            if let (Some(gv), Some(d)) = (gp.get_mut(k), hv.get("description")) {
                gv["description"] = d.clone();
            }
        }
    }
}

fn object_meta() -> Value {
    json!({
        "description": "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.",
        "type": "object",
        "properties": {
            "name": {"description": "Name must be unique within a namespace.", "type": "string"},
            "generateName": {"description": "GenerateName is an optional prefix, used by the server, to generate a unique name.", "type": "string"},
            "namespace": {"description": "Namespace defines the space within which each name must be unique.", "type": "string"},
            "labels": {"description": "Map of string keys and values that can be used to organize and categorize objects.", "type": "object", "additionalProperties": {"type": "string", "default": ""}},
            "annotations": {"description": "Annotations is an unstructured key value map stored with a resource.", "type": "object", "additionalProperties": {"type": "string", "default": ""}},
            "uid": {"description": "UID is the unique in time and space value for this object.", "type": "string"},
            "resourceVersion": {"description": "An opaque value that represents the internal version of this object.", "type": "string"},
            "generation": {"description": "A sequence number representing a specific generation of the desired state.", "type": "integer", "format": "int64"},
            "creationTimestamp": {"description": "CreationTimestamp is a timestamp representing the server time when this object was created.", "type": "string", "format": "date-time"},
            "deletionTimestamp": {"description": "DeletionTimestamp is the time after which this resource will be deleted.", "type": "string", "format": "date-time"},
            "finalizers": {"description": "Must be empty before the object is deleted from the registry.", "type": "array", "items": {"type": "string", "default": ""}},
            "ownerReferences": {"description": "List of objects depended by this object.", "type": "array", "items": {"type": "object"}},
            "managedFields": {"description": "ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.", "type": "array", "items": {"type": "object"}},
        }
    })
}

fn s(desc: &str) -> Value {
    json!({"description": desc, "type": "string"})
}
fn i(desc: &str) -> Value {
    json!({"description": desc, "type": "integer", "format": "int32"})
}
fn r(desc: &str, name: &str) -> Value {
    json!({"description": desc, "allOf": [{"$ref": format!("#/components/schemas/{name}")}]})
}
fn arr(desc: &str, name: &str) -> Value {
    json!({"description": desc, "type": "array", "items": {"allOf": [{"$ref": format!("#/components/schemas/{name}")}], "default": {}}})
}
fn smap(desc: &str) -> Value {
    json!({"description": desc, "type": "object", "additionalProperties": {"type": "string", "default": ""}})
}
fn obj(desc: &str) -> Value {
    json!({"description": desc, "type": "object", "x-kubernetes-preserve-unknown-fields": true})
}

fn spec_of(rt: &ResourceType) -> Option<(String, Value)> {
    let core = "io.k8s.api.core.v1";
    let tmpl = format!("{core}.PodTemplateSpec");
    let sel = r(
        "A label query over pods.",
        "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector",
    );
    let (name, props) = match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Pod") => return None,
        ("apps", "Deployment") => (
            "io.k8s.api.apps.v1.DeploymentSpec",
            json!({
                "replicas": i("Number of desired pods. Defaults to 1."),
                "selector": sel,
                "template": r("Template describes the pods that will be created.", &tmpl),
                "strategy": obj("The deployment strategy to use to replace existing pods with new ones."),
                "minReadySeconds": i("Minimum number of seconds for which a newly created pod should be ready."),
                "revisionHistoryLimit": i("The number of old ReplicaSets to retain to allow rollback."),
                "progressDeadlineSeconds": i("The maximum time in seconds for a deployment to make progress."),
                "paused": {"description": "Indicates that the deployment is paused.", "type": "boolean"},
            }),
        ),
        ("apps", "DaemonSet") => (
            "io.k8s.api.apps.v1.DaemonSetSpec",
            json!({
                "selector": sel,
                "template": r("An object that describes the pod that will be created on every eligible node.", &tmpl),
                "updateStrategy": obj("An update strategy to replace existing DaemonSet pods with new pods."),
                "minReadySeconds": i("The minimum number of seconds for which a newly created DaemonSet pod should be ready."),
                "revisionHistoryLimit": i("The number of old history to retain to allow rollback."),
            }),
        ),
        ("apps", "ReplicaSet" | "StatefulSet") => (
            if rt.kind == "ReplicaSet" {
                "io.k8s.api.apps.v1.ReplicaSetSpec"
            } else {
                "io.k8s.api.apps.v1.StatefulSetSpec"
            },
            json!({
                "replicas": i("Replicas is the number of desired pods."),
                "selector": sel,
                "template": r("Template is the object that describes the pod that will be created.", &tmpl),
            }),
        ),
        ("", "Service") => (
            "io.k8s.api.core.v1.ServiceSpec",
            json!({
                "type": s("type determines how the Service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName."),
                "selector": smap("Route service traffic to pods with label keys and values matching this selector."),
                "ports": {"description": "The list of ports that are exposed by this service.", "type": "array", "items": {"type": "object"}},
                "clusterIP": s("clusterIP is the IP address of the service."),
            }),
        ),
        _ => return None,
    };
    Some((
        name.to_string(),
        json!({"description": format!("{} describes the desired state.", name.rsplit('.').next().unwrap_or("")), "type": "object", "properties": props}),
    ))
}

fn extra_schemas(rt: &ResourceType) -> Vec<(String, Value)> {
    let mut out = vec![];
    if let Some(x) = spec_of(rt) {
        out.push(x);
    }
    let core = "io.k8s.api.core.v1";
    let uses_pods = matches!(
        (rt.group.as_str(), rt.kind.as_str()),
        ("", "Pod") | ("apps", _) | ("batch", _)
    );
    if uses_pods {
        out.push((
            format!("{core}.PodTemplateSpec"),
            json!({"description": "PodTemplateSpec describes the data a pod should have when created from a template.",
                   "type": "object",
                   "properties": {"metadata": r("Standard object's metadata.", META),
                                  "spec": r("Specification of the desired behavior of the pod.", &format!("{core}.PodSpec"))}}),
        ));
        out.push((format!("{core}.PodSpec"), json!({
            "description": "PodSpec is a description of a pod.",
            "type": "object",
            "required": ["containers"],
            "properties": {
                "containers": arr("List of containers belonging to the pod.", &format!("{core}.Container")),
                "initContainers": arr("List of initialization containers belonging to the pod.", &format!("{core}.Container")),
                "nodeName": s("NodeName indicates in which node this pod is scheduled."),
                "nodeSelector": smap("NodeSelector is a selector which must be true for the pod to fit on a node."),
                "affinity": obj("If specified, the pod's scheduling constraints."),
                "tolerations": {"description": "If specified, the pod's tolerations.", "type": "array", "items": {"type": "object"}},
                "serviceAccountName": s("ServiceAccountName is the name of the ServiceAccount to use to run this pod."),
                "hostNetwork": {"description": "Host networking requested for this pod.", "type": "boolean"},
                "priorityClassName": s("If specified, indicates the pod's priority."),
                "restartPolicy": s("Restart policy for all containers within the pod."),
                "volumes": {"description": "List of volumes that can be mounted by containers belonging to the pod.", "type": "array", "items": {"type": "object"}},
            }
        })));
        out.push((format!("{core}.Container"), json!({
            "description": "A single application container that you want to run within a pod.",
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": s("Name of the container specified as a DNS_LABEL."),
                "image": s("Container image name."),
                "imagePullPolicy": s("Image pull policy. One of Always, Never, IfNotPresent."),
                "command": {"description": "Entrypoint array.", "type": "array", "items": {"type": "string", "default": ""}},
                "args": {"description": "Arguments to the entrypoint.", "type": "array", "items": {"type": "string", "default": ""}},
                "env": {"description": "List of environment variables to set in the container.", "type": "array", "items": {"type": "object"}},
                "ports": {"description": "List of ports to expose from the container.", "type": "array", "items": {"type": "object"}},
                "resources": obj("Compute Resources required by this container."),
                "securityContext": obj("SecurityContext defines the security options the container should be run with."),
                "volumeMounts": {"description": "Pod volumes to mount into the container's filesystem.", "type": "array", "items": {"type": "object"}},
            }
        })));
        out.push((
            "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector".into(),
            json!({"description": "A label selector is a label query over a set of resources.", "type": "object",
                   "properties": {"matchLabels": smap("matchLabels is a map of {key,value} pairs."),
                                  "matchExpressions": {"description": "matchExpressions is a list of label selector requirements.", "type": "array", "items": {"type": "object"}}}}),
        ));
    }
    out
}

fn kind_doc(rt: &ResourceType) -> String {
    match rt.kind.as_str() {
        "Pod" => "Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.".into(),
        "Deployment" => "Deployment enables declarative updates for Pods and ReplicaSets.".into(),
        "DaemonSet" => "DaemonSet represents the configuration of a daemon set.".into(),
        "ConfigMap" => "ConfigMap holds configuration data for pods to consume.".into(),
        "Secret" => "Secret holds secret data of a certain type.".into(),
        "Service" => "Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.".into(),
        "Node" => "Node is a worker node in Kubernetes.".into(),
        "Namespace" => "Namespace provides a scope for Names.".into(),
        k => format!("{k} is a {} resource served by kubesim.", if rt.group.is_empty() { "core" } else { &rt.group }),
    }
}

fn kind_schema(rt: &ResourceType) -> Value {
    if let Some(sc) = &rt.schema {
        let mut sc = sc.clone();
        sc["x-kubernetes-group-version-kind"] =
            json!([{"group": rt.group, "version": rt.version, "kind": rt.kind}]);
        if sc
            .get("properties")
            .and_then(|p| p.get("metadata"))
            .is_some()
        {
            sc["properties"]["metadata"] = r("Standard object's metadata.", META);
        }
        return sc;
    }
    let mut props = json!({
        "apiVersion": s("APIVersion defines the versioned schema of this representation of an object."),
        "kind": s("Kind is a string value representing the REST resource this object represents."),
        "metadata": r("Standard object's metadata.", META),
    });
    let core = "io.k8s.api.core.v1";
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Pod") => {
            props["spec"] = r(
                "Specification of the desired behavior of the pod.",
                &format!("{core}.PodSpec"),
            );
            props["status"] = obj("Most recently observed status of the pod.");
        }
        ("", "ConfigMap") => {
            props["data"] = smap("Data contains the configuration data.");
            props["binaryData"] = smap("BinaryData contains the binary data.");
            props["immutable"] = json!({"description": "Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated.", "type": "boolean"});
        }
        ("", "Secret") => {
            props["data"] = smap("Data contains the secret data, base64 encoded.");
            props["stringData"] =
                smap("stringData allows specifying non-binary secret data in string form.");
            props["type"] = s("Used to facilitate programmatic handling of secret data.");
            props["immutable"] = json!({"description": "Immutable, if set to true, ensures that data stored in the Secret cannot be updated.", "type": "boolean"});
        }
        _ => {
            if let Some((n, _)) = spec_of(rt) {
                props["spec"] = r("Spec defines the desired behavior.", &n);
            } else {
                props["spec"] = obj("Spec defines the desired behavior.");
            }
            props["status"] = obj("Status is the most recently observed status.");
        }
    }
    let mut out = json!({
        "description": kind_doc(rt),
        "type": "object",
        "properties": props,
        "x-kubernetes-group-version-kind": [{"group": rt.group, "version": rt.version, "kind": rt.kind}],
    });
    if !matches!(rt.kind.as_str(), "Pod" | "ConfigMap" | "Secret") || !rt.group.is_empty() {
        out["x-kubernetes-preserve-unknown-fields"] = json!(true);
    }
    out
}
