#!/usr/bin/env bash
# The release command: builds the plugin's archives, their sha256s and the krew manifest.
#
#   bash krew/dist.sh                        # = build (host) + manifest + check: what a local release run does
#   bash krew/dist.sh build [--target T]     # one archive: release build, man pages, completions, sha256
#   bash krew/dist.sh manifest [--require-all] [--base-url URL]
#                                            # krew/podnet.yaml rendered from the archives in --out
#   bash krew/dist.sh check                  # budgets: stripped binary <= 20 MB, `--help` <= 10 ms
#   bash krew/dist.sh krew-bot               # prints .krew.yaml (krew-release-bot's template) from krew/podnet.yaml
#
# Common flags: --out DIR (default $CARGO_TARGET_DIR/dist-archives), --profile P (default dist: the
# release profile with opt-level "s" and fat LTO, see Cargo.toml), --binary FILE (build: package this
# host binary instead of building one; the test suite packages its own build, see tests/dist.rs). Environment: CARGO_TARGET_DIR (default
# ~/.cache/podnet-target, shared with tests/run.sh), SOURCE_DATE_EPOCH (archive timestamps; default the
# commit time, so archives are reproducible).
#
# Linux builds are static (the *-linux-musl target) where the toolchain has the musl target installed;
# otherwise the host's *-linux-gnu target is built and the script says so. Each platform is built on its
# own native runner (.github/workflows/release.yml); the last job renders the manifest from all archives.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/podnet-target}"

BIN=kubectl-podnet
MAX_BYTES=$((20 * 1024 * 1024))
MAX_HELP_MS=10
PLATFORMS=(linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64)

die() { echo "dist: error: $*" >&2; exit 2; }
note() { echo "dist: $*" >&2; }

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }

cmd=all
case "${1:-}" in
  build|manifest|check|all|krew-bot) cmd=$1; shift ;;
  -h|--help) usage; exit 0 ;;
esac
target="" out="" require_all=false profile=dist binary=""
base_url="https://github.com/podnet/kubectl-podnet/releases/download"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --target) target=${2:?--target needs a triple}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --require-all) require_all=true; shift ;;
    --profile) profile=${2:?--profile needs a name}; shift 2 ;;
    --binary) binary=${2:?--binary needs a file}; shift 2 ;;
    --base-url) base_url=${2:?--base-url needs a URL}; base_url=${base_url%/}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see: bash krew/dist.sh --help)" ;;
  esac
done
out="${out:-$CARGO_TARGET_DIR/dist-archives}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

host="$(rustc -vV | sed -n 's/^host: //p')"
version="$(cargo pkgid -p "$BIN")"; version="${version##*[@#]}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]] \
  || die "package version '$version' is not semver"

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# The Linux target: musl (static) when its standard library is installed, else the host's gnu target.
default_target() {
  local musl
  case "$host" in
    *-unknown-linux-gnu)
      musl="${host%-gnu}-musl"
      if [[ -d "$(rustc --print sysroot)/lib/rustlib/$musl/lib" ]]; then
        echo "$musl"
      else
        note "NOTE: the $musl target is not installed (rustup target add $musl), so this build is" \
          "$host: dynamically linked against glibc, not static. Release builds install musl."
        echo "$host"
      fi ;;
    *) echo "$host" ;;
  esac
}

# krew platform (os-arch) of a target triple.
platform_of() {
  case "$1" in
    x86_64-unknown-linux-*) echo linux-amd64 ;;
    aarch64-unknown-linux-*) echo linux-arm64 ;;
    x86_64-apple-darwin) echo darwin-amd64 ;;
    aarch64-apple-darwin) echo darwin-arm64 ;;
    x86_64-pc-windows-*) echo windows-amd64 ;;
    *) return 1 ;;
  esac
}

archive_name() { # TARGET -> file name
  case "$1" in
    *-windows-*) echo "$BIN-$1.zip" ;;
    *) echo "$BIN-$1.tar.gz" ;;
  esac
}

binary_path() { # TARGET -> built binary
  local exe="" pdir=$profile
  [[ "$profile" == dev ]] && pdir=debug # cargo's directory for the dev profile
  local dir="$CARGO_TARGET_DIR/$pdir"
  [[ "$1" == *-windows-* ]] && exe=.exe
  [[ "$1" != "$host" ]] && dir="$CARGO_TARGET_DIR/$1/$pdir"
  echo "$dir/$BIN$exe"
}

tar_gz() { # DIR ARCHIVE: the directory's contents at the archive root, reproducible
  local dir=$1 archive=$2 tar=tar
  command -v gtar >/dev/null && tar=gtar
  if "$tar" --version 2>/dev/null | grep -q 'GNU tar'; then
    (cd "$dir" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort \
      | "$tar" --no-recursion --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
        --format=ustar -cf - -T -) | gzip -n -9 >"$archive"
  else # bsdtar (macOS)
    (cd "$dir" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort \
      | tar --uid 0 --gid 0 --uname root --gname root -n -cf - -T -) | gzip -n -9 >"$archive"
  fi
}

zip_dir() { # DIR ARCHIVE
  local dir=$1 archive=$2
  if command -v zip >/dev/null; then
    (cd "$dir" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort | zip -X -q -@ "$archive")
  elif command -v 7z >/dev/null; then
    (cd "$dir" && 7z a -tzip -bso0 "$archive" ./*)
  else
    powershell -NoProfile -Command "Compress-Archive -Path '$dir\\*' -DestinationPath '$archive'"
  fi
}

build() {
  local t=$target
  # A given binary (the test suite's own build) is the host's.
  [[ -z "$t" && -n "$binary" ]] && t=$host
  t=${t:-$(default_target)}
  platform_of "$t" >/dev/null || die "no krew platform for target $t"
  # The archives' timestamps only. Not exported: aws-lc-sys's build script reruns when
  # SOURCE_DATE_EPOCH changes, and a per-commit value rebuilt it and every crate above it (the AWS
  # SDKs: ~20 minutes of CI) on each commit.
  SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"

  local bin stage archive
  if [[ -n "$binary" ]]; then
    bin=$binary
    note "packaging $bin (not built here)"
  else
    local args=(build --profile "$profile" --locked -p "$BIN" --bin "$BIN")
    [[ "$t" != "$host" ]] && args+=(--target "$t")
    note "cargo ${args[*]}"
    cargo "${args[@]}"
    bin="$(binary_path "$t")"
  fi
  [[ -x "$bin" ]] || die "no binary at $bin"
  "$bin" --version >/dev/null 2>&1 \
    || die "$bin does not run on $host: build each target on its native runner (release.yml)"

  stage="$out/stage/$t"
  rm -rf "$stage" && mkdir -p "$stage/completions" "$stage/man"
  cp "$bin" "$stage/"
  cp LICENSE README.md "$stage/"
  "$bin" completion bash >"$stage/completions/$BIN.bash"
  "$bin" completion zsh >"$stage/completions/_$BIN"
  "$bin" completion fish >"$stage/completions/$BIN.fish"
  "$bin" completion powershell >"$stage/completions/_$BIN.ps1"
  "$bin" __man "$stage/man"
  # No execute bit on the data files, whatever the umask was.
  find "$stage" -type f ! -name "$BIN" ! -name "$BIN.exe" -exec chmod 644 {} +
  find "$stage" -type d -exec chmod 755 {} +
  chmod 755 "$stage/$(basename "$bin")"

  archive="$out/$(archive_name "$t")"
  rm -f "$archive"
  case "$archive" in
    *.zip) zip_dir "$stage" "$archive" ;;
    *) tar_gz "$stage" "$archive" ;;
  esac
  local sum; sum="$(sha256 "$archive")"
  printf '%s  %s\n' "$sum" "$(basename "$archive")" >"$archive.sha256"

  local linkage=""
  command -v file >/dev/null && linkage="$(file -b "$bin" | grep -oE 'statically linked|static-pie linked|dynamically linked' || true)"
  note "built $(basename "$archive") ($(wc -c <"$archive" | tr -d ' ') bytes; binary $(wc -c <"$bin" | tr -d ' ') bytes${linkage:+, $linkage})"
  note "sha256 $sum"
}

# Renders krew/podnet.yaml into $out/podnet.yaml with the archives found in $out.
manifest() {
  local p key t name found=() missing=() awk_vars=(-v "VERSION=$version")
  for p in "${PLATFORMS[@]}"; do
    key="$(echo "$p" | tr 'a-z-' 'A-Z_')"
    name=""
    for t in x86_64-unknown-linux-musl x86_64-unknown-linux-gnu aarch64-unknown-linux-musl \
      aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-msvc \
      x86_64-pc-windows-gnu; do
      if [[ "$(platform_of "$t")" == "$p" && -f "$out/$(archive_name "$t")" ]]; then
        name="$(archive_name "$t")"; break
      fi
    done
    if [[ -z "$name" ]]; then missing+=("$p"); continue; fi
    found+=("$p:$name")
    awk_vars+=(-v "URI_$key=$base_url/v$version/$name" -v "SHA256_$key=$(sha256 "$out/$name")")
  done
  [[ ${#found[@]} -gt 0 ]] || die "no archives in $out (run: bash krew/dist.sh build)"
  if [[ ${#missing[@]} -gt 0 ]]; then
    $require_all && die "no archive for ${missing[*]} in $out"
    note "NOTE: no archive for ${missing[*]}: the manifest leaves those platforms out"
  fi

  # Template lines starting with '#' are dropped; each platform item (from "  - selector:" to the next)
  # is kept only when every {{PLACEHOLDER}} in it has a value.
  awk "${awk_vars[@]}" '
    function subst(s,   out, k, v) {
      out = ""
      while (match(s, /\{\{[A-Z0-9_]+\}\}/)) {
        k = substr(s, RSTART + 2, RLENGTH - 4)
        v = vals[k]
        if (v == "") { unresolved = 1; v = "{{" k "}}" }
        out = out substr(s, 1, RSTART - 1) v
        s = substr(s, RSTART + RLENGTH)
      }
      return out s
    }
    function flush(   i, text) {
      if (n == 0) return
      unresolved = 0; text = ""
      for (i = 1; i <= n; i++) text = text subst(buf[i]) "\n"
      if (!unresolved) { printf "%s", text; kept++ }
      n = 0
    }
    BEGIN {
      vals["VERSION"] = VERSION
      vals["URI_LINUX_AMD64"] = URI_LINUX_AMD64; vals["SHA256_LINUX_AMD64"] = SHA256_LINUX_AMD64
      vals["URI_LINUX_ARM64"] = URI_LINUX_ARM64; vals["SHA256_LINUX_ARM64"] = SHA256_LINUX_ARM64
      vals["URI_DARWIN_AMD64"] = URI_DARWIN_AMD64; vals["SHA256_DARWIN_AMD64"] = SHA256_DARWIN_AMD64
      vals["URI_DARWIN_ARM64"] = URI_DARWIN_ARM64; vals["SHA256_DARWIN_ARM64"] = SHA256_DARWIN_ARM64
      vals["URI_WINDOWS_AMD64"] = URI_WINDOWS_AMD64; vals["SHA256_WINDOWS_AMD64"] = SHA256_WINDOWS_AMD64
    }
    /^#/ { next }
    /^  platforms:/ { in_platforms = 1; print; next }
    in_platforms && /^  - / { flush() }
    in_platforms { buf[++n] = $0; next }
    {
      line = subst($0)
      if (unresolved) { print "dist: error: unresolved placeholder in: " $0 > "/dev/stderr"; bad = 1; exit 2 }
      print line
    }
    END { if (bad) exit 2; flush(); if (kept == 0) { print "dist: error: no platform rendered" > "/dev/stderr"; exit 2 } }
  ' krew/podnet.yaml >"$out/podnet.yaml.tmp"
  mv "$out/podnet.yaml.tmp" "$out/podnet.yaml"

  (cd "$out" && for f in "${found[@]}"; do name=${f#*:}; printf '%s  %s\n' "$(sha256 "$name")" "$name"; done) \
    >"$out/SHA256SUMS"
  note "manifest $out/podnet.yaml: v$version, platforms: ${found[*]%%:*}"
}

# Budgets from issue 9: stripped binary <= 20 MB; `kubectl-podnet --help` <= 10 ms (median of 50).
check() {
  local t=${target:-$(default_target 2>/dev/null)} bin bytes
  bin="$(binary_path "$t")"
  [[ -x "$bin" ]] || die "no binary at $bin (run: bash krew/dist.sh build)"
  bytes=$(wc -c <"$bin" | tr -d ' ')
  if command -v file >/dev/null && file -b "$bin" | grep -q 'not stripped'; then die "$bin is not stripped"; fi
  echo "binary: $bin"
  echo "size: $bytes bytes ($(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB; budget 20 MiB)"
  ((bytes <= MAX_BYTES)) || die "binary is larger than 20 MiB"
  if [[ -z "${EPOCHREALTIME:-}" ]]; then note "bash without EPOCHREALTIME: start-up not measured"; return; fi
  local t0 t1 us=() kus=() median kmedian
  "$bin" --help >/dev/null # warm the page cache
  for _ in $(seq 50); do
    t0=${EPOCHREALTIME/[.,]/}; "$bin" --help >/dev/null; t1=${EPOCHREALTIME/[.,]/}
    us+=($((t1 - t0)))
  done
  median=$(printf '%s\n' "${us[@]}" | sort -n | sed -n 25p)
  echo "start-up: kubectl-podnet --help median $(awk -v u="$median" 'BEGIN { printf "%.2f", u / 1000 }') ms over 50 runs (budget $MAX_HELP_MS ms)"
  if command -v kubectl >/dev/null; then
    local dir; dir="$(dirname "$bin")"
    for _ in $(seq 20); do
      t0=${EPOCHREALTIME/[.,]/}; PATH="$dir:$PATH" kubectl podnet --help >/dev/null; t1=${EPOCHREALTIME/[.,]/}
      kus+=($((t1 - t0)))
    done
    kmedian=$(printf '%s\n' "${kus[@]}" | sort -n | sed -n 10p)
    echo "start-up: kubectl podnet --help (through kubectl) median $(awk -v u="$kmedian" 'BEGIN { printf "%.2f", u / 1000 }') ms over 20 runs (kubectl's own start-up included; not budgeted)"
  fi
  ((median <= MAX_HELP_MS * 1000)) || die "kubectl-podnet --help takes more than $MAX_HELP_MS ms"
}

# .krew.yaml for krew-release-bot (it opens the krew-index PR on a release): the same manifest, with the
# bot's {{ .TagName }} and {{ addURIAndSha }} in place of ours. Release archives: musl Linux, msvc Windows.
krew_bot() {
  local p key t
  local -A names=()
  for t in x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-apple-darwin aarch64-apple-darwin \
    x86_64-pc-windows-msvc; do
    names[$(platform_of "$t")]=$(archive_name "$t")
  done
  echo "# krew-release-bot template: made by 'bash krew/dist.sh krew-bot > .krew.yaml' from krew/podnet.yaml"
  echo "# (tests/dist.rs checks they agree). Do not edit by hand."
  local script='/^#/ { next } { gsub(/v\{\{VERSION\}\}/, "{{ .TagName }}") }'
  for p in "${PLATFORMS[@]}"; do
    key="$(echo "$p" | tr 'a-z-' 'A-Z_')"
    script+=" /^    uri: \\{\\{URI_${key}\\}\\}\$/ { print \"    {{ addURIAndSha \\\"$base_url/{{ .TagName }}/${names[$p]}\\\" .TagName }}\"; next }"
    script+=" /^    sha256: \\{\\{SHA256_${key}\\}\\}\$/ { next }"
  done
  awk "$script { print }" krew/podnet.yaml
}

case "$cmd" in
  krew-bot) krew_bot ;;
  build) build ;;
  manifest) manifest ;;
  check) check ;;
  all) build; manifest; check ;;
esac
