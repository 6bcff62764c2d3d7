//! Gradient descent on deep ReLU networks: the first step against the gradient, the linearised
//! model (second-order gap, and its residual equal to the kernel prediction from the
//! eigenpairs of K_0), fixed layers that stay fixed, convergence, and divergence as an error.

use overparam_kernel::SeedPath;
use overparam_kernel::deep::{
    DeepDescentConfig, DeepError, DeepReluNet, Parametrisation, Trained, deep_gradient_descent,
    empirical_ntk, gram_spectrum, kernel_prediction, loss_and_gradient,
};
use overparam_linalg::{Mat, Par};
use rand_distr::{Distribution, StandardNormal};

/// n points on the unit sphere in R^d and standard normal targets.
fn data(n: usize, d: usize, master: u64) -> (Mat<f64>, Vec<f64>) {
    let mut rng = SeedPath::new(master, "test", "data", 0).rng();
    let mut x = Mat::<f64>::zeros(n, d);
    for i in 0..n {
        for j in 0..d {
            x[(i, j)] = StandardNormal.sample(&mut rng);
        }
        let norm = (0..d).map(|j| x[(i, j)] * x[(i, j)]).sum::<f64>().sqrt();
        for j in 0..d {
            x[(i, j)] /= norm;
        }
    }
    let y = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    (x, y)
}

fn config(lr: f64, steps: u64, trained: Trained) -> DeepDescentConfig {
    DeepDescentConfig {
        lr,
        steps,
        trained,
        stop_below: 0.0,
        record_every: 1,
    }
}

fn network(p: Parametrisation, d: usize, m: usize, depth: usize) -> DeepReluNet {
    DeepReluNet::init(p, d, m, depth, &SeedPath::new(3, "test", "net", 0)).unwrap()
}

/// With a small step, F(1) - F(0) = -eta ||grad F||^2 (1 + O(eta)): the update moves along the
/// negative gradient of exactly the trained parameters.
#[test]
fn first_step_decreases_the_loss_by_eta_times_the_squared_gradient() {
    let (x, y) = data(6, 4, 1);
    for trained in [Trained::All, Trained::Hidden] {
        let net = network(Parametrisation::Standard, 4, 16, 3);
        let g = loss_and_gradient(&net, x.as_ref(), &y, Par::Seq).unwrap();
        let eta = 1e-6;
        let run = deep_gradient_descent(&net, x.as_ref(), &y, &config(eta, 1, trained), Par::Seq)
            .unwrap();
        let predicted = -eta * g.norm_squared(trained);
        let actual = run.records[1].loss - run.records[0].loss;
        assert!(
            (actual / predicted - 1.0).abs() < 1e-3,
            "{trained:?}: {actual} vs {predicted}"
        );
    }
}

/// The linearised model's residual ||u_lin(t) - y|| equals sqrt(sum (1 - eta lambda_i)^(2t)
/// (v_i . r_0)^2) from the eigenpairs of K_0, at every recorded step.
#[test]
fn linearised_residual_is_the_kernel_prediction() {
    let (x, y) = data(8, 5, 2);
    let net = network(Parametrisation::Ntk, 5, 64, 2);
    let k0 = empirical_ntk(&net, x.as_ref(), Trained::All, Par::Seq).unwrap();
    let eigen = gram_spectrum(k0.as_ref(), Par::Seq).unwrap();
    let lr = 1.0 / eigen.values.last().unwrap();
    let run = deep_gradient_descent(
        &net,
        x.as_ref(),
        &y,
        &config(lr, 200, Trained::All),
        Par::Seq,
    )
    .unwrap();
    let f0 = net.forward(x.as_ref(), Par::Seq).unwrap().outputs;
    let r0: Vec<f64> = f0.iter().zip(&y).map(|(f, t)| f - t).collect();
    for rec in &run.records {
        let predicted = kernel_prediction(&eigen, lr, &r0, rec.step);
        assert!(
            (rec.linear_residual - predicted).abs() <= 1e-9 * (1.0 + predicted),
            "step {}: {} vs {predicted}",
            rec.step,
            rec.linear_residual
        );
    }
    assert_eq!(run.initial_ntk, k0);
}

/// After one step the network and its linearisation differ at second order in eta: halving eta
/// divides the gap by 4 (3.5 to 4.5 allows the O(eta^3) term at these step sizes).
#[test]
fn network_and_linear_model_differ_at_second_order() {
    let (x, y) = data(5, 3, 3);
    let net = network(Parametrisation::Ntk, 3, 32, 2);
    let gap = |eta: f64| {
        deep_gradient_descent(
            &net,
            x.as_ref(),
            &y,
            &config(eta, 1, Trained::All),
            Par::Seq,
        )
        .unwrap()
        .records[1]
            .linear_gap
    };
    let (a, b) = (gap(1e-4), gap(5e-5));
    assert!(a > 0.0 && b > 0.0);
    let ratio = a / b;
    assert!((3.5..=4.5).contains(&ratio), "gap ratio {ratio}");
}

/// With first and last layers fixed, W_1 and v never move and the other layers do.
#[test]
fn fixed_layers_stay_fixed() {
    let (x, y) = data(6, 4, 4);
    let net = network(Parametrisation::Standard, 4, 32, 3);
    let run = deep_gradient_descent(
        &net,
        x.as_ref(),
        &y,
        &config(0.01, 20, Trained::Hidden),
        Par::Seq,
    )
    .unwrap();
    assert_eq!(run.network.layers()[0], net.layers()[0]);
    assert_eq!(run.network.output(), net.output());
    let last = run.records.last().unwrap();
    assert_eq!(last.layer_movement[0], 0.0);
    assert_eq!(last.output_movement, 0.0);
    assert!(last.layer_movement[1] > 0.0 && last.layer_movement[2] > 0.0);
}

/// At step 1/lambda_max(K_0) a wide network on separated points drives the loss down by many
/// orders, monotonically, and stops at `stop_below`.
#[test]
fn wide_network_converges_monotonically() {
    let (x, y) = data(6, 5, 5);
    let net = network(Parametrisation::Ntk, 5, 512, 2);
    let k0 = empirical_ntk(&net, x.as_ref(), Trained::All, Par::Seq).unwrap();
    let lambda_max = *gram_spectrum(k0.as_ref(), Par::Seq)
        .unwrap()
        .values
        .last()
        .unwrap();
    let mut cfg = config(1.0 / lambda_max, 5000, Trained::All);
    cfg.stop_below = 1e-10;
    let run = deep_gradient_descent(&net, x.as_ref(), &y, &cfg, Par::Seq).unwrap();
    let losses: Vec<f64> = run.records.iter().map(|r| r.loss).collect();
    assert!(losses.windows(2).all(|w| w[1] < w[0]), "loss not monotone");
    assert!(
        *losses.last().unwrap() < 1e-10,
        "final loss {}",
        losses.last().unwrap()
    );
    assert!(run.records.len() < 5001, "did not stop early");
}

#[test]
fn a_step_that_is_far_too_large_is_a_divergence_error() {
    let (x, y) = data(5, 3, 6);
    let net = network(Parametrisation::Ntk, 3, 16, 2);
    let err = deep_gradient_descent(
        &net,
        x.as_ref(),
        &y,
        &config(1e6, 2000, Trained::All),
        Par::Seq,
    )
    .unwrap_err();
    assert!(matches!(err, DeepError::Diverged { .. }), "{err:?}");
    let bad_targets = vec![0.0; 4];
    assert!(matches!(
        deep_gradient_descent(
            &net,
            x.as_ref(),
            &bad_targets,
            &config(0.1, 1, Trained::All),
            Par::Seq
        ),
        Err(DeepError::Targets {
            rows: 5,
            targets: 4
        })
    ));
}
