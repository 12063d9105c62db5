//! Reading gzip files (RFC 1952) from bytes: the trace files of the cache and collaborative
//! editing labs come gzipped. The header is parsed here and the deflate body inflated by
//! `miniz_oxide`, with a limit on the inflated size so that a small hostile file cannot exhaust
//! memory. Only the first member is read and its CRC is not checked.

use std::borrow::Cow;

/// The bytes start with gzip's magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Inflates gzip bytes, or returns bytes without gzip's magic number as they are.
pub fn inflate(bytes: &[u8], limit: usize) -> Result<Cow<'_, [u8]>, String> {
    if is_gzip(bytes) {
        gunzip(bytes, limit).map(Cow::Owned)
    } else {
        Ok(Cow::Borrowed(bytes))
    }
}

/// Inflates the first member of a gzip file to at most `limit` bytes.
pub fn gunzip(bytes: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let truncated = || "gzip: the header is truncated".to_string();
    if bytes.len() < 18 || !is_gzip(bytes) {
        return Err("gzip: not a gzip file or truncated".into());
    }
    if bytes[2] != 8 {
        return Err("gzip: unknown compression method".into());
    }
    let flags = bytes[3];
    let mut at = 10usize;
    if flags & FEXTRA != 0 {
        let n = *bytes.get(at).ok_or_else(truncated)? as usize
            | (*bytes.get(at + 1).ok_or_else(truncated)? as usize) << 8;
        at += 2 + n;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let end = bytes
                .get(at..)
                .and_then(|rest| rest.iter().position(|&b| b == 0))
                .ok_or_else(truncated)?;
            at += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    let body = bytes.get(at..).ok_or_else(truncated)?;
    miniz_oxide::inflate::decompress_to_vec_with_limit(body, limit).map_err(|e| match e.status {
        miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
            format!("gzip: inflates to more than {limit} bytes")
        }
        _ => "gzip: the compressed data is corrupt or truncated".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_bytes_pass_through_and_damaged_gzip_is_an_error() {
        assert_eq!(inflate(b"abc", 10).as_deref(), Ok(&b"abc"[..]));
        assert!(gunzip(b"abc", 10).is_err());
        let mut header = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0];
        header.extend([0xff; 10]);
        assert_eq!(
            gunzip(&header, 10),
            Err("gzip: the compressed data is corrupt or truncated".into())
        );
        header[2] = 7;
        assert_eq!(
            gunzip(&header, 10),
            Err("gzip: unknown compression method".into())
        );
    }
}
