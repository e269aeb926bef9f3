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

/// What `helm template` printed: the manifest stream's bytes, or the error's first line as Helm
/// prints it (`Error: …`).
pub type TemplateOutput = Result<Vec<u8>, String>;

/// `helm template RELEASE CHART -f FILE…` with the real Helm CLI, and the engine's whole pipeline
/// on the same chart and files (release namespace `default`): (ours, Helm's).
pub fn template_both(
    chart: &Path,
    values_files: &[&Path],
    release: &str,
) -> (TemplateOutput, TemplateOutput) {
    let mut helm = std::process::Command::new(crate::helm::cli_bin());
    helm.args(["template", release]).arg(chart);
    for f in values_files {
        helm.arg("-f").arg(f);
    }
    let helm = helm.output().expect("run helm");
    let theirs = if helm.status.success() {
        Ok(helm.stdout)
    } else {
        let stderr = String::from_utf8_lossy(&helm.stderr);
        Err(stderr.lines().next().unwrap_or("").to_string())
    };
    let ours = (|| {
        let mut values = helm_engine::Values::new();
        for f in values_files {
            let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
            values.add_yaml_file(&f.display().to_string(), &text)?;
        }
        let opts = helm_engine::RenderOptions {
            release_name: release.into(),
            namespace: "default".into(),
            ..Default::default()
        };
        let docs = helm_engine::render_chart_path(chart, &values, &opts)?;
        let mut out = Vec::new();
        helm_engine::write_template_stream(&mut out, &docs).unwrap();
        Ok(out)
    })()
    .map_err(|e: helm_engine::RenderError| format!("Error: {e}"));
    (ours, theirs)
}
