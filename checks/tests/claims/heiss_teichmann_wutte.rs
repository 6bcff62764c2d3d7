//! Heiss, Teichmann & Wutte: the spline limit of random-feature ReLU networks, early stopping.

use crate::outcome;

mod spline_limit {
    use super::*;
    const ID: &str = overparam_checks::heiss_teichmann_wutte::SPLINE_LIMIT_ID;
    claim_tests!(ID);

    /// The evidence files have the documented columns: one distance row per (n, seed) cell of
    /// the quick profile (5 widths x 16 seeds), the curves on the 401-point grid of K, the data.
    #[test]
    fn evidence_has_the_documented_shape() {
        let o = outcome(ID);
        let d = o.table("distance").expect("distance table");
        assert_eq!(d.columns, ["n", "seed", "sup_f", "sup_df"]);
        assert_eq!(d.rows.len(), 5 * 16);
        let c = o.table("curves").expect("curves table");
        assert_eq!(c.columns, ["x", "limit", "network", "spline"]);
        assert_eq!(c.rows.len(), 401);
        let data = o.table("data").expect("data table");
        assert_eq!(data.columns, ["x", "y", "lambda"]);
        assert_eq!(data.rows.len(), 9);
        assert!(o.table("flat_law").is_some() && o.table("control_distance").is_some());
    }
}

mod early_stopping {
    use super::*;
    const ID: &str = overparam_checks::heiss_teichmann_wutte::EARLY_STOPPING_ID;
    claim_tests!(ID);

    #[test]
    fn evidence_has_the_documented_shape() {
        let o = outcome(ID);
        let t = o.table("early_stopping").expect("early_stopping table");
        assert_eq!(
            t.columns,
            ["t", "lambda_tilde", "data_gap", "function_gap", "bound"]
        );
        assert_eq!(t.rows.len(), 10);
    }
}
