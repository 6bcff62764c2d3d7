//! 0/1 matrices packed 64 entries to a word, and their Gram matrix by AND + popcount.
//!
//! The activation pattern of a ReLU layer is a 0/1 matrix; when every output weight has the same
//! magnitude (a_r = +-1, the usual NTK initialisation) the pattern product S S^T is c^2 times a
//! matrix of counts |{r : both units active}|. Counting 64 units per AND + popcount instead of
//! 64 multiply-adds makes that product an order of magnitude cheaper than a float SYRK, and its
//! entries are exact integers (so the result is the same for any thread count).

use faer::{Mat, MatMut, Par};
use rayon::prelude::*;

/// An n x p matrix of 0/1 entries, each row packed into ceil(p / 64) words (unused bits zero).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitRows {
    rows: usize,
    cols: usize,
    words: usize,
    data: Vec<u64>,
}

impl BitRows {
    /// The n x p zero matrix.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        let words = cols.div_ceil(64);
        BitRows {
            rows,
            cols,
            words,
            data: vec![0; rows * words],
        }
    }

    pub fn nrows(&self) -> usize {
        self.rows
    }

    pub fn ncols(&self) -> usize {
        self.cols
    }

    /// Sets entry (i, j) to 1.
    #[inline]
    pub fn set(&mut self, i: usize, j: usize) {
        assert!(
            i < self.rows && j < self.cols,
            "bit ({i}, {j}) out of range"
        );
        self.data[i * self.words + j / 64] |= 1u64 << (j % 64);
    }

    /// Entry (i, j).
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> bool {
        assert!(
            i < self.rows && j < self.cols,
            "bit ({i}, {j}) out of range"
        );
        self.data[i * self.words + j / 64] >> (j % 64) & 1 == 1
    }

    fn row(&self, i: usize) -> &[u64] {
        &self.data[i * self.words..(i + 1) * self.words]
    }

    /// scale * B B^T, i.e. scale * |row_i AND row_j|, as a full symmetric matrix.
    pub fn gram(&self, scale: f64, par: Par) -> Mat<f64> {
        let mut k = Mat::<f64>::zeros(self.rows, self.rows);
        self.lower_gram_into(k.as_mut(), scale, par);
        crate::triangle::mirror_lower(&mut k);
        k
    }

    /// Writes scale * |row_i AND row_j| into the lower triangle (i >= j) of `dst`; the strict
    /// upper triangle is left untouched. Columns are shared among threads under `Par::Rayon`;
    /// every entry is an exact count, so the result does not depend on the thread count.
    pub(crate) fn lower_gram_into(&self, dst: MatMut<'_, f64>, scale: f64, par: Par) {
        assert!(dst.nrows() == self.rows && dst.ncols() == self.rows);
        let count = and_popcount_fn();
        let column = |j: usize, mut col: faer::ColMut<'_, f64>| {
            let rj = self.row(j);
            for i in j..self.rows {
                col[i] = scale * count(self.row(i), rj) as f64;
            }
        };
        match par {
            Par::Seq => {
                for (j, col) in dst.col_iter_mut().enumerate() {
                    column(j, col);
                }
            }
            Par::Rayon(_) => dst
                .par_col_iter_mut()
                .enumerate()
                .for_each(|(j, col)| column(j, col)),
        }
    }
}

/// sum_w popcount(a_w AND b_w), portable version.
fn and_popcount_portable(a: &[u64], b: &[u64]) -> u64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| u64::from((x & y).count_ones()))
        .sum()
}

/// The same loop compiled for AVX2 (LLVM vectorises count_ones into a nibble-table popcount).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
fn and_popcount_avx2(a: &[u64], b: &[u64]) -> u64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| u64::from((x & y).count_ones()))
        .sum()
}

#[cfg(target_arch = "x86_64")]
fn and_popcount_avx2_checked(a: &[u64], b: &[u64]) -> u64 {
    // SAFETY: only returned by `and_popcount_fn` after the CPU reported AVX2 and POPCNT.
    unsafe { and_popcount_avx2(a, b) }
}

/// The fastest AND + popcount kernel this CPU supports, chosen once per call site.
fn and_popcount_fn() -> fn(&[u64], &[u64]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("popcnt")
        {
            return and_popcount_avx2_checked;
        }
    }
    and_popcount_portable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_definition_across_word_boundaries() {
        let (n, p) = (9, 130);
        let mut b = BitRows::zeros(n, p);
        for i in 0..n {
            for j in 0..p {
                if (i * 31 + j * 17) % 5 < 2 || j == 129 {
                    b.set(i, j);
                }
            }
        }
        for par in [Par::Seq, Par::rayon(2)] {
            let k = b.gram(0.5, par);
            for i in 0..n {
                for l in 0..n {
                    let direct = (0..p).filter(|&j| b.get(i, j) && b.get(l, j)).count();
                    assert_eq!(k[(i, l)], 0.5 * direct as f64);
                }
            }
        }
        assert_eq!(
            and_popcount_fn()(b.row(0), b.row(1)),
            and_popcount_portable(b.row(0), b.row(1))
        );
    }
}
