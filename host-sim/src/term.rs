//! Text from WeCom or from an imported file, made safe to print on an operator's terminal, and
//! imported fields normalised.
//!
//! A member name may carry control characters: ESC sequences that clear the screen or recolour
//! it, a carriage return or newline that overwrites or forges a table row, bidirectional
//! overrides that reorder what is shown. [`printable`] escapes them as Rust does in error
//! messages (`\u{1b}`, `\r`, `\n`), and leaves every other character, CJK included, as it is.

use std::borrow::Cow;

/// True for characters that must not reach a terminal raw: C0 and C1 controls, DEL, and the
/// bidirectional and zero-width formatting characters.
fn unsafe_on_terminal(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// Invisible formatting characters: zero-width spaces and joiners, the BOM, and the
/// bidirectional marks, embeddings, overrides and isolates.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// `text` with every character unsafe on a terminal escaped (`\u{1b}`, `\n`, …).
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_on_terminal) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .flat_map(|c| {
                let escaped: Vec<char> = if unsafe_on_terminal(c) { c.escape_default().collect() } else { vec![c] };
                escaped
            })
            .collect(),
    )
}

/// An imported field as stored: zero-width and bidirectional formatting characters removed (they
/// make two equal-looking names differ), then trimmed.
pub fn normalise(text: &str) -> String {
    text.chars().filter(|c| !is_invisible(*c)).collect::<String>().trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_invisible_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(printable("王晓楷"), "王晓楷");
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("x\r\n| 伪造 |"), "x\\r\\n| 伪造 |");
        assert_eq!(printable("\u{202e}abc\u{9b}"), "\\u{202e}abc\\u{9b}");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn normalising_drops_zero_width_characters() {
        assert_eq!(normalise(" 张\u{200b}三\u{feff} "), "张三");
        assert_eq!(normalise("a\u{200d}b"), "ab");
    }
}
