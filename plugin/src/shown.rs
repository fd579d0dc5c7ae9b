//! How a value from outside (a pasted setting, a URL or detail from WeCom) is shown in a message.
//! A leaf: every feature that words an error uses it, and it imports nothing of the crate.

/// Untrusted text (a pasted value, a URL from WeCom) as it may appear in a message: at most
/// about `max_chars` characters, with control and invisible formatting characters written as
/// `\u{…}` so that the message reads as what it says (a pasted U+200E or an ESC would otherwise
/// be invisible, or rewrite the host's terminal line). Printable text, Chinese included, is kept.
/// The bound counts what is shown, escapes included, so the message stays short whatever came in.
pub fn shown(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut used = 0usize;
    for c in text.chars() {
        let piece = if is_invisible(c) { format!("\\u{{{:04X}}}", u32::from(c)) } else { c.to_string() };
        let len = piece.chars().count();
        if used + len > max_chars {
            out.push('…');
            break;
        }
        used += len;
        out.push_str(&piece);
    }
    out
}

/// One character for a "cannot contain 'x'" message.
pub fn shown_char(c: char) -> String {
    shown(c.encode_utf8(&mut [0u8; 4]), 16)
}

fn is_invisible(c: char) -> bool {
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(
            c,
            '\u{AD}'
                | '\u{34F}'
                | '\u{61C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_escapes_the_invisible_and_bounds_the_length() {
        assert_eq!(shown("ww12键", 10), "ww12键");
        assert_eq!(shown("a\u{200E}b\u{1B}[2K", 40), "a\\u{200E}b\\u{001B}[2K");
        assert_eq!(shown("a\u{200E}b", 9), "a\\u{200E}…");
        assert_eq!(shown("abcdef", 3), "abc…");
        assert_eq!(shown_char('\0'), "\\u{0000}");
        assert_eq!(shown_char('\u{3000}'), "\\u{3000}");
        assert_eq!(shown_char('='), "=");
    }
}
