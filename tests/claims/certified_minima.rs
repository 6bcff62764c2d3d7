//! safran2018.certified-spurious-minima: each control fails for the reason its doc names.

use crate::{assert_control_fails, outcome};

const ID: &str = "safran2018.certified-spurious-minima";

#[test]
fn certified_minima_controls_fail_for_the_stated_reason() {
    let o = outcome(ID);
    let detail = |name: &str| {
        let c = o.controls.iter().find(|c| c.name == name).unwrap();
        assert_eq!(c.criterion.name, "type-a-minima-certified");
        assert_eq!(c.criterion.measured, 1.0, "{name}: {:?}", c.criterion);
        c.criterion.detail.clone()
    };
    for name in [
        "d5-type-a-is-a-saddle",
        "perturbed-point",
        "parallel-pair-refused",
        "wrong-interval-hessian",
        "wrong-interval-hessian-symmetric",
    ] {
        assert_control_fails(ID, name);
    }
    // proved a saddle, not merely refused
    assert_eq!(detail("d5-type-a-is-a-saddle"), "certified: saddle");
    let perturbed = detail("perturbed-point");
    assert!(
        perturbed.starts_with("not certified: the point is not a critical point"),
        "{perturbed}"
    );
    let parallel = detail("parallel-pair-refused");
    assert!(
        parallel.starts_with("not certified: student row 0 and teacher row 0 are parallel"),
        "{parallel}"
    );
    let wrong = detail("wrong-interval-hessian");
    assert!(
        wrong.starts_with("not certified: no box passed the Krawczyk test"),
        "{wrong}"
    );
    let wrong = detail("wrong-interval-hessian-symmetric");
    assert!(
        wrong.starts_with("not certified: no box passed the 5-parameter Krawczyk test"),
        "{wrong}"
    );
}

#[test]
fn certified_minima_criteria_hold_with_margin() {
    let o = outcome(ID);
    let c = |name: &str| o.criteria.iter().find(|c| c.name == name).unwrap();
    assert_eq!(c("type-a-minima-certified").measured, 0.0);
    // the least type-A loss in the quick profile is d = 50's (symmetric route), 0.00518360
    assert!((c("certified-loss-positive").measured - 0.0051835982).abs() < 1e-9);
    assert_eq!(c("published-k7-certified").measured, 1.0);
}
