//! `overparam teacher-student` as a user meets it: a run on a small teacher-student pair, the
//! files it writes, and refusal of malformed or inconsistent input with exit status 2 and nothing
//! written.

#[path = "common/mod.rs"]
mod common;
use common::*;

use overparam_kernel::{PopulationLoss, TwoLayerNet};

/// Teacher: two orthonormal unit neurons in d = 3 with a* = 1. Student: four neurons, two near
/// each teacher direction, balanced, masses 0.6 + 0.4 per teacher.
const TEACHER: &str = "1,1,0,0\n1,0,1,0\n";
const STUDENT: &str = "# a, w\n\
0.7746,0.7740,0.0300,0.0000\n\
0.6325,0.6320,-0.0200,0.0100\n\
0.7746,0.0200,0.7740,0.0000\n\
0.6325,-0.0300,0.6320,0.0100\n";

fn write_inputs(dir: &Path, teacher: &str, student: &str) -> (PathBuf, PathBuf) {
    let (t, s) = (dir.join("teacher.csv"), dir.join("student.csv"));
    std::fs::write(&t, teacher).unwrap();
    std::fs::write(&s, student).unwrap();
    (t, s)
}

#[test]
fn trains_the_student_and_writes_trajectory_neurons_and_manifest() {
    let dir = scratch("ok");
    let (t, s) = write_inputs(&dir, TEACHER, STUDENT);
    let out = dir.join("out");
    let o = overparam(&[
        "teacher-student",
        "--teacher",
        t.to_str().unwrap(),
        "--student",
        s.to_str().unwrap(),
        "--steps",
        "20000",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        entries(&out),
        [
            ".overparam",
            "manifest.json",
            "neurons.csv",
            "trajectory.csv"
        ]
    );

    let (header, rows) = read_csv(&out.join("trajectory.csv"));
    assert_eq!(header, ["step", "loss", "grad_norm"]);
    let steps: Vec<u64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(steps.first(), Some(&0));
    assert_eq!(steps.last(), Some(&20000));
    assert!(steps.windows(2).all(|w| w[0] < w[1]));
    let losses: Vec<f64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    assert!(losses.windows(2).all(|w| w[1] <= w[0]), "loss increased");
    assert!(
        *losses.last().unwrap() < 1e-3 * losses[0],
        "did not converge: {losses:?}"
    );

    // the recorded initial loss is the closed-form loss of the input student
    let teacher =
        TwoLayerNet::new(vec![1.0, 1.0], &[vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 0.0]]).unwrap();
    let student = TwoLayerNet::new(
        vec![0.7746, 0.6325, 0.7746, 0.6325],
        &[
            vec![0.7740, 0.0300, 0.0],
            vec![0.6320, -0.0200, 0.0100],
            vec![0.0200, 0.7740, 0.0],
            vec![-0.0300, 0.6320, 0.0100],
        ],
    )
    .unwrap();
    let l0 = PopulationLoss::new(teacher).loss(&student).unwrap();
    assert_eq!(losses[0], l0);

    let (header, rows) = read_csv(&out.join("neurons.csv"));
    assert_eq!(
        header,
        [
            "neuron",
            "a",
            "w_norm",
            "nearest_teacher",
            "angle",
            "contribution"
        ]
    );
    assert_eq!(rows.len(), 4);
    let nearest: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(nearest, ["0", "0", "1", "1"]);
    for r in &rows {
        let angle: f64 = r[4].parse().unwrap();
        assert!(angle < 0.05, "neuron {} at angle {angle}", r[0]);
    }

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["steps"], 20000);
    assert_eq!(manifest["lr"], 0.05);
    let masses = manifest["cluster_masses"].as_array().unwrap();
    for m in masses {
        assert!((m.as_f64().unwrap() - 1.0).abs() < 1e-2, "{masses:?}");
    }

    // A second run into the same directory needs --force, and then replaces the first in place.
    let again = |force: bool| {
        let mut args = vec![
            "teacher-student",
            "--teacher",
            t.to_str().unwrap(),
            "--student",
            s.to_str().unwrap(),
            "--steps",
            "10",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ];
        if force {
            args.push("--force");
        }
        overparam(&args)
    };
    let o = again(false);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"));
    let o = again(true);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let (_, rows) = read_csv(&out.join("trajectory.csv"));
    assert_eq!(rows.last().unwrap()[0], "10");
    assert_eq!(
        entries(&dir),
        ["out", "student.csv", "teacher.csv"],
        "no staging directory left behind"
    );
}

/// Each malformed or inconsistent input is refused with exit status 2, a message naming the
/// problem, and nothing written.
#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let cases: [(&str, &str, &str, &[&str], &str); 11] = [
        ("empty teacher", "", STUDENT, &[], "no data rows"),
        (
            "ragged student",
            TEACHER,
            "1,1,0,0\n1,0,1\n",
            &[],
            "line 2 has 3 values, expected 4",
        ),
        ("NaN", TEACHER, "1,NaN,0,0\n", &[], "not a finite number"),
        ("text", "1,1,0,zero\n", STUDENT, &[], "is not a number"),
        (
            "one column",
            "1\n2\n",
            STUDENT,
            &[],
            "each row needs at least 2 numbers",
        ),
        (
            "mismatched d",
            TEACHER,
            "1,1,0\n1,0,1\n",
            &[],
            "both must have the same d",
        ),
        ("zero steps", TEACHER, STUDENT, &["--steps", "0"], "--steps"),
        (
            "negative steps",
            TEACHER,
            STUDENT,
            &["--steps=-5"],
            "--steps",
        ),
        ("zero lr", TEACHER, STUDENT, &["--lr", "0"], "--lr"),
        ("NaN lr", TEACHER, STUDENT, &["--lr", "NaN"], "--lr"),
        ("infinite lr", TEACHER, STUDENT, &["--lr", "inf"], "--lr"),
    ];
    for (name, teacher, student, extra, needle) in cases {
        let dir = scratch("bad");
        let (t, s) = write_inputs(&dir, teacher, student);
        let out = dir.join("out");
        let mut args = vec![
            "teacher-student",
            "--teacher",
            t.to_str().unwrap(),
            "--student",
            s.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        if !extra.iter().any(|a| a.starts_with("--steps")) {
            args.extend(["--steps", "100"]);
        }
        args.extend(extra.iter().copied());
        let o = overparam(&args);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{name}: {}", stderr(&o));
        assert_eq!(
            entries(&dir),
            ["student.csv", "teacher.csv"],
            "{name}: something was written"
        );
    }

    // a missing file and missing arguments
    let dir = scratch("missing");
    let o = overparam(&[
        "teacher-student",
        "--teacher",
        dir.join("nope.csv").to_str().unwrap(),
        "--student",
        dir.join("nope.csv").to_str().unwrap(),
        "--steps",
        "10",
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read"), "{}", stderr(&o));
    let o = overparam(&["teacher-student", "--steps", "10"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(entries(&dir).is_empty());
}

/// A step size far beyond the curvature makes the iterates blow up: exit 1, nothing written.
#[test]
fn divergence_exits_1_and_writes_nothing() {
    let dir = scratch("diverge");
    let (t, s) = write_inputs(&dir, TEACHER, STUDENT);
    let o = overparam(&[
        "teacher-student",
        "--teacher",
        t.to_str().unwrap(),
        "--student",
        s.to_str().unwrap(),
        "--steps",
        "100000",
        "--lr",
        "1000",
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("diverged"), "{}", stderr(&o));
    assert_eq!(entries(&dir), ["student.csv", "teacher.csv"]);
}

#[test]
fn help_documents_the_csv_format() {
    let o = overparam(&["teacher-student", "--help"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "one row per",
        "no header",
        "a_i, w_i1, ..., w_id",
        "trajectory.csv",
        "neurons.csv",
        "Exit status",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

/// Runs teacher-student on the standard inputs with extra arguments, in `dir`'s `out`.
fn teacher_student_with(dir: &Path, extra: &[&str]) -> Output {
    let (t, s) = write_inputs(dir, TEACHER, STUDENT);
    let out = dir.join("out");
    let mut args = vec![
        "teacher-student",
        "--teacher",
        t.to_str().unwrap(),
        "--student",
        s.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    overparam(&args)
}

#[test]
fn a_huge_points_per_decade_is_refused_at_once() {
    // 4e9 points per decade wrapped log_grid's u32 exponent: the run never ended.
    let dir = scratch("ppd");
    let start = std::time::Instant::now();
    let o = teacher_student_with(
        &dir,
        &["--steps", "10", "--points-per-decade", "4000000000"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("1..=1000"), "{}", stderr(&o));
    assert!(start.elapsed().as_secs() < 5, "took {:?}", start.elapsed());
    assert_eq!(entries(&dir), ["student.csv", "teacher.csv"]);
    // the documented maximum itself is accepted
    let o = teacher_student_with(&dir, &["--steps", "10", "--points-per-decade", "1000"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn negative_numbers_reach_the_domain_checks() {
    for (flag, value, needle) in [
        (
            "--lr",
            "-1",
            "--lr must be a positive finite step size, got -1",
        ),
        (
            "--steps",
            "-5",
            "--steps must be a positive number of gradient steps, got -5",
        ),
    ] {
        let dir = scratch("negative");
        let steps: &[&str] = if flag == "--steps" {
            &[]
        } else {
            &["--steps", "10"]
        };
        let mut extra = steps.to_vec();
        extra.extend([flag, value]);
        let o = teacher_student_with(&dir, &extra);
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{flag}: {}", stderr(&o));
        assert!(
            !stderr(&o).contains("unexpected argument"),
            "{}",
            stderr(&o)
        );
        assert_eq!(entries(&dir), ["student.csv", "teacher.csv"]);
    }
}

#[test]
fn an_overflowing_student_is_bad_input_naming_its_line() {
    // a = 1e308 made the first loss infinite: reported as "diverged after 0 steps", exit 1.
    let dir = scratch("huge-a");
    let (t, s) = write_inputs(&dir, TEACHER, "# a, w\n0.5,1,0,0\n1e308,0,1,0\n");
    let out = dir.join("out");
    let o = overparam(&[
        "teacher-student",
        "--teacher",
        t.to_str().unwrap(),
        "--student",
        s.to_str().unwrap(),
        "--steps",
        "10",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("too large for f64"), "{e}");
    assert!(
        e.contains("student.csv line 3") && e.contains("a = 1e308"),
        "{e}"
    );
    assert!(!e.contains("diverged"), "{e}");
    assert_eq!(entries(&dir), ["student.csv", "teacher.csv"]);
}

#[cfg(unix)]
#[test]
fn devices_and_directories_are_refused_as_inputs() {
    let dir = scratch("devices");
    let (t, _) = write_inputs(&dir, TEACHER, STUDENT);
    for (student, needle) in [
        ("/dev/zero", "is a character device"),
        (dir.to_str().unwrap(), "is a directory"),
    ] {
        let start = std::time::Instant::now();
        let o = overparam(&[
            "teacher-student",
            "--teacher",
            t.to_str().unwrap(),
            "--student",
            student,
            "--steps",
            "10",
            "--out",
            dir.join("out").to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{student}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{student}: {}", stderr(&o));
        assert!(start.elapsed().as_secs() < 5);
        assert_eq!(entries(&dir), ["student.csv", "teacher.csv"]);
    }
}

/// Runs teacher-student with `stdin` piped in and the given --teacher/--student paths.
fn teacher_student_stdin(
    dir: &Path,
    teacher: &str,
    student: &str,
    stdin: &[u8],
    extra: &[&str],
) -> Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_overparam"))
        .args([
            "teacher-student",
            "--teacher",
            teacher,
            "--student",
            student,
            "--steps",
            "5",
        ])
        .args(["--out", dir.join("out").to_str().unwrap()])
        .args(extra)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    // The tool may refuse before reading everything: a broken pipe is expected then.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

#[test]
fn stdin_is_read_once_and_under_the_size_cap() {
    let dir = scratch("stdin");
    let (t, s) = write_inputs(&dir, TEACHER, STUDENT);
    let (t, s) = (t.to_str().unwrap(), s.to_str().unwrap());
    let o = teacher_student_stdin(&dir, t, "-", STUDENT.as_bytes(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::remove_dir_all(dir.join("out")).unwrap();

    let o = teacher_student_stdin(&dir, "-", "-", STUDENT.as_bytes(), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("can be read only once"),
        "{}",
        stderr(&o)
    );

    // A stream has no size to check up front: the cap must hold while reading.
    let mut endless = STUDENT.as_bytes().to_vec();
    endless.resize(3 << 20, b'\n');
    let o = teacher_student_stdin(&dir, t, "-", &endless, &["--max-input-mib", "1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("more than the limit of 1 MiB"),
        "{}",
        stderr(&o)
    );

    // and a regular file larger than the cap is refused before it is read
    let big = dir.join("big.csv");
    std::fs::write(&big, &endless).unwrap();
    let o = teacher_student_stdin(
        &dir,
        t,
        big.to_str().unwrap(),
        b"",
        &["--max-input-mib", "1"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("3145728 bytes, more than the limit of 1 MiB"),
        "{}",
        stderr(&o)
    );
    let _ = s;
    assert_eq!(entries(&dir), ["big.csv", "student.csv", "teacher.csv"]);
}
