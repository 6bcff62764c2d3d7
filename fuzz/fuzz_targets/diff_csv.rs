//! The diff's CSV comparison on arbitrary bytes (two tables split at the first NUL byte, or one
//! table against a reference): must never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| overparam_report::fuzzing::fuzz_read_csv(data));
