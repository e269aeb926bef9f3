//! Go semantics the engine once approximated (the gaps listed in the engine issues), each case
//! differential against Helm v4: template output must be identical, errors must match.
use std::path::Path;
use testkit::engine::ours;
use testkit::helm::Oracle;

const CASES: &[&str] = &[
    // fromJson "null" is Go's nil map; an empty or null fromYaml is not
    r#"{{ fromJson "null" | toJson }}|{{ fromJson "null" | typeOf }}|{{ fromJson "null" | len }}|{{ fromJson "null" }}|{{ fromJson "null" | toYaml }}|{{ fromYaml "" | toJson }}|{{ fromYaml "~" | toJson }}|{{ fromYaml "  " | toJson }}|{{ hasKey (fromJson "null") "a" }}|{{ dict "n" (fromJson "null") | toJson }}|{{ fromJson "{}" | toJson }}|{{ printf "%#v %v" (fromJson "null") (fromJson "null") }}|{{ fromJson "null" | toPrettyJson }}|{{ fromJson "null" | mustToRawJson }}"#,
    // wrapWith / wrap break words longer than the width
    r#"{{ wrapWith 5 "\n" "Hello World" }}|{{ wrapWith 3 "|" "abcdefghij klm" }}|{{ wrap 4 "aaaaaaaaaa bb" }}|{{ wrapWith 10 "<br>" "short words only here" }}|{{ wrapWith 0 "|" "abc def" }}|{{ wrapWith 2 "-" "a  bbbbb   c" }}"#,
    // toYamlPretty indents lists
    r#"{{ dict "a" (list 1 2 (dict "b" (list "x" "y"))) "c" (dict "d" (list)) | toYamlPretty }}"#,
    r#"{{ dict "long" (repeat 30 "abc ") "ml" "x\ny" "l" (list (list 1 2) (list)) "m" (dict "n" (dict "o" (list (dict "p" 1 "q" 2)))) | toYamlPretty }}|{{ list "a" (dict "b" "c") | toYamlPretty }}|{{ toYamlPretty .Values }}"#,
    // .Capabilities.KubeVersion through printf / toString / quote
    r#"{{ printf "%v" .Capabilities.KubeVersion }}|{{ .Capabilities.KubeVersion | toString }}|{{ .Capabilities.KubeVersion | quote }}|{{ printf "%s" .Capabilities.KubeVersion }}|{{ .Capabilities.KubeVersion }}|{{ $k := .Capabilities.KubeVersion }}{{ $k }}|{{ printf "%v" .Capabilities }}|{{ list .Capabilities.KubeVersion }}"#,
    // printf argument indexes
    r#"{{ printf "%[2]s %[1]s" "a" "b" }}|{{ printf "%[1]d %[1]x %[1]o" 10 }}|{{ printf "%[3]*.[2]*[1]f" 12.0 2 6 }}|{{ printf "%[5]d" 1 }}|{{ printf "%[0]d" 1 }}|{{ printf "%[x]d" 1 }}|{{ printf "%d %d %[1]d %d" 1 2 }}"#,
    // remaining verbs and flags
    r#"{{ printf "%x %X" 1.5 255.0 }}|{{ printf "%08s|%-8s|%8q" "ab" "cd" "ef" }}|{{ printf "%#q %#q" "a`b" "plain" }}|{{ printf "%!" }}|{{ printf "%*d" "x" 1 }}|{{ printf "%.*d" "y" 1 }}|{{ printf "%+d % d %+.2e" 5 6 1234.5 }}|{{ printf "%U %#U %c" 0x1F600 65 66 }}|{{ printf "%t %v" true nil }}|{{ printf "%6.2f|%-6.1f|%06.1f" 3.14159 2.0 -1.5 }}"#,
    // semver objects and their methods
    r#"{{ $v := semver "1.2.3-beta.1+build" }}{{ $v.Major }} {{ $v.Minor }} {{ $v.Patch }} {{ $v.Prerelease }} {{ $v.Metadata }} {{ $v.Original }} {{ $v.String }}|{{ ($v.Compare (semver "1.2.3")) }}|{{ $v.LessThan (semver "2.0.0") }}|{{ $v.GreaterThan (semver "1.0.0") }}|{{ $v.Equal (semver "1.2.3-beta.1") }}|{{ typeOf $v }}|{{ $v }}"#,
    r#"{{ (semver "v2.0").IncMajor }}|{{ (semver "1.2.3").IncMinor }}|{{ (semver "1.2.3-rc1").IncPatch }}|{{ $n := (semver "1.2.3").SetPrerelease "alpha" }}{{ $n }}|{{ semver "1.2" | toJson }}"#,
    // toToml: tables, arrays of tables, nested indentation
    r#"{{ dict "a" 1 "t" (dict "x" "y" "n" (dict "z" 2)) "arr" (list (dict "p" 1) (dict "p" 2)) "l" (list 1 2) "s" "str" | toToml }}"#,
    r#"{{ toToml .Values }}|{{ dict "e" (dict) "m" (list (dict "q" (dict "r" 1))) | toToml }}"#,
    // leftovers from the engine issue's last note
    r#"{{ split "" "abc" | toJson }}|{{ swapcase "ß" }}|{{ js "\u2028x" }}|{{ splitList "" "abc" | toJson }}|{{ splitn "" 2 "abc" | toJson }}|{{ splitn "" 5 "ab" | toJson }}"#,
    r#"{{ js "a\nb\tc\u00a0d\u200be<=>&'\"" }}|{{ swapcase "Straße ǅx ǆa Ǆb ǉ" }}|{{ printf "%#U %#U" 0x2028 0xe9 }}"#,
    // split and splitn give a Go map[string]string
    r#"{{ $p := split "," "a,b" }}{{ typeOf $p }}|{{ $p._0 }}|{{ $p._9 }}|{{ index $p "_1" }}|{{ range $k, $v := $p }}{{ $k }}={{ $v }} {{ end }}|{{ len $p }}|{{ toJson $p }}|{{ printf "%v %#v" $p (splitn ":" 2 "x:y:z") }}|{{ splitn "," 2 "a" | typeOf }}|{{ toYaml $p }}"#,
    r#"{{ hasKey (split "," "a,b") "_0" }}"#,
    r#"{{ fromYaml "- 1" | toJson }}|{{ fromYamlArray "a: 1" | toJson }}"#,
    // the YAML-to-JSON errors fromYaml and fromYamlArray keep, as sigs.k8s.io/yaml words them
    "a: {{ fromYaml \"~: 1\" | toJson | quote }}\nb: {{ fromYaml \"a: .inf\" | toJson | quote }}\nc: {{ fromYamlArray \"- .nan\" | toJson | quote }}\nd: {{ fromYaml \"? [a]\\n: 1\" | toJson | quote }}\ne: {{ fromYaml \"a: [\" | toJson | quote }}\nf: {{ fromYamlArray \"- !!binary '*'\" | toJson | quote }}\n",
    // dateInZone with the system's tz database, as Go's time.LoadLocation reads it
    r#"{{ dateInZone "2006-01-02 15:04:05 MST -0700" (toDate "2006-01-02T15:04:05Z07:00" "2024-01-15T12:00:00Z") "America/New_York" }}|{{ dateInZone "2006-01-02 15:04 MST" (toDate "2006-01-02" "2024-07-01") "America/New_York" }}|{{ dateInZone "15:04 MST Z07:00" 1700000000 "Asia/Kolkata" }}|{{ dateInZone "2006-01-02 15:04 MST" 1711846800 "Europe/Berlin" }}|{{ dateInZone "15:04 MST" 0 "Nowhere/Zone" }}|{{ dateInZone "15:04 MST" 0 "../etc/passwd" }}|{{ dateInZone "15:04 MST" 0 "" }}|{{ htmlDateInZone 1700000000 "Pacific/Kiritimati" }}|{{ dateInZone "2006 MST" -2000000000 "America/Sao_Paulo" }}|{{ dateInZone "15:04 MST" 1700000000 "UTC" }}"#,
    // past the last transition of the tz file (2037), Go follows its footer's rule
    r#"{{ dateInZone "2006-01-02 15:04 MST" 2200000000 "America/New_York" }}|{{ dateInZone "2006-01-02 15:04 MST" 2210000000 "America/New_York" }}|{{ dateInZone "2006-01-02 15:04 MST" 4102444800 "Europe/Berlin" }}|{{ dateInZone "2006-01-02 15:04 MST" 4118000000 "Europe/Berlin" }}|{{ dateInZone "2006-01-02 15:04 MST" 4118000000 "Australia/Sydney" }}|{{ dateInZone "2006-01-02 15:04 MST" 4118000000 "Asia/Tokyo" }}"#,
    // []byte elements are uint8
    r#"{{ $b := .Files.GetBytes "files/lines.txt" }}{{ index $b 0 | typeOf }}|{{ has 108 $b }}|{{ range $i, $c := $b }}{{ if eq $i 0 }}{{ typeOf $c }}{{ $c }}{{ eq $c 108 }}{{ lt $c 200 }}{{ add $c 1 }}{{ printf "%d %x %c %v %T" $c $c $c $c $c }}{{ $c | toJson }}{{ int $c }}{{ empty $c }}{{ end }}{{ end }}|{{ first $b | typeOf }}|{{ last $b }}|{{ printf "%v" (slice $b 0 2) }}|{{ toJson (list (index $b 1)) }}|{{ toYaml (list (index $b 1)) }}|{{ index $b 0 | kindOf }}|{{ index $b 0 | toString }}|{{ mul (index $b 0) 2 }}"#,
    // Go strings are bytes: a binary file, b64dec of binary data, cuts inside a character
    r#"{{ $b := .Files.Get "files/binary.bin" }}{{ $b | b64enc }}|{{ len $b }}|{{ sha256sum $b }}|{{ sha1sum $b }}|{{ adler32sum $b }}|{{ printf "%x %X % x" $b $b $b }}|{{ printf "%q %+q %#q" $b $b $b }}|{{ quote $b }}|{{ toJson $b }}|{{ b32enc $b }}|{{ index $b 0 }} {{ index $b 0 | typeOf }}|{{ dict "k" $b | toYaml }}|{{ toJson (dict $b 1) }}|{{ printf "%5.3s|" $b | len }}|{{ urlquery $b }}"#,
    r#"{{ trunc 1 "é" | b64enc }}|{{ substr 0 1 "€x" | len }}|{{ trunc -1 "é" | printf "%q" }}|{{ abbrev 5 "ééééé" | printf "%q" }}|{{ abbrev 6 "ééé" }}|{{ abbrev 4 "éé" | printf "%q" }}|{{ abbrevboth 5 10 "1234567890abcdefghij" }}|{{ "/+3t" | b64dec | printf "%q" }}|{{ "/+3t" | b64dec | b64enc }}|{{ index "héllo" 1 }} {{ index "héllo" 1 | typeOf }}|{{ wrapWith 1 "|" (trunc 1 "é") | len }}|{{ trunc 3 "aé€" | cat "x" | len }}"#,
    r#"{{ trunc 1 "é" }}"#,
    r#"{{ .Files.Get "files/binary.bin" | upper | b64enc }}|{{ .Files.Lines "files/binary.bin" | len }}|{{ (.Files.Glob "files/*.bin").AsConfig }}|{{ (.Files.Glob "files/*.bin").AsSecrets }}"#,
    // []string results are typed []string
    r#"{{ $l := splitList "," "a,b" }}{{ typeOf $l }}|{{ printf "%T %v %#v %q %s" $l $l $l $l $l }}|{{ $l | toJson }}|{{ len $l }}|{{ index $l 1 }}|{{ range $i, $e := $l }}{{ $i }}{{ $e }}{{ end }}|{{ first $l }}|{{ has "b" $l }}|{{ append $l "c" | typeOf }}|{{ join "-" $l }}|{{ sortAlpha (list "b" "a") | typeOf }}|{{ keys (dict "a" 1) | typeOf }}|{{ regexFindAll "a" "aa" -1 | typeOf }}|{{ regexSplit "," "a,b" -1 | typeOf }}|{{ .Files.Lines "files/lines.txt" | typeOf }}|{{ toStrings (list 1 2) | printf "%#v" }}|{{ toYaml $l }}|{{ empty (splitList "," "") }}|{{ deepEqual $l (splitList "," "a,b") }}|{{ uniq $l | typeOf }}|{{ $l | last }}|{{ kindOf $l }}|{{ splitList "" "ab" | typeOf }}|{{ if $l }}yes{{ end }}|{{ concat $l (list 1) | len }}|{{ slice $l 1 | typeOf }}|{{ without $l "a" }}|{{ compact $l | typeOf }}|{{ reverse $l }}"#,
    // block needs a pipeline; template does not
    r#"{{ define "t" }}T{{ . }}{{ end }}{{ template "t" }}|{{ template "t" 1 }}|{{ block "b" . }}B{{ end }}"#,
    r#"{{ block "b" }}B{{ end }}"#,
    // printable ASCII that means nothing in an action is Go's itemChar, reported by the parser
    r#"{{ printf \"x\" }}"#,
    r#"{{ 1 # 2 }}"#,
    r#"{{ ; }}"#,
    r#"{{ .Values.i ~ }}"#,
    r#"{{ if @ }}{{ end }}"#,
    r#"{{ é }}"#,
    "{{ \u{7} }}",
    // Go lexes as the parser reads: a parse error before a lexer error is the one reported
    r#"{{ end }}{{ "x }}"#,
    r#"{{ $x }}{{ "y }}"#,
    r#"{{ nope 1 }}{{ 'ab' }}"#,
    r#"{{ 1 ~ "z }}"#,
    "{{ if true }}\n{{ \"a }}{{ end }}",
    // %T and %#v of values
    r#"{{ printf "%T" . }}|{{ printf "%T" .Values }}|{{ printf "%T" .Capabilities }}|{{ printf "%T" .Release }}|{{ printf "%T" .Chart }}|{{ printf "%T" .Files }}"#,
];

fn write_chart(dir: &Path, tpl: &str) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::create_dir_all(dir.join("files")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: gosem\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("values.yaml"),
        "i: 3\nf: 1.5\nbig: 1000000\nlist: [a, {b: [c]}]\n",
    )
    .unwrap();
    std::fs::write(dir.join("files/lines.txt"), "line one\nline two\n").unwrap();
    std::fs::write(
        dir.join("files/binary.bin"),
        [0xfe_u8, 0xed, 0xfa, 0xce, 0x00, 0xc3, 0x28, 0xff, b'a'],
    )
    .unwrap();
    std::fs::write(dir.join("templates/t.yaml"), tpl).unwrap();
}

#[test]
fn go_semantics_match_helm() {
    let mut oracle = Oracle::start();
    let tmp = tempfile::tempdir().unwrap();
    let mut same = 0;
    let mut failures = vec![];
    for (i, case) in CASES.iter().enumerate() {
        let dir = tmp.path().join(format!("g{i}"));
        write_chart(&dir, case);
        let theirs = oracle.render(&dir, &[], "rel", "ns");
        let mine = ours(&dir, &[], "rel", "ns");
        let ok = match (&mine, &theirs) {
            (Ok(a), Ok(b)) => a == b,
            (Err(a), Err(b)) => a == b,
            _ => false,
        };
        if ok {
            same += 1;
        } else {
            failures.push(format!(
                "case {i}: {case}\n  ours: {mine:?}\n  helm: {theirs:?}"
            ));
        }
    }
    eprintln!(
        "Go semantics cases: {same}/{} identical to Helm",
        CASES.len()
    );
    for f in &failures {
        eprintln!("{f}");
    }
    assert!(failures.is_empty(), "{} cases differ", failures.len());
}

/// A chart written from `(path, content)` pairs under `dir`.
fn write_files(dir: &Path, files: &[(&str, &[u8])]) {
    for (path, data) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }
}

/// Asserts `helm template` and the engine agree on the chart at `dir`, showing text on failure.
fn assert_template_same(dir: &Path, what: &str) {
    let (ours, theirs) = testkit::engine::template_both(dir, &[], "rel");
    let text =
        |r: &Result<Vec<u8>, String>| r.clone().map(|b| String::from_utf8_lossy(&b).into_owned());
    assert_eq!(text(&ours), text(&theirs), "{what}");
    assert_eq!(ours, theirs, "{what}: bytes differ");
}

/// `helm template` vs the engine on manifests built from a binary file: identical bytes when
/// the output is text (`b64enc`, checksums), the same error when a template writes bytes that
/// are not UTF-8 into a manifest (go-yaml's reader refuses them).
#[test]
fn byte_strings_in_manifests_match_helm_template() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "text",
            "  b: {{ .Files.Get \"bin.dat\" | b64enc }}\n  s: {{ .Files.Get \"bin.dat\" | sha256sum }}\n  l: \"{{ .Files.Get \"bin.dat\" | len }}\"\n  t: {{ trunc 1 \"é\" | b64enc }}\n",
        ),
        ("trailing", "  a: \"{{ trunc 1 \"é\" }}\"\n"),
        ("leading", "  a: \"{{ substr 1 2 \"é\" }}\"\n"),
        ("incomplete", "  a: x\n  b: {{ trunc 1 \"é\" }}"),
    ];
    for (name, data) in cases {
        let dir = tmp.path().join(name);
        let cm = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n{data}");
        write_files(
            &dir,
            &[
                (
                    "Chart.yaml",
                    b"apiVersion: v2\nname: bytes\nversion: 0.1.0\n",
                ),
                ("bin.dat", &[0xfe, 0xed, 0x00, 0xc3, 0x28]),
                ("templates/cm.yaml", cm.as_bytes()),
            ],
        );
        assert_template_same(&dir, name);
    }
}

/// YAML errors in a manifest, as `helm template` words them (sigs.k8s.io/yaml's wrapping,
/// go-yaml's line numbers: none for a scanner error on the first line).
#[test]
fn manifest_yaml_errors_match_helm_template() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, text) in [
        "a: b: c\n",
        "a: 1\nb: c: d\n",
        "a: [1\n",
        "a: [1",
        "- a\nb: c\n",
        "a:\n  - b\n c: d\n",
        "\"a\n",
        "a: 'x\n",
        "a: \"\\q\"\n",
        // the manifest head Helm's sorter decodes (util.SimpleHead), as encoding/json checks it
        "\"str\"\n",
        "5\n",
        "true\n",
        "- a\n",
        "kind: [1]\n",
        "Kind: {a: 1}\n",
        "apiVersion: {a: 1}\nkind: [1]\n",
        "metadata: 5\n",
        "metadata: [1]\n",
        "metadata: {name: [1]}\n",
        "metadata: {Name: {a: 1}, annotations: 5}\n",
        "metadata: {annotations: {a: [1]}}\n",
        "metadata: {annotations: {a: 1, b: true}, name: 5}\nkind: 5\napiVersion: true\n",
        "metadata: null\nkind: null\n",
        "a: 1\nkind: [1]\nmetadata: 5\n",
        // what sigs.k8s.io/yaml's conversion refuses
        "kind: x\n~: 1\n",
        "kind: x\na: .nan\n",
        "kind: x\n[a]: 1\n",
        "kind: x\na: [\n",
        "kind: x\n18446744073709551615: y\n",
    ]
    .iter()
    .enumerate()
    {
        let dir = tmp.path().join(format!("y{i}"));
        write_files(
            &dir,
            &[
                ("Chart.yaml", b"apiVersion: v2\nname: y\nversion: 0.1.0\n"),
                ("templates/x.yaml", text.as_bytes()),
            ],
        );
        assert_template_same(&dir, &format!("{text:?}"));
    }
}

/// Found by fuzzing (`fuzz/fuzz_targets/yaml.rs`, a 46-digit map key): go-yaml turns a float key
/// into text through float32, where it may be past the range; the engine panicked there.
/// Each map holds one key per overflow: two keys that both become `.inf` collide, and Go's
/// random map order then picks the winner differently on each `helm` run.
#[test]
fn float_map_keys_past_float32_match_helm_template() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys");
    write_files(
        &dir,
        &[
            ("Chart.yaml", b"apiVersion: v2\nname: keys\nversion: 0.1.0\n"),
            (
                "values.yaml",
                b"a:\n  7777777777777777777777777777777777777777777770: x\n  -1e39: z\n  3.4e38: w\n  1.5: v\nb:\n  1e39: yes\n",
            ),
            (
                "templates/x.yaml",
                b"v: {{ toJson .Values.a }}\nw: {{ toJson .Values.b }}\n",
            ),
        ],
    );
    assert_template_same(&dir, "float keys");
}

/// Helm's `common.Values` is a named map type sharing its map: a subchart's `.Values` (and every
/// template's `.`, `.Template`, `.Values.Table` results) are `common.Values`, while the parent
/// reaches the same map as `.Values.sub`, a `map[string]interface {}` — and a change through
/// one is seen through the other.
#[test]
fn common_values_typing_travels_with_the_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("parent");
    let probe = "{{ printf \"%T|%T|%T|%T|%T|%T\" . .Values .Values.sub .Template .Subcharts (.Values.Table \"sub\") }}|{{ typeOf .Values.sub }}|{{ typeIs \"common.Values\" .Values }}|{{ printf \"%#v\" .Values.sub.n }}|{{ printf \"%#v\" (.Values.Table \"sub.n\") }}|{{ .Values.sub.n.AsMap | typeOf }}|{{ $v := .Values }}{{ dict \"v\" $v | values | first | typeOf }}";
    let child = "{{ printf \"%T|%T|%T\" . .Values .Values.n }}|{{ .Values.YAML }}|{{ $_ := set .Values \"fromChild\" 1 }}{{ .Values.AsMap | typeOf }}|{{ (.Values.Table \"n\").YAML }}|{{ .Values.PathValue \"n.k\" }}";
    let parent_tpl =
        format!("p: |-\n  {probe}\nseen: {{{{ .Values.sub.fromChild | default \"unset\" }}}}\n");
    let child_tpl = format!("c: |-\n  {child}\n");
    write_files(
        &dir,
        &[
            (
                "Chart.yaml",
                b"apiVersion: v2\nname: parent\nversion: 0.1.0\n",
            ),
            ("values.yaml", b"sub:\n  n:\n    k: v\n"),
            ("templates/a.yaml", parent_tpl.as_bytes()),
            (
                "charts/sub/Chart.yaml",
                b"apiVersion: v2\nname: sub\nversion: 0.1.0\n",
            ),
            ("charts/sub/values.yaml", b"n:\n  k: default\n"),
            ("charts/sub/templates/b.yaml", child_tpl.as_bytes()),
        ],
    );
    assert_template_same(&dir, "common.Values");
}
