//! Helm hooks: documents annotated `helm.sh/hook` are kept out of the release manifest, recorded
//! in the release's `hooks` list (as Helm records them, so `helm` can run them later) and run at
//! their events — in weight order, each waited for (Jobs until complete, Pods until they end),
//! with Helm's delete policies (`before-hook-creation` when none is given, `hook-succeeded`,
//! `hook-failed`). Charts use them for one-off Jobs, such as a certificate Job after install and
//! upgrade.

use std::time::{Duration, Instant};

use kube::Client;
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::apply::{Resolver, gvk_of, object_ref, own, parse_doc};
use super::hints::Hints;
use super::storage::{Release, now_rfc3339};
use crate::error::{Error, Result};
use crate::helm;
use crate::kube::with_retries;

pub const ANNOTATION: &str = "helm.sh/hook";
const WEIGHT: &str = "helm.sh/hook-weight";
const DELETE_POLICY: &str = "helm.sh/hook-delete-policy";
const BEFORE_CREATION: &str = "before-hook-creation";
const SUCCEEDED: &str = "hook-succeeded";
const FAILED: &str = "hook-failed";

/// Helm's hook record for each hook document (`last_run` empty until the hook runs).
pub fn records(docs: &[helm::RenderedDoc], hints: &Hints) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for d in docs.iter().filter(|d| d.hook) {
        let Some(obj) = parse_doc(&d.source, &d.content, hints)? else {
            continue;
        };
        let ann = &obj["metadata"]["annotations"];
        let list = |key: &str| -> Vec<Value> {
            ann[key]
                .as_str()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| json!(s))
                .collect()
        };
        let mut h = json!({
            "name": obj["metadata"]["name"].as_str().unwrap_or(""),
            "kind": obj["kind"].as_str().unwrap_or(""),
            "path": d.source,
            "manifest": d.content,
            "events": list(ANNOTATION),
            "last_run": {"started_at": "", "completed_at": "", "phase": ""},
        });
        // Helm reads the weight with Atoi and treats anything else as 0 (omitted when 0).
        let weight = ann[WEIGHT]
            .as_str()
            .and_then(|w| w.trim().parse::<i64>().ok())
            .unwrap_or(0);
        if weight != 0 {
            h["weight"] = json!(weight);
        }
        let policies = list(DELETE_POLICY);
        if !policies.is_empty() {
            h["delete_policies"] = json!(policies);
        }
        out.push(h);
    }
    Ok(out)
}

fn policies(h: &Value) -> Vec<String> {
    h["delete_policies"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs the release's hooks for `event`, updating their `last_run` in `rel`. Returns how many ran.
pub async fn run(
    client: &Client,
    rel: &mut Release,
    event: &str,
    field_manager: &str,
    timeout: Duration,
    hints: &Hints,
) -> Result<usize> {
    let (name, namespace) = (rel.name().to_string(), rel.namespace().to_string());
    let Some(all) = rel.0["hooks"].as_array_mut() else {
        return Ok(0);
    };
    // Weight order; equal weights by name (Helm's sort).
    let mut order: Vec<usize> = (0..all.len())
        .filter(|i| {
            all[*i]["events"]
                .as_array()
                .is_some_and(|e| e.iter().any(|x| x == event))
        })
        .collect();
    order.sort_by(|a, b| {
        let key = |i: &usize| {
            (
                all[*i]["weight"].as_i64().unwrap_or(0),
                all[*i]["name"].as_str().unwrap_or("").to_string(),
            )
        };
        key(a).cmp(&key(b))
    });
    if order.is_empty() {
        return Ok(0);
    }
    let mut resolver = Resolver::new(client).await?;
    for &i in &order {
        let h = &mut all[i];
        if policies(h).is_empty() {
            h["delete_policies"] = json!([BEFORE_CREATION]);
        }
        let path = h["path"].as_str().unwrap_or("hook").to_string();
        let Some(mut obj) = parse_doc(&path, h["manifest"].as_str().unwrap_or(""), hints)? else {
            continue;
        };
        let target = Target::resolve(&mut resolver, &obj, &namespace).await?;
        if policies(h).iter().any(|p| p == BEFORE_CREATION) {
            target.delete(&name, timeout).await?;
        }
        own(&mut obj, &name, &namespace);
        if target.namespaced {
            obj["metadata"]["namespace"] = json!(target.namespace);
        }
        h["last_run"] =
            json!({"started_at": now_rfc3339(), "completed_at": "", "phase": "Running"});
        let pp = PatchParams::apply(field_manager).force();
        let patch = Patch::Apply(&obj);
        let what = format!("create {event} hook {}", target.what);
        let outcome =
            match with_retries(&what, || target.api.patch(&target.name, &pp, &patch)).await {
                Ok(_) => target.wait_done(timeout).await,
                Err(e) => Err(e),
            };
        h["last_run"]["completed_at"] = json!(now_rfc3339());
        match outcome {
            Ok(()) => h["last_run"]["phase"] = json!("Succeeded"),
            Err(e) => {
                h["last_run"]["phase"] = json!("Failed");
                if policies(h).iter().any(|p| p == FAILED) {
                    let _ = target.delete(&name, timeout).await;
                }
                return Err(Error::Kube {
                    message: format!("{event} hook {} failed: {e}", target.what),
                    help: Some(format!(
                        "`kubectl -n {} describe {}` shows why",
                        target.namespace,
                        target.what.to_lowercase()
                    )),
                });
            }
        }
    }
    // Helm deletes succeeded hooks only after every hook of the event has run.
    for &i in &order {
        let h = &all[i];
        if !policies(h).iter().any(|p| p == SUCCEEDED) {
            continue;
        }
        let path = h["path"].as_str().unwrap_or("hook");
        if let Some(obj) = parse_doc(path, h["manifest"].as_str().unwrap_or(""), hints)? {
            let target = Target::resolve(&mut resolver, &obj, &namespace).await?;
            target.delete(&name, timeout).await?;
        }
    }
    Ok(order.len())
}

/// A hook object on the cluster.
struct Target {
    api: kube::Api<kube::api::DynamicObject>,
    name: String,
    namespace: String,
    namespaced: bool,
    kind: String,
    what: String,
}

impl Target {
    async fn resolve(resolver: &mut Resolver, obj: &Value, namespace: &str) -> Result<Target> {
        let gvk = gvk_of(obj).ok_or_else(|| Error::Input {
            location: "hook".into(),
            message: "a hook document has no apiVersion or kind".into(),
            help: None,
        })?;
        let (ar, caps) = resolver.resolve(&gvk).await?;
        let ns = obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or(namespace)
            .to_string();
        Ok(Target {
            api: resolver.api(&ar, &caps, &ns),
            name: obj["metadata"]["name"].as_str().unwrap_or("").to_string(),
            namespace: ns,
            namespaced: caps.scope == kube::discovery::Scope::Namespaced,
            kind: gvk.kind.clone(),
            what: object_ref(obj),
        })
    }

    /// Deletes the hook object if it exists and waits until it is gone. An object that another
    /// release owns is never deleted.
    async fn delete(&self, release_name: &str, timeout: Duration) -> Result<()> {
        let Some(live) =
            crate::kube::get_opt(&self.api, &self.name, &format!("get {}", self.what)).await?
        else {
            return Ok(());
        };
        let owner = live
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("meta.helm.sh/release-name"))
            .cloned();
        if owner.as_deref().is_some_and(|o| o != release_name) {
            return Err(Error::Conflict {
                message: format!(
                    "hook {} exists and belongs to release {}",
                    self.what,
                    owner.unwrap_or_default()
                ),
                help: Some("rename the hook or remove the other release's object".into()),
            });
        }
        let dp = DeleteParams::background();
        with_retries(&format!("delete {}", self.what), || {
            self.api.delete(&self.name, &dp)
        })
        .await?;
        let deadline = Instant::now() + timeout;
        while crate::kube::get_opt(&self.api, &self.name, &format!("get {}", self.what))
            .await?
            .is_some()
        {
            if Instant::now() >= deadline {
                return Err(Error::Kube {
                    message: format!("timed out waiting for {} to be deleted", self.what),
                    help: None,
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }

    /// Jobs until Complete (or Failed), Pods until Succeeded (or Failed); other kinds at once.
    async fn wait_done(&self, timeout: Duration) -> Result<()> {
        if self.kind != "Job" && self.kind != "Pod" {
            return Ok(());
        }
        let deadline = Instant::now() + timeout;
        loop {
            let live =
                crate::kube::get_opt(&self.api, &self.name, &format!("get {}", self.what)).await?;
            let status = live
                .map(|o| o.data["status"].clone())
                .unwrap_or(Value::Null);
            if self.kind == "Job" {
                let cond = |t: &str| {
                    status["conditions"].as_array().and_then(|c| {
                        c.iter()
                            .find(|c| c["type"] == t && c["status"] == "True")
                            .cloned()
                    })
                };
                if cond("Complete").is_some() {
                    return Ok(());
                }
                if let Some(c) = cond("Failed") {
                    return Err(Error::Kube {
                        message: format!(
                            "job failed: {}",
                            c["reason"].as_str().unwrap_or("Failed")
                        ),
                        help: None,
                    });
                }
            } else {
                match status["phase"].as_str() {
                    Some("Succeeded") => return Ok(()),
                    Some("Failed") => {
                        return Err(Error::Kube {
                            message: "pod failed".into(),
                            help: None,
                        });
                    }
                    _ => {}
                }
            }
            if Instant::now() >= deadline {
                return Err(Error::Kube {
                    message: format!("timed out after {timeout:?} waiting for it to complete"),
                    help: None,
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
