//! Gram matrices: K_ij = k(x_i, x_j) for the rows x_i of a data matrix.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

use crate::bits::BitRows;
use crate::triangle::mirror_lower;

/// K = X X^T for the rows of `x`, computing one triangle (as SYRK does) and mirroring it.
pub fn linear_gram(x: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let n = x.nrows();
    let mut k = Mat::<f64>::zeros(n, n);
    triangular::matmul(
        k.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        x,
        BlockStructure::Rectangular,
        x.transpose(),
        BlockStructure::Rectangular,
        1.0,
        par,
    );
    mirror_lower(&mut k);
    k
}

/// The pattern factor S of [`hadamard_gram`].
#[derive(Debug, Clone, Copy)]
pub enum Pattern<'a> {
    /// S as a dense n x p matrix (any real entries).
    Dense(MatRef<'a, f64>),
    /// S = scale * B with B a 0/1 matrix: S S^T = scale^2 |row_i AND row_j|, by popcount.
    Bits { bits: &'a BitRows, scale: f64 },
}

impl Pattern<'_> {
    fn nrows(&self) -> usize {
        match self {
            Pattern::Dense(s) => s.nrows(),
            Pattern::Bits { bits, .. } => bits.nrows(),
        }
    }
}

/// K = alpha (X X^T) .* (S S^T) + beta R R^T for row-aligned X (n x d), S (n x p), R (n x q).
///
/// This is the structure of the empirical NTK of a two-layer network (S the activation pattern
/// scaled by the output weights, R the hidden features; see `overparam_kernel::ntk`): three
/// symmetric products, each computed on its lower triangle only (as SYRK does, half the flops of
/// a GEMM), combined on that triangle and mirrored once. No per-sample Jacobian is formed.
/// A 0/1 pattern with one scale ([`Pattern::Bits`]) is counted by AND + popcount instead of a
/// float product. Memory: three n x n matrices (K and two scratch products).
///
/// # Panics
/// If the three matrices do not have the same number of rows (a caller's bug).
pub fn hadamard_gram(
    x: MatRef<'_, f64>,
    s: Pattern<'_>,
    r: MatRef<'_, f64>,
    alpha: f64,
    beta: f64,
    par: Par,
) -> Mat<f64> {
    let n = x.nrows();
    assert!(
        s.nrows() == n && r.nrows() == n,
        "X, S and R must have one row per data point"
    );
    if let Pattern::Dense(s) = s {
        assert!(
            s.ncols() == r.ncols(),
            "S and R must have the same number of columns"
        );
        return hadamard_gram_by_columns(
            x,
            s.ncols(),
            |start, mut s_t, mut r_t| {
                let c = s_t.nrows();
                s_t.copy_from(s.subcols(start, c).transpose());
                r_t.copy_from(r.subcols(start, c).transpose());
            },
            alpha,
            beta,
            par,
        );
    }
    let mut k = zeros_on_huge_pages(n, n);
    lower_product(k.as_mut(), r, beta, par);
    let mut pattern = zeros_on_huge_pages(n, n);
    match s {
        Pattern::Dense(s) => lower_product(pattern.as_mut(), s, alpha, par),
        Pattern::Bits { bits, scale } => {
            bits.lower_gram_into(pattern.as_mut(), alpha * scale * scale, par)
        }
    }
    let mut inputs = zeros_on_huge_pages(n, n);
    lower_product(inputs.as_mut(), x, 1.0, par);
    for j in 0..n {
        let kj = &mut k.col_as_slice_mut(j)[j..];
        let pj = &pattern.col_as_slice(j)[j..];
        let ij = &inputs.col_as_slice(j)[j..];
        for ((kv, &pv), &iv) in kj.iter_mut().zip(pj).zip(ij) {
            *kv += pv * iv;
        }
    }
    mirror_lower(&mut k);
    k
}

/// Columns of S and R per chunk in [`hadamard_gram_by_columns`]: the depth block of faer's
/// x86 GEMM kernel (private-gemm-x86 multiplies in blocks of 512 along the inner dimension, the
/// first replacing the destination and the others adding to it), so that accumulating chunk
/// products groups the sums exactly as one product over all columns would.
pub const GRAM_CHUNK: usize = 512;

/// Side of the square tiles of K in which the pattern and input products are combined.
const TILE: usize = 256;

/// [`hadamard_gram`] with S and R (n x p each) produced `GRAM_CHUNK` columns at a time, as their
/// transposes: `fill(start, s_t, r_t)` writes rows start..start + c of S^T and R^T (columns
/// start.. of S and R; c = `s_t.nrows()`) into two c x n column-major buffers, every entry.
/// Transposed, each data point's chunk is one contiguous column, and the products read the
/// right-hand factor down contiguous columns: 15-25% faster in faer's kernel than the n x c
/// layout, with the same sums. Neither S nor R is ever held whole, and there is no n x n
/// scratch matrix: the memory is K, two 512 x n buffers and one n-vector (for the two-layer NTK,
/// S and R would be 2 n m entries). Each chunk adds beta R R^T into the lower triangle of K
/// (diagonal included) and alpha S S^T into its strict upper triangle (the transpose of the
/// strict lower one) and into a vector for the diagonal; then, tile by tile, the input tile
/// X_I X_J^T is formed in cache, K_IJ += pattern_IJ .* (X_I X_J^T), and the result is
/// mirrored into the upper tile it has just been read from.
///
/// The products run under `par` (faer splits them without changing any sum) and the tiles are
/// shared among threads, each computed sequentially, so K does not depend on the thread count.
/// With p = 0 both products are empty and K is zero (`fill` is never called).
pub fn hadamard_gram_by_columns(
    x: MatRef<'_, f64>,
    p: usize,
    mut fill: impl FnMut(usize, MatMut<'_, f64>, MatMut<'_, f64>),
    alpha: f64,
    beta: f64,
    par: Par,
) -> Mat<f64> {
    let n = x.nrows();
    // R R^T accumulates on the lower triangle of K (diagonal included), alpha S S^T on the
    // strict upper triangle (as its transpose) and its diagonal in `pattern_diagonal`.
    let mut k = zeros_on_huge_pages(n, n);
    let mut pattern_diagonal = vec![0.0; n];
    let width = GRAM_CHUNK.min(p);
    let mut s_t = zeros_on_huge_pages(width, n);
    let mut r_t = zeros_on_huge_pages(width, n);
    for start in (0..p).step_by(GRAM_CHUNK) {
        let c = GRAM_CHUNK.min(p - start);
        let mut sc = s_t.as_mut().subrows_mut(0, c);
        let mut rc = r_t.as_mut().subrows_mut(0, c);
        fill(start, sc.rb_mut(), rc.rb_mut());
        let accum = if start == 0 {
            Accum::Replace
        } else {
            Accum::Add
        };
        lower_product_into(k.as_mut(), rc.rb().transpose(), beta, accum, par);
        triangular::matmul(
            k.as_mut().transpose_mut(),
            BlockStructure::StrictTriangularLower,
            accum,
            sc.rb().transpose(),
            BlockStructure::Rectangular,
            sc.rb(),
            BlockStructure::Rectangular,
            alpha,
            par,
        );
        // The diagonal as faer's kernel forms each entry: a fused multiply-add chain over the
        // chunk from zero, scaled by alpha, then added to the running sum.
        for (i, d) in pattern_diagonal.iter_mut().enumerate() {
            let column = sc.rb().col(i);
            let sum = column.iter().fold(0.0f64, |acc, &v| v.mul_add(v, acc));
            let scaled = alpha * sum;
            *d = if start == 0 { scaled } else { *d + scaled };
        }
    }
    combine_with_inputs(k.as_mut(), &pattern_diagonal, x, par);
    k
}

/// K_IJ += P_IJ .* (X_I X_J^T) on the lower triangle, then K_JI = K_IJ^T, tile by tile: P's
/// strict lower triangle is read from K's strict upper triangle (where it was accumulated as
/// its transpose) before the mirror overwrites it, its diagonal from `pattern_diagonal`; the
/// input tile is computed into a scratch tile (in cache) and used at once, so X X^T is never
/// stored whole and nothing n x n is read twice.
fn combine_with_inputs(k: MatMut<'_, f64>, pattern_diagonal: &[f64], x: MatRef<'_, f64>, par: Par) {
    let n = x.nrows();
    let starts: Vec<usize> = (0..n).step_by(TILE).collect();
    let nb = starts.len();
    let size = |b: usize| TILE.min(n - starts[b]);
    // Every tile of K as its own view: tile (bi, bj) at grid[bj][bi].
    let mut grid: Vec<Vec<Option<MatMut<'_, f64>>>> = Vec::with_capacity(nb);
    let mut rest = k;
    for bj in 0..nb {
        let (mut column, tail) = rest.split_at_col_mut(size(bj));
        rest = tail;
        let mut tiles = Vec::with_capacity(nb);
        for bi in 0..nb {
            let (tile, below) = column.split_at_row_mut(size(bi));
            column = below;
            tiles.push(Some(tile));
        }
        grid.push(tiles);
    }
    // Jobs: the lower tile (bi, bj), bi >= bj, with its mirror (bj, bi) when off the diagonal.
    let mut jobs = Vec::with_capacity(nb * (nb + 1) / 2);
    for bj in 0..nb {
        for bi in bj..nb {
            let lower = grid[bj][bi].take().expect("each tile is taken once");
            let upper = if bi == bj {
                None
            } else {
                Some(grid[bi][bj].take().expect("each tile is taken once"))
            };
            jobs.push((starts[bi], starts[bj], lower, upper));
        }
    }
    let scratch = || (Mat::<f64>::zeros(TILE, TILE), Mat::<f64>::zeros(TILE, TILE));
    type Job<'a> = (usize, usize, MatMut<'a, f64>, Option<MatMut<'a, f64>>);
    let work = |scratch: &mut (Mat<f64>, Mat<f64>), (i0, j0, mut dst, upper): Job<'_>| {
        let (h, w) = (dst.nrows(), dst.ncols());
        let (inputs, pattern) = scratch;
        let mut inputs = inputs.as_mut().submatrix_mut(0, 0, h, w);
        let mut pattern = pattern.as_mut().submatrix_mut(0, 0, h, w);
        let (xi, xj) = (x.subrows(i0, h), x.subrows(j0, w));
        match &upper {
            None => lower_product_into(inputs.rb_mut(), xi, 1.0, Accum::Replace, Par::Seq),
            Some(_) => matmul(
                inputs.rb_mut(),
                Accum::Replace,
                xi,
                xj.transpose(),
                1.0,
                Par::Seq,
            ),
        }
        // The pattern tile: the transpose of the upper tile (diagonal tile: of its own strict
        // upper triangle, with the diagonal from the vector).
        match &upper {
            Some(u) => pattern.copy_from(u.rb().transpose()),
            None => {
                for j in 0..w {
                    for i in j + 1..h {
                        pattern[(i, j)] = dst[(j, i)];
                    }
                    pattern[(j, j)] = pattern_diagonal[i0 + j];
                }
            }
        }
        for j in 0..w {
            let from = if upper.is_none() { j } else { 0 };
            let kj = &mut col_slice_mut(dst.rb_mut(), j)[from..];
            let ij = &col_slice_mut(inputs.rb_mut(), j)[from..];
            let pj = &col_slice_mut(pattern.rb_mut(), j)[from..];
            for ((kv, &pv), &iv) in kj.iter_mut().zip(pj).zip(ij) {
                *kv += pv * iv;
            }
        }
        match upper {
            Some(mut u) => u.copy_from(dst.rb().transpose()),
            None => {
                for j in 0..w {
                    for i in j + 1..h {
                        dst[(j, i)] = dst[(i, j)];
                    }
                }
            }
        }
    };
    match par {
        Par::Seq => {
            let mut scratch = scratch();
            for job in jobs {
                work(&mut scratch, job);
            }
        }
        Par::Rayon(_) => jobs.into_par_iter().for_each_init(scratch, work),
    }
}

/// The nrows x ncols zero matrix, its memory advised for transparent huge pages before it is
/// first written when it is large (>= 4 MiB). Where the kernel's policy is `madvise` (the
/// default of many distributions) a fresh 4 KiB page costs a fault on first touch, which for
/// the n x n and n x m matrices of a Gram product is a tenth of the product's time; numpy
/// gives the same advice for its own large arrays. Only the memory's paging changes, never a
/// value.
pub(crate) fn zeros_on_huge_pages(nrows: usize, ncols: usize) -> Mat<f64> {
    let mut m = Mat::<f64>::with_capacity(nrows, ncols);
    let bytes = nrows * ncols * size_of::<f64>();
    if bytes >= 4 << 20 {
        advise_huge_pages(m.as_ptr() as usize, bytes);
    }
    m.resize_with(nrows, ncols, |_, _| 0.0);
    m
}

/// madvise(MADV_HUGEPAGE) on the whole 4 KiB pages of [addr, addr + len), by a raw system call
/// (the workspace has no libc binding). Advice only: an error (a kernel without transparent
/// huge pages) is ignored.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn advise_huge_pages(addr: usize, len: usize) {
    const PAGE: usize = 4096;
    const SYS_MADVISE: usize = 28;
    const MADV_HUGEPAGE: usize = 14;
    let start = addr.next_multiple_of(PAGE);
    let end = (addr + len) & !(PAGE - 1);
    if end <= start {
        return;
    }
    // SAFETY: madvise(2) with MADV_HUGEPAGE neither reads nor writes memory: it marks the pages
    // of [start, end), which lie inside the caller's own allocation, as eligible for huge pages.
    // The syscall instruction clobbers rcx and r11 (declared) and returns in rax (discarded).
    unsafe {
        std::arch::asm!(
            "syscall",
            inlateout("rax") SYS_MADVISE => _,
            in("rdi") start,
            in("rsi") end - start,
            in("rdx") MADV_HUGEPAGE,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
fn advise_huge_pages(_addr: usize, _len: usize) {}

/// Column j of a column-major matrix as a slice (every `Mat` faer allocates is column-major).
pub fn col_slice(m: &Mat<f64>, j: usize) -> &[f64] {
    m.col(j)
        .try_as_col_major()
        .expect("column-major storage")
        .as_slice()
}

/// Column j of a column-major matrix view as a slice.
pub fn col_slice_mut(m: MatMut<'_, f64>, j: usize) -> &mut [f64] {
    m.col_mut(j)
        .try_as_col_major_mut()
        .expect("column-major storage")
        .as_slice_mut()
}

/// A B^T (rows of A against rows of B), e.g. the pre-activations X W^T of a layer.
pub fn product_transposed(a: MatRef<'_, f64>, b: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut c = zeros_on_huge_pages(a.nrows(), b.nrows());
    faer::linalg::matmul::matmul(c.as_mut(), Accum::Replace, a, b.transpose(), 1.0, par);
    c
}

/// The lower triangle (diagonal included) of scale * A A^T into `dst`; the strict upper
/// triangle of `dst` is left untouched.
fn lower_product(dst: faer::MatMut<'_, f64>, a: MatRef<'_, f64>, scale: f64, par: Par) {
    lower_product_into(dst, a, scale, Accum::Replace, par);
}

/// The lower triangle of scale * A A^T written into (`Accum::Replace`) or added to
/// (`Accum::Add`) that of `dst`.
fn lower_product_into(
    dst: MatMut<'_, f64>,
    a: MatRef<'_, f64>,
    scale: f64,
    accum: Accum,
    par: Par,
) {
    triangular::matmul(
        dst,
        BlockStructure::TriangularLower,
        accum,
        a,
        BlockStructure::Rectangular,
        a.transpose(),
        BlockStructure::Rectangular,
        scale,
        par,
    );
}

/// K_ij = kernel(x_i, x_j) for the rows of `x` (row-major slices), evaluating the kernel once per
/// unordered pair. For kernels without GEMM structure (arc-cosine kernels, closed forms).
pub fn gram_matrix(rows: &[&[f64]], kernel: impl Fn(&[f64], &[f64]) -> f64) -> Mat<f64> {
    let n = rows.len();
    let mut k = Mat::<f64>::zeros(n, n);
    for j in 0..n {
        for i in j..n {
            k[(i, j)] = kernel(rows[i], rows[j]);
        }
    }
    mirror_lower(&mut k);
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three chunks of columns (512, 512, 76) and two tiles (256 + 14) against the formula
    /// entry by entry, exactly symmetric, and bit for bit the same matrix on 1 and 3 threads.
    #[test]
    fn chunked_dense_hadamard_gram_matches_the_formula() {
        let (n, p, d) = (270, 1100, 7);
        let value = |k: usize| ((k * 7919 + 13) % 211) as f64 / 105.0 - 1.0;
        let x = Mat::<f64>::from_fn(n, d, |i, c| value(i * 31 + c * 7));
        let s = Mat::<f64>::from_fn(n, p, |i, c| {
            if value(i * 17 + c * 3 + 5) > 0.0 {
                value(c + 999)
            } else {
                0.0
            }
        });
        let r = Mat::<f64>::from_fn(n, p, |i, c| value(i * 13 + c * 11 + 1).max(0.0));
        let (alpha, beta) = (0.5, 0.25);
        let k = hadamard_gram(
            x.as_ref(),
            Pattern::Dense(s.as_ref()),
            r.as_ref(),
            alpha,
            beta,
            Par::Seq,
        );
        let dot = |m: &Mat<f64>, i: usize, j: usize| -> (f64, f64) {
            (0..m.ncols()).fold((0.0, 0.0), |(v, a), c| {
                (v + m[(i, c)] * m[(j, c)], a + (m[(i, c)] * m[(j, c)]).abs())
            })
        };
        for i in 0..n {
            for j in 0..=i {
                let (xx, xa) = dot(&x, i, j);
                let (ss, sa) = dot(&s, i, j);
                let (rr, ra) = dot(&r, i, j);
                let direct = alpha * xx * ss + beta * rr;
                let scale = alpha * xa * sa + beta * ra;
                assert!(
                    (k[(i, j)] - direct).abs() <= 1e-13 * scale.max(1e-300),
                    "K[{i},{j}] = {} vs {direct}",
                    k[(i, j)]
                );
                assert_eq!(k[(i, j)], k[(j, i)]);
            }
        }
        let threaded = hadamard_gram(
            x.as_ref(),
            Pattern::Dense(s.as_ref()),
            r.as_ref(),
            alpha,
            beta,
            Par::rayon(3),
        );
        for j in 0..n {
            for i in 0..n {
                assert_eq!(k[(i, j)].to_bits(), threaded[(i, j)].to_bits());
            }
        }
    }

    #[test]
    fn huge_page_zeros_are_zeros() {
        for (rows, cols) in [(3, 2), (1024, 700), (0, 5)] {
            let m = zeros_on_huge_pages(rows, cols);
            assert_eq!((m.nrows(), m.ncols()), (rows, cols));
            assert!((0..cols).all(|j| (0..rows).all(|i| m[(i, j)] == 0.0)));
        }
    }

    #[test]
    fn linear_gram_matches_dot_products() {
        let x = Mat::<f64>::from_fn(5, 3, |i, j| (i as f64 + 1.0) * (j as f64 - 1.0) + 0.5);
        let k = linear_gram(x.as_ref(), Par::Seq);
        let rows: Vec<Vec<f64>> = (0..5)
            .map(|i| (0..3).map(|j| x[(i, j)]).collect())
            .collect();
        let refs: Vec<&[f64]> = rows.iter().map(|r| r.as_slice()).collect();
        let k2 = gram_matrix(&refs, |a, b| a.iter().zip(b).map(|(p, q)| p * q).sum());
        for i in 0..5 {
            for j in 0..5 {
                assert!((k[(i, j)] - k2[(i, j)]).abs() < 1e-12);
                assert_eq!(k[(i, j)], k[(j, i)]);
            }
        }
    }
}
