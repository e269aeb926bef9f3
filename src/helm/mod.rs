//! Helm-v4-compatible chart engine: Go text/template, Sprig and Helm functions, values, charts.
