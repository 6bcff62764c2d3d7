//! Comparison of one claim's verdict.json: the verdict, and per criterion and per control the
//! measured value (under the tolerance policy), the comparator, the threshold, the kind, the
//! interval and the holds / failed_as_expected flags. The texts `reason`, `detail` and `description` are
//! words about the numbers and are not compared.

use serde_json::Value as Json;

use super::read::{ECHO_CHARS, clip};
use super::{DEFAULT_RELATIVE_TOLERANCE, DiffRow, Status};

/// A JSON value as the report shows it; an absent key is "missing" (it is not a non-finite
/// number: those are written as the strings "inf", "-inf" and "NaN").
pub(crate) fn text(v: Option<&Json>) -> String {
    match v {
        None => "missing".to_owned(),
        Some(Json::Null) => "null".to_owned(),
        Some(Json::String(s)) => clip(s, ECHO_CHARS),
        Some(Json::Number(n)) => n
            .as_f64()
            .map_or_else(|| n.to_string(), |x| format!("{x:.6e}")),
        Some(other) => clip(&other.to_string(), ECHO_CHARS),
    }
}

pub(crate) struct Differ {
    pub rows: Vec<DiffRow>,
}

impl Differ {
    pub(crate) fn push(
        &mut self,
        claim: &str,
        item: String,
        baseline: String,
        new: String,
        status: Status,
        note: &str,
    ) {
        self.rows.push(DiffRow {
            claim: claim.to_owned(),
            item,
            baseline,
            new,
            status,
            note: note.to_owned(),
            count: 1,
        });
    }

    /// Compares a number of baseline and new under the tolerance policy of `base`'s criterion.
    fn number(
        &mut self,
        claim: &str,
        item: String,
        (bm, nm): (Option<&Json>, Option<&Json>),
        base: &Json,
    ) {
        let exact = base.get("comparator").is_some_and(|c| c == "equal");
        let tol = base
            .get("tolerance")
            .and_then(Json::as_f64)
            .unwrap_or(DEFAULT_RELATIVE_TOLERANCE);
        let (status, note) = match (bm.and_then(Json::as_f64), nm.and_then(Json::as_f64)) {
            _ if bm == nm => (Status::Same, String::new()),
            (Some(b), Some(n)) if !exact => {
                let absolute = base
                    .get("abs_tolerance")
                    .and_then(Json::as_f64)
                    .unwrap_or(0.0);
                let allowed = (tol * b.abs()).max(absolute);
                let change = (n - b).abs();
                if change <= allowed {
                    (
                        Status::WithinTolerance,
                        format!("change {change:.1e} <= allowed {allowed:.1e}"),
                    )
                } else {
                    (
                        Status::Regression,
                        format!("change {change:.1e} > allowed {allowed:.1e}"),
                    )
                }
            }
            _ => (
                Status::Regression,
                if exact {
                    "exact comparison".to_owned()
                } else {
                    "value changed".to_owned()
                },
            ),
        };
        self.push(claim, item, text(bm), text(nm), status, &note);
    }

    /// A field that must match exactly (comparator, threshold): a change means the claim's
    /// definition changed, and the baseline no longer describes it.
    fn exact(&mut self, claim: &str, item: String, b: Option<&Json>, n: Option<&Json>) {
        let status = if b == n {
            Status::Same
        } else {
            Status::Regression
        };
        let note = if status == Status::Same {
            ""
        } else {
            "the criterion's definition changed; refresh the baseline if intended"
        };
        self.push(claim, item, text(b), text(n), status, note);
    }

    /// Compares one criterion object (as in verdict.json) of baseline and new.
    fn criterion(
        &mut self,
        claim: &str,
        label: &str,
        base: &Json,
        new: &Json,
        holds_key: &str,
        good: bool,
    ) {
        self.number(
            claim,
            format!("{label} measured"),
            (base.get("measured"), new.get("measured")),
            base,
        );
        for key in ["comparator", "threshold"] {
            self.exact(claim, format!("{label} {key}"), base.get(key), new.get(key));
        }
        // A criterion's kind (evidence or sanity) is part of its definition; baselines written
        // before criteria carried a kind have none, and are not held to one.
        if base.get("kind").is_some() {
            self.exact(
                claim,
                format!("{label} kind"),
                base.get("kind"),
                new.get("kind"),
            );
        }
        let (bi, ni) = (base.get("interval"), new.get("interval"));
        if bi.is_some() || ni.is_some() {
            for (k, end) in ["low", "high"].into_iter().enumerate() {
                self.number(
                    claim,
                    format!("{label} interval {end}"),
                    (bi.and_then(|i| i.get(k)), ni.and_then(|i| i.get(k))),
                    base,
                );
            }
        }
        self.flag(claim, label, holds_key, base, new, good);
    }

    /// Compares a boolean flag; a flip towards `good` is an improvement.
    fn flag(&mut self, claim: &str, label: &str, key: &str, base: &Json, new: &Json, good: bool) {
        let (bh, nh) = (base.get(key), new.get(key));
        let status = if bh == nh {
            Status::Same
        } else if nh.and_then(Json::as_bool) == Some(good) && bh.is_some_and(Json::is_boolean) {
            Status::Improved
        } else {
            Status::Regression
        };
        self.push(
            claim,
            format!("{label} {key}"),
            text(bh),
            text(nh),
            status,
            "",
        );
    }

    /// Compares two verdict.json documents (already checked by `read::parse_verdict`).
    pub(crate) fn claim(&mut self, id: &str, base: &Json, new: &Json) {
        let (bv, nv) = (
            base.get("verdict").and_then(Json::as_str).unwrap_or("?"),
            new.get("verdict").and_then(Json::as_str).unwrap_or("?"),
        );
        let status = if bv == nv {
            Status::Same
        } else if nv == "pass" {
            Status::Improved
        } else {
            Status::Regression
        };
        self.push(
            id,
            "verdict".to_owned(),
            clip(bv, ECHO_CHARS),
            clip(nv, ECHO_CHARS),
            status,
            "",
        );
        for (kind, key) in [("criterion", "criteria"), ("control", "controls")] {
            let empty = Vec::new();
            let b_items = base.get(key).and_then(Json::as_array).unwrap_or(&empty);
            let n_items = new.get(key).and_then(Json::as_array).unwrap_or(&empty);
            let name_of = |j: &Json| {
                j.get("name")
                    .and_then(Json::as_str)
                    .unwrap_or("?")
                    .to_owned()
            };
            for b in b_items {
                let label = format!("{kind} {}", clip(&name_of(b), ECHO_CHARS));
                match n_items.iter().find(|n| n.get("name") == b.get("name")) {
                    None => self.push(
                        id,
                        label,
                        "present".into(),
                        "missing".into(),
                        Status::Regression,
                        "",
                    ),
                    Some(n) if kind == "control" => {
                        let null = Json::Null;
                        let (bc, nc) = (
                            b.get("criterion").unwrap_or(&null),
                            n.get("criterion").unwrap_or(&null),
                        );
                        // A control's criterion is expected to fail: holds == false is good.
                        self.criterion(id, &label, bc, nc, "holds", false);
                        self.flag(id, &label, "failed_as_expected", b, n, true);
                    }
                    Some(n) => self.criterion(id, &label, b, n, "holds", true),
                }
            }
            for n in n_items {
                if !b_items.iter().any(|b| b.get("name") == n.get("name")) {
                    self.push(
                        id,
                        format!("{kind} {}", clip(&name_of(n), ECHO_CHARS)),
                        "missing".into(),
                        "present".into(),
                        Status::Regression,
                        "not in the baseline; refresh the baseline if intended",
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn regressions(b: Json, n: Json) -> (usize, Differ) {
        let mut d = Differ { rows: Vec::new() };
        d.claim("c", &b, &n);
        let r = d
            .rows
            .iter()
            .filter(|r| r.status == Status::Regression)
            .count();
        (r, d)
    }

    fn verdict(measured: f64, holds: bool, comparator: &str) -> Json {
        json!({"verdict": if holds {"pass"} else {"fail"}, "criteria": [
            {"name": "x", "measured": measured, "comparator": comparator, "threshold": 1e-12,
             "holds": holds, "abs_tolerance": 1e-14}
        ], "controls": []})
    }

    #[test]
    fn a_changed_kind_is_a_regression_and_a_baseline_without_kinds_is_not_held_to_one() {
        let with_kind = |kind: &str| {
            let mut v = verdict(0.5, true, "at_most");
            v["criteria"][0]["kind"] = json!(kind);
            v
        };
        let (r, d) = regressions(with_kind("evidence"), with_kind("sanity"));
        assert_eq!(r, 1);
        assert!(d.rows.iter().any(|row| row.item == "criterion x kind"));
        assert_eq!(regressions(with_kind("sanity"), with_kind("sanity")).0, 0);
        assert_eq!(
            regressions(verdict(0.5, true, "at_most"), with_kind("sanity")).0,
            0
        );
    }

    #[test]
    fn tolerance_policy() {
        let at_most = |x| verdict(x, true, "at_most");
        assert_eq!(
            regressions(at_most(1e-15), at_most(2e-15)).0,
            0,
            "residual noise within the absolute tolerance"
        );
        assert_eq!(
            regressions(at_most(0.5), at_most(0.5000001)).0,
            0,
            "2e-7 relative is within 1e-6"
        );
        assert_eq!(
            regressions(at_most(0.5), at_most(0.50001)).0,
            1,
            "2e-5 relative is a real change"
        );
        assert_eq!(
            regressions(
                verdict(3.0, true, "equal"),
                verdict(3.0000000001, true, "equal")
            )
            .0,
            1,
            "counts are exact"
        );
        let (r, _) = regressions(
            verdict(1e-13, true, "at_most"),
            verdict(1e-11, false, "at_most"),
        );
        assert!(r >= 2, "verdict and holds flip");
    }

    #[test]
    fn improvements_are_not_regressions() {
        let (r, d) = regressions(
            verdict(1e-11, false, "at_most"),
            verdict(1e-11, true, "at_most"),
        );
        assert_eq!(r, 0);
        assert!(d.rows.iter().any(|r| r.status == Status::Improved));
    }

    #[test]
    fn missing_keys_say_missing_and_definitions_compare_exactly() {
        let b = verdict(0.5, true, "at_most");
        let mut n = b.clone();
        n["criteria"][0].as_object_mut().unwrap().remove("measured");
        let (r, d) = regressions(b.clone(), n);
        assert_eq!(r, 1);
        let row = d
            .rows
            .iter()
            .find(|r| r.item == "criterion x measured")
            .unwrap();
        assert_eq!(row.new, "missing");

        let mut n = b.clone();
        n["criteria"][0]["threshold"] = json!(1e-6);
        assert_eq!(regressions(b.clone(), n).0, 1, "a moved threshold");

        let mut n = b.clone();
        n["criteria"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "y"}));
        assert_eq!(regressions(b, n).0, 1, "an extra criterion");
    }

    #[test]
    fn a_control_that_stops_failing_is_a_regression() {
        let control = |holds: bool, failed: bool| {
            json!({"verdict": "pass", "criteria": [], "controls": [{"name": "k",
                "criterion": {"name": "x", "measured": 2.0, "comparator": "at_most",
                              "threshold": 1.0, "holds": holds},
                "failed_as_expected": failed}]})
        };
        assert_eq!(regressions(control(false, true), control(false, true)).0, 0);
        assert_eq!(regressions(control(false, true), control(true, false)).0, 2);
    }
}
