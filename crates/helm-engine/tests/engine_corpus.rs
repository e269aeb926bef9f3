//! Differential corpus: many small one-template charts rendered by our engine and by Helm v4.
//! Each case must give byte-identical output, or both must fail with the same message.
use testkit::engine::ours;
use testkit::helm::Oracle;

const VALUES: &str = r##"
n: 1000000
f: 1.5
i: 3
s: hello
e: ""
t: true
no: nope
on: 1
big: 12345678901234567890
m: {z: 1, a: 2, b: {c: [1, 2, {d: e}]}}
l: [a, b, c]
nums: [3, 1, 2]
nul: ~
multi: |
  line one
  line two
long: "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam"
quoted: ["true", "1.0", "yes", "", "a: b", "- x", "#c", "2024-01-01", "12:30", " lead", "trail ", "tab\there", "ünï", "null", "0x10", "1e3", "*star", "&amp"]
keys: {a10: 1, a9: 2, B: 3, b: 4, "1": 5, "01": 6, "a-b": 7, "a_b": 8}
"##;

const CASES: &[&str] = &[
    // printing and formatting
    "a: {{ .Values.n }} {{ .Values.f }} {{ .Values.i }} {{ .Values.big }} {{ .Values.m }} {{ .Values.l }} {{ .Values.nul }} {{ .Values.missing }}",
    "{{ printf \"%v|%d|%s|%q|%5.2f|%-4s|%x|%T|%T\" .Values.n 3 .Values.s .Values.s .Values.f \"ab\" \"hi\" .Values.l .Values.m }}",
    "{{ printf \"%d %s %v\" .Values.f 3 }} {{ printf \"%e %g %G %E\" .Values.f .Values.n .Values.f .Values.n }}",
    "{{ print 1 2 \"a\" \"b\" 3 nil }} {{ println \"x\" 1 }}",
    "{{ 1.5 }} {{ 1e6 }} {{ 0x1F }} {{ 'a' }} {{ -3 }} {{ 1_000 }} {{ \"a\\tb\" }} {{ `raw\\n` }}",
    // toYaml
    "{{ toYaml .Values }}",
    "{{ .Values.quoted | toYaml }}\n{{ .Values.keys | toYaml }}",
    "{{ toYaml .Values.long }}\n{{ toYaml .Values.multi }}\n{{ toYaml .Values.s }}\n{{ toYaml 3 }}\n{{ toYaml .Values.nul }}\n{{ toYaml (list) }}\n{{ toYaml (dict) }}",
    "x:\n{{ dict \"k\" (repeat 30 \"word \") \"j\" (list 1.5 2 \"x\\ny\" \"a\\n\\n\") | toYaml | indent 2 }}",
    "{{ toJson .Values }}\n{{ toJson \"<a&b>\" }} {{ toRawJson (dict \"a\" \"<b>\") }} {{ toPrettyJson (dict \"a\" (list 1 2)) }}",
    "{{ $d := fromYaml \"a: 1\\nb: [x, y]\\nc: yes\" }}{{ $d }} {{ $d.a }} {{ fromYamlArray \"- 1\\n- two\" }} {{ fromJson \"{\\\"a\\\": 1}\" }}",
    // control flow
    "{{ if .Values.t }}yes{{ else }}no{{ end }} {{ if .Values.e }}a{{ else if .Values.i }}b{{ else }}c{{ end }}",
    "{{ with .Values.m }}{{ .a }}{{ end }} {{ with .Values.missing }}x{{ else with .Values.s }}{{ . }}{{ end }}",
    "{{ range $i, $v := .Values.l }}{{ $i }}={{ $v }};{{ end }} {{ range $k, $v := .Values.m }}{{ $k }}:{{ $v }};{{ end }} {{ range .Values.missing }}x{{ else }}empty{{ end }}",
    "{{ range $i := 5 }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ $i }}{{ end }}",
    "{{- /* comment */ -}}\n  a  {{- \" b \" -}}  c\n{{ \"d\" }}  {{- \"e\" }}",
    "{{ define \"x\" }}[{{ . }}]{{ end }}{{ template \"x\" \"arg\" }} {{ include \"x\" 3 | upper }} {{ block \"y\" . }}blk{{ end }}",
    "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }} {{ $.Values.s }}",
    "{{ and 1 0 \"x\" }} {{ or 0 \"\" \"z\" }} {{ not 0 }} {{ and .Values.missing.x 1 }}",
    // comparisons
    "{{ eq 1 1 }} {{ eq \"a\" \"b\" \"a\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 1.5 }} {{ eq .Values.missing nil }}",
    "{{ eq .Values.f 1 }}",
    "{{ lt .Values.i 2 }}",
    "{{ eq .Values.l .Values.l }}",
    // index/len/slice
    "{{ index .Values.l 1 }} {{ index .Values.m \"b\" \"c\" 2 \"d\" }} {{ len .Values.l }} {{ len .Values.s }} {{ len .Values.m }} {{ slice .Values.l 1 }}",
    "{{ index .Values.l 5 }}",
    "{{ len 3 }}",
    // errors
    "{{ .Values.m.q.r }}",
    "{{ .Values.s.x }}",
    "{{ fail \"boom\" }}",
    "{{ required \"need x\" .Values.x }}",
    "{{ required \"need e\" .Values.e }}",
    "{{ include \"nope\" . }}",
    "{{ lower .Values.f }}",
    "{{ .Values.missing | lower }}",
    "{{ trunc .Values.i \"abcdef\" }}",
    "{{ durationSeconds 3 }}",
    "{{ nosuchfunc 1 }}",
    "{{ if }}{{ end }}",
    "{{ end }}",
    "{{ template \"undefined\" . }}",
    "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}",
    "{{ tpl \"{{ .Values.s }} {{ fail \\\"in tpl\\\" }}\" . }}",
    "{{ 3 | printf \"%d\" 4 }}",
    // sprig strings
    "{{ trim \"  a b  \" }}|{{ trimAll \"$\" \"$5$\" }}|{{ trimSuffix \"-\" \"a-\" }}|{{ trimPrefix \"-\" \"-a\" }}|{{ upper \"ab\" }}|{{ title \"hello world\" }}|{{ untitle \"Hello World\" }}|{{ repeat 3 \"ab\" }}|{{ substr 1 3 \"abcdef\" }}|{{ nospace \"a b c\" }}|{{ trunc 3 \"abcdef\" }}|{{ trunc -2 \"abcdef\" }}|{{ abbrev 5 \"hello world\" }}|{{ initials \"First Try\" }}",
    "{{ contains \"b\" \"abc\" }} {{ hasPrefix \"a\" \"abc\" }} {{ hasSuffix \"c\" \"abc\" }} {{ quote \"a\" 1 .Values.missing }} {{ squote \"a\" 2 }} {{ cat \"a\" 1 nil \"b\" }} {{ replace \"a\" \"b\" \"aaa\" }} {{ plural \"one\" \"many\" 2 }}",
    "x:{{ indent 2 \"a\\nb\" }}\ny:{{ nindent 4 \"c\\nd\" }}\n{{ snakecase \"FooBarBaz\" }} {{ camelcase \"foo_bar\" }} {{ kebabcase \"FooBar\" }} {{ swapcase \"aBc\" }}",
    "{{ join \",\" .Values.l }} {{ join \"-\" (list 1 nil 2) }} {{ split \",\" \"a,b,c\" }} {{ splitList \",\" \"a,b\" }} {{ splitn \",\" 2 \"a,b,c\" }} {{ sortAlpha .Values.nums }} {{ toStrings .Values.nums }}",
    // Go bracket classes: '-' after a class escape or a range, '[', '&&', '--', ']' first are literals
    "{{ regexMatch `^[\\w-\\.]+$` \"my-master.x\" }} {{ regexMatch `^[a-c-e]+$` \"a-e\" }} {{ regexFindAll `[[a]` \"x[a\" -1 }} {{ regexFindAll `[a&&b]` \"&ab\" -1 }} {{ regexReplaceAll `[--/]` \"a-.b/\" \"_\" }} {{ regexFindAll `[]a]` \"]ab\" -1 }} {{ regexFindAll `[^]a]` \"]ab\" -1 }} {{ regexMatch `[\\d-x]` \"-\" }} {{ regexFindAll `[~~]|[[:digit:]-]` \"~1-\" -1 }} {{ regexMatch `[\\p{L}-]` \"-\" }}",
    "{{ mustRegexMatch `[z-a]` \"x\" }}",
    "{{ regexMatch \"^a.c$\" \"abc\" }} {{ regexFind \"[0-9]+\" \"ab123cd45\" }} {{ regexFindAll \"[0-9]+\" \"a1b22c333\" -1 }} {{ regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\" }} {{ regexReplaceAllLiteral \"a(x*)b\" \"-ab-\" \"$1\" }} {{ regexSplit \"z+\" \"pizza\" -1 }} {{ regexQuoteMeta \"1.5\" }}",
    "{{ b64enc \"hello\" }} {{ b64dec \"aGVsbG8=\" }} {{ sha256sum \"x\" }} {{ sha1sum \"x\" }} {{ adler32sum \"x\" }} {{ b32enc \"hi\" }}",
    // conversions and math
    "{{ int \"42\" }} {{ int 3.9 }} {{ int64 \"0x10\" }} {{ float64 \"1.5\" }} {{ toString 1.5 }} {{ toString .Values.n }} {{ atoi \"12\" }} {{ int .Values.n }} {{ int \"1.00\" }}",
    "{{ add 1 2 3 }} {{ add1 .Values.f }} {{ sub 5 .Values.i }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 2 }} {{ max 1 5 3 }} {{ min 4 2 }} {{ addf 1.5 2 }} {{ mulf 1.5 2 }} {{ divf 1 4 }} {{ floor 1.7 }} {{ ceil 1.2 }} {{ round 1.2345 2 }}",
    "{{ until 3 }} {{ untilStep 0 10 3 }} {{ seq 3 }} {{ seq 2 5 }} {{ typeOf (add 1 2) }} {{ typeOf 1 }} {{ typeOf .Values.n }} {{ kindOf .Values.l }} {{ kindIs \"map\" .Values.m }} {{ kindOf nil }}",
    "{{ div 1 0 }}",
    // defaults and lists
    "{{ default \"d\" .Values.missing }} {{ default \"d\" .Values.e }} {{ default \"d\" false }} {{ default \"d\" 0 }} {{ default \"d\" .Values.s }} {{ empty .Values.l }} {{ coalesce .Values.e .Values.missing \"c\" }} {{ ternary \"y\" \"n\" true }} {{ all 1 \"\" }} {{ any 0 \"x\" }}",
    "{{ list 1 \"a\" nil }} {{ first .Values.l }} {{ last .Values.l }} {{ rest .Values.l }} {{ initial .Values.l }} {{ append .Values.l \"d\" }} {{ prepend .Values.l \"z\" }} {{ concat .Values.l (list 1) }} {{ reverse .Values.l }} {{ uniq (list 1 1 2) }} {{ without .Values.l \"b\" }} {{ has \"a\" .Values.l }} {{ compact (list 1 \"\" nil 2) }} {{ chunk 2 .Values.l }}",
    "{{ $d := dict \"a\" 1 \"b\" 2 }}{{ $_ := set $d \"c\" 3 }}{{ $d }} {{ unset $d \"a\" }} {{ hasKey $d \"b\" }} {{ get $d \"b\" }} {{ get $d \"zz\" }} {{ keys $d | sortAlpha }} {{ pick $d \"b\" }} {{ omit $d \"b\" }} {{ pluck \"b\" $d (dict \"b\" 9) }} {{ dict \"odd\" }}",
    "{{ $a := dict \"x\" (dict \"y\" 1) \"k\" \"\" }}{{ $b := dict \"x\" (dict \"z\" 2) \"k\" \"v\" }}{{ merge $a $b }} {{ mergeOverwrite (dict \"a\" 1 \"n\" (dict \"p\" 1)) (dict \"a\" 2 \"n\" (dict \"q\" 2)) }} {{ deepCopy .Values.m }}",
    "{{ dig \"b\" \"c\" \"none\" .Values.m }} {{ dig \"b\" \"q\" \"none\" .Values.m }} {{ dig \"z\" \"none\" .Values.m }}",
    // semver, Capabilities, Release, Chart, Template, Files
    "{{ semverCompare \">=1.21.0-0\" .Capabilities.KubeVersion.Version }} {{ semverCompare \"^1.2\" \"1.5.0\" }} {{ semverCompare \"~1.2.3\" \"1.3.0\" }} {{ (semver \"1.2.3-rc.1+b\").Minor }} {{ .Capabilities.KubeVersion }} {{ .Capabilities.KubeVersion.Major }} {{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.HelmVersion.Version }} {{ .Capabilities.APIVersions.Has \"apps/v1\" }} {{ .Capabilities.APIVersions.Has \"x/v1\" }}",
    "{{ .Release }} {{ .Release.Name }} {{ .Release.Namespace }} {{ .Release.Revision }} {{ .Release.IsInstall }} {{ .Chart.Name }} {{ .Chart.Version }} {{ .Chart.AppVersion }} {{ .Template.Name }} {{ .Template.BasePath }}",
    // gobwas/glob syntax in .Files.Glob: alternatives, classes, ** and escapes
    "{{ range $k, $_ := .Files.Glob \"files/{a,b}.*\" }}{{ $k }};{{ end }}|{{ range $k, $_ := .Files.Glob \"files/[!a].*\" }}{{ $k }};{{ end }}|{{ range $k, $_ := .Files.Glob \"**.{txt,conf}\" }}{{ $k }};{{ end }}|{{ range $k, $_ := .Files.Glob \"files/?.txt\" }}{{ $k }};{{ end }}|{{ range $k, $_ := .Files.Glob \"*\" }}{{ $k }};{{ end }}|{{ range $k, $_ := .Files.Glob \"**\" }}{{ $k }};{{ end }}|{{ range $k, $_ := .Files.Glob \"files/[a-b].*\" }}{{ $k }};{{ end }}|{{ range $k, $_ := .Files.Glob \"files/*.{txt}\" }}{{ $k }};{{ end }}",
    "{{ range $k, $_ := .Files.Glob \"files/[a\" }}{{ $k }};{{ end }}|{{ range $k, $_ := .Files.Glob \"files/[a-bc].txt\" }}{{ $k }};{{ end }}|{{ range $k, $_ := .Files.Glob \"files/{a,b\" }}{{ $k }};{{ end }}|{{ range $k, $_ := .Files.Glob \"{files/{a,x}.txt,nope}\" }}{{ $k }};{{ end }}|{{ range $k, $_ := .Files.Glob \"files/a\\\\.txt\" }}{{ $k }};{{ end }}|{{ range $k, $_ := .Files.Glob \"files/[!a-a].*\" }}{{ $k }};{{ end }}|{{ range $k, $_ := .Files.Glob \"files,x}\" }}{{ $k }};{{ end }}|{{ range $k, $_ := .Files.Glob \"*/*\" }}{{ $k }};{{ end }}",
    "{{ .Files.Get \"files/a.txt\" }}|{{ .Files.Glob \"files/*\" | len }}|{{ .Files.Lines \"files/a.txt\" }}|{{ (.Files.Glob \"files/*\").AsConfig }}|{{ (.Files.Glob \"files/*\").AsSecrets }}|{{ .Files.Get \"nope\" }}",
    "{{ .Values.AsMap.s }} {{ .Values.YAML | len }} {{ (.Values.Table \"m\").a }}",
    "{{ html \"<a href='x'>&</a>\" }} {{ js \"a'b\\\"<>\" }} {{ urlquery \"a b&c\" }} {{ lookup \"v1\" \"Pod\" \"ns\" \"x\" }}",
    "{{ tpl \"{{ .Values.s }}-{{ define \\\"t1\\\" }}T{{ end }}{{ include \\\"t1\\\" . }}\" . }}",
    "{{ $x := \"a\" }}{{ $x | printf \"%s-%s\" \"b\" }} {{ \"x\" | quote | upper }} {{ (list 1 2) | len }}",
    // batch 2: more functions and semantics
    "{{ trimall \"x\" \"xax\" }} {{ hello }} {{ biggest 1 5 2 }} {{ b32dec \"NBUQ====\" }} {{ mustFromJson \"[1,2]\" }} {{ mustSlice .Values.l 0 2 }} {{ len (shuffle \"abc\") }} {{ len (randAlphaNum 7) }} {{ len (uuidv4) }}",
    "{{ toToml (dict \"a\" 1 \"b\" \"x\" \"t\" (dict \"k\" true \"l\" (list 1 2))) }}",
    "{{ toYaml (list (dict \"a\" (list (dict \"b\" 1)))) }}\n{{ toYaml (dict \"k\" (list (list 1 2) (list))) }}",
    "{{ toYaml (dict \"s\" \"line1\\n  indented\\nline3\\n\" \"t\" \"trailing space \\nx\" \"u\" \"\\ttab\\nx\" \"lead\" \"\\nx\") }}",
    "{{ toYaml (dict \"k\" (printf \"%s %s\" (repeat 40 \"ab \") (repeat 40 \"cd \"))) }}\n{{ toYaml (list (repeat 50 \"word \")) | indent 6 }}",
    "{{ $x := list }}{{ range $i, $e := until 3 }}{{ $x = append $x (mul $e 2) }}{{ end }}{{ $x }} {{ typeOf $x }}",
    "{{ range $k, $v := dict \"b\" 1 \"a\" 2 }}{{ $k }}{{ $v }}{{ end }} {{ range $v := .Values.nums }}{{ $v }}{{ end }} {{ range .Values.keys }}{{ . }},{{ end }}",
    "{{ with $x := .Values.m }}{{ $x.a }}{{ end }} {{ if $y := .Values.s }}{{ $y }}{{ end }} {{ $z := 5 }}{{ with .Values.l }}{{ $z }}{{ $.Values.s }}{{ end }}",
    "{{ define \"d1\" }}{{ .a }}-{{ .b | default \"nob\" }}{{ end }}{{ include \"d1\" (dict \"a\" 1) }} {{ include \"d1\" (dict \"a\" 2 \"b\" 3) | quote }} {{ tpl \"{{ .x }}\" (dict \"x\" \"tplx\") }}",
    "{{ printf \"%03d|%+d|%x|%X|%o|%b|%c|%U|%8.3f|%-8.2e|%g|%t|%5t|%q|%v\" 7 5 255 255 8 5 65 65 3.14159 1234.5 0.00001 true false 65 (list 1 \"a\") }}",
    "{{ printf \"%s %d %v %v %v\" (list \"a\" \"b\") (list 1 2) (dict) nil (list nil) }} {{ printf \"%%\" }} {{ printf \"%!\" }} {{ printf \"%d\" }} {{ printf \"x\" 1 2 }}",
    "{{ int64 \"9223372036854775807\" }} {{ add 9223372036854775807 1 }} {{ int 1e20 }} {{ float64 \"x\" }} {{ int \"abc\" }} {{ atoi \"1.5\" }} {{ toString nil }} {{ toString (list 1) }} {{ toString true }}",
    "{{ 1e20 }} {{ 0.000001 }} {{ 123456.0 }} {{ 1234567.0 }} {{ -0.0 }} {{ 100000000000000000000000.0 }} {{ .Values.f | mulf 3 }} {{ divf 10 3 }}",
    "{{ eq 1 1.0 }}",
    "{{ eq \"a\" 1 }}",
    "{{ ne nil 1 }} {{ eq nil nil }} {{ eq .Values.t true }} {{ eq .Values.nul nil }}",
    "{{ lt \"a\" 1 }}",
    "{{ index .Values.m \"zz\" }} {{ index .Values.m \"b\" \"c\" 0 }} {{ index (list (list 1 2)) 0 1 }}",
    "{{ index .Values.m 1 }}",
    "{{ .Values.l.x }}",
    "{{ .Values.i.x }}",
    "{{ $.Values.s }} {{ .Values.m.b.c }} {{ (index .Values.m.b.c 2).d }} {{ (.Values.m).a }}",
    "{{ .Values.m.a 1 }}",
    "{{ \"s\" 1 }}",
    "{{ nil }}",
    "{{ $u }}",
    "{{ range $a, $b, $c := .Values.l }}{{ end }}",
    "{{ break }}",
    "{{ if true }}x{{ else }}y{{ else }}z{{ end }}",
    "{{ with .Values.s }}{{ else if true }}{{ end }}",
    "{{ template }}",
    "{{ \"unterminated }}",
    "{{ .Values.s | nosuch }}",
    "{{ 3 | 4 }}",
    "{{ printf }}",
    "{{ indent \"x\" \"y\" }}",
    "{{ indent 2 }}",
    "{{ quote }}|{{ list }}|{{ dict }}|{{ cat }}|{{ coalesce }}",
    "{{ default }}",
    "{{ required \"m\" }}",
    "{{ tpl \"{{ .Values.missing.x }}\" . }}",
    "{{ tpl \"{{ fail \\\"deep\\\" }}\" . }}",
    "{{ include \"d2\" . }}{{ define \"d2\" }}{{ fail \"in define\" }}{{ end }}",
    "{{ define \"d3\" }}{{ .Values.m.q.r }}{{ end }}{{ include \"d3\" . | indent 2 }}",
    "{{ toYaml .Values.multi | indent 2 }}\n{{- /* trim */ -}}\n{{ .Values.multi | nindent 4 }}",
    "{{- range .Values.l }}\n- {{ . }}\n{{- end }}\n{{ \"  spaced  \" -}}\n   x",
    "a: {{ .Values.quoted | join \",\" }}\nb: {{ .Values.keys | keys | sortAlpha | join \" \" }}",
    "{{ semverCompare \"<1.0\" \"v0.9.0\" }} {{ semverCompare \">= 1.2.3, < 2\" \"1.9.9\" }} {{ semverCompare \"1.2 - 1.4\" \"1.3.5\" }} {{ semverCompare \"1.x || >=3\" \"3.1.0\" }} {{ semverCompare \"!=1.2.3\" \"1.2.3\" }} {{ semverCompare \"~1\" \"1.9.0\" }} {{ semverCompare \"^0.2.3\" \"0.2.9\" }} {{ semverCompare \"^0.0.3\" \"0.0.4\" }}",
    "{{ semverCompare \"bad constraint ***\" \"1.0.0\" }}",
    "{{ semverCompare \">1\" \"not-a-version\" }}",
    "{{ (semver \"v1.2.3\").Major }} {{ (semver \"1.2\").Patch }}",
    "{{ base \"/a/b.txt\" }} {{ dir \"/a/b.txt\" }} {{ ext \"x/y.tar.gz\" }} {{ clean \"a//b/../c/\" }} {{ isAbs \"/x\" }} {{ urlParse \"https://u:p@h.com:8/p?q=1#f\" }} {{ urlJoin (dict \"scheme\" \"http\" \"host\" \"x\" \"path\" \"/y\") }}",
    "{{ duration 3661 }} {{ duration \"90\" }} {{ date \"2006-01-02\" 0 }} {{ htmlDate 86400 }} {{ date \"Mon Jan 2 15:04:05 MST 2006\" 1700000000 }}",
    "{{ unixEpoch 0 }}",
    "{{ dateModify \"-1h\" \"x\" }}",
    // block scalars at the end of the input without a final line break (toYaml trims it)
    "{{ $d := fromYaml \"a: |\\n  x\" }}{{ $d.a | quote }} {{ (fromYaml \"a: |+\\n  x\").a | quote }} {{ (fromYaml \"a: >\\n  x\\n  y\").a | quote }} {{ (fromYaml \"a: |-\\n  x\").a | quote }} {{ (fromYaml \"a: |\\n  x\\n\\n\").a | quote }} {{ (fromYaml \"a: |+\\n  x\\n\\n\").a | quote }} {{ (fromYaml \"a:\\n  b: |\\n    x\\n    y\").a.b | quote }}",
    "{{ $m := dict \"cfg\" (dict \"app.yaml\" \"port: 8080\\n\") }}{{ $r := $m | toYaml | fromYaml }}{{ $r.cfg | toYaml }}",
    // mergo skips nil source values (merge) unless overwriting (mergeOverwrite)
    "{{ merge (dict) (dict \"a\" nil \"b\" 1) | toJson }} {{ mergeOverwrite (dict \"a\" 1) (dict \"a\" nil) | toJson }} {{ merge (dict \"a\" nil) (dict \"a\" 1) | toJson }} {{ merge (dict \"m\" (dict)) (dict \"m\" (dict \"x\" nil \"y\" 2)) | toJson }} {{ mergeOverwrite (dict \"m\" (dict \"x\" 1)) (dict \"m\" (dict \"x\" nil)) | toJson }} {{ merge (dict) (dict \"l\" (list) \"e\" \"\" \"z\" 0 \"f\" false) | toJson }} {{ merge (dict \"l\" (list 1) \"e\" \"x\") (dict \"l\" nil \"e\" nil) | toJson }} {{ mergeOverwrite (dict \"l\" (list 1) \"e\" \"x\" \"z\" 1) (dict \"l\" (list) \"e\" \"\" \"z\" 0) | toJson }}",
    "{{ $d := dict }}{{ $_ := fromYaml \"a: ~\\nb: {c: ~, d: 1}\" | merge $d }}{{ $d | toJson }} {{ $e := dict \"b\" (dict \"c\" 5) }}{{ $_ := fromYaml \"a: ~\\nb: {c: ~, d: 1}\" | merge $e }}{{ $e | toJson }} {{ mustMerge (dict) (dict \"n\" nil) | toJson }} {{ mustMergeOverwrite (dict) (dict \"n\" nil) | toJson }} {{ merge (dict \"m\" (dict)) (dict \"m\" (dict \"x\" nil)) | toJson }} {{ merge (dict \"m\" (dict)) (dict \"m\" 3) | toJson }} {{ merge (dict \"m\" \"\") (dict \"m\" (dict \"x\" 1)) | toJson }} {{ mergeOverwrite (dict \"m\" (dict \"x\" 1)) (dict \"m\" \"s\") | toJson }} {{ mergeOverwrite (dict \"m\" (dict \"x\" 1)) (dict \"m\" (dict)) | toJson }} {{ merge (dict \"a\" 1) (dict \"a\" 2) (dict \"b\" nil \"a\" 3) | toJson }}",
    "{{ trunc -3 \"abcdef\" }} {{ trunc 10 \"ab\" }} {{ abbrev 5 \"hello world\" }} {{ initials \"foo bar baz\" }} {{ wrapWith 5 \"\\t\" \"Hello World\" }} {{ nospace \" a b  c \" }} {{ swapcase \"Hello World\" }} {{ plural \"one\" \"many\" 2 }} {{ substr 1 3 \"hello\" }} {{ substr 3 1 \"hello\" }} {{ substr -1 2 \"hello\" }} {{ substr 2 99 \"hello\" }}",
    "{{ seq 5 }} {{ seq 2 5 }} {{ seq 5 2 }} {{ seq 0 2 10 }} {{ seq 1 -1 }} {{ until 3 }} {{ untilStep 0 10 3 }} {{ untilStep 10 0 -4 }} {{ splitn \",\" 2 \"a,b,c\" }} {{ chunk 2 (list 1 2 3 4 5) }}",
    "{{ atoi \"42\" }} {{ atoi \"x\" }} {{ int64 \"7\" }} {{ int \"3.9\" }} {{ float64 \"1.5\" }} {{ int 3.9 }} {{ int -3.9 }} {{ toDecimal \"0777\" }} {{ int \"0x1F\" }} {{ int64 \"1e3\" }} {{ float64 \"abc\" }} {{ int true }}",
    "{{ add1f 1.5 }} {{ addf 1 2.5 }} {{ subf 5 1.25 }} {{ mulf 2 1.5 }} {{ divf 1 3 }} {{ round 2.555 2 }} {{ round 2.5 0 }} {{ ceil 1.1 }} {{ floor -1.1 }} {{ maxf 1 2.5 0 }} {{ minf 3 1.5 }} {{ max 1 5 3 }} {{ min 4 2 9 }} {{ biggest 1 9 }}",
    "{{ add 1 2 3 }} {{ sub 10 3 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 3 }} {{ add 1.5 1 }} {{ mul 1.5 2 }} {{ div 7.5 2 }} {{ add \"3\" 4 }} {{ max 1.5 2 }} {{ add1 \"x\" }}",
    "{{ div 1 0 }}",
    "{{ mod 1 0 }}",
    "{{ sha1sum \"x\" }} {{ sha256sum \"x\" }} {{ sha512sum \"x\" }} {{ adler32sum \"x\" }} {{ b32enc \"hi\" }} {{ b32dec \"NBUQ====\" }} {{ b64dec \"!!\" }} {{ b32dec \"!\" }}",
    "{{ pluck \"a\" (dict \"a\" 1) (dict \"b\" 2) (dict \"a\" 3) }} {{ values (dict \"b\" 2 \"a\" 1) | sortAlpha }} {{ pick (dict \"a\" 1 \"b\" 2) \"a\" \"z\" }} {{ omit (dict \"a\" 1 \"b\" 2) \"a\" }} {{ hasKey (dict \"a\" nil) \"a\" }} {{ get (dict \"a\" 1) \"b\" }} {{ dig \"a\" \"b\" \"def\" (dict \"a\" (dict \"b\" nil)) }} {{ dig \"x\" \"def\" (dict) }}",
    "{{ $d := dict \"a\" 1 }}{{ $_ := set $d \"b\" 2 }}{{ $_ := unset $d \"a\" }}{{ $d }} {{ list 1 2 | toStrings }} {{ list 3 \"1\" 2.5 nil | toStrings }} {{ uniq (list 1 \"1\" 1 2.0 2) }} {{ compact (list 0 1 \"\" nil false \"x\" (list)) }} {{ without (list 1 2 1 3) 1 }}",
    "{{ printf \"%-10s|%10s|%.2s|%q|%x|%X|%c|%U|%o|%b|%e|%+d|% d|%05d|%8.3f|%-8.3f|%t|%v|%%\" \"ab\" \"cd\" \"xyz\" \"q\" \"hi\" 255 65 65 8 5 12345.678 5 5 42 3.14159 2.5 true nil }}",
    "{{ printf \"%v %+v %#v %T\" (dict \"a\" 1 \"b\" (list 1 \"x\")) (dict \"a\" 1) (list 1 \"a\") (dict) }} {{ printf \"%s\" 3 }} {{ printf \"%d\" \"x\" }} {{ printf \"%v\" 1e21 }} {{ printf \"%v %v %v\" 1e20 0.000001 0.0000001 }} {{ printf \"%g %G\" 100000000.0 1e-5 }}",
    "{{ print 1.0 2.5 1e6 1e21 0.1 }} {{ 3.0 }} {{ 1e21 }} {{ toString 1.0 }} {{ toString 1e6 }} {{ toString 100000000 }} {{ 100000000.0 }} {{ quote 1.5 2 }} {{ squote nil }} {{ quote nil }}",
    "{{ cat \"a\" nil \"b\" 1 }} {{ replace \"a\" \"b\" \"aaa\" }} {{ repeat 3 \"ab\" }} {{ lower \"ÀB\" }} {{ upper \"straße\" }} {{ title \"hello wORLD-x y_z\" }} {{ untitle \"Hello World\" }} {{ camelcase \"foo_bar-baz qux\" }} {{ snakecase \"FooBarBAZ qux\" }} {{ kebabcase \"FooBar_baz\" }} {{ shuffle \"\" }}",
    "{{ trimAll \"$\" \"$5.00$\" }} {{ trimSuffix \"-\" \"a--\" }} {{ trimPrefix \"-\" \"--a\" }} {{ trim \"  a \\n\" }} {{ contains \"b\" \"abc\" }} {{ hasPrefix \"a\" \"abc\" }} {{ hasSuffix \"c\" \"abc\" }} {{ indent 2 \"a\\n\\nb\\n\" }} {{ nindent 2 \"a\" }} {{ split \"$\" \"a$b$c\" }} {{ splitList \",\" \"\" }} {{ join \"-\" (list 1 nil \"a\" 2.5) }}",
    "{{ ternary \"y\" \"n\" true }} {{ ternary \"y\" \"n\" \"\" }} {{ default \"d\" 0 }} {{ default \"d\" false }} {{ default \"d\" (list) }} {{ default \"d\" \"x\" }} {{ empty 0.0 }} {{ empty (dict) }} {{ coalesce 0 \"\" nil \"z\" }} {{ all 1 \"a\" true }} {{ any 0 \"\" nil }} {{ fromJsonArray \"[1,\\\"a\\\"]\" }} {{ toPrettyJson (list) }} {{ toRawJson \"<&>\" }}",
    "{{ (semver \"1.2.3-beta.1+b\").Prerelease }} {{ (semver \"v2.0.0\").Original }} {{ semverCompare \"~1.2.3\" \"1.2.9\" }} {{ semverCompare \">=1.25.0-0\" \"v1.30.2-eks-1234\" }} {{ semverCompare \"^1.x\" \"1.99.0\" }} {{ semverCompare \"<=1.2\" \"1.2.9\" }}",
    "{{ regexReplaceAll \"(a)(b)?\" \"ab a\" \"[$1|$2|${1}x|$1x]\" }} {{ regexReplaceAllLiteral \"a\" \"aa\" \"$0\" }} {{ regexFindAll \"a\" \"aaaa\" 2 }} {{ regexFind \"x\" \"abc\" }} {{ regexSplit \"\" \"abc\" -1 }} {{ regexSplit \",\" \"a,b,c\" 2 }} {{ regexMatch \"(?i)ABC\" \"xabcx\" }} {{ regexMatch \"^\\\\d{3}$\" \"123\" }}",
    "{{ toYaml (dict \"a\" (list (dict \"b\" 1 \"c\" (list)) (list 1 2) nil) \"e\" (dict)) }}\n{{ toYaml (list (list (list))) }}\n{{ toYaml \"a\\nb\" }}\n{{ toYaml (dict \"k\" \"line1\\nline2\\n\\n\") }}\n{{ toYaml (dict \"k\" \" lead\\ntrail \") }}\n{{ toYaml (dict \"k\" \"tab\\there\\nx\") }}",
    "{{ toToml (dict \"a\" 1 \"b\" (dict \"c\" \"x\" \"d\" (list 1 2)) \"e\" 1.5 \"f\" true \"s\" \"q\\\"uote\") }}",
    "{{ fromYaml \"a: [1\" | toJson }} {{ fromYamlArray \"a: 1\" | toJson }} {{ fromJson \"{bad\" | toJson }} {{ fromJsonArray \"{}\" | toJson }} {{ fromYaml \"- 1\" | toJson }} {{ fromYaml \"\" | toJson }} {{ fromYaml \"x\" | toJson }}",
    // Go's encoding/json errors
    "{{ range list \"{bad\" \"\" \"[1,]\" \"{\\\"a\\\" 1}\" \"{\\\"a\\\":1,}\" \"[1 2]\" \"tru\" \"trux\" \"nul\" \"-\" \"-x\" \"1.\" \"1.x\" \"1e\" \"1e+x\" \"\\\"a\\\\x\\\"\" \"\\\"\\\\u12g4\\\"\" \"{} x\" \"'s'\" \"{\\\"a\\\":1\" \"[\" \"\\\"abc\" \"01\" \"[1]\" \"\\\"s\\\"\" \"1.5\" \"true\" \"\\\"\\t\\\"\" }}{{ fromJson . | toJson }};{{ end }}",
    "{{ range list \"{}\" \"[}\" \"3\" \"false\" \"\\\"x\\\"\" \"[1, {\\\"a\\\": [2]}]\" }}{{ fromJsonArray . | toJson }};{{ end }} {{ range list \"3\" \"true\" \"[1]\" \"x\" }}{{ fromYaml . | toJson }};{{ fromYamlArray . | toJson }};{{ end }}",
    "{{ mustFromJson \"{\\\"a\\\": }\" }}",
    "{{ substr -1 10 \"abc\" }}",
    "{{ substr 5 7 \"abc\" }}",
    "{{ eq 1 1.0 }}",
    "{{ lt 1 \"a\" }}",
    "{{ eq .Values.i 3 }} {{ eq .Values.n 1000000 }} {{ eq .Values.f 1.5 }} {{ lt .Values.i 4 }} {{ eq \"a\" .Values.s }} {{ ne .Values.nul nil }} {{ eq .Values.missing .Values.nul }}",
    "{{ printf \"%v\" (dict \"a\" nil \"b\" (list nil 1)) }} {{ dict \"a\" nil }} {{ list nil }} {{ print nil }} {{ print (list) (dict) }} {{ .Values.nul }} {{ .Values.missing }} {{ printf \"%s\" .Values.missing }} {{ printf \"%d\" .Values.nul }}",
    "{{ html \"<a href='x'>&</a>\" }} {{ js \"it's <b> \\\"q\\\" \\\\ \\n\" }} {{ urlquery \"a b&c=d/é\" }} {{ print (html 1 2) }} {{ len \"héllo\" }} {{ index \"abc\" 1 }} {{ slice \"hello\" 1 3 }} {{ slice .Values.l 1 2 }}",
    "{{ and 1 (fail \"no\") }}",
    "{{ or 1 (fail \"no\") }} {{ and 0 (fail \"no\") }} {{ or (list) (dict) 0 \"last\" }} {{ and \"a\" (list 1) }}",
    "{{ $x := 0 }}{{ range $i, $e := .Values.nums }}{{ $x = add $x $e }}{{ end }}{{ $x }} {{ range $k, $v := .Values.keys }}{{ $k }}{{ end }} {{ range .Values.nul }}x{{ else }}nil-else{{ end }} {{ range $i, $c := \"ab\" }}{{ $i }}{{ end }}",
    "{{ with $x := .Values.m }}{{ $x.a }}{{ end }} {{ with .Values.e }}e{{ else with .Values.nul }}n{{ else }}none{{ end }} {{ if and .Values.m.b .Values.m.b.c }}{{ index .Values.m.b.c 2 \"d\" }}{{ end }}",
    "{{ .Values.m.z.missing }}",
    "{{ .Values.s.foo }}",
    "{{ index .Values.m \"nope\" \"deeper\" }}",
    "{{ template \"nope\" }}",
    "{{ include \"nope\" . }}",
    "{{ tpl \"{{ .Values.s }}-{{ .Template.Name }}-{{ .Template.BasePath }}\" . }} {{ tpl \"{{ define \\\"inner\\\" }}I{{ end }}{{ include \\\"inner\\\" . }}\" . }} {{ tpl (toYaml .Values.m) . | fromYaml | toJson }}",
    "{{ tpl \"{{ .a }}\" (dict \"a\" 1) }}",
    "{{ required \"need x\" .Values.missing }}",
    "{{ required \"need e\" .Values.e }}",
    "{{ required \"ok\" .Values.i }} {{ required \"ok\" 0 }} {{ required \"ok\" false }}",
    "{{ fail \"custom failure: x\" }}",
    "{{ .Release.Name }} {{ .Release.Namespace }} {{ .Release.IsInstall }} {{ .Release.IsUpgrade }} {{ .Release.Revision }} {{ .Release.Service }} {{ .Chart.Name }} {{ .Chart.Version }} {{ .Chart.AppVersion }} {{ .Chart.ApiVersion }} {{ .Chart.Type }} {{ .Capabilities.KubeVersion }} {{ .Capabilities.KubeVersion.Major }} {{ .Capabilities.HelmVersion.Version | hasPrefix \"v4\" }} {{ .Template.Name }} {{ .Template.BasePath }}",
    "{{ toYaml (omit .Chart \"Annotations\") }}",
    "{{ toJson .Release }} {{ typeOf .Release }} {{ typeOf .Chart }} {{ typeOf .Capabilities }} {{ typeOf .Files }} {{ typeOf .Values }} {{ kindOf .Values.l }} {{ typeOf .Values.n }} {{ typeOf .Values.big }}",
    "{{ .Values.n | int | printf \"%d\" }} {{ .Values.big }} {{ .Values.big | int64 }} {{ .Values.n | toString }} {{ .Values.f | int }} {{ 1e6 | int }} {{ .Values.n | quote }} {{ .Values.big | quote }} {{ .Values.n | toYaml }} {{ .Values.big | toJson }}",
    // .Capabilities.APIVersions is a Go []string type: list functions take it
    "{{ $a := .Capabilities.APIVersions }}{{ has \"apps/v1\" $a }} {{ has \"no/v1\" $a }} {{ mustHas \"v1\" $a }} {{ first $a }} {{ last $a }} {{ slice $a 1 3 }} {{ len (uniq $a) }} {{ len (without $a \"v1\") }} {{ kindOf $a }} {{ typeOf $a }} {{ index $a 0 }}",
    "{{ $a := .Capabilities.APIVersions }}{{ len (sortAlpha $a) }} {{ join \",\" (slice $a 0 2) }} {{ len (concat $a (list 1)) }} {{ len (rest $a) }} {{ len (initial $a) }} {{ len (reverse $a) }} {{ len (compact $a) }} {{ len (append $a \"x\") }} {{ empty $a }} {{ len (mustUniq $a) }} {{ len (splitList \" \" (join \" \" $a)) }} {{ sortAlpha .Values.missing }} {{ sortAlpha 3 }}",
    // .Chart.Annotations is a Go map[string]string, nil unless Chart.yaml has annotations
    "{{ toYaml .Chart }}\n{{ toJson .Chart }} {{ printf \"%#v|%v|%q\" .Chart.Annotations .Chart.Annotations .Chart.Annotations }} {{ .Chart.Annotations.x | typeOf }} {{ len .Chart.Annotations }} {{ range .Chart.Annotations }}x{{ else }}none{{ end }} {{ empty .Chart.Annotations }} {{ toYaml .Chart.Annotations }}",
    "{{/* annotated */}}{{ toYaml .Chart }}\n{{ typeOf .Chart.Annotations }} {{ kindOf .Chart.Annotations }} {{ .Chart.Annotations.zz | typeOf }} {{ eq .Chart.Annotations.zz \"\" }} {{ index .Chart.Annotations \"a\" }} {{ index .Chart.Annotations \"zz\" | typeOf }} {{ range $k, $v := .Chart.Annotations }}{{ $k }}={{ $v }};{{ end }} {{ printf \"%#v %q %x %d\" .Chart.Annotations .Chart.Annotations .Chart.Annotations .Chart.Annotations }} {{ deepCopy .Chart.Annotations | typeOf }} {{ toPrettyJson .Chart.Annotations }} {{ with .Chart.Annotations }}{{ .b }}{{ end }}",
    "{{/* annotated */}}{{ hasKey .Chart.Annotations \"a\" }}",
    "{{/* annotated */}}{{ dig \"a\" \"q\" .Chart.Annotations }}",
    "{{/* annotated */}}{{ eq .Chart.Annotations .Chart.Annotations }}",
    "{{/* annotated */}}{{ .Chart.Annotations.a.b }}",
    "{{ index .Chart.Annotations 1 }}",
    "{{ index .Values nil }}",
    "{{ index .Files nil }}",
    "{{ index .Files 1 }}",
    "{{ eq .Files .Files }}",
    "{{ eq .Values.nums .Values.nums }}",
    "{{ $b := index .Files \"files/b.conf\" }}{{ typeOf $b }} {{ toString $b }} {{ $b | quote }} {{ printf \"%s|%q|%x|%X|%v|%d|%#v\" $b $b $b $b $b $b $b }} {{ toJson $b }} {{ len $b }} {{ index $b 0 }} {{ first $b }} {{ kindOf $b }} {{ print $b }} {{ cat $b \"x\" }} {{ range $i, $c := $b }}{{ $i }}:{{ $c }},{{ end }}",
    "{{ range $p, $b := .Files.Glob \"files/*\" }}{{ $p }}={{ toString $b | quote }} {{ $b | toString | b64enc }};{{ end }} {{ .Files.GetBytes \"files/a.txt\" | toString | quote }} {{ toJson (.Files.GetBytes \"nope\") }}",
    "{{ .Files.nope }} {{ .Files.nope | len }} {{ typeOf .Files.nope }} {{ empty .Files.nope }} {{ .Files.nope | toJson }} {{ index .Files \"nope\" | toJson }} {{ printf \"%#v\" .Files.nope }} {{ if .Files.GetBytes \"nope\" }}y{{ else }}n{{ end }}",
    "{{ dict \"a\" (.Files.GetBytes \"files/b.conf\") | toYaml }}",
    "{{ .Files.GetBytes \"files/b.conf\" | b64enc }}",
    "{{ eq (.Files.GetBytes \"files/b.conf\") (.Files.GetBytes \"files/b.conf\") }}",
    "{{ index (.Files.GetBytes \"files/b.conf\") 9 }}",
    "{{ round 1.5 0 0.6 }} {{ round 1.6 0 0.6 }} {{ round -1.4 0 }} {{ round -1.5 0 }} {{ round 2.345 2 }} {{ round 1234.5 -2 }} {{ round \"3.7\" 0 }} {{ round .Values.f 0 }}",
    "{{ seq 1 2 3 4 }}|{{ seq 5 }}|{{ seq -3 }}|{{ seq 2 5 }}|{{ seq 5 2 }}|{{ seq 1 2 10 }}|{{ seq 10 -2 1 }}|{{ seq 10 2 1 }}|{{ seq 1 -1 5 }}|{{ seq 5 0 5 }}|{{ seq }}",
    "{{ seq \"3\" }}",
    "{{ seq 1.5 }}",
    "{{ seq .Values.i }}",
    "{{ randInt \"0\" \"1\" }}",
    "{{ randInt 5 5 }}",
    "{{ randInt 1.5 2 }}",
    "{{ len (print (randInt 0 3)) }}",
    "{{ .Values.PathValue \"m.b.c\" }} {{ .Values.PathValue \"s\" }} {{ (.Values.Table \"m\").PathValue \"z\" }} {{ .Values.Table \"m.b\" }} {{ typeOf (.Values.Table \"m\") }} {{ .Values.YAML | len }} {{ .Values.AsMap | len }}",
    "{{ .Values.Table \"nope\" }}",
    "{{ .Values.Table \"m.z\" }}",
    "{{ .Values.Table \"\" }}",
    "{{ .Values.PathValue \"m\" }}",
    "{{ .Values.PathValue \"nope.x\" }}",
    "{{ .Values.PathValue \"\" }}",
    "{{ .Values.PathValue \"m.q\" }}",
    "{{ .Values.Table \"m\" \"x\" }}",
    "{{ int \"1_000\" }} {{ int \"1_0_0\" }} {{ int \"0x_1F\" }} {{ int \"0b1_1\" }} {{ int \"_1\" }} {{ int \"1__0\" }} {{ int \"1_\" }} {{ int64 \"0o_17\" }} {{ int \"1_000.0\" }} {{ atoi \"99999999999999999999\" }} {{ atoi \"-99999999999999999999\" }} {{ atoi \"+12\" }} {{ atoi \" 3\" }} {{ atoi \"1_0\" }} {{ atoi \"\" }} {{ atoi \"-\" }}",
    "{{ toYaml (list \"<<\" \"=\" \"<<x\") }}\\n{{ toYaml (dict \"<<\" 1) }}",
    "{{ toPrettyJson (float64 \"NaN\") | quote }} {{ toJson (float64 \"NaN\") | quote }}",
    "{{ mustToPrettyJson (float64 \"NaN\") }}",
    "{{ toJson .Capabilities }} {{ toJson .Capabilities.KubeVersion }} {{ toJson .Capabilities.HelmVersion }}",
    "{{ toYaml .Capabilities.KubeVersion }}\\n{{ toYaml .Capabilities.HelmVersion }}",
    "{{ toPrettyJson .Capabilities.KubeVersion }} {{ toPrettyJson (dict \"z\" 1e21 \"a\" (list) \"m\" (dict) \"s\" \"<a\\\"b\\\\\\\\:,{[>\" \"l\" (list 1 (dict \"x\" (list 2.5 nil)))) }} {{ toPrettyJson \"x\" }} {{ toPrettyJson nil }} {{ mustToPrettyJson (list) }}",
    "{{ (.Files.Glob \"nope/*\").AsConfig | quote }} {{ (.Files.Glob \"nope/*\").AsSecrets | quote }} {{ (.Files.Glob \"files/*\").AsConfig }}",
    "{{ float64 \"1e400\" }} {{ float64 \"-1e400\" }} {{ float64 \"1e-400\" }} {{ fromYaml \"a: 1e400\\nb: 99999999999999999999999\\nc: -1e400\" | toJson }}",
    "{{ regexFind \"\\\\d+\" \"a٣٤7\" | quote }} {{ regexFind \"\\\\w+\" \"héllo\" }} {{ regexFindAll \"[\\\\d\\\\s]+\" \"1 ٣ 2\\u00a03\" -1 | toJson }} {{ regexMatch \"^\\\\S+$\" \"a\\u00a0b\" }} {{ regexReplaceAll \"\\\\bé\" \"xé é\" \"E\" }} {{ regexReplaceAll \"\\\\Bb\" \"ab b\" \"B\" }} {{ regexSplit \"\\\\W+\" \"a-b_c,d\" -1 }} {{ regexFind \"[^\\\\d]+\" \"12ab\" }} {{ regexFind \"[\\\\D]+\" \"12ab\" }} {{ regexMatch \"\\\\\\\\d\" \"\\\\d\" }} {{ regexFind \"(?i)[\\\\w]+\" \"ÀbC\" }}",
    "{{ regexFind \"[\" \"a\" }}",
    "{{ regexFindAll \"a(\" \"a\" -1 }}",
    "{{ regexReplaceAll \"x**\" \"a\" \"b\" }}",
    "{{ regexSplit \"[z-a]\" \"a\" -1 }}",
    "{{ mustRegexFind \"[\" \"a\" }}",
    "{{ regexMatch \"[\" \"a\" }} {{ regexReplaceAllLiteral \"a\" \"aa\" \"$1\" }}",
    "{{ regexReplaceAllLiteral \"(\" \"a\" \"b\" }}",
    "{{ addf 0.1 0.2 }} {{ subf 0.3 0.1 }} {{ mulf 0.1 3 }} {{ subf 1 0.9 }} {{ divf 2 3 }} {{ divf 1 7 }} {{ divf -2 3 }} {{ add1f 0.1 }} {{ subf 5 }} {{ subf 10 1 2.5 }} {{ divf 100 3 2 }} {{ mulf .Values.f 0.1 }} {{ addf \"1.5\" 2 }} {{ toJson (addf 0.1 0.2) }} {{ mulf 1e200 1e200 }} {{ addf 1e300 1e-300 }} {{ divf 1e-300 1e300 }} {{ mulf 1.1 1.1 1.1 1.1 }} {{ addf }}",
    "{{ divf 1 0 }}",
    "{{ addf (float64 \"NaN\") 1 }}",
    "{{ mulf 2 (float64 \"-Inf\") }}",
    "{{ append .Values.missing 1 }}",
    "{{ first .Values.missing }}",
    "{{ concat .Values.missing (list 1) }}",
    "{{ prepend nil 1 }}",
    "{{ concat (list 1) \"ab\" }}",
    "{{ first (dict) }}",
    "{{ append \"abc\" 1 }}",
    "{{ without 1 2 }}",
    "{{ mustFirst 1 }}",
    "{{ rest nil }}",
    "{{ eq (list 1) (list 2) }}",
    "{{ eq (list 1) (dict) }}",
    "{{ eq .Capabilities.KubeVersion .Capabilities.KubeVersion }} {{ eq .Chart.Annotations .Chart.Annotations }}",
    "{{ eq .Values.m .Values.m }}",
    "{{ printf \"%s\" .Files | quote }} {{ printf \"%v\" .Files }}",
    "{{ kindIs \"slice\" (splitList \",\" \"a\") }} {{ typeOf (dict) }} {{ typeOf .Values.m }} {{ typeIs \"string\" \"x\" }} {{ deepEqual (list 1 2) (list 1 2) }}",
];

fn write_chart(dir: &std::path::Path, tpl: &str) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::create_dir_all(dir.join("files")).unwrap();
    // a case that starts with this comment gets Chart.yaml annotations (else Helm's are nil)
    let annotations = if tpl.starts_with("{{/* annotated */}}") {
        "annotations:\n  b: \"2\"\n  a: x y\n"
    } else {
        ""
    };
    std::fs::write(
        dir.join("Chart.yaml"),
        format!("apiVersion: v2\nname: corpus\nversion: 0.1.0\nappVersion: \"1.0\"\n{annotations}"),
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), VALUES).unwrap();
    std::fs::write(dir.join("files/a.txt"), "alpha\nbeta\n").unwrap();
    std::fs::write(dir.join("files/b.conf"), "k=v").unwrap();
    std::fs::write(dir.join("templates/t.yaml"), tpl).unwrap();
}

#[test]
fn corpus_matches_helm() {
    let mut o = Oracle::start();
    let tmp = tempfile::tempdir().unwrap();
    let mut same = 0;
    let mut failures = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let dir = tmp.path().join(format!("c{i}"));
        write_chart(&dir, case);
        let theirs = o.render(&dir, &[], "rel", "ns");
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
    eprintln!("corpus: {same}/{} cases identical", CASES.len());
    for f in &failures {
        eprintln!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} corpus cases differ",
        failures.len()
    );
}
