//! The task cells of `safran2018.spurious-frequency`: each (k, d) cell's runs in chunks, the
//! exact record of a run's end, and the assembly of the outcome from every chunk.

use super::*;
/// Runs per task cell: a (k, d) cell's runs are computed in chunks of this many, so the full
/// profile's 5750 runs are 230 cells a sweep can spread over tasks.
const CHUNK: usize = 25;

/// A task cell: runs `first..end` of one cell of the plan (`cell` indexes [`Plan::all`]).
#[derive(Debug, Clone, Copy)]
struct Chunk {
    cell: usize,
    first: usize,
    end: usize,
}

impl Plan {
    /// Every cell in run order: the k = d cells, the k = d + 1 ones, the control cell.
    fn all(&self) -> Vec<Cell> {
        self.exact
            .iter()
            .chain(&self.over)
            .chain(std::iter::once(&self.control))
            .copied()
            .collect()
    }
}

/// The task cells of a profile, in order: each cell's runs in chunks of [`CHUNK`].
fn chunks(cells: &[Cell]) -> Vec<Chunk> {
    cells
        .iter()
        .enumerate()
        .flat_map(|(c, cell)| {
            (0..cell.runs.div_ceil(CHUNK)).map(move |j| Chunk {
                cell: c,
                first: j * CHUNK,
                end: ((j + 1) * CHUNK).min(cell.runs),
            })
        })
        .collect()
}

fn chunk_label(cells: &[Cell], chunk: &Chunk) -> String {
    format!(
        "{} runs {}-{}",
        cells[chunk.cell].label(),
        chunk.first,
        chunk.end - 1
    )
}

impl CellClaim for SpuriousFrequency {
    fn cell_labels(&self, profile: Profile) -> Vec<String> {
        let cells = Self::plan(profile).all();
        chunks(&cells)
            .iter()
            .map(|c| chunk_label(&cells, c))
            .collect()
    }

    fn compute_cells(
        &self,
        ctx: &RunContext,
        indices: &[usize],
    ) -> Result<Vec<CellData>, ClaimError> {
        let cells = Self::plan(ctx.profile).all();
        let all = chunks(&cells);
        let chosen: Vec<Chunk> = indices
            .iter()
            .map(|&i| {
                all.get(i).copied().ok_or_else(|| {
                    ClaimError::new("cells", format!("no cell {i} (of {})", all.len()))
                })
            })
            .collect::<Result<_, _>>()?;
        let jobs: Vec<(usize, usize)> = chosen
            .iter()
            .flat_map(|ch| (ch.first..ch.end).map(move |r| (ch.cell, r)))
            .collect();
        let ends: Vec<RunEnd> = ctx.par_cells(
            SPURIOUS_FREQUENCY_ID,
            &jobs,
            |&(c, _)| cells[c].label(),
            |&(c, r)| run_one(ctx, cells[c], r),
        )?;
        let mut it = ends.into_iter();
        Ok(chosen
            .iter()
            .map(|ch| {
                let mut data = CellData::new();
                for e in it.by_ref().take(ch.end - ch.first) {
                    e.push_to(&mut data);
                }
                data
            })
            .collect())
    }

    fn assemble(&self, ctx: &RunContext, data: Vec<CellData>) -> Result<Outcome, ClaimError> {
        let plan = Self::plan(ctx.profile);
        let all = plan.all();
        let chunks = chunks(&all);
        if data.len() != chunks.len() {
            return Err(ClaimError::new(
                "assembly",
                format!("{} cell results for {} cells", data.len(), chunks.len()),
            ));
        }
        let mut results: Vec<Vec<RunEnd>> =
            all.iter().map(|c| Vec::with_capacity(c.runs)).collect();
        for (ch, d) in chunks.iter().zip(&data) {
            let label = chunk_label(&all, ch);
            let mut r = d.reader(&label);
            for run in ch.first..ch.end {
                results[ch.cell].push(RunEnd::read(&mut r, run)?);
            }
            r.finish()?;
        }
        outcome(&plan, results)
    }
}

impl RunEnd {
    /// Seven words: run, step, loss, gradient norm, lambda_min (tag and value), kind.
    fn push_to(&self, data: &mut CellData) {
        data.push_u64(self.run as u64);
        data.push_u64(self.end.step);
        data.push_f64(self.end.loss);
        data.push_f64(self.end.grad_norm);
        data.push_opt_f64(self.lambda_min);
        data.push_u64(self.kind as u64);
    }

    /// Reads what [`RunEnd::push_to`] wrote, which must be run `run`.
    fn read(r: &mut CellReader, run: usize) -> Result<RunEnd, ClaimError> {
        let found = r.usize()?;
        let end = TrajectoryPoint {
            step: r.u64()?,
            loss: r.f64()?,
            grad_norm: r.f64()?,
        };
        let lambda_min = r.opt_f64()?;
        let kind = match r.u64()? {
            0 => EndKind::Global,
            1 => EndKind::SpuriousMinimum,
            2 => EndKind::OtherCritical,
            3 => EndKind::Budget,
            other => {
                return Err(ClaimError::new(
                    "assembly",
                    format!("unknown end kind {other}"),
                ));
            }
        };
        if found != run {
            return Err(ClaimError::new(
                "assembly",
                format!("cell result holds run {found} where run {run} belongs"),
            ));
        }
        Ok(RunEnd {
            run,
            end,
            lambda_min,
            kind,
        })
    }
}
