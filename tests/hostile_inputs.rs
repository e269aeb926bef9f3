//! Hostile inputs (issue 24): chart archives, values YAML, templates and registries built to hurt.
//! Each must end in a clear error (exit 1 or 2, never a panic or a signal) within 20 s and 1 GB of
//! memory (the child's peak resident memory), and write nothing. Where Helm v4 has a limit, the
//! test shows ours is the same figure with the same words, running the real `helm` beside podnet.
//!
//! Run with `--nocapture` to see each case's exit code, time and peak memory.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sha2::Digest;

const MAX_SECS: f64 = 20.0;
const MAX_RSS_MB: u64 = 1024;

/// What one run of the plugin did.
struct Run {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
    secs: f64,
    rss_mb: u64,
}

type Feed = Box<dyn FnOnce(std::process::ChildStdin) + Send>;

/// Runs the plugin in `cwd`, with `feed` writing its stdin, and measures it. A run past 60 s is
/// killed (and then fails the 20 s bound), so a hang cannot stall the suite.
fn run_in(cwd: &Path, args: &[&str], feed: Option<Feed>) -> Run {
    let logs = tempfile::tempdir().unwrap();
    let (out_p, err_p) = (logs.path().join("out"), logs.path().join("err"));
    let mut cmd = testkit::podnet::std_cmd();
    cmd.current_dir(cwd)
        .args(args)
        .env("PODNET_CACHE_DIR", cwd.join("podnet-cache"))
        .env("DOCKER_CONFIG", logs.path().join("no-docker"))
        .env("HELM_REGISTRY_CONFIG", logs.path().join("no-helm.json"))
        .stdout(std::fs::File::create(&out_p).unwrap())
        .stderr(std::fs::File::create(&err_p).unwrap())
        .stdin(if feed.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let start = Instant::now();
    #[expect(
        clippy::zombie_processes,
        reason = "reaped by waitpid below, beside the /proc sampling"
    )]
    let mut child = cmd.spawn().expect("start kubectl-podnet");
    let pid = child.id() as libc::pid_t;
    let feeder = child
        .stdin
        .take()
        .zip(feed)
        .map(|(s, f)| std::thread::spawn(move || f(s)));
    // The peak is sampled from /proc (VmHWM, the high-water mark of the process's own memory)
    // every 5 ms: wait4's ru_maxrss would also count the test process, which the child was a
    // copy of until it exec'd.
    let done = Arc::new(AtomicBool::new(false));
    let peak_kb = Arc::new(AtomicU64::new(0));
    let watchdog = {
        let (done, peak_kb) = (done.clone(), peak_kb.clone());
        std::thread::spawn(move || {
            let status = format!("/proc/{pid}/status");
            while !done.load(Ordering::SeqCst) {
                if let Some(kb) = std::fs::read_to_string(&status).ok().and_then(|s| {
                    s.lines()
                        .find_map(|l| l.strip_prefix("VmHWM:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                }) {
                    peak_kb.fetch_max(kb, Ordering::SeqCst);
                }
                if start.elapsed() > Duration::from_secs(60) {
                    // SAFETY: pid is our child, not yet reaped (waitpid below has not returned).
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let mut status: libc::c_int = 0;
    // SAFETY: waits for our own child; std's Child is never waited on after this.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(r, pid, "waitpid: {}", std::io::Error::last_os_error());
    let secs = start.elapsed().as_secs_f64();
    done.store(true, Ordering::SeqCst);
    watchdog.join().unwrap();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    let (code, signal) = if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else {
        (None, Some(libc::WTERMSIG(status)))
    };
    Run {
        code,
        signal,
        stdout: std::fs::read_to_string(out_p).unwrap_or_default(),
        stderr: std::fs::read_to_string(err_p).unwrap_or_default(),
        secs,
        rss_mb: peak_kb.load(Ordering::SeqCst) / 1024,
    }
}

/// Every file under `dir` with its size, to see that a run wrote nothing.
fn listing(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let md = e.metadata().unwrap();
            if md.is_dir() {
                stack.push(e.path());
            }
            out.push((e.path(), if md.is_dir() { 0 } else { md.len() }));
        }
    }
    out.sort();
    out
}

/// Runs the plugin in `dir` and checks the bounds every hostile input must keep.
fn bounded(case: &str, dir: &Path, args: &[&str], feed: Option<Feed>) -> Run {
    let before = listing(dir);
    let r = run_in(dir, args, feed);
    eprintln!(
        "{case}: exit {:?}{}, {:.2} s, peak {} MB",
        r.code,
        r.signal.map(|s| format!(" signal {s}")).unwrap_or_default(),
        r.secs,
        r.rss_mb
    );
    assert!(
        r.signal.is_none() && !r.stderr.contains("panicked"),
        "{case}: crashed (signal {:?}): {}",
        r.signal,
        r.stderr
    );
    assert!(r.secs <= MAX_SECS, "{case}: took {:.1} s", r.secs);
    assert!(r.rss_mb <= MAX_RSS_MB, "{case}: peak {} MB", r.rss_mb);
    assert_eq!(listing(dir), before, "{case}: files were written");
    r
}

/// [`bounded`], refused with exit 1 or 2 and a message containing `needle`.
fn refused(case: &str, dir: &Path, args: &[&str], feed: Option<Feed>, needle: &str) -> Run {
    let r = bounded(case, dir, args, feed);
    assert!(
        matches!(r.code, Some(1 | 2)),
        "{case}: exit {:?}\nstderr: {}",
        r.code,
        r.stderr
    );
    assert!(
        r.stderr.contains(needle),
        "{case}: expected {needle:?} in stderr:\n{}",
        &r.stderr[..r.stderr.len().min(4000)]
    );
    r
}

// ---------------------------------------------------------------------------------------------
// Chart archives

const CHART_YAML: &str = "apiVersion: v2\nname: c\nversion: 0.1.0\n";
const CM: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  x: {{ .Values.x | quote }}\n";

/// One tar header block for `name` (raw bytes: the tar crate's builder refuses `..` and `/`).
fn header(name: &[u8], kind: tar::EntryType, size: u64, link: &[u8]) -> Vec<u8> {
    let mut h = tar::Header::new_ustar();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    h.as_bytes().to_vec()
}

/// A file entry: header, data, padding to 512.
fn file(name: &str, data: &[u8]) -> Vec<u8> {
    let mut v = header(
        name.as_bytes(),
        tar::EntryType::Regular,
        data.len() as u64,
        b"",
    );
    v.extend_from_slice(data);
    v.resize(v.len().div_ceil(512) * 512, 0);
    v
}

/// A gzipped tar of a valid chart `c/` plus the raw `extra` entries.
fn tgz_with(dir: &Path, name: &str, extra: &[Vec<u8>]) -> PathBuf {
    let mut tar = file("c/Chart.yaml", CHART_YAML.as_bytes());
    tar.extend(file("c/values.yaml", b"x: hello\n"));
    tar.extend(file("c/templates/cm.yaml", CM.as_bytes()));
    for e in extra {
        tar.extend_from_slice(e);
    }
    tar.extend_from_slice(&[0; 1024]);
    let path = dir.join(name);
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap();
    path
}

/// A gzip stream of `prefix` followed by `mib` MiB of zeros, made without compressing them: one
/// sync-flushed deflate block of 1 MiB of zeros only refers back into zeros, so it can be
/// repeated. (The trailer is not a real CRC: the reader must give up long before it.)
fn zeros_gz(path: &Path, prefix: &[u8], mib: u64) {
    let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    d.write_all(prefix).unwrap();
    d.write_all(&zeros).unwrap();
    d.flush().unwrap();
    let a = d.get_ref().len();
    d.write_all(&zeros).unwrap();
    d.flush().unwrap();
    let b = d.get_ref().len();
    let body = d.finish().unwrap();
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])
        .unwrap();
    f.write_all(&body[..b]).unwrap();
    for _ in 2..mib {
        f.write_all(&body[a..b]).unwrap();
    }
    f.write_all(&body[b..]).unwrap();
    f.write_all(&[0; 8]).unwrap();
}

fn template(chart: &Path) -> Vec<String> {
    vec![
        "cilium".into(),
        "template".into(),
        "--chart".into(),
        chart.display().to_string(),
    ]
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn chart_with_path_traversal_or_absolute_path_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    for (case, name, needle) in [
        (
            "parent directory",
            "c/templates/../../../evil.yaml",
            "chart illegally references parent directory",
        ),
        (
            "absolute path",
            "/etc/evil.yaml",
            "chart illegally contains absolute paths",
        ),
    ] {
        let t = tgz_with(dir, "t.tgz", &[file(name, CM.as_bytes())]);
        refused(case, dir, &args(&template(&t)), None, needle);
        std::fs::remove_file(t).unwrap();
    }
}

#[test]
fn chart_with_links_or_devices_is_refused() {
    use tar::EntryType as E;
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    for (case, entry, needle) in [
        (
            "symlink",
            header(b"c/templates/passwd.yaml", E::Symlink, 0, b"/etc/passwd"),
            "contains a link",
        ),
        (
            "hardlink",
            header(b"c/templates/passwd.yaml", E::Link, 0, b"/etc/passwd"),
            "contains a link",
        ),
        (
            "character device",
            header(b"c/templates/zero", E::Char, 0, b""),
            "not a regular file",
        ),
        (
            "block device",
            header(b"c/templates/sda", E::Block, 0, b""),
            "not a regular file",
        ),
        (
            "fifo",
            header(b"c/templates/fifo", E::Fifo, 0, b""),
            "not a regular file",
        ),
    ] {
        let t = tgz_with(dir, "t.tgz", &[entry]);
        refused(case, dir, &args(&template(&t)), None, needle);
        std::fs::remove_file(t).unwrap();
    }
}

#[test]
fn gzip_bomb_and_one_gigabyte_file_are_refused_at_helms_limit() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let limit = "decompressed chart is larger than the maximum size 104857600";
    // 1 GiB in one file: refused from its header, before any of it is read.
    let big = dir.join("big.tgz");
    let mut prefix = file("c/Chart.yaml", CHART_YAML.as_bytes());
    prefix.extend(header(
        b"c/templates/big.yaml",
        tar::EntryType::Regular,
        1 << 30,
        b"",
    ));
    zeros_gz(&big, &prefix, 1024);
    refused("1 GiB file", dir, &args(&template(&big)), None, limit);
    // 8 GiB in an extension header, which holds no file data: stopped by the stream budget.
    let bomb = dir.join("bomb.tgz");
    let mut prefix = file("c/Chart.yaml", CHART_YAML.as_bytes());
    prefix.extend(header(
        b"c/PaxHeaders/bomb",
        tar::EntryType::XHeader,
        8 << 30,
        b"",
    ));
    zeros_gz(&bomb, &prefix, 8192);
    assert!(std::fs::metadata(&bomb).unwrap().len() < 16 << 20);
    refused(
        "gzip bomb (8 GiB)",
        dir,
        &args(&template(&bomb)),
        None,
        limit,
    );
    // Many files just under the limit each, over it together: Helm's total, not a per-file cap.
    let many: Vec<Vec<u8>> = (0..11)
        .map(|i| file(&format!("c/files/f{i}"), &vec![b'x'; 10 << 20]))
        .collect();
    let t = tgz_with(dir, "sum.tgz", &many);
    refused("11 x 10 MiB", dir, &args(&template(&t)), None, limit);
}

#[test]
fn hundred_thousand_files_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let path = dir.join("many.tgz");
    let mut gz = flate2::write::GzEncoder::new(
        std::io::BufWriter::new(std::fs::File::create(&path).unwrap()),
        flate2::Compression::none(),
    );
    gz.write_all(&file("c/Chart.yaml", CHART_YAML.as_bytes()))
        .unwrap();
    for i in 0..100_000 {
        gz.write_all(&file(&format!("c/files/{i}"), b"")).unwrap();
    }
    gz.write_all(&[0; 1024]).unwrap();
    gz.finish().unwrap();
    refused(
        "100,000 files",
        dir,
        &args(&template(&path)),
        None,
        "chart archive has more than 20000 entries",
    );
}

#[test]
fn deep_directories_load_as_helm_loads_them() {
    // 2,000 levels (a 4 KB path, past Linux's PATH_MAX): Helm loads it, so podnet does, within bounds.
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let deep = format!("c/files/{}f.txt", "d/".repeat(2000));
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
        std::fs::File::create(dir.join("deep.tgz")).unwrap(),
        flate2::Compression::fast(),
    ));
    for (p, data) in [
        ("c/Chart.yaml", CHART_YAML),
        ("c/values.yaml", "x: hello\n"),
        ("c/templates/cm.yaml", CM),
        (deep.as_str(), "deep\n"),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        // long names go in a GNU long-name entry, as GNU tar writes them
        b.append_data(&mut h, p, data.as_bytes()).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap();
    let r = bounded(
        "2,000-deep path",
        dir,
        &args(&template(&dir.join("deep.tgz"))),
        None,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("x: \"hello\""), "{}", r.stdout);
}

// ---------------------------------------------------------------------------------------------
// Values YAML

/// A plain chart directory `c/` in `dir` whose template prints `.Values.x`.
fn plain_chart(dir: &Path) -> PathBuf {
    let c = dir.join("chart");
    std::fs::create_dir_all(c.join("templates")).unwrap();
    std::fs::write(c.join("Chart.yaml"), CHART_YAML).unwrap();
    std::fs::write(c.join("values.yaml"), "x: hello\n").unwrap();
    std::fs::write(c.join("templates/cm.yaml"), CM).unwrap();
    c
}

/// `helm template` of `chart` with `-f values`: (exit code, stderr).
fn helm_template(chart: &Path, values: &Path) -> Option<(Option<i32>, String)> {
    let helm = testkit::helm::cli_bin();
    if !helm.exists() {
        eprintln!("no helm at {}: Helm's side skipped", helm.display());
        return None;
    }
    let out = std::process::Command::new(helm)
        .args(["template", "r"])
        .arg(chart)
        .arg("-f")
        .arg(values)
        .output()
        .unwrap();
    Some((
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn alias_bomb_is_refused_as_go_yaml_refuses_it() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let chart = plain_chart(dir);
    let mut y = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, cur) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        y.push_str(&format!(
            "{cur}: &{cur} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    y.push_str("x: *i\n");
    let v = dir.join("laughs.yaml");
    std::fs::write(&v, &y).unwrap();
    let needle = "document contains excessive aliasing";
    refused(
        "billion laughs",
        dir,
        &[
            "cilium",
            "template",
            "--chart",
            "chart",
            "-f",
            "laughs.yaml",
        ],
        None,
        needle,
    );
    if let Some((code, err)) = helm_template(&chart, &v) {
        assert_eq!(code, Some(1));
        assert!(err.contains(needle), "helm: {err}");
    }
}

#[test]
fn nesting_past_ten_thousand_is_refused_as_go_yaml_refuses_it() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let chart = plain_chart(dir);
    let deep = |n: usize| format!("x: hello\ny: {}{}\n", "[".repeat(n), "]".repeat(n));
    std::fs::write(dir.join("deep.yaml"), deep(10_001)).unwrap();
    let needle = "exceeded max depth of 10000";
    refused(
        "10,001-deep flow nesting",
        dir,
        &["cilium", "template", "--chart", "chart", "-f", "deep.yaml"],
        None,
        needle,
    );
    if let Some((code, err)) = helm_template(&chart, &dir.join("deep.yaml")) {
        assert_eq!(code, Some(1));
        assert!(err.contains(needle), "helm: {err}");
    }
    // Block nesting needs one more space per level: 10,000 levels take 50 MB, past the 16 MiB a
    // values file may have; 5,000 (12.5 MB) is accepted, as Helm accepts it, within the bounds.
    let block: String = (0..5_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    std::fs::write(dir.join("block.yaml"), format!("x: hello\ny:\n{block}")).unwrap();
    let r = bounded(
        "5,000-deep block nesting",
        dir,
        &["cilium", "template", "--chart", "chart", "-f", "block.yaml"],
        None,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // Just under the limit: accepted, as Helm accepts it.
    std::fs::write(dir.join("ok.yaml"), deep(9_999)).unwrap();
    let r = bounded(
        "9,999-deep flow nesting",
        dir,
        &["cilium", "template", "--chart", "chart", "-f", "ok.yaml"],
        None,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

#[test]
fn half_gigabyte_values_file_or_stream_is_refused_unread() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    plain_chart(dir);
    let scratch = tempfile::tempdir().unwrap();
    let big = scratch.path().join("big.yaml");
    // sparse: 500 MB that take no disk
    std::fs::File::create(&big)
        .unwrap()
        .set_len(500_000_000)
        .unwrap();
    let big_s = big.display().to_string();
    refused(
        "500 MB values file",
        dir,
        &["cilium", "template", "--chart", "chart", "-f", &big_s],
        None,
        "values files are read up to 16 MiB",
    );
    let feed: Feed = Box::new(|mut s| {
        let line =
            "k: vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\n"
                .repeat(13_000);
        for _ in 0..500 {
            if s.write_all(line.as_bytes()).is_err() {
                return;
            }
        }
    });
    refused(
        "500 MB values on stdin",
        dir,
        &["cilium", "template", "--chart", "chart", "-f", "-"],
        Some(feed),
        "values files are read up to 16 MiB",
    );
    // --set-file reads a path that may never end (a device, a FIFO) or be huge.
    for (case, file) in [
        ("--set-file of /dev/zero", "/dev/zero".to_string()),
        ("--set-file of 500 MB", big_s.clone()),
    ] {
        refused(
            case,
            dir,
            &[
                "cilium",
                "template",
                "--chart",
                "chart",
                "--set-file",
                &format!("x={file}"),
            ],
            None,
            "larger than 16 MiB, the most --set-file reads",
        );
    }
}

#[test]
fn duplicate_keys_take_the_last_as_helm_does_and_invalid_utf8_is_located() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let chart = plain_chart(dir);
    std::fs::write(dir.join("dup.yaml"), "x: first\nx: last\n").unwrap();
    let r = bounded(
        "duplicate keys",
        dir,
        &["cilium", "template", "--chart", "chart", "-f", "dup.yaml"],
        None,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("x: \"last\""), "{}", r.stdout);
    if let Some((code, err)) = helm_template(&chart, &dir.join("dup.yaml")) {
        assert_eq!(code, Some(0), "helm: {err}");
    }
    std::fs::write(dir.join("bad.yaml"), b"x: ok\ny: \"ab\xff\xfe\"\n").unwrap();
    refused(
        "invalid UTF-8",
        dir,
        &["cilium", "template", "--chart", "chart", "-f", "bad.yaml"],
        None,
        "bad.yaml:2:7",
    );
}

// ---------------------------------------------------------------------------------------------
// Templates

fn template_chart(dir: &Path, template: &str, values: &str) {
    let c = dir.join("chart");
    std::fs::create_dir_all(c.join("templates")).unwrap();
    std::fs::write(c.join("Chart.yaml"), CHART_YAML).unwrap();
    std::fs::write(c.join("values.yaml"), values).unwrap();
    std::fs::write(c.join("templates/t.yaml"), template).unwrap();
}

#[test]
fn include_recursion_stops_at_helms_depth_with_helms_message() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    template_chart(
        dir,
        "{{ define \"a\" }}{{ include \"a\" . }}{{ end }}{{ include \"a\" . }}",
        "",
    );
    let needle = "rendering template has a nested reference name: a: unable to execute template";
    let r = refused(
        "include recursion",
        dir,
        &["cilium", "template", "--chart", "chart"],
        None,
        needle,
    );
    let ours = r.stderr.matches("error calling include").count();
    if let Some((code, err)) = helm_template(&dir.join("chart"), Path::new("/dev/null")) {
        assert_eq!(code, Some(1));
        assert!(err.contains(needle), "helm: {err}");
        // the same depth: one "error calling include" per level
        assert_eq!(ours, err.matches("error calling include").count());
    }
    assert!(ours > 1000, "{ours} levels");
}

#[test]
fn tpl_recursion_is_stopped_where_helm_overflows_its_stack() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    template_chart(dir, "{{ tpl .Values.x . }}", "x: '{{ tpl .Values.x . }}'\n");
    refused(
        "tpl recursion",
        dir,
        &["cilium", "template", "--chart", "chart"],
        None,
        "rendering template has nested tpl calls deeper than 1000: unable to execute template",
    );
}

#[test]
fn huge_sequences_and_strings_are_refused_before_memory_is_spent() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    for (case, tpl, needle) in [
        (
            "until 1e12",
            "{{ range until 1e12 }}x{{ end }}",
            "until: a sequence of 1000000000000 items is more than the 1000000",
        ),
        (
            "untilStep to i64::MAX",
            "{{ range untilStep 0 9223372036854775807 1 }}x{{ end }}",
            "untilStep: a sequence of 9223372036854775807 items",
        ),
        (
            "seq 1e10",
            "{{ seq 10000000000 }}",
            "seq: a sequence of 10000000000 items",
        ),
        (
            "repeat 4 GiB",
            "{{ repeat 1073741824 \"abcd\" }}",
            "repeat: the result would be 4294967296 bytes, more than the output limit of 104857600 bytes",
        ),
        (
            "output loop",
            "{{ range until 1000000 }}{{ repeat 1000 \"x\" }}{{ end }}",
            "rendered output exceeds the limit of 104857600 bytes",
        ),
    ] {
        template_chart(dir, tpl, "");
        refused(
            case,
            dir,
            &["cilium", "template", "--chart", "chart"],
            None,
            needle,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Registries: a tiny registry of ours on 127.0.0.1 that misbehaves on purpose.

const CONFIG_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
const LAYER_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

fn sha(b: &[u8]) -> String {
    format!("sha256:{}", hex(&sha2::Sha256::digest(b)))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// How the fake registry misbehaves.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Fault {
    /// The chart layer, then 10 MiB more than the manifest announced.
    BlobLarger,
    /// Other bytes (same length) than the digest names.
    WrongDigest,
    /// A manifest of 5 MiB, past the 4 MiB any manifest may have.
    ManifestHuge,
    /// The blob redirects to itself.
    RedirectLoop,
    /// The blob at one byte a second.
    Trickle,
    /// The manifest announces a 10 GB chart layer.
    AnnouncedHuge,
    /// A correctly digested chart holding a symlink to /etc/passwd and a `..` path.
    HostileChart,
    /// An image index (a multi-platform image's list of manifests) where the chart should be.
    ImageIndex,
}

struct FakeRegistry {
    addr: String,
    blob_requests: Arc<AtomicU64>,
}

fn respond(s: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut h = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str("\r\n");
    let _ = s.write_all(h.as_bytes());
    let _ = s.write_all(body);
}

fn fake_registry(fault: Fault) -> FakeRegistry {
    let chart = {
        let d = tempfile::tempdir().unwrap();
        let extra = if fault == Fault::HostileChart {
            vec![
                file("c/templates/../../../../tmp/podnet-escaped.yaml", b"x"),
                header(
                    b"c/templates/passwd.yaml",
                    tar::EntryType::Symlink,
                    0,
                    b"/etc/passwd",
                ),
            ]
        } else {
            vec![]
        };
        std::fs::read(tgz_with(d.path(), "c.tgz", &extra)).unwrap()
    };
    let config = br#"{"name":"c","version":"0.1.0","apiVersion":"v2"}"#.to_vec();
    let layer_size = if fault == Fault::AnnouncedHuge {
        10_000_000_000
    } else {
        chart.len() as u64
    };
    let manifest = if fault == Fault::ImageIndex {
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": sha(&chart), "size": 500,
                "platform": {"architecture": "amd64", "os": "linux"},
            }],
        })
    } else {
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": CONFIG_TYPE, "digest": sha(&config), "size": config.len()},
            "layers": [{"mediaType": LAYER_TYPE, "digest": sha(&chart), "size": layer_size}],
        })
    };
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let blob_requests = Arc::new(AtomicU64::new(0));
    let hits = blob_requests.clone();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            let (chart, config, manifest, hits) = (
                chart.clone(),
                config.clone(),
                manifest.clone(),
                hits.clone(),
            );
            std::thread::spawn(move || {
                let mut req = Vec::new();
                let mut b = [0u8; 1];
                while !req.ends_with(b"\r\n\r\n") && s.read(&mut b).unwrap_or(0) == 1 {
                    req.push(b[0]);
                }
                let req = String::from_utf8_lossy(&req);
                let mut words = req.split_whitespace();
                let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
                let head = method == "HEAD";
                let body = |b: &[u8]| if head { Vec::new() } else { b.to_vec() };
                let mtype = (
                    "Content-Type",
                    "application/vnd.oci.image.manifest.v1+json".to_string(),
                );
                if path == "/v2/" {
                    respond(&mut s, "200 OK", &[("Content-Length", "2".into())], b"{}");
                } else if path.contains("/manifests/") {
                    let m = if fault == Fault::ManifestHuge && !head {
                        let mut m = manifest.clone();
                        m.resize(5 << 20, b' ');
                        m
                    } else {
                        manifest.clone()
                    };
                    respond(
                        &mut s,
                        "200 OK",
                        &[
                            mtype,
                            ("Docker-Content-Digest", sha(&manifest)),
                            ("Content-Length", m.len().to_string()),
                        ],
                        &body(&m),
                    );
                } else if path.ends_with(&sha(&config)) {
                    respond(
                        &mut s,
                        "200 OK",
                        &[("Content-Length", config.len().to_string())],
                        &body(&config),
                    );
                } else if path.ends_with(&sha(&chart)) {
                    hits.fetch_add(1, Ordering::SeqCst);
                    match fault {
                        Fault::BlobLarger => {
                            let mut c = chart.clone();
                            c.extend(vec![0u8; 10 << 20]);
                            respond(
                                &mut s,
                                "200 OK",
                                &[("Content-Length", c.len().to_string())],
                                &c,
                            );
                        }
                        Fault::WrongDigest => {
                            let mut c = chart.clone();
                            let n = c.len();
                            c[n / 2] ^= 0xff;
                            respond(
                                &mut s,
                                "200 OK",
                                &[("Content-Length", c.len().to_string())],
                                &c,
                            );
                        }
                        Fault::RedirectLoop => respond(
                            &mut s,
                            "307 Temporary Redirect",
                            &[
                                ("Location", path.to_string()),
                                ("Content-Length", "0".into()),
                            ],
                            b"",
                        ),
                        Fault::Trickle => {
                            respond(
                                &mut s,
                                "200 OK",
                                &[("Content-Length", chart.len().to_string())],
                                b"",
                            );
                            for byte in &chart {
                                if s.write_all(&[*byte]).is_err() {
                                    return;
                                }
                                std::thread::sleep(Duration::from_secs(1));
                            }
                        }
                        _ => respond(
                            &mut s,
                            "200 OK",
                            &[("Content-Length", chart.len().to_string())],
                            &chart,
                        ),
                    }
                } else {
                    respond(
                        &mut s,
                        "404 Not Found",
                        &[("Content-Length", "0".into())],
                        b"",
                    );
                }
            });
        }
    });
    FakeRegistry {
        addr,
        blob_requests,
    }
}

/// Blobs in the podnet cache under `dir` (none may be there after a refused pull).
fn cached_blobs(dir: &Path) -> Vec<PathBuf> {
    listing(&dir.join("podnet-cache"))
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.parent().is_some_and(|d| d.ends_with("blobs/sha256")))
        .collect()
}

fn pull_refused(fault: Fault, needle: &str) -> FakeRegistry {
    let reg = fake_registry(fault);
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let chart = format!("oci://{}/charts/c:0.1.0", reg.addr);
    let r = run_in(
        dir,
        &[
            "cilium",
            "pull",
            "--chart",
            &chart,
            "--plain-http",
            "--registry-timeout",
            "2s",
            "--registry-retries",
            "0",
            "-d",
            "out",
        ],
        None,
    );
    let case = format!("registry {fault:?}");
    eprintln!(
        "{case}: exit {:?}, {:.2} s, peak {} MB",
        r.code, r.secs, r.rss_mb
    );
    assert!(
        r.signal.is_none() && !r.stderr.contains("panicked"),
        "{case}: {}",
        r.stderr
    );
    assert!(
        matches!(r.code, Some(1 | 2)),
        "{case}: exit {:?}: {}",
        r.code,
        r.stderr
    );
    assert!(r.secs <= MAX_SECS, "{case}: took {:.1} s", r.secs);
    assert!(r.rss_mb <= MAX_RSS_MB, "{case}: peak {} MB", r.rss_mb);
    assert!(
        r.stderr.contains(needle),
        "{case}: expected {needle:?} in:\n{}",
        r.stderr
    );
    assert_eq!(cached_blobs(dir), Vec::<PathBuf>::new(), "{case}: cached");
    assert!(
        !dir.join("out").join("c-0.1.0.tgz").exists(),
        "{case}: written"
    );
    reg
}

#[test]
fn registry_blob_larger_than_announced_or_with_wrong_digest_is_not_cached() {
    pull_refused(Fault::BlobLarger, "does not match its digest");
    pull_refused(Fault::WrongDigest, "does not match its digest");
}

#[test]
fn registry_manifest_past_four_mib_is_refused() {
    pull_refused(Fault::ManifestHuge, "is larger than 4194304 bytes");
}

#[test]
fn registry_redirect_loop_is_refused() {
    pull_refused(Fault::RedirectLoop, "too many redirects");
}

#[test]
fn registry_sending_one_byte_a_second_is_abandoned() {
    pull_refused(Fault::Trickle, "too slow");
}

#[test]
fn registry_answering_an_image_index_is_refused_before_downloading() {
    let reg = pull_refused(Fault::ImageIndex, "is an image index");
    assert_eq!(reg.blob_requests.load(Ordering::SeqCst), 0);
}

#[test]
fn registry_announcing_a_huge_layer_is_refused_before_downloading() {
    let reg = pull_refused(Fault::AnnouncedHuge, "is announced as 10000000000 bytes");
    assert_eq!(reg.blob_requests.load(Ordering::SeqCst), 0);
}

#[test]
fn untar_of_a_hostile_chart_writes_nothing() {
    let reg = fake_registry(Fault::HostileChart);
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let chart = format!("oci://{}/charts/c:0.1.0", reg.addr);
    let r = run_in(
        dir,
        &[
            "cilium",
            "pull",
            "--chart",
            &chart,
            "--plain-http",
            "--untar",
            "-d",
            "out",
        ],
        None,
    );
    eprintln!(
        "untar hostile chart: exit {:?}, {:.2} s, peak {} MB",
        r.code, r.secs, r.rss_mb
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cannot unpack the chart: chart illegally references parent directory"),
        "{}",
        r.stderr
    );
    assert!(!dir.join("out").exists(), "out/ was made");
    assert!(!Path::new("/tmp/podnet-escaped.yaml").exists());
}
