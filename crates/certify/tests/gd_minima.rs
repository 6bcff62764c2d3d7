//! Spurious minima that gradient descent finds at d = 12 (type A and other families), given to
//! `certify` as a user would: the GD endpoint, not a tabled point.

use overparam_certify::{Options, Verdict, certify};
use overparam_kernel::{DescentConfig, PopulationLoss, SeedPath, TwoLayerNet, gradient_descent};
use rand_distr::{Distribution, StandardNormal};

#[test]
fn gd_spurious_minima_at_d12_are_certified() {
    let d = 12;
    let teacher = TwoLayerNet::identity(d);
    let loss = PopulationLoss::new(teacher.clone());
    let mut spurious = Vec::new();
    for seed in 0..6u64 {
        let mut rng = SeedPath::new(seed, "certify-test", "gd d=12", 0).rng();
        let w: Vec<f64> = (0..d * d)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut rng);
                z / (d as f64).sqrt()
            })
            .collect();
        let start = TwoLayerNet::from_flat(d, vec![1.0; d], w).unwrap();
        let config = DescentConfig::new(5.0 / d as f64, 200_000, 1)
            .first_layer_only()
            .stop_at_gradient(1e-9)
            .stop_at_loss(1e-9);
        let run = gradient_descent(&loss, start, &config).unwrap();
        let end = run.end();
        if end.loss > 1e-4 && end.grad_norm <= 1e-9 {
            let c = certify(&run.network, &teacher, Options::default());
            eprintln!(
                "seed {seed}: GD loss {:.7} -> {} loss {:?} lambda_min >= {:?}",
                end.loss,
                c.verdict.line(),
                c.loss,
                c.lambda_min_lower
            );
            spurious.push((end.loss, c));
        }
    }
    assert!(!spurious.is_empty(), "no spurious endpoint in 6 runs");
    for (l, c) in &spurious {
        assert_eq!(c.verdict, Verdict::Minimum, "GD loss {l}");
        let (lo, hi) = c.loss.unwrap();
        assert!(lo > 0.0 && lo <= *l + 1e-9 && *l - 1e-9 <= hi);
    }
}
