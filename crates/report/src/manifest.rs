//! Provenance of a run: what produced these numbers, where and when.

use std::time::{SystemTime, UNIX_EPOCH};

use overparam_checks::Verdict;
use serde::Serialize;

/// One claim's line in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimRecord {
    pub id: String,
    pub verdict: Verdict,
    pub wall_time_s: f64,
    /// Peak resident memory of the process while this claim ran (Linux: VmHWM after resetting
    /// it through /proc/self/clear_refs), in MiB; null where unavailable.
    pub peak_rss_mib: Option<f64>,
}

/// Resets the kernel's peak-RSS counter for this process (Linux); false where unsupported.
pub fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Peak resident memory in MiB since the last reset (Linux VmHWM), if available.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// SHA-256 of the Cargo.lock this binary was built with: pins every dependency version.
pub fn cargo_lock_sha256() -> String {
    use sha2::{Digest, Sha256};
    let lock = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"));
    Sha256::digest(lock)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The git commit this binary was built from (empty when unknown).
pub fn git_commit() -> &'static str {
    env!("OVERPARAM_GIT_COMMIT")
}

/// The SIMD extensions this CPU offers that faer and the compiler may use.
fn simd_features() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut found = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! probe {
            ($($f:tt),*) => {$(if std::arch::is_x86_feature_detected!($f) { found.push($f); })*};
        }
        probe!(
            "sse4.2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512vl"
        );
    }
    #[cfg(target_arch = "aarch64")]
    {
        if std::arch::is_aarch64_feature_detected!("neon") {
            found.push("neon");
        }
    }
    found
}

/// DIR/manifest.json.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub tool: &'static str,
    pub tool_version: &'static str,
    /// Git commit the binary was built from (empty when unknown).
    pub git_commit: &'static str,
    /// Whether tracked files differed from that commit at build time ("true"/"false", or empty).
    pub git_dirty: &'static str,
    /// SHA-256 of the Cargo.lock the binary was built with.
    pub cargo_lock_sha256: String,
    pub rustc: &'static str,
    pub target: &'static str,
    pub cpu_model: String,
    pub simd_features: Vec<&'static str>,
    /// Worker threads of the rayon pool that ran the claims.
    pub threads: usize,
    pub profile: &'static str,
    pub master_seed: u64,
    pub seed_rule: &'static str,
    pub command: Vec<String>,
    pub started_utc: String,
    pub finished_utc: String,
    pub claims: Vec<ClaimRecord>,
}

impl Manifest {
    /// A manifest with the build and machine provenance filled in.
    pub fn new(
        profile: &'static str,
        master_seed: u64,
        seed_rule: &'static str,
        threads: usize,
    ) -> Self {
        Manifest {
            tool: "overparam",
            tool_version: env!("CARGO_PKG_VERSION"),
            git_commit: env!("OVERPARAM_GIT_COMMIT"),
            git_dirty: env!("OVERPARAM_GIT_DIRTY"),
            cargo_lock_sha256: cargo_lock_sha256(),
            rustc: env!("OVERPARAM_RUSTC"),
            target: env!("OVERPARAM_TARGET"),
            cpu_model: cpu_model(),
            simd_features: simd_features(),
            threads,
            profile,
            master_seed,
            seed_rule,
            command: std::env::args().collect(),
            started_utc: timestamp_utc(SystemTime::now()),
            finished_utc: String::new(),
            claims: Vec::new(),
        }
    }
}

/// The CPU model name from /proc/cpuinfo (Linux), or "unknown".
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// RFC 3339 UTC timestamp with second precision, e.g. "2026-11-22T20:01:33Z".
pub fn timestamp_utc(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn lock_hash_is_hex_sha256() {
        let h = cargo_lock_sha256();
        assert_eq!(h.len(), 64);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn timestamps_match_known_dates() {
        let at = |s| timestamp_utc(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_795_377_693), "2026-11-22T20:01:33Z");
    }
}
