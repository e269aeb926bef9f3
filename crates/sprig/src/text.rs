//! The text helpers Sprig takes from other Go libraries: xstrings' case conversions,
//! goutils' word wrapping, and base32 (RFC 4648, padded).

pub fn snake_case(s: &str) -> String {
    // xstrings.ToSnakeCase approximation
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            if i > 0
                && (chars[i - 1].is_lowercase()
                    || (i + 1 < chars.len() && chars[i + 1].is_lowercase() && chars[i - 1] != '_'))
                && !out.ends_with('_')
            {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if c == '-' || c == ' ' || c == '.' {
            if !out.ends_with('_') {
                out.push('_');
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub fn camel_case(s: &str) -> String {
    let mut out = String::new();
    let mut up = true;
    for c in s.chars() {
        if c == '_' || c == '-' || c == ' ' {
            up = true;
            continue;
        }
        if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Sprig's `wrap` and `wrapWith`: goutils.WrapCustom, whose `wrapWith` also cuts long words.
pub fn wrap(s: &str, width: i64, nl: &str, wrap_long_words: bool) -> String {
    // goutils.WrapCustom works on bytes: it only looks for ' ', breaks nowhere else (a '\n'
    // in the text is an ordinary byte), and a long word is cut every `width` bytes when asked.
    if s.is_empty() {
        return String::new();
    }
    let nl = if nl.is_empty() { "\n" } else { nl }.as_bytes();
    let width = width.max(1) as usize;
    let text = &*gotemplate::gostr::to_bytes(s);
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut offset = 0usize;
    while text.len() - offset > width {
        if text[offset] == b' ' {
            offset += 1;
            continue;
        }
        let window = &text[offset..width + offset + 1];
        if let Some(space) = window.iter().rposition(|&b| b == b' ') {
            out.extend_from_slice(&window[..space]);
            out.extend_from_slice(nl);
            offset += space + 1;
        } else if wrap_long_words {
            out.extend_from_slice(&text[offset..offset + width]);
            out.extend_from_slice(nl);
            offset += width;
        } else {
            let end = width + offset;
            match text[end..].iter().position(|&b| b == b' ') {
                None => {
                    out.extend_from_slice(&text[offset..]);
                    offset = text.len();
                }
                Some(i) => {
                    out.extend_from_slice(&text[offset..end + i]);
                    out.extend_from_slice(nl);
                    offset = end + i + 1;
                }
            }
        }
    }
    out.extend_from_slice(&text[offset..]);
    gotemplate::gostr::from_vec(out)
}

pub fn base32_encode(b: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in b.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(A[((n >> (35 - i * 5)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let t = s.trim_end_matches('=');
    let mut bits: u64 = 0;
    let mut n = 0;
    let mut out = Vec::new();
    for c in t.bytes() {
        let v = A.iter().position(|&x| x == c)? as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    Some(out)
}
