//! The weights of a deep ReLU network, their seeded initialisation, and the forward pass.

use overparam_linalg::{Mat, MatRef, Par, product_transposed};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use super::DeepError;
use crate::ntk::check_data;
use crate::seed::SeedPath;

/// How the weights are scaled (see the [module documentation](super)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parametrisation {
    /// Standard normal weights, h_l = sqrt(2/m) relu(W_l h_(l-1)): the NTK parametrisation.
    Ntk,
    /// W_l entries N(0, 2/m), h_l = relu(W_l h_(l-1)), v standard normal (Allen-Zhu et al.).
    Standard,
}

/// Which parameters gradient descent and the NTK range over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trained {
    /// W_1, ..., W_L and v.
    All,
    /// W_2, ..., W_L only: the first layer and the output weights stay at their initial values,
    /// as in Allen-Zhu, Li & Song (their A and B).
    Hidden,
}

impl Trained {
    /// Whether layer `index` (0-based: W_1 is 0) is trained.
    pub fn layer(self, index: usize) -> bool {
        match self {
            Trained::All => true,
            Trained::Hidden => index > 0,
        }
    }

    /// Whether the output weights v are trained.
    pub fn output(self) -> bool {
        self == Trained::All
    }
}

/// x -> s v^T h_L with h_l = c relu(W_l h_(l-1)), h_0 = x.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepReluNet {
    layers: Vec<Mat<f64>>,
    output: Vec<f64>,
    layer_scale: f64,
    output_scale: f64,
}

/// The hidden representations of n data points: `hidden[l]` is H_l (n x fan-out, one row per
/// point; H_0 is the data), and `outputs` the n network outputs.
#[derive(Debug, Clone)]
pub struct Forward {
    pub hidden: Vec<Mat<f64>>,
    pub outputs: Vec<f64>,
}

impl DeepReluNet {
    /// A random network of `depth` hidden layers of width `m` on inputs of dimension `d`.
    ///
    /// The stream of `seed` is drawn in this order: W_1 row by row (m x d), then W_2, ..., W_L
    /// row by row (m x m), then v (m entries), each entry standard normal times the
    /// parametrisation's standard deviation (1, or sqrt(2/m) for the hidden layers of
    /// [`Parametrisation::Standard`]).
    pub fn init(
        parametrisation: Parametrisation,
        d: usize,
        m: usize,
        depth: usize,
        seed: &SeedPath,
    ) -> Result<DeepReluNet, DeepError> {
        check_shape(d, m, depth)?;
        let mut rng = seed.rng();
        let (std, layer_scale) = match parametrisation {
            Parametrisation::Ntk => (1.0, (2.0 / m as f64).sqrt()),
            Parametrisation::Standard => ((2.0 / m as f64).sqrt(), 1.0),
        };
        let layers = (0..depth)
            .map(|l| {
                let fan_in = if l == 0 { d } else { m };
                let mut w = Mat::<f64>::zeros(m, fan_in);
                for i in 0..m {
                    for j in 0..fan_in {
                        w[(i, j)] = std * normal(&mut rng);
                    }
                }
                w
            })
            .collect();
        let output = (0..m).map(|_| normal(&mut rng)).collect();
        Ok(DeepReluNet {
            layers,
            output,
            layer_scale,
            output_scale: 1.0,
        })
    }

    /// A network from explicit weights: `layers[0]` is m x d, the others m x m, `output` has m
    /// entries; `layer_scale` is c and `output_scale` is s.
    pub fn from_parts(
        layers: Vec<Mat<f64>>,
        output: Vec<f64>,
        layer_scale: f64,
        output_scale: f64,
    ) -> Result<DeepReluNet, DeepError> {
        let depth = layers.len();
        let (m, d) = layers.first().map_or((0, 0), |w| (w.nrows(), w.ncols()));
        check_shape(d, m, depth)?;
        if layers[1..].iter().any(|w| w.nrows() != m || w.ncols() != m) {
            return Err(DeepError::Shape(
                "hidden layers after the first must be m x m",
            ));
        }
        if output.len() != m {
            return Err(DeepError::Shape(
                "the output weights need one entry per unit",
            ));
        }
        if !(layer_scale.is_finite() && layer_scale > 0.0 && output_scale.is_finite()) {
            return Err(DeepError::Shape(
                "the layer scale must be positive and the output scale finite",
            ));
        }
        Ok(DeepReluNet {
            layers,
            output,
            layer_scale,
            output_scale,
        })
    }

    /// The same weights with f multiplied by `output_scale` instead (for example 1/sqrt(m) or
    /// 1/m, the mean-field scalings that leave the kernel regime).
    pub fn with_output_scale(mut self, output_scale: f64) -> DeepReluNet {
        self.output_scale = output_scale;
        self
    }

    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    pub fn width(&self) -> usize {
        self.output.len()
    }

    pub fn input_dim(&self) -> usize {
        self.layers[0].ncols()
    }

    /// W_1, ..., W_L.
    pub fn layers(&self) -> &[Mat<f64>] {
        &self.layers
    }

    pub fn layers_mut(&mut self) -> &mut [Mat<f64>] {
        &mut self.layers
    }

    /// v.
    pub fn output(&self) -> &[f64] {
        &self.output
    }

    pub fn output_mut(&mut self) -> &mut [f64] {
        &mut self.output
    }

    /// c in h_l = c relu(W_l h_(l-1)).
    pub fn layer_scale(&self) -> f64 {
        self.layer_scale
    }

    /// s in f = s v^T h_L.
    pub fn output_scale(&self) -> f64 {
        self.output_scale
    }

    /// Number of scalar parameters in `trained`.
    pub fn parameter_count(&self, trained: Trained) -> usize {
        let layers: usize = (0..self.depth())
            .filter(|&l| trained.layer(l))
            .map(|l| self.layers[l].nrows() * self.layers[l].ncols())
            .sum();
        layers + if trained.output() { self.width() } else { 0 }
    }

    /// H_0, ..., H_L and f at the rows of `x` (n x d): L GEMMs H_(l-1) W_l^T.
    pub fn forward(&self, x: MatRef<'_, f64>, par: Par) -> Result<Forward, DeepError> {
        check_data(x, self.input_dim())?;
        let mut hidden = Vec::with_capacity(self.depth() + 1);
        hidden.push(x.to_owned());
        for w in &self.layers {
            let mut h = product_transposed(
                hidden.last().expect("H_0 is there").as_ref(),
                w.as_ref(),
                par,
            );
            for j in 0..h.ncols() {
                for z in h.col_as_slice_mut(j) {
                    *z = if *z > 0.0 { self.layer_scale * *z } else { 0.0 };
                }
            }
            hidden.push(h);
        }
        let last = hidden.last().expect("L >= 1");
        let mut outputs = vec![0.0; x.nrows()];
        for (r, &v_r) in self.output.iter().enumerate() {
            let weight = self.output_scale * v_r;
            for (o, &h) in outputs.iter_mut().zip(last.col_as_slice(r)) {
                *o += weight * h;
            }
        }
        Ok(Forward { hidden, outputs })
    }
}

fn check_shape(d: usize, m: usize, depth: usize) -> Result<(), DeepError> {
    if depth == 0 {
        return Err(DeepError::Shape(
            "the network needs at least one hidden layer",
        ));
    }
    if m == 0 || d == 0 {
        return Err(DeepError::Shape(
            "the width and the input dimension must be positive",
        ));
    }
    Ok(())
}

fn normal(rng: &mut impl Rng) -> f64 {
    StandardNormal.sample(rng)
}
