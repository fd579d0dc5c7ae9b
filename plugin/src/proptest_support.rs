//! Shared pieces of the property tests (issue 8, "against bad input"): the run configuration and
//! generators for the kind of text admins paste and the network delivers.
//!
//! Case counts: each property names its CI default (chosen so that the whole proptest suite stays
//! well under a minute in a debug build on 2 cores); `PROPTEST_CASES=N` overrides every one of
//! them for a longer run, e.g. `PROPTEST_CASES=100000 cargo test -p plugin --release proptest`.
//! Failures are not persisted to files: a minimal failing case becomes a plain regression test
//! next to the code it broke.

use proptest::prelude::*;
use proptest::test_runner::Config;

/// `default_cases` unless `PROPTEST_CASES` says otherwise.
pub(crate) fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default_cases);
    Config { cases, failure_persistence: None, ..Config::default() }
}

/// Characters that pasting, chat windows, spreadsheets and hostile senders bring along.
pub(crate) fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => proptest::char::range('!', '~'),
        2 => Just(' '),
        1 => prop::sample::select(vec!['\t', '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}']),
        1 => prop::sample::select(vec!['\u{3000}', '\u{A0}', '\u{2028}', '\u{2029}', '\u{202F}', '\u{2002}']),
        1 => prop::sample::select(vec!['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}']),
        1 => prop::sample::select(vec!['\0', '\u{07}', '\u{1B}', '\u{7F}', '\u{9B}', '\u{200E}', '\u{202E}', '\u{AD}']),
        1 => prop::sample::select(vec!['键', '张', 'Ａ', '１', 'é', '😀', '\u{301}', '＝', '，']),
        1 => any::<char>(),
    ]
}

fn short_nasty_string() -> impl Strategy<Value = String> {
    prop::collection::vec(nasty_char(), 0..48).prop_map(|v| v.into_iter().collect::<String>())
}

/// Mostly short strings of [`nasty_char`]s, now and then a very long one (a short one repeated
/// to 2 000 to 50 000 characters: generating each character of a long string separately would
/// cost more than the property it feeds).
pub(crate) fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        20 => short_nasty_string(),
        1 => (prop::collection::vec(nasty_char(), 1..8), 2_000usize..50_000).prop_map(|(unit, len)| {
            unit.iter().cycle().take(len).collect::<String>()
        }),
    ]
}

/// `core` with pasting noise around and inside it: what a value looks like after a copy.
pub(crate) fn pasted(core: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    let edge = prop::collection::vec(
        prop::sample::select(vec![' ', '\t', '\n', '\r', '\u{3000}', '\u{A0}', '\u{200B}', '\u{FEFF}']),
        0..4,
    );
    let inner = prop::collection::vec(prop::sample::select(vec!['\u{200B}', '\u{2060}', '\n', '\r']), 0..2);
    (edge.clone(), core, inner, any::<prop::sample::Index>(), edge).prop_map(|(before, core, inner, at, after)| {
        let mut chars: Vec<char> = core.chars().collect();
        for c in inner {
            let i = if chars.is_empty() { 0 } else { at.index(chars.len() + 1) };
            chars.insert(i, c);
        }
        before.into_iter().chain(chars).chain(after).collect()
    })
}

/// True when text shown to a person carries no control or invisible formatting character, so the
/// message reads as what it says (and cannot rewrite a terminal line).
pub(crate) fn is_clear_text(text: &str) -> bool {
    !text.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{AD}')
    })
}
