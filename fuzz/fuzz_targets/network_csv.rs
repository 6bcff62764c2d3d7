//! Fuzz target `network_csv`: see overparam_input::fuzzing::network_csv for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = overparam_input::fuzzing::network_csv(data);
});
