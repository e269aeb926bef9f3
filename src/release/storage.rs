//! Release records stored exactly as Helm stores them, so `helm` and podnet operate the same release:
//! Secret `sh.helm.release.v1.<name>.v<revision>`, type `helm.sh/release.v1`, labels `name`,
//! `owner=helm`, `status`, `version`, `modifiedAt`; `data.release` = base64(gzip(release JSON)).
//!
//! The record is kept as JSON (not a typed struct) so fields a newer Helm writes survive a
//! podnet update untouched.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams, ObjectMeta, PostParams};
use serde_json::{Value, json};

use super::hints::Hints;
use crate::error::{Error, Result};
use crate::helm::{self, Values};
use crate::kube::{list_pages, with_retries};

pub const SECRET_TYPE: &str = "helm.sh/release.v1";
/// Helm keeps this many revisions; older ones are deleted after a new one is written.
pub const MAX_HISTORY: usize = 10;

/// Helm's release statuses.
pub mod status {
    pub const DEPLOYED: &str = "deployed";
    pub const FAILED: &str = "failed";
    pub const SUPERSEDED: &str = "superseded";
    pub const UNINSTALLING: &str = "uninstalling";
    pub const PENDING_INSTALL: &str = "pending-install";
    pub const PENDING_UPGRADE: &str = "pending-upgrade";
    pub const PENDING_ROLLBACK: &str = "pending-rollback";
}

/// Numbers as Go's encoding/json writes a float64: whole values without a fraction (`1`, not
/// `1.0`), so the stored JSON is what Helm would have written for the same values. Manifests
/// use it too: the API server rejects `1.0` in an integer field.
pub fn go_numbers(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => json!(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(go_numbers).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, go_numbers(v))).collect()),
        other => other,
    }
}

/// One revision of a release.
#[derive(Debug, Clone, PartialEq)]
pub struct Release(pub Value);

impl Release {
    pub fn name(&self) -> &str {
        self.0["name"].as_str().unwrap_or("")
    }
    pub fn namespace(&self) -> &str {
        self.0["namespace"].as_str().unwrap_or("")
    }
    pub fn version(&self) -> i64 {
        self.0["version"].as_i64().unwrap_or(0)
    }
    pub fn status(&self) -> &str {
        self.0["info"]["status"].as_str().unwrap_or("unknown")
    }
    pub fn manifest(&self) -> &str {
        self.0["manifest"].as_str().unwrap_or("")
    }
    /// User-supplied values (`helm get values`).
    pub fn config(&self) -> &Value {
        &self.0["config"]
    }
    pub fn chart_version(&self) -> &str {
        self.0["chart"]["metadata"]["version"]
            .as_str()
            .unwrap_or("")
    }
    pub fn app_version(&self) -> &str {
        self.0["chart"]["metadata"]["appVersion"]
            .as_str()
            .unwrap_or("")
    }
    pub fn chart_name(&self) -> &str {
        self.0["chart"]["metadata"]["name"].as_str().unwrap_or("")
    }
    pub fn description(&self) -> &str {
        self.0["info"]["description"].as_str().unwrap_or("")
    }
    pub fn updated(&self) -> &str {
        self.0["info"]["last_deployed"].as_str().unwrap_or("")
    }
    pub fn is_pending(&self) -> bool {
        self.status().starts_with("pending-")
    }

    pub fn set_status(&mut self, status: &str, description: &str) {
        self.0["info"]["status"] = json!(status);
        self.0["info"]["description"] = json!(description);
    }

    /// Helm's `info.deleted`: when an uninstall began.
    pub fn set_deleted_now(&mut self) {
        self.0["info"]["deleted"] = json!(now_rfc3339());
    }

    pub fn secret_name(&self) -> String {
        format!("sh.helm.release.v1.{}.v{}", self.name(), self.version())
    }

    /// `base64(gzip(JSON))`, the bytes Helm puts in `data.release`.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(&go_numbers(self.0.clone()))
            .map_err(|e| internal(format!("cannot encode the release: {e}")))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&json)
            .and_then(|_| gz.finish())
            .map(|z| B64.encode(z).into_bytes())
            .map_err(|e| internal(format!("cannot compress the release: {e}")))
    }

    /// Reads Helm's encoding; accepts plain JSON too, as Helm does.
    pub fn decode(bytes: &[u8], secret: &str) -> Result<Release> {
        Self::decode_with(bytes, secret, None)
    }

    /// [`Release::decode`], with an error that says how to list the readable revisions.
    fn decode_with(bytes: &[u8], secret: &str, hints: Option<&Hints>) -> Result<Release> {
        let bad = |why: String| Error::Kube {
            message: format!("secret {secret} is not a readable Helm release: {why}"),
            help: Some(
                hints
                    .map(Hints::damaged_record)
                    .unwrap_or_else(|| "it may be damaged".into()),
            ),
        };
        let raw = B64
            .decode(
                bytes
                    .iter()
                    .copied()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect::<Vec<_>>(),
            )
            .map_err(|e| bad(e.to_string()))?;
        let json = if raw.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..])
                .take(256 << 20)
                .read_to_end(&mut out)
                .map_err(|e| bad(e.to_string()))?;
            out
        } else {
            raw
        };
        serde_json::from_slice(&json)
            .map(Release)
            .map_err(|e| bad(e.to_string()))
    }

    pub fn to_secret(&self) -> Result<Secret> {
        let labels = BTreeMap::from([
            ("name".to_string(), self.name().to_string()),
            ("owner".to_string(), "helm".to_string()),
            ("status".to_string(), self.status().to_string()),
            ("version".to_string(), self.version().to_string()),
            ("modifiedAt".to_string(), now_unix().to_string()),
        ]);
        Ok(Secret {
            metadata: ObjectMeta {
                name: Some(self.secret_name()),
                namespace: Some(self.namespace().to_string()),
                labels: Some(labels),
                ..Default::default()
            },
            type_: Some(SECRET_TYPE.into()),
            data: Some(BTreeMap::from([(
                "release".to_string(),
                ByteString(self.encode()?),
            )])),
            ..Default::default()
        })
    }
}

fn internal(message: String) -> Error {
    Error::Kube {
        message,
        help: None,
    }
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// RFC 3339 with nanoseconds in UTC, as Go's time.Time marshals.
pub fn now_rfc3339() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, dd) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_nanos()
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The release store of one namespace.
pub struct Store {
    api: Api<Secret>,
    namespace: String,
    hints: Hints,
}

impl Store {
    pub fn new(client: &kube::Client, namespace: &str, hints: Hints) -> Store {
        Store {
            api: Api::namespaced(client.clone(), namespace),
            namespace: namespace.to_string(),
            hints,
        }
    }

    /// Every readable revision of `name`, oldest first.
    pub async fn history(&self, name: &str) -> Result<Vec<Release>> {
        let mut out = Vec::new();
        let mut err = None;
        let params = ListParams::default().labels(&format!("owner=helm,name={name}"));
        list_pages(
            &self.api,
            params,
            &format!("list Helm release secrets in {}", self.namespace),
            |page| {
                for s in page {
                    if s.type_.as_deref() != Some(SECRET_TYPE) {
                        continue;
                    }
                    let sname = s.metadata.name.clone().unwrap_or_default();
                    match s.data.as_ref().and_then(|d| d.get("release")) {
                        Some(b) => match Release::decode_with(&b.0, &sname, Some(&self.hints)) {
                            Ok(r) => out.push(r),
                            Err(e) => err = Some(e),
                        },
                        None => err = Some(internal(format!("secret {sname} has no data.release"))),
                    }
                }
            },
        )
        .await?;
        if out.is_empty()
            && let Some(e) = err
        {
            return Err(e);
        }
        out.sort_by_key(Release::version);
        Ok(out)
    }

    pub async fn create(&self, r: &Release) -> Result<()> {
        let s = r.to_secret()?;
        let pp = PostParams::default();
        with_retries(&format!("create secret {}", r.secret_name()), || {
            self.api.create(&pp, &s)
        })
        .await?;
        Ok(())
    }

    /// Replaces a revision's record (status changes).
    pub async fn update(&self, r: &Release) -> Result<()> {
        let s = r.to_secret()?;
        let name = r.secret_name();
        let pp = PostParams::default();
        with_retries(&format!("update secret {name}"), || {
            self.api.replace(&name, &pp, &s)
        })
        .await?;
        Ok(())
    }

    pub async fn delete(&self, r: &Release) -> Result<()> {
        let name = r.secret_name();
        let dp = kube::api::DeleteParams::default();
        match with_retries(&format!("delete secret {name}"), || {
            self.api.delete(&name, &dp)
        })
        .await
        {
            Ok(_) => Ok(()),
            Err(Error::Kube { message, .. }) if message.contains(" 404 ") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Deletes revisions beyond Helm's history limit, oldest first.
    pub async fn prune(&self, name: &str) -> Result<()> {
        let all = self.history(name).await?;
        if all.len() > MAX_HISTORY {
            for r in &all[..all.len() - MAX_HISTORY] {
                self.delete(r).await?;
            }
        }
        Ok(())
    }
}

/// The chart as Helm records it in a release: metadata, values, templates and files (base64).
pub fn chart_record(files: &[(String, Vec<u8>)], values: &Value) -> Result<Value> {
    let get = |p: &str| {
        files
            .iter()
            .find(|(n, _)| n == p)
            .map(|(_, b)| b.as_slice())
    };
    let meta_text =
        get("Chart.yaml").ok_or_else(|| internal("the chart has no Chart.yaml".into()))?;
    let metadata: Value =
        serde_saphyr::from_slice(meta_text).map_err(|e| internal(format!("Chart.yaml: {e}")))?;
    let modtime = "1970-01-01T00:00:00Z";
    let entry =
        |(n, b): &(String, Vec<u8>)| json!({"name": n, "data": B64.encode(b), "modtime": modtime});
    let templates: Vec<Value> = files
        .iter()
        .filter(|(n, _)| n.starts_with("templates/"))
        .map(entry)
        .collect();
    let other: Vec<Value> = files
        .iter()
        .filter(|(n, _)| {
            !n.starts_with("templates/")
                && !n.starts_with("charts/")
                && !matches!(
                    n.as_str(),
                    "Chart.yaml" | "values.yaml" | "values.schema.json" | "Chart.lock"
                )
        })
        .map(entry)
        .collect();
    let mut chart = json!({
        "metadata": metadata,
        "lock": null,
        "templates": templates,
        "values": values,
        "files": other,
        "modtime": modtime,
    });
    if let Some(schema) = get("values.schema.json") {
        chart["schema"] = json!(B64.encode(schema));
        chart["schemamodtime"] = json!(modtime);
    }
    Ok(chart)
}

/// The chart's files back from a release record ([`chart_record`]'s inverse): `Chart.yaml` and
/// `values.yaml` as JSON text (which YAML reads as written), templates, other files, the schema.
/// Lets a diff render the deployed chart with other values without pulling it again.
pub fn chart_files(r: &Release) -> Result<Vec<(String, Vec<u8>)>> {
    let chart = &r.0["chart"];
    if !chart["metadata"].is_object() {
        return Err(internal(format!(
            "revision {} of {} records no chart",
            r.version(),
            r.name()
        )));
    }
    let json_text = |v: &Value| serde_json::to_vec(v).unwrap_or_default();
    let mut out = vec![
        ("Chart.yaml".to_string(), json_text(&chart["metadata"])),
        ("values.yaml".to_string(), json_text(&chart["values"])),
    ];
    for group in ["templates", "files"] {
        for f in chart[group].as_array().into_iter().flatten() {
            let (Some(name), Some(data)) = (f["name"].as_str(), f["data"].as_str()) else {
                continue;
            };
            let bytes = B64
                .decode(data)
                .map_err(|e| internal(format!("revision {}: file {name}: {e}", r.version())))?;
            out.push((name.to_string(), bytes));
        }
    }
    if let Some(schema) = chart["schema"].as_str()
        && let Ok(bytes) = B64.decode(schema)
    {
        out.push(("values.schema.json".to_string(), bytes));
    }
    Ok(out)
}

/// The chart's own values.yaml, JSON-typed as Helm records it.
pub fn chart_values(files: &[(String, Vec<u8>)]) -> Result<Value> {
    let Some((_, bytes)) = files.iter().find(|(n, _)| n == "values.yaml") else {
        return Ok(json!({}));
    };
    let mut v = Values::new();
    v.add_yaml_file("values.yaml", &String::from_utf8_lossy(bytes))
        .map_err(|e| Error::Conflict {
            message: format!("chart values.yaml: {e}"),
            help: None,
        })?;
    Ok(v.as_json())
}

/// Revision table rows: (revision, updated, status, chart, app version, description).
pub fn history_rows(history: &[Release]) -> Vec<[String; 6]> {
    history
        .iter()
        .map(|r| {
            [
                r.version().to_string(),
                r.updated().to_string(),
                r.status().to_string(),
                format!("{}-{}", r.chart_name(), r.chart_version()),
                r.app_version().to_string(),
                r.description().to_string(),
            ]
        })
        .collect()
}

/// Counts of objects per kind in a manifest, for a short install summary.
pub fn kinds(manifest: &str) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for d in helm::split_manifests(manifest) {
        if let Some(k) = d.lines().find_map(|l| l.strip_prefix("kind: ")) {
            *m.entry(k.trim().to_string()).or_default() += 1;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_names() {
        let r = Release(
            json!({"name": "cilium", "namespace": "kube-system", "version": 3, "info": {"status": "deployed"}}),
        );
        let bytes = r.encode().unwrap();
        assert_eq!(Release::decode(&bytes, "x").unwrap(), r);
        assert_eq!(r.secret_name(), "sh.helm.release.v1.cilium.v3");
        let s = r.to_secret().unwrap();
        assert_eq!(s.type_.as_deref(), Some(SECRET_TYPE));
        assert_eq!(s.metadata.labels.unwrap()["status"], "deployed");
        // Plain JSON is accepted too.
        let plain = B64.encode(serde_json::to_vec(&r.0).unwrap());
        assert_eq!(Release::decode(plain.as_bytes(), "x").unwrap(), r);
        assert!(Release::decode(b"!!", "x").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_417), (2025, 11, 25));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        let t = now_rfc3339();
        assert_eq!(t.len(), 30, "{t}");
        assert!(t.ends_with('Z'));
    }
}
