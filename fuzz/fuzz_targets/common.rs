//! Shared by the targets: splitting one input into parts, the plugin's stack, and a chart made
//! of given files.

use helm_engine::{Chart, RenderOptions, Values};

/// The input as text cut at NUL bytes: `parts[0]`, `parts[1]`, … (missing parts are empty).
#[allow(dead_code, reason = "each target uses some of these")]
pub fn parts(data: &[u8], n: usize) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    let mut v: Vec<String> = text.splitn(n, '\0').map(str::to_string).collect();
    v.resize(n, String::new());
    v
}

/// Runs `f` on a thread with the stack the plugin gives its work (512 MiB, src/main.rs), so a
/// recursion the plugin survives is not reported; a panic still aborts (libFuzzer's hook).
#[allow(dead_code, reason = "each target uses some of these")]
pub fn on_plugin_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic");
}

/// Renders a chart of `templates/t.yaml` = `template` and `values.yaml` = `chart_values` with the
/// user's values (`values` YAML, then `set`); errors are fine, panics and hangs are not.
#[allow(dead_code, reason = "each target uses some of these")]
pub fn render(template: String, chart_values: String, values: String, set: String) {
    on_plugin_stack(move || {
        let mut v = Values::new();
        if v.add_yaml_file("user.yaml", &values).is_err() {
            return;
        }
        let _ = v.add_set(&set);
        let files = vec![
            (
                "Chart.yaml".to_string(),
                b"apiVersion: v2\nname: fuzz\nversion: 0.1.0\n".to_vec(),
            ),
            ("values.yaml".to_string(), chart_values.into_bytes()),
            ("templates/t.yaml".to_string(), template.into_bytes()),
        ];
        if let Ok(chart) = Chart::load_files(files) {
            let _ = helm_engine::render(&chart, &v, &RenderOptions::default());
        }
    });
}
