//! Template parse + execute: a random template over random chart values (YAML), as Helm renders.
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut p = common::parts(data, 2).into_iter();
    let (t, v) = (p.next().unwrap(), p.next().unwrap());
    common::render(t, v, String::new(), String::new());
});
