#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/seeds/<target>/ (ours, written here;
rerun after editing). Parts of one input are separated by NUL, as fuzz_targets/common.rs splits."""
import gzip, io, json, os, tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "seeds")

def put(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

VALUES = [
    "x: 1\n",
    "image:\n  repository: quay.io/cilium/cilium\n  tag: v1.17.6\n  pullPolicy: IfNotPresent\n",
    "ipam:\n  mode: cluster-pool\n  operator:\n    clusterPoolIPv4PodCIDRList: [10.200.0.0/16]\n    clusterPoolIPv4MaskSize: 25\n",
    "affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n      - matchExpressions:\n        - key: eks.amazonaws.com/compute-type\n          operator: In\n          values: [hybrid]\n",
    "a: &a {b: 1, c: [1, 2, 3]}\nd: *a\ne: !!str 1.0\nf: ~\ng: yes\nh: 0x1F\ni: 1e3\nj: '2020-01-01'\n",
    "list:\n- name: one\n  value: |\n    multi\n    line\n- name: two\n  value: >-\n    folded\n    text\n",
    "k: \"quoted \\u00e9 \\t\"\nl: 'single '' quote'\nm: [a, {b: c}, [d]]\nn: {? complex : key}\n",
    "---\nfirst: doc\n---\nsecond: doc\n",
]
TEMPLATES = [
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  x: {{ .Values.x | quote }}\n",
    "{{- range $k, $v := .Values }}\n{{ $k }}: {{ $v | toYaml | nindent 2 }}\n{{- end }}\n",
    "{{ define \"n\" }}{{ .Chart.Name | trunc 63 | trimSuffix \"-\" }}{{ end }}name: {{ include \"n\" . }}\n",
    "{{ if and .Values.a (not .Values.b) }}a{{ else if .Values.c }}c{{ else }}none{{ end }}\n",
    "{{ with .Values.image }}{{ printf \"%s:%s\" .repository (.tag | default \"latest\") }}{{ end }}\n",
    "{{ tpl \"{{ .Release.Namespace }}\" . }} {{ toJson .Capabilities.KubeVersion }}\n",
    "{{ $d := dict \"a\" 1 \"b\" (list 1 2 3) }}{{ $d | toYaml }}{{ merge $d (dict \"c\" 3) | keys | sortAlpha | join \",\" }}\n",
    "{{ range until 5 }}{{ . }}{{ end }} {{ seq 1 3 }} {{ repeat 3 \"ab\" }} {{ b64enc \"x\" }} {{ sha256sum \"x\" }}\n",
    "{{ regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\" }} {{ semverCompare \">=1.2\" \"1.3.0\" }} {{ upper \"é\" }}\n",
    "{{/* comment */}}{{- $x := 1 -}}{{ $x = add $x 2 }}{{ $x }}{{ range $i, $e := list \"a\" \"b\" }}{{ $i }}{{ $e }}{{ break }}{{ end }}\n",
    "{{ required \"need x\" .Values.x }} {{ fail \"boom\" | default \"\" }}\n",
    "{{ .Files.Get \"x\" }}{{ .Files.Glob \"*\" }}{{ lookup \"v1\" \"Pod\" \"\" \"\" }}\n",
]
SETS = [
    "a=1", "a.b=2,c=x", "list[0]=a,list[1]=b", "a.b[2].c=true", "name={a,b,c}",
    "x=null", "esc=a\\,b", "n=0x10", "big=12345678901234567890", 'j={"a":[1,2]}',
    "a\\.b=1", "k=", "m[0][1]=z", "outer.inner=1,outer.list[0]=2",
]
SCHEMAS = [
    ('{"type":"object","properties":{"x":{"type":"integer","minimum":0}},"required":["x"]}', "x: 5\n"),
    ('{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,"properties":{"a":{"type":"string","pattern":"^[a-z]+$"}}}', "a: abc\nb: 1\n"),
    ('{"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"p":{"type":"array","items":{"$ref":"#/definitions/q"}},"q":{"enum":[1,2,"x"]}},"properties":{"l":{"$ref":"#/definitions/p"}}}', "l: [1, x, 3]\n"),
    ('{"anyOf":[{"type":"null"},{"type":"object","properties":{"n":{"oneOf":[{"type":"number","multipleOf":0.5},{"const":"auto"}]}}}]}', "n: 1.5\n"),
    ('{"type":"object","patternProperties":{"^x-":{"type":"boolean"}},"if":{"required":["a"]},"then":{"required":["b"]},"dependentRequired":{"c":["d"]}}', "x-y: true\na: 1\n"),
    ('{"properties":{"s":{"type":"string","minLength":2,"maxLength":4,"format":"ipv4"}},"not":{"required":["z"]}}', "s: 10.0.0.1\n"),
]

def chart_tgz(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    return gzip.compress(buf.getvalue(), mtime=0)

def main():
    for i, v in enumerate(VALUES):
        put("yaml", f"values-{i}", v)
    put("yaml", "manifest", TEMPLATES[0].replace("{{ .Release.Name }}", "x").replace("{{ .Values.x | quote }}", '"1"'))
    for i, t in enumerate(TEMPLATES):
        put("template", f"t-{i}", t + "\0" + VALUES[i % len(VALUES)])
    for i, s in enumerate(SETS):
        put("set", f"set-{i}", s)
    for i, (s, v) in enumerate(SCHEMAS):
        put("schema", f"schema-{i}", s + "\0" + v)
    for i in range(len(VALUES) - 1):
        put("coalesce", f"c-{i}", VALUES[i] + "\0" + VALUES[i + 1] + "\0" + SETS[i % len(SETS)])
    put("coalesce", "null-removes", "a: 1\nb: {c: 2}\n\0b: null\n\0a=null")
    chart = b"apiVersion: v2\nname: c\nversion: 0.1.0\n"
    put("chart_tgz", "minimal", chart_tgz([("c/Chart.yaml", chart)]))
    put("chart_tgz", "templates", chart_tgz([
        ("c/Chart.yaml", chart), ("c/values.yaml", VALUES[1].encode()),
        ("c/templates/cm.yaml", TEMPLATES[0].encode()), ("c/.helmignore", b"*.bak\n"),
        ("c/files/a.txt", b"\xef\xbb\xbfbom"), ("c/values.schema.json", SCHEMAS[0][0].encode()),
    ]))
    put("chart_tgz", "subchart", chart_tgz([
        ("c/Chart.yaml", chart + b"dependencies:\n- name: s\n  version: 0.1.0\n  condition: s.enabled\n"),
        ("c/charts/s/Chart.yaml", b"apiVersion: v2\nname: s\nversion: 0.1.0\n"),
        ("c/charts/s/templates/x.yaml", b"s: {{ .Values.global.g | default 1 }}\n"),
        ("c/crds/crd.yaml", b"kind: CustomResourceDefinition\n"),
    ]))

def oci_seeds():
    d = lambda c: "sha256:" + c * 64
    helm = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": d("a"), "size": 312},
            "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": d("b"), "size": 171234,
                        "annotations": {"org.opencontainers.image.title": "cilium-1.17.18.tgz"}}],
            "annotations": {"org.opencontainers.image.created": "2025-01-01T00:00:00Z"}}
    legacy = json.loads(json.dumps(helm)); legacy["layers"][0]["mediaType"] = "application/tar+gzip"
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d("c"), "size": 500,
                            "platform": {"architecture": "amd64", "os": "linux"}}]}
    docker = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
              "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": d("d"), "size": 1},
              "layers": []}
    answers = ['Bearer realm="https://auth.example/token",service="registry.example",scope="repository:charts/cilium:pull"',
               'Basic realm="x"', '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
               '1.17.18,1.17.19-rc.1,v1.18.0,1.16.5_build.1,latest', 'oci://public.ecr.aws/eks/cilium/cilium@' + d("e")]
    for i, (name, m) in enumerate([("helm", helm), ("legacy", legacy), ("index", index), ("docker", docker)]):
        put("oci_manifest", name, json.dumps(m) + "\0" + answers[i % len(answers)])
    put("oci_manifest", "answers", "{}\0" + answers[4])

def validate_seeds():
    hybrid = VALUES[3] + VALUES[2]
    cases = [
        (hybrid, "10.0.0.0/16", "172.20.0.0/16", "192.168.0.0/16", "10.200.0.0/16", "50", "1.17"),
        (VALUES[2], "10.0.0.0/16,100.64.0.0/16", "", "10.200.0.0/24", "", "600", "1.18.12"),
        ("ipam:\n  mode: kubernetes\nipv6:\n  enabled: true\n", "", "fd00::/108", "", "", "", "v1.19.6"),
        ("ipam:\n  operator:\n    clusterPoolIPv4PodCIDRList: 10.0.0.0/8\n    clusterPoolIPv4MaskSize: 33\n", "10.0.0.0/8", "10.100.0.0/16", "", "", "x", "1.20"),
        ("", "", "", "", "", "", ""),
    ]
    for i, c in enumerate(cases):
        put("validate", f"v-{i}", "\0".join(c))

main()
oci_seeds()
validate_seeds()
