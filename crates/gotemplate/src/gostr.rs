//! Go strings are byte strings; Rust's are UTF-8. A chart's binary file read with `.Files.Get`,
//! a `b64dec` of binary data, or a `trunc` inside a multi-byte character gives Go a string that
//! is not UTF-8, and `b64enc`, `sha256sum` or `len` of it must see those exact bytes.
//!
//! The engine keeps such a string as a Rust `String` in which every byte that is not part of
//! valid UTF-8 (only 0x80–0xFF can be) is one char of the last Private Use block,
//! U+10FF80 + (byte − 0x80), and turns it back into that byte wherever Go sees bytes: length,
//! slicing, base64/base32, checksums, `%x`/`%q`, and the rendered output. JSON encoding writes
//! `\ufffd` for it and YAML encoding U+FFFD, as Go's encoding/json does. A leaf module.

use std::borrow::Cow;

/// The char that holds byte `b` (0x80..=0xFF) of a string that is not valid UTF-8.
const ESCAPE_BASE: u32 = 0x10FF00;
const FIRST_ESCAPE: u32 = ESCAPE_BASE + 0x80;

fn escape(b: u8) -> char {
    char::from_u32(ESCAPE_BASE + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// The byte an escape char holds, if `c` is one.
pub fn unescape(c: char) -> Option<u8> {
    let u = c as u32;
    (FIRST_ESCAPE..=0x10FFFF)
        .contains(&u)
        .then(|| (u - ESCAPE_BASE) as u8)
}

/// Does `s` hold any byte that is not UTF-8? (Each escape char is encoded F4 8F BE/BF xx.)
pub fn has_escapes(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, &x)| {
        x == 0xF4 && b.get(i + 1) == Some(&0x8F) && matches!(b.get(i + 2), Some(0xBE | 0xBF))
    })
}

/// Go's `string(bytes)`: valid UTF-8 as is, every other byte as its escape char.
pub fn from_bytes(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => escape_invalid(b),
    }
}

/// [`from_bytes`], taking the buffer (no copy when it is valid UTF-8).
pub fn from_vec(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap_or_else(|e| escape_invalid(e.as_bytes()))
}

fn escape_invalid(mut rest: &[u8]) -> String {
    let mut out = String::with_capacity(rest.len() + 16);
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let n = e.error_len().unwrap_or(bad.len());
                out.extend(bad[..n].iter().map(|&x| escape(x)));
                rest = &bad[n..];
            }
        }
    }
}

/// The bytes Go holds for `s`.
pub fn to_bytes(s: &str) -> Cow<'_, [u8]> {
    if !has_escapes(s) {
        return Cow::Borrowed(s.as_bytes());
    }
    let mut out = Vec::with_capacity(s.len());
    let mut buf = [0u8; 4];
    for c in s.chars() {
        match unescape(c) {
            Some(b) => out.push(b),
            None => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        }
    }
    Cow::Owned(out)
}

/// Go's `len(s)`: bytes.
pub fn len(s: &str) -> usize {
    if !has_escapes(s) {
        return s.len();
    }
    s.chars()
        .map(|c| {
            if unescape(c).is_some() {
                1
            } else {
                c.len_utf8()
            }
        })
        .sum()
}

/// Go's `s[lo:hi]` on bytes (the caller checks the bounds against [`len`]).
pub fn slice(s: &str, lo: usize, hi: usize) -> String {
    let b = to_bytes(s);
    from_bytes(&b[lo.min(b.len())..hi.min(b.len())])
}

/// `s` with every byte that is not UTF-8 as U+FFFD: the text Go's encoders write.
pub fn replacing_invalid(s: &str) -> Cow<'_, str> {
    if !has_escapes(s) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if unescape(c).is_some() {
                    char::REPLACEMENT_CHARACTER
                } else {
                    c
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_bytes_round_trip_and_count_as_go_counts_them() {
        let raw: &[u8] = &[0xfe, 0xed, b'a', 0xc3, 0x28, 0xe2, 0x82, 0xff, b'z'];
        let s = from_bytes(raw);
        assert!(has_escapes(&s));
        assert_eq!(&*to_bytes(&s), raw);
        assert_eq!(len(&s), raw.len());
        assert_eq!(&*to_bytes(&slice(&s, 2, 5)), &raw[2..5]);
        assert_eq!(
            replacing_invalid(&s),
            "\u{fffd}\u{fffd}a\u{fffd}(\u{fffd}\u{fffd}\u{fffd}z"
        );
        // valid text is untouched, a cut inside a character is not
        let e = "é€";
        assert_eq!(from_bytes(e.as_bytes()), e);
        assert!(!has_escapes(e));
        assert_eq!(len(e), 5);
        let cut = slice(e, 0, 1);
        assert_eq!(&*to_bytes(&cut), &[0xc3]);
        assert_eq!(len(&cut), 1);
        assert_eq!(from_vec(vec![0xc3, 0xa9]), "é");
    }
}
