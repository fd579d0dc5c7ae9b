//! Cleaning pasted values. Admins copy CorpID, AgentID and Secret out of the WeCom console, chat
//! windows and spreadsheets, which bring along spaces, full-width spaces, zero-width characters and
//! line breaks. Those are removed (and reported); anything still malformed is a field error before
//! any network call, so a typo never costs a WeCom call (nor a 45009 ban for wrong secrets).

/// A pasted value after cleaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// The value to use.
    pub value: String,
    /// True when something was removed.
    pub changed: bool,
}

/// Invisible characters that copying from chat windows and web pages brings along: zero-width
/// spaces and joiners, the byte-order mark, direction marks and embeddings, the soft hyphen. The
/// admin cannot see them, so cannot fix them: they are removed (and the removal reported).
fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}'
            | '\u{061C}' | '\u{00AD}' | '\u{FEFF}'
    )
}

/// Removes invisible characters and line breaks anywhere, and whitespace (including the
/// full-width U+3000 and no-break spaces) at both ends.
pub fn clean(raw: &str) -> Cleaned {
    let without_invisible: String = raw.chars().filter(|&c| !is_zero_width(c) && c != '\n' && c != '\r').collect();
    let value = without_invisible.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}' || c == '\u{00A0}');
    Cleaned { value: value.to_string(), changed: value != raw }
}

/// What is still wrong with a cleaned value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    /// Nothing was entered.
    Empty,
    /// A space inside the value (two values pasted, or a wrong copy).
    InnerSpace,
    /// A character the value cannot contain.
    BadCharacter(char),
    /// Not a positive whole number (AgentID).
    NotANumber,
}

/// CorpID: letters and digits (`ww…` for new corps, `wx…` for old ones).
pub fn check_corp_id(value: &str) -> Result<(), Malformed> {
    check_charset(value, |c| c.is_ascii_alphanumeric())
}

/// Secret: WeCom secrets are URL-safe base64 text (letters, digits, `-`, `_`).
pub fn check_secret(value: &str) -> Result<(), Malformed> {
    check_charset(value, |c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// AgentID: a positive whole number.
pub fn parse_agent_id(value: &str) -> Result<i64, Malformed> {
    check_charset(value, |c| c.is_ascii_digit()).map_err(|e| match e {
        Malformed::BadCharacter(_) => Malformed::NotANumber,
        other => other,
    })?;
    match value.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Malformed::NotANumber),
    }
}

fn check_charset(value: &str, allowed: impl Fn(char) -> bool) -> Result<(), Malformed> {
    if value.is_empty() {
        return Err(Malformed::Empty);
    }
    if let Some(c) = value.chars().find(|&c| !allowed(c)) {
        return Err(if c.is_whitespace() || c == '\u{3000}' {
            Malformed::InnerSpace
        } else {
            Malformed::BadCharacter(c)
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_removes_what_pasting_brings_along() {
        let cases = [
            ("ww8f3a1c2d4e5b6a70", "ww8f3a1c2d4e5b6a70", false),
            ("  ww8f3a1c2d4e5b6a70 \t", "ww8f3a1c2d4e5b6a70", true),
            ("\u{3000}ww8f3a1c2d4e5b6a70\u{3000}", "ww8f3a1c2d4e5b6a70", true),
            ("ww8f3a1c\u{200B}2d4e5b6a70", "ww8f3a1c2d4e5b6a70", true),
            ("\u{FEFF}1000002\r\n", "1000002", true),
            ("abc\ndef", "abcdef", true),
            ("\u{202A}ww8f3a1c2d4e5b6a70\u{202C}\u{200E}", "ww8f3a1c2d4e5b6a70", true),
            ("10000\u{AD}02", "1000002", true),
            ("ab cd", "ab cd", false),
        ];
        for (raw, want, changed) in cases {
            let got = clean(raw);
            assert_eq!(got.value, want, "{raw:?}");
            assert_eq!(got.changed, changed, "{raw:?}");
        }
    }

    #[test]
    fn malformed_values_are_named() {
        assert_eq!(check_corp_id(""), Err(Malformed::Empty));
        assert_eq!(check_corp_id("ww12 34"), Err(Malformed::InnerSpace));
        assert_eq!(check_corp_id("ww12-34"), Err(Malformed::BadCharacter('-')));
        assert_eq!(check_secret("abc-DEF_123"), Ok(()));
        assert_eq!(check_secret("abc+def"), Err(Malformed::BadCharacter('+')));
        assert_eq!(parse_agent_id("1000002"), Ok(1000002));
        assert_eq!(parse_agent_id("10000o2"), Err(Malformed::NotANumber));
        assert_eq!(parse_agent_id("0"), Err(Malformed::NotANumber));
        assert_eq!(parse_agent_id("99999999999999999999"), Err(Malformed::NotANumber));
        assert_eq!(parse_agent_id("100 2"), Err(Malformed::InnerSpace));
    }
}
