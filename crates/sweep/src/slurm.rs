//! The Slurm executor's files: the array job script every task runs, the merge job script, the
//! sbatch argument lists (arrays split at the cluster's MaxArraySize, throttled with `%K`, the
//! merge chained with `--dependency=afterok`), and the task resources from the claims' measured
//! costs. Pure text: the CLI runs sbatch.
//!
//! ```text
//! DIR/slurm/array.sbatch    #SBATCH resources; task = OVERPARAM_TASK_OFFSET + SLURM_ARRAY_TASK_ID
//! DIR/slurm/merge.sbatch    overparam sweep merge DIR
//! DIR/slurm/submit.sh       the sbatch commands `--submit` runs, for submitting by hand
//! DIR/slurm/settings.json   the options, reused by --resubmit-missing
//! DIR/slurm/jobs.txt        one line per submitted job: id, what, array or dependency
//! ```

use std::path::Path;

use overparam_checks::{Profile, find_claim};
use serde::{Deserialize, Serialize};

use crate::Plan;

pub const SLURM_DIR: &str = "slurm";
pub const ARRAY_SCRIPT: &str = "slurm/array.sbatch";
pub const MERGE_SCRIPT: &str = "slurm/merge.sbatch";
pub const SUBMIT_SCRIPT: &str = "slurm/submit.sh";
pub const SETTINGS_FILE: &str = "slurm/settings.json";
pub const JOBS_FILE: &str = "slurm/jobs.txt";

/// MaxArraySize when `scontrol show config` cannot be read (Slurm's default).
pub const DEFAULT_MAX_ARRAY_SIZE: usize = 1001;

/// Time limit of a task of a claim that declares no cost.
pub const UNKNOWN_COST_MINUTES: u64 = 120;
/// Memory of a task of a claim that declares no cost.
pub const UNKNOWN_COST_MIB: u64 = 2048;

/// What the sbatch scripts request and how the arrays are cut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlurmSettings {
    /// At most this many tasks of an array run at once (`--array=...%K`).
    pub array_limit: usize,
    /// The cluster's MaxArraySize: an array's task ids are 0 to this minus 1.
    pub max_array_size: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// `--time` of each array task, minutes.
    pub time_minutes: u64,
    /// `--mem` of each array task, MiB.
    pub mem_mib: u64,
    /// `--cpus-per-task`; the task's RAYON_NUM_THREADS.
    pub cpus: u32,
    /// The overparam binary the jobs run (absolute; on a cluster, on a shared filesystem).
    pub binary: String,
    /// The sweep directory (absolute).
    pub dir: String,
    /// How the defaults were derived, written into the array script.
    pub basis: String,
}

/// Default time limit and memory of one task of `plan` from the claims' measured costs: the
/// longest task's single-threaded CPU time (for a split run, four times its even share of the
/// run, at most the run) times 10 (the
/// measured figures are from an idle machine; a shared node is slower), at least 10 minutes,
/// and 4 times the largest peak memory, at least 1 GiB. A claim that declares no cost counts
/// as [`UNKNOWN_COST_MINUTES`] and [`UNKNOWN_COST_MIB`].
pub fn default_resources(plan: &Plan) -> (u64, u64, String) {
    let profile: Profile = plan.profile.parse().unwrap_or(Profile::Quick);
    let mut minutes = 10u64;
    let mut mib = 1024u64;
    let mut basis = Vec::new();
    for claim in &plan.claims {
        let parts = plan
            .tasks_of(claim)
            .next()
            .and_then(|t| t.part)
            .map_or(1, |p| p.of);
        match find_claim(claim).and_then(|c| c.cost(profile)) {
            Some(cost) => {
                // cells differ in cost (Safran's k = 20 runs take far longer than k = 6):
                // a part gets four times its even share, never more than the whole run
                let seconds = cost.cpu_seconds * (4.0 / parts as f64).min(1.0);
                minutes = minutes.max((10.0 * seconds / 60.0).ceil() as u64);
                mib = mib.max((4.0 * cost.peak_mib).ceil() as u64);
                basis.push(format!(
                    "{claim}: {:.1} s CPU, {:.0} MiB measured per run, {parts} task(s) per run",
                    cost.cpu_seconds, cost.peak_mib
                ));
            }
            None => {
                minutes = minutes.max(UNKNOWN_COST_MINUTES);
                mib = mib.max(UNKNOWN_COST_MIB);
                basis.push(format!(
                    "{claim}: no measured cost declared, {UNKNOWN_COST_MINUTES} min and \
                     {UNKNOWN_COST_MIB} MiB assumed"
                ));
            }
        }
    }
    (minutes, mib, basis.join("; "))
}

/// `scontrol show config`'s `MaxArraySize = N` line, if present.
pub fn parse_max_array_size(config: &str) -> Option<usize> {
    config.lines().find_map(|l| {
        let (key, value) = l.split_once('=')?;
        (key.trim() == "MaxArraySize")
            .then(|| value.trim().parse().ok())
            .flatten()
            .filter(|&n| n > 0)
    })
}

/// One job array: task `offset + id` for each array task id in `ids` (ascending, each below
/// MaxArraySize).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArraySpec {
    pub offset: usize,
    pub ids: Vec<usize>,
}

impl ArraySpec {
    /// `--array=` of this array: ranges `a-b` and single ids, comma-separated, then `%K`.
    pub fn array_arg(&self, limit: usize) -> String {
        let mut pieces: Vec<String> = Vec::new();
        let mut i = 0;
        while i < self.ids.len() {
            let mut j = i;
            while j + 1 < self.ids.len() && self.ids[j + 1] == self.ids[j] + 1 {
                j += 1;
            }
            pieces.push(if i == j {
                self.ids[i].to_string()
            } else {
                format!("{}-{}", self.ids[i], self.ids[j])
            });
            i = j + 1;
        }
        format!("--array={}%{limit}", pieces.join(","))
    }

    /// The task indices this array runs.
    pub fn tasks(&self) -> impl Iterator<Item = usize> + '_ {
        self.ids.iter().map(|id| self.offset + id)
    }
}

/// The arrays that run `tasks` (ascending task indices): task t goes to the array with offset
/// `(t / max) * max` as id `t % max`, so no id reaches MaxArraySize.
pub fn arrays(tasks: &[usize], max_array_size: usize) -> Vec<ArraySpec> {
    let max = max_array_size.max(1);
    let mut out: Vec<ArraySpec> = Vec::new();
    for &t in tasks {
        let offset = (t / max) * max;
        match out.last_mut() {
            Some(a) if a.offset == offset => a.ids.push(t - offset),
            _ => out.push(ArraySpec {
                offset,
                ids: vec![t - offset],
            }),
        }
    }
    out
}

/// sbatch's arguments for one array (the script by its absolute path).
pub fn array_args(settings: &SlurmSettings, array: &ArraySpec) -> Vec<String> {
    vec![
        "--parsable".to_owned(),
        array.array_arg(settings.array_limit),
        format!("--export=ALL,OVERPARAM_TASK_OFFSET={}", array.offset),
        Path::new(&settings.dir)
            .join(ARRAY_SCRIPT)
            .display()
            .to_string(),
    ]
}

/// sbatch's arguments for the merge job after `jobs` (array job ids) all succeed; cancelled by
/// Slurm when one of them fails or is cancelled, rather than left pending forever.
pub fn merge_args(settings: &SlurmSettings, jobs: &[String]) -> Vec<String> {
    let mut args = vec!["--parsable".to_owned()];
    if !jobs.is_empty() {
        args.push(format!("--dependency=afterok:{}", jobs.join(":")));
        args.push("--kill-on-invalid-dep=yes".to_owned());
    }
    args.push(
        Path::new(&settings.dir)
            .join(MERGE_SCRIPT)
            .display()
            .to_string(),
    );
    args
}

fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,%@".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn common_directives(settings: &SlurmSettings) -> String {
    let mut s = String::new();
    if let Some(p) = &settings.partition {
        s += &format!("#SBATCH --partition={p}\n");
    }
    s
}

/// The script every array task runs.
pub fn array_script(settings: &SlurmSettings, plan: &Plan) -> String {
    let dir = &settings.dir;
    format!(
        "#!/bin/bash\n\
         # overparam sweep: {tasks} tasks ({claims}; seeds {seeds}; profile {profile}).\n\
         # Task i runs `overparam sweep run-task DIR --task i`; i is this array's\n\
         # OVERPARAM_TASK_OFFSET plus SLURM_ARRAY_TASK_ID. Resources: {basis}.\n\
         #SBATCH --job-name=overparam-sweep\n\
         {partition}\
         #SBATCH --time={time}\n\
         #SBATCH --mem={mem}M\n\
         #SBATCH --cpus-per-task={cpus}\n\
         #SBATCH --ntasks=1\n\
         #SBATCH --output={dir}/logs/slurm-%A_%a.out\n\
         set -eu\n\
         task=$(( ${{OVERPARAM_TASK_OFFSET:-0}} + SLURM_ARRAY_TASK_ID ))\n\
         export RAYON_NUM_THREADS=\"${{SLURM_CPUS_PER_TASK:-{cpus}}}\"\n\
         exec >>{qdir}/logs/task-\"$task\".log 2>&1\n\
         exec {bin} sweep run-task {qdir} --task \"$task\"\n",
        tasks = plan.tasks.len(),
        claims = plan.claims.join(", "),
        seeds = plan.seeds,
        profile = plan.profile,
        basis = settings.basis,
        partition = common_directives(settings),
        time = settings.time_minutes,
        mem = settings.mem_mib,
        cpus = settings.cpus,
        qdir = quote(dir),
        bin = quote(&settings.binary),
    )
}

/// The merge job's script.
pub fn merge_script(settings: &SlurmSettings) -> String {
    let dir = &settings.dir;
    format!(
        "#!/bin/bash\n\
         # overparam sweep: merge the finished tasks into DIR/report/ (after every array).\n\
         #SBATCH --job-name=overparam-merge\n\
         {partition}\
         #SBATCH --time=30\n\
         #SBATCH --mem=2048M\n\
         #SBATCH --cpus-per-task=1\n\
         #SBATCH --ntasks=1\n\
         #SBATCH --output={dir}/logs/merge-%j.out\n\
         set -eu\n\
         exec {bin} sweep merge {qdir}\n",
        partition = common_directives(settings),
        qdir = quote(dir),
        bin = quote(&settings.binary),
    )
}

/// What `--submit` runs, as a shell script a user may run by hand instead.
pub fn submit_script(settings: &SlurmSettings, arrays: &[ArraySpec]) -> String {
    let mut s = String::from(
        "#!/bin/sh\n# Submits the sweep's arrays, then the merge after all of them; prints the \
         job ids.\nset -eu\n",
    );
    let mut vars = Vec::new();
    for (i, a) in arrays.iter().enumerate() {
        let args: Vec<String> = array_args(settings, a).iter().map(|a| quote(a)).collect();
        s += &format!(
            "a{i}=$(sbatch {} | cut -d';' -f1)\necho \"array $a{i}\"\n",
            args.join(" ")
        );
        vars.push(format!("$a{i}"));
    }
    let merge: Vec<String> = merge_args(settings, &vars)
        .iter()
        .map(|a| {
            if a.contains('$') {
                format!("\"{a}\"")
            } else {
                quote(a)
            }
        })
        .collect();
    s += &format!(
        "m=$(sbatch {} | cut -d';' -f1)\necho \"merge $m\"\n",
        merge.join(" ")
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_split_at_max_array_size_and_compress_ranges() {
        let all: Vec<usize> = (0..2500).collect();
        let a = arrays(&all, 1001);
        assert_eq!(a.len(), 3);
        assert_eq!(a[0].array_arg(4), "--array=0-1000%4");
        assert_eq!(a[1].offset, 1001);
        assert_eq!(a[2].array_arg(8), "--array=0-497%8");
        assert_eq!(a.iter().map(|x| x.ids.len()).sum::<usize>(), 2500);
        let some = arrays(&[0, 1, 2, 5, 7, 8, 1002], 1001);
        assert_eq!(some[0].array_arg(2), "--array=0-2,5,7-8%2");
        assert_eq!(some[1].array_arg(2), "--array=1%2");
        assert_eq!(some[1].tasks().collect::<Vec<_>>(), [1002]);
    }

    #[test]
    fn max_array_size_is_read_from_scontrol() {
        let config = "Configuration data as of 2026-12-02T01:00:00\nMaxArraySize            = \
                      40\nMaxJobCount = 10000\n";
        assert_eq!(parse_max_array_size(config), Some(40));
        assert_eq!(parse_max_array_size("nothing"), None);
    }

    #[test]
    fn quoting_leaves_plain_paths_alone() {
        assert_eq!(quote("/tmp/a-b/c_d.1"), "/tmp/a-b/c_d.1");
        assert_eq!(quote("/tmp/a b"), "'/tmp/a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
    }
}
