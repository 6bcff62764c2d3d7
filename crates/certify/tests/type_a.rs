use overparam_certify::{Options, Verdict, certify};
use overparam_kernel::TwoLayerNet;
use overparam_kernel::type_a::TypeA;

fn table(d: usize) -> TypeA {
    let p = match d {
        5 => [0.96160683, -0.07908255, 0.37606505, 0.28754993, -0.55977841],
        6 => [0.98670382, -0.05041340, 0.30801099, 0.22451581, -0.60151192],
        7 => [0.99692280, -0.03508016, 0.26169108, 0.18599105, -0.63270390],
        8 => [1.00143425, -0.02588363, 0.22808902, 0.15981604, -0.65825626],
        10 => [1.00435482, -0.01581193, 0.18236776, 0.12604236, -0.69903682],
        20 => [1.00300375, -0.00365514, 0.09318741, 0.06371471, -0.81002058],
        _ => panic!(),
    };
    TypeA::from_array(p)
}

#[test]
fn type_a_points() {
    for d in [5, 6, 7, 8, 10] {
        let t0 = std::time::Instant::now();
        let s = table(d).network(d);
        let c = certify(&s, &TwoLayerNet::identity(d), Options::default());
        eprintln!(
            "d={d} {:?} r={:?} loss={:?} lmin={:?} rq={:?} contr={:?} moved={:.2e} it={} {:.3}s",
            c.verdict,
            c.radius,
            c.loss,
            c.lambda_min_lower,
            c.rayleigh_upper,
            c.contraction,
            c.moved,
            c.newton_iterations,
            t0.elapsed().as_secs_f64()
        );
        if d == 5 {
            assert_eq!(c.verdict, Verdict::Saddle);
        } else {
            assert_eq!(c.verdict, Verdict::Minimum);
            assert!(c.spurious());
        }
    }
}
