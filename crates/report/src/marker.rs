//! The marker file that every output directory overparam writes carries.
//!
//! `--force` may replace a directory only when it is empty or carries this marker, and `diff`
//! accepts only directories whose marker says they are run directories of a format it reads. A
//! directory without the marker was not written by overparam, so it is never deleted.
//!
//! ```text
//! DIR/.overparam   {"tool": "overparam", "kind": "run", "format": 1, "version": "0.1.0"}
//! ```

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The marker's file name inside an output directory.
pub const MARKER_FILE: &str = ".overparam";

/// The value of the marker's `tool` key.
pub const TOOL: &str = "overparam";

/// The layout version of the directories this build writes. A reader refuses other versions.
pub const FORMAT: u32 = 1;

/// What kind of output a directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// `overparam run`: manifest, per-claim verdicts, evidence, plots, HTML.
    Run,
    /// `overparam hessian --out`.
    Hessian,
    /// `overparam teacher-student --out`.
    TeacherStudent,
    /// `overparam sweep --out`: plan.json, tasks/ (one run directory per task), report/.
    Sweep,
    /// `DIR/report/` of a sweep: the merged summary, replaced by every merge.
    SweepReport,
    /// `overparam momentum-rate --out`.
    MomentumRate,
    /// `overparam ntk --out`.
    Ntk,
    /// `overparam certify --out`.
    Certify,
}

impl OutputKind {
    pub fn name(self) -> &'static str {
        match self {
            OutputKind::Run => "run",
            OutputKind::Hessian => "hessian",
            OutputKind::TeacherStudent => "teacher-student",
            OutputKind::Sweep => "sweep",
            OutputKind::SweepReport => "sweep-report",
            OutputKind::MomentumRate => "momentum-rate",
            OutputKind::Ntk => "ntk",
            OutputKind::Certify => "certify",
        }
    }

    pub fn parse(name: &str) -> Option<OutputKind> {
        [
            OutputKind::Run,
            OutputKind::Hessian,
            OutputKind::TeacherStudent,
            OutputKind::Sweep,
            OutputKind::SweepReport,
            OutputKind::MomentumRate,
            OutputKind::Ntk,
            OutputKind::Certify,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// The marker's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub tool: String,
    pub kind: String,
    pub format: u32,
    pub version: String,
}

impl Marker {
    /// The marker this build writes for `kind`.
    pub fn new(kind: OutputKind) -> Marker {
        Marker {
            tool: TOOL.to_owned(),
            kind: kind.name().to_owned(),
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    /// The marker as the text written to [`MARKER_FILE`] (one JSON line).
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string(self).expect("a marker always serialises");
        text.push('\n');
        text
    }

    /// The kind, when it is one this build knows.
    pub fn output_kind(&self) -> Option<OutputKind> {
        OutputKind::parse(&self.kind)
    }
}

/// Why a directory's marker could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkerError {
    /// The directory has no marker file: overparam did not write it.
    Missing,
    /// The marker exists but cannot be read or is not a marker of this tool.
    Invalid(String),
}

impl fmt::Display for MarkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MarkerError::Missing => write!(f, "it has no {MARKER_FILE} marker"),
            MarkerError::Invalid(why) => write!(f, "its {MARKER_FILE} marker is invalid: {why}"),
        }
    }
}

impl std::error::Error for MarkerError {}

/// Markers larger than this are not markers; reading stops there.
const MAX_MARKER_BYTES: u64 = 4096;

/// Reads `dir/.overparam`. A marker is valid when it is a regular file of at most 4 KiB holding
/// a JSON object with `"tool": "overparam"`, a `kind`, a `format` and a `version`.
pub fn read_marker(dir: &Path) -> Result<Marker, MarkerError> {
    let path = dir.join(MARKER_FILE);
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(MarkerError::Missing),
        Err(e) => return Err(MarkerError::Invalid(e.to_string())),
    };
    if !meta.is_file() {
        return Err(MarkerError::Invalid("not a regular file".to_owned()));
    }
    if meta.len() > MAX_MARKER_BYTES {
        return Err(MarkerError::Invalid(format!(
            "{} bytes, more than a marker holds",
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| MarkerError::Invalid(e.to_string()))?;
    parse_marker(&text)
}

/// Parses the text of a marker file.
pub fn parse_marker(text: &str) -> Result<Marker, MarkerError> {
    let marker: Marker =
        serde_json::from_str(text).map_err(|e| MarkerError::Invalid(e.to_string()))?;
    if marker.tool != TOOL {
        return Err(MarkerError::Invalid(format!(
            "tool is '{}', not '{TOOL}'",
            marker.tool
        )));
    }
    Ok(marker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_its_kind() {
        for kind in [
            OutputKind::Run,
            OutputKind::Hessian,
            OutputKind::TeacherStudent,
            OutputKind::Sweep,
            OutputKind::SweepReport,
            OutputKind::Ntk,
            OutputKind::Certify,
        ] {
            let m = Marker::new(kind);
            let parsed = parse_marker(&m.to_text()).unwrap();
            assert_eq!(parsed, m);
            assert_eq!(parsed.output_kind(), Some(kind));
            assert_eq!(parsed.format, FORMAT);
        }
    }

    #[test]
    fn refuses_what_is_not_a_marker() {
        for text in [
            "",
            "{}",
            "[1,2]",
            "not json",
            r#"{"tool":"other","kind":"run","format":1,"version":"1"}"#,
        ] {
            assert!(parse_marker(text).is_err(), "{text}");
        }
    }

    #[test]
    fn a_directory_without_marker_is_reported_as_missing() {
        let dir = std::env::temp_dir().join(format!("overparam-marker-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(read_marker(&dir), Err(MarkerError::Missing));
        std::fs::write(
            dir.join(MARKER_FILE),
            Marker::new(OutputKind::Run).to_text(),
        )
        .unwrap();
        assert_eq!(read_marker(&dir).unwrap().kind, "run");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
