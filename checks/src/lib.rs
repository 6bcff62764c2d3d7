//! The claims of overparam: each published claim is a [`Claim`] that runs deterministic
//! experiments and returns an [`Outcome`]: criteria (measured against a threshold with its
//! reason), controls (variants that must fail), and evidence tables.
//!
//! One folder per paper (`mod.rs`: what its claims share), one file per claim; the helpers
//! every claim uses are in [`kit`]. A new claim is one file plus one line in [`registry`].
//! This crate returns values and tables only: it never touches files or plots.

pub mod claim;
pub mod evidence;
pub mod kit;
pub mod plot;
pub mod registry;
pub mod stats;

pub mod allen_zhu_li_song;
pub mod arjevani_field;
pub mod heiss_teichmann_wutte;
pub mod liu_belkin;
pub mod safran_shamir;
pub mod song_et_al;
pub mod su_yang;
pub mod telgarsky;
pub mod vempala_wilmes;
pub mod zhou_ge_jin;

pub use claim::{
    Cause, Claim, ClaimError, ClaimInfo, Comparator, Control, ControlSpec, Criterion,
    CriterionKind, CriterionSpec, FalseFailure, MAX_FALSE_FAILURE_RATE, NoProgress, Outcome,
    Profile, Progress, Rule, RunContext, Verdict, catching_panics,
};
pub use evidence::{Table, Value};
pub use kit::{InCell, LEVEL, WorstCase, least, sup_abs, worst};
pub use overparam_kernel::SEED_RULE;
pub use plot::{PlotSpec, Reference, Scale, Style};
pub use registry::{all_claims, find_claim};
