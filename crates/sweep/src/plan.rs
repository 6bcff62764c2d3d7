//! The plan of a sweep: what it runs (claims, seeds, profile), with which build, and the ordered
//! task list every executor hands out unchanged.

use std::fmt;

use overparam_checks::Profile;
use serde::{Deserialize, Serialize};

/// The layout version of plan.json; a reader refuses other versions.
pub const PLAN_FORMAT: u32 = 1;

/// The most seeds one sweep takes: enough for any pass-rate estimate (100 seeds give a Wilson
/// interval about 2% wide at 99%), small enough that a typo (`0..1000000`) is refused instead of
/// queueing a million tasks.
pub const MAX_SEEDS: u64 = 10_000;

/// Master seeds `first..last`, both included (`0..99` is 100 seeds, as in "seeds 0 to 99").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedRange {
    pub first: u64,
    pub last: u64,
}

impl SeedRange {
    /// Parses `A..B` (inclusive) or a single seed `N`, refusing `A > B` and more than
    /// [`MAX_SEEDS`] seeds. The message names the input and the expected form.
    pub fn parse(text: &str) -> Result<SeedRange, String> {
        let number = |s: &str| {
            s.trim().parse::<u64>().map_err(|_| {
                format!(
                    "--seeds '{text}': expected A..B with whole numbers 0 <= A <= B (both \
                     included: 0..99 is 100 seeds) or a single seed N"
                )
            })
        };
        let (first, last) = match text.split_once("..") {
            Some((a, b)) => (number(a)?, number(b.strip_prefix('=').unwrap_or(b))?),
            None => {
                let n = number(text)?;
                (n, n)
            }
        };
        if first > last {
            return Err(format!(
                "--seeds '{text}': the first seed {first} is greater than the last {last} \
                 (A..B includes both ends: write {last}..{first})"
            ));
        }
        let range = SeedRange { first, last };
        if range.count() > MAX_SEEDS {
            return Err(format!(
                "--seeds '{text}' is {} seeds; a sweep takes at most {MAX_SEEDS} (split it into \
                 several sweeps)",
                range.count()
            ));
        }
        Ok(range)
    }

    /// How many seeds the range holds (at least 1).
    pub fn count(&self) -> u64 {
        (self.last - self.first).saturating_add(1)
    }

    pub fn seeds(&self) -> impl Iterator<Item = u64> {
        self.first..=self.last
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.first, self.last)
    }
}

/// One unit of work: run one claim at one master seed into its own run directory. Nothing in it
/// depends on which worker runs it, so any executor (local processes, a job array) can run task
/// `index` anywhere and get the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Position in the plan's list, from 0: what `overparam sweep run-task --task` takes.
    pub index: usize,
    /// Stable name, `<claim>/seed-<s>`.
    pub name: String,
    pub claim: String,
    pub seed: u64,
    /// The task's run directory, relative to the sweep directory: `tasks/<claim>/seed-<s>`
    /// (for a part, the run directory its run is assembled into).
    pub dir: String,
    /// For a claim run split into several tasks: which of its cells this task computes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<Part>,
}

/// Part `index` of `of` of one claim run: cells `first..end` of the claim's
/// [`CellClaim::cell_labels`](overparam_checks::claim::CellClaim::cell_labels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub index: usize,
    pub of: usize,
    pub first: usize,
    pub end: usize,
}

impl Task {
    /// The run this task computes or contributes to, `<claim>/seed-<s>`.
    pub fn run_name(&self) -> String {
        format!("{}/seed-{}", self.claim, self.seed)
    }

    /// A part's result file, relative to the sweep directory:
    /// `tasks/<claim>/seed-<s>.parts/part-<j>.json`; `None` for a whole run.
    pub fn part_file(&self) -> Option<String> {
        self.part
            .map(|p| format!("{}.parts/part-{}.json", self.dir, p.index))
    }
}

/// How many cells `claim` (an id) declares at `profile`; 0 when it is one task.
pub fn cell_count(claim: &str, profile: Profile) -> usize {
    overparam_checks::find_claim(claim)
        .and_then(|c| c.cells())
        .map_or(0, |c| c.cell_labels(profile).len())
}

/// The most tasks one claim run may be split into.
pub const MAX_SPLIT: usize = 1000;

fn is_one(x: &usize) -> bool {
    *x == 1
}

fn one() -> usize {
    1
}

/// DIR/plan.json.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub format: u32,
    pub tool: String,
    pub tool_version: String,
    /// Git commit of the build that made the plan: results of different code never mix.
    pub git_commit: String,
    pub cargo_lock_sha256: String,
    pub profile: String,
    /// Claim ids, in registry order.
    pub claims: Vec<String>,
    pub seeds: SeedRange,
    /// Into how many tasks each run of a claim that declares cells is split (at most its cell
    /// count); 1, the default, keeps every run one task.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub split: usize,
    pub tasks: Vec<Task>,
}

/// The directory of `claim`'s tasks inside the sweep directory.
pub fn claim_tasks_dir(claim: &str) -> String {
    format!("{}/{claim}", crate::TASKS_DIR)
}

impl Plan {
    /// The plan of a sweep of `claims` (ids, already in registry order) over `seeds` with this
    /// build. Tasks are claim-major: every seed of the first claim, then the next claim.
    pub fn new(claims: Vec<String>, seeds: SeedRange, profile: Profile) -> Plan {
        Plan::split(claims, seeds, profile, 1)
    }

    /// [`Plan::new`] with each run of a claim that declares cells split into `split` tasks
    /// (fewer when it has fewer cells), each a contiguous, near-equal range of its cells, named
    /// `<claim>/seed-<s>/part-<j>-of-<n>`, in part order after one another.
    pub fn split(claims: Vec<String>, seeds: SeedRange, profile: Profile, split: usize) -> Plan {
        let mut tasks = Vec::new();
        for claim in &claims {
            let cells = cell_count(claim, profile);
            let parts = split.clamp(1, MAX_SPLIT).min(cells.max(1));
            for seed in seeds.seeds() {
                let dir = format!("{}/seed-{seed}", claim_tasks_dir(claim));
                for j in 0..parts {
                    let (name, part) = if parts == 1 {
                        (format!("{claim}/seed-{seed}"), None)
                    } else {
                        (
                            format!("{claim}/seed-{seed}/part-{j}-of-{parts}"),
                            Some(Part {
                                index: j,
                                of: parts,
                                first: j * cells / parts,
                                end: (j + 1) * cells / parts,
                            }),
                        )
                    };
                    tasks.push(Task {
                        index: tasks.len(),
                        name,
                        claim: claim.clone(),
                        seed,
                        dir: dir.clone(),
                        part,
                    });
                }
            }
        }
        Plan {
            format: PLAN_FORMAT,
            tool: overparam_report::marker::TOOL.to_owned(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            git_commit: overparam_report::git_commit().to_owned(),
            cargo_lock_sha256: overparam_report::cargo_lock_sha256(),
            profile: profile.name().to_owned(),
            claims,
            seeds,
            split: split.clamp(1, MAX_SPLIT),
            tasks,
        }
    }

    /// The plan as written to plan.json (pretty JSON, trailing newline).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a plan always serialises");
        text.push('\n');
        text
    }

    /// Reads plan.json's text, refusing other formats, bad seed ranges and task lists other
    /// than the one [`Plan::new`] makes from the plan's claims and seeds.
    pub fn parse(text: &str) -> Result<Plan, String> {
        let plan: Plan = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if plan.format != PLAN_FORMAT {
            return Err(format!(
                "plan format {} (this build reads format {PLAN_FORMAT})",
                plan.format
            ));
        }
        let profile: Profile = plan.profile.parse()?;
        if plan.seeds.first > plan.seeds.last || plan.seeds.count() > MAX_SEEDS {
            return Err(format!("bad seed range {}", plan.seeds));
        }
        // The task list is a function of the rest: one edited by hand (a task directory outside
        // tasks/, say) is refused rather than written to.
        if plan.split == 0 || plan.split > MAX_SPLIT {
            return Err(format!("bad split {}", plan.split));
        }
        let expected = Plan::split(plan.claims.clone(), plan.seeds, profile, plan.split);
        if plan.tasks != expected.tasks {
            return Err("its task list is not the one its claims and seeds define".to_owned());
        }
        Ok(plan)
    }

    /// What differs between this plan (found in a sweep directory) and `wanted` (asked for
    /// now), one item per field, e.g. "seeds: 0..2 there, 0..3 here". Empty when they agree.
    pub fn differences(&self, wanted: &Plan) -> Vec<String> {
        let mut d = Vec::new();
        let mut field = |name: &str, there: String, here: String| {
            if there != here {
                d.push(format!("{name}: {there} there, {here} here"));
            }
        };
        field("claims", self.claims.join(","), wanted.claims.join(","));
        field("seeds", self.seeds.to_string(), wanted.seeds.to_string());
        field("profile", self.profile.clone(), wanted.profile.clone());
        field("split", self.split.to_string(), wanted.split.to_string());
        field(
            "tool version",
            self.tool_version.clone(),
            wanted.tool_version.clone(),
        );
        field(
            "git commit",
            self.git_commit.clone(),
            wanted.git_commit.clone(),
        );
        field(
            "Cargo.lock SHA-256",
            self.cargo_lock_sha256.clone(),
            wanted.cargo_lock_sha256.clone(),
        );
        if d.is_empty() && self.tasks != wanted.tasks {
            d.push("task list: differs from the one this build makes for the same plan".into());
        }
        d
    }

    /// What differs between the build that made this plan and the running binary (version,
    /// commit, Cargo.lock): a task run by another build would mix results of different code.
    pub fn build_differences(&self) -> Vec<String> {
        let here = Plan::new(Vec::new(), self.seeds, Profile::Quick);
        let mut d = Vec::new();
        for (name, there, now) in [
            ("tool version", &self.tool_version, &here.tool_version),
            ("git commit", &self.git_commit, &here.git_commit),
            (
                "Cargo.lock SHA-256",
                &self.cargo_lock_sha256,
                &here.cargo_lock_sha256,
            ),
        ] {
            if there != now {
                d.push(format!("{name}: {there} in the plan, {now} in this binary"));
            }
        }
        d
    }

    /// The tasks of one claim, in order.
    pub fn tasks_of<'a>(&'a self, claim: &'a str) -> impl Iterator<Item = &'a Task> + 'a {
        self.tasks.iter().filter(move |t| t.claim == claim)
    }

    /// The runs of one claim, in seed order: each run's first task (its only one, or part 0).
    pub fn runs_of<'a>(&'a self, claim: &'a str) -> impl Iterator<Item = &'a Task> + 'a {
        self.tasks_of(claim)
            .filter(|t| t.part.is_none_or(|p| p.index == 0))
    }

    /// Every task of the run `first` starts (itself alone for a whole run).
    pub fn run_tasks(&self, first: &Task) -> &[Task] {
        let n = first.part.map_or(1, |p| p.of);
        &self.tasks[first.index..first.index + n]
    }

    /// How many claim runs (claim x seed) the plan holds.
    pub fn run_count(&self) -> usize {
        self.claims.len() * self.seeds.count() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_are_inclusive_and_bounded() {
        assert_eq!(SeedRange::parse("0..99").unwrap().count(), 100);
        assert_eq!(
            SeedRange::parse("7").unwrap(),
            SeedRange { first: 7, last: 7 }
        );
        assert_eq!(SeedRange::parse("3..=5").unwrap().count(), 3);
        for bad in [
            "5..2", "", "..", "a..b", "-1..3", "1..2..3", "0..10000", "1.5..2",
        ] {
            assert!(SeedRange::parse(bad).is_err(), "{bad} was accepted");
        }
        assert!(SeedRange::parse("0..9999").is_ok());
        let huge = format!("0..{}", u64::MAX);
        assert!(SeedRange::parse(&huge).unwrap_err().contains("at most"));
    }

    #[test]
    fn tasks_are_claim_major_with_stable_names() {
        let plan = Plan::new(
            vec!["a.x".into(), "b.y".into()],
            SeedRange { first: 4, last: 5 },
            Profile::Quick,
        );
        let names: Vec<&str> = plan.tasks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["a.x/seed-4", "a.x/seed-5", "b.y/seed-4", "b.y/seed-5"]
        );
        assert_eq!(plan.tasks[3].dir, "tasks/b.y/seed-5");
        assert!(plan.tasks.iter().enumerate().all(|(i, t)| t.index == i));
        assert_eq!(Plan::parse(&plan.to_json()).unwrap(), plan);
        let mut edited = plan.clone();
        edited.tasks[1].dir = "../../elsewhere".into();
        assert!(Plan::parse(&edited.to_json()).is_err());
        let mut edited = plan.clone();
        edited.tasks.swap(0, 1);
        assert!(Plan::parse(&edited.to_json()).is_err());
    }

    #[test]
    fn split_runs_are_contiguous_parts_of_their_cells() {
        let id = "safran2018.spurious-frequency";
        let cells = cell_count(id, Profile::Quick);
        assert!(cells > 5, "{cells}");
        let plan = Plan::split(
            vec![id.into(), "a.x".into()],
            SeedRange { first: 0, last: 1 },
            Profile::Quick,
            5,
        );
        // 2 seeds x 5 parts, then the claim without cells as one task per seed
        assert_eq!(plan.tasks.len(), 12);
        assert_eq!(plan.tasks[0].name, format!("{id}/seed-0/part-0-of-5"));
        assert_eq!(plan.tasks[11].name, "a.x/seed-1");
        let parts: Vec<Part> = plan.tasks[5..10].iter().map(|t| t.part.unwrap()).collect();
        assert_eq!(parts[0].first, 0);
        assert_eq!(parts[4].end, cells);
        assert!(
            parts
                .windows(2)
                .all(|w| w[0].end == w[1].first && w[0].first < w[0].end)
        );
        assert_eq!(plan.runs_of(id).count(), 2);
        assert_eq!(plan.run_tasks(&plan.tasks[5]).len(), 5);
        assert_eq!(plan.run_count(), 4);
        assert_eq!(
            plan.tasks[7].part_file().unwrap(),
            format!("tasks/{id}/seed-1.parts/part-2.json")
        );
        assert_eq!(Plan::parse(&plan.to_json()).unwrap(), plan);
        assert!(
            !Plan::new(
                vec![id.into()],
                SeedRange { first: 0, last: 0 },
                Profile::Quick
            )
            .to_json()
            .contains("split")
        );
        let huge = Plan::split(
            vec![id.into()],
            SeedRange { first: 0, last: 0 },
            Profile::Quick,
            999,
        );
        assert_eq!(huge.tasks.len(), cells);
    }

    #[test]
    fn differences_name_each_changed_field() {
        let a = Plan::new(
            vec!["a.x".into()],
            SeedRange { first: 0, last: 2 },
            Profile::Quick,
        );
        let b = Plan::new(
            vec!["a.x".into()],
            SeedRange { first: 0, last: 3 },
            Profile::Full,
        );
        assert!(a.differences(&a.clone()).is_empty());
        let d = a.differences(&b);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0], "seeds: 0..2 there, 0..3 here");
        assert_eq!(d[1], "profile: quick there, full here");
        assert!(a.build_differences().is_empty());
    }
}
