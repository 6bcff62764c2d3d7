//! Zhou, Ge & Jin: local convergence of mildly over-parameterised two-layer networks.

use crate::outcome;

mod local_convergence {
    use super::*;
    use overparam_checks::{Outcome, Table, Value};
    const ID: &str = overparam_checks::zhou_ge_jin::LOCAL_CONVERGENCE_ID;
    claim_tests!(ID);

    fn column(t: &Table, name: &str) -> usize {
        t.columns.iter().position(|c| c == name).expect(name)
    }

    fn text(v: &Value) -> String {
        v.to_csv_field()
    }

    fn num(v: &Value) -> f64 {
        v.as_f64().expect("a number")
    }

    fn control<'a>(o: &'a Outcome, name: &str) -> &'a overparam_checks::Control {
        o.controls.iter().find(|c| c.name == name).expect(name)
    }

    /// The evidence has the documented columns, one trajectory ending at T per run, one
    /// neurons row per student neuron and the sampled points of every family.
    #[test]
    fn evidence_tables_have_the_documented_shape() {
        let o = outcome(ID);
        let t = o.table("trajectory").expect("trajectory table");
        assert_eq!(
            t.columns,
            ["start", "variant", "m", "seed", "step", "loss", "grad_norm"]
        );
        let n = o.table("neurons").expect("neurons table");
        assert_eq!(
            n.columns,
            [
                "start",
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
        let p = o.table("points").expect("points table");
        assert_eq!(
            p.columns,
            [
                "family",
                "m",
                "geometry",
                "size",
                "loss",
                "grad_norm",
                "ratio_2_3",
                "ratio_1_2"
            ]
        );
        // quick: 3 seeds of m = 3, 6, 12, 24 and the symmetric m = 7; 2 control seeds of
        // m = 2, m = 6 (self-term doubled) and m = 12, 24 (width-scaled step)
        let expected_neurons = 3 * (3 + 6 + 12 + 24 + 7) + 2 * (2 + 6 + 12 + 24);
        assert_eq!(n.rows.len(), expected_neurons);
        let (step, m) = (column(t, "step"), column(t, "m"));
        let at = |steps: i64, exact: bool| {
            t.rows
                .iter()
                .filter(|r| r[step] == Value::Int(steps) && (num(&r[m]) == 3.0) == exact)
                .count()
        };
        assert_eq!(
            at(20_000, false),
            3 * 4 + 2 * 4,
            "every m != 3 run ends at T = 2e4"
        );
        assert_eq!(at(10_000, true), 3, "every m = 3 run ends at 1e4");
        // 12 geometries: m = 3 has 4 generic sizes, m = 6 and 12 also 5 split and 5 mixed
        assert_eq!(p.rows.len(), 12 * (4 + 2 * (4 + 5 + 5)));
    }

    /// Each control fails through the mechanism its description names, not by diverging or by
    /// construction.
    #[test]
    fn controls_fail_for_the_stated_reason() {
        let o = outcome(ID);
        // m = 2 stalls: exponent ~0 (not a slower power law), mass error = the missing teacher's
        let rate = control(&o, "under-parameterised-rate");
        assert!(
            rate.criterion.measured.abs() < 0.5,
            "{}",
            rate.criterion.measured
        );
        let masses = control(&o, "under-parameterised-masses");
        assert!((masses.criterion.measured - 1.0).abs() < 1e-2);
        // the doubled self-term is a penalty: every cluster mass ends below the teacher's
        let n = o.table("neurons").unwrap();
        let (variant, seed, near, mass) = (
            column(n, "variant"),
            column(n, "seed"),
            column(n, "nearest_teacher"),
            column(n, "contribution"),
        );
        for s in 0..2 {
            for j in 0..3 {
                let total: f64 = n
                    .rows
                    .iter()
                    .filter(|r| {
                        text(&r[variant]) == "self-term-doubled"
                            && num(&r[seed]) == s as f64
                            && num(&r[near]) == j as f64
                    })
                    .map(|r| num(&r[mass]))
                    .sum();
                assert!(total < 0.95, "seed {s} teacher {j}: mass {total}");
            }
        }
        // a linear rate has a flat g: 1/p near 0 (p huge or negative), not a p just outside
        let exact = control(&o, "exact-is-not-cubic");
        assert!(1.0 / exact.criterion.measured.abs() < 0.1);
        // generic perturbations of the exact teacher have the PL exponent 1/2
        let pl = control(&o, "exact-exponent-is-pl");
        assert!((pl.criterion.measured - 0.5).abs() < 0.02);
        // over-parameterised: the PL ratio falls with L along the split points (like L^(1/6))
        let not_pl = control(&o, "overparam-is-not-pl");
        assert!(not_pl.criterion.measured < 0.1);
        let p = o.table("points").unwrap();
        let (family, size, ratio) = (
            column(p, "family"),
            column(p, "size"),
            column(p, "ratio_1_2"),
        );
        let worst_at = |phi: f64| {
            p.rows
                .iter()
                .filter(|r| text(&r[family]) == "split" && num(&r[size]) == phi)
                .map(|r| num(&r[ratio]))
                .fold(f64::INFINITY, f64::min)
        };
        assert!(worst_at(1e-3) < worst_at(1e-1) / 3.0);
        let linear = control(&o, "overparam-is-not-linear");
        assert!(linear.criterion.measured.is_infinite());
        // the width-scaled step: the estimate itself (not only the interval) is far outside
        let width = control(&o, "width-dependent-step");
        assert!(
            width.criterion.measured < -0.9,
            "{}",
            width.criterion.measured
        );
    }

    /// The width slope's interval records its level, 99.5%.
    #[test]
    fn interval_levels_are_recorded() {
        crate::assert_interval_levels(ID, &[0.995], &[]);
    }
}
