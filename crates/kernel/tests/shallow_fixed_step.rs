//! The constant-step descent of `shallow::descent` and the mean-loss gradient variant: the
//! runner takes exactly the steps it is given (no hidden step control), reports divergence
//! instead of failing, and stops when asked.

use overparam_kernel::shallow::descent::{FixedStepSettings, fixed_step_descent};
use overparam_kernel::{
    Activation, Evaluation, GradientVariant, SeedPath, ShallowData, ShallowNet,
};

fn problem(seed: u64, d0: usize, d1: usize, n: usize) -> (ShallowData, ShallowNet) {
    let mut rng = SeedPath::new(seed, "test", "fixed-step", 0).rng();
    let data = ShallowData::sphere(d0, n, 1, &mut rng);
    let net = ShallowNet::gaussian(
        d0,
        d1,
        1,
        1.0 / (d0 as f64).sqrt(),
        1.0 / (d1 as f64).sqrt(),
        &mut rng,
    );
    (data, net)
}

fn settings(eta: f64, max_steps: usize, gradient: GradientVariant) -> FixedStepSettings {
    FixedStepSettings {
        activation: Activation::Gelu,
        gradient,
        eta,
        max_steps,
        target_ratio: 0.0,
        track_spectrum: true,
    }
}

/// Ten steps of the runner are bit-for-bit ten hand-written steps theta <- theta - eta grad h,
/// and every record carries the constant step and the losses before and after it.
#[test]
fn takes_exactly_the_constant_steps() {
    let (data, start) = problem(1, 4, 12, 8);
    let eta = 0.01;
    let mut net = start.clone();
    let mut records = Vec::new();
    let summary = fixed_step_descent(
        &mut net,
        &data,
        &settings(eta, 10, GradientVariant::Exact),
        |r| {
            records.push(*r);
            true
        },
    )
    .unwrap();
    assert_eq!(summary.steps, 10);
    assert!(!summary.diverged && !summary.stopped);

    let mut manual = start.clone();
    let mut next = start.clone();
    let mut eval = Evaluation::for_problem(&manual, &data).unwrap();
    for r in &records {
        let h = eval.forward(&manual, &data, Activation::Gelu).unwrap();
        assert_eq!(h, r.loss);
        assert_eq!(r.eta, eta);
        assert_eq!(r.backtracks, 0);
        eval.backward(&manual, &data, GradientVariant::Exact)
            .unwrap();
        next.assign_step(&manual, &eval, eta);
        std::mem::swap(&mut manual, &mut next);
    }
    assert_eq!(manual, net);
    let h = eval.forward(&manual, &data, Activation::Gelu).unwrap();
    assert_eq!(h, summary.final_loss);
    assert_eq!(records.last().unwrap().next_loss, summary.final_loss);
    // the tracked spectrum: sigma_min <= sigma_max, both positive at d1 >= n
    for r in &records {
        assert!(r.sigma_min > 0.0 && r.sigma_min <= r.sigma_max);
    }
}

/// A step far beyond 2 / ||Hess h|| sends the loss out of the floating-point range: the run
/// ends with `diverged`, not with an error, and never reports a non-finite loss.
#[test]
fn reports_divergence_instead_of_failing() {
    let (data, mut net) = problem(2, 4, 12, 8);
    let mut finite = true;
    let summary = fixed_step_descent(
        &mut net,
        &data,
        &settings(1e3, 10_000, GradientVariant::Exact),
        |r| {
            finite &= r.loss.is_finite() && r.next_loss.is_finite();
            true
        },
    )
    .unwrap();
    assert!(summary.diverged, "{summary:?}");
    assert!(finite && summary.final_loss.is_finite());
    assert!(summary.steps < 10_000);
}

/// Returning false from the callback stops the run after that (accepted) step.
#[test]
fn stops_when_asked() {
    let (data, mut net) = problem(3, 4, 12, 8);
    let summary = fixed_step_descent(
        &mut net,
        &data,
        &settings(0.01, 100, GradientVariant::Exact),
        |r| r.step < 2,
    )
    .unwrap();
    assert_eq!(summary.steps, 3);
    assert!(summary.stopped && !summary.reached_target);
}

/// The mean-loss variant is exactly the exact gradient divided by n, in both layers (n a power
/// of two, so the division is exact).
#[test]
fn mean_loss_variant_divides_both_layers_by_n() {
    let (data, net) = problem(4, 3, 5, 8);
    let mut exact = Evaluation::for_problem(&net, &data).unwrap();
    exact.forward(&net, &data, Activation::Gelu).unwrap();
    let mut mean = exact.clone();
    exact.backward(&net, &data, GradientVariant::Exact).unwrap();
    mean.backward(&net, &data, GradientVariant::MeanLoss)
        .unwrap();
    for j in 0..3 {
        for i in 0..5 {
            assert_eq!(mean.grad_w[(i, j)] * 8.0, exact.grad_w[(i, j)]);
        }
    }
    for j in 0..5 {
        assert_eq!(mean.grad_v[(0, j)] * 8.0, exact.grad_v[(0, j)]);
    }
}
