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
