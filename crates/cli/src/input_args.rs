//! Command-line arguments shared by the tools that read users' files, and parsers that give
//! domain messages instead of clap's generic ones.

use overparam_input::{DEFAULT_MAX_INPUT_MIB, InputReader, MAX_INPUT_MIB_CEILING};

/// `--max-input-mib`, flattened into every tool that reads user CSV.
#[derive(clap::Args, Debug, Clone)]
pub struct InputArgs {
    /// Refuse any input file (or stdin, `-`) larger than this many MiB: a guard against
    /// endless inputs such as /dev/zero or a runaway pipe, which would otherwise fill memory.
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = DEFAULT_MAX_INPUT_MIB,
        value_parser = clap::value_parser!(u64).range(1..=MAX_INPUT_MIB_CEILING)
    )]
    pub max_input_mib: u64,
}

impl InputArgs {
    pub fn reader(&self) -> InputReader {
        InputReader::with_max_mib(self.max_input_mib)
    }
}

/// Parses `--seed`: seeds are u64, and a negative or fractional value says so (clap's own
/// message for u64 is "invalid digit found in string").
pub fn parse_seed(text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| {
        format!(
            "seeds are unsigned 64-bit integers, 0 to {}; got '{}'",
            u64::MAX,
            overparam_input::excerpt(text)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_u64_and_negative_ones_say_so() {
        assert_eq!(parse_seed("0"), Ok(0));
        assert_eq!(parse_seed(&u64::MAX.to_string()), Ok(u64::MAX));
        let e = parse_seed("-1").unwrap_err();
        assert!(
            e.contains("unsigned 64-bit integers") && e.contains("'-1'"),
            "{e}"
        );
    }
}
