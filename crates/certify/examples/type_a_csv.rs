//! Prints the type-A spurious minimum of the k = d loss (teacher I_d) as CSV at 8 significant
//! digits, rows and columns permuted, for `overparam certify` examples:
//! `cargo run --release -p overparam-certify --example type_a_csv -- 200 > w200.csv`.
//! The point comes from the kernel's reduced Newton, continued from the d = 20 row of the
//! note's table (d -> 2 d -> ... -> D).

use overparam_kernel::type_a::{TypeA, solve_type_a};

fn main() {
    let d: usize = std::env::args()
        .nth(1)
        .map_or(200, |s| s.parse().expect("D"));
    let mut p = TypeA::from_array([0.99692280, -0.03508016, 0.26169108, 0.18599105, -0.63270390]);
    let mut dd = 7;
    while dd < d {
        dd = (dd * 2).min(d);
        p = solve_type_a(dd, p, 1e-12, 100)
            .expect("reduced Newton converges")
            .point;
    }
    if d < 7 {
        p = solve_type_a(d, p, 1e-12, 100).expect("converges").point;
    }
    let w = p.network(d);
    // rows reversed, columns rotated by 3: the odd student is row 0, the odd coordinate column 2
    let mut out = String::new();
    for i in (0..d).rev() {
        let row: Vec<String> = (0..d)
            .map(|r| format!("{:.7e}", w.w()[i * d + (r + 3) % d]))
            .collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    print!("{out}");
}
