//! The claims suite: every registered claim at the quick profile must pass, each of its
//! negative controls must fail, and the criteria and controls a run produces must be exactly the
//! ones its `ClaimInfo` declares. The checks are data: they read the specs, so a new claim is
//! covered by `every_registered_claim_passes_as_declared` without a line here.
//!
//! These tests need no binary, so they belong to the crate they test; the CLI and report suites
//! stay in /tests.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use overparam_checks::{NoProgress, Outcome, Profile, RunContext, Verdict, all_claims, find_claim};

/// Each claim runs once per test binary; the tests below read its outcome.
pub(crate) fn outcome(id: &str) -> Outcome {
    static CACHE: OnceLock<Mutex<HashMap<String, Outcome>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(o) = cache.lock().unwrap().get(id) {
        return o.clone();
    }
    let claim = find_claim(id).unwrap_or_else(|| panic!("claim {id} is not registered"));
    let ctx = RunContext {
        profile: Profile::Quick,
        master_seed: 0,
        progress: &NoProgress,
    };
    let o = claim
        .run(&ctx)
        .unwrap_or_else(|e| panic!("{id} could not be evaluated: {e}"));
    cache.lock().unwrap().insert(id.to_owned(), o.clone());
    o
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

/// The outcome's criteria and controls carry the declared names, in the declared order: what
/// `overparam show` prints is what the run measures.
pub(crate) fn assert_names_match_specs(id: &str) {
    let info = find_claim(id).expect("registered").info();
    let o = outcome(id);
    let declared: Vec<&str> = info.criteria.iter().map(|s| s.name).collect();
    let measured: Vec<&str> = o.criteria.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(measured, declared, "{id}: criteria measured vs declared");
    let declared: Vec<&str> = info.controls.iter().map(|s| s.name).collect();
    let evaluated: Vec<&str> = o.controls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(evaluated, declared, "{id}: controls evaluated vs declared");
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

/// The tests every claim gets, from its id alone: it passes, its criteria and controls are the
/// declared ones, and each declared control fails.
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
    };
}

#[test]
fn every_registered_claim_passes_as_declared() {
    for claim in all_claims() {
        let id = claim.info().id;
        assert_claim_passes(id);
        assert_names_match_specs(id);
        assert_every_declared_control_fails(id);
    }
}

// One module per paper, in claims/: the claim_tests! per claim and the evidence-shape tests.
#[path = "claims/allen_zhu_li_song.rs"]
mod allen_zhu_li_song;
#[path = "claims/arjevani_field.rs"]
mod arjevani_field;
#[path = "claims/heiss_teichmann_wutte.rs"]
mod heiss_teichmann_wutte;
#[path = "claims/safran_shamir.rs"]
mod safran_shamir;
#[path = "claims/song_et_al.rs"]
mod song_et_al;
#[path = "claims/zhou_ge_jin.rs"]
mod zhou_ge_jin;

// Determinism across thread counts is asserted on the real binary in tests/report.rs.
