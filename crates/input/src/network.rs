//! The `teacher-student` tool's networks: CSV without header, one row per hidden neuron,
//! `a_i, w_i1, ..., w_id`, and the checks a teacher and student pair must pass before training.

use overparam_kernel::{LossGradient, PopulationLoss, TwoLayerNet};

use crate::csv_table::{InputError, parse_numeric_csv};

/// The documented format, repeated in messages about a wrong shape.
pub const NETWORK_FORMAT: &str = "CSV with no header, one row per hidden neuron: the output \
weight a_i first, then the d entries of the weight vector w_i (every row has d + 1 numbers)";

/// A network as read from a file, with the file line of each neuron's row.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkFile {
    pub net: TwoLayerNet,
    pub lines: Vec<u64>,
}

/// Parses a network file: a rectangular table of finite numbers with at least 2 columns.
/// Never panics, whatever the bytes.
pub fn parse_network(bytes: &[u8]) -> Result<NetworkFile, InputError> {
    let table = parse_numeric_csv(bytes, false)?;
    if table.ncols() < 2 {
        return Err(InputError::new(format!(
            "each row needs at least 2 numbers (the output weight a, then the weight vector w), \
             found {}. Format: {NETWORK_FORMAT}",
            table.ncols()
        )));
    }
    let a: Vec<f64> = table.rows.iter().map(|r| r[0]).collect();
    let rows: Vec<Vec<f64>> = table.rows.iter().map(|r| r[1..].to_vec()).collect();
    let net = TwoLayerNet::new(a, &rows).map_err(|e| InputError::new(e.to_string()))?;
    Ok(NetworkFile {
        net,
        lines: table.lines,
    })
}

/// One side of a teacher-student pair, as messages name it (`teacher T.csv`).
pub struct Named<'a> {
    pub role: &'a str,
    pub file: &'a str,
    pub network: &'a NetworkFile,
}

/// Checks that training can start: the same input dimension, and a finite loss and gradient at
/// the student's starting point.
///
/// Why the loss and gradient: gradient descent refuses a non-finite loss as divergence, so an
/// input whose very first evaluation overflows f64 (an output weight of 1e308, say) would be
/// reported as "diverged after 0 steps", blaming the learning rate for what is bad input. This
/// is exactly the first evaluation training performs, so it refuses precisely those inputs.
pub fn check_pair(teacher: &Named, student: &Named) -> Result<(), String> {
    let (t, s) = (&teacher.network.net, &student.network.net);
    if t.dim() != s.dim() {
        return Err(format!(
            "teacher {} has input dimension d = {} ({} numbers per row) but student {} has \
             d = {}; both must have the same d",
            teacher.file,
            t.dim(),
            t.dim() + 1,
            student.file,
            s.dim()
        ));
    }
    let loss = PopulationLoss::new(t.clone());
    let mut g = LossGradient::new(s.width(), s.dim());
    loss.evaluate(s, &mut g).map_err(|e| e.to_string())?;
    let finite = g.loss.is_finite() && g.grad_a.iter().chain(&g.grad_w).all(|v| v.is_finite());
    if finite {
        return Ok(());
    }
    // Name the neuron with the largest output a_i |w_i| across both files: the loss is a
    // quadratic form in those, so the largest is what overflows.
    let (side, row, a, w_norm) = [teacher, student]
        .into_iter()
        .flat_map(|side| {
            let net = &side.network.net;
            (0..net.width()).map(move |i| (side, i, net.a()[i], norm(net.neuron(i))))
        })
        .max_by(|x, y| size(x.2, x.3).total_cmp(&size(y.2, y.3)))
        .expect("networks have at least one neuron");
    Err(format!(
        "the starting point is too large for f64: the initial loss is {:e} and the gradient {}, \
         so training cannot start. The largest neuron is {} {} line {} (a = {a:e}, |w| = \
         {w_norm:e}, a |w| = {:e}); rescale the networks (the loss scales with the square of a \
         |w|)",
        g.loss,
        if g.grad_a.iter().chain(&g.grad_w).all(|v| v.is_finite()) {
            "is finite"
        } else {
            "is not finite"
        },
        side.role,
        side.file,
        side.network.lines[row],
        size(a, w_norm)
    ))
}

/// |a| |w|, with NaN (0 times an infinite norm) counted as infinite.
fn size(a: f64, w_norm: f64) -> f64 {
    let s = a.abs() * w_norm;
    if s.is_nan() { f64::INFINITY } else { s }
}

fn norm(w: &[f64]) -> f64 {
    w.iter().map(|v| v * v).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named<'a>(role: &'a str, n: &'a NetworkFile) -> Named<'a> {
        Named {
            role,
            file: "f.csv",
            network: n,
        }
    }

    #[test]
    fn a_huge_output_weight_is_refused_naming_its_line() {
        let t = parse_network(b"1,1,0\n1,0,1\n").unwrap();
        let s = parse_network(b"# student\n0.5,1,0\n1e308,0,1\n").unwrap();
        let e = check_pair(&named("teacher", &t), &named("student", &s)).unwrap_err();
        assert!(e.contains("student f.csv line 3"), "{e}");
        assert!(e.contains("a = 1e308"), "{e}");
    }

    #[test]
    fn an_ordinary_pair_passes_and_mismatched_d_does_not() {
        let t = parse_network(b"1,1,0\n1,0,1\n").unwrap();
        let s = parse_network(b"0.5,1,0.2\n").unwrap();
        assert_eq!(
            check_pair(&named("teacher", &t), &named("student", &s)),
            Ok(())
        );
        let s3 = parse_network(b"0.5,1,0.2,3\n").unwrap();
        let e = check_pair(&named("teacher", &t), &named("student", &s3)).unwrap_err();
        assert!(e.contains("both must have the same d"), "{e}");
    }

    #[test]
    fn one_column_is_not_a_network() {
        let e = parse_network(b"1\n2\n").unwrap_err().to_string();
        assert!(e.contains("at least 2 numbers"), "{e}");
    }
}
