//! Helpers on the triangles of a square matrix, shared by the Gram builders (`gram`, `bits`)
//! so that neither depends on the other for them.

use faer::Mat;

/// Copies the strict lower triangle onto the upper one, in square tiles so that both the reads
/// (down columns) and the transposed writes stay in cache.
pub(crate) fn mirror_lower(k: &mut Mat<f64>) {
    const TILE: usize = 64;
    let n = k.nrows();
    for jb in (0..n).step_by(TILE) {
        for ib in (jb..n).step_by(TILE) {
            for j in jb..(jb + TILE).min(n) {
                for i in ib.max(j + 1)..(ib + TILE).min(n) {
                    k[(j, i)] = k[(i, j)];
                }
            }
        }
    }
}
