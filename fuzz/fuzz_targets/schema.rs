//! values.schema.json validation: a random schema (JSON) against random values (YAML).
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut p = common::parts(data, 2).into_iter();
    let (schema, values) = (p.next().unwrap(), p.next().unwrap());
    common::on_plugin_stack(move || {
        if let Ok(v) = helm_engine::yaml::parse(&values) {
            let _ = helm_engine::jsonschema::validate(&schema, &v);
        }
    });
});
