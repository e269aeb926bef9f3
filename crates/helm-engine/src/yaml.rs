//! A YAML 1.1 reader with go-yaml v2 resolution rules, producing JSON-typed values
//! exactly as Helm (sigs.k8s.io/yaml) sees them: numbers are float64, keys are strings.

use gotemplate::value::Value;

mod error;
mod parser;
mod resolve;

pub use error::YamlError;
pub use parser::MAX_DEPTH;
pub use resolve::{Resolved, resolve_plain};

/// Parse the first YAML document of `src` into a JSON-typed value, as sigs.k8s.io/yaml's
/// `Unmarshal` does for Helm: every error reads `error converting YAML to JSON: …`.
pub fn parse(src: &str) -> Result<Value, YamlError> {
    parse_document(src).map_err(|e| YamlError(format!("error converting YAML to JSON: {e}")))
}

fn parse_document(src: &str) -> Result<Value, YamlError> {
    // A document holding bytes that are not UTF-8 (a template can render them: see
    // gotemplate::gostr) is refused by go-yaml's reader before anything is parsed.
    if gotemplate::gostr::has_escapes(src)
        && let Some(msg) = reader_error(&gotemplate::gostr::to_bytes(src))
    {
        return Err(YamlError(format!("yaml: {msg}")));
    }
    let n = parser::YamlParser::new(src).parse_stream_first()?;
    resolve::to_value(&n)
}

/// go-yaml v2's reader check of UTF-8 input (yaml_parser_update_buffer): the first bad sequence.
fn reader_error(b: &[u8]) -> Option<&'static str> {
    let mut i = 0;
    while i < b.len() {
        let octet = b[i];
        let width = match octet {
            o if o & 0x80 == 0 => 1,
            o if o & 0xE0 == 0xC0 => 2,
            o if o & 0xF0 == 0xE0 => 3,
            o if o & 0xF8 == 0xF0 => 4,
            _ => return Some("invalid leading UTF-8 octet"),
        };
        if i + width > b.len() {
            return Some("incomplete UTF-8 octet sequence");
        }
        let mut value: u32 = match width {
            1 => u32::from(octet & 0x7F),
            2 => u32::from(octet & 0x1F),
            3 => u32::from(octet & 0x0F),
            _ => u32::from(octet & 0x07),
        };
        for k in 1..width {
            let o = b[i + k];
            if o & 0xC0 != 0x80 {
                return Some("invalid trailing UTF-8 octet");
            }
            value = (value << 6) + u32::from(o & 0x3F);
        }
        let shortest = match width {
            1 => true,
            2 => value >= 0x80,
            3 => value >= 0x800,
            _ => value >= 0x10000,
        };
        if !shortest {
            return Some("invalid length of a UTF-8 sequence");
        }
        if (0xD800..=0xDFFF).contains(&value) || value > 0x10FFFF {
            return Some("invalid Unicode character");
        }
        i += width;
    }
    None
}

/// Read a values file as Helm v4's `LoadValues` does (chart `values.yaml` and `-f` files): the
/// documents between `---` lines are each read as a map and merged, later ones winning.
pub fn parse_values(src: &str) -> Result<Value, YamlError> {
    let mut values = Value::empty_map();
    for doc in values_documents(src)? {
        match parse(&doc) {
            Ok(Value::Nil) => {}
            Ok(doc @ Value::Map(_)) => values = crate::merge::merge_maps(&values, &doc),
            Ok(v) => {
                return Err(YamlError(format!(
                    "cannot unmarshal yaml document: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    gotemplate::json::json_kind(&v)
                )));
            }
            Err(e) => return Err(YamlError(format!("cannot unmarshal yaml document: {e}"))),
        }
    }
    Ok(values)
}

/// The documents of a values file as apimachinery's `YAMLReader` cuts them: a line starting
/// with `---` ends one (whatever YAML would make of it; only spaces or a comment may follow),
/// line ends are read as `\n`, and empty documents are skipped.
fn values_documents(src: &str) -> Result<Vec<String>, YamlError> {
    // the usual file: one document, no carriage returns — read as it is
    if !src.starts_with("---") && !src.contains("\n---") && !src.contains('\r') {
        return Ok(match src {
            "" => vec![],
            s if s.ends_with('\n') => vec![s.to_string()],
            s => vec![format!("{s}\n")],
        });
    }
    let mut docs = Vec::new();
    let mut doc = String::new();
    let text = src.strip_suffix('\n').unwrap_or(src);
    if src.is_empty() {
        return Ok(docs);
    }
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(rest) = line.strip_prefix("---") {
            let rest = rest.trim_matches(|c: char| c.is_ascii_whitespace());
            if !rest.is_empty() && !rest.starts_with('#') {
                return Err(YamlError(format!(
                    "error reading yaml document: invalid Yaml document separator: {rest}"
                )));
            }
            if !doc.is_empty() {
                docs.push(std::mem::take(&mut doc));
            }
            continue;
        }
        doc.push_str(line);
        doc.push('\n');
    }
    if !doc.is_empty() {
        docs.push(doc);
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gotemplate::value::sprint;

    fn p(s: &str) -> String {
        sprint(&parse(s).unwrap())
    }

    #[test]
    fn basics() {
        assert_eq!(
            p("a: 1\nb: yes\nn: x\non: 2\n"),
            "map[a:1 b:true false:x true:2]"
        );
        assert_eq!(
            p("a:\n  - x\n  - y: 1\n    z: 2\n"),
            "map[a:[x map[true:1 z:2]]]"
        );
        assert_eq!(p("a:\n- 1\n- 2\nb: c"), "map[a:[1 2] b:c]");
        assert_eq!(p("a: 1000000"), "map[a:1e+06]");
        assert_eq!(p("a: {x: 1, y: [a, b]}"), "map[a:map[true:[a b] x:1]]");
        assert_eq!(
            p("a: |\n  x\n  y\nb: >-\n  p\n  q\n\n  r\n"),
            "map[a:x\ny\n b:p q\nr]"
        );
        assert_eq!(
            p("a: &x {k: v}\nb: *x\nc:\n  <<: *x\n  z: 1"),
            "map[a:map[k:v] b:map[k:v] c:map[k:v z:1]]"
        );
        assert_eq!(p("a: 'it''s'\nb: \"x\\ty\"\n"), "map[a:it's b:x\ty]");
        assert_eq!(p("a: plain\n  continued\n"), "map[a:plain continued]");
        assert_eq!(p("a: http://x:80/y # c\n"), "map[a:http://x:80/y]");
        assert_eq!(
            p("a: 2024-01-01\nb: 0x10\nc: 010\nd: 1_000"),
            "map[a:2024-01-01 b:16 c:8 d:1000]"
        );
        assert_eq!(p(""), "<nil>");
    }
}
