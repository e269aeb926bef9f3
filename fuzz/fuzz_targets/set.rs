//! `--set`, `--set-string` and `--set-json` parsing (Helm's strvals), each on the same text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut v = helm_engine::Values::new();
    let _ = v.add_set(&text);
    let _ = v.add_set_string(&text);
    let _ = v.add_set_json(&text);
    let _ = v.as_json().to_string();
});
