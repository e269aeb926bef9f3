//! Chart archive loading (.tgz bytes as a registry would serve them).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = helm_engine::Chart::load_archive(data);
});
