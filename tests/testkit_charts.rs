//! Where test charts come from (testkit::charts): `PODNET_TEST_CHARTS`, else `../shared/charts`,
//! else pulled by podnet's own OCI client and verified by sha256; and the one clear failure
//! when none of them gives the chart.

use std::path::{Path, PathBuf};

use testkit::charts::{CILIUM, Sources, TestChart, cilium, listed, sha256_hex};
use testkit::registry::Registry;

/// Sources with no `PODNET_TEST_CHARTS`, no `../shared/charts`, and an empty cache in `dir`.
fn bare(dir: &Path) -> Sources {
    Sources {
        dir: None,
        shared: dir.join("no-shared-charts"),
        cache: dir.join("cache"),
        podnet: testkit::podnet::binary(),
        pull_flags: vec![],
    }
}

/// The listed 1.17.18 chart, published at `registry` instead.
fn at(registry: String) -> TestChart {
    TestChart {
        registry: Box::leak(registry.into_boxed_str()),
        ..*listed("cilium", CILIUM)
    }
}

#[test]
fn no_source_fails_naming_the_variable() {
    let work = tempfile::tempdir().unwrap();
    let s = bare(work.path());
    let dead = testkit::ports::dead_url().replace("http://", "oci://") + "/charts/cilium";
    let e = s.resolve(&at(dead.clone())).unwrap_err();
    for part in [
        "test chart cilium-1.17.18.tgz is not available",
        "PODNET_TEST_CHARTS is not set",
        "no-shared-charts does not exist",
        &format!("pulling {dead}:1.17.18 failed"),
        "Set PODNET_TEST_CHARTS to a directory holding cilium-1.17.18.tgz (sha256 6a9a929a",
    ] {
        assert!(e.contains(part), "lacks {part:?}: {e}");
    }
    assert!(!s.cache.join("cilium-1.17.18.tgz").exists());
}

#[test]
fn the_public_registry_gives_the_listed_chart_or_the_clear_failure() {
    // The real reference (quay.io): on a machine with network it pulls and verifies; without,
    // the failure names the variable to set.
    let work = tempfile::tempdir().unwrap();
    let s = bare(work.path());
    let c = listed("cilium", CILIUM);
    assert_eq!(c.reference(), "oci://quay.io/cilium/charts/cilium:1.17.18");
    match s.resolve(c) {
        Ok(p) => {
            assert_eq!(p, s.cache.join("cilium-1.17.18.tgz"));
            assert_eq!(sha256_hex(&std::fs::read(&p).unwrap()), c.sha256);
        }
        Err(e) => assert!(
            e.contains("Set PODNET_TEST_CHARTS") && e.contains("quay.io/cilium/charts/cilium"),
            "{e}"
        ),
    }
}

#[test]
fn the_variable_names_the_directory_and_its_files_are_verified() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("charts");
    std::fs::create_dir_all(&dir).unwrap();
    let s = Sources {
        dir: Some(dir.clone()),
        ..bare(work.path())
    };
    let c = listed("cilium", CILIUM);
    let e = s.resolve(c).unwrap_err();
    assert!(
        e.contains(&format!("PODNET_TEST_CHARTS={}", dir.display()))
            && e.contains("has no cilium-1.17.18.tgz"),
        "{e}"
    );
    std::fs::write(dir.join("cilium-1.17.18.tgz"), b"not the chart").unwrap();
    let e = s.resolve(c).unwrap_err();
    assert!(
        e.contains("has sha256") && e.contains(c.sha256) && e.contains("PODNET_TEST_CHARTS"),
        "{e}"
    );
    std::fs::copy(cilium(CILIUM), dir.join("cilium-1.17.18.tgz")).unwrap();
    assert_eq!(s.resolve(c).unwrap(), dir.join("cilium-1.17.18.tgz"));
}

#[test]
fn a_pulled_chart_is_verified_then_cached() {
    let reg = Registry::start();
    reg.push(&[CILIUM]);
    let work = tempfile::tempdir().unwrap();
    let s = Sources {
        pull_flags: vec!["--plain-http".into()],
        ..bare(work.path())
    };
    let here = format!("oci://{}/charts/cilium", reg.addr);
    // A digest the registry's chart does not have: refused, nothing cached.
    let wrong = TestChart {
        sha256: "0000000000000000000000000000000000000000000000000000000000000000",
        ..at(here.clone())
    };
    let e = s.resolve(&wrong).unwrap_err();
    assert!(
        e.contains("has sha256 6a9a929a") && e.contains("PODNET_TEST_CHARTS"),
        "{e}"
    );
    assert!(!s.cache.join("cilium-1.17.18.tgz").exists());
    // The listed digest: pulled by podnet into the cache.
    let p: PathBuf = s.resolve(&at(here.clone())).unwrap();
    assert_eq!(p, s.cache.join("cilium-1.17.18.tgz"));
    assert_eq!(
        std::fs::read(&p).unwrap(),
        std::fs::read(cilium(CILIUM)).unwrap()
    );
    // Cached: no registry needed any more.
    drop(reg);
    assert_eq!(s.resolve(&at(here)).unwrap(), p);
}
