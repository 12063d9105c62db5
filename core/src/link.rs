//! Share links: `https://<host>/#/<lab>?s=<payload>`.
//!
//! The payload is `<version>.<base64url(deflate(json))>` where the JSON is a [`Payload`]:
//! `{v, lab, scenario, inputs, cursor, view}`. It never holds the state itself; the receiver
//! replays the scenario and inputs up to the cursor and gets the identical run.
//!
//! Decoding never panics. Anything malformed, oversized, from an unknown version or out of
//! range yields a [`LinkError`] whose message the page shows above the lab's default scenario.
//! Changing the PRNG, the event order or this encoding is a format change: bump [`VERSION`] and
//! keep decoding the old one.

use std::collections::BTreeMap;
use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::sim::Time;

/// The current link format version.
pub const VERSION: u32 = 1;
/// The longest payload accepted, in characters (a URL this long still works in browsers).
pub const MAX_PAYLOAD_CHARS: usize = 64 * 1024;
/// The largest decompressed JSON accepted, in bytes (guards against deflate bombs).
pub const MAX_JSON_BYTES: usize = 1024 * 1024;
/// The largest number of recorded inputs a link may carry.
pub const MAX_INPUTS: usize = 20_000;

/// What a link carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// Format version; equals the prefix of the encoded payload.
    pub v: u32,
    /// The lab's stable id.
    pub lab: String,
    /// The lab's scenario as JSON; missing fields take their defaults.
    #[serde(default)]
    pub scenario: serde_json::Value,
    /// Recorded inputs `(time_ms, command)` in time order.
    #[serde(default)]
    pub inputs: Vec<(Time, serde_json::Value)>,
    /// The time the receiver should seek to.
    #[serde(default)]
    pub cursor: Time,
    /// View options (speed, compare mode, panels): never part of the simulation.
    #[serde(default)]
    pub view: BTreeMap<String, String>,
}

/// Why a link could not be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// The fragment is not of the form `/<lab>?s=<payload>`.
    Shape(String),
    /// No lab by that name.
    UnknownLab(String),
    /// Longer than [`MAX_PAYLOAD_CHARS`] or inflating past [`MAX_JSON_BYTES`].
    TooLarge(String),
    /// A version this build does not know.
    UnknownVersion(String),
    /// Not base64, not deflate, or not the expected JSON.
    Corrupt(String),
    /// Well-formed, but a value is out of range or the scenario is invalid.
    Invalid(String),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Shape(m) => write!(f, "This link is not an Orrery link: {m}"),
            LinkError::UnknownLab(l) => write!(f, "This link names a lab that does not exist: {l:?}"),
            LinkError::TooLarge(m) => write!(f, "This link is too large: {m}"),
            LinkError::UnknownVersion(v) => write!(
                f,
                "This link was made by a newer or unknown version of Orrery (format {v}); this page reads format {VERSION}"
            ),
            LinkError::Corrupt(m) => write!(f, "This link is damaged or truncated: {m}"),
            LinkError::Invalid(m) => write!(f, "This link's run cannot be set up: {m}"),
        }
    }
}

impl std::error::Error for LinkError {}

/// Encodes a payload as `<version>.<base64url>`.
pub fn encode(payload: &Payload) -> String {
    let json = serde_json::to_vec(payload).unwrap_or_default();
    let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
    format!("{}.{}", payload.v, URL_SAFE_NO_PAD.encode(packed))
}

/// Decodes `<version>.<base64url>` into a payload, checking size, version and shape.
pub fn decode(s: &str) -> Result<Payload, LinkError> {
    if s.len() > MAX_PAYLOAD_CHARS {
        return Err(LinkError::TooLarge(format!(
            "{} characters, the limit is {MAX_PAYLOAD_CHARS}",
            s.len()
        )));
    }
    let (version, body) = s
        .split_once('.')
        .ok_or_else(|| LinkError::Corrupt("the payload has no version prefix".into()))?;
    let v: u32 = version
        .parse()
        .map_err(|_| LinkError::Corrupt(format!("the version {version:?} is not a number")))?;
    if v != VERSION {
        return Err(LinkError::UnknownVersion(version.to_string()));
    }
    let packed = URL_SAFE_NO_PAD
        .decode(body.trim_end_matches('='))
        .map_err(|e| LinkError::Corrupt(format!("not base64url ({e})")))?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_JSON_BYTES)
        .map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                LinkError::TooLarge(format!("it inflates past {MAX_JSON_BYTES} bytes"))
            }
            _ => LinkError::Corrupt("the compressed data is incomplete or invalid".into()),
        })?;
    let payload: Payload = serde_json::from_slice(&json)
        .map_err(|e| LinkError::Corrupt(format!("unexpected contents ({e})")))?;
    if payload.v != v {
        return Err(LinkError::Corrupt(format!(
            "the version inside ({}) differs from the prefix ({v})",
            payload.v
        )));
    }
    if payload.inputs.len() > MAX_INPUTS {
        return Err(LinkError::TooLarge(format!(
            "{} recorded inputs, the limit is {MAX_INPUTS}",
            payload.inputs.len()
        )));
    }
    Ok(payload)
}

/// The fragment (what follows `#`) for a payload: `/<lab>?s=<encoded>`.
pub fn fragment(payload: &Payload) -> String {
    format!("/{}?s={}", payload.lab, encode(payload))
}

/// Splits a whole URL, a `#/lab?s=…` fragment or a bare `/lab?s=…` into the lab name and the
/// decoded payload. The lab in the path must match the lab inside the payload.
pub fn parse(link: &str) -> Result<(String, Payload), LinkError> {
    let link = link.trim();
    let frag = match link.find('#') {
        Some(i) => &link[i + 1..],
        None => link,
    };
    let frag = frag
        .strip_prefix('/')
        .ok_or_else(|| LinkError::Shape("expected a fragment like #/elevator?s=…".into()))?;
    let (lab, query) = frag
        .split_once('?')
        .ok_or_else(|| LinkError::Shape("the link has no ?s= part".into()))?;
    if lab.is_empty() || !lab.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(LinkError::Shape(format!("{lab:?} is not a lab name")));
    }
    let s = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("s="))
        .ok_or_else(|| LinkError::Shape("the link has no s= parameter".into()))?;
    let payload = decode(s)?;
    if payload.lab != lab {
        return Err(LinkError::Corrupt(format!(
            "the path names {lab:?} but the payload is for {:?}",
            payload.lab
        )));
    }
    Ok((lab.to_string(), payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Payload {
        Payload {
            v: VERSION,
            lab: "elevator".into(),
            scenario: serde_json::json!({"seed": 7}),
            inputs: vec![(
                1500,
                serde_json::json!({"hall_call": {"floor": 3, "up": true}}),
            )],
            cursor: 4000,
            view: [("speed".to_string(), "4".to_string())]
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn round_trips_through_every_accepted_shape() {
        let p = sample();
        let frag = fragment(&p);
        for link in [
            frag.clone(),
            format!("#{frag}"),
            format!("https://example.org/#{frag}"),
        ] {
            assert_eq!(parse(&link), Ok(("elevator".to_string(), p.clone())));
        }
    }

    #[test]
    fn damaged_links_are_errors_with_messages() {
        let frag = fragment(&sample());
        let truncated = &frag[..frag.len() - 7];
        let cases = [
            ("", "not an Orrery link"),
            ("/elevator", "no ?s= part"),
            ("/elevator?x=1", "no s= parameter"),
            ("/elevator?s=abc", "no version prefix"),
            ("/elevator?s=9.AAAA", "unknown version"),
            ("/elevator?s=1.!!!", "not base64url"),
            ("/elevator?s=1.AAAA", "incomplete or invalid"),
            (truncated, "damaged or truncated"),
            ("/cache?s=", "no version prefix"),
        ];
        for (link, want) in cases {
            let err = parse(link).expect_err(link).to_string();
            assert!(err.contains(want), "{link:?}: {err}");
        }
        let other = fragment(&Payload {
            lab: "cache".into(),
            ..sample()
        });
        let swapped = other.replacen("/cache", "/elevator", 1);
        assert!(parse(&swapped)
            .unwrap_err()
            .to_string()
            .contains("payload is for \"cache\""));
    }

    #[test]
    fn deflate_bombs_are_refused() {
        let json = format!(
            "{{\"v\":1,\"lab\":\"elevator\",\"scenario\":\"{}\"}}",
            "a".repeat(3 * MAX_JSON_BYTES)
        );
        let packed = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9);
        let s = format!("1.{}", URL_SAFE_NO_PAD.encode(packed));
        assert!(s.len() < MAX_PAYLOAD_CHARS);
        assert!(matches!(decode(&s), Err(LinkError::TooLarge(_))));
        assert!(matches!(
            decode(&"x".repeat(MAX_PAYLOAD_CHARS + 1)),
            Err(LinkError::TooLarge(_))
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { rng_seed: proptest::test_runner::RngSeed::Fixed(68651), failure_persistence: None, ..proptest::test_runner::Config::default() })]

        #[test]
        fn arbitrary_strings_never_panic(s in ".{0,300}") {
            let _ = parse(&s);
            let _ = decode(&s);
            let _ = parse(&format!("/elevator?s=1.{s}"));
        }

        #[test]
        fn arbitrary_bytes_after_the_prefix_never_panic(bytes in proptest::collection::vec(0u8..=255, 0..400)) {
            let s = format!("1.{}", URL_SAFE_NO_PAD.encode(&bytes));
            let _ = decode(&s);
            let packed = miniz_oxide::deflate::compress_to_vec(&bytes, 6);
            let _ = decode(&format!("1.{}", URL_SAFE_NO_PAD.encode(packed)));
        }
    }
}
