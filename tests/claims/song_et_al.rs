//! Song, Ramezani-Kebrya, Pethick, Eftekhari, Cevher: subquadratic over-parameterisation.

use crate::outcome;

mod subquadratic_width {
    use super::*;
    use overparam_checks::CriterionKind;
    const ID: &str = overparam_checks::song_et_al::SUBQUADRATIC_WIDTH_ID;
    claim_tests!(ID);

    fn column(o: &overparam_checks::Outcome, table: &str, name: &str) -> Vec<String> {
        let t = o.table(table).unwrap_or_else(|| panic!("{table}"));
        let i = t.columns.iter().position(|c| c == name).unwrap();
        t.rows.iter().map(|r| r[i].to_csv_field()).collect()
    }

    /// The evidence has the documented columns and sizes.
    #[test]
    fn evidence_tables_have_the_documented_columns() {
        let o = outcome(ID);
        let columns = |name: &str| {
            o.table(name)
                .unwrap_or_else(|| panic!("{name}"))
                .columns
                .clone()
        };
        assert_eq!(
            columns("sigma_min"),
            [
                "d1",
                "seed",
                "mu",
                "mu_predicted",
                "ratio",
                "band_low",
                "band_high"
            ]
        );
        assert_eq!(
            columns("trajectory"),
            [
                "run",
                "d1",
                "seed",
                "step",
                "loss",
                "bound",
                "sigma_min",
                "pl_ratio"
            ]
        );
        assert_eq!(
            columns("width"),
            ["n", "d0", "d1", "median_ratio", "min_ratio", "max_ratio"]
        );
        assert_eq!(columns("fits"), ["quantity", "n", "value", "low", "high"]);
        // quick profile: (1 control + 4) widths x 5 seeds of sigma_min, 8 values of n scanned
        assert_eq!(o.table("sigma_min").unwrap().rows.len(), 25);
        let ns: std::collections::BTreeSet<String> = column(&o, "width", "n").into_iter().collect();
        assert_eq!(ns.len(), 8);
        // the scan never trains: d0 is the same at every n
        let d0s: std::collections::BTreeSet<String> =
            column(&o, "width", "d0").into_iter().collect();
        assert_eq!(d0s.len(), 1);
    }

    /// The identity is declared and reported as a sanity check, everything else as evidence.
    #[test]
    fn only_the_pl_identity_is_sanity() {
        let o = outcome(ID);
        for c in &o.criteria {
            let expected = if c.name == "pl-inequality" {
                CriterionKind::Sanity
            } else {
                CriterionKind::Evidence
            };
            assert_eq!(c.kind, expected, "{}", c.name);
        }
    }

    /// The main runs use a constant step and are not step-budget driven: every one reached the
    /// target within the steps its own guaranteed rate predicts, and its step never changed.
    #[test]
    fn main_runs_reach_the_target_within_the_predicted_steps() {
        let o = outcome(ID);
        let runs = column(&o, "runs", "run");
        let steps = column(&o, "runs", "steps");
        let predicted = column(&o, "runs", "predicted_steps");
        let reached = column(&o, "runs", "reached");
        for i in (0..runs.len()).filter(|&i| runs[i] == "main") {
            assert_eq!(reached[i], "1");
            let (s, p): (usize, usize) = (steps[i].parse().unwrap(), predicted[i].parse().unwrap());
            assert!(s <= p, "{s} > {p}");
        }
    }

    /// Each control fails through the mechanism its description names, not by accident or
    /// divergence: mu0 genuinely small (measured, positive) at d1 = n; a prediction an order of
    /// magnitude off for the wrong kernel; steps that contract by less than the guarantee for
    /// the mean-loss gradient, without diverging; a PL ratio a quarter of a true ratio >= 1 for
    /// the broken output-layer gradient.
    #[test]
    fn controls_fail_for_the_stated_reason() {
        let o = outcome(ID);
        let control = |name: &str| {
            &o.controls
                .iter()
                .find(|c| c.name == name)
                .unwrap()
                .criterion
        };
        let at_n = control("width-at-n");
        assert!(
            at_n.measured > 0.0 && at_n.measured < 0.5,
            "{}",
            at_n.measured
        );
        let n = column(&o, "sigma_min", "d1");
        let mu = column(&o, "sigma_min", "mu");
        let smallest = n.iter().map(|d| d.parse::<usize>().unwrap()).min().unwrap();
        for (d, m) in n.iter().zip(&mu) {
            if d.parse::<usize>().unwrap() == smallest {
                assert!(
                    m.parse::<f64>().unwrap() > 0.0,
                    "mu0 is measured, not set to 0"
                );
            }
        }

        let kernel = control("kernel-unit-variance");
        assert!(kernel.measured > 5.0, "{}", kernel.measured);

        let mean_loss = control("mean-loss-gradient");
        assert!(mean_loss.measured < 1.0 && mean_loss.measured > 0.0);
        assert!(!mean_loss.detail.contains("diverged"));
        assert!(mean_loss.detail.contains("target not reached"));

        let wrong = control("wrong-gradient");
        assert!(
            wrong.measured < 0.5 && wrong.measured >= 0.25,
            "{}",
            wrong.measured
        );
    }

    /// The width exponent's interval records its level, 99.5%.
    #[test]
    fn interval_levels_are_recorded() {
        crate::assert_interval_levels(ID, &[0.995], &[]);
    }
}
