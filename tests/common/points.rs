//! Teacher-student points as the `hessian` and `certify` tests write them: rows of W as CSV,
//! and the type-A family of the papers' notes.

use std::path::Path;

/// Writes the rows of W as CSV, one neuron a line, each number in Rust's shortest form.
pub fn write_rows(path: &Path, rows: &[Vec<f64>]) {
    let text: String = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|x| format!("{x}"))
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        })
        .collect();
    std::fs::write(path, text).unwrap();
}

/// The type-A point in the paper note's parameterisation p = (a, b, c, e, f): d - 1 rows
/// a e_i + b (1 - e_i) with c last, and one row (e, ..., e, f).
pub fn type_a_rows(d: usize, p: [f64; 5]) -> Vec<Vec<f64>> {
    let [a, b, c, e, f] = p;
    let mut rows: Vec<Vec<f64>> = (0..d - 1)
        .map(|i| {
            (0..d)
                .map(|j| {
                    if j == d - 1 {
                        c
                    } else if j == i {
                        a
                    } else {
                        b
                    }
                })
                .collect()
        })
        .collect();
    rows.push((0..d).map(|j| if j == d - 1 { f } else { e }).collect());
    rows
}

/// The k = 7 minimum of the Safran-Yehudai-Shamir repository README (ten digits, as
/// published).
pub const K7: [f64; 5] = [
    0.9969227988,
    -0.0350801559,
    0.2616910758,
    0.1859910463,
    -0.6327039049,
];
