//! Captures build provenance (git commit and dirty flag, rustc version, target) for manifests.

use std::process::Command;

fn run(cmd: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let commit = run("git", &["-C", root, "rev-parse", "HEAD"]).unwrap_or_default();
    let dirty = run(
        "git",
        &["-C", root, "status", "--porcelain", "--untracked-files=no"],
    )
    .map(|s| if s.is_empty() { "false" } else { "true" })
    .unwrap_or("");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = run(&rustc, &["--version"]).unwrap_or_default();
    println!("cargo:rustc-env=OVERPARAM_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=OVERPARAM_GIT_DIRTY={dirty}");
    println!("cargo:rustc-env=OVERPARAM_RUSTC={version}");
    println!(
        "cargo:rustc-env=OVERPARAM_TARGET={}",
        std::env::var("TARGET").unwrap_or_default()
    );
    // In a git worktree `.git` is a file: ask git where HEAD and the index (per worktree) and
    // the branch HEAD names (shared refs) live, so that a commit in this checkout rebuilds with
    // the new commit id. Only this branch's ref is watched, not the whole refs folder: a commit on
    // another worktree's branch must not rebuild this one.
    let git_dir = run("git", &["-C", root, "rev-parse", "--absolute-git-dir"]);
    let common = run("git", &["-C", root, "rev-parse", "--git-common-dir"]).map(|c| {
        if c.starts_with('/') {
            c
        } else {
            format!("{root}/{c}")
        }
    });
    let branch = run("git", &["-C", root, "symbolic-ref", "-q", "HEAD"]);
    // Only paths that exist: cargo reruns the script on every build for a missing one.
    let watched = git_dir
        .iter()
        .flat_map(|d| [format!("{d}/HEAD"), format!("{d}/index")])
        .chain(common.iter().flat_map(|d| {
            let mut paths = vec![format!("{d}/packed-refs")];
            if let Some(b) = &branch {
                paths.push(format!("{d}/{b}"));
            }
            paths
        }));
    for path in watched.filter(|p| std::path::Path::new(p).exists()) {
        println!("cargo:rerun-if-changed={path}");
    }
}
