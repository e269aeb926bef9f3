//! Exact decimals, for `multipleOf` and number bounds on the literal text of JSON numbers.

/// A decimal 0.d1d2d3… × 10^exp (digits without leading or trailing zeros; empty = 0).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ExactDecimal {
    pub(super) neg: bool,
    pub(super) digits: Vec<u8>,
    pub(super) exp: i64,
}

impl ExactDecimal {
    pub(super) fn parse(s: &str) -> Option<ExactDecimal> {
        let s = s.trim();
        let (neg, s) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (mant, e) = match s.find(['e', 'E']) {
            Some(p) => (&s[..p], s[p + 1..].parse::<i64>().ok()?),
            None => (s, 0),
        };
        let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
        if ip.is_empty() && fp.is_empty() {
            return None;
        }
        if !ip.bytes().chain(fp.bytes()).all(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut digits: Vec<u8> = ip.bytes().chain(fp.bytes()).map(|c| c - b'0').collect();
        let mut exp = ip.len() as i64 + e;
        let lead = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..lead);
        exp -= lead as i64;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Some(ExactDecimal {
                neg: false,
                digits,
                exp: 0,
            });
        }
        Some(ExactDecimal { neg, digits, exp })
    }
    pub(super) fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }
    pub(super) fn is_integer(&self) -> bool {
        self.is_zero() || self.digits.len() as i64 <= self.exp
    }
    pub(super) fn cmp(&self, o: &ExactDecimal) -> std::cmp::Ordering {
        use std::cmp::Ordering::*;
        let sign = |d: &ExactDecimal| {
            if d.is_zero() {
                0
            } else if d.neg {
                -1
            } else {
                1
            }
        };
        let (a, b) = (sign(self), sign(o));
        if a != b {
            return a.cmp(&b);
        }
        if a == 0 {
            return Equal;
        }
        let mag = self
            .exp
            .cmp(&o.exp)
            .then_with(|| self.digits.cmp(&o.digits));
        if a < 0 { mag.reverse() } else { mag }
    }
    pub(super) fn to_f64(&self) -> f64 {
        if self.is_zero() {
            return 0.0;
        }
        let s: String = self.digits.iter().map(|d| (b'0' + d) as char).collect();
        let f: f64 = format!("0.{}e{}", s, self.exp).parse().unwrap_or(0.0);
        if self.neg { -f } else { f }
    }
    /// (integer of all digits, power of ten it is scaled by)
    pub(super) fn int_scaled(&self) -> Option<(u128, i64)> {
        if self.digits.len() > 38 {
            return None;
        }
        let mut n: u128 = 0;
        for d in &self.digits {
            n = n * 10 + *d as u128;
        }
        Some((n, self.exp - self.digits.len() as i64))
    }
    /// Whether self / m is an integer.
    pub(super) fn multiple_of(&self, m: &ExactDecimal) -> bool {
        if self.is_zero() {
            return true;
        }
        if m.is_zero() {
            return false;
        }
        let (Some((a, pa)), Some((b, pb))) = (self.int_scaled(), m.int_scaled()) else {
            let q = self.to_f64() / m.to_f64();
            return q.is_finite() && q.fract() == 0.0;
        };
        let k = pa - pb;
        if k >= 0 {
            let mut r = a % b;
            for _ in 0..k.min(100_000) {
                r = (r * 10) % b;
                if r == 0 {
                    break;
                }
            }
            r == 0
        } else {
            let mut d = b;
            for _ in 0..(-k) {
                match d.checked_mul(10) {
                    Some(x) => d = x,
                    None => return false,
                }
            }
            a % d == 0
        }
    }
}
