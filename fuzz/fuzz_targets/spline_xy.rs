//! Fuzz target `spline_xy`: see overparam_input::fuzzing::spline_xy for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = overparam_input::fuzzing::spline_xy(data);
});
