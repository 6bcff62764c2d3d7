//! Margins of shallow ReLU networks under the logistic loss (Telgarsky 2023): the networks, data
//! and training loops in [`net`], and the max-margin programmes with primal-dual certificates
//! (clarabel) in [`solve`], and neural-collapse (grouped) data in [`data`].

pub mod data;
pub mod net;
pub mod solve;

pub use solve::{Certified, MarginError, blockwise_margin, l1_margin, l2_margin};
