//! HTTP front end: routing, content negotiation, verbs.

use crate::body::{RespBody, collect};
use crate::discovery;
use crate::error::{ApiError, ApiResult};
use crate::faults::Faults;
use crate::fields;
use crate::obj::Obj;
use crate::openapi;
use crate::patch;
use crate::resources::ResourceType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::store::{DeleteOpts, Snapshot, Store, WatchEvent, WriteOpts};
use crate::table;
use crate::util;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

pub struct Config {
    pub kube_version: String,
    pub token: Option<String>,
    pub verbose: bool,
    pub faults: Faults,
}

pub struct Shared {
    pub store: Mutex<Store>,
    pub cfg: Config,
    pub server_addr: Mutex<String>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Req {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub accept: String,
    pub content_type: String,
    pub user_agent: String,
    pub body: Vec<u8>,
}

impl Req {
    pub fn q(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
    }

    fn flag(&self, k: &str) -> bool {
        matches!(self.q(k), Some("true") | Some("1") | Some(""))
    }

    fn dry_run(&self) -> bool {
        self.query.iter().any(|(k, v)| k == "dryRun" && v == "All")
    }

    fn manager(&self) -> String {
        match self.q("fieldManager") {
            Some(m) if !m.is_empty() => m.to_string(),
            _ => match self.user_agent.split('/').next() {
                Some(ua) if !ua.trim().is_empty() => ua.trim().to_string(),
                _ => "unknown".to_string(),
            },
        }
    }

    fn wants_table(&self) -> bool {
        self.accept.contains("as=Table")
    }

    fn body_value(&self) -> ApiResult<Value> {
        if self.body.starts_with(b"k8s\0") {
            return crate::proto::decode(&self.body)
                .map_err(|e| ApiError::new(415, "UnsupportedMediaType", e));
        }
        parse_body(&self.body)
    }
}

pub fn parse_body(b: &[u8]) -> ApiResult<Value> {
    if b.iter().all(|c| c.is_ascii_whitespace()) {
        return Err(ApiError::bad_request("request body is empty"));
    }
    match serde_json::from_slice(b) {
        Ok(v) => Ok(v),
        Err(je) => {
            let s = std::str::from_utf8(b)
                .map_err(|e| ApiError::bad_request(format!("request body is not UTF-8: {e}")))?;
            serde_saphyr::from_str::<Value>(s).map_err(|ye| {
                ApiError::bad_request(format!(
                    "error decoding request body: json: {je}; yaml: {ye}"
                ))
            })
        }
    }
}

type Resp = Response<RespBody>;

pub fn json_resp(code: u16, v: &Value) -> Resp {
    bytes_resp(
        code,
        "application/json",
        serde_json::to_vec(v).unwrap_or_default(),
    )
}

pub fn bytes_resp(code: u16, ct: &str, b: impl Into<Bytes>) -> Resp {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("Content-Type", ct)
        .header("Cache-Control", "no-cache, private")
        .body(RespBody::full(b))
        .expect("response")
}

pub fn error_resp(e: &ApiError) -> Resp {
    let mut r = json_resp(e.code, &e.to_status());
    for (k, v) in &e.headers {
        if let (Ok(k), Ok(v)) = (
            hyper::header::HeaderName::from_bytes(k.as_bytes()),
            hyper::header::HeaderValue::from_str(v),
        ) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Resp {
    let method = req.method().as_str().to_string();
    let uri = req.uri().clone();
    let hdr = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let accept = hdr("accept");
    let content_type = hdr("content-type");
    let user_agent = hdr("user-agent");
    let auth = hdr("authorization");
    let body = match collect(req.into_body()).await {
        Ok(b) => b,
        Err(e) => return error_resp(&ApiError::bad_request(e)),
    };
    let r = Req {
        method,
        path: uri.path().to_string(),
        query: util::parse_query(uri.query().unwrap_or("")),
        accept,
        content_type,
        user_agent,
        body,
    };
    if let Some(tok) = &shared.cfg.token
        && !matches!(
            r.path.as_str(),
            "/healthz" | "/readyz" | "/livez" | "/version"
        )
        && auth != format!("Bearer {tok}")
    {
        let e = ApiError::new(401, "Unauthorized", "Unauthorized");
        return error_resp(&e);
    }
    let after = match shared.cfg.faults.before(&r).await {
        Ok(after) => after,
        Err(resp) => return resp,
    };
    let resp = Faults::after(after, route(&shared, &r).await).await;
    if shared.cfg.verbose {
        eprintln!(
            "kubesim: {} {}{} [{}] [{}] -> {}",
            r.method,
            r.path,
            uri.query().map(|q| format!("?{q}")).unwrap_or_default(),
            r.accept,
            r.content_type,
            resp.status().as_u16()
        );
    }
    resp
}

async fn route(shared: &Arc<Shared>, r: &Req) -> Resp {
    let path = r.path.trim_end_matches('/');
    match path {
        "/healthz" | "/readyz" | "/livez" => return bytes_resp(200, "text/plain", "ok"),
        "/version" => return json_resp(200, &discovery::version(&shared.cfg.kube_version)),
        "/api" | "/apis" => {
            let core = path == "/api";
            if wants_aggregated(&r.accept) {
                let v = discovery::aggregated(&shared.lock(), core);
                return bytes_resp(
                    200,
                    discovery::AGGREGATED_V2,
                    serde_json::to_vec(&v).unwrap_or_default(),
                );
            }
            if core {
                let addr = shared
                    .server_addr
                    .lock()
                    .map(|a| a.clone())
                    .unwrap_or_default();
                return json_resp(200, &discovery::api_versions(&addr));
            }
            return json_resp(200, &discovery::api_groups(&shared.lock()));
        }
        _ => {}
    }
    if path == "/openapi/v2" {
        // JSON only: kubectl asks for protobuf and falls back to v3 when refused
        if r.accept.contains("protobuf")
            || !(r.accept.is_empty() || r.accept.contains("json") || r.accept.contains("*/*"))
        {
            return error_resp(&ApiError::new(
                406,
                "NotAcceptable",
                "only application/json is supported for /openapi/v2",
            ));
        }
        return json_resp(200, &openapi::v2(&shared.lock()));
    }
    if path.starts_with("/openapi/") {
        let st = shared.lock();
        return match openapi::serve(&st, path, &r.query) {
            Some(v) => json_resp(200, &v),
            None => error_resp(&ApiError::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            )),
        };
    }
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g] => {
            return match discovery::api_group(&shared.lock(), g) {
                Some(v) => json_resp(200, &v),
                None => not_found_path(),
            };
        }
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return not_found_path(),
    };
    if rest.is_empty() {
        return match discovery::resource_list(&shared.lock(), group, version) {
            Some(v) => json_resp(200, &v),
            None => not_found_path(),
        };
    }
    // resolve [namespaces/{ns}/]{plural}[/{name}[/{sub}]]
    let resolved = {
        let st = shared.lock();
        let mut ns = None;
        let mut rest = rest;
        if rest.len() >= 3
            && rest[0] == "namespaces"
            && st
                .find(group, version, rest[2])
                .is_some_and(|rt| rt.namespaced)
        {
            ns = Some(rest[1].to_string());
            rest = &rest[2..];
        }
        match st.find(group, version, rest[0]) {
            Some(rt) if rest.len() <= 3 => Some((
                rt,
                ns,
                rest.get(1).map(|s| s.to_string()),
                rest.get(2).map(|s| s.to_string()),
            )),
            _ => None,
        }
    };
    let Some((rt, ns, name, sub)) = resolved else {
        return not_found_path();
    };
    let res = dispatch(shared, r, rt, ns, name, sub).await;
    match res {
        Ok(resp) => resp,
        Err(e) => error_resp(&e),
    }
}

/// Whether the client accepts aggregated discovery v2 (and prefers it to plain JSON).
fn wants_aggregated(accept: &str) -> bool {
    accept.split(',').any(|a| {
        let a = a.replace(' ', "");
        a.contains("as=APIGroupDiscoveryList") && a.contains("v=v2") && !a.contains("v=v2beta1")
    }) && std::env::var_os("KUBESIM_NO_AGGREGATED_DISCOVERY").is_none()
}

fn not_found_path() -> Resp {
    error_resp(&ApiError::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    ))
}

/// Sets the apiVersion a client asked for (CRDs with several versions share storage).
fn out_obj(rt: &ResourceType, v: &Value) -> Value {
    if v["apiVersion"].as_str() == Some(rt.api_version().as_str()) {
        v.clone()
    } else {
        let mut v = v.clone();
        v["apiVersion"] = json!(rt.api_version());
        v
    }
}

async fn dispatch(
    shared: &Arc<Shared>,
    r: &Req,
    rt: Arc<ResourceType>,
    ns: Option<String>,
    name: Option<String>,
    sub: Option<String>,
) -> ApiResult<Resp> {
    let nsv = ns.clone().unwrap_or_default();
    let sub = sub.unwrap_or_default();
    let sub_ok = sub.is_empty()
        || (sub == "status" && rt.status)
        || (sub == "scale" && rt.scale)
        || matches!(sub.as_str(), "eviction" | "token" | "log" | "finalize");
    if !sub_ok {
        return Err(ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ));
    }
    let verb_ok = |v: &str| {
        if rt.has_verb(v) {
            Ok(())
        } else {
            Err(ApiError::method_not_allowed(format!(
                "the server does not allow this method on the requested resource ({v} {})",
                rt.plural
            )))
        }
    };
    match (r.method.as_str(), name) {
        ("GET", None) => {
            if r.flag("watch") {
                verb_ok("watch")?;
                return watch(shared, r, rt, ns).await;
            }
            verb_ok("list")?;
            list(shared, r, &rt, ns.as_deref())
        }
        ("GET", Some(name)) => {
            verb_ok("get")?;
            if sub == "log" {
                return Ok(bytes_resp(
                    200,
                    "text/plain",
                    format!("kubesim: no logs for {name}\n"),
                ));
            }
            let st = shared.lock();
            let obj = st.get(&rt, &nsv, &name)?;
            drop(st);
            if sub == "scale" {
                return Ok(json_resp(200, &scale_of(&rt, &obj)));
            }
            let obj = out_obj(&rt, &obj);
            if r.wants_table() {
                let t = table::table(
                    &rt,
                    &[Arc::new(obj)],
                    r.q("includeObject").unwrap_or(""),
                    json!({}),
                );
                return Ok(json_resp(200, &t));
            }
            Ok(json_resp(200, &obj))
        }
        ("POST", None) => {
            verb_ok("create")?;
            let body = r.body_value()?;
            check_kind(&rt, &body)?;
            check_fields(r, &rt, &body)?;
            if rt.has_verb("get") {
                let mut st = shared.lock();
                let opts = WriteOpts {
                    dry_run: r.dry_run(),
                    manager: r.manager(),
                    ..Default::default()
                };
                let out = st.create(&rt, &nsv, body, &opts)?;
                return Ok(json_resp(201, &out_obj(&rt, &out)));
            }
            // review-like kinds: answer allowed
            let mut out = body;
            out["status"] = match rt.kind.as_str() {
                "SelfSubjectReview" => {
                    json!({"userInfo": {"username": "kubesim-admin", "groups": ["system:masters", "system:authenticated"]}})
                }
                _ => json!({"allowed": true, "reason": "kubesim allows everything"}),
            };
            Ok(json_resp(201, &out))
        }
        ("POST", Some(name)) => {
            let mut st = shared.lock();
            match sub.as_str() {
                "eviction" => {
                    st.delete(&rt, &nsv, &name, &DeleteOpts::default())?;
                    Ok(json_resp(
                        201,
                        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
                    ))
                }
                "token" => {
                    st.get(&rt, &nsv, &name)?;
                    let mut body = r.body_value().unwrap_or(json!({}));
                    body["status"] = json!({"token": format!("kubesim-token-{}", util::rand_suffix(16)),
                        "expirationTimestamp": util::rfc3339(util::now_secs() + 3600)});
                    Ok(json_resp(201, &body))
                }
                _ => Err(ApiError::method_not_allowed(
                    "POST on a named resource is not supported",
                )),
            }
        }
        ("PUT", Some(name)) => {
            verb_ok("update")?;
            let body = r.body_value()?;
            let mut st = shared.lock();
            let opts = WriteOpts {
                dry_run: r.dry_run(),
                manager: r.manager(),
                ..Default::default()
            };
            if sub == "scale" {
                let cur = st.get(&rt, &nsv, &name)?;
                let mut n = (*cur).clone();
                n["spec"]["replicas"] = body["spec"]["replicas"].clone();
                let out = st.update(&rt, &nsv, &name, n, "", &opts)?;
                return Ok(json_resp(200, &scale_of(&rt, &out)));
            }
            if sub.is_empty() {
                check_kind(&rt, &body)?;
                check_fields(r, &rt, &body)?;
            }
            let sub = if sub == "finalize" {
                String::new()
            } else {
                sub
            };
            let out = st.update(&rt, &nsv, &name, body, &sub, &opts)?;
            Ok(json_resp(200, &out_obj(&rt, &out)))
        }
        ("PATCH", Some(name)) => {
            verb_ok("patch")?;
            patch_obj(shared, r, &rt, &nsv, &name, &sub)
        }
        ("DELETE", Some(name)) => {
            verb_ok("delete")?;
            let opts = delete_opts(r)?;
            let mut st = shared.lock();
            let out = st.delete(&rt, &nsv, &name, &opts)?;
            let code = if out["metadata"].get("deletionTimestamp").is_some()
                && st.get(&rt, &nsv, &name).is_ok()
            {
                202
            } else {
                200
            };
            Ok(json_resp(code, &out_obj(&rt, &out)))
        }
        ("DELETE", None) => {
            verb_ok("deletecollection")?;
            let opts = delete_opts(r)?;
            let ls = LabelSelector::parse(r.q("labelSelector").unwrap_or(""))?;
            let fs = FieldSelector::parse(r.q("fieldSelector").unwrap_or(""))?;
            let mut st = shared.lock();
            let victims: Vec<Arc<Obj>> = st
                .list(&rt, ns.as_deref())
                .into_iter()
                .filter(|o| ls.matches(o.labels()) && fs.matches_obj(o))
                .collect();
            let mut items = vec![];
            for v in victims {
                if let Ok(o) = st.delete(&rt, &v.ns, &v.name, &opts) {
                    items.push(o);
                }
            }
            let rv = st.rv;
            Ok(json_resp(
                200,
                &json!({"kind": format!("{}List", rt.kind), "apiVersion": rt.api_version(),
                "metadata": {"resourceVersion": rv.to_string()}, "items": items}),
            ))
        }
        _ => Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource ({})",
            r.method
        ))),
    }
}

/// Server-side field validation (`fieldValidation=Strict`) of a request body against the
/// built-in kinds' schemas.
fn check_fields(r: &Req, rt: &ResourceType, body: &Value) -> ApiResult<()> {
    if r.q("fieldValidation") != Some("Strict") || rt.crd.is_some() {
        return Ok(());
    }
    let unknown = crate::proto::unknown_fields(&rt.api_version(), &rt.kind, body);
    if unknown.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = unknown
        .iter()
        .map(|u| format!("unknown field \"{u}\""))
        .collect();
    Err(ApiError::bad_request(format!(
        "{} in version \"{}\" cannot be handled as a {}: strict decoding error: {}",
        rt.kind,
        rt.version,
        rt.kind,
        list.join(", ")
    )))
}

fn check_kind(rt: &ResourceType, body: &Value) -> ApiResult<()> {
    if let Some(k) = body["kind"].as_str()
        && !k.is_empty()
        && k != rt.kind
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({}) does not match the expected API version ({}) or kind {k} does not match {}",
            body["apiVersion"].as_str().unwrap_or(""),
            rt.api_version(),
            rt.kind
        )));
    }
    Ok(())
}

fn delete_opts(r: &Req) -> ApiResult<DeleteOpts> {
    let body = if r.body.iter().all(|c| c.is_ascii_whitespace()) {
        json!({})
    } else {
        r.body_value()?
    };
    let dry = r.dry_run()
        || body["dryRun"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "All"));
    Ok(DeleteOpts {
        dry_run: dry,
        propagation: r
            .q("propagationPolicy")
            .map(str::to_string)
            .or_else(|| body["propagationPolicy"].as_str().map(str::to_string)),
        grace_seconds: r
            .q("gracePeriodSeconds")
            .and_then(|g| g.parse().ok())
            .or_else(|| body["gracePeriodSeconds"].as_i64()),
        precondition_uid: body["preconditions"]["uid"].as_str().map(str::to_string),
        precondition_rv: body["preconditions"]["resourceVersion"]
            .as_str()
            .map(str::to_string),
    })
}

fn scale_of(rt: &ResourceType, obj: &Value) -> Value {
    let sel = table::selector_query(&obj["spec"]["selector"]);
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {"name": obj["metadata"]["name"], "namespace": obj["metadata"]["namespace"],
                     "uid": obj["metadata"]["uid"], "resourceVersion": obj["metadata"]["resourceVersion"],
                     "creationTimestamp": obj["metadata"]["creationTimestamp"]},
        "spec": {"replicas": obj["spec"]["replicas"].as_i64().unwrap_or(if rt.kind == "Deployment" { 1 } else { 0 })},
        "status": {"replicas": obj["status"]["replicas"].as_i64().unwrap_or(0), "selector": sel},
    })
}

fn patch_obj(
    shared: &Arc<Shared>,
    r: &Req,
    rt: &Arc<ResourceType>,
    ns: &str,
    name: &str,
    sub: &str,
) -> ApiResult<Resp> {
    let ct = r.content_type.split(';').next().unwrap_or("").trim();
    let mut st = shared.lock();
    let opts = WriteOpts {
        dry_run: r.dry_run(),
        manager: r.manager(),
        ..Default::default()
    };
    if ct == "application/apply-patch+yaml" || ct == "application/apply-patch+json" {
        let Some(mgr) = r.q("fieldManager").filter(|m| !m.is_empty()) else {
            return Err(ApiError::invalid(
                "PatchOptions",
                "meta.k8s.io",
                "",
                "fieldManager: Required value: is required for apply patch",
            ));
        };
        let applied = r.body_value()?;
        if sub.is_empty() {
            check_kind(rt, &applied)?;
            check_fields(r, rt, &applied)?;
        }
        let force = r.flag("force");
        let cur = st.get(rt, ns, name).ok();
        let merged = fields::apply(cur.as_deref(), &applied, mgr, &rt.api_version(), force, sub)
            .map_err(|cs| {
                let msg = if cs.len() == 1 {
                    format!(
                        "Apply failed with 1 conflict: conflict with \"{}\" using {}: {}",
                        cs[0].manager, cs[0].api_version, cs[0].path
                    )
                } else {
                    let lines: Vec<String> = cs
                        .iter()
                        .map(|c| format!("- conflict with \"{}\" using {}: {}", c.manager, c.api_version, c.path))
                        .collect();
                    format!("Apply failed with {} conflicts: {}", cs.len(), lines.join("\n"))
                };
                let causes: Vec<Value> = cs
                    .iter()
                    .map(|c| json!({"reason": "FieldManagerConflict",
                        "message": format!("conflict with \"{}\" using {}", c.manager, c.api_version),
                        "field": c.path}))
                    .collect();
                ApiError::new(409, "Conflict", msg).with_details(json!({
                    "name": name, "group": rt.group, "kind": rt.plural, "causes": causes}))
            })?;
        let wopts = WriteOpts {
            keep_managed: true,
            manager: String::new(),
            ..opts
        };
        let out = match cur {
            None => {
                let mut m = merged;
                m["metadata"]["name"] = json!(name);
                let o = st.create(rt, ns, m, &wopts)?;
                return Ok(json_resp(201, &out_obj(rt, &o)));
            }
            Some(_) => {
                let mut m = merged;
                if let Some(o) = m["metadata"].as_object_mut() {
                    o.remove("resourceVersion");
                }
                st.update(rt, ns, name, m, sub, &wopts)?
            }
        };
        return Ok(json_resp(200, &out_obj(rt, &out)));
    }
    let cur = st.get(rt, ns, name)?;
    let p = r.body_value()?;
    if sub.is_empty() && ct != "application/json-patch+json" {
        check_fields(r, rt, &p)?;
    }
    let base = if sub == "scale" {
        scale_of(rt, &cur)
    } else {
        (*cur).clone()
    };
    let new = match ct {
        "application/json-patch+json" => patch::json_patch(&base, &p),
        "application/merge-patch+json" => Ok(patch::merge_patch(&base, &p)),
        "application/strategic-merge-patch+json" => {
            if rt.crd.is_some() {
                return Err(ApiError::new(
                    415,
                    "UnsupportedMediaType",
                    "strategic merge patch is not supported for custom resources",
                ));
            }
            patch::strategic_merge(&base, &p)
        }
        other => {
            return Err(ApiError::new(
                415,
                "UnsupportedMediaType",
                format!("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {other:?})"),
            ));
        }
    }
    .map_err(|e| ApiError::new(422, "Invalid", e))?;
    if sub == "scale" {
        let mut n = (*cur).clone();
        n["spec"]["replicas"] = new["spec"]["replicas"].clone();
        let out = st.update(rt, ns, name, n, "", &opts)?;
        return Ok(json_resp(200, &scale_of(rt, &out)));
    }
    let out = st.update(rt, ns, name, new, sub, &opts)?;
    Ok(json_resp(200, &out_obj(rt, &out)))
}

// ------------------------------------------------------------------ list

fn list(shared: &Arc<Shared>, r: &Req, rt: &ResourceType, ns: Option<&str>) -> ApiResult<Resp> {
    let ls = LabelSelector::parse(r.q("labelSelector").unwrap_or(""))?;
    let fs = FieldSelector::parse(r.q("fieldSelector").unwrap_or(""))?;
    let limit: usize = r.q("limit").and_then(|l| l.parse().ok()).unwrap_or(0);
    let cont = r.q("continue").unwrap_or("");
    let (items, rv, offset, snap_id) = {
        let mut st = shared.lock();
        if !cont.is_empty() {
            let (id, off) = cont
                .split_once(':')
                .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<usize>().ok()?)))
                .ok_or_else(|| ApiError::bad_request("invalid continue token"))?;
            let snap = st.snapshots.get(&id).ok_or_else(|| {
                ApiError::gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
            })?;
            (snap.items.clone(), snap.rv, off, Some(id))
        } else {
            let all = st.list(rt, ns);
            let items: Vec<Arc<Obj>> = if ls.is_empty() && fs.is_empty() {
                all
            } else {
                all.into_iter()
                    .filter(|o| ls.matches(o.labels()) && fs.matches_obj(o))
                    .collect()
            };
            let rv = st.rv;
            let items = Arc::new(items);
            let mut id = None;
            if limit > 0 && items.len() > limit {
                st.gc_snapshots();
                st.snap_seq += 1;
                let sid = st.snap_seq;
                st.snapshots.insert(
                    sid,
                    Snapshot {
                        items: items.clone(),
                        rv,
                        created: std::time::Instant::now(),
                    },
                );
                id = Some(sid);
            }
            (items, rv, 0, id)
        }
    };
    let end = if limit > 0 {
        (offset + limit).min(items.len())
    } else {
        items.len()
    };
    let page = &items[offset.min(items.len())..end];
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if end < items.len() {
        meta["continue"] = json!(format!("{}:{}", snap_id.unwrap_or(0), end));
        meta["remainingItemCount"] = json!(items.len() - end);
    }
    if r.wants_table() {
        let vals: Vec<Arc<Value>> = page.iter().map(|o| Arc::new(o.value())).collect();
        let t = table::table(rt, &vals, r.q("includeObject").unwrap_or(""), meta);
        return Ok(json_resp(200, &t));
    }
    // hand-rolled serialisation: big lists stay cheap
    let mut out = Vec::with_capacity(page.len() * 1024 + 256);
    out.extend_from_slice(b"{\"kind\":");
    out.extend_from_slice(&serde_json::to_vec(&format!("{}List", rt.kind)).unwrap_or_default());
    out.extend_from_slice(b",\"apiVersion\":");
    out.extend_from_slice(&serde_json::to_vec(&rt.api_version()).unwrap_or_default());
    out.extend_from_slice(b",\"metadata\":");
    out.extend_from_slice(&serde_json::to_vec(&meta).unwrap_or_default());
    out.extend_from_slice(b",\"items\":[");
    let want_av = rt.api_version();
    for (i, o) in page.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if *o.api_version == *want_av {
            out.extend_from_slice(o.raw());
        } else {
            let _ = serde_json::to_writer(&mut out, &out_obj(rt, &o.value()));
        }
    }
    out.extend_from_slice(b"]}");
    Ok(bytes_resp(200, "application/json", out))
}

// ------------------------------------------------------------------ watch

struct WatchFilter {
    key: String,
    ns: Option<String>,
    ls: LabelSelector,
    fs: FieldSelector,
}

impl WatchFilter {
    fn matches(&self, o: &Obj) -> bool {
        if let Some(ns) = &self.ns
            && *o.ns != **ns
        {
            return false;
        }
        self.ls.matches(o.labels()) && self.fs.matches_obj(o)
    }

    /// Translates a store event into the event this watcher sees, if any.
    fn translate(&self, ev: &WatchEvent) -> Option<(&'static str, Arc<Obj>)> {
        if ev.key != self.key {
            return None;
        }
        let now = self.matches(&ev.obj);
        match ev.etype {
            "MODIFIED" => {
                let before = ev.prev.as_ref().map(|p| self.matches(p)).unwrap_or(true);
                match (before, now) {
                    (true, true) => Some(("MODIFIED", ev.obj.clone())),
                    (false, true) => Some(("ADDED", ev.obj.clone())),
                    (true, false) => Some(("DELETED", ev.obj.clone())),
                    (false, false) => None,
                }
            }
            t => now.then(|| (t, ev.obj.clone())),
        }
    }
}

/// One watch event line for a stored object.
fn obj_event_line(rt: &ResourceType, etype: &str, obj: &Obj, table_mode: Option<&str>) -> Bytes {
    if table_mode.is_none() && *obj.api_version == *rt.api_version() {
        let mut v = Vec::with_capacity(obj.raw().len() + 32);
        v.extend_from_slice(b"{\"type\":\"");
        v.extend_from_slice(etype.as_bytes());
        v.extend_from_slice(b"\",\"object\":");
        v.extend_from_slice(obj.raw());
        v.extend_from_slice(b"}\n");
        return Bytes::from(v);
    }
    event_line(rt, etype, &obj.value(), table_mode)
}

fn event_line(rt: &ResourceType, etype: &str, obj: &Value, table_mode: Option<&str>) -> Bytes {
    let o = match table_mode {
        Some(inc) if etype != "BOOKMARK" && etype != "ERROR" => table::table(
            rt,
            &[Arc::new(out_obj(rt, obj))],
            inc,
            json!({"resourceVersion": obj["metadata"]["resourceVersion"]}),
        ),
        _ if etype == "BOOKMARK" || etype == "ERROR" => obj.clone(),
        _ => out_obj(rt, obj),
    };
    let mut v = serde_json::to_vec(&json!({"type": etype, "object": o})).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}

async fn watch(
    shared: &Arc<Shared>,
    r: &Req,
    rt: Arc<ResourceType>,
    ns: Option<String>,
) -> ApiResult<Resp> {
    let filter = WatchFilter {
        key: rt.key(),
        ns: ns.clone().filter(|_| rt.namespaced),
        ls: LabelSelector::parse(r.q("labelSelector").unwrap_or(""))?,
        fs: FieldSelector::parse(r.q("fieldSelector").unwrap_or(""))?,
    };
    let table_mode = r
        .wants_table()
        .then(|| r.q("includeObject").unwrap_or("").to_string());
    let bookmarks = r.flag("allowWatchBookmarks");
    let send_initial = r.q("sendInitialEvents") == Some("true");
    let timeout = r
        .q("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(1800));
    let rv_param = r.q("resourceVersion").unwrap_or("").to_string();
    let (tx, rx) = mpsc::channel::<Bytes>(1024);
    let mut initial: Vec<Bytes> = vec![];
    let (mut brx, start_rv, expired) = {
        let st = shared.lock();
        let brx = st.tx.subscribe();
        let cur_rv = st.rv;
        if rv_param.is_empty() || rv_param == "0" || send_initial {
            for o in st.list(&rt, filter.ns.as_deref()) {
                if filter.matches(&o) {
                    initial.push(obj_event_line(&rt, "ADDED", &o, table_mode.as_deref()));
                }
            }
            if send_initial && bookmarks {
                let bm = json!({"kind": rt.kind, "apiVersion": rt.api_version(),
                    "metadata": {"resourceVersion": cur_rv.to_string(),
                                 "annotations": {"k8s.io/initial-events-end": "true"}}});
                initial.push(event_line(&rt, "BOOKMARK", &bm, None));
            }
            (brx, cur_rv, false)
        } else {
            let from: u64 = rv_param.parse().map_err(|_| {
                ApiError::bad_request(format!("invalid resource version {rv_param:?}"))
            })?;
            if from < st.history_floor {
                (brx, cur_rv, true)
            } else {
                for ev in st.history.iter().filter(|e| e.rv > from) {
                    if let Some((t, o)) = filter.translate(ev) {
                        initial.push(obj_event_line(&rt, t, &o, table_mode.as_deref()));
                    }
                }
                (brx, cur_rv, false)
            }
        }
    };
    if expired {
        let status = ApiError::gone(format!("too old resource version: {rv_param} ({start_rv})"))
            .to_status();
        let mut line =
            serde_json::to_vec(&json!({"type": "ERROR", "object": status})).unwrap_or_default();
        line.push(b'\n');
        let _ = tx.try_send(Bytes::from(line));
        drop(tx);
        return Ok(stream_resp(rx));
    }
    let rt2 = rt.clone();
    let max_events = shared.cfg.faults.watch_close_after();
    tokio::spawn(async move {
        let mut sent = 0usize;
        for b in initial {
            if tx.send(b).await.is_err() {
                return;
            }
            sent += 1;
        }
        if max_events.is_some_and(|m| sent >= m) {
            return;
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        tick.tick().await;
        let mut last_rv = start_rv;
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                _ = tick.tick() => {
                    if bookmarks {
                        let bm = json!({"kind": rt2.kind, "apiVersion": rt2.api_version(),
                            "metadata": {"resourceVersion": last_rv.to_string()}});
                        if tx.send(event_line(&rt2, "BOOKMARK", &bm, None)).await.is_err() {
                            return;
                        }
                    }
                }
                ev = brx.recv() => {
                    match ev {
                        Ok(ev) => {
                            if ev.rv <= start_rv {
                                continue;
                            }
                            last_rv = ev.rv;
                            if let Some((t, o)) = filter.translate(&ev) {
                                if tx.send(obj_event_line(&rt2, t, &o, table_mode.as_deref())).await.is_err() {
                                    return;
                                }
                                sent += 1;
                                if max_events.is_some_and(|m| sent >= m) {
                                    return;
                                }
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => return,
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                }
            }
        }
    });
    Ok(stream_resp(rx))
}

fn stream_resp(rx: mpsc::Receiver<Bytes>) -> Resp {
    Response::builder()
        .status(200)
        .header("Content-Type", "application/json")
        .header("Cache-Control", "no-cache, private")
        .body(RespBody::Stream(rx))
        .expect("response")
}
