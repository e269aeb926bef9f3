//! Our render engine beside Helm's: render a chart with podnet's engine and compare the result
//! with the [`Oracle`](crate::helm::Oracle)'s, document by document, random material masked.

use std::collections::BTreeMap;
use std::path::Path;

use crate::helm::mask;

pub struct Comparison {
    pub identical: usize,
    pub total: usize,
    pub diffs: Vec<String>,
}

/// Compare two render maps document by document.
pub fn compare(ours: &BTreeMap<String, String>, theirs: &BTreeMap<String, String>) -> Comparison {
    let mut c = Comparison {
        identical: 0,
        total: 0,
        diffs: vec![],
    };
    let keys: std::collections::BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
    for k in keys {
        let a = ours.get(k).map(|s| s.as_str()).unwrap_or("<missing>");
        let b = theirs.get(k).map(|s| s.as_str()).unwrap_or("<missing>");
        let da: Vec<String> = helm_engine::split_manifests(a)
            .iter()
            .map(|d| mask(d))
            .collect();
        let db: Vec<String> = helm_engine::split_manifests(b)
            .iter()
            .map(|d| mask(d))
            .collect();
        let n = da.len().max(db.len()).max(1);
        for i in 0..n {
            c.total += 1;
            let x = da.get(i).map(|s| s.as_str()).unwrap_or("");
            let y = db.get(i).map(|s| s.as_str()).unwrap_or("");
            // whole-file whitespace also matters: compare raw masked files when single doc
            if x == y && (n > 1 || mask(a) == mask(b)) {
                c.identical += 1;
            } else {
                c.diffs.push(format!(
                    "--- {} doc {}\n{}",
                    k,
                    i,
                    first_diff(&mask(a), &mask(b))
                ));
            }
        }
    }
    c
}

fn first_diff(a: &str, b: &str) -> String {
    let la: Vec<&str> = a.split('\n').collect();
    let lb: Vec<&str> = b.split('\n').collect();
    for i in 0..la.len().max(lb.len()) {
        let x = la.get(i).copied();
        let y = lb.get(i).copied();
        if x != y {
            let from = i.saturating_sub(2);
            let mut s = String::new();
            for j in from..(i + 3) {
                s.push_str(&format!(
                    "  ours  {:4}: {:?}\n",
                    j + 1,
                    la.get(j).copied().unwrap_or("<eof>")
                ));
            }
            for j in from..(i + 3) {
                s.push_str(&format!(
                    "  helm  {:4}: {:?}\n",
                    j + 1,
                    lb.get(j).copied().unwrap_or("<eof>")
                ));
            }
            return s;
        }
    }
    "  (identical lines; trailing difference)\n".into()
}

/// Render with our engine from YAML value files.
pub fn ours(
    chart: &Path,
    values_yaml: &[String],
    name: &str,
    ns: &str,
) -> Result<BTreeMap<String, String>, String> {
    let mut v = helm_engine::Values::new();
    for (i, y) in values_yaml.iter().enumerate() {
        v.add_yaml_file(&format!("values-{i}.yaml"), y)
            .map_err(|e| e.0)?;
    }
    let opts = helm_engine::RenderOptions {
        release_name: name.into(),
        namespace: ns.into(),
        ..Default::default()
    };
    // Go's output bytes as the oracle hands them over (through JSON: a byte that is not UTF-8
    // reads as U+FFFD)
    helm_engine::render_files(chart, &v, &opts)
        .map(|m| {
            m.into_iter()
                .map(|(k, t)| {
                    let text = match helm_engine::gostr::to_bytes(&t) {
                        std::borrow::Cow::Borrowed(_) => t,
                        std::borrow::Cow::Owned(b) => String::from_utf8_lossy(&b).into_owned(),
                    };
                    (k, text)
                })
                .collect()
        })
        .map_err(|e| e.0)
}
