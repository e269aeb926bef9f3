//! Sprig's float arithmetic (`addf`, `subf`, `mulf`, `divf`, `add1f`) goes through shopspring's
//! decimal type: each float becomes its shortest round-trip decimal, the operation is exact
//! (division rounds to 16 places, half away from zero), and the result is rounded back to a
//! float once. So `addf 0.1 0.2` is 0.3, not 0.30000000000000004.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// Decimal digits kept after the point by a division (shopspring's `DivisionPrecision`).
const DIV_PLACES: i32 = 16;

/// `coef × 10^exp`.
#[derive(Clone, Copy, Debug)]
struct Dec {
    coef: i128,
    exp: i32,
}

impl Dec {
    fn from_f64(f: f64) -> Result<Dec, String> {
        if !f.is_finite() {
            let shown = if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            };
            return Err(format!("Cannot create a Decimal from {shown}"));
        }
        // `{:e}` prints the shortest digits that read back as the same float
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let neg = mant.starts_with('-');
        let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
        let frac = mant.split_once('.').map_or(0, |(_, f)| f.len() as i32);
        let coef: i128 = digits.parse().unwrap_or(0);
        Ok(Dec {
            coef: if neg { -coef } else { coef },
            exp: exp - frac,
        })
    }

    fn to_f64(self) -> f64 {
        // Rust's float parsing rounds correctly, as Go's Rat.Float64 does
        format!("{}e{}", self.coef, self.exp)
            .parse()
            .unwrap_or(f64::NAN)
    }

    /// `coef × 10^by`, or None past i128.
    fn scaled(coef: i128, by: i32) -> Option<i128> {
        10i128
            .checked_pow(u32::try_from(by).ok()?)?
            .checked_mul(coef)
    }

    fn apply(self, op: Op, o: Dec) -> Result<Option<Dec>, String> {
        Ok(match op {
            Op::Add | Op::Sub => {
                let e = self.exp.min(o.exp);
                let (Some(a), Some(b)) = (
                    Dec::scaled(self.coef, self.exp - e),
                    Dec::scaled(o.coef, o.exp - e),
                ) else {
                    return Ok(None);
                };
                let r = if op == Op::Add {
                    a.checked_add(b)
                } else {
                    a.checked_sub(b)
                };
                r.map(|coef| Dec { coef, exp: e })
            }
            Op::Mul => self.coef.checked_mul(o.coef).map(|coef| Dec {
                coef,
                exp: self.exp + o.exp,
            }),
            Op::Div => {
                if o.coef == 0 {
                    return Err("decimal division by 0".into());
                }
                // quotient × 10^16 = self.coef × 10^(self.exp - o.exp + 16) / o.coef
                let k = self.exp - o.exp + DIV_PLACES;
                let (num, den) = if k >= 0 {
                    (Dec::scaled(self.coef, k), Some(o.coef))
                } else {
                    (Some(self.coef), Dec::scaled(o.coef, -k))
                };
                let (Some(num), Some(den)) = (num, den) else {
                    return Ok(None);
                };
                let (q, r) = (num / den, num % den);
                let away = r != 0 && r.unsigned_abs() * 2 >= den.unsigned_abs();
                let sign = if (num < 0) != (den < 0) { -1 } else { 1 };
                Some(Dec {
                    coef: if away { q + sign } else { q },
                    exp: -DIV_PLACES,
                })
            }
        })
    }
}

/// Fold `rest` into `first` with `op`, as Sprig's execDecimalOp does. Past the exact range of
/// 128-bit coefficients the step is done in floats (far beyond what charts compute).
pub fn fold(first: f64, rest: &[f64], op: Op) -> Result<f64, String> {
    let mut acc = Dec::from_f64(first)?;
    for &x in rest {
        let d = Dec::from_f64(x)?;
        acc = match acc.apply(op, d)? {
            Some(r) => r,
            None => {
                let (a, b) = (acc.to_f64(), d.to_f64());
                Dec::from_f64(match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                })?
            }
        };
    }
    Ok(acc.to_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_decimal_not_binary() {
        assert_eq!(fold(0.0, &[0.1, 0.2], Op::Add), Ok(0.3));
        assert_eq!(fold(0.3, &[0.1], Op::Sub), Ok(0.2));
        assert_eq!(fold(0.1, &[3.0], Op::Mul), Ok(0.3));
        assert_eq!(fold(1.0, &[0.9], Op::Sub), Ok(0.1));
    }

    #[test]
    fn division_rounds_to_sixteen_places_half_away_from_zero() {
        // Helm prints these for divf 2 3, divf 1 7 and divf -2 3
        assert_eq!(fold(2.0, &[3.0], Op::Div), Ok(0.6666666666666667));
        assert_eq!(fold(1.0, &[7.0], Op::Div), Ok(0.1428571428571429));
        assert_eq!(fold(-2.0, &[3.0], Op::Div), Ok(-0.6666666666666667));
        assert_eq!(
            fold(1.0, &[0.0], Op::Div),
            Err("decimal division by 0".into())
        );
    }

    #[test]
    fn non_finite_inputs_are_errors_and_huge_ranges_fall_back() {
        assert_eq!(
            fold(f64::NAN, &[1.0], Op::Add),
            Err("Cannot create a Decimal from NaN".into())
        );
        assert_eq!(fold(1e300, &[1e-300], Op::Add), Ok(1e300));
        assert_eq!(fold(1e200, &[1e200], Op::Mul), Ok(f64::INFINITY));
    }
}
