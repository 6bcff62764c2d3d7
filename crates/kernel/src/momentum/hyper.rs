//! The three methods, their hyper-parameter domains and the paper's default choices.

use super::{BatchSize, Constants, MomentumError};

/// The update rule w' = u - eta1 g, u' = (1 + gamma) w' - gamma w + eta2 g, with
/// gamma = eta2 = 0 for SGD and eta2 = 0 for Nesterov.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Sgd,
    Nesterov,
    Mass,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Sgd => "sgd",
            Method::Nesterov => "nesterov",
            Method::Mass => "mass",
        }
    }
}

/// Step eta1, momentum gamma, compensation eta2.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hyper {
    pub eta1: f64,
    pub gamma: f64,
    pub eta2: f64,
}

impl Hyper {
    /// The paper's choice for `method` at batch size `batch`:
    /// * SGD: eta = 1/L1(b), the optimal SGD step of Ma, Bassily & Belkin (2018);
    /// * Nesterov: the same step and the classical momentum
    ///   gamma = (1 - sqrt(eta mu)) / (1 + sqrt(eta mu));
    /// * MaSS: eta1 = 1/L1(b), alpha = 1/sqrt(kappa_b kappa-tilde_b), gamma = (1-alpha)/(1+alpha),
    ///   eta2 = eta1 (1 - 1/kappa-tilde_b) / (1 + alpha), the two-variable form of the
    ///   three-variable rule with delta = eta1 / (alpha kappa-tilde_b).
    pub fn paper_default(method: Method, constants: &Constants, batch: BatchSize) -> Hyper {
        let eta1 = 1.0 / constants.l1_batch(batch);
        match method {
            Method::Sgd => Hyper {
                eta1,
                gamma: 0.0,
                eta2: 0.0,
            },
            Method::Nesterov => {
                let q = (eta1 * constants.mu).sqrt();
                Hyper {
                    eta1,
                    gamma: (1.0 - q) / (1.0 + q),
                    eta2: 0.0,
                }
            }
            Method::Mass => {
                let alpha = Self::mass_alpha(constants, batch);
                let kt = constants.kappa_tilde_batch(batch);
                Hyper {
                    eta1,
                    gamma: (1.0 - alpha) / (1.0 + alpha),
                    eta2: eta1 * (1.0 - 1.0 / kt) / (1.0 + alpha),
                }
            }
        }
    }

    /// alpha = 1/sqrt(kappa_b kappa-tilde_b): MaSS's claimed rate is (1 - alpha)^t.
    pub fn mass_alpha(constants: &Constants, batch: BatchSize) -> f64 {
        1.0 / (constants.kappa_batch(batch) * constants.kappa_tilde_batch(batch)).sqrt()
    }

    /// c2 = (1 + gamma) eta1 - eta2: the step the u-block takes along the gradient.
    pub fn c2(&self) -> f64 {
        (1.0 + self.gamma) * self.eta1 - self.eta2
    }

    /// Checks the domains the tool enforces: eta1 > 0 finite for every method; SGD has
    /// gamma = eta2 = 0; Nesterov gamma in [0, 1) and eta2 = 0; MaSS gamma in [0, 1) and
    /// eta2 in [0, eta1) (the two-variable form of MaSS has eta2 = eta1 (1 - 1/kappa-tilde)/(1 +
    /// alpha) in that range). The operator itself accepts any finite values (negative
    /// controls flip the sign of eta2).
    pub fn validate(&self, method: Method) -> Result<(), MomentumError> {
        let finite = |parameter: &'static str, value: f64| {
            if value.is_finite() {
                Ok(())
            } else {
                Err(MomentumError::Domain {
                    parameter,
                    value,
                    domain: "finite numbers",
                })
            }
        };
        finite("eta (--lr)", self.eta1)?;
        finite("gamma (--momentum)", self.gamma)?;
        finite("eta2 (--compensation)", self.eta2)?;
        if self.eta1 <= 0.0 {
            return Err(MomentumError::Domain {
                parameter: "eta (--lr)",
                value: self.eta1,
                domain: "(0, inf)",
            });
        }
        let momentum_range = |gamma: f64| {
            if (0.0..1.0).contains(&gamma) {
                Ok(())
            } else {
                Err(MomentumError::Domain {
                    parameter: "gamma (--momentum)",
                    value: gamma,
                    domain: "[0, 1)",
                })
            }
        };
        match method {
            Method::Sgd => {
                if self.gamma != 0.0 {
                    return Err(MomentumError::Domain {
                        parameter: "gamma (--momentum)",
                        value: self.gamma,
                        domain: "{0} for sgd",
                    });
                }
                if self.eta2 != 0.0 {
                    return Err(MomentumError::Domain {
                        parameter: "eta2 (--compensation)",
                        value: self.eta2,
                        domain: "{0} for sgd",
                    });
                }
            }
            Method::Nesterov => {
                momentum_range(self.gamma)?;
                if self.eta2 != 0.0 {
                    return Err(MomentumError::Domain {
                        parameter: "eta2 (--compensation)",
                        value: self.eta2,
                        domain: "{0} for nesterov",
                    });
                }
            }
            Method::Mass => {
                momentum_range(self.gamma)?;
                if !(0.0..self.eta1).contains(&self.eta2) {
                    return Err(MomentumError::Domain {
                        parameter: "eta2 (--compensation)",
                        value: self.eta2,
                        domain: "[0, eta) for mass",
                    });
                }
            }
        }
        Ok(())
    }
}
