//! Masterminds/semver v3 versions and constraints (as Sprig's `semverCompare` uses them).

use gotemplate::signature::{ParamKind, Signature};
use gotemplate::value::{Object, SemanticVersion, Value};
use std::cmp::Ordering;
use std::rc::Rc;

#[derive(Debug, Clone, PartialEq)]
pub struct Ver {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: String,
    pub meta: String,
    pub original: String,
}

fn valid_ids(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
}

/// `semver.NewVersion`.
pub fn parse(v: &str) -> Result<Ver, String> {
    let orig = v.to_string();
    let s = v.strip_prefix('v').unwrap_or(v);
    let (s, meta) = match s.split_once('+') {
        Some((a, m)) => (a, m.to_string()),
        None => (s, String::new()),
    };
    let (core, pre) = match s.split_once('-') {
        Some((a, p)) => (a, p.to_string()),
        None => (s, String::new()),
    };
    if (!meta.is_empty()
        || s.len() < (v.len() - usize::from(v.starts_with('v'))) && v.contains('+'))
        && !valid_ids(&meta)
        && v.contains('+')
    {
        return Err("invalid semantic version".into());
    }
    if v.contains('-') && !valid_ids(&pre) {
        return Err("invalid semantic version".into());
    }
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()))
    {
        return Err("invalid semantic version".into());
    }
    let n = |i: usize| -> Result<u64, String> {
        parts
            .get(i)
            .map(|p| {
                p.parse::<u64>()
                    .map_err(|_| "invalid semantic version".to_string())
            })
            .unwrap_or(Ok(0))
    };
    Ok(Ver {
        major: n(0)?,
        minor: n(1)?,
        patch: n(2)?,
        pre,
        meta,
        original: orig,
    })
}

fn cmp_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let ap: Vec<&str> = a.split('.').collect();
    let bp: Vec<&str> = b.split('.').collect();
    for i in 0..ap.len().max(bp.len()) {
        let (x, y) = match (ap.get(i), bp.get(i)) {
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(x), Some(y)) => (x, y),
        };
        let xn = x.parse::<u64>();
        let yn = y.parse::<u64>();
        let o = match (xn, yn) {
            (Ok(p), Ok(q)) => p.cmp(&q),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            _ => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

pub fn cmp(a: &Ver, b: &Ver) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| cmp_pre(&a.pre, &b.pre))
}

#[derive(Debug)]
struct Con {
    op: String,
    v: Ver,
    /// number of given parts (1..3); wildcards reduce it
    parts: usize,
    wild: bool,
}

fn parse_con(s: &str) -> Result<Con, String> {
    let s = s.trim();
    let ops = ["!=", ">=", "=>", "<=", "=<", "~>", ">", "<", "=", "~", "^"];
    let mut op = "";
    let mut rest = s;
    for o in ops {
        if let Some(r) = s.strip_prefix(o) {
            op = o;
            rest = r.trim();
            break;
        }
    }
    let rest_v = rest.strip_prefix('v').unwrap_or(rest);
    let (core, tail) = match rest_v.find(['-', '+']) {
        Some(i) => (&rest_v[..i], &rest_v[i..]),
        None => (rest_v, ""),
    };
    let mut parts: Vec<&str> = core.split('.').collect();
    let mut wild = false;
    let mut given = parts.len();
    for (i, p) in parts.iter().enumerate() {
        if *p == "x" || *p == "X" || *p == "*" {
            wild = true;
            given = given.min(i);
        }
    }
    if core.is_empty() {
        return Err(format!(
            "improper constraint: {}",
            gotemplate::strconv::go_quote(s)
        ));
    }
    parts.truncate(given);
    let mut vs = parts.join(".");
    if vs.is_empty() {
        vs = "0".into();
    }
    let v = parse(&format!(
        "{}{}",
        vs,
        if given == 3 || !wild { tail } else { "" }
    ))
    .map_err(|_| format!("improper constraint: {}", s))?;
    let op = match op {
        "=>" => ">=",
        "=<" => "<=",
        "~>" => "~",
        o => o,
    };
    Ok(Con {
        op: op.to_string(),
        v,
        parts: if wild { given } else { core.split('.').count() },
        wild,
    })
}

fn bump(v: &Ver, level: usize) -> Ver {
    let mut n = v.clone();
    n.pre.clear();
    match level {
        0 => {
            n.major += 1;
            n.minor = 0;
            n.patch = 0;
        }
        1 => {
            n.minor += 1;
            n.patch = 0;
        }
        _ => n.patch += 1,
    }
    n
}

#[expect(
    clippy::nonminimal_bool,
    reason = "the range checks written as Masterminds/semver's Go code writes them"
)]
fn check(c: &Con, v: &Ver) -> bool {
    if !v.pre.is_empty() && c.v.pre.is_empty() {
        return false;
    }
    let lt = |a: &Ver, b: &Ver| cmp(a, b) == Ordering::Less;
    match c.op.as_str() {
        "" | "=" => {
            if c.wild || c.parts < 3 {
                let upper = bump(
                    &c.v,
                    c.parts.saturating_sub(1).min(2).max(if c.parts == 0 {
                        0
                    } else {
                        c.parts - 1
                    }),
                );
                if c.parts == 0 {
                    return true;
                }
                !lt(v, &c.v) && lt(v, &upper)
            } else {
                cmp(v, &c.v) == Ordering::Equal
            }
        }
        "!=" => {
            if c.wild || c.parts < 3 {
                if c.parts == 0 {
                    return false;
                }
                let upper = bump(&c.v, c.parts - 1);
                !((!lt(v, &c.v)) && lt(v, &upper))
            } else {
                cmp(v, &c.v) != Ordering::Equal
            }
        }
        ">" => {
            if c.wild || c.parts < 3 {
                if c.parts == 0 {
                    return false;
                }
                let upper = bump(&c.v, c.parts - 1);
                !lt(v, &upper)
            } else {
                cmp(v, &c.v) == Ordering::Greater
            }
        }
        ">=" => !lt(v, &c.v),
        "<" => lt(v, &c.v),
        "<=" => {
            if c.wild || c.parts < 3 {
                if c.parts == 0 {
                    return true;
                }
                let upper = bump(&c.v, c.parts - 1);
                lt(v, &upper)
            } else {
                cmp(v, &c.v) != Ordering::Greater
            }
        }
        "~" => {
            if lt(v, &c.v) {
                return false;
            }
            let level = if c.parts <= 1 { 0 } else { 1 };
            lt(v, &bump(&c.v, level))
        }
        "^" => {
            if lt(v, &c.v) {
                return false;
            }
            let level = if c.v.major > 0 || c.parts <= 1 {
                0
            } else if c.v.minor > 0 || c.parts == 2 {
                1
            } else {
                2
            };
            lt(v, &bump(&c.v, level))
        }
        _ => false,
    }
}

/// `semverCompare constraint version`.
pub fn compare(constraint: &str, version: &str) -> Result<bool, String> {
    let mut groups: Vec<Vec<Con>> = Vec::new();
    for alt in constraint.split("||") {
        let alt = alt.trim();
        let mut cons = Vec::new();
        // hyphen ranges
        let items: Vec<String> = if let Some((a, b)) = alt.split_once(" - ") {
            vec![format!(">={}", a.trim()), format!("<={}", b.trim())]
        } else {
            let mut out = Vec::new();
            for part in alt.split(',') {
                // space separated, but an operator may be followed by space
                let toks: Vec<&str> = part.split_whitespace().collect();
                let mut i = 0;
                while i < toks.len() {
                    let t = toks[i];
                    if t.chars().all(|c| "<>=!~^".contains(c)) && i + 1 < toks.len() {
                        out.push(format!("{}{}", t, toks[i + 1]));
                        i += 2;
                    } else {
                        out.push(t.to_string());
                        i += 1;
                    }
                }
            }
            out
        };
        for it in items {
            cons.push(parse_con(&it).map_err(|_| {
                format!(
                    "improper constraint: {}",
                    gotemplate::strconv::go_quote(constraint)
                )
            })?);
        }
        if cons.is_empty() {
            return Err(format!("improper constraint: {}", constraint));
        }
        groups.push(cons);
    }
    let v = parse(version)?;
    Ok(groups.iter().any(|g| g.iter().all(|c| check(c, &v))))
}

/// Sprig's `semver`: a `*semver.Version` object.
pub fn parse_version_object(s: &str) -> Result<Value, String> {
    let v = parse(s)?;
    Ok(Value::Object(Rc::new(Object::Semver(SemanticVersion {
        major: v.major,
        minor: v.minor,
        patch: v.patch,
        prerelease: v.pre,
        metadata: v.meta,
        original: v.original,
    }))))
}

fn to_ver(v: &SemanticVersion) -> Ver {
    Ver {
        major: v.major,
        minor: v.minor,
        patch: v.patch,
        pre: v.prerelease.clone(),
        meta: v.metadata.clone(),
        original: v.original.clone(),
    }
}

/// The methods of `*semver.Version` that templates can call, with their parameters.
pub fn method_signature(name: &str) -> Option<Signature> {
    use ParamKind::*;
    Some(match name {
        "Major" | "Minor" | "Patch" | "Prerelease" | "Metadata" | "Original" | "String"
        | "IncMajor" | "IncMinor" | "IncPatch" => (&[], None),
        "Compare" | "LessThan" | "GreaterThan" | "Equal" | "LessThanEqual" | "GreaterThanEqual" => {
            (&[Any], None)
        }
        "SetPrerelease" | "SetMetadata" => (&[Str], None),
        _ => return None,
    })
}

/// Calls a method of a `*semver.Version` (see [`method_signature`]).
pub fn call_method(version: &SemanticVersion, name: &str, args: &[Value]) -> Result<Value, String> {
    let object = |v: SemanticVersion| Value::Object(Rc::new(Object::Semver(v)));
    // Inc* and Set* keep a leading "v" of the original text, as Masterminds/semver does
    let with_original = |mut v: SemanticVersion| {
        let prefix = if version.original.starts_with('v') {
            "v"
        } else {
            ""
        };
        v.original = format!("{prefix}{}", v.text());
        v
    };
    let other = || match args.first() {
        Some(Value::Object(o)) if let Object::Semver(v) = &**o => Ok(to_ver(v)),
        Some(v) => Err(format!(
            "wrong type for value; expected *semver.Version; got {}",
            v.type_name()
        )),
        None => Err("wrong number of args".to_string()),
    };
    let order = || -> Result<Ordering, String> { Ok(cmp(&to_ver(version), &other()?)) };
    Ok(match name {
        "Major" => Value::Uint(version.major),
        "Minor" => Value::Uint(version.minor),
        "Patch" => Value::Uint(version.patch),
        "Prerelease" => Value::str(&version.prerelease),
        "Metadata" => Value::str(&version.metadata),
        "Original" => Value::str(&version.original),
        "String" => Value::string(version.text()),
        "Compare" => Value::Int(match order()? {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }),
        "LessThan" => Value::Bool(order()? == Ordering::Less),
        "GreaterThan" => Value::Bool(order()? == Ordering::Greater),
        "Equal" => Value::Bool(order()? == Ordering::Equal),
        "LessThanEqual" => Value::Bool(order()? != Ordering::Greater),
        "GreaterThanEqual" => Value::Bool(order()? != Ordering::Less),
        "IncMajor" => object(with_original(SemanticVersion {
            major: version.major + 1,
            minor: 0,
            patch: 0,
            prerelease: String::new(),
            metadata: String::new(),
            original: String::new(),
        })),
        "IncMinor" => object(with_original(SemanticVersion {
            minor: version.minor + 1,
            patch: 0,
            prerelease: String::new(),
            metadata: String::new(),
            ..version.clone()
        })),
        // a pre-release only drops its pre-release part
        "IncPatch" => object(with_original(SemanticVersion {
            patch: version.patch + u64::from(version.prerelease.is_empty()),
            prerelease: String::new(),
            metadata: String::new(),
            ..version.clone()
        })),
        "SetPrerelease" => {
            let text = args.first().and_then(|a| a.as_str()).unwrap_or_default();
            if !text.is_empty() && !valid_prerelease(text) {
                return Err("invalid prerelease string".into());
            }
            object(with_original(SemanticVersion {
                prerelease: text.to_string(),
                ..version.clone()
            }))
        }
        "SetMetadata" => {
            let text = args.first().and_then(|a| a.as_str()).unwrap_or_default();
            if !text.is_empty() && !valid_ids(text) {
                return Err("invalid metadata string".into());
            }
            object(with_original(SemanticVersion {
                metadata: text.to_string(),
                ..version.clone()
            }))
        }
        _ => return Err(format!("can't call method {name}")),
    })
}

/// Masterminds/semver's validatePrerelease: identifiers of [0-9A-Za-z-], numeric ones without
/// a leading zero.
fn valid_prerelease(s: &str) -> bool {
    valid_ids(s)
        && s.split('.').all(|id| {
            !(id.len() > 1 && id.starts_with('0') && id.bytes().all(|c| c.is_ascii_digit()))
        })
}

#[cfg(test)]
mod tests {
    use super::compare;
    #[test]
    fn constraints() {
        assert!(compare(">=1.21.0-0", "v1.36.0").unwrap());
        assert!(compare(">= 1.21-0", "v1.36.0").unwrap());
        assert!(!compare("<1.21", "v1.36.0").unwrap());
        assert!(compare("^1.2.3", "1.9.0").unwrap());
        assert!(!compare("^1.2.3", "2.0.0").unwrap());
        assert!(compare("~1.2", "1.2.9").unwrap());
        assert!(compare("1.2.x", "1.2.9").unwrap());
        assert!(compare(">1.0 <2.0", "1.5.0").unwrap());
        assert!(!compare(">=1.0", "1.5.0-rc1").unwrap());
    }
}
