//! The diff's reader of manifest.json on arbitrary bytes: must never panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| overparam_report::fuzzing::fuzz_read_manifest(data));
