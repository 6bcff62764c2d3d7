//! Cells as tasks: the opt-in part of the contract that lets a sweep split one claim run (one
//! claim at one master seed) into tasks that each compute some of its cells.
//!
//! A claim whose work is many independent cells returns `Some(self)` from
//! [`Claim::cells`](crate::Claim::cells) and implements [`CellClaim`]: the ordered list of its
//! cells at a profile, the computation of any subset of them, each cell's result as exact words
//! ([`CellData`]), and the assembly of the outcome from every cell's result. Its `run` must be
//! exactly `assemble(compute_cells(all cells))` ([`run_by_cells`]), so that a run assembled from
//! tasks is byte-identical to `overparam run`: the cells draw their randomness from (master
//! seed, claim, cell label) as always, never from which task computed them. A claim that does
//! not opt in is one task, as before.

use super::{Cause, ClaimError, Outcome, Profile, RunContext};

/// One cell's result, as 64-bit words: integers as they are, floats by their bits (NaN payloads
/// and signed zeros included), so a result read back from a task's file is the same value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CellData {
    words: Vec<u64>,
}

impl CellData {
    pub fn new() -> Self {
        CellData::default()
    }

    /// The result from its words (as written by a task).
    pub fn from_words(words: Vec<u64>) -> Self {
        CellData { words }
    }

    pub fn words(&self) -> &[u64] {
        &self.words
    }

    pub fn push_u64(&mut self, x: u64) {
        self.words.push(x);
    }

    pub fn push_f64(&mut self, x: f64) {
        self.words.push(x.to_bits());
    }

    /// `None` as 0, `Some(x)` as 1 then x.
    pub fn push_opt_f64(&mut self, x: Option<f64>) {
        match x {
            None => self.words.push(0),
            Some(x) => {
                self.words.push(1);
                self.words.push(x.to_bits());
            }
        }
    }

    /// Reads the words back in the order they were pushed; `cell` names the cell in errors.
    pub fn reader<'a>(&'a self, cell: &'a str) -> CellReader<'a> {
        CellReader {
            words: &self.words,
            at: 0,
            cell,
        }
    }
}

/// Reads a [`CellData`] in push order; a short or malformed record is a [`Cause::Missing`]
/// error of its cell (a task file that does not belong to this code), never a panic.
pub struct CellReader<'a> {
    words: &'a [u64],
    at: usize,
    cell: &'a str,
}

impl CellReader<'_> {
    fn bad(&self, what: &str) -> ClaimError {
        ClaimError::at(
            self.cell,
            Cause::Missing(format!(
                "cell result malformed: {what} at word {} of {}",
                self.at,
                self.words.len()
            )),
        )
    }

    pub fn u64(&mut self) -> Result<u64, ClaimError> {
        let w = self
            .words
            .get(self.at)
            .copied()
            .ok_or_else(|| self.bad("ends early"))?;
        self.at += 1;
        Ok(w)
    }

    pub fn usize(&mut self) -> Result<usize, ClaimError> {
        let w = self.u64()?;
        usize::try_from(w).map_err(|_| self.bad("count out of range"))
    }

    pub fn f64(&mut self) -> Result<f64, ClaimError> {
        self.u64().map(f64::from_bits)
    }

    pub fn opt_f64(&mut self) -> Result<Option<f64>, ClaimError> {
        match self.u64()? {
            0 => Ok(None),
            1 => self.f64().map(Some),
            _ => Err(self.bad("option tag not 0 or 1")),
        }
    }

    /// Whether every word has been read.
    pub fn at_end(&self) -> bool {
        self.at == self.words.len()
    }

    /// Fails unless every word has been read.
    pub fn finish(self) -> Result<(), ClaimError> {
        if self.at_end() {
            Ok(())
        } else {
            Err(self.bad("words left over"))
        }
    }
}

/// What a task's part holds for one cell: its result, or the error that stopped it.
pub type CellResult = Result<CellData, ClaimError>;

/// A claim whose run is independent cells and an assembly step (see the module doc).
pub trait CellClaim: Sync {
    /// The labels of the claim's cells at `profile`, in order: stable names, unique, that never
    /// depend on how the cells are grouped into tasks.
    fn cell_labels(&self, profile: Profile) -> Vec<String>;

    /// Computes the cells at `indices` (ascending positions in [`CellClaim::cell_labels`]),
    /// each exactly as the whole run computes it, and returns their results in that order. On an
    /// error the first failing cell's (in `indices` order) is returned, as
    /// [`RunContext::par_cells`] does.
    fn compute_cells(
        &self,
        ctx: &RunContext,
        indices: &[usize],
    ) -> Result<Vec<CellData>, ClaimError>;

    /// The outcome from every cell's result, in cell order (`cells.len()` is the number of
    /// labels). Pure: it may compute more (references, tests, tables) but draws no randomness
    /// that a cell draws.
    fn assemble(&self, ctx: &RunContext, cells: Vec<CellData>) -> Result<Outcome, ClaimError>;
}

/// What a cell-split claim's `run` is: every cell, then the assembly. A sweep that computes the
/// cells in several tasks and assembles them with [`assemble_parts`] gets the same outcome.
pub fn run_by_cells(claim: &dyn CellClaim, ctx: &RunContext) -> Result<Outcome, ClaimError> {
    let all: Vec<usize> = (0..claim.cell_labels(ctx.profile).len()).collect();
    let cells = claim.compute_cells(ctx, &all)?;
    claim.assemble(ctx, cells)
}

/// The outcome from the parts of a split run: `parts` in cell order, each the contiguous cells
/// one task computed (their results, or the first error among them). The claim's error is the
/// first part's error, as [`run_by_cells`] would have returned it (the first failing cell in
/// order); otherwise the cells are assembled. The caller checks that the parts cover every cell
/// once, in order.
pub fn assemble_parts(
    claim: &dyn CellClaim,
    ctx: &RunContext,
    parts: Vec<Result<Vec<CellData>, ClaimError>>,
) -> Result<Outcome, ClaimError> {
    let mut cells = Vec::new();
    for part in parts {
        cells.extend(part?);
    }
    let expected = claim.cell_labels(ctx.profile).len();
    if cells.len() != expected {
        return Err(ClaimError::at(
            "assembly",
            Cause::Missing(format!("{} cell results for {expected} cells", cells.len())),
        ));
    }
    claim.assemble(ctx, cells)
}

/// What a sweep needs to size a task: a claim's measured cost at a profile, for the whole run
/// (one master seed), single-threaded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeasuredCost {
    /// CPU seconds, single-threaded, on the 2-core development machine.
    pub cpu_seconds: f64,
    /// Peak resident memory in MiB.
    pub peak_mib: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_data_round_trips_floats_bit_for_bit() {
        let mut d = CellData::new();
        d.push_u64(7);
        for x in [
            0.1,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            1e-300,
            f64::MIN_POSITIVE / 3.0,
        ] {
            d.push_f64(x);
        }
        d.push_opt_f64(None);
        d.push_opt_f64(Some(2.5));
        let copy = CellData::from_words(d.words().to_vec());
        let mut r = copy.reader("c");
        assert_eq!(r.u64().unwrap(), 7);
        for x in [
            0.1,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            1e-300,
            f64::MIN_POSITIVE / 3.0,
        ] {
            assert_eq!(r.f64().unwrap().to_bits(), x.to_bits());
        }
        assert_eq!(r.opt_f64().unwrap(), None);
        assert_eq!(r.opt_f64().unwrap(), Some(2.5));
        assert!(r.at_end());
        r.finish().unwrap();
    }

    #[test]
    fn a_short_or_long_record_is_an_error_of_its_cell() {
        let d = CellData::from_words(vec![5]);
        let mut r = d.reader("k=6 runs 0-24");
        assert_eq!(r.u64().unwrap(), 5);
        let e = r.f64().unwrap_err();
        assert_eq!(e.cell, "k=6 runs 0-24");
        assert!(matches!(e.cause, Cause::Missing(_)));
        let d = CellData::from_words(vec![2, 9]);
        let mut r = d.reader("c");
        assert!(r.opt_f64().is_err());
        let r = d.reader("c");
        assert!(r.finish().is_err());
    }
}
