//! Detection of the symmetric shapes of [`crate::symmetric_hessian`] in a user's weights, up
//! to a permutation of the students (rows) and an independent permutation of the coordinates
//! (columns). Both leave the loss against teacher I_d unchanged (permuting coordinates
//! permutes the teacher's rows), so the Hessian at W is orthogonally similar to the Hessian
//! at the canonical form, with the same spectrum.
//!
//! The test is exact up to a tight relative tolerance: every entry of W must lie within
//! `rel_tol * max |W|` of the mean of its class in the canonical form. Weights written in full
//! precision (or printed with the same digits for equal entries) pass; points that are only
//! nearly symmetric, such as the end of a gradient-descent run, do not, and go to the dense
//! computation.

use crate::population::TwoLayerNet;
use crate::symmetric_hessian::{Isotropy, SymmetricPoint};
use crate::type_a_point::TypeA;

/// Default relative tolerance of [`detect_symmetry`]: a few ulps of the largest weight, far
/// below any eigenvalue resolution (the spectrum moves by about ||d H / d W|| 1e-12).
pub const DETECTION_TOLERANCE: f64 = 1e-12;

/// A detected symmetric shape and where it sits in the input.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedSymmetry {
    /// The canonical form, with each parameter the mean of its class of entries (the common
    /// value itself when they are equal).
    pub point: SymmetricPoint,
    /// `rows[i]`: the input row that is student i of the canonical form.
    pub rows: Vec<usize>,
    /// `cols[r]`: the input column that is coordinate r of the canonical form.
    pub cols: Vec<usize>,
    /// max |W[rows[i], cols[r]] - canonical(i, r)| / max |W| (0 for W = 0).
    pub deviation: f64,
}

impl DetectedSymmetry {
    pub fn isotropy(&self) -> Isotropy {
        self.point.isotropy()
    }
}

/// Whether the teacher is I_d up to the order of its rows, with unit output weights (the
/// setting in which the symmetric decomposition holds).
pub fn is_identity_teacher(teacher: &TwoLayerNet) -> bool {
    let d = teacher.dim();
    if teacher.width() != d || teacher.a().iter().any(|&x| x != 1.0) {
        return false;
    }
    let mut seen = vec![false; d];
    for i in 0..d {
        let row = teacher.neuron(i);
        let Some(j) = row.iter().position(|&x| x == 1.0) else {
            return false;
        };
        if seen[j] || row.iter().enumerate().any(|(r, &x)| r != j && x != 0.0) {
            return false;
        }
        seen[j] = true;
    }
    true
}

/// Detects W (d x d, row-major) = P (canonical form) Q^T for permutations P, Q, trying
/// W = alpha I + beta (11^T - I) (isotropy Delta S_d, d >= 4) first and the type-A shape
/// (Delta(S_{d-1} x S_1), d >= 5) second. None when neither fits within `rel_tol`.
pub fn detect_symmetry(w: &[f64], d: usize, rel_tol: f64) -> Option<DetectedSymmetry> {
    if d < Isotropy::DiagonalSd.min_dim() || w.len() != d * d || w.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let scale = w.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let tol = rel_tol * scale;
    let all: Vec<usize> = (0..d).collect();
    if let Some(assignment) = diagonal_pattern(w, d, &all, &all, tol) {
        let cols: Vec<usize> = assignment.iter().map(|&p| all[p]).collect();
        let found = fit(w, d, all.clone(), cols, Isotropy::DiagonalSd, scale);
        if found.deviation <= rel_tol {
            return Some(found);
        }
    }
    if d < Isotropy::TypeA.min_dim() {
        return None;
    }
    let sorted_rows: Vec<Vec<f64>> = (0..d)
        .map(|i| sorted((0..d).map(|r| w[i * d + r])))
        .collect();
    let sorted_cols: Vec<Vec<f64>> = (0..d)
        .map(|r| sorted((0..d).map(|i| w[i * d + r])))
        .collect();
    let odd_row = odd_one_out(&sorted_rows, tol)?;
    let odd_col = odd_one_out(&sorted_cols, tol)?;
    let main_rows: Vec<usize> = (0..d).filter(|&i| i != odd_row).collect();
    let main_cols: Vec<usize> = (0..d).filter(|&r| r != odd_col).collect();
    let assignment = diagonal_pattern(w, d, &main_rows, &main_cols, tol)?;
    let mut rows = main_rows;
    rows.push(odd_row);
    let mut cols: Vec<usize> = assignment.iter().map(|&p| main_cols[p]).collect();
    cols.push(odd_col);
    let found = fit(w, d, rows, cols, Isotropy::TypeA, scale);
    (found.deviation <= rel_tol).then_some(found)
}

fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v
}

/// In the square block `rows` x `cols` (size N >= 3), one value alpha at one position per row,
/// forming a permutation, and beta everywhere else: `assignment[i]` is the position in `cols`
/// of row i's alpha (the identity when the block is constant).
fn diagonal_pattern(
    w: &[f64],
    d: usize,
    rows: &[usize],
    cols: &[usize],
    tol: f64,
) -> Option<Vec<usize>> {
    let n = rows.len();
    // beta fills N - 1 >= 2 of N positions of each row, so it is the median of any row.
    let beta = sorted(cols.iter().map(|&c| w[rows[0] * d + c]))[n / 2];
    let close = |x: f64, y: f64| (x - y).abs() <= tol;
    let mut alpha: Option<f64> = None;
    let mut assignment = Vec::with_capacity(n);
    for &r in rows {
        let mut exception = None;
        for (p, &c) in cols.iter().enumerate() {
            let x = w[r * d + c];
            if close(x, beta) {
                continue;
            }
            if exception.is_some() || alpha.is_some_and(|a| !close(x, a)) {
                return None;
            }
            alpha = Some(x);
            exception = Some(p);
        }
        assignment.push(exception);
    }
    if assignment.iter().all(Option::is_none) {
        return Some((0..n).collect());
    }
    let mut seen = vec![false; n];
    let mut out = Vec::with_capacity(n);
    for p in assignment {
        let p = p?;
        if std::mem::replace(&mut seen[p], true) {
            return None;
        }
        out.push(p);
    }
    Some(out)
}

/// The one line (row or column, given sorted) whose multiset of entries differs from all the
/// others', which agree; the last line when all agree (in a type-A matrix that happens only
/// when all those lines are equal, so any choice is right). None otherwise.
fn odd_one_out(lines: &[Vec<f64>], tol: f64) -> Option<usize> {
    let same = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol);
    // Among the first three lines at least two are ordinary.
    let reference = if same(&lines[0], &lines[1]) || same(&lines[0], &lines[2]) {
        0
    } else {
        1
    };
    let differing: Vec<usize> = (0..lines.len())
        .filter(|&i| !same(&lines[i], &lines[reference]))
        .collect();
    match differing.as_slice() {
        [] => Some(lines.len() - 1),
        [one] => Some(*one),
        _ => None,
    }
}

/// The canonical form's parameters as class means of the permuted W (exact when a class's
/// entries are equal), and the largest relative
/// deviation of an entry from its class mean.
fn fit(
    w: &[f64],
    d: usize,
    rows: Vec<usize>,
    cols: Vec<usize>,
    isotropy: Isotropy,
    scale: f64,
) -> DetectedSymmetry {
    let class = |i: usize, r: usize| -> usize {
        match isotropy {
            Isotropy::DiagonalSd => usize::from(i != r),
            Isotropy::TypeA => match (i == d - 1, r == d - 1) {
                (false, false) if i == r => 0,
                (false, false) => 1,
                (false, true) => 2,
                (true, false) => 3,
                (true, true) => 4,
            },
        }
    };
    let mut sum = [0.0; 5];
    let mut count = [0usize; 5];
    let mut low = [f64::INFINITY; 5];
    let mut high = [f64::NEG_INFINITY; 5];
    for i in 0..d {
        for r in 0..d {
            let k = class(i, r);
            let x = w[rows[i] * d + cols[r]];
            sum[k] += x;
            count[k] += 1;
            low[k] = low[k].min(x);
            high[k] = high[k].max(x);
        }
    }
    // A class of equal entries keeps that value exactly (a mean would round it).
    let mean: Vec<f64> = (0..5)
        .map(|k| match count[k] {
            0 => 0.0,
            _ if low[k] == high[k] => low[k],
            c => sum[k] / c as f64,
        })
        .collect();
    let mut worst = 0.0f64;
    for i in 0..d {
        for r in 0..d {
            worst = worst.max((w[rows[i] * d + cols[r]] - mean[class(i, r)]).abs());
        }
    }
    let point = match isotropy {
        Isotropy::DiagonalSd => SymmetricPoint::Diagonal {
            alpha: mean[0],
            beta: mean[1],
        },
        Isotropy::TypeA => SymmetricPoint::TypeA(TypeA {
            a: mean[0],
            b: mean[1],
            c: mean[2],
            e: mean[3],
            f: mean[4],
        }),
    };
    DetectedSymmetry {
        point,
        rows,
        cols,
        deviation: if scale > 0.0 { worst / scale } else { 0.0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(point: SymmetricPoint, d: usize) -> Vec<f64> {
        (0..d * d).map(|k| point.entry(d, k / d, k % d)).collect()
    }

    fn permuted(w: &[f64], d: usize, rows: &[usize], cols: &[usize]) -> Vec<f64> {
        // out[rows[i], cols[r]] = w[i, r]
        let mut out = vec![0.0; d * d];
        for i in 0..d {
            for r in 0..d {
                out[rows[i] * d + cols[r]] = w[i * d + r];
            }
        }
        out
    }

    #[test]
    fn identity_is_diagonal() {
        let d = 6;
        let w = canonical(
            SymmetricPoint::Diagonal {
                alpha: 1.0,
                beta: 0.0,
            },
            d,
        );
        let found = detect_symmetry(&w, d, DETECTION_TOLERANCE).unwrap();
        assert_eq!(found.isotropy(), Isotropy::DiagonalSd);
        assert_eq!(found.deviation, 0.0);
    }

    #[test]
    fn permuted_type_a_is_found_with_its_permutations() {
        let d = 7;
        let p = SymmetricPoint::TypeA(TypeA {
            a: 0.99,
            b: -0.035,
            c: 0.26,
            e: 0.18,
            f: -0.63,
        });
        let w = canonical(p, d);
        let rows = [3, 0, 6, 1, 5, 2, 4];
        let cols = [2, 6, 0, 4, 1, 3, 5];
        let x = permuted(&w, d, &rows, &cols);
        let found = detect_symmetry(&x, d, DETECTION_TOLERANCE).unwrap();
        assert_eq!(found.point, p);
        for i in 0..d {
            for r in 0..d {
                assert_eq!(x[found.rows[i] * d + found.cols[r]], w[i * d + r]);
            }
        }
    }

    /// Type-A matrices with equal rows (a = b = e, c = f) or equal columns (a = b = c, e = f)
    /// have no distinguished row or column: any choice must still be found and verified.
    #[test]
    fn degenerate_type_a_shapes_are_found() {
        let d = 6;
        for p in [
            TypeA {
                a: 0.3,
                b: 0.3,
                c: -0.7,
                e: 0.3,
                f: -0.7,
            },
            TypeA {
                a: 0.3,
                b: 0.3,
                c: 0.3,
                e: 0.9,
                f: 0.9,
            },
        ] {
            let w = canonical(SymmetricPoint::TypeA(p), d);
            let x = permuted(&w, d, &[5, 4, 3, 2, 1, 0], &[1, 2, 3, 4, 5, 0]);
            let found = detect_symmetry(&x, d, DETECTION_TOLERANCE).unwrap();
            assert_eq!(found.deviation, 0.0);
            assert_eq!(found.isotropy(), Isotropy::TypeA);
        }
    }

    #[test]
    fn a_perturbed_entry_is_not_symmetric() {
        let d = 6;
        let mut w = canonical(
            SymmetricPoint::Diagonal {
                alpha: 1.0,
                beta: 0.1,
            },
            d,
        );
        // (a diagonal entry would be the corner of a type-A point: that is detected)
        w[1] += 1e-9;
        assert!(detect_symmetry(&w, d, DETECTION_TOLERANCE).is_none());
    }

    #[test]
    fn permuted_identity_teacher_is_recognised() {
        let t = TwoLayerNet::new(
            vec![1.0; 3],
            &[
                vec![0.0, 1.0, 0.0],
                vec![1.0, 0.0, 0.0],
                vec![0.0, 0.0, 1.0],
            ],
        )
        .unwrap();
        assert!(is_identity_teacher(&t));
        let t2 = TwoLayerNet::new(
            vec![1.0; 3],
            &[
                vec![0.0, 1.0, 0.0],
                vec![0.0, 1.0, 0.0],
                vec![0.0, 0.0, 1.0],
            ],
        )
        .unwrap();
        assert!(!is_identity_teacher(&t2));
    }
}
