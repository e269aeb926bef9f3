//! The `format` keyword's checkers (hostname, ipv4/ipv6, email, date, time, date-time, uuid,
//! json-pointer, uri), with the error texts of the Go checks the validator uses.

pub(super) fn go_rune_quote(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '\\' => "'\\\\'".into(),
        '\n' => "'\\n'".into(),
        '\t' => "'\\t'".into(),
        '\r' => "'\\r'".into(),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => format!("'\\x{:02x}'", c as u32),
        c => format!("'{c}'"),
    }
}

pub(super) fn go_atoi(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.Atoi: parsing {}: invalid syntax",
            gotemplate::strconv::go_quote(s)
        ));
    }
    s.parse::<i64>().map_err(|_| {
        format!(
            "strconv.Atoi: parsing {}: value out of range",
            gotemplate::strconv::go_quote(s)
        )
    })
}

pub(super) fn hostname(s: &str) -> Result<(), String> {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.len() > 253 {
        return Err("more than 253 characters long".into());
    }
    for label in s.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("label must be 1 to 63 characters long".into());
        }
        if label.starts_with('-') {
            return Err("label starts with hyphen".into());
        }
        if label.ends_with('-') {
            return Err("label ends with hyphen".into());
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!("invalid character {}", go_rune_quote(c)));
        }
    }
    Ok(())
}

pub(super) fn ipv4(s: &str) -> Result<(), String> {
    let groups: Vec<&str> = s.split('.').collect();
    if groups.len() != 4 {
        return Err("expected four decimals".into());
    }
    for g in groups {
        if g.len() > 1 && g.starts_with('0') {
            return Err("leading zeros".into());
        }
        let n = go_atoi(g)?;
        if !(0..=255).contains(&n) {
            return Err("decimal must be between 0 and 255".into());
        }
    }
    Ok(())
}

/// Go's netip.ParseAddr error: `ParseAddr("in"): msg (at "rest")`.
pub(super) fn addr_err(input: &str, msg: &str, at: Option<&str>) -> String {
    let q = gotemplate::strconv::go_quote;
    match at {
        Some(a) if !a.is_empty() => format!("ParseAddr({}): {} (at {})", q(input), msg, q(a)),
        _ => format!("ParseAddr({}): {}", q(input), msg),
    }
}

/// netip's parseIPv4Fields over `input[off..end]`.
pub(super) fn ipv4_fields(input: &str, off: usize, end: usize) -> Result<(), String> {
    let s = &input.as_bytes()[off..end];
    let (mut val, mut pos, mut dig) = (0u32, 0, 0);
    for i in 0..s.len() {
        let c = s[i];
        if c.is_ascii_digit() {
            if dig == 1 && val == 0 {
                return Err(addr_err(
                    input,
                    "IPv4 field has octet with leading zero",
                    None,
                ));
            }
            val = val * 10 + (c - b'0') as u32;
            dig += 1;
            if val > 255 {
                return Err(addr_err(input, "IPv4 field has value >255", None));
            }
        } else if c == b'.' {
            if i == 0 || i == s.len() - 1 || s[i - 1] == b'.' {
                let at = String::from_utf8_lossy(&s[i..]).into_owned();
                return Err(addr_err(
                    input,
                    "IPv4 field must have at least one digit",
                    Some(&at),
                ));
            }
            if pos == 3 {
                return Err(addr_err(input, "IPv4 address too long", None));
            }
            pos += 1;
            val = 0;
            dig = 0;
        } else {
            let at = String::from_utf8_lossy(&s[i..]).into_owned();
            return Err(addr_err(input, "unexpected character", Some(&at)));
        }
    }
    if pos < 3 {
        return Err(addr_err(input, "IPv4 address too short", None));
    }
    Ok(())
}

/// netip's parseIPv6; returns whether a zone was given.
pub(super) fn ipv6_parse(input: &str) -> Result<bool, String> {
    let (mut s, zone) = match input.find('%') {
        Some(i) => (&input[..i], Some(&input[i + 1..])),
        None => (input, None),
    };
    if zone == Some("") {
        return Err(addr_err(input, "zone must be a non-empty string", None));
    }
    let mut ellipsis: i32 = -1;
    if s.starts_with("::") {
        ellipsis = 0;
        s = &s[2..];
        if s.is_empty() {
            return Ok(zone.is_some());
        }
    }
    let mut i = 0;
    while i < 16 {
        let b = s.as_bytes();
        let mut off = 0;
        let mut acc: u32 = 0;
        while off < b.len() {
            let c = b[off];
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => break,
            };
            acc = (acc << 4) + d as u32;
            if off > 3 {
                return Err(addr_err(
                    input,
                    "each group must have 4 or less digits",
                    Some(s),
                ));
            }
            if acc > 0xffff {
                return Err(addr_err(input, "IPv6 field has value >=2^16", Some(s)));
            }
            off += 1;
        }
        if off == 0 {
            return Err(addr_err(
                input,
                "each colon-separated field must have at least one digit",
                Some(s),
            ));
        }
        if off < b.len() && b[off] == b'.' {
            if ellipsis < 0 && i != 12 {
                return Err(addr_err(
                    input,
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    Some(s),
                ));
            }
            if i + 4 > 16 {
                return Err(addr_err(
                    input,
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    Some(s),
                ));
            }
            let mut end = input.len();
            if let Some(z) = zone {
                end -= z.len() + 1;
            }
            ipv4_fields(input, end - s.len(), end)?;
            s = "";
            i += 4;
            break;
        }
        i += 2;
        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if !s.starts_with(':') {
            return Err(addr_err(input, "unexpected character, want colon", Some(s)));
        } else if s.len() == 1 {
            return Err(addr_err(
                input,
                "colon must be followed by more characters",
                Some(s),
            ));
        }
        s = &s[1..];
        if s.starts_with(':') {
            if ellipsis >= 0 {
                return Err(addr_err(input, "multiple :: in address", Some(s)));
            }
            ellipsis = i;
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err(addr_err(input, "trailing garbage after address", Some(s)));
    }
    if i < 16 {
        if ellipsis < 0 {
            return Err(addr_err(input, "address string too short", None));
        }
    } else if ellipsis >= 0 {
        return Err(addr_err(
            input,
            "the :: must expand to at least one field of zeros",
            None,
        ));
    }
    Ok(zone.is_some())
}

pub(super) fn ipv6(s: &str) -> Result<(), String> {
    if !s.contains(':') {
        return Err("missing colon".into());
    }
    // netip.ParseAddr: the first of '.', ':' or '%' decides the family
    let zoned = match s.bytes().find(|c| matches!(c, b'.' | b':' | b'%')) {
        Some(b'.') => {
            ipv4_fields(s, 0, s.len())?;
            false
        }
        Some(b':') => ipv6_parse(s)?,
        _ => return Err(addr_err(s, "missing IPv6 address", None)),
    };
    if zoned {
        return Err("zone id is not a part of ipv6 address".into());
    }
    Ok(())
}

pub(super) fn email(s: &str) -> Result<(), String> {
    if s.len() > 254 {
        return Err("more than 255 characters long".into());
    }
    let Some(at) = s.rfind('@') else {
        return Err("missing @".into());
    };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    if local.len() > 64 {
        return Err("local part more than 64 characters long".into());
    }
    if local.len() > 1 && local.starts_with('"') {
        let inner = &local[1..local.len() - 1];
        if inner.contains('\\') || inner.contains('"') {
            return Err("backslash and quote are not allowed within quoted local part".into());
        }
    } else {
        if local.starts_with('.') {
            return Err("starts with dot".into());
        }
        if local.ends_with('.') {
            return Err("ends with dot".into());
        }
        if local.contains("..") {
            return Err("consecutive dots".into());
        }
        if let Some(c) = local
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || ".!#$%&'*+-/=?^_`{|}~".contains(*c)))
        {
            return Err(format!("invalid character {}", go_rune_quote(c)));
        }
    }
    if domain.len() >= 2 && domain.starts_with('[') && domain.ends_with(']') {
        let d = &domain[1..domain.len() - 1];
        if let Some(rem) = d.strip_prefix("IPv6:") {
            return ipv6(rem).map_err(|e| format!("invalid ipv6 address: {e}"));
        }
        return ipv4(d).map_err(|e| format!("invalid ipv4 address: {e}"));
    }
    hostname(domain).map_err(|e| format!("invalid domain: {e}"))
}

/// Go's `time.Parse("2006-01-02", s)`.
pub(super) fn date(s: &str) -> Result<(), String> {
    let q = gotemplate::strconv::go_quote;
    let cannot = |rest: &str, elem: &str| {
        format!(
            "parsing time {} as \"2006-01-02\": cannot parse {} as {}",
            q(s),
            q(rest),
            q(elem)
        )
    };
    let b = s.as_bytes();
    let num = |i: usize, n: usize| -> Option<u32> {
        let t = b.get(i..i + n)?;
        if t.iter().all(|c| c.is_ascii_digit()) {
            std::str::from_utf8(t).ok()?.parse().ok()
        } else {
            None
        }
    };
    let year = num(0, 4).ok_or_else(|| cannot(s, "2006"))?;
    if b.get(4) != Some(&b'-') {
        return Err(cannot(s.get(4..).unwrap_or(""), "-"));
    }
    let month = num(5, 2).ok_or_else(|| cannot(s.get(5..).unwrap_or(""), "01"))?;
    if !(1..=12).contains(&month) {
        return Err(format!("parsing time {}: month out of range", q(s)));
    }
    if b.get(7) != Some(&b'-') {
        return Err(cannot(s.get(7..).unwrap_or(""), "-"));
    }
    let day = num(8, 2).ok_or_else(|| cannot(s.get(8..).unwrap_or(""), "02"))?;
    if b.len() > 10 {
        return Err(format!(
            "parsing time {}: extra text: {}",
            q(s),
            q(s.get(10..).unwrap_or(""))
        ));
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let dim = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day < 1 || day > dim {
        return Err(format!("parsing time {}: day out of range", q(s)));
    }
    Ok(())
}

pub(super) fn time_of_day(st: &str) -> Result<(), String> {
    let b = st.as_bytes();
    if b.len() < 9 {
        return Err("less than 9 characters long".into());
    }
    if b[2] != b':' || b[5] != b':' {
        return Err("missing colon in correct place".into());
    }
    if !st.is_char_boundary(8) {
        return Err("invalid hour/min/sec".into());
    }
    let mut hms = vec![];
    for tok in st[..8].splitn(3, ':') {
        let i = go_atoi(tok).map_err(|_| "invalid hour/min/sec".to_string())?;
        if i < 0 {
            return Err("non-positive hour/min/sec".into());
        }
        hms.push(i);
    }
    let (mut h, mut m, sec) = (hms[0], hms[1], hms[2]);
    if h > 23 || m > 59 || sec > 60 {
        return Err("hour/min/sec out of range".into());
    }
    let mut rest = &st[8..];
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return Err("no digits in second fraction".into());
        }
        rest = &r[n..];
    }
    if rest != "z" && rest != "Z" {
        if rest.len() != 6 {
            return Err("offset must be 6 characters long".into());
        }
        let sign = match rest.as_bytes()[0] {
            b'+' => -1,
            b'-' => 1,
            _ => return Err("offset must begin with plus/minus".into()),
        };
        let r = &rest[1..];
        if r.as_bytes()[2] != b':' {
            return Err("missing colon in offset in correct place".into());
        }
        let mut zhm = vec![];
        for tok in r.splitn(2, ':') {
            let i = go_atoi(tok).map_err(|_| "invalid hour/min in offset".to_string())?;
            if i < 0 {
                return Err("non-positive hour/min in offset".into());
            }
            zhm.push(i);
        }
        if zhm[0] > 23 || zhm[1] > 59 {
            return Err("hour/min in offset out of range".into());
        }
        let mut hm = (h * 60 + m) + sign * (zhm[0] * 60 + zhm[1]);
        if hm < 0 {
            hm += 24 * 60;
        }
        h = hm / 60;
        m = hm % 60;
    }
    if sec >= 60 && (h != 23 || m != 59) {
        return Err("invalid leap second".into());
    }
    Ok(())
}

pub(super) fn date_time(s: &str) -> Result<(), String> {
    if s.len() < 20 {
        return Err("less than 20 characters long".into());
    }
    let b = s.as_bytes();
    if b[10] != b't' && b[10] != b'T' {
        return Err("11th character must be t or T".into());
    }
    if !s.is_char_boundary(10) || !s.is_char_boundary(11) {
        return Err("invalid date element".into());
    }
    date(&s[..10]).map_err(|e| format!("invalid date element: {e}"))?;
    time_of_day(&s[11..]).map_err(|e| format!("invalid time element: {e}"))
}

pub(super) fn uuid(s: &str) -> Result<(), String> {
    let groups: Vec<&str> = s.split('-').collect();
    let want = [8, 4, 4, 4, 12];
    if groups.len() != 5 {
        return Err("must have 5 elements".into());
    }
    for (i, g) in groups.iter().enumerate() {
        if g.len() != want[i] {
            return Err(format!(
                "element {} must be {} characters long",
                i + 1,
                want[i]
            ));
        }
        if let Some(c) = g.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(format!("non-hex character {}", go_rune_quote(c)));
        }
    }
    Ok(())
}

pub(super) fn json_pointer(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    if !s.starts_with('/') {
        return Err("not starting with /".into());
    }
    for tok in s.split('/').skip(1) {
        let mut esc = false;
        for c in tok.chars() {
            if esc {
                esc = false;
                if c != '0' && c != '1' {
                    return Err("~ must be followed by 0 or 1".into());
                }
                continue;
            }
            if c == '~' {
                esc = true;
            }
        }
        if esc {
            return Err("~ must be followed by 0 or 1".into());
        }
    }
    Ok(())
}

pub(super) fn uri(s: &str, absolute: bool) -> Result<(), String> {
    // Go's url.Parse, plus the validator's check of IPv6 hosts
    let u = gotemplate::gourl::parse(s)?;
    let host = u.hostname();
    if host.contains(':') {
        if !(u.host.contains('[') && u.host.contains(']')) {
            return Err("ipv6 address not enclosed in brackets".into());
        }
        ipv6(&host).map_err(|e| format!("invalid ipv6 address: {e}"))?;
    }
    if absolute && u.scheme.is_empty() {
        return Err("relative url".into());
    }
    Ok(())
}

/// Format assertions (draft-04/06/07, as Helm's validator does by default for those drafts).
/// `None`: a format it does not know (ignored).
pub(super) fn check_format(name: &str, s: &str) -> Option<Result<(), String>> {
    Some(match name {
        "hostname" => hostname(s),
        "ipv4" => ipv4(s),
        "ipv6" => ipv6(s),
        "email" => email(s),
        "date" => date(s),
        "time" => time_of_day(s),
        "date-time" => date_time(s),
        "uuid" => uuid(s),
        "json-pointer" => json_pointer(s),
        "uri" | "iri" => uri(s, true),
        "uri-reference" | "iri-reference" => {
            if s.contains('\\') {
                Err("contains \\".into())
            } else {
                uri(s, false)
            }
        }
        "regex" => gotemplate::regexp::go_regex(s).map(|_| ()),
        _ => return None,
    })
}
