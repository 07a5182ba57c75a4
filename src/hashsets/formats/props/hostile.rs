//! Hostile input never panics, never yields more entries than records,
//! and every message it causes is short and printable.

use proptest::prelude::*;

use super::round_trip::sample;
use super::{FORMATS, check, run};
use crate::hashsets::detect::sniff_bytes;

/// Text that trips parsers: multi-byte spaces, bidi overrides, escapes,
/// quotes, separators, line ends, a BOM.
const NASTY: [&str; 14] = [
    "\u{3000}", "\u{a0}", "\u{202e}", "\x1b[2J", "\\", "\"", ",", "\t", "\r", "\n", "\0",
    "\u{feff}", "%%%% ", "é",
];

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
    Repeat(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<usize>(), prop::sample::select(&NASTY[..]))
            .prop_map(|(i, s)| Edit::Insert(i, s.as_bytes().to_vec())),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Edit::Delete(i, n)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Edit::Repeat(i, n)),
    ]
}

fn apply(data: &mut Vec<u8>, edit: &Edit) {
    let at = |i: usize, data: &Vec<u8>| {
        if data.is_empty() {
            0
        } else {
            i % (data.len() + 1)
        }
    };
    match edit {
        Edit::Flip(i, b) if !data.is_empty() => {
            let i = i % data.len();
            data[i] ^= b | 1;
        }
        Edit::Flip(..) => {}
        Edit::Insert(i, bytes) => {
            let i = at(*i, data);
            data.splice(i..i, bytes.iter().copied());
        }
        Edit::Delete(i, n) => {
            let i = at(*i, data);
            let end = (i + n).min(data.len());
            data.drain(i..end);
        }
        Edit::Truncate(i) => {
            let i = at(*i, data);
            data.truncate(i);
        }
        Edit::Repeat(i, n) => {
            let i = at(*i, data);
            let end = (i + n).min(data.len());
            let copy = data[i..end].to_vec();
            data.splice(i..i, copy);
        }
    }
}

fn all_parsers(data: &[u8]) -> Result<(), TestCaseError> {
    let _ = sniff_bytes(data);
    for format in FORMATS {
        let r = run(format, data);
        check(format, data, &r).map_err(|e| TestCaseError::fail(format!("{format}: {e}")))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..1500)) {
        all_parsers(&data)?;
    }

    #[test]
    fn arbitrary_unicode(text in any::<String>(), nasty in prop::collection::vec(prop::sample::select(&NASTY[..]), 0..6)) {
        let mut text = text;
        for (i, n) in nasty.iter().enumerate() {
            let at = text.char_indices().nth(i * 7).map_or(text.len(), |(j, _)| j);
            text.insert_str(at, n);
        }
        all_parsers(text.as_bytes())?;
    }

    #[test]
    fn mutated_valid_samples(
        (format, data) in sample(),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let mut data = data;
        for e in &edits {
            apply(&mut data, e);
        }
        let r = run(format, &data);
        check(format, &data, &r).map_err(|e| TestCaseError::fail(format!("{format}: {e}")))?;
        let _ = sniff_bytes(&data);
    }
}
