//! Template values as Go times: Sprig's date arguments (a `time.Time`, unix seconds, or now)
//! formatted with Go layouts, in UTC or a tz database zone, and Go's `time.Duration` text.

use super::gotime;
use super::value::{Object, Value, format_float_f, format_float_g};

/// Go `time.ParseDuration` → nanoseconds.
pub fn parse_duration(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if n == 0 {
            return None;
        }
        let num: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += num * mult;
        rest = &rest[u..];
    }
    Some(if neg { -(total as i128) } else { total as i128 })
}

/// Go `time.Duration.String()`.
pub fn format_duration(ns: i128) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let a = ns.unsigned_abs();
    let mut s = String::new();
    if a < 1_000_000_000 {
        let (v, unit) = if a < 1000 {
            (a as f64, "ns")
        } else if a < 1_000_000 {
            (a as f64 / 1e3, "µs")
        } else {
            (a as f64 / 1e6, "ms")
        };
        s = format!("{}{}", format_float_g(v), unit);
    } else {
        let h = a / 3_600_000_000_000;
        let m = (a / 60_000_000_000) % 60;
        let sec = (a % 60_000_000_000) as f64 / 1e9;
        if h > 0 {
            s.push_str(&format!("{}h", h));
        }
        if h > 0 || m > 0 {
            s.push_str(&format!("{}m", m));
        }
        s.push_str(&format!("{}s", format_float_f(sec, None)));
    }
    if neg { format!("-{}", s) } else { s }
}

/// Go time formatting for a Time value (UTC) with a Go layout.
pub fn go_date(layout: &str, v: &Value) -> String {
    let (nanos, off) = instant(v);
    gotime::format(layout, nanos, off)
}

/// Sprig's `dateInZone`: the instant (a time, or unix seconds as int/int64; anything else is
/// now) shown in the tz database's `zone`, or in UTC where Go's LoadLocation fails.
pub fn go_date_in_zone(layout: &str, v: &Value, zone: &str) -> String {
    let nanos = match v {
        Value::Object(o) if let Object::Time { unix_nanos, .. } = &**o => *unix_nanos,
        Value::Int(i) | Value::Int64(i) => *i as i128 * 1_000_000_000,
        _ => instant(&Value::Nil).0,
    };
    let secs = nanos.div_euclid(1_000_000_000) as i64;
    let zone = super::zoneinfo::zone_at(zone, secs).unwrap_or(super::zoneinfo::ZoneAt {
        offset: 0,
        abbreviation: "UTC".into(),
    });
    gotime::format_zoned(layout, nanos, zone.offset, Some(&zone.abbreviation))
}

/// A date argument as (unix nanoseconds, offset); anything not a time or a number is now.
fn instant(v: &Value) -> (i128, i32) {
    match v {
        Value::Object(o) => match &**o {
            Object::Time { unix_nanos, offset } => (*unix_nanos, *offset),
            _ => (0, 0),
        },
        Value::Int(i) | Value::Int64(i) => (*i as i128 * 1_000_000_000, 0),
        Value::Float(f) => ((*f as i128) * 1_000_000_000, 0),
        _ => {
            let d = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            (d.as_nanos() as i128, 0)
        }
    }
}
