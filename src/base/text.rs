//! Text files that must be UTF-8: a file in another encoding (a Latin-1
//! template, a strings file saved as Windows-1256) is an error at its first
//! bad byte, never read lossily into replacement characters that would
//! reach every page unnoticed.

use crate::base::diagnostics::Diagnostic;

/// `bytes` as text, or an error (`not-utf8`) naming `file`, the line and
/// column of the first byte that is not UTF-8, and its byte offset.
pub(crate) fn utf8<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str, Diagnostic> {
    let error = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(error) => error,
    };
    let offset = error.valid_up_to();
    // Everything before the bad byte is valid, so lines and columns count
    // characters of real text.
    let before = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    let message = format!(
        "the file is not UTF-8 text: byte 0x{:02X} at offset {offset} is not valid UTF-8",
        bytes[offset]
    );
    Err(Diagnostic::error("not-utf8", file, message)
        .at(line, column)
        .with_hint("save the file with the UTF-8 encoding (most editors offer it under \"Save with encoding\")"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bad_byte_is_placed() {
        assert_eq!(utf8("é\n".as_bytes(), "f").unwrap(), "é\n");
        let error = utf8(b"ab\nc\xe9d\xff", "templates/x.html").unwrap_err();
        assert_eq!(
            (error.file.as_str(), error.line, error.column),
            ("templates/x.html", Some(2), Some(2))
        );
        assert_eq!(
            error.message,
            "the file is not UTF-8 text: byte 0xE9 at offset 4 is not valid UTF-8"
        );
        assert_eq!(error.code, "not-utf8");
    }
}
