//! Go's `time.ParseInLocation(layout, value, time.Local)` (Local taken as UTC), with Go's error
//! messages: Sprig's `toDate` / `mustToDate`.

use super::strconv::go_quote;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Std {
    Month,
    LongMonth,
    NumMonth,
    ZeroMonth,
    WeekDay,
    LongWeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    Tz,
    Iso8601Tz,
    Iso8601SecondsTz,
    Iso8601ShortTz,
    Iso8601ColonTz,
    Iso8601ColonSecondsTz,
    NumTz,
    NumSecondsTz,
    NumShortTz,
    NumColonTz,
    NumColonSecondsTz,
    Frac0(usize),
    Frac9(usize),
}

fn starts_lower(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(|c| c.is_ascii_lowercase())
}

/// (prefix, std, std text, suffix) like Go's nextStdChunk.
fn next_std(layout: &str) -> (&str, Option<Std>, &str, &str) {
    let l = layout.as_bytes();
    let mut i = 0;
    while i < l.len() {
        let rest = &layout[i..];
        let hit: Option<(Std, usize)> = match l[i] {
            b'J' => {
                if rest.starts_with("Jan") {
                    if rest.starts_with("January") {
                        Some((Std::LongMonth, 7))
                    } else if !starts_lower(l, i + 3) {
                        Some((Std::Month, 3))
                    } else {
                        None
                    }
                } else {
                    None
                }
            }
            b'M' => {
                if rest.starts_with("Mon") {
                    if rest.starts_with("Monday") {
                        Some((Std::LongWeekDay, 6))
                    } else if !starts_lower(l, i + 3) {
                        Some((Std::WeekDay, 3))
                    } else {
                        None
                    }
                } else if rest.starts_with("MST") {
                    Some((Std::Tz, 3))
                } else {
                    None
                }
            }
            b'0' => {
                if l.get(i + 1).is_some_and(|c| (b'1'..=b'6').contains(c)) {
                    Some((
                        match l[i + 1] {
                            b'1' => Std::ZeroMonth,
                            b'2' => Std::ZeroDay,
                            b'3' => Std::ZeroHour12,
                            b'4' => Std::ZeroMinute,
                            b'5' => Std::ZeroSecond,
                            _ => Std::Year,
                        },
                        2,
                    ))
                } else if rest.starts_with("002") {
                    Some((Std::ZeroYearDay, 3))
                } else {
                    None
                }
            }
            b'1' => {
                if rest.starts_with("15") {
                    Some((Std::Hour, 2))
                } else {
                    Some((Std::NumMonth, 1))
                }
            }
            b'2' => {
                if rest.starts_with("2006") {
                    Some((Std::LongYear, 4))
                } else {
                    Some((Std::Day, 1))
                }
            }
            b'_' => {
                if rest.starts_with("_2") {
                    if rest.starts_with("_2006") {
                        // "_" is a literal before the year
                        return (
                            &layout[..i + 1],
                            Some(Std::LongYear),
                            &layout[i + 1..i + 5],
                            &layout[i + 5..],
                        );
                    }
                    Some((Std::UnderDay, 2))
                } else if rest.starts_with("__2") {
                    Some((Std::UnderYearDay, 3))
                } else {
                    None
                }
            }
            b'3' => Some((Std::Hour12, 1)),
            b'4' => Some((Std::Minute, 1)),
            b'5' => Some((Std::Second, 1)),
            b'P' if rest.starts_with("PM") => Some((Std::PM, 2)),
            b'p' if rest.starts_with("pm") => Some((Std::Pm, 2)),
            b'-' => {
                if rest.starts_with("-070000") {
                    Some((Std::NumSecondsTz, 7))
                } else if rest.starts_with("-07:00:00") {
                    Some((Std::NumColonSecondsTz, 9))
                } else if rest.starts_with("-0700") {
                    Some((Std::NumTz, 5))
                } else if rest.starts_with("-07:00") {
                    Some((Std::NumColonTz, 6))
                } else if rest.starts_with("-07") {
                    Some((Std::NumShortTz, 3))
                } else {
                    None
                }
            }
            b'Z' => {
                if rest.starts_with("Z070000") {
                    Some((Std::Iso8601SecondsTz, 7))
                } else if rest.starts_with("Z07:00:00") {
                    Some((Std::Iso8601ColonSecondsTz, 9))
                } else if rest.starts_with("Z0700") {
                    Some((Std::Iso8601Tz, 5))
                } else if rest.starts_with("Z07:00") {
                    Some((Std::Iso8601ColonTz, 6))
                } else if rest.starts_with("Z07") {
                    Some((Std::Iso8601ShortTz, 3))
                } else {
                    None
                }
            }
            b'.' | b',' => {
                if l.get(i + 1).is_some_and(|c| *c == b'0' || *c == b'9') {
                    let ch = l[i + 1];
                    let mut j = i + 1;
                    while j < l.len() && l[j] == ch {
                        j += 1;
                    }
                    if !l.get(j).is_some_and(|c| c.is_ascii_digit()) {
                        let n = j - (i + 1);
                        Some((
                            if ch == b'0' {
                                Std::Frac0(n)
                            } else {
                                Std::Frac9(n)
                            },
                            j - i,
                        ))
                    } else {
                        None
                    }
                } else {
                    None
                }
            }
            _ => None,
        };
        if let Some((std, n)) = hit {
            return (&layout[..i], Some(std), &layout[i..i + n], &layout[i + n..]);
        }
        i += 1;
    }
    (layout, None, "", "")
}

fn is_digit(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(|c| c.is_ascii_digit())
}

fn getnum(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    if !is_digit(b, 0) {
        return None;
    }
    if !is_digit(b, 1) {
        if fixed {
            return None;
        }
        return Some(((b[0] - b'0') as i64, &s[1..]));
    }
    Some((((b[0] - b'0') * 10 + (b[1] - b'0')) as i64, &s[2..]))
}

fn getnum3(s: &str, fixed: bool) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    let mut n = 0i64;
    let mut i = 0;
    while i < 3 && is_digit(b, i) {
        n = n * 10 + (b[i] - b'0') as i64;
        i += 1;
    }
    if i == 0 || (fixed && i != 3) {
        return None;
    }
    Some((n, &s[i..]))
}

fn cutspace(s: &str) -> &str {
    s.trim_start_matches(' ')
}

fn skip<'a>(mut value: &'a str, mut prefix: &str) -> Result<&'a str, &'a str> {
    while !prefix.is_empty() {
        if prefix.starts_with(' ') {
            if !value.is_empty() && !value.starts_with(' ') {
                return Err(value);
            }
            prefix = cutspace(prefix);
            value = cutspace(value);
            continue;
        }
        if value.is_empty() || value.as_bytes()[0] != prefix.as_bytes()[0] {
            return Err(value);
        }
        // advance one byte in both (char boundaries: compare whole chars)
        let c = prefix.chars().next().unwrap();
        if !value.starts_with(c) {
            return Err(value);
        }
        prefix = &prefix[c.len_utf8()..];
        value = &value[c.len_utf8()..];
    }
    Ok(value)
}

pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
pub(super) const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn lookup<'a>(names: &[&str], short: bool, v: &'a str) -> Option<(usize, &'a str)> {
    for (i, n) in names.iter().enumerate() {
        let n = if short { &n[..3] } else { n };
        if v.len() >= n.len() && v.is_char_boundary(n.len()) && v[..n.len()].eq_ignore_ascii_case(n)
        {
            return Some((i, &v[n.len()..]));
        }
    }
    None
}

fn parse_nanos(v: &str, n: usize) -> Result<i64, bool> {
    // v[0] is '.' or ','; returns Err(true) for a range error, Err(false) for bad syntax
    let b = v.as_bytes();
    if b[0] != b'.' && b[0] != b',' {
        return Err(false);
    }
    let digits = &v[1..n];
    if digits.len() > 9 {
        let d = &digits[..9];
        if !d.bytes().all(|c| c.is_ascii_digit()) {
            return Err(false);
        }
        return d.parse::<i64>().map_err(|_| false);
    }
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(false);
    }
    let mut ns: i64 = digits.parse().map_err(|_| false)?;
    for _ in digits.len()..9 {
        ns *= 10;
    }
    Ok(ns)
}

fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn parse_tz_name(v: &str) -> Option<usize> {
    let b = v.as_bytes();
    if b.len() < 3 {
        return None;
    }
    if v.starts_with("ChST") || v.starts_with("MeST") {
        return Some(4);
    }
    if v.starts_with("GMT") {
        // GMT, optionally followed by a signed hour offset
        let r = &b[3..];
        if r.len() >= 2 && (r[0] == b'+' || r[0] == b'-') && r[1].is_ascii_digit() {
            let mut j = 1;
            while j < r.len() && r[j].is_ascii_digit() {
                j += 1;
            }
            return Some(3 + j);
        }
        return Some(3);
    }
    let mut n = 0;
    while n < 6 && n < b.len() && b[n].is_ascii_uppercase() {
        n += 1;
    }
    match n {
        5 if b[4] == b'T' => Some(5),
        4 if b[3] == b'T' || v.starts_with("WITA") => Some(4),
        3 => Some(3),
        _ => None,
    }
}

/// Parse `value` with Go `layout`: (unix nanoseconds, zone offset seconds).
pub fn parse(layout: &str, value: &str) -> Result<(i128, i32), String> {
    let (alayout, avalue) = (layout, value);
    let perr = |lelem: &str, velem: &str, msg: &str| -> String {
        if !msg.is_empty() {
            format!("parsing time {}{}", go_quote(avalue), msg)
        } else {
            format!(
                "parsing time {} as {}: cannot parse {} as {}",
                go_quote(avalue),
                go_quote(alayout),
                go_quote(velem),
                go_quote(lelem)
            )
        }
    };
    let mut layout = layout;
    let mut value = value;
    let (mut year, mut month, mut day, mut yday) = (0i64, -1i64, -1i64, -1i64);
    let (mut hour, mut min, mut sec, mut nsec) = (0i64, 0i64, 0i64, 0i64);
    let (mut pm_set, mut am_set) = (false, false);
    let mut utc = false;
    let mut zone_offset: Option<i64> = None;
    let mut zone_name = String::new();
    loop {
        let (prefix, std, stdstr, suffix) = next_std(layout);
        value = match skip(value, prefix) {
            Ok(v) => v,
            Err(v) => return Err(perr(prefix, v, "")),
        };
        let Some(std) = std else {
            if !value.is_empty() {
                return Err(perr(
                    "",
                    value,
                    &format!(": extra text: {}", go_quote(value)),
                ));
            }
            break;
        };
        layout = suffix;
        let hold = value;
        let mut range_err = "";
        let mut bad = false;
        macro_rules! num {
            ($e:expr) => {
                match $e {
                    Some((n, r)) => {
                        value = r;
                        n
                    }
                    None => {
                        bad = true;
                        0
                    }
                }
            };
        }
        match std {
            Std::Year => {
                if value.len() < 2 || !value.is_char_boundary(2) {
                    bad = true;
                } else {
                    let p = &value[..2];
                    value = &value[2..];
                    match p.parse::<i64>() {
                        Ok(y) if p.bytes().all(|c| c.is_ascii_digit()) => {
                            year = if y >= 69 { y + 1900 } else { y + 2000 }
                        }
                        _ => bad = true,
                    }
                }
            }
            Std::LongYear => {
                if value.len() < 4 || !is_digit(value.as_bytes(), 0) || !value.is_char_boundary(4) {
                    bad = true;
                } else {
                    let p = &value[..4];
                    value = &value[4..];
                    match p.parse::<i64>() {
                        Ok(y) if p.bytes().all(|c| c.is_ascii_digit()) => year = y,
                        _ => bad = true,
                    }
                }
            }
            Std::Month | Std::LongMonth => match lookup(&MONTHS, std == Std::Month, value) {
                Some((i, r)) => {
                    month = i as i64 + 1;
                    value = r;
                }
                None => bad = true,
            },
            Std::NumMonth | Std::ZeroMonth => {
                month = num!(getnum(value, std == Std::ZeroMonth));
                if !bad && !(1..=12).contains(&month) {
                    range_err = "month";
                }
            }
            Std::WeekDay | Std::LongWeekDay => match lookup(&DAYS, std == Std::WeekDay, value) {
                Some((_, r)) => value = r,
                None => bad = true,
            },
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                if std == Std::UnderDay && value.starts_with(' ') {
                    value = &value[1..];
                }
                day = num!(getnum(value, std == Std::ZeroDay));
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                for _ in 0..2 {
                    if std == Std::UnderYearDay && value.starts_with(' ') {
                        value = &value[1..];
                    }
                }
                yday = num!(getnum3(value, std == Std::ZeroYearDay));
                if !bad && !(1..=366).contains(&yday) {
                    range_err = "day-of-year";
                }
            }
            Std::Hour => {
                hour = num!(getnum(value, false));
                if !bad && !(0..24).contains(&hour) {
                    range_err = "hour";
                }
            }
            Std::Hour12 | Std::ZeroHour12 => {
                hour = num!(getnum(value, std == Std::ZeroHour12));
                if !bad && !(0..=12).contains(&hour) {
                    range_err = "hour";
                }
            }
            Std::Minute | Std::ZeroMinute => {
                min = num!(getnum(value, std == Std::ZeroMinute));
                if !bad && !(0..60).contains(&min) {
                    range_err = "minute";
                }
            }
            Std::Second | Std::ZeroSecond => {
                sec = num!(getnum(value, std == Std::ZeroSecond));
                if !bad && !(0..60).contains(&sec) {
                    range_err = "second";
                } else if !bad {
                    let b = value.as_bytes();
                    if b.len() >= 2 && (b[0] == b'.' || b[0] == b',') && b[1].is_ascii_digit() {
                        let (_, nstd, _, _) = next_std(layout);
                        if !matches!(nstd, Some(Std::Frac0(_) | Std::Frac9(_))) {
                            let mut n = 2;
                            while n < b.len() && b[n].is_ascii_digit() {
                                n += 1;
                            }
                            match parse_nanos(value, n) {
                                Ok(x) => nsec = x,
                                Err(_) => bad = true,
                            }
                            value = &value[n..];
                        }
                    }
                }
            }
            Std::PM | Std::Pm => {
                if value.len() < 2 || !value.is_char_boundary(2) {
                    bad = true;
                } else {
                    let p = &value[..2];
                    value = &value[2..];
                    let (pm, am) = if std == Std::PM {
                        ("PM", "AM")
                    } else {
                        ("pm", "am")
                    };
                    if p == pm {
                        pm_set = true;
                    } else if p == am {
                        am_set = true;
                    } else {
                        bad = true;
                    }
                }
            }
            Std::Iso8601Tz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonTz
            | Std::Iso8601ColonSecondsTz
            | Std::NumTz
            | Std::NumSecondsTz
            | Std::NumShortTz
            | Std::NumColonTz
            | Std::NumColonSecondsTz => {
                let iso = matches!(
                    std,
                    Std::Iso8601Tz
                        | Std::Iso8601SecondsTz
                        | Std::Iso8601ShortTz
                        | Std::Iso8601ColonTz
                        | Std::Iso8601ColonSecondsTz
                );
                if iso && value.starts_with('Z') {
                    value = &value[1..];
                    utc = true;
                } else {
                    let b = value.as_bytes();
                    let (need, colon, secs) = match std {
                        Std::Iso8601ColonTz | Std::NumColonTz => (6, true, false),
                        Std::Iso8601ShortTz | Std::NumShortTz => (3, false, false),
                        Std::Iso8601ColonSecondsTz | Std::NumColonSecondsTz => (9, true, true),
                        Std::Iso8601SecondsTz | Std::NumSecondsTz => (7, false, true),
                        _ => (5, false, false),
                    };
                    let ok_shape = b.len() >= need
                        && (b[0] == b'+' || b[0] == b'-')
                        && (!colon || (b[3] == b':' && (!secs || b[6] == b':')));
                    if !ok_shape {
                        bad = true;
                    } else {
                        let dig = |i: usize| -> Option<i64> {
                            if b[i].is_ascii_digit() && b[i + 1].is_ascii_digit() {
                                Some(((b[i] - b'0') * 10 + (b[i + 1] - b'0')) as i64)
                            } else {
                                None
                            }
                        };
                        let hh = dig(1);
                        let (mm, ss) = match (need, colon) {
                            (3, _) => (Some(0), Some(0)),
                            (6, true) => (dig(4), Some(0)),
                            (9, true) => (dig(4), dig(7)),
                            (7, false) => (dig(3), dig(5)),
                            _ => (dig(3), Some(0)),
                        };
                        match (hh, mm, ss) {
                            (Some(h), Some(m), Some(s)) => {
                                if h > 24 {
                                    range_err = "time zone offset hour";
                                }
                                if m > 60 {
                                    range_err = "time zone offset minute";
                                }
                                if s > 60 {
                                    range_err = "time zone offset second";
                                }
                                let mut off = (h * 60 + m) * 60 + s;
                                if b[0] == b'-' {
                                    off = -off;
                                }
                                zone_offset = Some(off);
                                value = &value[need..];
                            }
                            _ => bad = true,
                        }
                    }
                }
            }
            Std::Tz => {
                if value.starts_with("UTC") {
                    utc = true;
                    value = &value[3..];
                } else {
                    match parse_tz_name(value) {
                        Some(n) => {
                            zone_name = value[..n].to_string();
                            value = &value[n..];
                        }
                        None => bad = true,
                    }
                }
            }
            Std::Frac0(n) => {
                let nd = 1 + n;
                if value.len() < nd || !value.is_char_boundary(nd) {
                    bad = true;
                } else {
                    match parse_nanos(value, nd) {
                        Ok(x) => nsec = x,
                        Err(_) => bad = true,
                    }
                    value = &value[nd..];
                }
            }
            Std::Frac9(_) => {
                let b = value.as_bytes();
                if b.len() >= 2 && (b[0] == b'.' || b[0] == b',') && b[1].is_ascii_digit() {
                    let mut i = 0;
                    while i + 1 < b.len() && b[i + 1].is_ascii_digit() {
                        i += 1;
                    }
                    match parse_nanos(value, 1 + i) {
                        Ok(x) => nsec = x,
                        Err(_) => bad = true,
                    }
                    value = &value[1 + i..];
                }
            }
        }
        if !range_err.is_empty() {
            return Err(perr(stdstr, value, &format!(": {range_err} out of range")));
        }
        if bad {
            return Err(perr(stdstr, hold, ""));
        }
    }
    if pm_set && hour < 12 {
        hour += 12;
    } else if am_set && hour == 12 {
        hour = 0;
    }
    if yday >= 0 {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let mut d = yday;
        let mut m = 1;
        if yday > 365 && !leap {
            return Err(perr("", value, ": day-of-year out of range"));
        }
        while d > days_in(m, year) {
            d -= days_in(m, year);
            m += 1;
        }
        if month >= 0 && month != m || day >= 0 && day != d {
            return Err(perr("", value, ": day-of-year does not match month"));
        }
        month = m;
        day = d;
    } else {
        if month < 0 {
            month = 1;
        }
        if day < 0 {
            day = 1;
        }
    }
    if day < 1 || day > days_in(month, year) {
        return Err(perr("", value, ": day out of range"));
    }
    let days = days_from_civil(year, month, day);
    let local_secs = days as i128 * 86400 + (hour * 3600 + min * 60 + sec) as i128;
    let mut off: i64 = 0;
    if utc {
        off = 0;
    } else if let Some(o) = zone_offset {
        off = o;
    } else if let Some(rest) = zone_name.strip_prefix("GMT")
        && !rest.is_empty()
    {
        off = rest.parse::<i64>().unwrap_or(0) * 3600;
    }
    let unix = (local_secs - off as i128) * 1_000_000_000 + nsec as i128;
    Ok((unix, off as i32))
}

/// Go's `time.Time.Format(layout)` of an instant: unix nanoseconds shown at an offset (seconds east
/// of UTC).
pub fn format(layout: &str, nanos: i128, off: i32) -> String {
    format_zoned(layout, nanos, off, None)
}

/// [`format()`] in a named zone: `MST` prints the zone's abbreviation (`EST`, `CET`) rather than
/// the offset.
pub fn format_zoned(layout: &str, nanos: i128, off: i32, abbreviation: Option<&str>) -> String {
    let local = nanos + off as i128 * 1_000_000_000;
    let secs = local.div_euclid(1_000_000_000) as i64;
    let frac = local.rem_euclid(1_000_000_000) as u32;
    let days = secs.div_euclid(86400);
    let sod = secs.rem_euclid(86400);
    let (y, mo, d) = civil(days);
    let (h, mi, s) = (sod / 3600, (sod / 60) % 60, sod % 60);
    // 1970-01-01 was a Thursday
    let wd = DAYS[(days + 4).rem_euclid(7) as usize];
    let mut out = String::new();
    let mut rest = layout;
    while !rest.is_empty() {
        let toks: &[(&str, &dyn Fn() -> String)] = &[
            ("2006", &|| format!("{:04}", y)),
            ("January", &|| MONTHS[mo as usize - 1].to_string()),
            ("Jan", &|| MONTHS[mo as usize - 1][..3].to_string()),
            ("Monday", &|| wd.to_string()),
            ("Mon", &|| wd[..3].to_string()),
            ("MST", &|| {
                if let Some(name) = abbreviation.filter(|name| !name.is_empty()) {
                    name.to_string()
                } else if off == 0 {
                    "UTC".into()
                } else {
                    let z = off / 60;
                    let sign = if z < 0 { '-' } else { '+' };
                    format!("{}{:02}{:02}", sign, z.abs() / 60, z.abs() % 60)
                }
            }),
            ("01", &|| format!("{:02}", mo)),
            ("02", &|| format!("{:02}", d)),
            ("_2", &|| format!("{:>2}", d)),
            ("15", &|| format!("{:02}", h)),
            ("03", &|| {
                format!("{:02}", if h % 12 == 0 { 12 } else { h % 12 })
            }),
            ("04", &|| format!("{:02}", mi)),
            ("05", &|| format!("{:02}", s)),
            ("06", &|| format!("{:02}", y % 100)),
            ("PM", &|| if h >= 12 { "PM".into() } else { "AM".into() }),
            ("pm", &|| if h >= 12 { "pm".into() } else { "am".into() }),
            ("-0700", &|| {
                format!(
                    "{}{:02}{:02}",
                    if off < 0 { '-' } else { '+' },
                    off.abs() / 3600,
                    (off.abs() / 60) % 60
                )
            }),
            ("-07:00", &|| {
                format!(
                    "{}{:02}:{:02}",
                    if off < 0 { '-' } else { '+' },
                    off.abs() / 3600,
                    (off.abs() / 60) % 60
                )
            }),
            ("Z07:00", &|| {
                if off == 0 {
                    "Z".into()
                } else {
                    format!(
                        "{}{:02}:{:02}",
                        if off < 0 { '-' } else { '+' },
                        off.abs() / 3600,
                        (off.abs() / 60) % 60
                    )
                }
            }),
            (".999999999", &|| {
                let f = format!("{:09}", frac);
                let t = f.trim_end_matches('0');
                if t.is_empty() {
                    String::new()
                } else {
                    format!(".{}", t)
                }
            }),
            (".000000", &|| format!(".{:06}", frac / 1000)),
            (".000", &|| format!(".{:03}", frac / 1_000_000)),
            ("1", &|| mo.to_string()),
            ("2", &|| d.to_string()),
            ("3", &|| (if h % 12 == 0 { 12 } else { h % 12 }).to_string()),
            ("4", &|| mi.to_string()),
            ("5", &|| s.to_string()),
        ];
        let mut matched = false;
        for (t, f) in toks {
            if rest.starts_with(t) {
                out.push_str(&f());
                rest = &rest[t.len()..];
                matched = true;
                break;
            }
        }
        if !matched {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go() {
        assert_eq!(
            parse("2006-01-02", "2024-01-02").unwrap(),
            (1_704_153_600_000_000_000, 0)
        );
        assert_eq!(
            parse("2006-01-02T15:04:05Z07:00", "2024-01-02T10:11:12+02:00").unwrap(),
            (1_704_183_072_000_000_000, 7200)
        );
        assert_eq!(
            parse("2006-01-02", "bad").unwrap_err(),
            "parsing time \"bad\" as \"2006-01-02\": cannot parse \"bad\" as \"2006\""
        );
        assert_eq!(
            parse("2006-01-02", "2024-13-01").unwrap_err(),
            "parsing time \"2024-13-01\": month out of range"
        );
        assert_eq!(
            parse("2006-01-02", "2024-02-30").unwrap_err(),
            "parsing time \"2024-02-30\": day out of range"
        );
        assert_eq!(
            parse("2006-01-02", "0001-01-01").unwrap().0,
            -62_135_596_800_000_000_000
        );
    }
}
