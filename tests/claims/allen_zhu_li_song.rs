//! Allen-Zhu, Li & Song (2019): deep over-parameterised ReLU networks in the kernel regime.

use crate::outcome;
use overparam_checks::{Outcome, Value};

/// The numbers of column `name` of the runs table (both claims) for the runs of `variant`.
fn column(o: &Outcome, variant: &str, name: &str) -> Vec<f64> {
    let t = o.table("runs").expect("runs table");
    let (v, c) = (t.column("variant").unwrap(), t.column(name).unwrap());
    t.rows
        .iter()
        .filter(|r| r[v] == Value::Text(variant.to_owned()))
        .map(|r| r[c].as_f64().unwrap())
        .collect()
}

mod kernel_regime {
    use super::*;
    use overparam_checks::Profile;
    use overparam_checks::allen_zhu_li_song::kernel_regime::{
        DUPLICATE_GAP, KERNEL_CHANGE_SLOPE, LOSS_BELOW, N, design,
    };

    const ID: &str = overparam_checks::allen_zhu_li_song::KERNEL_REGIME_ID;
    claim_tests!(ID);

    #[test]
    fn evidence_tables_have_the_documented_columns_and_rows() {
        let o = outcome(ID);
        let columns = |name: &str| o.table(name).unwrap().columns.clone();
        assert_eq!(
            columns("trajectory"),
            [
                "variant",
                "width",
                "replicate",
                "step",
                "loss",
                "grad_norm",
                "residual",
                "predicted",
                "linear_gap"
            ]
        );
        assert_eq!(
            columns("kernel"),
            [
                "variant",
                "width",
                "replicate",
                "step",
                "lambda_min",
                "lambda_ratio",
                "kernel_change",
                "movement_first",
                "movement_last"
            ]
        );
        assert_eq!(
            columns("slopes"),
            [
                "quantity",
                "variant",
                "slope",
                "low",
                "high",
                "level",
                "band_low",
                "band_high"
            ]
        );
        let quick = design(Profile::Quick);
        let per_variant = quick.widths.len() * quick.replicates as usize;
        assert_eq!(column(&o, "paper", "width").len(), per_variant);
        assert_eq!(column(&o, "mean-field", "width").len(), per_variant);
        assert_eq!(column(&o, "duplicate", "width").len(), 1);
        assert_eq!(column(&o, "narrow", "width").len(), 1);
        // every run of the paper's scaling stopped below the loss threshold
        assert!(column(&o, "paper", "final_loss").iter().all(|&l| l < 1e-9));
    }

    /// The duplicated input fails loss-below-1e-9 because the loss plateaus at the level no
    /// network can go below (gap^2 / 4), with a flat last window: not by diverging, not by a
    /// slow but converging run.
    #[test]
    fn duplicate_conflict_plateaus_at_the_irreducible_loss() {
        let o = outcome(ID);
        let c = o
            .controls
            .iter()
            .find(|c| c.name == "duplicate-conflict")
            .unwrap();
        assert_eq!(c.criterion.name, LOSS_BELOW.name);
        let floor = DUPLICATE_GAP * DUPLICATE_GAP / 4.0;
        let loss = column(&o, "duplicate", "final_loss")[0];
        assert!(
            loss >= floor && loss < floor * (1.0 + 1e-3),
            "final loss {loss} is not the plateau {floor}"
        );
        assert!(column(&o, "duplicate", "last_window_ratio")[0] > 0.999);
        let budget = design(Profile::Quick).max_steps as f64;
        assert_eq!(column(&o, "duplicate", "steps")[0], budget);
        assert_eq!(column(&o, "duplicate", "budget")[0], budget);
        // lambda_min(K(0)) vanishes: the two copies have identical gradients
        let lambda = column(&o, "duplicate", "lambda_min0")[0];
        let top = column(&o, "duplicate", "lambda_max0")[0];
        assert!(lambda.abs() < 1e-10 * top, "{lambda} vs {top}");
    }

    /// The mean-field output scaling fails kernel-change-slope because the kernel moves by
    /// O(1) at every width, while gradient descent still converges (it does not diverge).
    #[test]
    fn mean_field_moves_the_kernel_by_order_one_and_still_converges() {
        let o = outcome(ID);
        let c = o
            .controls
            .iter()
            .find(|c| c.name == "mean-field-output")
            .unwrap();
        assert_eq!(c.criterion.name, KERNEL_CHANGE_SLOPE.name);
        let change = column(&o, "mean-field", "kernel_change");
        assert!(change.iter().all(|&k| k >= 0.5), "{change:?}");
        let paper = column(&o, "paper", "kernel_change");
        let widest = *design(Profile::Quick).widths.last().unwrap() as f64;
        let widths = column(&o, "paper", "width");
        assert!(
            paper
                .iter()
                .zip(&widths)
                .filter(|(_, w)| **w == widest)
                .all(|(k, _)| *k < 0.5),
            "the paper's scaling moves the kernel by less at the widest width"
        );
        assert!(
            column(&o, "mean-field", "final_loss")
                .iter()
                .all(|&l| l < 1e-9)
        );
        // its interval is not below the band's upper end: the slope is near 0
        let (_, high) = c.criterion.interval.unwrap();
        assert!(high > -0.1 && c.criterion.measured > -0.3);
    }

    /// The narrow network fails loss-below-1e-9 because its NTK Gram is singular (m < n) and
    /// the loss stalls at O(1), not by diverging.
    #[test]
    fn narrow_width_has_a_singular_kernel_and_stalls() {
        let o = outcome(ID);
        let c = o
            .controls
            .iter()
            .find(|c| c.name == "width-below-n")
            .unwrap();
        assert_eq!(c.criterion.name, LOSS_BELOW.name);
        let width = column(&o, "narrow", "width")[0];
        assert!(width < N as f64);
        let lambda = column(&o, "narrow", "lambda_min0")[0];
        let top = column(&o, "narrow", "lambda_max0")[0];
        // singular, or zero altogether when every unit is inactive on the data
        assert!(lambda.abs() <= 1e-8 * top, "{lambda} vs {top}");
        let loss = column(&o, "narrow", "final_loss")[0];
        assert!(loss.is_finite() && loss > 1e-2, "{loss}");
    }

    /// Every slope interval records its level (99.8%), the PL test on its upper end too.
    #[test]
    fn interval_levels_are_recorded() {
        use overparam_checks::allen_zhu_li_song::kernel_regime::SLOPE_LEVEL;
        crate::assert_interval_levels(ID, &[SLOPE_LEVEL], &["pl-over-m-non-decreasing"]);
    }
}

mod lambda_min_stable {
    use super::*;
    use overparam_checks::Profile;
    use overparam_checks::allen_zhu_li_song::lambda_min_stable::{
        LAMBDA_HALF, MEAN_FIELD_CONTROL, N, NARROW_WIDTH, THRESHOLD_WIDTH, WEYL_BELOW_ONE, design,
    };

    const ID: &str = overparam_checks::allen_zhu_li_song::LAMBDA_MIN_STABLE_ID;
    claim_tests!(ID);

    #[test]
    fn runs_table_has_every_run_and_the_gate_reads_the_widest() {
        let o = outcome(ID);
        let quick = design(Profile::Quick);
        let paper = column(&o, "paper", "width");
        assert_eq!(paper.len(), quick.widths.len() * quick.replicates as usize);
        assert_eq!(
            column(&o, "mean-field", "width").len(),
            quick.mean_field_widths.len() * quick.replicates as usize
        );
        assert_eq!(
            column(&o, "narrow", "width").len(),
            quick.narrow_replicates as usize
        );
        assert!(paper.iter().any(|&w| w >= THRESHOLD_WIDTH as f64));
        // the gate is the smallest ratio over the runs at the threshold width and above
        let ratios = column(&o, "paper", "lambda_ratio");
        let gate = ratios
            .iter()
            .zip(&paper)
            .filter(|(_, w)| **w >= THRESHOLD_WIDTH as f64)
            .map(|(r, _)| *r)
            .fold(f64::INFINITY, f64::min);
        let c = o
            .criteria
            .iter()
            .find(|c| c.name == LAMBDA_HALF.name)
            .unwrap();
        assert_eq!(c.measured, gate);
        // every ratio is a minimum over t that includes t = 0
        assert!(ratios.iter().all(|&r| r <= 1.0));
    }

    /// The narrow width fails lambda-min-at-least-half because lambda_min(K(t)) falls along
    /// training from a non-singular K(0): not by diverging, and not from a singular start.
    #[test]
    fn narrow_width_loses_half_of_lambda_min_along_training() {
        let o = outcome(ID);
        let c = o
            .controls
            .iter()
            .find(|c| c.name == "width-below-threshold")
            .unwrap();
        assert_eq!(c.criterion.name, LAMBDA_HALF.name);
        const { assert!(NARROW_WIDTH > N && NARROW_WIDTH < THRESHOLD_WIDTH) };
        let ratio = column(&o, "narrow", "lambda_ratio");
        let lambda0 = column(&o, "narrow", "lambda_min0");
        let top = column(&o, "narrow", "lambda_max0");
        let losses = column(&o, "narrow", "final_loss");
        assert!(losses.iter().all(|l| l.is_finite()));
        // the failing run started from a well-conditioned enough K(0)
        let failing: Vec<usize> = (0..ratio.len())
            .filter(|&i| lambda0[i] > 1e-8 * top[i] && ratio[i] < 0.5)
            .collect();
        assert!(!failing.is_empty());
        assert!(c.criterion.measured < 0.5 && c.criterion.measured >= 0.0 - 1e-9);
    }

    /// The mean-field output scaling fails weyl-ratio-below-one because the kernel moves by
    /// O(1) relative to itself (and by several lambda_min(K(0))) at the gate width, where the
    /// paper's scaling moves it by a few percent: not by diverging (every run reaches F <
    /// 1e-9) and not from a singular start.
    #[test]
    fn mean_field_moves_the_kernel_by_more_than_lambda_min() {
        let o = outcome(ID);
        let c = o
            .controls
            .iter()
            .find(|c| c.name == MEAN_FIELD_CONTROL.name)
            .unwrap();
        assert_eq!(c.criterion.name, WEYL_BELOW_ONE.name);
        assert!(c.criterion.measured > 2.0, "{}", c.criterion.measured);
        let widths = column(&o, "mean-field", "width");
        let at_gate = |variant: &str, name: &str| -> Vec<f64> {
            let w = column(&o, variant, "width");
            column(&o, variant, name)
                .into_iter()
                .zip(w)
                .filter(|(_, w)| *w == THRESHOLD_WIDTH as f64)
                .map(|(v, _)| v)
                .collect()
        };
        assert!(widths.contains(&(THRESHOLD_WIDTH as f64)));
        // O(1) relative movement of the kernel, against a few percent for the paper's scaling
        let mf_change = at_gate("mean-field", "kernel_change");
        let paper_change = at_gate("paper", "kernel_change");
        assert!(mf_change.iter().all(|&k| k > 0.3), "{mf_change:?}");
        assert!(paper_change.iter().all(|&k| k < 0.3), "{paper_change:?}");
        // every mean-field run's perturbation exceeds its smallest eigenvalue
        assert!(at_gate("mean-field", "weyl_ratio").iter().all(|&r| r > 1.0));
        // converged, from a non-singular K(0)
        assert!(
            column(&o, "mean-field", "final_loss")
                .iter()
                .all(|&l| l < 1e-9)
        );
        let lambda0 = column(&o, "mean-field", "lambda_min0");
        let top = column(&o, "mean-field", "lambda_max0");
        assert!(lambda0.iter().zip(&top).all(|(l, t)| *l > 1e-6 * t));
        // the paper's runs pass the same criterion
        let p = o
            .criteria
            .iter()
            .find(|c| c.name == WEYL_BELOW_ONE.name)
            .unwrap();
        assert!(p.measured < 1.0, "{}", p.measured);
    }

    /// The Weyl-ratio test on its slope interval's upper end records that interval's level (99%).
    #[test]
    fn interval_levels_are_recorded() {
        use overparam_checks::allen_zhu_li_song::lambda_min_stable::SLOPE_LEVEL;
        crate::assert_interval_levels(ID, &[SLOPE_LEVEL], &["weyl-ratio-decreasing"]);
    }
}
