//! Readers and validators of users' numeric CSV files, shared by every `overparam` tool.
//!
//! Everything a user hands the tools goes through here, so that bad input is refused the same way
//! everywhere: with the file, line and column, a bounded excerpt of the offending text, and never
//! a panic, an unbounded read or a hang. The crate is separate from the CLI so that the fuzz
//! targets in `fuzz/` (and the corpus replay in `tests/corpus.rs`) exercise exactly the code the
//! binary runs; [`fuzzing`] holds the functions they call.
//!
//! Layers: [`source`] turns a path (or `-`, standard input) into at most
//! [`source::DEFAULT_MAX_INPUT_MIB`] bytes; [`csv_table`] turns bytes into a rectangular table of
//! finite numbers; [`xy`] and [`network`] add each tool's own validation.

pub mod csv_table;
pub mod fuzzing;
pub mod network;
pub mod source;
pub mod xy;

pub use csv_table::{InputError, NumericTable, parse_numeric_csv};
pub use source::{DEFAULT_MAX_INPUT_MIB, InputReader, MAX_INPUT_MIB_CEILING};

/// Most characters of user input an error message repeats. A malformed field can be megabytes
/// long; echoing it whole buries the message (and the terminal).
pub const EXCERPT_CHARS: usize = 80;

/// `text` as an error message should quote it: at most [`EXCERPT_CHARS`] characters, control
/// characters escaped (a field may hold a quoted newline or a terminal escape sequence), and,
/// when cut, an ellipsis and the field's full length in bytes.
pub fn excerpt(text: &str) -> String {
    let mut out = String::new();
    for (shown, c) in text.chars().enumerate() {
        if shown == EXCERPT_CHARS {
            return format!("{out}... ({} bytes in all)", text.len());
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_quoted_whole() {
        assert_eq!(excerpt("abc"), "abc");
        let exactly = "x".repeat(EXCERPT_CHARS);
        assert_eq!(excerpt(&exactly), exactly);
    }

    #[test]
    fn long_text_is_cut_with_its_length() {
        let long = "y".repeat(5_000_000);
        let e = excerpt(&long);
        assert!(e.starts_with(&"y".repeat(EXCERPT_CHARS)));
        assert!(e.ends_with("... (5000000 bytes in all)"), "{e}");
        assert!(e.len() < 2 * EXCERPT_CHARS);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(excerpt("a\nb\u{1b}[2J"), "a\\nb\\u{1b}[2J");
    }

    #[test]
    fn multibyte_text_is_cut_on_a_character_boundary() {
        let e = excerpt(&"é".repeat(200));
        assert!(e.starts_with(&"é".repeat(EXCERPT_CHARS)));
        assert!(e.contains("(400 bytes in all)"), "{e}");
    }
}
