//! Values coalescing: chart defaults, a user file and `--set`, merged and printed by a template.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut p = common::parts(data, 3).into_iter();
    let (chart, user, set) = (p.next().unwrap(), p.next().unwrap(), p.next().unwrap());
    common::render("{{ toYaml .Values }}".into(), chart, user, set);
});
