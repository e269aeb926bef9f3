//! Server-side printing: `meta.k8s.io/v1 Table` with kubectl's usual columns.

use crate::resources::ResourceType;
use crate::util::{age, str_at};
use serde_json::{Value, json};
use std::sync::Arc;

struct Col(&'static str, &'static str, i32);

fn columns(rt: &ResourceType) -> Vec<Col> {
    let name = Col("Name", "string", 0);
    let agec = Col("Age", "string", 0);
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Pod") => vec![
            name,
            Col("Ready", "string", 0),
            Col("Status", "string", 0),
            Col("Restarts", "string", 0),
            agec,
            Col("IP", "string", 1),
            Col("Node", "string", 1),
            Col("Nominated Node", "string", 1),
            Col("Readiness Gates", "string", 1),
        ],
        ("", "Node") => vec![
            name,
            Col("Status", "string", 0),
            Col("Roles", "string", 0),
            agec,
            Col("Version", "string", 0),
            Col("Internal-IP", "string", 1),
            Col("External-IP", "string", 1),
            Col("OS-Image", "string", 1),
            Col("Kernel-Version", "string", 1),
            Col("Container-Runtime", "string", 1),
        ],
        ("", "Namespace") => vec![name, Col("Status", "string", 0), agec],
        ("", "Service") => vec![
            name,
            Col("Type", "string", 0),
            Col("Cluster-IP", "string", 0),
            Col("External-IP", "string", 0),
            Col("Port(s)", "string", 0),
            agec,
            Col("Selector", "string", 1),
        ],
        ("", "ConfigMap") => vec![name, Col("Data", "integer", 0), agec],
        ("", "Secret") => vec![
            name,
            Col("Type", "string", 0),
            Col("Data", "integer", 0),
            agec,
        ],
        ("", "ServiceAccount") => vec![name, Col("Secrets", "integer", 0), agec],
        ("", "Endpoints") => vec![name, Col("Endpoints", "string", 0), agec],
        ("", "Event") => vec![
            Col("Last Seen", "string", 0),
            Col("Type", "string", 0),
            Col("Reason", "string", 0),
            Col("Object", "string", 0),
            Col("Message", "string", 0),
        ],
        ("apps", "DaemonSet") => vec![
            name,
            Col("Desired", "integer", 0),
            Col("Current", "integer", 0),
            Col("Ready", "integer", 0),
            Col("Up-to-date", "integer", 0),
            Col("Available", "integer", 0),
            Col("Node Selector", "string", 0),
            agec,
            Col("Containers", "string", 1),
            Col("Images", "string", 1),
            Col("Selector", "string", 1),
        ],
        ("apps", "Deployment") => vec![
            name,
            Col("Ready", "string", 0),
            Col("Up-to-date", "string", 0),
            Col("Available", "string", 0),
            agec,
            Col("Containers", "string", 1),
            Col("Images", "string", 1),
            Col("Selector", "string", 1),
        ],
        ("apps", "ReplicaSet") => vec![
            name,
            Col("Desired", "integer", 0),
            Col("Current", "integer", 0),
            Col("Ready", "integer", 0),
            agec,
            Col("Containers", "string", 1),
            Col("Images", "string", 1),
            Col("Selector", "string", 1),
        ],
        ("apps", "StatefulSet") => vec![name, Col("Ready", "string", 0), agec],
        ("batch", "CronJob") => vec![
            name,
            Col("Schedule", "string", 0),
            Col("Timezone", "string", 0),
            Col("Suspend", "boolean", 0),
            Col("Active", "integer", 0),
            Col("Last Schedule", "string", 0),
            agec,
        ],
        ("autoscaling", "HorizontalPodAutoscaler") => vec![
            name,
            Col("Reference", "string", 0),
            Col("Targets", "string", 0),
            Col("MinPods", "string", 0),
            Col("MaxPods", "integer", 0),
            Col("Replicas", "integer", 0),
            agec,
        ],
        ("networking.k8s.io", "Ingress") => vec![
            name,
            Col("Class", "string", 0),
            Col("Hosts", "string", 0),
            Col("Address", "string", 0),
            Col("Ports", "string", 0),
            agec,
        ],
        ("networking.k8s.io", "NetworkPolicy") => {
            vec![name, Col("Pod-Selector", "string", 0), agec]
        }
        ("discovery.k8s.io", "EndpointSlice") => vec![
            name,
            Col("AddressType", "string", 0),
            Col("Ports", "string", 0),
            Col("Endpoints", "string", 0),
            agec,
        ],
        ("", "PersistentVolumeClaim") => vec![
            name,
            Col("Status", "string", 0),
            Col("Volume", "string", 0),
            Col("Capacity", "string", 0),
            Col("Access Modes", "string", 0),
            Col("StorageClass", "string", 0),
            agec,
        ],
        ("apps", "ControllerRevision") => vec![
            name,
            Col("Controller", "string", 0),
            Col("Revision", "integer", 0),
            agec,
        ],
        ("batch", "Job") => vec![
            name,
            Col("Status", "string", 0),
            Col("Completions", "string", 0),
            Col("Duration", "string", 0),
            agec,
        ],
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            vec![name, Col("Created At", "date", 0)]
        }
        ("scheduling.k8s.io", "PriorityClass") => vec![
            name,
            Col("Value", "integer", 0),
            Col("Global-Default", "boolean", 0),
            agec,
        ],
        ("coordination.k8s.io", "Lease") => vec![name, Col("Holder", "string", 0), agec],
        ("rbac.authorization.k8s.io", "ClusterRoleBinding" | "RoleBinding") => {
            vec![name, Col("Role", "string", 0), agec]
        }
        ("rbac.authorization.k8s.io", "ClusterRole" | "Role") => {
            vec![name, Col("Created At", "date", 0)]
        }
        ("policy", "PodDisruptionBudget") => vec![
            name,
            Col("Min Available", "string", 0),
            Col("Max Unavailable", "string", 0),
            Col("Allowed Disruptions", "integer", 0),
            agec,
        ],
        _ => vec![name, agec],
    }
}

fn s(v: &Value, p: &[&str]) -> String {
    str_at(v, p).unwrap_or("").to_string()
}

fn or_none(x: String) -> String {
    if x.is_empty() { "<none>".into() } else { x }
}

fn n(v: &Value, p: &[&str]) -> i64 {
    let mut cur = v;
    for k in p {
        match cur.get(*k) {
            Some(c) => cur = c,
            None => return 0,
        }
    }
    cur.as_i64().unwrap_or(0)
}

fn containers_images(o: &Value) -> (String, String) {
    let cs = o["spec"]["template"]["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = cs.iter().filter_map(|c| c["name"].as_str()).collect();
    let imgs: Vec<&str> = cs.iter().filter_map(|c| c["image"].as_str()).collect();
    (names.join(","), imgs.join(","))
}

fn selector_string(sel: &Value) -> String {
    or_none(selector_query(sel))
}

/// A metav1.LabelSelector as a selector query string (`a=b,c in (d)`).
pub fn selector_query(sel: &Value) -> String {
    let mut parts = vec![];
    if let Some(m) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in m {
            parts.push(format!("{k}={}", v.as_str().unwrap_or_default()));
        }
    }
    if let Some(a) = sel.get("matchExpressions").and_then(Value::as_array) {
        for e in a {
            let k = e["key"].as_str().unwrap_or_default();
            let vals: Vec<&str> = e["values"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            parts.push(match e["operator"].as_str().unwrap_or_default() {
                "In" => format!("{k} in ({})", vals.join(",")),
                "NotIn" => format!("{k} notin ({})", vals.join(",")),
                "Exists" => k.to_string(),
                "DoesNotExist" => format!("!{k}"),
                _ => continue,
            });
        }
    }
    parts.join(",")
}

fn map_string(m: &Value) -> String {
    or_none(
        m.as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default(),
    )
}

pub fn pod_status_reason(o: &Value) -> String {
    if o["metadata"].get("deletionTimestamp").is_some() {
        return "Terminating".into();
    }
    let mut reason = s(o, &["status", "phase"]);
    if let Some(r) = str_at(o, &["status", "reason"]) {
        reason = r.to_string();
    }
    if let Some(cs) = o["status"]["containerStatuses"].as_array() {
        for c in cs.iter().rev() {
            if let Some(r) = c["state"]["waiting"]["reason"].as_str() {
                reason = r.to_string();
            } else if let Some(r) = c["state"]["terminated"]["reason"].as_str() {
                reason = r.to_string();
            }
        }
    }
    if reason.is_empty() {
        "Pending".into()
    } else {
        reason
    }
}

fn row(rt: &ResourceType, o: &Value) -> Vec<Value> {
    let name = json!(s(o, &["metadata", "name"]));
    let agev = json!(age(str_at(o, &["metadata", "creationTimestamp"])));
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Pod") => {
            let total = o["spec"]["containers"]
                .as_array()
                .map(|a| a.len())
                .unwrap_or(0);
            let cs = o["status"]["containerStatuses"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let ready = cs
                .iter()
                .filter(|c| c["ready"].as_bool() == Some(true))
                .count();
            let restarts: i64 = cs
                .iter()
                .map(|c| c["restartCount"].as_i64().unwrap_or(0))
                .sum();
            vec![
                name,
                json!(format!("{ready}/{total}")),
                json!(pod_status_reason(o)),
                json!(restarts.to_string()),
                agev,
                json!(or_none(s(o, &["status", "podIP"]))),
                json!(or_none(s(o, &["spec", "nodeName"]))),
                json!(or_none(s(o, &["status", "nominatedNodeName"]))),
                json!("<none>"),
            ]
        }
        ("", "Node") => {
            let ready = o["status"]["conditions"]
                .as_array()
                .and_then(|a| a.iter().find(|c| c["type"] == "Ready"))
                .map(|c| c["status"] == "True")
                .unwrap_or(false);
            let mut status = if ready {
                "Ready".to_string()
            } else {
                "NotReady".to_string()
            };
            if o["spec"]["unschedulable"].as_bool() == Some(true) {
                status.push_str(",SchedulingDisabled");
            }
            let roles: Vec<String> = o["metadata"]["labels"]
                .as_object()
                .map(|m| {
                    m.keys()
                        .filter_map(|k| {
                            k.strip_prefix("node-role.kubernetes.io/")
                                .map(str::to_string)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let addr = |t: &str| {
                o["status"]["addresses"]
                    .as_array()
                    .and_then(|a| a.iter().find(|x| x["type"] == t))
                    .and_then(|x| x["address"].as_str())
                    .unwrap_or("<none>")
                    .to_string()
            };
            vec![
                name,
                json!(status),
                json!(or_none(roles.join(","))),
                agev,
                json!(s(o, &["status", "nodeInfo", "kubeletVersion"])),
                json!(addr("InternalIP")),
                json!(addr("ExternalIP")),
                json!(or_none(s(o, &["status", "nodeInfo", "osImage"]))),
                json!(or_none(s(o, &["status", "nodeInfo", "kernelVersion"]))),
                json!(or_none(s(
                    o,
                    &["status", "nodeInfo", "containerRuntimeVersion"]
                ))),
            ]
        }
        ("", "Namespace") => vec![name, json!(s(o, &["status", "phase"])), agev],
        ("", "Service") => {
            let ports: Vec<String> = o["spec"]["ports"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|p| {
                            let mut x = p["port"].to_string();
                            if let Some(np) = p["nodePort"].as_i64() {
                                x = format!("{x}:{np}");
                            }
                            format!("{x}/{}", p["protocol"].as_str().unwrap_or("TCP"))
                        })
                        .collect()
                })
                .unwrap_or_default();
            vec![
                name,
                json!(s(o, &["spec", "type"])),
                json!(or_none(s(o, &["spec", "clusterIP"]))),
                json!("<none>"),
                json!(or_none(ports.join(","))),
                agev,
                json!(map_string(&o["spec"]["selector"])),
            ]
        }
        ("", "ConfigMap") => {
            let d = o["data"].as_object().map(|m| m.len()).unwrap_or(0)
                + o["binaryData"].as_object().map(|m| m.len()).unwrap_or(0);
            vec![name, json!(d), agev]
        }
        ("", "Secret") => vec![
            name,
            json!(s(o, &["type"])),
            json!(o["data"].as_object().map(|m| m.len()).unwrap_or(0)),
            agev,
        ],
        ("", "ServiceAccount") => vec![
            name,
            json!(o["secrets"].as_array().map(|a| a.len()).unwrap_or(0)),
            agev,
        ],
        ("", "Endpoints") => {
            let mut eps = vec![];
            for sub in o["subsets"].as_array().cloned().unwrap_or_default() {
                for a in sub["addresses"].as_array().cloned().unwrap_or_default() {
                    for p in sub["ports"].as_array().cloned().unwrap_or_default() {
                        eps.push(format!("{}:{}", a["ip"].as_str().unwrap_or(""), p["port"]));
                    }
                }
            }
            vec![name, json!(or_none(eps.join(","))), agev]
        }
        ("", "Event") => {
            let last = str_at(o, &["lastTimestamp"])
                .or_else(|| str_at(o, &["eventTime"]))
                .or_else(|| str_at(o, &["metadata", "creationTimestamp"]));
            vec![
                json!(age(last)),
                json!(s(o, &["type"])),
                json!(s(o, &["reason"])),
                json!(format!(
                    "{}/{}",
                    s(o, &["involvedObject", "kind"]).to_lowercase(),
                    s(o, &["involvedObject", "name"])
                )),
                json!(s(o, &["message"])),
            ]
        }
        ("apps", "DaemonSet") => {
            let (c, i) = containers_images(o);
            vec![
                name,
                json!(n(o, &["status", "desiredNumberScheduled"])),
                json!(n(o, &["status", "currentNumberScheduled"])),
                json!(n(o, &["status", "numberReady"])),
                json!(n(o, &["status", "updatedNumberScheduled"])),
                json!(n(o, &["status", "numberAvailable"])),
                json!(map_string(&o["spec"]["template"]["spec"]["nodeSelector"])),
                agev,
                json!(c),
                json!(i),
                json!(selector_string(&o["spec"]["selector"])),
            ]
        }
        ("apps", "Deployment") => {
            let (c, i) = containers_images(o);
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    n(o, &["status", "readyReplicas"]),
                    o["spec"]["replicas"].as_i64().unwrap_or(1)
                )),
                json!(n(o, &["status", "updatedReplicas"]).to_string()),
                json!(n(o, &["status", "availableReplicas"]).to_string()),
                agev,
                json!(c),
                json!(i),
                json!(selector_string(&o["spec"]["selector"])),
            ]
        }
        ("apps", "ReplicaSet") => {
            let (c, i) = containers_images(o);
            vec![
                name,
                json!(o["spec"]["replicas"].as_i64().unwrap_or(1)),
                json!(n(o, &["status", "replicas"])),
                json!(n(o, &["status", "readyReplicas"])),
                agev,
                json!(c),
                json!(i),
                json!(selector_string(&o["spec"]["selector"])),
            ]
        }
        ("batch", "CronJob") => vec![
            name,
            json!(s(o, &["spec", "schedule"])),
            json!(or_none(s(o, &["spec", "timeZone"]))),
            json!(o["spec"]["suspend"].as_bool().unwrap_or(false)),
            json!(
                o["status"]["active"]
                    .as_array()
                    .map(|a| a.len())
                    .unwrap_or(0)
            ),
            json!(
                str_at(o, &["status", "lastScheduleTime"])
                    .map(|t| age(Some(t)))
                    .unwrap_or_else(|| "<none>".into())
            ),
            agev,
        ],
        ("autoscaling", "HorizontalPodAutoscaler") => vec![
            name,
            json!(format!(
                "{}/{}",
                s(o, &["spec", "scaleTargetRef", "kind"]),
                s(o, &["spec", "scaleTargetRef", "name"])
            )),
            json!(
                o["spec"]["metrics"]
                    .as_array()
                    .map(|a| a
                        .iter()
                        .map(
                            |m| match m["resource"]["target"]["averageUtilization"].as_i64() {
                                Some(u) => format!(
                                    "{}: <unknown>/{u}%",
                                    m["resource"]["name"].as_str().unwrap_or("")
                                ),
                                None => "<unknown>".to_string(),
                            }
                        )
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_else(|| "<none>".into())
            ),
            json!(o["spec"]["minReplicas"].as_i64().unwrap_or(1).to_string()),
            json!(o["spec"]["maxReplicas"].as_i64().unwrap_or(0)),
            json!(o["status"]["currentReplicas"].as_i64().unwrap_or(0)),
            agev,
        ],
        ("networking.k8s.io", "Ingress") => {
            let hosts: Vec<&str> = o["spec"]["rules"]
                .as_array()
                .map(|a| a.iter().filter_map(|r| r["host"].as_str()).collect())
                .unwrap_or_default();
            vec![
                name,
                json!(or_none(s(o, &["spec", "ingressClassName"]))),
                json!(if hosts.is_empty() {
                    "*".to_string()
                } else {
                    hosts.join(",")
                }),
                json!(""),
                json!(if o["spec"]["tls"].is_array() {
                    "80, 443"
                } else {
                    "80"
                }),
                agev,
            ]
        }
        ("networking.k8s.io", "NetworkPolicy") => vec![
            name,
            json!(or_none(selector_query(&o["spec"]["podSelector"]))),
            agev,
        ],
        ("discovery.k8s.io", "EndpointSlice") => {
            let ports: Vec<String> = o["ports"]
                .as_array()
                .map(|a| a.iter().map(|p| p["port"].to_string()).collect())
                .unwrap_or_default();
            let eps: Vec<String> = o["endpoints"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .flat_map(|e| e["addresses"].as_array().cloned().unwrap_or_default())
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            vec![
                name,
                json!(s(o, &["addressType"])),
                json!(or_none(ports.join(","))),
                json!(or_none(eps.join(","))),
                agev,
            ]
        }
        ("", "PersistentVolumeClaim") => vec![
            name,
            json!(s(o, &["status", "phase"])),
            json!(s(o, &["spec", "volumeName"])),
            json!(s(o, &["status", "capacity", "storage"])),
            json!(""),
            json!(or_none(s(o, &["spec", "storageClassName"]))),
            agev,
        ],
        ("apps", "ControllerRevision") => {
            let owner = o["metadata"]["ownerReferences"]
                .as_array()
                .and_then(|a| a.first())
                .map(|r| {
                    format!(
                        "{}.{}/{}",
                        r["kind"].as_str().unwrap_or("").to_lowercase(),
                        r["apiVersion"]
                            .as_str()
                            .unwrap_or("")
                            .split('/')
                            .next()
                            .unwrap_or(""),
                        r["name"].as_str().unwrap_or("")
                    )
                })
                .unwrap_or_else(|| "<none>".into());
            vec![
                name,
                json!(owner),
                json!(o["revision"].as_i64().unwrap_or(0)),
                agev,
            ]
        }
        ("apps", "StatefulSet") => vec![
            name,
            json!(format!(
                "{}/{}",
                n(o, &["status", "readyReplicas"]),
                o["spec"]["replicas"].as_i64().unwrap_or(1)
            )),
            agev,
        ],
        ("batch", "Job") => {
            let complete = o["status"]["conditions"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|c| c["type"] == "Complete" && c["status"] == "True")
            });
            vec![
                name,
                json!(if complete { "Complete" } else { "Running" }),
                json!(format!(
                    "{}/{}",
                    n(o, &["status", "succeeded"]),
                    o["spec"]["completions"].as_i64().unwrap_or(1)
                )),
                json!(""),
                agev,
            ]
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition")
        | ("rbac.authorization.k8s.io", "ClusterRole" | "Role") => {
            vec![name, json!(s(o, &["metadata", "creationTimestamp"]))]
        }
        ("scheduling.k8s.io", "PriorityClass") => vec![
            name,
            json!(o["value"].as_i64().unwrap_or(0)),
            json!(o["globalDefault"].as_bool().unwrap_or(false)),
            agev,
        ],
        ("coordination.k8s.io", "Lease") => {
            vec![name, json!(s(o, &["spec", "holderIdentity"])), agev]
        }
        ("rbac.authorization.k8s.io", "ClusterRoleBinding" | "RoleBinding") => vec![
            name,
            json!(format!(
                "{}/{}",
                s(o, &["roleRef", "kind"]),
                s(o, &["roleRef", "name"])
            )),
            agev,
        ],
        ("policy", "PodDisruptionBudget") => {
            let f = |k: &str| match &o["spec"][k] {
                Value::Null => "N/A".to_string(),
                Value::String(x) => x.clone(),
                v => v.to_string(),
            };
            vec![
                name,
                json!(f("minAvailable")),
                json!(f("maxUnavailable")),
                json!(n(o, &["status", "disruptionsAllowed"])),
                agev,
            ]
        }
        _ => vec![name, agev],
    }
}

/// Evaluates a simple JSONPath like `.spec.foo` or `.status.conditions[?(@.type=="Ready")].status`.
fn json_path(o: &Value, path: &str) -> Value {
    let mut cur = o.clone();
    let p = path.trim_start_matches('.');
    let mut segs = vec![];
    let mut depth = 0;
    let mut cur_seg = String::new();
    for c in p.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ => {}
        }
        if c == '.' && depth == 0 {
            segs.push(std::mem::take(&mut cur_seg));
        } else {
            cur_seg.push(c);
        }
    }
    segs.push(cur_seg);
    for seg in segs.iter().map(String::as_str) {
        if seg.is_empty() {
            continue;
        }
        let (field, filter) = match seg.find('[') {
            Some(i) => (&seg[..i], Some(&seg[i..])),
            None => (seg, None),
        };
        cur = cur.get(field).cloned().unwrap_or(Value::Null);
        if let Some(f) = filter {
            if let Ok(idx) = f.trim_matches(|c| c == '[' || c == ']').parse::<usize>() {
                cur = cur.get(idx).cloned().unwrap_or(Value::Null);
            } else if let Some(cond) = f.strip_prefix("[?(@.").and_then(|x| x.strip_suffix(")]"))
                && let Some((k, v)) = cond.split_once("==")
            {
                let v = v.trim_matches(|c| c == '"' || c == '\'');
                cur = cur
                    .as_array()
                    .and_then(|a| a.iter().find(|i| i[k].as_str() == Some(v)).cloned())
                    .unwrap_or(Value::Null);
            }
        }
    }
    cur
}

fn cell_of(v: &Value, typ: &str) -> Value {
    match (v, typ) {
        (Value::Null, _) => Value::Null,
        (Value::String(s), "date") => json!(age(Some(s))),
        _ => v.clone(),
    }
}

/// Builds a Table for `objs`. `include` is the includeObject parameter.
pub fn table(rt: &ResourceType, objs: &[Arc<Value>], include: &str, list_meta: Value) -> Value {
    let mut col_defs: Vec<Value>;
    let mut rows = Vec::with_capacity(objs.len());
    if rt.crd.is_some() && !rt.printer_columns.is_empty() {
        col_defs = vec![
            json!({"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0}),
        ];
        for c in &rt.printer_columns {
            col_defs.push(json!({
                "name": c["name"], "type": c["type"].as_str().unwrap_or("string"),
                "format": c["format"].as_str().unwrap_or(""),
                "description": c["description"].as_str().unwrap_or(""),
                "priority": c["priority"].as_i64().unwrap_or(0),
            }));
        }
        let has_age = rt.printer_columns.iter().any(|c| c["name"] == "Age");
        if !has_age {
            col_defs.push(json!({"name": "Age", "type": "date", "format": "", "description": "", "priority": 0}));
        }
        for o in objs {
            let mut cells = vec![json!(s(o, &["metadata", "name"]))];
            for c in &rt.printer_columns {
                let typ = c["type"].as_str().unwrap_or("string");
                cells.push(cell_of(
                    &json_path(o, c["jsonPath"].as_str().unwrap_or("")),
                    typ,
                ));
            }
            if !has_age {
                cells.push(json!(age(str_at(o, &["metadata", "creationTimestamp"]))));
            }
            rows.push(row_obj(cells, o, include));
        }
    } else {
        col_defs = columns(rt)
            .into_iter()
            .map(|Col(n, t, p)| {
                json!({"name": n, "type": t, "format": if n == "Name" { "name" } else { "" },
                       "description": "", "priority": p})
            })
            .collect();
        for o in objs {
            rows.push(row_obj(row(rt, o), o, include));
        }
    }
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": col_defs,
        "rows": rows,
    })
}

fn row_obj(cells: Vec<Value>, o: &Value, include: &str) -> Value {
    let object = match include {
        "None" => Value::Null,
        "Object" => o.clone(),
        _ => json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": o["metadata"],
        }),
    };
    let mut r = json!({"cells": cells});
    if !object.is_null() {
        r["object"] = object;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonpath() {
        let o = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}, "spec": {"a": 1}});
        assert_eq!(json_path(&o, ".spec.a"), json!(1));
        assert_eq!(
            json_path(&o, ".status.conditions[?(@.type==\"Ready\")].status"),
            json!("True")
        );
    }
}
