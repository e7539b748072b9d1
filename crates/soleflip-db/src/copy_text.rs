//! COPY's text format, written by every bulk load of this crate (price sources, size inputs,
//! staged sales, AWIN offers, size rows): a value with backslash, tab, newline and carriage
//! return escaped, `\N` for NULL.

/// The escape of one byte, if it needs one (all are ASCII, so a UTF-8 text stays UTF-8).
fn escape(b: u8) -> Option<&'static str> {
    match b {
        b'\\' => Some("\\\\"),
        b'\t' => Some("\\t"),
        b'\n' => Some("\\n"),
        b'\r' => Some("\\r"),
        _ => None,
    }
}

/// Appends `s` escaped.
pub(crate) fn push_text(buf: &mut String, s: &str) {
    for c in s.chars() {
        match u8::try_from(c).ok().and_then(escape) {
            Some(e) => buf.push_str(e),
            None => buf.push(c),
        }
    }
}

/// Appends `s` escaped, or NULL.
pub(crate) fn push_opt(buf: &mut String, s: Option<&str>) {
    match s {
        Some(s) => push_text(buf, s),
        None => buf.push_str("\\N"),
    }
}

/// [`push_opt`] into a byte buffer.
pub(crate) fn push_bytes(buf: &mut Vec<u8>, v: Option<&str>) {
    let Some(v) = v else {
        buf.extend_from_slice(b"\\N");
        return;
    };
    for &b in v.as_bytes() {
        match escape(b) {
            Some(e) => buf.extend_from_slice(e.as_bytes()),
            None => buf.push(b),
        }
    }
}

/// `s` escaped, as a new string.
pub(crate) fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_text(&mut out, s);
    out
}
