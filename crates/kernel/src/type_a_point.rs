//! The type-A point W(p) as data: its five parameters and the network they define. Kept apart
//! from `type_a` (the Newton solve) so that `symmetric_hessian` and `symmetry` can use the shape
//! without depending on the solver that depends on them.

use crate::population::TwoLayerNet;

/// Parameters (a, b, c, e, f) of the family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TypeA {
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub e: f64,
    pub f: f64,
}

impl TypeA {
    pub fn to_array(self) -> [f64; 5] {
        [self.a, self.b, self.c, self.e, self.f]
    }

    pub fn from_array(p: [f64; 5]) -> Self {
        TypeA {
            a: p[0],
            b: p[1],
            c: p[2],
            e: p[3],
            f: p[4],
        }
    }

    /// The k = d student with unit output weights.
    pub fn network(self, d: usize) -> TwoLayerNet {
        let mut w = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                w[i * d + j] = self.entry(d, i, j);
            }
        }
        TwoLayerNet::from_flat(d, vec![1.0; d], w).expect("finite parameters give a valid network")
    }

    pub(crate) fn entry(self, d: usize, i: usize, j: usize) -> f64 {
        let last = d - 1;
        match (i == last, j == last) {
            (false, false) if i == j => self.a,
            (false, false) => self.b,
            (false, true) => self.c,
            (true, false) => self.e,
            (true, true) => self.f,
        }
    }
}
