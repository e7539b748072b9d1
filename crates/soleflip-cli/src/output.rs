//! Writing results. Output is written only after the work it reports is committed, and a closed
//! or broken stdout is not an error of the work: the old tool lost a whole build to a character
//! its console could not print, so nothing printed here can undo anything.
//!
//! Text output carries names that come from the database or from files (tables, schemas,
//! manifests), which anyone who may create an object chooses: control characters in them are
//! shown escaped, so that no name can move the cursor, recolour the terminal or forge a line.

use std::io::Write;

use serde::Serialize;

use crate::cli::Format;

/// Writes `text` to stdout, its control characters (other than newline and tab) escaped. A
/// reader that went away (`| head -c0`) is ignored; the work is done.
pub fn print(text: &str) {
    let text = escape_controls(text);
    let mut out = std::io::stdout().lock();
    let result = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    if let Err(e) = result {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            error_line(&format!(
                "soleflip: warning: could not write the result to stdout: {e}"
            ));
        }
    }
}

/// Writes pretty JSON and a newline to stdout (JSON escapes control characters itself).
pub fn print_json(value: &impl Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(mut text) => {
            text.push('\n');
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
        }
        Err(e) => error_line(&format!("soleflip: error: writing the JSON report: {e}")),
    }
}

/// Shows a use case's report: its JSON serialization, or the text `render` makes of it.
pub fn show<T: Serialize>(report: &T, format: Format, render: impl FnOnce(&T) -> String) {
    match format {
        Format::Json => print_json(report),
        Format::Text => print(&render(report)),
    }
}

/// Writes one line to stderr, control characters escaped, ignoring a closed stderr.
pub fn error_line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{}", escape_controls(text));
}

/// `text` with every control character but newline and tab written as `\u{..}`.
pub fn escape_controls(text: &str) -> String {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_in_names_reach_the_terminal_escaped() {
        assert_eq!(
            escape_controls("table \u{1b}[2Jx\r\n"),
            "table \\u{1b}[2Jx\\u{d}\n"
        );
        assert_eq!(escape_controls("plain\tline\n"), "plain\tline\n");
    }
}
