//! A registry's answers, as podnet reads them before downloading anything: the chart manifest
//! (or an image index in its place), a tag list page and a `WWW-Authenticate` challenge.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let chart: podnet::oci::ChartRef = "oci://registry.example/charts/cilium:1.17.18"
        .parse()
        .expect("a valid reference");
    let parts = common::parts(data, 2);
    // The manifest as bytes (invalid UTF-8 included); the other part as text.
    let cut = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    if let Ok(m) = podnet::oci::manifest::parse(&data[..cut], &chart, "sha256:fuzz") {
        assert!(m.layer.size <= podnet::oci::MAX_CHART_BLOB);
        assert!(m.config.size <= podnet::oci::MAX_CONFIG_BLOB);
        assert!(podnet::oci::reference::valid_digest(&m.layer.digest));
    }
    let _ = parts[1].parse::<podnet::oci::ChartRef>();
    let _ = podnet::oci::versions::sorted_versions(parts[1].split(','));
    let _ = podnet::oci::http::fuzz_parse_answers(&parts[1]);
});
