//! Sprig's date functions.

use super::helpers::*;

/// The function `name` if it is one of this module's: `Ok(None)` when it is not.
pub(super) fn call(
    _keys: Option<&KeyPool>,
    _st: &mut State,
    name: &str,
    a: &[Value],
) -> Result<Option<Value>, TemplateError> {
    let args = Args(a);
    match name {
        // ---------- dates
        "now" => Ok(now_value()),
        "date" => str_v(gotemplate::dates::go_date(args.s(0), &in_utc(&a[1]))),
        "dateInZone" | "date_in_zone" => str_v(gotemplate::dates::go_date_in_zone(
            args.s(0),
            &a[1],
            args.s(2),
        )),
        "htmlDateInZone" => str_v(gotemplate::dates::go_date_in_zone(
            "2006-01-02",
            &a[0],
            args.s(1),
        )),
        "htmlDate" => str_v(gotemplate::dates::go_date("2006-01-02", &in_utc(&a[0]))),
        "toDate" | "mustToDate" => match gotemplate::gotime::parse(args.s(0), args.s(1)) {
            Ok((unix_nanos, offset)) => {
                Ok(Value::Object(Rc::new(Object::Time { unix_nanos, offset })))
            }
            Err(e) if name == "mustToDate" => ferr(e),
            Err(_) => Ok(Value::Object(Rc::new(Object::Time {
                unix_nanos: -62_135_596_800_000_000_000,
                offset: 0,
            }))),
        },
        "ago" => {
            let now = now_nanos();
            let t = match &a[0] {
                Value::Object(o) => match &**o {
                    Object::Time { unix_nanos, .. } => *unix_nanos,
                    _ => now,
                },
                Value::Int(i) | Value::Int64(i) => *i as i128 * 1_000_000_000,
                _ => now,
            };
            str_v(gotemplate::dates::format_duration(round_to_second(now - t)))
        }
        "durationRound" => {
            let d: i128 = match &a[0] {
                Value::Str(x) => gotemplate::dates::parse_duration(x).unwrap_or(0),
                Value::Int64(i) => *i as i128,
                Value::Object(o) => match &**o {
                    Object::Time { unix_nanos, .. } => now_nanos() - unix_nanos,
                    _ => 0,
                },
                _ => 0,
            };
            str_v(duration_round(d))
        }
        "unixEpoch" => str_v(match &a[0] {
            Value::Object(o) => match &**o {
                Object::Time { unix_nanos, .. } => {
                    (unix_nanos.div_euclid(1_000_000_000)).to_string()
                }
                _ => String::new(),
            },
            _ => String::new(),
        }),
        "dateModify" | "mustDateModify" | "date_modify" | "must_date_modify" => {
            match gotemplate::dates::parse_duration(args.s(0)) {
                Some(d) => Ok(match &a[1] {
                    Value::Object(o) => match &**o {
                        Object::Time { unix_nanos, offset } => {
                            Value::Object(Rc::new(Object::Time {
                                unix_nanos: unix_nanos + d,
                                offset: *offset,
                            }))
                        }
                        _ => a[1].clone(),
                    },
                    _ => a[1].clone(),
                }),
                None => {
                    if name == "mustDateModify" || name == "must_date_modify" {
                        ferr(format!("time: invalid duration {}", go_quote(args.s(0))))
                    } else {
                        Ok(a[1].clone())
                    }
                }
            }
        }
        "duration" => {
            // sprig: only string and int64 inputs count; anything else is 0s
            let n = match &a[0] {
                Value::Str(x) => x.parse::<i64>().unwrap_or(0),
                Value::Int64(i) => *i,
                _ => 0,
            };
            str_v(gotemplate::dates::format_duration(
                n as i128 * 1_000_000_000,
            ))
        }
        _ => return Ok(None),
    }
    .map(Some)
}
