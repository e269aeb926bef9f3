//! The kubeconfig-free inputs of `cilium validate`: the values file and the network facts of the
//! flags (`--vpc-cidr`, `--service-cidr`, `--remote-node-cidr`, `--remote-pod-cidr`, `--nodes`,
//! `--cilium-version`), then the report in every format.
#![no_main]

mod common;

use podnet::cilium::facts::{NetworkFacts, Source};
use podnet::cilium::validate::{Context, validate};
use podnet::net::Cidr;
use podnet::report::{Report, TextStyle};

fn cidrs(s: &str) -> Vec<Cidr> {
    s.split(',').filter_map(|c| c.trim().parse().ok()).collect()
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let p = common::parts(data, 7);
    let Ok(doc) = podnet::input::parse_values("fuzz.yaml", p[0].as_bytes(), true) else {
        return;
    };
    let Ok(minor) = podnet::cilium::versions::resolve((!p[6].is_empty()).then_some(p[6].as_str()))
    else {
        return;
    };
    let facts = NetworkFacts {
        vpc_cidrs: cidrs(&p[1]),
        service_cidr: p[2].trim().parse().ok().map(|c| (c, Source::Flag)),
        remote_node_networks: cidrs(&p[3]),
        remote_pod_networks: cidrs(&p[4]),
        ..Default::default()
    };
    let ctx = Context {
        minor,
        facts: &facts,
        nodes: p[5].trim().parse().ok(),
    };
    let report = Report::new(validate(&doc.value, &ctx));
    let mut out = Vec::new();
    report.write_json(&mut out).expect("json");
    report.write_text(&mut out, &TextStyle::plain(80)).expect("text");
    report.write_text(&mut out, &TextStyle::plain(20)).expect("narrow text");
    let _ = podnet::report::ci::findings_sarif_run(&report.findings);
    let _ = podnet::report::ci::findings_junit_cases("validate", &report.findings);
});
