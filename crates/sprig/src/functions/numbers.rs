//! Sprig's conversions, integer and float math, and defaults and flow functions.

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
        // ---------- conversions & math
        "atoi" => Ok(Value::Int(go_atoi(args.s(0)))),
        "int" => Ok(Value::Int(to_int64(&a[0]))),
        "int64" => Ok(Value::Int64(to_int64(&a[0]))),
        "float64" => Ok(Value::Float(to_float64(&a[0]))),
        "toDecimal" => Ok(Value::Int64(
            i64::from_str_radix(&strval(&a[0]), 8).unwrap_or(0),
        )),
        "add" => Ok(Value::Int64(
            a.iter().map(to_int64).fold(0i64, |x, y| x.wrapping_add(y)),
        )),
        "add1" => Ok(Value::Int64(to_int64(&a[0]).wrapping_add(1))),
        "sub" => Ok(Value::Int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1])))),
        "mul" => Ok(Value::Int64(
            a.iter().map(to_int64).fold(1i64, |x, y| x.wrapping_mul(y)),
        )),
        "div" | "mod" => {
            let d = to_int64(&a[1]);
            if d == 0 {
                return ferr("runtime error: integer divide by zero");
            }
            Ok(Value::Int64(if name == "div" {
                to_int64(&a[0]).wrapping_div(d)
            } else {
                to_int64(&a[0]).wrapping_rem(d)
            }))
        }
        "max" => Ok(Value::Int64(a.iter().map(to_int64).max().unwrap_or(0))),
        "min" => Ok(Value::Int64(a.iter().map(to_int64).min().unwrap_or(0))),
        "addf" | "add1f" | "subf" | "mulf" | "divf" => {
            use crate::decimal::{Op, fold};
            let nums: Vec<f64> = a.iter().map(to_float64).collect();
            let r = match name {
                // Sprig starts addf from 0 and adds 1 for add1f
                "addf" => fold(0.0, &nums, Op::Add),
                "add1f" => fold(nums[0], &[1.0], Op::Add),
                "subf" => fold(nums[0], &nums[1..], Op::Sub),
                "mulf" => fold(nums[0], &nums[1..], Op::Mul),
                _ => fold(nums[0], &nums[1..], Op::Div),
            };
            r.map(Value::Float).map_err(TemplateError::new)
        }
        "maxf" => Ok(Value::Float(
            a.iter().map(to_float64).fold(f64::NEG_INFINITY, f64::max),
        )),
        "minf" => Ok(Value::Float(
            a.iter().map(to_float64).fold(f64::INFINITY, f64::min),
        )),
        "floor" => Ok(Value::Float(to_float64(&a[0]).floor())),
        "ceil" => Ok(Value::Float(to_float64(&a[0]).ceil())),
        "round" => {
            // Sprig: ceil when the fraction reaches the threshold (0.5 unless given), else floor;
            // so negative numbers always round down (round -1.4 0 is -2)
            let round_on = a.get(2).map_or(0.5, to_float64);
            let pow = 10f64.powf(i_arg(&a[1]) as f64);
            let digit = pow * to_float64(&a[0]);
            let r = if digit.fract() >= round_on {
                digit.ceil()
            } else {
                digit.floor()
            };
            Ok(Value::Float(r / pow))
        }
        "until" => {
            let n = i_arg(&a[0]);
            sequence_fits(name, (n as i128).abs())?;
            let v: Vec<Value> = if n >= 0 {
                (0..n).map(Value::Int).collect()
            } else {
                (n + 1..=0).rev().map(Value::Int).collect()
            };
            Ok(Value::list(v))
        }
        "untilStep" => {
            let (st_, stop, step) = (i_arg(&a[0]), i_arg(&a[1]), i_arg(&a[2]));
            let n = sequence_len(st_, stop, step, false);
            sequence_fits(name, n)?;
            // counted, not stepped to the end: `i += step` could overflow near i64's bounds
            let v = (0..n)
                .map(|k| Value::Int((st_ as i128 + k * step as i128) as i64))
                .collect();
            Ok(Value::list(v))
        }
        "seq" => {
            let nums: Vec<i64> = a.iter().map(to_int64).collect();
            let (st_, step, end) = match nums.len() {
                // Sprig: no arguments or more than three give an empty string
                0 | 4.. => return Ok(Some(Value::string(String::new()))),
                1 => (1, if nums[0] >= 1 { 1 } else { -1 }, nums[0]),
                2 => (nums[0], if nums[1] >= nums[0] { 1 } else { -1 }, nums[1]),
                _ => (nums[0], nums[1], nums[2]),
            };
            if step == 0 {
                return Ok(Some(Value::string(String::new())));
            }
            let n = sequence_len(st_, end, step, true);
            sequence_fits(name, n)?;
            let out: Vec<String> = (0..n)
                .map(|k| ((st_ as i128 + k * step as i128) as i64).to_string())
                .collect();
            str_v(out.join(" "))
        }
        // ---------- defaults & flow
        "default" => {
            if a.len() < 2 || is_empty(&a[1]) {
                Ok(a[0].clone())
            } else {
                Ok(a[1].clone())
            }
        }
        "empty" => Ok(Value::Bool(is_empty(&a[0]))),
        "coalesce" => Ok(a
            .iter()
            .find(|v| !is_empty(v))
            .cloned()
            .unwrap_or(Value::Nil)),
        "all" => Ok(Value::Bool(a.iter().all(|v| !is_empty(v)))),
        "any" => Ok(Value::Bool(a.iter().any(|v| !is_empty(v)))),
        "ternary" => Ok(if a[2].truthy() {
            a[0].clone()
        } else {
            a[1].clone()
        }),
        "kindOf" => str_v(a[0].kind_name().to_string()),
        "kindIs" => Ok(Value::Bool(a[1].kind_name() == args.s(0))),
        "typeOf" => str_v(a[0].type_name().to_string()),
        "typeIs" => Ok(Value::Bool(a[1].type_name() == args.s(0))),
        "typeIsLike" => {
            let t = a[1].type_name();
            Ok(Value::Bool(
                t == args.s(0) || format!("*{}", t) == args.s(0),
            ))
        }
        "deepEqual" => Ok(Value::Bool(deep_equal(&a[0], &a[1]))),
        "deepCopy" | "mustDeepCopy" => Ok(a[0].deep_copy()),
        _ => return Ok(None),
    }
    .map(Some)
}
