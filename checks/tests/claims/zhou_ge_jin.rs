//! Zhou, Ge & Jin: local convergence of mildly over-parameterised two-layer networks.

use crate::outcome;

mod local_convergence {
    use super::*;
    const ID: &str = overparam_checks::zhou_ge_jin::LOCAL_CONVERGENCE_ID;
    claim_tests!(ID);

    /// The evidence has the documented columns, a logarithmic grid ending at T = 2e5 for every
    /// base run, and one neurons row per student neuron.
    #[test]
    fn evidence_tables_have_the_documented_shape() {
        let o = outcome(ID);
        let t = o.table("trajectory").expect("trajectory table");
        assert_eq!(
            t.columns,
            [
                "teacher",
                "variant",
                "m",
                "seed",
                "step",
                "loss",
                "grad_norm"
            ]
        );
        let n = o.table("neurons").expect("neurons table");
        assert_eq!(
            n.columns,
            [
                "teacher",
                "variant",
                "m",
                "seed",
                "neuron",
                "a",
                "w_norm",
                "nearest_teacher",
                "angle",
                "contribution"
            ]
        );
        let f = o.table("fits").expect("fits table");
        assert_eq!(
            f.columns,
            [
                "teacher", "variant", "m", "quantity", "estimate", "ci_low", "ci_high"
            ]
        );
        // quick: 4 seeds at m = 3, 6, 12 and 2 control seeds at m = 2, 6 (wrong gradient,
        // diverges: no neurons) and 12 (half step)
        let expected_neurons = 4 * (3 + 6 + 12) + 2 * (2 + 12);
        assert_eq!(n.rows.len(), expected_neurons);
        let ends = t
            .rows
            .iter()
            .filter(|r| r[4] == overparam_checks::Value::Int(200_000))
            .count();
        assert_eq!(ends, 4 * 3 + 2 * 2, "every completed run ends at T");
    }
}
