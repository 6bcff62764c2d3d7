//! `overparam-bench margin-export --seed S [--profile quick|full] --out DIR`: the exact margin
//! instances telgarsky2023.margin-near-init and telgarsky2023.norm-only solve at master seed S
//! (the claims' own code path, `overparam_checks::telgarsky::margin_instances`), written as
//! DIR/instances.json with the certified brackets they report, for the independent audit
//! `bench/margin_audit.py`. Floats are written shortest-round-trip (exact doubles).

use std::path::Path;

use overparam_checks::claim::NoProgress;
use overparam_checks::telgarsky::margin_instances;
use overparam_checks::{Profile, RunContext};
use overparam_kernel::margin::Certified;
use serde_json::{Value, json};

fn bracket(c: &Certified) -> Value {
    json!({
        "lower": c.lower,
        "upper": c.upper,
        "solver_primal": c.solver_primal,
        "solver_dual": c.solver_dual,
        "status": c.status,
    })
}

pub fn run(seed: u64, profile: &str, out: &Path) -> Value {
    let profile: Profile = profile.parse().expect("profile quick or full");
    let ctx = RunContext {
        profile,
        master_seed: seed,
        progress: &NoProgress,
    };
    let (near, dict) = margin_instances(&ctx).expect("the claims' margin programmes solve");
    let near: Vec<Value> = near
        .iter()
        .map(|i| {
            json!({
                "claim": "telgarsky2023.margin-near-init",
                "cell": i.cell, "m": i.m, "d": i.d, "n": i.y.len(),
                "x": i.x, "y": i.y, "v0": i.v0, "a": i.a,
                "pointwise_socp": bracket(&i.pointwise),
                "l2_qp": bracket(&i.l2),
            })
        })
        .collect();
    let dict: Vec<Value> = dict
        .iter()
        .map(|i| {
            json!({
                "claim": "telgarsky2023.norm-only",
                "cell": format!("m={}", i.m), "m": i.m, "d": i.d, "n": i.y.len(),
                "x": i.x, "y": i.y, "u": i.u,
                "l1_lp": bracket(&i.lp),
                "l2_dictionary_qp": bracket(&i.l2),
            })
        })
        .collect();
    let doc = json!({
        "master_seed": seed,
        "profile": profile.name(),
        "near_init": near,
        "norm_only": dict,
    });
    let path = out.join("instances.json");
    if path.exists() {
        // Never overwrite a file this tool may not have written: the user removes it.
        eprintln!(
            "error: {} exists; remove it or choose another --out",
            path.display()
        );
        std::process::exit(2);
    }
    std::fs::create_dir_all(out).expect("create the output folder");
    std::fs::write(&path, serde_json::to_string(&doc).expect("serialise"))
        .expect("write instances.json");
    json!({ "written": path.display().to_string(), "seed": seed, "profile": profile.name() })
}
