//! Label and field selectors.

use crate::error::ApiError;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Req {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
    Gt(String, i64),
    Lt(String, i64),
}

#[derive(Debug, Clone, Default)]
pub struct LabelSelector(pub Vec<Req>);

fn split_top(s: &str) -> Vec<String> {
    let mut out = vec![];
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c)
            }
            ')' => {
                depth -= 1;
                cur.push(c)
            }
            ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn set_values(s: &str) -> Result<Vec<String>, ApiError> {
    let s = s.trim();
    let inner = s
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "unable to parse requirement: found '{s}', expected: '('"
            ))
        })?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

impl LabelSelector {
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let mut reqs = vec![];
        for part in split_top(s) {
            let p = part.as_str();
            if let Some(k) = p.strip_prefix('!') {
                reqs.push(Req::NotExists(k.trim().to_string()));
                continue;
            }
            let words: Vec<&str> = p.splitn(2, char::is_whitespace).collect();
            if words.len() == 2 {
                let rest = words[1].trim_start();
                if let Some(v) = rest.strip_prefix("notin") {
                    reqs.push(Req::NotIn(words[0].into(), set_values(v)?));
                    continue;
                }
                if let Some(v) = rest.strip_prefix("in") {
                    reqs.push(Req::In(words[0].into(), set_values(v)?));
                    continue;
                }
            }
            if let Some((k, v)) = p.split_once("!=") {
                reqs.push(Req::Ne(k.trim().into(), v.trim().into()));
            } else if let Some((k, v)) = p.split_once("==") {
                reqs.push(Req::Eq(k.trim().into(), v.trim().into()));
            } else if let Some((k, v)) = p.split_once('=') {
                reqs.push(Req::Eq(k.trim().into(), v.trim().into()));
            } else if let Some((k, v)) = p.split_once('>') {
                let n = v
                    .trim()
                    .parse()
                    .map_err(|_| ApiError::bad_request(format!("invalid selector {p:?}")))?;
                reqs.push(Req::Gt(k.trim().into(), n));
            } else if let Some((k, v)) = p.split_once('<') {
                let n = v
                    .trim()
                    .parse()
                    .map_err(|_| ApiError::bad_request(format!("invalid selector {p:?}")))?;
                reqs.push(Req::Lt(k.trim().into(), n));
            } else if p.contains(char::is_whitespace) || p.contains('(') {
                return Err(ApiError::bad_request(format!(
                    "unable to parse requirement: <nil>: Invalid value: \"{p}\""
                )));
            } else {
                reqs.push(Req::Exists(p.into()));
            }
        }
        Ok(LabelSelector(reqs))
    }

    /// From a metav1.LabelSelector object (matchLabels/matchExpressions).
    pub fn from_object(v: &Value) -> Self {
        let mut reqs = vec![];
        if let Some(m) = v.get("matchLabels").and_then(Value::as_object) {
            for (k, val) in m {
                reqs.push(Req::Eq(k.clone(), val.as_str().unwrap_or_default().into()));
            }
        }
        if let Some(a) = v.get("matchExpressions").and_then(Value::as_array) {
            for e in a {
                let k = e["key"].as_str().unwrap_or_default().to_string();
                let vals: Vec<String> = e["values"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                reqs.push(match e["operator"].as_str().unwrap_or_default() {
                    "In" => Req::In(k, vals),
                    "NotIn" => Req::NotIn(k, vals),
                    "Exists" => Req::Exists(k),
                    "DoesNotExist" => Req::NotExists(k),
                    "Gt" => Req::Gt(k, vals.first().and_then(|x| x.parse().ok()).unwrap_or(0)),
                    "Lt" => Req::Lt(k, vals.first().and_then(|x| x.parse().ok()).unwrap_or(0)),
                    _ => continue,
                });
            }
        }
        LabelSelector(reqs)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            Req::Eq(k, v) => get(k) == Some(v.as_str()),
            Req::Ne(k, v) => get(k) != Some(v.as_str()),
            Req::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Req::NotIn(k, vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
            Req::Exists(k) => get(k).is_some(),
            Req::NotExists(k) => get(k).is_none(),
            Req::Gt(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x > *n),
            Req::Lt(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x < *n),
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct FieldSelector(pub Vec<(String, bool, String)>);

impl FieldSelector {
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let mut out = vec![];
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if let Some((k, v)) = part.split_once("!=") {
                out.push((k.trim().into(), false, v.trim().into()));
            } else if let Some((k, v)) = part.split_once("==") {
                out.push((k.trim().into(), true, v.trim().into()));
            } else if let Some((k, v)) = part.split_once('=') {
                out.push((k.trim().into(), true, v.trim().into()));
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                )));
            }
        }
        Ok(FieldSelector(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Matches a stored object, parsing it only for fields that are not indexed.
    pub fn matches_obj(&self, o: &crate::obj::Obj) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let mut parsed: Option<Value> = None;
        self.0.iter().all(|(k, eq, v)| match o.indexed_field(k) {
            Some(s) => (s == *v) == *eq,
            None => {
                let full = parsed.get_or_insert_with(|| o.value());
                FieldSelector(vec![(k.clone(), *eq, v.clone())]).matches(full)
            }
        })
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|(k, eq, v)| {
            let mut cur = obj;
            let mut found = true;
            for p in k.split('.') {
                match cur.get(p) {
                    Some(c) => cur = c,
                    None => {
                        found = false;
                        break;
                    }
                }
            }
            let s = if !found {
                String::new()
            } else {
                match cur {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                }
            };
            (s == *v) == *eq
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels() {
        let l = json!({"app": "web", "tier": "fe", "n": "5"});
        let m = l.as_object();
        assert!(
            LabelSelector::parse("app=web,tier in (fe, be)")
                .unwrap()
                .matches(m)
        );
        assert!(
            LabelSelector::parse("app,!missing,n>3,n<9")
                .unwrap()
                .matches(m)
        );
        assert!(!LabelSelector::parse("tier notin (fe)").unwrap().matches(m));
        assert!(LabelSelector::parse("app!=db").unwrap().matches(m));
        assert!(!LabelSelector::parse("app==db").unwrap().matches(m));
    }

    #[test]
    fn fields() {
        let o = json!({"metadata": {"name": "a"}, "status": {"phase": "Running"}});
        assert!(
            FieldSelector::parse("metadata.name=a,status.phase!=Failed")
                .unwrap()
                .matches(&o)
        );
        assert!(
            !FieldSelector::parse("spec.nodeName=n1")
                .unwrap()
                .matches(&o)
        );
        assert!(FieldSelector::parse("spec.nodeName=").unwrap().matches(&o));
    }
}
