//! Output safety as a user meets it: overparam never deletes a directory it did not write, never
//! `.`, `..`, the current directory, an ancestor of it or `$HOME`; a refusal exits 2 before any
//! work, creates nothing and says why; stale and interrupted staging directories are removed.
//! Every probe runs in a fresh scratch directory holding a canary file that must survive.

#[path = "common/mod.rs"]
mod common;
use common::*;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The cheapest claim (well under a second at the quick profile).
const ID: &str = "heiss2019.early-stopping";
const CANARY: &str = "canary.txt";
const TEACHER: &str = "1,1,0,0\n1,0,1,0\n";
const STUDENT: &str = "0.7746,0.7740,0.0300,0.0000\n\
0.6325,0.6320,-0.0200,0.0100\n\
0.7746,0.0200,0.7740,0.0000\n\
0.6325,-0.0300,0.6320,0.0100\n";
/// The global minimum W = I_2 of the hessian tool's default loss: a quick, valid point.
const WEIGHTS: &str = "1,0\n0,1\n";

/// Runs overparam with `cwd` as its working directory and `home` as $HOME.
fn overparam_in(cwd: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_overparam"))
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .output()
        .expect("run overparam")
}

/// A scratch directory holding the canary and the tools' input files.
fn scratch_with_canary(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::write(dir.join(CANARY), "precious").unwrap();
    std::fs::write(dir.join("teacher.csv"), TEACHER).unwrap();
    std::fs::write(dir.join("student.csv"), STUDENT).unwrap();
    std::fs::write(dir.join("weights.csv"), WEIGHTS).unwrap();
    dir
}

const INPUTS: [&str; 4] = [CANARY, "student.csv", "teacher.csv", "weights.csv"];

/// The command line of each tool writing to `out`, with input files from `dir`.
fn tool_args(tool: &str, dir: &Path, out: &str) -> Vec<String> {
    let file = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let mut args: Vec<String> = match tool {
        "teacher-student" => vec![
            "teacher-student".into(),
            "--teacher".into(),
            file("teacher.csv"),
            "--student".into(),
            file("student.csv"),
            "--steps".into(),
            "10".into(),
        ],
        "hessian" => vec!["hessian".into(), "--weights".into(), file("weights.csv")],
        "run" => vec!["run".into(), ID.into(), "--quiet".into()],
        other => panic!("unknown tool {other}"),
    };
    args.extend(["--out".into(), out.to_owned()]);
    args
}

fn run_tool(tool: &str, cwd: &Path, home: &Path, dir: &Path, out: &str, force: bool) -> Output {
    let mut args = tool_args(tool, dir, out);
    if force {
        args.push("--force".into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    overparam_in(cwd, home, &args)
}

/// Asserts exit status 2 with `reason` in stderr and the canary intact in `dir`.
fn assert_refused(o: &Output, reason: &str, dir: &Path, what: &str) {
    assert_eq!(o.status.code(), Some(2), "{what}: {}", stderr(o));
    assert!(stderr(o).contains(reason), "{what}: {}", stderr(o));
    assert_eq!(
        std::fs::read_to_string(dir.join(CANARY)).unwrap(),
        "precious",
        "{what}: canary lost"
    );
}

const TOOLS: [&str; 3] = ["teacher-student", "hessian", "run"];

/// The data-loss probe of issue 11: `--out . --force` emptied the current directory.
#[test]
fn the_current_directory_is_never_an_output_even_with_force() {
    for tool in TOOLS {
        let dir = scratch_with_canary("dot");
        let home = scratch("home");
        let o = run_tool(tool, &dir, &home, &dir, ".", true);
        assert_refused(&o, "it is the current directory", &dir, tool);
        assert_eq!(entries(&dir), INPUTS, "{tool}: something was created");
    }
}

#[test]
fn dot_and_dot_dot_paths_and_ancestors_are_refused() {
    for tool in TOOLS {
        let dir = scratch_with_canary("dots");
        let t = dir.join("t");
        std::fs::create_dir(&t).unwrap();
        std::fs::write(t.join(CANARY), "precious").unwrap();
        let sub = dir.join("sub");
        let deep = sub.join("deep");
        std::fs::create_dir_all(&deep).unwrap();
        let elsewhere = scratch("elsewhere");
        let probes = [
            // (cwd, --out, reason)
            (
                &elsewhere,
                format!("{}/.", t.display()),
                "ends in '.' or '..'",
            ),
            (
                &elsewhere,
                format!("{}/..", sub.display()),
                "ends in '.' or '..'",
            ),
            (
                &sub,
                "..".to_owned(),
                "an ancestor of the current directory",
            ),
            (
                &deep,
                dir.display().to_string(),
                "an ancestor of the current directory",
            ),
        ];
        for (cwd, out, reason) in probes {
            let o = run_tool(tool, cwd, &elsewhere, &dir, &out, true);
            let what = format!("{tool} --out {out}");
            assert_refused(&o, reason, &dir, &what);
            assert_eq!(
                std::fs::read_to_string(t.join(CANARY)).unwrap(),
                "precious",
                "{what}: t/ emptied"
            );
            assert_eq!(
                entries(&dir),
                [
                    CANARY,
                    "student.csv",
                    "sub",
                    "t",
                    "teacher.csv",
                    "weights.csv"
                ]
            );
            assert_eq!(entries(&sub), ["deep"], "{what}");
            assert!(entries(&elsewhere).is_empty(), "{what}");
        }
    }
}

#[test]
fn home_is_never_an_output() {
    let dir = scratch_with_canary("home");
    let cwd = scratch("cwd");
    for tool in TOOLS {
        let o = run_tool(tool, &cwd, &dir, &dir, dir.to_str().unwrap(), true);
        assert_refused(&o, "your home directory", &dir, tool);
        assert_eq!(entries(&dir), INPUTS);
    }
}

#[test]
fn a_directory_overparam_did_not_write_is_kept_even_with_force() {
    for tool in TOOLS {
        let dir = scratch_with_canary("foreign");
        let mine = dir.join("mine");
        std::fs::create_dir(&mine).unwrap();
        std::fs::write(mine.join(CANARY), "precious").unwrap();
        for force in [false, true] {
            let o = run_tool(tool, &dir, &dir, &dir, "mine", force);
            assert_refused(&o, "overparam did not write it", &mine, tool);
            assert!(
                stderr(&o).contains("no .overparam marker"),
                "{}",
                stderr(&o)
            );
            assert_eq!(entries(&mine), [CANARY]);
            assert_eq!(entries(&dir).len(), INPUTS.len() + 1, "{tool}: left behind");
        }
        // a marker that is not one does not make the directory overparam's
        std::fs::write(mine.join(".overparam"), "{}").unwrap();
        let o = run_tool(tool, &dir, &dir, &dir, "mine", true);
        assert_refused(&o, "marker is invalid", &mine, tool);
        assert_eq!(entries(&mine), [".overparam", CANARY]);
    }
}

#[test]
fn force_replaces_previous_output_of_the_same_kind_only() {
    for tool in TOOLS {
        let dir = scratch_with_canary("marked");
        let o = run_tool(tool, &dir, &dir, &dir, "out", false);
        assert_eq!(o.status.code(), Some(0), "{tool}: {}", stderr(&o));
        let marker = std::fs::read_to_string(dir.join("out/.overparam")).unwrap();
        let kind = if tool == "run" { "run" } else { tool };
        assert_eq!(
            marker,
            format!(
                "{{\"tool\":\"overparam\",\"kind\":\"{kind}\",\"format\":1,\"version\":\"{}\"}}\n",
                env!("CARGO_PKG_VERSION")
            )
        );
        // a file of the user's inside the old output goes with it: the marker says overparam
        // owns the directory
        std::fs::write(dir.join("out/stale.txt"), "old").unwrap();

        let o = run_tool(tool, &dir, &dir, &dir, "out", false);
        assert_refused(&o, "pass --force to replace it", &dir, tool);
        assert!(
            dir.join("out/stale.txt").exists(),
            "{tool}: replaced without --force"
        );

        let o = run_tool(tool, &dir, &dir, &dir, "out", true);
        assert_eq!(o.status.code(), Some(0), "{tool}: {}", stderr(&o));
        assert!(!dir.join("out/stale.txt").exists(), "{tool}: not replaced");
        assert!(dir.join("out/.overparam").exists());
        let mut expected: Vec<&str> = INPUTS.to_vec();
        expected.push("out");
        expected.sort();
        assert_eq!(
            entries(&dir),
            expected,
            "{tool}: hidden directories left behind"
        );

        // another tool's --force does not replace it
        for other in TOOLS.into_iter().filter(|&o| o != tool) {
            let o = run_tool(other, &dir, &dir, &dir, "out", true);
            assert_refused(&o, &format!("holds overparam '{kind}' output"), &dir, other);
            assert!(dir.join("out/.overparam").exists());
            assert_eq!(
                std::fs::read_to_string(dir.join("out/.overparam")).unwrap(),
                marker
            );
        }
    }
}

#[test]
fn default_locations_are_replaced_only_when_they_hold_the_same_kind() {
    let dir = scratch_with_canary("default");
    for (tool, default) in [
        ("run", "reports/latest"),
        ("teacher-student", "reports/teacher-student"),
    ] {
        let mut args = tool_args(tool, &dir, "unused");
        args.truncate(args.len() - 2);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        for _ in 0..2 {
            let o = overparam_in(&dir, &dir, &args);
            assert_eq!(o.status.code(), Some(0), "{tool}: {}", stderr(&o));
            assert!(dir.join(default).join(".overparam").is_file());
        }
        // the user's own directory at the default location is kept
        let target = dir.join(default);
        std::fs::remove_dir_all(&target).unwrap();
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join(CANARY), "precious").unwrap();
        let o = overparam_in(&dir, &dir, &args);
        assert_refused(&o, "overparam did not write it", &target, tool);
        assert_eq!(entries(&target), [CANARY]);
        assert_eq!(
            entries(&dir.join("reports")).len(),
            1 + usize::from(tool != "run")
        );
    }
}

#[test]
fn a_symbolic_link_is_never_replaced() {
    let dir = scratch_with_canary("link");
    let o = run_tool("run", &dir, &dir, &dir, "real", false);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::os::unix::fs::symlink(dir.join("real"), dir.join("link")).unwrap();
    let before = entries(&dir.join("real"));
    let o = run_tool("run", &dir, &dir, &dir, "link", true);
    assert_refused(&o, "is a symbolic link", &dir, "link");
    assert_eq!(entries(&dir.join("real")), before);
    assert!(
        std::fs::symlink_metadata(dir.join("link"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// `--out np1/a/b/out` used to leave `np1/a/b` behind when a later step failed: the parents
/// prepare created are removed when the output is abandoned.
#[test]
fn missing_parents_are_removed_again_when_the_output_is_abandoned() {
    let dir = scratch_with_canary("parents");
    // gradient descent diverges after the output was prepared: exit 1, nothing left
    let args = [
        "teacher-student",
        "--teacher",
        "teacher.csv",
        "--student",
        "student.csv",
        "--lr",
        "1000",
        "--steps",
        "100000",
        "--out",
        "np1/a/b/out",
    ];
    let o = overparam_in(&dir, &dir, &args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("diverged"), "{}", stderr(&o));
    assert_eq!(entries(&dir), INPUTS, "parents left behind");

    // a refusal after the output location was checked: exit 2, nothing left
    let o = overparam_in(
        &dir,
        &dir,
        &[
            "hessian",
            "--weights",
            "weights.csv",
            "--memory-limit-gib",
            "1e-12",
            "--out",
            "np1/a/b/out",
        ],
    );
    assert_refused(&o, "memory", &dir, "memory limit");
    assert_eq!(entries(&dir), INPUTS, "parents left behind");

    // a parent that existed before is kept; only what was created goes
    std::fs::create_dir(dir.join("np1")).unwrap();
    let o = overparam_in(&dir, &dir, &args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(entries(&dir.join("np1")), Vec::<String>::new());
}

/// A staging directory of a process that is gone (killed with SIGKILL) is removed by the next run
/// beside the same target, but only when it carries the marker of the same kind; a live
/// process's staging directory and anything unmarked are left alone.
#[test]
fn stale_staging_directories_of_dead_processes_are_removed() {
    let dir = scratch_with_canary("stale");
    let run_marker = format!(
        "{{\"tool\":\"overparam\",\"kind\":\"run\",\"format\":1,\"version\":\"{}\"}}\n",
        env!("CARGO_PKG_VERSION")
    );
    let hessian_marker = run_marker.replace("\"run\"", "\"hessian\"");
    // above Linux's largest pid_max (2^22), so never a live process
    let dead = 4_194_309u32;
    let live = std::process::id(); // the test process: overparam's parent
    let make = |name: &str, marker: Option<&str>| {
        let d = dir.join(name);
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("half-written.csv"), "1,2\n").unwrap();
        if let Some(m) = marker {
            std::fs::write(d.join(".overparam"), m).unwrap();
        }
    };
    make(&format!(".out.partial-{dead}"), Some(&run_marker));
    make(&format!(".out.old-{}", dead + 1), Some(&run_marker));
    make(&format!(".out.partial-{live}"), Some(&run_marker));
    make(&format!(".out.partial-{}", dead + 2), None);
    make(&format!(".out.partial-{}", dead + 3), Some(&hessian_marker));
    make(&format!(".other.partial-{}", dead + 4), Some(&run_marker));
    make(&format!(".out.partial-{dead}x"), Some(&run_marker));

    let o = run_tool("run", &dir, &dir, &dir, "out", false);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut expected: Vec<String> = [
        format!(".other.partial-{}", dead + 4),
        format!(".out.partial-{}", dead + 2),
        format!(".out.partial-{}", dead + 3),
        format!(".out.partial-{dead}x"),
        format!(".out.partial-{live}"),
        "out".to_owned(),
    ]
    .into_iter()
    .chain(INPUTS.map(str::to_owned))
    .collect();
    expected.sort();
    assert_eq!(entries(&dir), expected);
}

/// SIGTERM and SIGINT during `run --all`: the staging directory is removed and the exit status
/// is 128 + the signal.
#[test]
fn a_signal_mid_run_removes_the_staging_directory() {
    for (signal, status) in [("TERM", 143), ("INT", 130)] {
        let dir = scratch_with_canary("signal");
        let mut child = Command::new(env!("CARGO_BIN_EXE_overparam"))
            .args(["run", "--all", "--quiet", "--out", "np/out"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let staging = dir.join(format!("np/.out.partial-{}", child.id()));
        let start = Instant::now();
        while !staging.join(".overparam").exists() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no staging directory appeared"
            );
            assert!(child.try_wait().unwrap().is_none(), "finished too early");
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(300));
        assert!(child.try_wait().unwrap().is_none(), "finished too early");
        let killed = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let start = Instant::now();
        let exit = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("SIG{signal}: still running after 60 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(exit.code(), Some(status), "SIG{signal}: {exit:?}");
        assert_eq!(entries(&dir), INPUTS, "SIG{signal}: left behind");
    }
}

#[test]
fn spline_replaces_only_its_own_output_file_and_only_with_force() {
    let dir = scratch_with_canary("spline");
    std::fs::write(dir.join("points.csv"), "x,y\n0,0\n1,1\n2,0\n3,1\n").unwrap();
    let spline = |out: &str, force: bool| {
        let mut args = vec![
            "spline",
            "--data",
            "points.csv",
            "--lambda",
            "0.1",
            "--out",
            out,
        ];
        if force {
            args.push("--force");
        }
        overparam_in(&dir, &dir, &args)
    };
    // a file of the user's is kept, with or without --force
    for force in [false, true] {
        let o = spline(CANARY, force);
        assert_refused(&o, CANARY, &dir, "canary as --out");
    }
    assert!(stderr(&spline(CANARY, true)).contains("never replaced, even with --force"));
    // a directory is never an output file
    std::fs::create_dir(dir.join("d")).unwrap();
    let o = spline("d", true);
    assert_refused(&o, "is a directory", &dir, "directory as --out");

    let o = spline("curve.csv", false);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let first = std::fs::read_to_string(dir.join("curve.csv")).unwrap();
    assert!(first.starts_with("x,f,df,d2f\n"));
    let o = spline("curve.csv", false);
    assert_refused(&o, "pass --force to replace it", &dir, "existing curve");
    std::fs::write(dir.join("curve.csv"), "x,f,df,d2f\nmarked by the user\n").unwrap();
    let o = spline("curve.csv", true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("curve.csv")).unwrap(),
        first
    );
    // a header that only starts like ours is not ours
    std::fs::write(dir.join("near.csv"), "x,f,df,d2f,notes\n1,2,3,4,5\n").unwrap();
    let o = spline("near.csv", true);
    assert_refused(
        &o,
        "does not start with the header line",
        &dir,
        "near header",
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("near.csv")).unwrap(),
        "x,f,df,d2f,notes\n1,2,3,4,5\n"
    );
    let mut expected: Vec<&str> = INPUTS.to_vec();
    expected.extend(["curve.csv", "d", "near.csv", "points.csv"]);
    expected.sort();
    assert_eq!(entries(&dir), expected, "temporary files left behind");
}
