//! Safran & Shamir, "Spurious Local Minima are Common in Two-Layer ReLU Neural Networks",
//! ICML 2018: gradient descent from random initialisation on the Gaussian population loss
//! (k students, teacher I_d, unit output weights) often ends in spurious local minima when
//! k = d, more often as k grows, and rarely once there is one extra student (k = d + 1).

mod certified_spurious_minima;
mod spurious_frequency;

pub use certified_spurious_minima::{
    CERTIFIED_SPURIOUS_MINIMA_ID, CertifiedSpuriousMinima, PUBLISHED_K7_POINT,
};
pub use spurious_frequency::{SPURIOUS_FREQUENCY_ID, SpuriousFrequency};
