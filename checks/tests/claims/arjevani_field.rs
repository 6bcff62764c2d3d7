//! Arjevani & Field: the global-minimum Hessian spectrum.

use crate::outcome;

mod global_min_spectrum {
    use super::*;
    const ID: &str = overparam_checks::arjevani_field::GLOBAL_MIN_SPECTRUM_ID;
    claim_tests!(ID);

    /// The evidence has the documented shape: every eigenvalue of every tested d, ranked.
    #[test]
    fn spectrum_table_has_all_eigenvalues_in_ascending_order() {
        let o = outcome(ID);
        let t = o.table("spectrum").expect("spectrum table");
        assert_eq!(t.columns, ["d", "rank", "eigenvalue"]);
        let expected_rows: usize = [4usize, 6, 10, 20].iter().map(|d| d * d).sum();
        assert_eq!(t.rows.len(), expected_rows);
        let c = o.table("clusters").expect("clusters table");
        assert_eq!(
            c.columns,
            [
                "d",
                "value",
                "multiplicity",
                "predicted_value",
                "predicted_multiplicity"
            ]
        );
    }
}

mod type_a_minima {
    use super::*;
    const ID: &str = overparam_checks::arjevani_field::TYPE_A_MINIMA_ID;
    claim_tests!(ID);

    #[test]
    fn type_a_table_classifies_d5_as_saddle_and_the_rest_as_minima() {
        let o = outcome(ID);
        let t = o.table("type_a").expect("type_a table");
        let d = t.column("d").unwrap();
        let class = t.column("classification").unwrap();
        for row in &t.rows {
            let expected = if row[d] == overparam_checks::Value::Int(5) {
                "saddle"
            } else {
                "minimum"
            };
            assert_eq!(
                row[class],
                overparam_checks::Value::Text(expected.to_owned()),
                "{row:?}"
            );
        }
    }
}

mod hessian_concentration {
    const ID: &str = overparam_checks::arjevani_field::HESSIAN_CONCENTRATION_ID;
    claim_tests!(ID);
}
