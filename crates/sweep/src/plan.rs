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
    /// The task's run directory, relative to the sweep directory: `tasks/<claim>/seed-<s>`.
    pub dir: String,
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
        let mut tasks = Vec::new();
        for claim in &claims {
            for seed in seeds.seeds() {
                tasks.push(Task {
                    index: tasks.len(),
                    name: format!("{claim}/seed-{seed}"),
                    claim: claim.clone(),
                    seed,
                    dir: format!("{}/seed-{seed}", claim_tasks_dir(claim)),
                });
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
        let expected = Plan::new(plan.claims.clone(), plan.seeds, profile);
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
