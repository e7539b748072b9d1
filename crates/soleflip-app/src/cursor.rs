//! Opaque page cursors for keyset pagination. A cursor names the last row of the page it ends
//! (its sort key), tagged with the list it belongs to; clients pass it back unread. It is
//! URL-safe base64, so it needs no escaping in a query string.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use sqlx::types::Uuid;

/// What went wrong reading a cursor; always the client's fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCursor;

impl std::fmt::Display for BadCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cursor: not a cursor of this list (pass back the next_cursor of a page)")
    }
}

const SEP: char = '\u{1f}';

/// A cursor of list `kind` after the row whose key is `parts`.
pub fn encode(kind: &str, parts: &[&str]) -> String {
    let mut text = kind.to_string();
    for p in parts {
        text.push(SEP);
        text.push_str(p);
    }
    URL_SAFE_NO_PAD.encode(text)
}

/// The key parts of a cursor of list `kind` with `n` parts.
pub fn decode(kind: &str, cursor: &str, n: usize) -> Result<Vec<String>, BadCursor> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| BadCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| BadCursor)?;
    let mut parts = text.split(SEP);
    if parts.next() != Some(kind) {
        return Err(BadCursor);
    }
    let parts: Vec<String> = parts.map(str::to_string).collect();
    if parts.len() == n {
        Ok(parts)
    } else {
        Err(BadCursor)
    }
}

/// A cursor after a row keyed by a time (to the microsecond) and an id.
pub fn encode_at_id(kind: &str, at: DateTime<Utc>, id: Uuid) -> String {
    encode(
        kind,
        &[&at.timestamp_micros().to_string(), &id.simple().to_string()],
    )
}

/// The (time, id) of a cursor made by [`encode_at_id`].
pub fn decode_at_id(kind: &str, cursor: &str) -> Result<(DateTime<Utc>, Uuid), BadCursor> {
    let parts = decode(kind, cursor, 2)?;
    let micros: i64 = parts[0].parse().map_err(|_| BadCursor)?;
    let at = DateTime::from_timestamp_micros(micros).ok_or(BadCursor)?;
    let id = parts[1].parse().map_err(|_| BadCursor)?;
    Ok((at, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_the_key_it_was_made_from() {
        let at = DateTime::from_timestamp_micros(1_740_000_000_123_456).unwrap();
        let id = Uuid::from_u128(0x1234);
        let c = encode_at_id("pairs", at, id);
        assert!(c
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'));
        assert_eq!(decode_at_id("pairs", &c), Ok((at, id)));
    }

    #[test]
    fn a_cursor_of_another_list_or_garbage_is_refused() {
        let c = encode("users", &["alice"]);
        assert_eq!(decode("users", &c, 1), Ok(vec!["alice".to_string()]));
        assert_eq!(decode_at_id("pairs", &c), Err(BadCursor));
        assert_eq!(decode("users", "%%%", 1), Err(BadCursor));
        assert_eq!(decode("users", &encode("users", &[]), 1), Err(BadCursor));
    }
}
