//! Benchmark (ignored by default; run in release):
//! `cargo test --release -p helm-engine --test engine_bench -- --ignored --nocapture`
//! Compares our in-process render of cilium-1.17.18 (hybrid values) with Helm v4's in-process
//! render through helm-python-sdk: (a) engine only (hubble.tls.auto.method=cronJob, no keys),
//! (b) with key generation (the hybrid values as they are).
use std::time::Instant;
use testkit::helm::Oracle;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

#[test]
#[ignore]
fn bench_cilium_hybrid() {
    let chart = testkit::charts::cilium(testkit::charts::CILIUM);
    let hybrid = testkit::fixture_text("values/cilium-hybrid.yaml");
    let cron = "hubble:\n  tls:\n    auto:\n      method: cronJob\n".to_string();
    let mut o = Oracle::start();
    for (label, vals) in [
        (
            "engine (cronJob, no keys)",
            vec![hybrid.clone(), cron.clone()],
        ),
        ("with keys (hybrid)", vec![hybrid.clone()]),
    ] {
        let r = o.request(
            &serde_json::json!({"op": "bench", "chart": chart, "values_yaml": vals, "n": 15}),
        );
        let helm_ms = r["median_ms"].as_f64().unwrap();
        let mut v = helm_engine::Values::new();
        for (i, y) in vals.iter().enumerate() {
            v.add_yaml_file(&format!("{i}.yaml"), y).unwrap();
        }
        let opts = helm_engine::RenderOptions {
            release_name: "cilium".into(),
            namespace: "kube-system".into(),
            ..Default::default()
        };
        // median of 15 renders, each streamed as `helm template` prints it
        let time = |render: &dyn Fn() -> Vec<helm_engine::RenderedDoc>| {
            let mut times = Vec::new();
            for _ in 0..15 {
                let t0 = Instant::now();
                let mut out = Vec::new();
                helm_engine::write_template_stream(&mut out, &render()).unwrap();
                times.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
            median(times)
        };
        let ours_ms = time(&|| helm_engine::render_chart_path(&chart, &v, &opts).unwrap());
        // the chart loaded once, as Helm's warm render has it
        let loaded = helm_engine::Chart::load(&chart).unwrap();
        let warm_ms = time(&|| helm_engine::render(&loaded, &v, &opts).unwrap());
        eprintln!(
            "{label}: helm v4 {helm_ms:.1} ms; ours {ours_ms:.1} ms load+render+sort+stream \
             (ratio {:.1}x), {warm_ms:.1} ms render+sort+stream of the loaded chart (ratio {:.1}x)",
            helm_ms / ours_ms,
            helm_ms / warm_ms
        );
    }
}
