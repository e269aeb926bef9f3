//! The YAML reader against the Helm v4 CLI: each document is a values file (`-f`), read as
//! Helm's LoadValues reads it (documents merged), then printed by `toYaml`, `toJson` and `%v`;
//! the output bytes, or the error's first line, must be identical.

const DOCS: &[&str] = &[
    "a: 1\nb: 1.5\nc: 1e3\nd: 0x1F\ne: 0o17\nf: 017\ng: 08\nh: +5\ni: -0\nj: .5\nk: 1_000\nl: 12345678901234567890\nm: 123456789012345678901234",
    "y: yes\nn: no\non: on\noff: off\nY: Y\nT: True\nF: FALSE\nnul: null\ntil: ~\nempty:\nnan: .nan\n",
    "a: 2024-01-02\nb: 2024-01-02T03:04:05Z\nc: 12:30:45\nd: 1:20\ne: 0b101\nf: -0b11\ng: 1.\nh: -.inf",
    "? x\n: y\n",
    "1: one\n2.5: two\ntrue: t\n0x10: hex\n010: oct\n1e3: e\n",
    "a: 'single ''quoted'''\nb: \"double \\\"q\\\" \\t \\u00e9 \\x41\"\nc: \"multi\n  line\n\n  folded\"\nd: 'multi\n  single'\n",
    "lit: |\n  a\n   b\n\n  c\nfold: >\n  a\n  b\n\n  c\n   d\n  e\nkeep: |+\n  x\n\nstrip: >-\n  y\n  z\nind: |2\n    indented\n",
    "base: &b\n  x: 1\n  y: [1, 2]\nc1:\n  <<: *b\n  y: 3\nc2:\n  <<: [*b, {z: 9}]\nref: *b\nlist: &l [a, b]\nl2: *l\n",
    "flow: {a: 1, b: [x, y, {c: d}], 'q': \"r\", e: }\nseq: [1, 'two', \"three\", [4], {five: 5}]\nempty: []\nem: {}\n",
    "plain: this is a plain\n  multi line scalar\nurl: http://example.com:8080/path?q=1#frag\ncolon: a:b\nhash: a#b\ncomment: value # comment\n",
    "tags:\n  s: !!str 123\n  i: !!int \"7\"\n  f: !!float 1\n  b: !!bool yes\n  custom: !foo bar\n",
    "nested:\n  - name: a\n    items:\n    - 1\n    - 2\n  -   name: b\n      val: c\n  - - x\n    - y\n  -\n    late: 1\n",
    "unicode: \"ünïcödé ☃ 😀\"\nemoji_plain: 😀 ok\nkey with spaces: v\n\"quoted key\": v\n'single key': v\n",
    "%YAML 1.1\n---\na: 1\n...\n",
    "---\nfirst: doc\n---\nsecond: doc\n",
    "a:\n  b:\n    c:\n      d: deep\n  e: [1, 2]\nlong: \"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua\"\n",
    "a: b: c\n",
    "a: [1, 2\n",
    "- a\n- b\n",
    "a: *missing\n",
    "key: value\n bad: indent\n",
    "sp: \" lead\"\ntr: \"trail \"\ntab: \"a\\tb\"\nnl: \"a\\nb\"\ncr: \"a\\rb\"\ncolon_sp: \"a: b\"\ndash: \"- x\"\nq: \"'\"\ndq: '\"'\nhash: \"#x\"\namp: \"&x\"\nstar: \"*x\"\nbang: \"!x\"\npct: \"%x\"\nat: \"@x\"\nbt: \"`x\"\npipe: \"|\"\ngt: \">\"\nques: \"?\"\nbrace: \"{x}\"\ncomma: \"a, b\"\n",
    "crlf: a\r\nlist:\r\n- x\r\nlit: |\r\n  l1\r\n  l2\r\n",
    "dup: 1\ndup: 2\n",
    "a:\n\tb: 1\n",
    "a:\tb\n",
    "a: b\t# c\nc: d\t\n",
    "- \tx\n",
    "a: [1,\t2]\nb: {c:\td}\n",
    "a: 1\n\t# comment\n",
    "a: 1\n\t\nb: 2\n",
    "a: 'x'\t\nb: \"y\" \t\n",
    "a: |\n  x\n\ty\n",
    "a: |\n\t\n  x\n",
    "a: b\tc\n",
    "a:\n  - x\n\t- y\n",
    "a: 'x'\n\t# c\n",
    "a:\n  b: 'x'\n\t\nc: 1\n",
    "a: 'x'\n  \t# c\n",
    "a: [1,\n\t2]\n",
    "a: [x\n\ty]\n",
    "a:\n  b: x\n  \t# c\n",
    "a:\n  b: x\n   \t  y\n",
    "x\n\ty\n",
    "a: x\n \ty\n",
    "# only a comment\n",
    "",
    "---\n",
    "\u{feff}bom: 1\n",
    "end: |\n  no final break",
    "end: >+\n  folded keep",
    "k:    \nk2: v   \n",
    "a: {b: 1,\n  c: 2}\nl: [1,\n  2]\n",
    "big: 9007199254740993\nneg: -9223372036854775809\nf: 1.0e+3\nsm: 1e-7\nu: 18446744073709551615\n",
    // several documents: LoadValues cuts at lines starting with `---` and merges the maps
    "a: {x: 1, k: 2}\nc: 1\n---\na: {k: 3}\nd: [1]\n--- # comment\nd: [2]\n---\n",
    "a: 1\n---\n- x\n",
    "a: 1\n---x\nb: 2\n",
    "a: 1\n----\n",
    "a: |\n  text\n---\nb: 2\n",
    "a: 1\r\n---\r\nb: 2\r\n",
    "a: 1\n---\nb: [\n",
    "a: 1\n...\nb: 2\n",
    "---   \nx: 1\n---\t\ny: 2",
    "a: 1\n---\n# only a comment\n---\nb: ~\n",
    // what the JSON conversion refuses, in sigs.k8s.io/yaml's order and words
    "~: 1\n",
    "a:\n  ~: {q: [1, x]}\n",
    "18446744073709551615: x\n",
    "a: .inf\n",
    "[a]: 1\n",
    "? {a: 1}\n: x\n",
    "a: [\n",
    "a: {\n",
    "a: [1,\n",
    "a: !!binary '*'\n",
    "b: .nan\n~: 1\n",
];

const PRINTS: &str = "{{ toYaml .Values }}\n---\nj: {{ toJson .Values }}\n---\nx:\n{{- toYaml .Values | nindent 4 }}\n---\nv: {{ .Values | toString | quote }}\n";

#[test]
fn values_files_read_and_print_as_helm_template() {
    let tmp = tempfile::tempdir().unwrap();
    let chart = tmp.path().join("y");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: vals\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(chart.join("templates/t.yaml"), PRINTS).unwrap();
    let mut bad = Vec::new();
    let mut rejected = 0;
    for (i, d) in DOCS.iter().enumerate() {
        let file = tmp.path().join(format!("v{i}.yaml"));
        std::fs::write(&file, d).unwrap();
        let (ours, theirs) = testkit::engine::template_both(&chart, &[&file], "r");
        rejected += usize::from(theirs.is_err());
        if ours != theirs {
            let text = |r: &Result<Vec<u8>, String>| {
                r.clone().map(|b| String::from_utf8_lossy(&b).into_owned())
            };
            bad.push(format!(
                "doc {i}: {d:?}\n  ours: {:?}\n  helm: {:?}",
                text(&ours),
                text(&theirs)
            ));
        }
    }
    eprintln!(
        "yaml: {}/{} values files identical to helm template ({rejected} rejected by Helm)",
        DOCS.len() - bad.len(),
        DOCS.len()
    );
    for b in &bad {
        eprintln!("{b}");
    }
    assert!(bad.is_empty(), "{} documents differ", bad.len());
}
