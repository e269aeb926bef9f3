//! `kubectl podnet cilium template` through the binary against Helm v4 itself (helm-python-sdk):
//! the printed stream, document by document, masking only random key material.
use std::collections::BTreeMap;
use std::path::PathBuf;

use testkit::helm::{Oracle, mask};
use testkit::podnet::cmd as podnet;
use testkit::write_file as write;

fn chart() -> PathBuf {
    testkit::charts::cilium(testkit::charts::CILIUM)
}

/// `# Source:` path → its documents, from a `helm template` style stream.
fn parse_stream(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for chunk in text.split("---\n# Source: ").skip(1) {
        let (src, body) = chunk.split_once('\n').unwrap_or((chunk, ""));
        out.entry(src.to_string())
            .or_default()
            .push(mask(body.trim_end_matches('\n')));
    }
    out
}

fn oracle_docs(files: &BTreeMap<String, String>) -> BTreeMap<String, Vec<String>> {
    files
        .iter()
        .filter(|(k, _)| !k.ends_with("NOTES.txt"))
        .map(|(k, v)| {
            let docs: Vec<String> = podnet::helm::split_manifests(v)
                .iter()
                .map(|d| mask(d.trim_end_matches('\n')))
                .collect();
            (k.clone(), docs)
        })
        .filter(|(_, d)| !d.is_empty())
        .collect()
}

#[test]
fn template_stream_equals_helm_for_generated_hybrid_values() {
    // The values podnet generates, piped into podnet's template: the two commands compose.
    let values = podnet()
        .args([
            "cilium",
            "values",
            "--cilium-version",
            "1.17",
            "--pod-cidr",
            "192.168.64.0/20",
            "--remote-node-network",
            "192.168.100.0/23",
            "--vpc-cidr",
            "10.0.0.0/16",
        ])
        .output()
        .unwrap();
    assert_eq!(
        values.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&values.stderr)
    );
    let out = podnet()
        .args(["cilium", "template", "-f", "-", "--chart"])
        .arg(chart())
        .write_stdin(values.stdout.clone())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = parse_stream(&String::from_utf8(out.stdout).unwrap());

    let mut oracle = Oracle::start();
    let theirs = oracle
        .render(
            &chart(),
            &[String::from_utf8(values.stdout).unwrap()],
            "cilium",
            "kube-system",
        )
        .expect("Helm renders the values");
    let theirs = oracle_docs(&theirs);
    let total: usize = theirs.values().map(Vec::len).sum();
    assert!(total > 10, "Helm rendered only {total} documents");
    let mut identical = 0;
    for (src, docs) in &theirs {
        let mine = ours
            .get(src)
            .unwrap_or_else(|| panic!("{src} missing from podnet's output"));
        assert_eq!(mine.len(), docs.len(), "{src}: document count");
        for (a, b) in mine.iter().zip(docs) {
            assert_eq!(a, b, "{src} differs from Helm");
            identical += 1;
        }
    }
    assert_eq!(
        ours.len(),
        theirs.len(),
        "podnet printed templates Helm did not"
    );
    eprintln!("cilium template vs Helm v4: {identical}/{total} documents identical");
}

#[test]
fn show_only_output_dir_and_errors() {
    let out = podnet()
        .args([
            "cilium",
            "template",
            "-s",
            "templates/cilium-agent/daemonset.yaml",
            "--chart",
        ])
        .arg(chart())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let docs = parse_stream(&text);
    assert_eq!(
        docs.keys().collect::<Vec<_>>(),
        ["cilium/templates/cilium-agent/daemonset.yaml"]
    );
    assert!(text.contains("kind: DaemonSet"));

    let dir = tempfile::tempdir().unwrap();
    let out = podnet()
        .args(["cilium", "template", "--output-dir"])
        .arg(dir.path())
        .arg("--chart")
        .arg(chart())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let ds = std::fs::read_to_string(
        dir.path()
            .join("cilium/templates/cilium-agent/daemonset.yaml"),
    )
    .unwrap();
    assert!(ds.starts_with("---\n# Source: cilium/templates/cilium-agent/daemonset.yaml\n"));

    let out = podnet()
        .args(["cilium", "template", "-s", "templates/nope.yaml", "--chart"])
        .arg(chart())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("templates/nope.yaml"));
    let out = podnet()
        .args(["cilium", "template", "--chart", "/nonexistent/chart.tgz"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/chart.tgz"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "a: [1\n").unwrap();
    let out = podnet()
        .args(["cilium", "template", "-f"])
        .arg(&bad)
        .arg("--chart")
        .arg(chart())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.yaml"));
}

#[test]
fn set_flags_follow_helms_strvals_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("v.yaml");
    std::fs::write(&f, "operator:\n  replicas: 5\n").unwrap();
    let key = dir.path().join("extra.txt");
    std::fs::write(&key, "from-a-file").unwrap();
    let out = podnet()
        .args([
            "cilium",
            "template",
            "-s",
            "templates/cilium-operator/deployment.yaml",
            "-s",
            "templates/cilium-configmap.yaml",
            "-f",
        ])
        .arg(&f)
        .args([
            "--set",
            "operator.replicas=3",
            "--set-string",
            "cluster.name=007",
            "--set-json",
            "operator.tolerations=[{\"operator\":\"Exists\"}]",
        ])
        .arg("--set-file")
        .arg(format!("extraConfig.note={}", key.display()))
        .arg("--chart")
        .arg(chart())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = parse_stream(&String::from_utf8(out.stdout).unwrap());
    let values = "operator:\n  replicas: 3\n  tolerations:\n  - operator: Exists\ncluster:\n  name: \"007\"\nextraConfig:\n  note: from-a-file\n".to_string();
    let mut oracle = Oracle::start();
    let theirs = oracle_docs(
        &oracle
            .render(&chart(), &[values], "cilium", "kube-system")
            .unwrap(),
    );
    for src in [
        "cilium/templates/cilium-operator/deployment.yaml",
        "cilium/templates/cilium-configmap.yaml",
    ] {
        assert_eq!(ours.get(src), theirs.get(src), "{src}");
    }
    let out = podnet()
        .args(["cilium", "template", "--set", "a[=1", "--chart"])
        .arg(chart())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--set"));
}

#[test]
fn include_crds_prints_crd_files_first_as_helm_does() {
    // Helm's `template --include-crds` prints every crds/ file with a manifest extension of
    // the chart and its enabled subcharts (the order of Chart.CRDObjects) as
    // "---\n# Source: <chart path>/crds/<file>\n<file content>\n", then the rendered manifests.
    // The CRD list and contents come from Helm itself (helm_python's Chart.crds); the rest of
    // the stream is compared with Helm's render.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("app");
    let crd = |n: &str| {
        format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: {n}.example.com\nspec:\n  group: example.com\n"
        )
    };
    write(
        &root,
        "Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 0.1.0\n",
    );
    write(&root, "values.yaml", "replicas: 2\n");
    write(&root, "crds/a.yaml", &crd("alphas"));
    write(&root, "crds/b.yml", &format!("# comment\n{}", crd("betas")));
    write(
        &root,
        "crds/nested/c.json",
        "{\"apiVersion\": \"apiextensions.k8s.io/v1\", \"kind\": \"CustomResourceDefinition\", \"metadata\": {\"name\": \"cs.example.com\"}}",
    );
    write(&root, "crds/README.txt", "not a manifest\n");
    write(
        &root,
        "templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  replicas: {{ .Values.replicas | quote }}\n",
    );
    write(
        &root,
        "templates/ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n",
    );
    write(
        &root,
        "charts/sub/Chart.yaml",
        "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
    );
    write(&root, "charts/sub/crds/s.yaml", &crd("subs"));
    write(
        &root,
        "charts/sub/templates/svc.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: sub\n",
    );

    let run = |extra: &[&str]| {
        let out = podnet()
            .args([
                "cilium",
                "template",
                "--release",
                "rel",
                "-n",
                "ns",
                "--chart",
            ])
            .arg(&root)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let with = run(&["--include-crds"]);
    let without = run(&[]);

    let mut oracle = Oracle::start();
    let r = oracle.request(&serde_json::json!({"op": "crds", "chart": root}));
    let crds = r["crds"].as_array().expect("Helm lists the chart's CRDs");
    assert_eq!(crds.len(), 4, "Helm's CRD objects: {r}");
    let mut expected = String::new();
    for c in crds {
        expected.push_str(&format!(
            "---\n# Source: {}\n{}\n",
            c["filename"].as_str().unwrap(),
            c["data"].as_str().unwrap()
        ));
    }
    expected.push_str(&without);
    assert_eq!(with, format!("{}\n", expected.trim()));

    // the manifests after the CRDs are Helm's
    let theirs = oracle_docs(&oracle.render(&root, &[], "rel", "ns").unwrap());
    let ours = parse_stream(&without);
    assert_eq!(ours, theirs);
    assert!(with.starts_with("---\n# Source: app/crds/a.yaml\n"));
    assert!(with.contains("# Source: app/charts/sub/crds/s.yaml\n"));
    assert!(!with.contains("README.txt"));
    assert!(!without.contains("/crds/"));
}

#[test]
fn schema_violations_fail_like_helm_template() {
    // cilium ships values.schema.json: bad values end the render with Helm's message
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.yaml");
    std::fs::write(&f, "MTU: fast\n").unwrap();
    let out = podnet()
        .args(["cilium", "template", "-f"])
        .arg(&f)
        .arg("--chart")
        .arg(chart())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let mut oracle = Oracle::start();
    let helm_err = oracle
        .render(
            &chart(),
            &["MTU: fast\n".to_string()],
            "cilium",
            "kube-system",
        )
        .expect_err("Helm rejects the values");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in helm_err.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            stderr.contains(line.trim()),
            "missing {line:?} in:\n{stderr}"
        );
    }
    assert!(
        stderr.contains("- at '/MTU': got string, want integer"),
        "{stderr}"
    );
}
