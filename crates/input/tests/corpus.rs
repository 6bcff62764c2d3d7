//! Replays every committed fuzz corpus file (fuzz/corpus/<target>/*) through the function its
//! cargo-fuzz target calls, on the stable toolchain: what the fuzzer once found interesting
//! stays covered by `cargo test`, and a fixed crash stays fixed.

use std::path::{Path, PathBuf};

use overparam_input::fuzzing;

type Target = fn(&[u8]) -> Result<(), String>;

const TARGETS: [(&str, Target); 3] = [
    ("numeric_csv", fuzzing::numeric_csv),
    ("spline_xy", fuzzing::spline_xy),
    ("network_csv", fuzzing::network_csv),
];

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

#[test]
fn every_corpus_file_replays_without_a_panic() {
    for (target, run) in TARGETS {
        let dir = corpus_dir(target);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{}: no corpus files", dir.display());
        let (mut accepted, mut refused) = (0, 0);
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&bytes));
            match outcome {
                Ok(Ok(())) => accepted += 1,
                Ok(Err(_)) => refused += 1,
                Err(_) => panic!("{target}: {} panicked", file.display()),
            }
        }
        // A corpus that only ever refuses (or only accepts) has lost its interesting inputs.
        assert!(
            accepted > 0 && refused > 0,
            "{target}: {accepted} accepted, {refused} refused"
        );
    }
}
