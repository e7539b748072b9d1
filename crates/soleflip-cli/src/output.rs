//! Writing results. Output is written only after the work it reports is committed, and a closed
//! or broken stdout is not an error of the work: the old tool lost a whole build to a character
//! its console could not print, so nothing printed here can undo anything.

use std::io::Write;

use serde::Serialize;

/// Writes `text` to stdout. A reader that went away (`| head -c0`) is ignored; the work is done.
pub fn print(text: &str) {
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

/// Writes pretty JSON and a newline to stdout.
pub fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print(&text);
    Ok(())
}

/// Writes one line to stderr, ignoring a closed stderr.
pub fn error_line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
