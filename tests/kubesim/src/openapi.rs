//! Minimal OpenAPI v2/v3 documents.

use crate::store::Store;
use serde_json::{Value, json};

pub fn serve(_st: &Store, path: &str, _q: &[(String, String)]) -> Option<Value> {
    match path {
        "/openapi/v2" => Some(
            json!({"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.33.1"}, "paths": {}, "definitions": {}}),
        ),
        "/openapi/v3" => Some(json!({"paths": {}})),
        _ => None,
    }
}
