//! Go's `time.LoadLocation` over the system's tz database: a zone's offset and abbreviation at
//! an instant, read from the TZif file as Go reads it (`$ZONEINFO`, then the usual zoneinfo
//! directories). No crate: Go itself brings no database but the system's.

/// A zone's offset (seconds east of UTC) and abbreviation (`EST`) in force at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneAt {
    pub offset: i32,
    pub abbreviation: String,
}

/// The zone `name` at `unix_secs`, or `None` where Go's LoadLocation fails (unknown name,
/// `..` or an absolute path, unreadable file). `""` and `"UTC"` are UTC, as in Go.
pub fn zone_at(name: &str, unix_secs: i64) -> Option<ZoneAt> {
    if name.is_empty() || name == "UTC" {
        return Some(ZoneAt {
            offset: 0,
            abbreviation: "UTC".into(),
        });
    }
    if name.split('/').any(|part| part == "..") || name.starts_with(['/', '\\']) {
        return None;
    }
    let mut dirs: Vec<String> = Vec::new();
    if let Ok(dir) = std::env::var("ZONEINFO")
        && !dir.is_empty()
    {
        dirs.push(dir);
    }
    dirs.extend(
        [
            "/usr/share/zoneinfo",
            "/usr/share/lib/zoneinfo",
            "/usr/lib/locale/TZ",
            "/etc/zoneinfo",
        ]
        .map(String::from),
    );
    dirs.iter().find_map(|dir| {
        let data = std::fs::read(std::path::Path::new(dir).join(name)).ok()?;
        lookup(&data, unix_secs)
    })
}

/// A TZif file's zone at `unix_secs`: the type of the last transition at or before it; before
/// the first transition, the first standard-time type (Go's lookupFirstZone).
fn lookup(data: &[u8], unix_secs: i64) -> Option<ZoneAt> {
    let header = Header::read(data, 0)?;
    // version 2+ files repeat the data with 64-bit times after the version 1 block
    let (header, start, time_size) = if header.version >= b'2' {
        let second = 44 + header.block_len(4);
        (Header::read(data, second)?, second + 44, 8)
    } else {
        (header, 44, 4)
    };
    let times_at = start;
    let indices_at = times_at + header.transitions * time_size;
    let types_at = indices_at + header.transitions;
    let chars_at = types_at + header.types * 6;
    let chars = data.get(chars_at..chars_at + header.chars)?;
    let time = |i: usize| -> Option<i64> {
        let at = times_at + i * time_size;
        let bytes = data.get(at..at + time_size)?;
        Some(if time_size == 8 {
            i64::from_be_bytes(bytes.try_into().ok()?)
        } else {
            i32::from_be_bytes(bytes.try_into().ok()?) as i64
        })
    };
    let zone_type = |i: usize| -> Option<(i32, bool, usize)> {
        let at = types_at + i * 6;
        let bytes = data.get(at..at + 6)?;
        Some((
            i32::from_be_bytes(bytes[..4].try_into().ok()?),
            bytes[4] != 0,
            bytes[5] as usize,
        ))
    };
    if header.types == 0 {
        return None;
    }
    // Past the last transition, Go follows the footer's POSIX TZ rule (version 2+ files).
    if time_size == 8
        && header.transitions > 0
        && unix_secs >= time(header.transitions - 1)?
        && let Some(footer) = footer(data, start + header.block_len(8))
        && let Some(z) = tz_rule_zone(footer, unix_secs)
    {
        return Some(z);
    }
    let chosen = if header.transitions == 0 || unix_secs < time(0)? {
        (0..header.types)
            .find(|&i| zone_type(i).is_some_and(|(_, dst, _)| !dst))
            .unwrap_or(0)
    } else {
        // the last transition at or before the instant
        let (mut low, mut high) = (0usize, header.transitions);
        while high - low > 1 {
            let mid = (low + high) / 2;
            if time(mid)? <= unix_secs {
                low = mid;
            } else {
                high = mid;
            }
        }
        *data.get(indices_at + low)? as usize
    };
    let (offset, _, abbreviation_at) = zone_type(chosen)?;
    let rest = chars.get(abbreviation_at..)?;
    let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    Some(ZoneAt {
        offset,
        abbreviation: String::from_utf8_lossy(&rest[..end]).into_owned(),
    })
}

/// The TZ string between the newlines after a version 2+ file's data (`EST5EDT,M3.2.0,M11.1.0`).
fn footer(data: &[u8], at: usize) -> Option<&str> {
    let rest = data.get(at..)?.strip_prefix(b"\n")?;
    let end = rest.iter().position(|&b| b == b'\n')?;
    std::str::from_utf8(&rest[..end])
        .ok()
        .filter(|s| !s.is_empty())
}

/// A POSIX TZ rule's start or end of daylight time.
#[derive(Clone, Copy)]
enum RuleDay {
    /// `Jn`: day 1–365, February 29 never counted.
    Julian(i64),
    /// `n`: day 0–365, February 29 counted.
    DayOfYear(i64),
    /// `Mm.w.d`: day `d` (0 = Sunday) of week `w` (5 = the last) of month `m`.
    MonthWeekDay { month: i64, week: i64, day: i64 },
}

/// The zone a POSIX TZ string gives at `unix_secs`, as Go's `tzset` computes it.
fn tz_rule_zone(s: &str, unix_secs: i64) -> Option<ZoneAt> {
    let (std_name, s) = tz_name(s)?;
    let (std_off, s) = tz_offset(s)?;
    let mut std_off = -std_off;
    let mut std_name = std_name;
    if s.is_empty() || s.starts_with(',') {
        return Some(ZoneAt {
            offset: std_off as i32,
            abbreviation: std_name.to_string(),
        });
    }
    let (dst_name, s) = tz_name(s)?;
    let (mut dst_off, s) = if s.is_empty() || s.starts_with(',') {
        (std_off + 3600, s)
    } else {
        let (o, rest) = tz_offset(s)?;
        (-o, rest)
    };
    let mut dst_name = dst_name;
    let s = if s.is_empty() { ",M3.2.0,M11.1.0" } else { s };
    let s = s.strip_prefix([',', ';'])?;
    let (start, s) = tz_rule(s)?;
    let s = s.strip_prefix(',')?;
    let (end, s) = tz_rule(s)?;
    if !s.is_empty() {
        return None;
    }
    let days = unix_secs.div_euclid(86_400);
    let (year, yday) = year_and_day(days);
    let ysec = yday * 86_400 + unix_secs.rem_euclid(86_400);
    let mut start_sec = rule_time(year, start, std_off);
    let mut end_sec = rule_time(year, end, dst_off);
    if end_sec < start_sec {
        std::mem::swap(&mut start_sec, &mut end_sec);
        std::mem::swap(&mut std_name, &mut dst_name);
        std::mem::swap(&mut std_off, &mut dst_off);
    }
    let (name, off) = if ysec < start_sec || ysec >= end_sec {
        (std_name, std_off)
    } else {
        (dst_name, dst_off)
    };
    Some(ZoneAt {
        offset: off as i32,
        abbreviation: name.to_string(),
    })
}

/// A zone name: 3+ letters, or anything between `<` and `>`.
fn tz_name(s: &str) -> Option<(&str, &str)> {
    if let Some(q) = s.strip_prefix('<') {
        let end = q.find('>')?;
        return Some((&q[..end], &q[end + 1..]));
    }
    let end = s
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(s.len());
    (end >= 3).then(|| (&s[..end], &s[end..]))
}

/// `[+-]hh[:mm[:ss]]` in seconds (hours up to 24 × 7, as Go allows).
fn tz_offset(s: &str) -> Option<(i64, &str)> {
    let (neg, mut s) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let mut total = 0i64;
    for (i, unit) in [3600i64, 60, 1].iter().enumerate() {
        if i > 0 {
            match s.strip_prefix(':') {
                Some(rest) => s = rest,
                None => break,
            }
        }
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        if end == 0 {
            return None;
        }
        let n: i64 = s[..end].parse().ok()?;
        if i == 0 && n > 24 * 7 || i > 0 && n > 59 {
            return None;
        }
        total += n * unit;
        s = &s[end..];
    }
    Some((if neg { -total } else { total }, s))
}

/// `Jn`, `n` or `Mm.w.d`, then an optional `/time` (default 02:00), in seconds.
fn tz_rule(s: &str) -> Option<((RuleDay, i64), &str)> {
    let num = |s: &str| -> Option<(i64, usize)> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        Some((s[..end].parse().ok()?, end))
    };
    let (day, mut s) = if let Some(r) = s.strip_prefix('J') {
        let (n, used) = num(r)?;
        if !(1..=365).contains(&n) {
            return None;
        }
        (RuleDay::Julian(n), &r[used..])
    } else if let Some(r) = s.strip_prefix('M') {
        let (month, used) = num(r)?;
        let r = r[used..].strip_prefix('.')?;
        let (week, used) = num(r)?;
        let r = r[used..].strip_prefix('.')?;
        let (day, used) = num(r)?;
        if !(1..=12).contains(&month) || !(1..=5).contains(&week) || !(0..=6).contains(&day) {
            return None;
        }
        (RuleDay::MonthWeekDay { month, week, day }, &r[used..])
    } else {
        let (n, used) = num(s)?;
        if !(0..=365).contains(&n) {
            return None;
        }
        (RuleDay::DayOfYear(n), &s[used..])
    };
    let mut time = 2 * 3600;
    if let Some(r) = s.strip_prefix('/') {
        let (t, rest) = tz_offset(r)?;
        time = t;
        s = rest;
    }
    Some(((day, time), s))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The proleptic Gregorian year and 0-based day of the year of `days` since 1970-01-01.
fn year_and_day(days: i64) -> (i64, i64) {
    let mut year = 1970 + days.div_euclid(365);
    let start = |y: i64| -> i64 {
        let y1 = y - 1;
        365 * (y - 1970) + (y1.div_euclid(4) - y1.div_euclid(100) + y1.div_euclid(400)) - 477
    };
    while start(year) > days {
        year -= 1;
    }
    while start(year + 1) <= days {
        year += 1;
    }
    (year, days - start(year))
}

/// Seconds from the start of `year` (UTC) to the rule's moment, the rule's local time being
/// at `offset` east of UTC (Go's tzruleTime).
fn rule_time(year: i64, (day, time): (RuleDay, i64), offset: i64) -> i64 {
    const DAYS_BEFORE: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let d = match day {
        RuleDay::Julian(n) => n - 1 + i64::from(is_leap(year) && n >= 60),
        RuleDay::DayOfYear(n) => n,
        RuleDay::MonthWeekDay { month, week, day } => {
            // Zeller's congruence: the weekday of the month's first day
            let m1 = (month + 9) % 12 + 1;
            let yy0 = if month <= 2 { year - 1 } else { year };
            let (yy1, yy2) = (yy0 / 100, yy0 % 100);
            let mut dow = ((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 - 2 * yy1) % 7;
            if dow < 0 {
                dow += 7;
            }
            let mut d = day - dow;
            if d < 0 {
                d += 7;
            }
            let days_in = if month == 2 {
                28 + i64::from(is_leap(year))
            } else {
                DAYS_BEFORE.get(month as usize).copied().unwrap_or(365)
                    - DAYS_BEFORE[month as usize - 1]
            };
            for _ in 1..week {
                if d + 7 >= days_in {
                    break;
                }
                d += 7;
            }
            d + DAYS_BEFORE[month as usize - 1] + i64::from(is_leap(year) && month > 2)
        }
    };
    d * 86_400 + time - offset
}

/// The counts of a TZif header (RFC 8536).
struct Header {
    version: u8,
    utc_indicators: usize,
    std_indicators: usize,
    leaps: usize,
    transitions: usize,
    types: usize,
    chars: usize,
}

impl Header {
    fn read(data: &[u8], at: usize) -> Option<Header> {
        let bytes = data.get(at..at + 44)?;
        if &bytes[..4] != b"TZif" {
            return None;
        }
        let count = |i: usize| -> Option<usize> {
            Some(u32::from_be_bytes(bytes[20 + i * 4..24 + i * 4].try_into().ok()?) as usize)
        };
        Some(Header {
            version: bytes[4],
            utc_indicators: count(0)?,
            std_indicators: count(1)?,
            leaps: count(2)?,
            transitions: count(3)?,
            types: count(4)?,
            chars: count(5)?,
        })
    }

    /// The length of this header's data block with `time_size`-byte times.
    fn block_len(&self, time_size: usize) -> usize {
        self.transitions * (time_size + 1)
            + self.types * 6
            + self.chars
            + self.leaps * (time_size + 4)
            + self.std_indicators
            + self.utc_indicators
    }
}
