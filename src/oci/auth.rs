//! Registry credentials, found the way Helm and docker find them: explicit flags first, then
//! Helm's registry config (`$HELM_REGISTRY_CONFIG`, `~/.config/helm/registry/config.json`), then
//! docker's (`$DOCKER_CONFIG/config.json`, `~/.docker/config.json`). In each file:
//! `credHelpers[host]`, then `credsStore`, then `auths[host]`. Secrets never reach logs or errors.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde::Deserialize;

/// A username and secret. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    /// Where they came from, for messages (`--username`, a file path, `docker-credential-X`).
    pub source: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("source", &self.source)
            .finish()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigFile {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, AuthEntry>,
    #[serde(default)]
    creds_store: Option<String>,
    #[serde(default)]
    cred_helpers: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// `https://host/v1/`, `http://host`, `host` → `host`.
fn normalize_key(key: &str) -> &str {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    k.split('/').next().unwrap_or(k)
}

/// Whether a config key names `registry` (Docker Hub has three spellings).
fn key_matches(key: &str, registry: &str) -> bool {
    let k = normalize_key(key);
    const HUB: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];
    k == registry || (HUB.contains(&k) && HUB.contains(&registry))
}

/// The config files to consult, in order.
pub fn config_files(registry_config: Option<&Path>) -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut files = Vec::new();
    match registry_config {
        Some(p) => files.push(p.to_path_buf()),
        None => {
            if let Some(p) = std::env::var_os("HELM_REGISTRY_CONFIG").filter(|p| !p.is_empty()) {
                files.push(PathBuf::from(p));
            } else {
                let base = std::env::var_os("HELM_CONFIG_HOME")
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
                    .or_else(|| {
                        std::env::var_os("XDG_CONFIG_HOME")
                            .filter(|p| !p.is_empty())
                            .map(|p| PathBuf::from(p).join("helm"))
                    })
                    .or_else(|| home.as_ref().map(|h| h.join(".config").join("helm")));
                if let Some(b) = base {
                    files.push(b.join("registry").join("config.json"));
                }
            }
        }
    }
    match std::env::var_os("DOCKER_CONFIG").filter(|p| !p.is_empty()) {
        Some(d) => files.push(PathBuf::from(d).join("config.json")),
        None => {
            if let Some(h) = &home {
                files.push(h.join(".docker").join("config.json"));
            }
        }
    }
    files
}

/// Credentials for `registry` (`host[:port]`) from the config files, if any.
pub fn lookup(
    registry: &str,
    registry_config: Option<&Path>,
) -> Result<Option<Credentials>, String> {
    for file in config_files(registry_config) {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let cfg: ConfigFile = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "cannot parse registry credentials file {}: {e}",
                file.display()
            )
        })?;
        if let Some(c) = from_config(&cfg, registry, &file)? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

fn from_config(
    cfg: &ConfigFile,
    registry: &str,
    file: &Path,
) -> Result<Option<Credentials>, String> {
    let helper = cfg
        .cred_helpers
        .iter()
        .find(|(k, _)| key_matches(k, registry))
        .map(|(_, v)| v.clone())
        .or_else(|| cfg.creds_store.clone().filter(|s| !s.is_empty()));
    if let Some(h) = helper
        && let Some(c) = run_helper(&h, registry)?
    {
        return Ok(Some(c));
    }
    let Some(entry) = cfg
        .auths
        .iter()
        .find(|(k, _)| key_matches(k, registry))
        .map(|(_, v)| v)
    else {
        return Ok(None);
    };
    let source = file.display().to_string();
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| format!("{source}: the auth entry for {registry} is not base64"))?;
        let text = String::from_utf8(raw)
            .map_err(|_| format!("{source}: the auth entry for {registry} is not UTF-8"))?;
        let (u, p) = text.split_once(':').ok_or_else(|| {
            format!("{source}: the auth entry for {registry} is not user:password")
        })?;
        return Ok(Some(Credentials {
            username: u.to_string(),
            password: p.to_string(),
            source,
        }));
    }
    if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
        return Ok(Some(Credentials {
            username: u.clone(),
            password: p.clone(),
            source,
        }));
    }
    if let Some(t) = &entry.identitytoken {
        // An identity token is a refresh token for the registry's token endpoint.
        return Ok(Some(Credentials {
            username: "<token>".into(),
            password: t.clone(),
            source,
        }));
    }
    Ok(None)
}

#[derive(Deserialize)]
struct HelperOutput {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// `docker-credential-<name> get` with the server on stdin (docker's credential helper protocol).
fn run_helper(name: &str, registry: &str) -> Result<Option<Credentials>, String> {
    let program = format!("docker-credential-{name}");
    let mut child = match Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(
                "credential helper {program} cannot run ({e}); trying other credentials"
            );
            return Ok(None);
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(registry.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("credential helper {program}: {e}"))?;
    if !out.status.success() {
        // "credentials not found in native keychain" and friends: no credentials, not an error.
        tracing::debug!("credential helper {program} has no credentials for {registry}");
        return Ok(None);
    }
    let parsed: HelperOutput = serde_json::from_slice(&out.stdout).map_err(|_| {
        format!("credential helper {program} printed something that is not its JSON answer")
    })?;
    if parsed.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credentials {
        username: parsed.username,
        password: parsed.secret,
        source: program,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_auths_in_both_spellings() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config.json");
        std::fs::write(
            &f,
            r#"{"auths":{"https://reg.example:5000/v1/":{"auth":"dXNlcjpwYTpzcw=="},
                "other.example":{"username":"u2","password":"p2"}}}"#,
        )
        .unwrap();
        let c = lookup("reg.example:5000", Some(&f)).unwrap().unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("user", "pa:ss")
        );
        assert!(!format!("{c:?}").contains("pa:ss"));
        let c = lookup("other.example", Some(&f)).unwrap().unwrap();
        assert_eq!(c.username, "u2");
        std::fs::write(
            &f,
            r#"{"auths":{"https://index.docker.io/v1/":{"auth":"aHViOnB3"}}}"#,
        )
        .unwrap();
        assert_eq!(
            lookup("docker.io", Some(&f)).unwrap().unwrap().username,
            "hub"
        );
    }

    #[test]
    fn missing_helper_falls_through() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config.json");
        std::fs::write(
            &f,
            r#"{"credsStore":"podnet-does-not-exist","auths":{"h":{"auth":"YTpi"}}}"#,
        )
        .unwrap();
        let c = lookup("h", Some(&f)).unwrap().unwrap();
        assert_eq!(c.password, "b");
    }
}
