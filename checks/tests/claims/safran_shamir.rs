//! Safran & Shamir: spurious minima from random initialisation.

use crate::{assert_control_fails, outcome};

mod spurious_frequency {
    use super::*;
    const ID: &str = overparam_checks::safran_shamir::SPURIOUS_FREQUENCY_ID;
    claim_tests!(ID);

    #[test]
    fn control_step_budget_fails_and_counts_no_minimum() {
        assert_control_fails(ID, "step-budget-200");
        let o = outcome(ID);
        let t = o.table("control_step_budget").unwrap();
        let end = t.column("end").unwrap();
        assert!(
            t.rows
                .iter()
                .all(|r| r[end] == overparam_checks::Value::Text("not-converged".into()))
        );
    }

    #[test]
    fn frequency_table_has_wilson_intervals_around_each_fraction() {
        let o = outcome(ID);
        let t = o.table("frequency").unwrap();
        let (f, lo, hi) = (
            t.column("fraction").unwrap(),
            t.column("ci_low").unwrap(),
            t.column("ci_high").unwrap(),
        );
        for r in &t.rows {
            let get = |i: usize| match r[i] {
                overparam_checks::Value::Float(x) => x,
                _ => panic!("not a float"),
            };
            assert!(get(lo) <= get(f) && get(f) <= get(hi), "{r:?}");
        }
    }
}
