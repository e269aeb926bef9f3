//! The release command (`krew/dist.sh`), run for real: the host archive, the rendered krew manifest
//! (schema fields, platforms, sha256 of the archives), the unpacked archive used by the real
//! `kubectl` as a plugin, and the archive installed by the real krew (`kubectl krew install
//! --manifest --archive`).
//!
//! The archive holds the binary of the profile `PODNET_DIST_PROFILE` names, default `dev`: the
//! binary `cargo test` has just built for these tests (`dist.sh build --binary`). The shipped `dist` profile (fat LTO) is a second optimised
//! build of every dependency, 20–40 minutes on a fresh 2-core machine, which would double CI's
//! time; the release workflow builds it on every platform and checks its budgets
//! (`krew/dist.sh check`), and `PODNET_DIST_PROFILE=dist cargo test --test dist` runs this test
//! on it. Packaging, the manifest, kubectl and krew do not depend on the profile.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sha2::{Digest, Sha256};

const API_VERSION: &str = "krew.googlecontainertools.github.com/v1alpha2";
const PLATFORMS: [(&str, &str); 5] = [
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
];
const BASE_URL: &str = "https://github.com/podnet/kubectl-podnet/releases/download";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn dist(args: &[&str]) -> Output {
    let out = Command::new("bash")
        .arg(repo().join("krew/dist.sh"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run bash krew/dist.sh");
    assert!(
        out.status.success(),
        "krew/dist.sh {args:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn sha256_hex(path: &Path) -> String {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn str_at<'a>(v: &'a Value, path: &str) -> &'a str {
    path.split('.')
        .fold(v, |v, k| &v[k])
        .as_str()
        .unwrap_or_else(|| panic!("manifest: {path} is not a string: {v}"))
}

fn is_lower_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks a rendered manifest against krew's rules and our conventions; returns the
/// (os, arch, archive file name, sha256) of each platform.
fn check_manifest(text: &str) -> Vec<(String, String, String, String)> {
    assert!(!text.contains("{{"), "unrendered placeholder:\n{text}");
    let m: Value = serde_saphyr::from_str(text).expect("manifest is YAML");
    assert_eq!(str_at(&m, "apiVersion"), API_VERSION);
    assert_eq!(str_at(&m, "kind"), "Plugin");
    assert_eq!(str_at(&m, "metadata.name"), "podnet");

    let version = str_at(&m, "spec.version");
    let bare = version
        .strip_prefix('v')
        .unwrap_or_else(|| panic!("spec.version {version} is not v-prefixed"));
    semver::Version::parse(bare).unwrap_or_else(|e| panic!("spec.version {version}: {e}"));
    assert_eq!(
        bare,
        env!("CARGO_PKG_VERSION"),
        "spec.version is Cargo.toml's"
    );

    let short = str_at(&m, "spec.shortDescription");
    assert!(
        !short.contains('\n') && !short.is_empty() && short.len() <= 70,
        "shortDescription must be one line of at most 70 characters: {short:?}"
    );
    assert!(str_at(&m, "spec.homepage").starts_with("https://"));
    // krew's validator warns above 80 characters a line.
    for key in ["spec.description", "spec.caveats"] {
        let text = str_at(&m, key);
        assert!(!text.trim().is_empty(), "{key} is empty");
        for line in text.lines() {
            assert!(line.len() <= 80, "{key}: line longer than 80: {line:?}");
        }
    }
    let caveats = str_at(&m, "spec.caveats");
    assert!(
        caveats.contains("AWS") && caveats.contains("kubeconfig"),
        "caveats name AWS credentials and the kubeconfig"
    );

    let platforms = m["spec"]["platforms"]
        .as_array()
        .expect("spec.platforms is a list");
    assert!(!platforms.is_empty());
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for p in platforms {
        let labels = &p["selector"]["matchLabels"];
        let (os, arch) = (str_at(labels, "os"), str_at(labels, "arch"));
        assert!(
            PLATFORMS.contains(&(os, arch)),
            "unexpected platform {os}/{arch}"
        );
        assert!(seen.insert((os, arch)), "platform {os}/{arch} twice");

        let uri = str_at(p, "uri");
        let prefix = format!("{BASE_URL}/{version}/");
        let name = uri
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{os}/{arch}: uri {uri} is not under {prefix}"));
        let ext = if os == "windows" { ".zip" } else { ".tar.gz" };
        assert!(
            name.starts_with("kubectl-podnet-") && name.ends_with(ext) && !name.contains('/'),
            "{os}/{arch}: archive name {name}"
        );
        let sha = str_at(p, "sha256");
        assert!(
            is_lower_hex64(sha),
            "{os}/{arch}: sha256 {sha:?} is not 64 lowercase hex digits"
        );

        let bin = str_at(p, "bin");
        let exe = if os == "windows" {
            "kubectl-podnet.exe"
        } else {
            "kubectl-podnet"
        };
        assert_eq!(bin, exe, "{os}/{arch}: bin");
        let files: Vec<(&str, &str)> = p["files"]
            .as_array()
            .expect("files is a list")
            .iter()
            .map(|f| (str_at(f, "from"), str_at(f, "to")))
            .collect();
        assert!(files.contains(&(exe, ".")), "{os}/{arch}: files lack {exe}");
        assert!(
            files.contains(&("LICENSE", ".")),
            "{os}/{arch}: files lack LICENSE"
        );
        out.push((os.into(), arch.into(), name.into(), sha.into()));
    }
    out
}

/// The template lists all five platforms: render it from stand-in archives for every one.
#[test]
fn template_renders_every_platform() {
    let tmp = tempfile::tempdir().unwrap();
    let names = [
        "kubectl-podnet-x86_64-unknown-linux-musl.tar.gz",
        "kubectl-podnet-aarch64-unknown-linux-musl.tar.gz",
        "kubectl-podnet-x86_64-apple-darwin.tar.gz",
        "kubectl-podnet-aarch64-apple-darwin.tar.gz",
        "kubectl-podnet-x86_64-pc-windows-msvc.zip",
    ];
    for n in names {
        fs::write(tmp.path().join(n), n).unwrap();
    }
    let out = tmp.path().to_str().unwrap();
    dist(&["manifest", "--out", out, "--require-all"]);
    let platforms = check_manifest(&fs::read_to_string(tmp.path().join("podnet.yaml")).unwrap());
    let got: BTreeSet<(&str, &str)> = platforms
        .iter()
        .map(|(o, a, ..)| (o.as_str(), a.as_str()))
        .collect();
    assert_eq!(got, PLATFORMS.into_iter().collect());
    for (_, _, name, sha) in &platforms {
        assert!(names.contains(&name.as_str()));
        assert_eq!(*sha, sha256_hex(&tmp.path().join(name)), "{name}");
    }

    // A missing platform is an error with --require-all.
    fs::remove_file(tmp.path().join(names[3])).unwrap();
    let st = Command::new("bash")
        .arg(repo().join("krew/dist.sh"))
        .args(["manifest", "--out", out, "--require-all"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&st.stderr).contains("darwin-arm64"));
}

/// `.krew.yaml` (krew-release-bot's template) is generated from krew/podnet.yaml and committed.
#[test]
fn krew_bot_template_is_current() {
    let generated = dist(&["krew-bot"]).stdout;
    let committed = fs::read(repo().join(".krew.yaml")).expect(".krew.yaml");
    assert!(
        generated == committed,
        ".krew.yaml is stale: run `bash krew/dist.sh krew-bot > .krew.yaml`"
    );
    let text = String::from_utf8(committed).unwrap();
    assert_eq!(text.matches("addURIAndSha").count(), 5);
    assert!(text.contains("version: {{ .TagName }}"));
}

fn kubectl_dir() -> PathBuf {
    let out = Command::new("sh")
        .args(["-c", "command -v kubectl"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl is not on PATH (tests/setup.sh)"
    );
    let path = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    fs::canonicalize(&path)
        .unwrap_or(path)
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The real release command for the host target, then the archive as krew and kubectl use it.
#[test]
fn host_archive_manifest_and_kubectl_plugin() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("dist");
    let out = out_dir.to_str().unwrap();
    let profile = std::env::var("PODNET_DIST_PROFILE").unwrap_or_else(|_| "dev".into());
    // The dev profile: the binary cargo built for these tests (a `cargo build -p` of it would
    // unify features without the dev-dependencies and rebuild the AWS SDKs).
    let build = if profile == "dev" {
        dist(&[
            "build",
            "--out",
            out,
            "--binary",
            env!("CARGO_BIN_EXE_kubectl-podnet"),
        ])
    } else {
        dist(&["build", "--out", out, "--profile", &profile])
    };
    eprintln!("{}", String::from_utf8_lossy(&build.stderr));
    dist(&["manifest", "--out", out]);

    let manifest = fs::read_to_string(out_dir.join("podnet.yaml")).unwrap();
    let platforms = check_manifest(&manifest);
    assert_eq!(platforms.len(), 1, "the host archive only:\n{manifest}");
    let (os, arch, name, sha) = &platforms[0];
    assert_eq!(
        (os.as_str(), arch.as_str()),
        (
            std::env::consts::OS,
            match std::env::consts::ARCH {
                "x86_64" => "amd64",
                "aarch64" => "arm64",
                a => a,
            }
        )
    );
    let archive = out_dir.join(name);
    assert_eq!(*sha, sha256_hex(&archive), "manifest sha256 = archive's");
    let sidecar = fs::read_to_string(out_dir.join(format!("{name}.sha256"))).unwrap();
    assert_eq!(sidecar, format!("{sha}  {name}\n"));
    let sums = fs::read_to_string(out_dir.join("SHA256SUMS")).unwrap();
    assert_eq!(sums, format!("{sha}  {name}\n"));
    eprintln!(
        "archive {name}: {} bytes, sha256 {sha}",
        fs::metadata(&archive).unwrap().len()
    );

    // Unpack onto a PATH directory, as krew does (files from the archive root).
    let bin_dir = tmp.path().join("bin");
    fs::create_dir(&bin_dir).unwrap();
    let st = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&bin_dir)
        .status()
        .unwrap();
    assert!(st.success());
    let mut entries: Vec<String> = walk(&bin_dir)
        .iter()
        .map(|p| {
            p.strip_prefix(&bin_dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    entries.sort();
    for want in [
        "kubectl-podnet",
        "LICENSE",
        "README.md",
        "completions/kubectl-podnet.bash",
        "completions/_kubectl-podnet",
        "completions/kubectl-podnet.fish",
        "completions/_kubectl-podnet.ps1",
        "man/kubectl-podnet.1",
        "man/kubectl-podnet-cilium-values.1",
        "man/kubectl-podnet-audit.1",
    ] {
        assert!(
            entries.iter().any(|e| e == want),
            "{want} not in {entries:?}"
        );
    }
    assert!(
        !entries.iter().any(|e| e.contains("__man")),
        "hidden command shipped"
    );
    let man = fs::read_to_string(bin_dir.join("man/kubectl-podnet.1")).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH"),
        "roff man page"
    );
    assert!(man.contains("cilium") && man.contains("audit"));
    let bash = fs::read_to_string(bin_dir.join("completions/kubectl-podnet.bash")).unwrap();
    assert!(bash.contains("kubectl-podnet") && bash.contains("complete"));

    // Budget of the shipped profile: the stripped binary is at most 20 MiB (the dev build carries
    // debug info and no optimisation; the release workflow checks every platform's dist build).
    let size = fs::metadata(bin_dir.join("kubectl-podnet")).unwrap().len();
    eprintln!("binary ({profile} profile): {size} bytes");
    if profile == "dist" {
        assert!(size <= 20 * 1024 * 1024, "binary is {size} bytes");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(bin_dir.join("kubectl-podnet"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }

    // The real kubectl finds it on PATH and runs it.
    let path = std::env::join_paths([bin_dir.clone(), kubectl_dir()]).unwrap();
    let kubectl = |args: &[&str]| {
        let o = Command::new("kubectl")
            .args(args)
            .env("PATH", &path)
            .env("HOME", tmp.path())
            .env("KUBECONFIG", tmp.path().join("no-kubeconfig"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            o.status.success(),
            "kubectl {args:?}: {}\n{stdout}{stderr}",
            o.status
        );
        (stdout, stderr)
    };
    let (list, warnings) = kubectl(&["plugin", "list"]);
    eprintln!("$ kubectl plugin list\n{list}{warnings}");
    let plugin = bin_dir.join("kubectl-podnet");
    assert!(
        list.lines().any(|l| l.trim() == plugin.to_str().unwrap()),
        "kubectl plugin list does not show {}:\n{list}",
        plugin.display()
    );
    assert!(
        !warnings.contains("kubectl-podnet"),
        "kubectl warns about the plugin: {warnings}"
    );

    let (version, _) = kubectl(&["podnet", "version"]);
    eprintln!("$ kubectl podnet version\n{version}");
    assert!(
        version.starts_with(&format!(
            "kubectl-podnet {} (commit ",
            env!("CARGO_PKG_VERSION")
        )),
        "{version}"
    );
    let (json, _) = kubectl(&["podnet", "version", "-o", "json"]);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    let (help, _) = kubectl(&["podnet", "--help"]);
    assert!(help.contains("Usage: kubectl podnet"), "{help}");

    krew_install_and_run(tmp.path(), &out_dir, name);
}

/// The install path our users take, with the real krew (`kubectl-krew`, built from
/// sigs.k8s.io/krew by tests/peers/build.sh): `kubectl krew install --manifest --archive` of the
/// archive and manifest that dist.sh made, then the plugin through kubectl from krew's bin
/// directory only, then `krew uninstall`.
fn krew_install_and_run(tmp: &Path, out_dir: &Path, archive: &str) {
    let krew = which("kubectl-krew").expect(
        "kubectl-krew is not on PATH: tests/peers/build.sh builds it into $PODNET_PEERS/bin \
         (tests/run.sh puts that on PATH)",
    );
    let krew_root = tmp.join("krew-root");
    let krew_bin = krew_root.join("bin");
    // kubectl, kubectl-krew and krew's bin directory: not the unpacked archive used above.
    let path = std::env::join_paths([
        krew_bin.clone(),
        krew.parent().unwrap().to_path_buf(),
        kubectl_dir(),
    ])
    .unwrap();
    let run = |args: &[&str]| {
        let o = Command::new("kubectl")
            .args(args)
            .current_dir(out_dir)
            .env("PATH", &path)
            .env("HOME", tmp)
            .env("KREW_ROOT", &krew_root)
            .env("KUBECONFIG", tmp.join("no-kubeconfig"))
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            o.status.success(),
            "kubectl {args:?}: {}\n{stdout}{stderr}",
            o.status
        );
        (stdout, stderr)
    };
    let manifest = format!("--manifest={}", out_dir.join("podnet.yaml").display());
    let archive_flag = format!("--archive={}", out_dir.join(archive).display());
    let (out, err) = run(&["krew", "install", &manifest, &archive_flag]);
    eprintln!("$ kubectl krew install --manifest --archive\n{out}{err}");
    assert!(
        err.contains("Installed plugin: podnet"),
        "krew did not install the plugin:\n{out}{err}"
    );
    // krew links bin/kubectl-podnet to its store; the caveats reach the user.
    let link = fs::read_link(krew_bin.join("kubectl-podnet")).expect("krew's bin link");
    assert!(
        link.starts_with(krew_root.join("store/podnet")),
        "{}",
        link.display()
    );
    assert!(out.contains("kubeconfig") || err.contains("kubeconfig"));

    // `krew list` and `krew uninstall` need an initialised index; `krew update` would clone
    // krew-index from GitHub. An empty local git repository stands in for it.
    let index = krew_root.join("index/default");
    fs::create_dir_all(index.join("plugins")).unwrap();
    for args in [
        &["init", "-q"][..],
        &[
            "-c",
            "user.name=podnet",
            "-c",
            "user.email=podnet@localhost",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "empty index",
        ],
    ] {
        let st = Command::new("git")
            .args(args)
            .current_dir(&index)
            .status()
            .unwrap();
        assert!(st.success(), "git {args:?}");
    }
    let (list, _) = run(&["krew", "list"]);
    // Installed from a manifest, not from an index: krew names it `detached/podnet`.
    assert!(
        list.lines().any(|l| l.trim() == "detached/podnet"),
        "krew list:\n{list}"
    );
    let (version, _) = run(&["podnet", "version"]);
    eprintln!("$ kubectl podnet version (installed by krew)\n{version}");
    assert!(
        version.starts_with(&format!(
            "kubectl-podnet {} (commit ",
            env!("CARGO_PKG_VERSION")
        )),
        "{version}"
    );
    let (plugins, _) = run(&["plugin", "list"]);
    assert!(
        plugins.contains(krew_bin.join("kubectl-podnet").to_str().unwrap()),
        "{plugins}"
    );

    run(&["krew", "uninstall", "podnet"]);
    assert!(
        !krew_bin.join("kubectl-podnet").exists(),
        "krew uninstall left the link"
    );
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
