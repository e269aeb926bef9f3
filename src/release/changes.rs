//! What an upgrade would change, as text: unified diffs of values and manifests with Secret
//! values hidden, and the objects that differ. Shared by `upgrade --diff` and `diff`.

use std::collections::BTreeMap;

use crate::helm;

/// A unified diff of two texts (empty when equal).
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

/// Secret values in a manifest replaced by a short digest, so a diff says that a key changed
/// without printing it.
pub fn redact_secrets(manifest: &str) -> String {
    use sha2::Digest as _;
    let mut out = String::with_capacity(manifest.len());
    for doc in helm::split_manifests(manifest) {
        let is_secret = doc.lines().any(|l| l == "kind: Secret");
        let mut in_data = false;
        out.push_str("---\n");
        for line in doc.lines() {
            if !line.starts_with(' ') {
                in_data = is_secret && (line == "data:" || line == "stringData:");
            } else if in_data
                && let Some((key, value)) = line.split_once(": ")
                && !key.trim_start().is_empty()
            {
                let digest = sha2::Sha256::digest(value.trim().as_bytes());
                let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
                out.push_str(&format!("{key}: (hidden, sha256 {short}…)\n"));
                continue;
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `Kind/name` of each object that differs between two manifests, prefixed `~` (changed), `-`
/// (removed) or `+` (added).
pub fn changed_objects(old: &str, new: &str) -> Vec<String> {
    let index = |m: &str| -> BTreeMap<String, String> {
        helm::split_manifests(m)
            .into_iter()
            .map(|d| {
                let field = |k: &str| {
                    d.lines()
                        .find_map(|l| l.strip_prefix(k))
                        .unwrap_or("?")
                        .trim()
                        .to_string()
                };
                (format!("{}/{}", field("kind:"), field("  name:")), d)
            })
            .collect()
    };
    let (a, b) = (index(old), index(new));
    let mut out: Vec<String> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, _)| {
            if b.contains_key(k) {
                format!("~ {k}")
            } else {
                format!("- {k}")
            }
        })
        .collect();
    out.extend(
        b.keys()
            .filter(|k| !a.contains_key(*k))
            .map(|k| format!("+ {k}")),
    );
    out
}
