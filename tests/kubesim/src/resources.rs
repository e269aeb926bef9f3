//! The API resource types served: built-in kinds and those defined by CRDs.

use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub verbs: Vec<String>,
    pub status: bool,
    pub scale: bool,
    /// Defined by a CustomResourceDefinition (name of the CRD).
    pub crd: Option<String>,
    /// additionalPrinterColumns of a CRD version.
    pub printer_columns: Vec<Value>,
    /// openAPIV3Schema of a CRD version.
    pub schema: Option<Value>,
    /// Whether this version is the storage (preferred) version of its group/resource.
    pub preferred: bool,
}

impl ResourceType {
    /// Storage key shared by all versions of a group/resource.
    pub fn key(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn group_version(&self) -> String {
        self.api_version()
    }

    pub fn has_verb(&self, v: &str) -> bool {
        self.verbs.iter().any(|x| x == v)
    }
}

const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

struct B {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    cats: &'static [&'static str],
    status: bool,
    scale: bool,
    verbs: Option<&'static [&'static str]>,
}

const fn b(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
) -> B {
    B {
        group,
        version,
        kind,
        plural,
        namespaced,
        short,
        cats: &[],
        status: false,
        scale: false,
        verbs: None,
    }
}

const fn st(mut x: B) -> B {
    x.status = true;
    x
}
const fn sc(mut x: B) -> B {
    x.scale = true;
    x
}
const fn all(mut x: B) -> B {
    x.cats = &["all"];
    x
}
const fn verbs(mut x: B, v: &'static [&'static str]) -> B {
    x.verbs = Some(v);
    x
}

const NS_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];
const CREATE_ONLY: &[&str] = &["create"];

fn builtin_table() -> Vec<B> {
    vec![
        st(verbs(
            b("", "v1", "Namespace", "namespaces", false, &["ns"]),
            NS_VERBS,
        )),
        st(b("", "v1", "Node", "nodes", false, &["no"])),
        all(st(b("", "v1", "Pod", "pods", true, &["po"]))),
        all(st(verbs(
            b("", "v1", "Service", "services", true, &["svc"]),
            NS_VERBS,
        ))),
        b("", "v1", "Endpoints", "endpoints", true, &["ep"]),
        b("", "v1", "ConfigMap", "configmaps", true, &["cm"]),
        b("", "v1", "Secret", "secrets", true, &[]),
        b("", "v1", "ServiceAccount", "serviceaccounts", true, &["sa"]),
        b("", "v1", "Event", "events", true, &["ev"]),
        st(b(
            "",
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            true,
            &["pvc"],
        )),
        st(b(
            "",
            "v1",
            "PersistentVolume",
            "persistentvolumes",
            false,
            &["pv"],
        )),
        b("", "v1", "LimitRange", "limitranges", true, &["limits"]),
        st(b(
            "",
            "v1",
            "ResourceQuota",
            "resourcequotas",
            true,
            &["quota"],
        )),
        all(st(b(
            "apps",
            "v1",
            "DaemonSet",
            "daemonsets",
            true,
            &["ds"],
        ))),
        all(sc(st(b(
            "apps",
            "v1",
            "Deployment",
            "deployments",
            true,
            &["deploy"],
        )))),
        all(sc(st(b(
            "apps",
            "v1",
            "ReplicaSet",
            "replicasets",
            true,
            &["rs"],
        )))),
        all(sc(st(b(
            "apps",
            "v1",
            "StatefulSet",
            "statefulsets",
            true,
            &["sts"],
        )))),
        b(
            "apps",
            "v1",
            "ControllerRevision",
            "controllerrevisions",
            true,
            &[],
        ),
        all(st(b("batch", "v1", "Job", "jobs", true, &[]))),
        all(st(b(
            "autoscaling",
            "v2",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
            true,
            &["hpa"],
        ))),
        all(st(b("batch", "v1", "CronJob", "cronjobs", true, &["cj"]))),
        b(
            "rbac.authorization.k8s.io",
            "v1",
            "Role",
            "roles",
            true,
            &[],
        ),
        b(
            "rbac.authorization.k8s.io",
            "v1",
            "RoleBinding",
            "rolebindings",
            true,
            &[],
        ),
        b(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole",
            "clusterroles",
            false,
            &[],
        ),
        b(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRoleBinding",
            "clusterrolebindings",
            false,
            &[],
        ),
        st(b(
            "policy",
            "v1",
            "PodDisruptionBudget",
            "poddisruptionbudgets",
            true,
            &["pdb"],
        )),
        b(
            "networking.k8s.io",
            "v1",
            "NetworkPolicy",
            "networkpolicies",
            true,
            &["netpol"],
        ),
        b(
            "networking.k8s.io",
            "v1",
            "IngressClass",
            "ingressclasses",
            false,
            &[],
        ),
        st(b(
            "networking.k8s.io",
            "v1",
            "Ingress",
            "ingresses",
            true,
            &["ing"],
        )),
        b(
            "scheduling.k8s.io",
            "v1",
            "PriorityClass",
            "priorityclasses",
            false,
            &["pc"],
        ),
        b("coordination.k8s.io", "v1", "Lease", "leases", true, &[]),
        b(
            "discovery.k8s.io",
            "v1",
            "EndpointSlice",
            "endpointslices",
            true,
            &[],
        ),
        b(
            "storage.k8s.io",
            "v1",
            "StorageClass",
            "storageclasses",
            false,
            &["sc"],
        ),
        b(
            "admissionregistration.k8s.io",
            "v1",
            "MutatingWebhookConfiguration",
            "mutatingwebhookconfigurations",
            false,
            &[],
        ),
        b(
            "admissionregistration.k8s.io",
            "v1",
            "ValidatingWebhookConfiguration",
            "validatingwebhookconfigurations",
            false,
            &[],
        ),
        st(b(
            "apiregistration.k8s.io",
            "v1",
            "APIService",
            "apiservices",
            false,
            &[],
        )),
        st(b(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
            &["crd", "crds"],
        )),
        verbs(
            b(
                "authorization.k8s.io",
                "v1",
                "SelfSubjectAccessReview",
                "selfsubjectaccessreviews",
                false,
                &[],
            ),
            CREATE_ONLY,
        ),
        verbs(
            b(
                "authorization.k8s.io",
                "v1",
                "SubjectAccessReview",
                "subjectaccessreviews",
                false,
                &[],
            ),
            CREATE_ONLY,
        ),
        verbs(
            b(
                "authentication.k8s.io",
                "v1",
                "SelfSubjectReview",
                "selfsubjectreviews",
                false,
                &[],
            ),
            CREATE_ONLY,
        ),
    ]
}

/// The built-in resource types, in discovery order.
pub fn builtins() -> Vec<ResourceType> {
    builtin_table()
        .into_iter()
        .map(|x| ResourceType {
            group: x.group.into(),
            version: x.version.into(),
            kind: x.kind.into(),
            plural: x.plural.into(),
            singular: x.kind.to_lowercase(),
            namespaced: x.namespaced,
            short_names: x.short.iter().map(|s| s.to_string()).collect(),
            categories: x.cats.iter().map(|s| s.to_string()).collect(),
            verbs: x
                .verbs
                .unwrap_or(ALL_VERBS)
                .iter()
                .map(|s| s.to_string())
                .collect(),
            status: x.status,
            scale: x.scale,
            crd: None,
            printer_columns: vec![],
            schema: None,
            preferred: true,
        })
        .collect()
}

/// Resource types served by a CustomResourceDefinition object (one per served version).
pub fn from_crd(crd: &Value) -> Vec<ResourceType> {
    let spec = &crd["spec"];
    let group = spec["group"].as_str().unwrap_or_default().to_string();
    let names = &spec["names"];
    let kind = names["kind"].as_str().unwrap_or_default().to_string();
    let plural = names["plural"].as_str().unwrap_or_default().to_string();
    let singular = names["singular"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_lowercase());
    let strs = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let namespaced = spec["scope"].as_str() != Some("Cluster");
    let mut out = vec![];
    let versions = spec["versions"].as_array().cloned().unwrap_or_default();
    for v in &versions {
        if v["served"].as_bool() == Some(false) {
            continue;
        }
        let sub = &v["subresources"];
        out.push(ResourceType {
            group: group.clone(),
            version: v["name"].as_str().unwrap_or("v1").to_string(),
            kind: kind.clone(),
            plural: plural.clone(),
            singular: singular.clone(),
            namespaced,
            short_names: strs(&names["shortNames"]),
            categories: strs(&names["categories"]),
            verbs: ALL_VERBS.iter().map(|s| s.to_string()).collect(),
            status: sub.get("status").is_some(),
            scale: sub.get("scale").is_some(),
            crd: crd["metadata"]["name"].as_str().map(str::to_string),
            printer_columns: v["additionalPrinterColumns"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
            schema: v["schema"].get("openAPIV3Schema").cloned(),
            preferred: v["storage"].as_bool().unwrap_or(false),
        });
    }
    if !out.iter().any(|r| r.preferred)
        && let Some(f) = out.first_mut()
    {
        f.preferred = true;
    }
    out
}

/// Checks that a CRD is well-formed enough to serve; returns an error message otherwise.
pub fn validate_crd(crd: &Value) -> Result<(), String> {
    let spec = &crd["spec"];
    let group = spec["group"].as_str().unwrap_or_default();
    let plural = spec["names"]["plural"].as_str().unwrap_or_default();
    if group.is_empty() || plural.is_empty() || spec["names"]["kind"].as_str().is_none() {
        return Err("spec.group, spec.names.plural and spec.names.kind are required".into());
    }
    let expected = format!("{plural}.{group}");
    let name = crd["metadata"]["name"].as_str().unwrap_or_default();
    if name != expected {
        return Err(format!(
            "metadata.name: Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"
        ));
    }
    if spec["versions"].as_array().is_none_or(|v| v.is_empty()) {
        return Err("spec.versions: Required value: must have exactly one version marked as storage version".into());
    }
    Ok(())
}

/// The status a real API server writes to an accepted CRD.
pub fn crd_status(crd: &Value) -> Value {
    let now = crate::util::now_rfc3339();
    let names = crd["spec"]["names"].clone();
    let mut accepted = names.clone();
    if accepted.get("singular").is_none() {
        accepted["singular"] = json!(names["kind"].as_str().unwrap_or_default().to_lowercase());
    }
    if accepted.get("listKind").is_none() {
        accepted["listKind"] = json!(format!(
            "{}List",
            names["kind"].as_str().unwrap_or_default()
        ));
    }
    let stored: Vec<Value> = crd["spec"]["versions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|v| v["storage"].as_bool() == Some(true))
                .map(|v| v["name"].clone())
                .collect()
        })
        .unwrap_or_default();
    json!({
        "acceptedNames": accepted,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
             "message": "no conflicts found", "lastTransitionTime": now},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
             "message": "the initial names have been accepted", "lastTransitionTime": now}
        ],
        "storedVersions": stored
    })
}
