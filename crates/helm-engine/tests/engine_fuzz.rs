//! Property tests: the YAML reader, template parser and executor never panic or hang.
use proptest::prelude::*;

fn render_str(tpl: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("Chart.yaml"),
        "apiVersion: v2\nname: f\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("values.yaml"), "a: {b: [1, x]}\ns: str\n").unwrap();
    std::fs::write(dir.path().join("templates/t.yaml"), tpl).unwrap();
    let _ = helm_engine::render_files(dir.path(), &helm_engine::Values::new(), &Default::default());
}

const PIECES: &[&str] = &[
    "{{", "}}", "{{-", "-}}", " ", ".Values", ".a", ".b", "$x", ":=", "=", "|", "(", ")", "if",
    "else", "end", "range", "with", "define", "template", "include", "\"t\"", "`r`", "'c'", "1",
    "-2.5", "printf", "\"%v\"", "toYaml", "index", "0", "nil", "and", "or", "not", "len", "\n",
    "é", "\\", "\"", "/*", "*/", "break", "continue", "$", ",", "tpl", "default", "dict",
];

proptest! {
    // 300 cases in CI; PODNET_FUZZ_CASES=N for a longer run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PODNET_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300),
        .. ProptestConfig::default()
    })]

    #[test]
    fn yaml_reader_never_panics(s in "\\PC{0,200}") {
        let _ = helm_engine::yaml::parse(&s);
    }

    #[test]
    fn yaml_reader_structured(parts in proptest::collection::vec(prop::sample::select(vec!["a", ":", " ", "\n", "- ", "  ", "{", "}", "[", "]", ",", "'", "\"", "|", ">", "&x", "*x", "#", "!!str", "? ", "<<", "é", "\t", "1", "yes", "~"]), 0..40)) {
        let s: String = parts.concat();
        let _ = helm_engine::yaml::parse(&s);
        if let Ok(v) = helm_engine::yaml::parse(&s) {
            let _ = helm_engine::yamlout::to_yaml(&v);
        }
    }

    #[test]
    fn schema_reader_and_validator_never_panic(parts in proptest::collection::vec(prop::sample::select(vec!["{", "}", "[", "]", ",", ":", "\"type\"", "\"string\"", "\"integer\"", "\"properties\"", "\"a\"", "\"$ref\"", "\"#\"", "\"#/$defs/a\"", "\"$defs\"", "\"items\"", "\"anyOf\"", "\"not\"", "\"pattern\"", "\"(\"", "\"minimum\"", "1e400", "-0", "0.1", "true", "null", "\"\\u00e9\"", "\"\\ud800\"", "é", " ", "\"format\"", "\"date\"", "\"unevaluatedProperties\"", "\"multipleOf\"", "1e-400"]), 0..40)) {
        let schema: String = parts.concat();
        let mut m = std::collections::BTreeMap::new();
        m.insert("a".to_string(), helm_engine::value::Value::Float(1.5));
        m.insert("b".to_string(), helm_engine::value::Value::str("2024-99-99"));
        let v = helm_engine::value::Value::map(m);
        let _ = helm_engine::jsonschema::validate(&schema, &v);
    }

    #[test]
    fn strvals_never_panic(parts in proptest::collection::vec(prop::sample::select(vec!["a", "b", ".", "=", ",", "[", "]", "0", "9", "99999", "-1", "{", "}", "\\", "\"", "null", "true", "1e3", "0x10", "é", " ", "[0]", "[65537]", "\n"]), 0..30)) {
        let expr: String = parts.concat();
        let mut v = helm_engine::Values::new();
        let _ = v.add_set(&expr);
        let _ = v.add_set_string(&expr);
        let _ = v.add_set_json(&expr);
    }

    #[test]
    fn templates_never_panic(parts in proptest::collection::vec(prop::sample::select(PIECES.to_vec()), 0..30)) {
        render_str(&parts.concat());
    }
}

#[test]
fn tricky_inputs_do_not_panic() {
    for t in [
        "{{ \"\\é\" }}",
        "{{ 'é' }}",
        "{{ '\\é' }}",
        "{{ .é }}",
        "{{ $é := 1 }}{{ $é }}",
        "{{- /* é */ -}}",
        "{{ `é",
        "{{ printf \"%é\" 1 }}",
        "{{ printf \"%*d\" \"x\" 1 }}",
        "{{ substr 5 2 \"é\" }}",
        "{{ trunc 1 \"é\" }}",
        "{{ index \"é\" 1 }}",
        "{{ range 1000 }}{{ end }}x",
    ] {
        render_str(t);
    }
    for y in [
        "a: \"\\é\"",
        "a: |9\n  x",
        "- - - ",
        "a: b: c",
        "? x",
        "&a [*a]",
        "a: *b",
        "a: !!binary é",
        "\u{feff}a: 1",
        "a: \"\\U0010FFFF\\UFFFFFFFF\"",
    ] {
        let _ = helm_engine::yaml::parse(y);
    }
}

#[test]
fn generated_certificates_have_helm_pem_shapes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("templates/t.yaml"),
        "{{ $ca := genCA \"my-ca\" 365 }}{{ $c := genSignedCert \"svc\" (list \"10.0.0.1\") (list \"svc.ns\") 365 $ca }}{{ $s := genSelfSignedCert \"self\" nil nil 30 }}{{ $ca.Cert }}{{ $ca.Key }}{{ $c.Cert }}{{ $c.Key }}{{ $s.Cert }}{{ genPrivateKey \"rsa\" }}",
    )
    .unwrap();
    let out =
        helm_engine::render_files(dir.path(), &helm_engine::Values::new(), &Default::default())
            .unwrap();
    let s = &out["c/templates/t.yaml"];
    assert_eq!(s.matches("-----BEGIN CERTIFICATE-----\n").count(), 3, "{s}");
    assert_eq!(
        s.matches("-----BEGIN RSA PRIVATE KEY-----\n").count(),
        3,
        "{s}"
    );
    for line in s.lines().filter(|l| !l.starts_with("-----")) {
        assert!(line.len() <= 64);
    }
}
