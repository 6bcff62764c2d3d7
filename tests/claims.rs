//! The claims suite and the reports, on one pair of quick-profile runs shared by the whole
//! binary.
//!
//! The claims suite: every registered claim at the quick profile must pass, each of its negative
//! controls must fail, and the criteria and controls a run produces must be exactly the ones its
//! `ClaimInfo` declares. The checks are data: they read the specs, so a new claim is covered by
//! `every_registered_claim_passes_as_declared` without a line here. `claims/<paper>.rs` hold the
//! evidence shapes and control reasons; `claims/report.rs` the report tests (determinism across
//! thread counts, the HTML report in a browser, the regression diff).
//!
//! Determinism is a property of one sequential and one parallel execution, so the suite computes
//! the quick profile exactly twice:
//! - **sequential**: every claim in this process, each on its own one-thread rayon pool, as many
//!   claims at a time as the machine has cores. The claims tests read these outcomes, and the
//!   run directory written from them (by the code `overparam run` uses) is one side of the
//!   byte-for-byte comparison;
//! - **parallel**: `overparam run --all` on the real binary with four threads (more workers than
//!   a 2-core machine has cores, so cells are also preempted and stolen mid-run), started once the
//!   sequential side is done so that the two do not compete for the cores. The report tests read
//!   it.
//!
//! Any dependence of the evidence on the thread count, on the order in which cells finish, on the
//! other claims of the process or on the code path (library call or binary) shows between them.

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use overparam_checks::{
    ClaimInfo, CriterionKind, NoProgress, Outcome, Profile, RunContext, Table, Value, Verdict,
    all_claims, catching_panics, find_claim,
};
use overparam_report::{ClaimRun, Manifest, OutputDir, OutputKind, write_run};

/// A numeric cell of an evidence table, NaN where it is not a number.
pub(crate) fn field(t: &Table, row: &[Value], column: &str) -> f64 {
    row[t.column(column).unwrap()].as_f64().unwrap_or(f64::NAN)
}

/// The mean of `quantity` for `run` in a claim's `intervals` table (the su2019 claims').
pub(crate) fn interval_mean(o: &Outcome, run: &str, quantity: &str) -> f64 {
    let (t, row) = run_quantity_row(o, "intervals", run, quantity);
    field(t, row, "mean")
}

/// The row of table `name` whose `run` and `quantity` columns read `run` and `quantity`.
pub(crate) fn run_quantity_row<'a>(
    o: &'a Outcome,
    name: &str,
    run: &str,
    quantity: &str,
) -> (&'a Table, &'a [Value]) {
    let t = o.table(name).unwrap_or_else(|| panic!("{name} table"));
    let row = t
        .rows
        .iter()
        .find(|r| {
            r[t.column("run").unwrap()].to_csv_field() == run
                && r[t.column("quantity").unwrap()].to_csv_field() == quantity
        })
        .unwrap_or_else(|| panic!("{run} {quantity}"));
    (t, row)
}

/// The thread counts of the two runs: sequential, and more workers than cores.
pub(crate) const SEQUENTIAL: usize = 1;
pub(crate) const PARALLEL: usize = 4;

/// The scratch directory of this binary's two runs.
fn scratch_root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("overparam-claims-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

/// The sequential run: every claim's outcome at the quick profile and master seed 0, computed
/// once for the whole binary, and the run directory written from them.
pub(crate) struct SequentialRun {
    pub runs: Vec<ClaimRun>,
    pub dir: PathBuf,
}

/// Runs one claim on a one-thread pool of its own, a panic recorded as the claim's error (as
/// `overparam run` records it).
fn run_alone(pool: &rayon::ThreadPool, info: ClaimInfo) -> ClaimRun {
    let claim = find_claim(info.id).expect("registered");
    let ctx = RunContext {
        profile: Profile::Quick,
        master_seed: 0,
        progress: &NoProgress,
    };
    let start = Instant::now();
    let result = pool.install(|| catching_panics(|| claim.run(&ctx)));
    ClaimRun {
        info,
        result,
        wall_time_s: start.elapsed().as_secs_f64(),
    }
}

/// The order in which the sequential side takes the claims: longest first by the wall times in
/// the committed baseline's manifest (claims it lacks first of all), so that the lanes finish
/// together. Only the schedule depends on it, never the evidence.
fn longest_first(infos: &[ClaimInfo]) -> Vec<usize> {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../reports/baseline/manifest.json");
    let times: serde_json::Value = std::fs::read_to_string(manifest)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let time = |id: &str| {
        times["claims"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["id"] == id)
            .and_then(|c| c["wall_time_s"].as_f64())
            .unwrap_or(f64::INFINITY)
    };
    let mut order: Vec<usize> = (0..infos.len()).collect();
    order.sort_by(|&a, &b| time(infos[b].id).total_cmp(&time(infos[a].id)));
    order
}

pub(crate) fn sequential() -> &'static SequentialRun {
    static RUN: OnceLock<SequentialRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let infos: Vec<ClaimInfo> = all_claims().iter().map(|c| c.info()).collect();
        let order = longest_first(&infos);
        let next = Mutex::new(0usize);
        let done: Mutex<Vec<Option<ClaimRun>>> = Mutex::new(infos.iter().map(|_| None).collect());
        let lanes = std::thread::available_parallelism().map_or(2, |n| n.get());
        std::thread::scope(|scope| {
            for _ in 0..lanes {
                scope.spawn(|| {
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(SEQUENTIAL)
                        .build()
                        .expect("a one-thread pool");
                    loop {
                        let i = {
                            let mut next = next.lock().unwrap();
                            let i = *next;
                            *next += 1;
                            i
                        };
                        let Some(&i) = order.get(i) else { break };
                        let info = &infos[i];
                        let run = run_alone(&pool, info.clone());
                        done.lock().unwrap()[i] = Some(run);
                    }
                });
            }
        });
        let runs: Vec<ClaimRun> = done
            .into_inner()
            .unwrap()
            .into_iter()
            .map(|r| r.expect("every claim ran"))
            .collect();
        let dir = scratch_root().join(format!("threads-{SEQUENTIAL}"));
        let out = OutputDir::prepare(&dir, OutputKind::Run, false).expect("stage the run");
        let manifest = Manifest::new(
            Profile::Quick.name(),
            0,
            overparam_checks::SEED_RULE,
            SEQUENTIAL,
        );
        write_run(out, &manifest, &runs).expect("write the sequential run");
        SequentialRun { runs, dir }
    })
}

/// The parallel run: `overparam run --all` with [`PARALLEL`] threads, after the sequential one.
pub(crate) fn parallel() -> &'static PathBuf {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        sequential();
        let dir = scratch_root().join(format!("threads-{PARALLEL}"));
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_overparam"))
            .args(["run", "--all", "--quiet", "--out", dir.to_str().unwrap()])
            .env("RAYON_NUM_THREADS", PARALLEL.to_string())
            .output()
            .expect("start overparam");
        assert_eq!(
            o.status.code(),
            Some(0),
            "quick profile with {PARALLEL} threads: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        dir
    })
}

/// A claim's outcome in the sequential run.
pub(crate) fn outcome(id: &str) -> Outcome {
    let run = sequential()
        .runs
        .iter()
        .find(|r| r.info.id == id)
        .unwrap_or_else(|| panic!("claim {id} is not registered"));
    match &run.result {
        Ok(o) => o.clone(),
        Err(e) => panic!("{id} could not be evaluated: {e}"),
    }
}

pub(crate) fn assert_claim_passes(id: &str) {
    let o = outcome(id);
    for c in &o.criteria {
        assert!(
            c.holds,
            "{id}: criterion {} fails: {} ({})",
            c.name,
            c.comparison(),
            c.detail
        );
    }
    assert!(!o.controls.is_empty(), "{id} has no negative control");
    assert_eq!(o.verdict(), Verdict::Pass, "{id}");
}

pub(crate) fn assert_control_fails(id: &str, control: &str) {
    let o = outcome(id);
    let c = o
        .controls
        .iter()
        .find(|c| c.name == control)
        .unwrap_or_else(|| panic!("{id} has no control named {control}"));
    assert!(
        c.failed_as_expected && !c.criterion.holds,
        "{id}: control {control} passed its criterion {}: {}",
        c.criterion.name,
        c.criterion.comparison()
    );
}

/// The outcome's criteria and controls carry the declared names, in the declared order, and
/// each criterion the declared kind; a criterion whose spec types its threshold (every rule but
/// `Computed` and `Undeclared`) carries that comparator and threshold, bit for bit: what
/// `overparam show` prints is what the run measures. A claim has at least one evidence criterion.
pub(crate) fn assert_names_match_specs(id: &str) {
    let info = find_claim(id).expect("registered").info();
    let o = outcome(id);
    let declared: Vec<&str> = info.criteria.iter().map(|s| s.name).collect();
    let measured: Vec<&str> = o.criteria.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(measured, declared, "{id}: criteria measured vs declared");
    let declared: Vec<&str> = info.controls.iter().map(|s| s.name).collect();
    let evaluated: Vec<&str> = o.controls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(evaluated, declared, "{id}: controls evaluated vs declared");
    assert!(
        info.criteria
            .iter()
            .any(|s| s.kind == CriterionKind::Evidence),
        "{id}: no evidence criterion (every claim needs one an independent re-implementation \
         would test the same way)"
    );
    for (spec, c) in info.criteria.iter().zip(&o.criteria) {
        assert_eq!(
            c.kind, spec.kind,
            "{id}: criterion {} is declared {:?} but measured as {:?} (build it with the \
             spec's check)",
            spec.name, spec.kind, c.kind
        );
        if let Some((comparator, threshold)) = spec.rule.fixed() {
            assert!(
                c.comparator == comparator && c.threshold.to_bits() == threshold.to_bits(),
                "{id}: criterion {} declares `{}` but the run compared {} {} {}",
                spec.name,
                spec.rule,
                c.measured,
                c.comparator,
                c.threshold
            );
        }
    }
}

/// The robust-verdicts design is complete: the false-failure rate is declared and at most
/// `MAX_FALSE_FAILURE_RATE`, every criterion's rule is declared, there is an evidence criterion
/// and a control (`ClaimInfo::design_problems`).
pub(crate) fn assert_design_declared(id: &str) {
    assert_design_complete(&find_claim(id).expect("registered").info());
}

fn assert_design_complete(info: &ClaimInfo) {
    let problems = info.design_problems();
    assert!(
        problems.is_empty(),
        "{}: design incomplete: {}",
        info.id,
        problems.join("; ")
    );
}

/// Every declared control fails; all that do not are named at once.
pub(crate) fn assert_every_declared_control_fails(id: &str) {
    let info = find_claim(id).expect("registered").info();
    let o = outcome(id);
    let passed: Vec<String> = info
        .controls
        .iter()
        .filter_map(|spec| {
            let c = o.controls.iter().find(|c| c.name == spec.name)?;
            (!c.failed_as_expected || c.criterion.holds)
                .then(|| format!("{} ({})", spec.name, c.criterion.comparison()))
        })
        .collect();
    assert!(
        passed.is_empty(),
        "{id}: controls that did not fail: {passed:?}"
    );
}

/// Every interval criterion of the claim's run, criteria and controls (and every one named in
/// `ends`: one-sided tests on an interval's end), records its interval's confidence level, and
/// that level is one of `levels` (the levels the claim's docs state).
pub(crate) fn assert_interval_levels(id: &str, levels: &[f64], ends: &[&str]) {
    let o = outcome(id);
    let wrong: Vec<String> = o
        .criteria
        .iter()
        .chain(o.controls.iter().map(|c| &c.criterion))
        .filter(|c| {
            matches!(
                c.comparator,
                overparam_checks::Comparator::IntervalWithin { .. }
            ) || ends.contains(&c.name.as_str())
        })
        .filter(|c| !c.level.is_some_and(|l| levels.contains(&l)))
        .map(|c| format!("{} (level {:?})", c.name, c.level))
        .collect();
    assert!(
        wrong.is_empty(),
        "{id}: intervals without one of the levels {levels:?}: {wrong:?}"
    );
}

/// The tests every claim gets, from its id alone: it passes, its criteria and controls are the
/// declared ones, each declared control fails, and its design (false-failure rate, rules) is
/// declared.
macro_rules! claim_tests {
    ($id:expr) => {
        #[test]
        fn passes() {
            crate::assert_claim_passes($id);
        }

        #[test]
        fn criteria_and_controls_are_the_declared_ones() {
            crate::assert_names_match_specs($id);
        }

        #[test]
        fn every_declared_control_fails() {
            crate::assert_every_declared_control_fails($id);
        }

        #[test]
        fn design_is_declared() {
            crate::assert_design_declared($id);
        }
    };
}

#[test]
fn every_registered_claim_passes_as_declared() {
    for claim in all_claims() {
        let id = claim.info().id;
        assert_claim_passes(id);
        assert_names_match_specs(id);
        assert_every_declared_control_fails(id);
        assert_design_declared(id);
    }
}

#[test]
fn design_check_accepts_a_complete_synthetic_design_and_names_what_is_missing() {
    use overparam_checks::{ControlSpec, CriterionSpec, FalseFailure};
    const SLOPE: CriterionSpec =
        CriterionSpec::evidence("slope", "99.5% t-interval").interval_within(-1.2, -0.8);
    const RESIDUAL: CriterionSpec =
        CriterionSpec::sanity("residual", "backward error").at_most(1e-12);
    const OPEN: CriterionSpec = CriterionSpec::sanity("open", "no rule yet");
    const CONTROLS: &[ControlSpec] = &[ControlSpec::new("broken", "the slope must fail")];
    let info = |criteria: &'static [CriterionSpec], false_failure| ClaimInfo {
        id: "toy2024.synthetic",
        paper: "",
        summary: "",
        statement: "",
        assumptions: &[],
        criteria,
        controls: CONTROLS,
        provenance: "",
        runtime: "",
        false_failure,
    };
    let design = FalseFailure::independent(1, 0.005, "one 99.5% interval");
    assert_design_complete(&info(&[SLOPE, RESIDUAL], design));
    for (criteria, false_failure, missing) in [
        (
            &[SLOPE, OPEN][..],
            design,
            "criterion open has no declared rule",
        ),
        (&[SLOPE][..], FalseFailure::UNDECLARED, "not declared"),
        (
            &[SLOPE][..],
            FalseFailure::independent(2, 0.05, "two 95% tests"),
            "above 0.01",
        ),
        (&[RESIDUAL][..], design, "no evidence criterion"),
    ] {
        let criteria: &'static [CriterionSpec] = Box::leak(criteria.to_vec().into_boxed_slice());
        let info = info(criteria, false_failure);
        let err = std::panic::catch_unwind(|| assert_design_complete(&info)).unwrap_err();
        let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.contains(missing), "{message}");
    }
}

// One module per paper, in claims/: the claim_tests! per claim and the evidence-shape tests.
#[path = "claims/allen_zhu_li_song.rs"]
mod allen_zhu_li_song;
#[path = "claims/arjevani_field.rs"]
mod arjevani_field;
#[path = "claims/certified_minima.rs"]
mod certified_minima;
#[path = "claims/heiss_teichmann_wutte.rs"]
mod heiss_teichmann_wutte;
#[path = "claims/liu_belkin.rs"]
mod liu_belkin;
#[path = "claims/safran_shamir.rs"]
mod safran_shamir;
#[path = "claims/song_et_al.rs"]
mod song_et_al;
#[path = "claims/su_yang.rs"]
mod su_yang;
#[path = "claims/su_yang_risk_floor.rs"]
mod su_yang_risk_floor;
#[path = "claims/su_yang_width.rs"]
mod su_yang_width;
#[path = "claims/vempala_wilmes.rs"]
mod vempala_wilmes;
#[path = "claims/zhou_ge_jin.rs"]
mod zhou_ge_jin;

#[path = "claims/telgarsky.rs"]
mod telgarsky;

// Determinism across thread counts, the HTML report and the regression diff, on the two runs.
#[path = "claims/report.rs"]
mod report;
