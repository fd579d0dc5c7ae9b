//! Name normalisation: the one definition of "the same name" used for matching, department
//! agreement and search.
//!
//! Names reach us from two systems typed by different people: WeCom admins paste names from
//! spreadsheets and chat windows (full-width letters, ideographic spaces, zero-width joiners),
//! platform accounts were typed by hand. Only differences that are invisible or purely typographic
//! are folded; anything a reader could see as a different name (another character, a different
//! order) stays different, because a false match hands a person someone else's account.

use std::borrow::Cow;

/// Zero-width characters that survive copy and paste but are invisible on screen.
fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}')
}

/// Folds one character into `out`: full-width ASCII to half-width, the ideographic space to a
/// space, Latin letters to lower case (which can yield more than one character, e.g. 'İ').
fn fold(c: char, out: &mut String) {
    let c = match c {
        // Full-width forms are a fixed offset from ASCII: '！' (U+FF01) is '!' (U+0021).
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if is_latin_letter(c) {
        out.extend(c.to_lowercase());
    } else {
        out.push(c);
    }
}

/// Latin letters beyond ASCII (é, ß, Ł, ...): lower-cased like ASCII so "José" and "JOSÉ" agree.
/// Other scripts are left alone; Chinese has no case and must never be altered.
fn is_latin_letter(c: char) -> bool {
    matches!(c as u32, 0x00C0..=0x024F | 0x1E00..=0x1EFF) && c.is_alphabetic()
}

/// The comparison form of a name: trimmed; full-width ASCII (U+FF01..U+FF5E) made half-width and
/// U+3000 made a space; zero-width characters (U+200B..U+200D, U+FEFF) removed; Latin letters
/// lower-cased; each run of inner whitespace collapsed to one space. Chinese characters are kept
/// as they are, and a space between them is kept as one space ("王  晓楷" becomes "王 晓楷", not
/// "王晓楷"): whether a space belongs in a name is not ours to decide.
pub fn normalize_name(name: &str) -> String {
    let mut folded = String::with_capacity(name.len());
    for c in name.chars() {
        if !is_zero_width(c) {
            fold(c, &mut folded);
        }
    }
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The weaker, spacing-insensitive key of a name already in comparison form ([`normalize_name`]):
/// every space between two CJK characters removed ("王 晓楷" becomes "王晓楷"; "wang xiao" and
/// "王 A" keep theirs). Two names with the same compact key but different normal forms differ
/// only by spaces inside a Chinese name: that is a reason to offer the account as a candidate,
/// never to bind it (a space may be part of how someone writes a name). Borrowed when nothing is
/// removed.
pub(crate) fn compact(normal: &str) -> Cow<'_, str> {
    let chars: Vec<char> = normal.chars().collect();
    let drops =
        |i: usize| chars[i] == ' ' && i > 0 && i + 1 < chars.len() && is_cjk(chars[i - 1]) && is_cjk(chars[i + 1]);
    if !(0..chars.len()).any(drops) {
        return Cow::Borrowed(normal);
    }
    Cow::Owned(chars.iter().enumerate().filter(|&(i, _)| !drops(i)).map(|(_, c)| *c).collect())
}

/// The one spacing rule, shared by the binding table ([`super::propose`]) and the callbacks' plan
/// (`plan::state`): accounts whose names differ from a member's only by spaces between Chinese
/// characters, found by the member's [`compact`] key. Only names that [`compact`] changes are
/// indexed (an account whose name has no such space is found by its exact name, or not at all),
/// so the index holds a small share of the accounts. What a hit means is the caller's, and is the
/// same in both: a candidate, never a match.
pub(crate) struct SpacingIndex<T> {
    by_key: super::maps::Map<String, Vec<T>>,
}

impl<T> SpacingIndex<T> {
    pub(crate) fn new() -> Self {
        SpacingIndex { by_key: super::maps::map(0) }
    }

    /// Indexes `value` under an account's name in comparison form (`normal`) when the name has a
    /// space between Chinese characters; otherwise does nothing.
    pub(crate) fn insert(&mut self, normal: &str, value: T) {
        if let Cow::Owned(key) = compact(normal) {
            self.by_key.entry(key).or_default().push(value);
        }
    }

    /// The accounts offered to a member whose name in comparison form is `normal`, in the order
    /// indexed; empty when none.
    pub(crate) fn offered_to(&self, normal: &str) -> &[T] {
        if self.by_key.is_empty() {
            return &[];
        }
        self.by_key.get(compact(normal).as_ref()).map_or(&[], Vec::as_slice)
    }
}

/// CJK ideographs (the unified blocks and their extensions, compatibility ideographs) and the
/// middle dot of transliterated names (·), which is written without spaces around it.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F | 0x00B7 | 0x30FB)
}

/// [`normalize_name`] without allocating when the name is already in comparison form, which most
/// names are (matching 100,000 members runs this several times per member).
pub(crate) fn normalized(name: &str) -> Cow<'_, str> {
    if is_normal(name) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(normalize_name(name))
    }
}

/// True when [`normalize_name`] would return `name` unchanged. Errs towards false: a false only
/// costs the allocation.
fn is_normal(name: &str) -> bool {
    // Starting as if after a space rejects a leading space.
    let mut after_space = true;
    for c in name.chars() {
        if c == ' ' {
            if after_space {
                return false;
            }
            after_space = true;
            continue;
        }
        let folds = c.is_whitespace()
            || is_zero_width(c)
            || ('\u{FF01}'..='\u{FF5E}').contains(&c)
            || c.is_ascii_uppercase()
            || (is_latin_letter(c) && !c.is_lowercase());
        if folds {
            return false;
        }
        after_space = false;
    }
    name.is_empty() || !after_space
}

#[cfg(test)]
mod tests {
    use super::{compact, normalize_name, normalized};

    #[test]
    fn normalisation_cases() {
        let cases: &[(&str, &str)] = &[
            ("Clear", "clear"),
            ("clear ", "clear"),
            ("  clear", "clear"),
            ("Ｃｌｅａｒ", "clear"),
            ("Ｃlear", "clear"),
            ("CLEAR", "clear"),
            ("cl\u{200B}ear", "clear"),
            ("\u{FEFF}clear\u{200D}", "clear"),
            ("c\u{200C}lear", "clear"),
            ("王\u{3000}晓楷", "王 晓楷"),
            ("王  晓楷", "王 晓楷"),
            ("王 \t 晓楷", "王 晓楷"),
            ("\u{3000}王晓楷\u{3000}", "王晓楷"),
            ("王晓楷", "王晓楷"),
            ("小岳岳", "小岳岳"),
            ("Ｗａｎｇ　Ｘｉａｏ", "wang xiao"),
            ("José", "josé"),
            ("JOSÉ", "josé"),
            ("Ａ－Ｂ", "a-b"),
            ("", ""),
            ("   ", ""),
            ("\u{200B}", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_name(raw), *want, "normalize_name({raw:?})");
            assert_eq!(normalized(raw), *want, "normalized({raw:?})");
        }
    }

    #[test]
    fn different_names_stay_different() {
        assert_ne!(normalize_name("王晓楷"), normalize_name("王 晓楷"));
        assert_ne!(normalize_name("王晓楷"), normalize_name("王小楷"));
        assert_ne!(normalize_name("clear"), normalize_name("clean"));
    }

    #[test]
    fn compact_removes_only_spaces_between_chinese_characters() {
        let cases: &[(&str, &str)] = &[
            ("王 晓楷", "王晓楷"),
            ("王 晓 楷", "王晓楷"),
            ("王晓楷", "王晓楷"),
            ("wang xiao", "wang xiao"),
            ("王 a", "王 a"),
            ("a 王", "a 王"),
            ("阿卜杜 · 热合曼", "阿卜杜·热合曼"),
            ("", ""),
        ];
        for (normal, want) in cases {
            assert_eq!(compact(normal), *want, "compact({normal:?})");
        }
        // The normal form still tells the two apart: spacing is a candidate, never a match.
        assert_ne!(normalize_name("王\u{3000}晓楷"), normalize_name("王晓楷"));
        assert_eq!(compact(&normalize_name("王\u{3000}晓楷")), compact(&normalize_name("王晓楷")));
    }

    #[test]
    fn idempotent() {
        for raw in ["Ｃｌｅａｒ  Ｘ", "王\u{3000}\u{3000}晓楷", " a\u{200B} B "] {
            let once = normalize_name(raw);
            assert_eq!(normalize_name(&once), once);
        }
    }

    #[test]
    fn fast_path_agrees_with_normalize_name() {
        let pool: Vec<char> = "aZ é É ǅ王晓\u{3000}\u{200B}\u{FEFF}Ｃｌ\t\u{A0}ß1".chars().collect();
        let mut rng = fastrand::Rng::with_seed(3);
        for _ in 0..20_000 {
            let s: String = (0..rng.usize(0..6)).map(|_| pool[rng.usize(..pool.len())]).collect();
            assert_eq!(normalized(&s), normalize_name(&s), "{s:?}");
        }
    }
}
