//! The YAML reader (values files and manifests), and reading its result back as values.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    common::on_plugin_stack(move || {
        let _ = helm_engine::yaml::parse(&text);
        let mut v = helm_engine::Values::new();
        let _ = v.add_yaml_file("fuzz.yaml", &text);
    });
});
