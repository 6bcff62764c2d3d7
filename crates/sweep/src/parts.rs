//! The result files of part tasks: the cells one task computed of a split claim run, written
//! atomically (a temporary file beside it, then a rename), read back exactly.
//!
//! ```text
//! DIR/tasks/<claim>/seed-<s>.parts/part-<j>.json
//!   {"format": 1, "claim", "seed", "profile", "part", "of", "first", "end",
//!    "cells": [{"label", "words": [u64, ...]}, ...]}        the cells first..end, in order
//!   or, instead of "cells", "error": {"cell", "message"}     the first cell error among them
//! ```
//!
//! Words are JSON integers (u64, exact); a float is its bit pattern, so a cell read back is the
//! value the task computed, and the assembly equals the whole run byte for byte.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use overparam_checks::claim::CellData;
use overparam_checks::{Cause, ClaimError};
use serde::{Deserialize, Serialize};

use crate::{Plan, Task};

/// The layout version of part files.
pub const PART_FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct PartFile {
    format: u32,
    claim: String,
    seed: u64,
    profile: String,
    part: usize,
    of: usize,
    first: usize,
    end: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cells: Option<Vec<CellRecord>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<ErrorRecord>,
}

#[derive(Serialize, Deserialize)]
struct CellRecord {
    label: String,
    words: Vec<u64>,
}

#[derive(Serialize, Deserialize)]
struct ErrorRecord {
    cell: String,
    message: String,
}

/// Writes part task `task`'s result: `labels` are the labels of its cells `first..end` and
/// `result` their data or the first error. The file appears complete or not at all.
pub fn write_part(
    dir: &Path,
    plan: &Plan,
    task: &Task,
    labels: &[String],
    result: &Result<Vec<CellData>, ClaimError>,
) -> Result<(), String> {
    let (Some(part), Some(rel)) = (task.part, task.part_file()) else {
        return Err(format!("task {} is not a part", task.name));
    };
    let (cells, error) = match result {
        Ok(data) => {
            if data.len() != labels.len() {
                return Err(format!(
                    "{} cell results for {} cells",
                    data.len(),
                    labels.len()
                ));
            }
            let cells = labels
                .iter()
                .zip(data)
                .map(|(label, d)| CellRecord {
                    label: label.clone(),
                    words: d.words().to_vec(),
                })
                .collect();
            (Some(cells), None)
        }
        Err(e) => (
            None,
            Some(ErrorRecord {
                cell: e.cell.clone(),
                message: e.cause.to_string(),
            }),
        ),
    };
    let file = PartFile {
        format: PART_FORMAT,
        claim: task.claim.clone(),
        seed: task.seed,
        profile: plan.profile.clone(),
        part: part.index,
        of: part.of,
        first: part.first,
        end: part.end,
        cells,
        error,
    };
    let text = serde_json::to_string(&file).map_err(|e| e.to_string())? + "\n";
    let path = dir.join(&rel);
    let parent = path.parent().expect("a part file has a parent");
    fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let name = path.file_name().expect("a part file has a name");
    let staging = parent.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&staging)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&staging, &path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&staging);
        format!("cannot write {}: {e}", path.display())
    })
}

/// Reads part task `task`'s result, checking that it is this task's (claim, seed, profile,
/// part and cell range) and that its cells carry `labels` (the labels of cells `first..end`).
/// `Ok(Err(e))` is a part that recorded the cell error `e`; `Err` a file that is absent or not
/// this task's.
pub fn read_part(
    dir: &Path,
    plan: &Plan,
    task: &Task,
    labels: &[String],
) -> Result<Result<Vec<CellData>, ClaimError>, String> {
    let (Some(part), Some(rel)) = (task.part, task.part_file()) else {
        return Err(format!("task {} is not a part", task.name));
    };
    let path = dir.join(rel);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: PartFile =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let same = file.format == PART_FORMAT
        && file.claim == task.claim
        && file.seed == task.seed
        && file.profile == plan.profile
        && (file.part, file.of, file.first, file.end)
            == (part.index, part.of, part.first, part.end);
    if !same {
        return Err(format!(
            "{} is not the result of task {}",
            path.display(),
            task.name
        ));
    }
    match (file.cells, file.error) {
        (Some(cells), None) => {
            let found: Vec<&str> = cells.iter().map(|c| c.label.as_str()).collect();
            if found != labels.iter().map(String::as_str).collect::<Vec<_>>() {
                return Err(format!(
                    "{} holds other cells than task {} computes",
                    path.display(),
                    task.name
                ));
            }
            Ok(Ok(cells
                .into_iter()
                .map(|c| CellData::from_words(c.words))
                .collect()))
        }
        (None, Some(e)) => Ok(Err(ClaimError::at(e.cell, Cause::Other(e.message)))),
        _ => Err(format!(
            "{} holds neither cells nor an error",
            path.display()
        )),
    }
}
