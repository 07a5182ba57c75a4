//! Text from a hash-set file that ends up in a message (a reject reason, an
//! error, an embedded set name) is hostile: a 100 MB field, an ESC sequence
//! that rewrites the examiner's terminal, a U+202E that reverses what a line
//! seems to say. Every such text passes through [`excerpt`] first: control
//! and invisible formatting characters are escaped (`\x1b`, `\u{202e}`) and
//! the result is cut to a bounded length, so a message is always short,
//! printable and says what the file holds.

use std::path::Path;

/// Most characters kept of a reject reason or an error's reason.
pub const MAX_REASON_CHARS: usize = 200;

/// Most characters kept of a value quoted inside a reason (`bad md5 '…'`),
/// so the reason around it survives the cut.
pub const MAX_VALUE_CHARS: usize = 80;

/// Characters that change how the text around them is shown without
/// showing themselves: bidirectional overrides, isolates and marks,
/// zero-width characters, line and paragraph separators, the BOM and
/// interlinear annotation marks.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{061c}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}')
}

/// Pushes `c`, escaped when it is a control or invisible character.
fn push_shown(out: &mut String, c: char) {
    use std::fmt::Write as _;
    if c.is_ascii_control() {
        let _ = write!(out, "\\x{:02x}", c as u32);
    } else if c.is_control() || invisible(c) {
        let _ = write!(out, "\\u{{{:x}}}", c as u32);
    } else {
        out.push(c);
    }
}

/// `text` with control and invisible characters escaped, cut to at most
/// `max` characters (escapes count as their printed length); a cut text
/// ends in `…`.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut shown = 0usize;
    let mut piece = String::new();
    for c in text.chars() {
        piece.clear();
        push_shown(&mut piece, c);
        let n = piece.chars().count();
        if shown + n > max {
            out.push('…');
            return out;
        }
        out.push_str(&piece);
        shown += n;
    }
    out
}

/// `text` with control and invisible characters escaped, not cut.
pub fn escape_text(text: &str) -> String {
    excerpt(text, usize::MAX)
}

/// A path as shown in messages: its display form, escaped.
pub fn shown_path(path: &Path) -> String {
    escape_text(&path.display().to_string())
}

/// A value quoted inside a reason: escaped and cut to [`MAX_VALUE_CHARS`].
pub fn value(text: &str) -> String {
    excerpt(text, MAX_VALUE_CHARS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_and_cuts() {
        assert_eq!(
            excerpt("a\x1b[31mb\u{202e}c\u{85}\td", 100),
            "a\\x1b[31mb\\u{202e}c\\u{85}\\x09d"
        );
        assert_eq!(excerpt("héllo wörld", 5), "héllo…");
        assert_eq!(excerpt("\x1b\x1b", 5), "\\x1b…");
        let long = "A".repeat(1 << 20);
        assert_eq!(excerpt(&long, MAX_REASON_CHARS).chars().count(), 201);
        assert_eq!(escape_text("日本\u{3000}語"), "日本\u{3000}語");
    }
}
