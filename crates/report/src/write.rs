//! Staged, all-or-nothing output directories, and the rules for what they may replace.
//!
//! overparam never deletes a directory it did not write. Every output directory carries the
//! [`MARKER_FILE`] marker (written into its staging directory the moment that is created), and
//! an existing target is replaced only when it is empty or carries the marker of the same kind
//! of output, and never when it is `/`, `$HOME`, the current directory or one of its ancestors.
//! Every refusal happens in [`OutputDir::prepare`], before any work starts.
//!
//! Staging directories are `.NAME.partial-PID` beside the target. They are listed in a
//! process-wide registry so that a signal handler can remove them ([`remove_live_outputs`]);
//! those left by a killed process are removed by the next `prepare` beside the same target once
//! their PID is gone (Linux; elsewhere they are left alone).

use std::fmt;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use overparam_checks::Table;
use serde::Serialize;

use crate::marker::{MARKER_FILE, Marker, MarkerError, OutputKind, read_marker};

/// Why an output directory could not be prepared or written.
#[derive(Debug)]
pub enum OutputError {
    /// DIR holds a previous overparam output of the same kind; replacing it needs --force.
    NotEmpty { path: PathBuf, kind: OutputKind },
    /// DIR is not empty and carries no valid marker: overparam did not write it.
    Foreign { path: PathBuf, why: MarkerError },
    /// DIR holds overparam output of another kind (`found`).
    OtherKind {
        path: PathBuf,
        found: String,
        wanted: OutputKind,
    },
    /// DIR is `/`, `$HOME`, the current directory or an ancestor of it.
    Protected { path: PathBuf, what: &'static str },
    /// The path's last component is `.` or `..`, so it names no directory of its own.
    DotName(PathBuf),
    /// DIR is a symbolic link.
    Symlink(PathBuf),
    /// DIR exists and is a file.
    NotADirectory(PathBuf),
    /// An output file exists and is not recognisably overparam's (or --force was not given).
    FileExists { path: PathBuf, why: String },
    /// An I/O operation failed.
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A table could not be formatted.
    Format(String),
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputError::NotEmpty { path, kind } => write!(
                f,
                "output directory {} holds previous overparam '{}' output; choose another --out \
                 or pass --force to replace it",
                path.display(),
                kind.name()
            ),
            OutputError::Foreign { path, why } => write!(
                f,
                "output directory {} is not empty and overparam did not write it ({why}); it is \
                 never replaced, even with --force: choose another --out, or empty or remove it \
                 yourself",
                path.display()
            ),
            OutputError::OtherKind {
                path,
                found,
                wanted,
            } => write!(
                f,
                "output directory {} holds overparam '{found}' output, not '{}' output; --force \
                 replaces only output of the same kind: choose another --out",
                path.display(),
                wanted.name()
            ),
            OutputError::Protected { path, what } => write!(
                f,
                "refusing to use {} as output directory: it is {what}, and replacing it would \
                 delete what it holds; --out must name a directory of its own, such as a new \
                 subdirectory",
                path.display()
            ),
            OutputError::DotName(p) => write!(
                f,
                "output path {} ends in '.' or '..', which name no directory of their own; name \
                 the output directory itself (e.g. DIR/out)",
                p.display()
            ),
            OutputError::Symlink(p) => write!(
                f,
                "output path {} is a symbolic link; overparam does not replace links: name the \
                 directory it points to, or another --out",
                p.display()
            ),
            OutputError::NotADirectory(p) => {
                write!(
                    f,
                    "output path {} exists and is not a directory",
                    p.display()
                )
            }
            OutputError::FileExists { path, why } => {
                write!(f, "output file {} {why}", path.display())
            }
            OutputError::Io { path, error } => {
                write!(f, "cannot write {}: {error}", path.display())
            }
            OutputError::Format(m) => write!(f, "cannot format evidence: {m}"),
        }
    }
}

impl std::error::Error for OutputError {}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |error| OutputError::Io {
        path: path.to_owned(),
        error,
    }
}

/// A staging directory this process is writing, with the parent directories `prepare` created
/// for it (outermost first), so that a signal handler can remove both.
struct Live {
    id: u64,
    staging: PathBuf,
    created: Vec<PathBuf>,
}

struct Registry {
    live: Vec<Live>,
    next_id: u64,
}

/// Every live staging directory of this process. Writes, commits and drops hold the lock, so the
/// signal handler never removes a directory halfway through a rename.
static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    live: Vec::new(),
    next_id: 0,
});

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes every staging directory this process is writing (and the parent directories created
/// for them), then keeps the registry locked for good, so no thread can write, commit or clean up
/// afterwards. For a signal handler, just before the process exits.
pub fn remove_live_outputs() {
    let mut reg = registry();
    for live in reg.live.drain(..) {
        let _ = fs::remove_dir_all(&live.staging);
        remove_created(&live.created);
    }
    std::mem::forget(reg);
}

/// Removes directories `prepare` created, innermost first; `remove_dir` only removes empty ones,
/// so anything someone else put there meanwhile stays.
fn remove_created(created: &[PathBuf]) {
    for dir in created.iter().rev() {
        let _ = fs::remove_dir(dir);
    }
}

/// An output directory being written: files go to a hidden staging directory beside the target
/// and appear at the target only on [`OutputDir::commit`]. Dropping it without committing
/// removes the staging directory and any parent directories `prepare` created, leaving the
/// target untouched.
pub struct OutputDir {
    target: PathBuf,
    parent: PathBuf,
    name: String,
    staging: PathBuf,
    kind: OutputKind,
    /// Whether a non-empty target carrying the marker of `kind` may be replaced.
    replace_marked: bool,
    created: Vec<PathBuf>,
    id: u64,
    committed: bool,
}

impl OutputDir {
    /// Checks that `target` may be (re)placed and creates its staging directory, marked for
    /// `kind`. An existing target is accepted when it is empty, or, with `force`, when it carries
    /// the marker of the same kind; never when it is `/`, `$HOME`, the current directory or an
    /// ancestor of it, a symbolic link, or named by a final `.` or `..`. Nothing is created or
    /// removed when this fails, except stale staging directories (see the module doc).
    pub fn prepare(target: &Path, kind: OutputKind, force: bool) -> Result<OutputDir, OutputError> {
        Self::prepare_with(target, kind, force)
    }

    /// [`OutputDir::prepare`] for a default location that always holds the latest output (such
    /// as `reports/latest`): a previous output of the same kind there is replaced without
    /// --force.
    pub fn prepare_default(target: &Path, kind: OutputKind) -> Result<OutputDir, OutputError> {
        Self::prepare_with(target, kind, true)
    }

    fn prepare_with(
        target: &Path,
        kind: OutputKind,
        replace_marked: bool,
    ) -> Result<OutputDir, OutputError> {
        match fs::symlink_metadata(target) {
            Ok(meta) => {
                if meta.file_type().is_symlink() {
                    return Err(OutputError::Symlink(target.to_owned()));
                }
                refuse_protected(target)?;
                let name = final_name(target)?;
                if !meta.is_dir() {
                    return Err(OutputError::NotADirectory(target.to_owned()));
                }
                check_replaceable(target, target, kind, replace_marked)?;
                Self::create_staging(target, name, kind, replace_marked)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let name = final_name(target)?;
                Self::create_staging(target, name, kind, replace_marked)
            }
            Err(e) => Err(io(target)(e)),
        }
    }

    fn create_staging(
        target: &Path,
        name: String,
        kind: OutputKind,
        replace_marked: bool,
    ) -> Result<OutputDir, OutputError> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        let mut reg = registry();
        remove_stale_staging(&reg, &parent, &name, kind);
        let created = create_parents(&parent)?;
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        let made = fs::create_dir(&staging)
            .map_err(io(&staging))
            .and_then(|()| {
                let marker = staging.join(MARKER_FILE);
                fs::write(&marker, Marker::new(kind).to_text()).map_err(|e| {
                    let _ = fs::remove_dir_all(&staging);
                    io(&marker)(e)
                })
            });
        if let Err(e) = made {
            remove_created(&created);
            return Err(e);
        }
        let id = reg.next_id;
        reg.next_id += 1;
        reg.live.push(Live {
            id,
            staging: staging.clone(),
            created: created.clone(),
        });
        Ok(OutputDir {
            target: target.to_owned(),
            parent,
            name,
            staging,
            kind,
            replace_marked,
            created,
            id,
            committed: false,
        })
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The kind of output this directory is marked as.
    pub fn kind(&self) -> OutputKind {
        self.kind
    }

    fn path(&self, relative: &str) -> Result<PathBuf, OutputError> {
        let path = self.staging.join(relative);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io(dir))?;
        }
        Ok(path)
    }

    /// Writes a text file (relative path inside the directory).
    pub fn write_text(&self, relative: &str, text: &str) -> Result<(), OutputError> {
        let _reg = registry();
        let path = self.path(relative)?;
        fs::write(&path, text).map_err(io(&path))
    }

    /// Writes pretty-printed JSON with a trailing newline.
    pub fn write_json<T: Serialize>(&self, relative: &str, value: &T) -> Result<(), OutputError> {
        let mut text =
            serde_json::to_string_pretty(value).map_err(|e| OutputError::Format(e.to_string()))?;
        text.push('\n');
        self.write_text(relative, &text)
    }

    /// Moves the finished directory into place. A previous target is first renamed aside to a
    /// hidden name and checked again there (still empty, or still carrying the marker that
    /// allowed its replacement); only then is the staging directory renamed into place and the
    /// old one removed. On any failure the old target is renamed back.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let mut reg = registry();
        self.move_into_place()?;
        reg.live.retain(|l| l.id != self.id);
        self.committed = true;
        Ok(())
    }

    fn move_into_place(&self) -> Result<(), OutputError> {
        let target = &self.target;
        match fs::symlink_metadata(target) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return fs::rename(&self.staging, target).map_err(io(target));
            }
            Err(e) => return Err(io(target)(e)),
            Ok(m) if m.file_type().is_symlink() => {
                return Err(OutputError::Symlink(target.clone()));
            }
            Ok(m) if !m.is_dir() => return Err(OutputError::NotADirectory(target.clone())),
            Ok(_) => {}
        }
        let aside = self
            .parent
            .join(format!(".{}.old-{}", self.name, std::process::id()));
        fs::rename(target, &aside).map_err(io(target))?;
        // Checked where nothing else writes to it: only an empty directory or one carrying our
        // marker is ever removed.
        if let Err(e) = check_replaceable(&aside, target, self.kind, self.replace_marked) {
            let _ = fs::rename(&aside, target);
            return Err(e);
        }
        if let Err(e) = fs::rename(&self.staging, target) {
            let _ = fs::rename(&aside, target);
            return Err(io(target)(e));
        }
        // If this fails the old output stays under its hidden name, marked, and the next
        // prepare beside it removes it once this process has exited.
        let _ = fs::remove_dir_all(&aside);
        Ok(())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        let mut reg = registry();
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
            remove_created(&self.created);
        }
        reg.live.retain(|l| l.id != self.id);
    }
}

/// The target's own name. A path whose last component is `.` or `..` (`DIR/t/.`, `DIR/sub/..`)
/// is refused: `Path::file_name` silently skips a final `.`, and a final `..` names a directory
/// that holds others.
fn final_name(target: &Path) -> Result<String, OutputError> {
    let bytes = target.as_os_str().as_encoded_bytes();
    let trimmed = match bytes.iter().rposition(|&b| b != b'/') {
        Some(end) => &bytes[..=end],
        None => &[][..],
    };
    let last = trimmed.rsplit(|&b| b == b'/').next().unwrap_or_default();
    if last.is_empty() || last == b"." || last == b".." {
        return Err(OutputError::DotName(target.to_owned()));
    }
    target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| OutputError::DotName(target.to_owned()))
}

/// Refuses an existing target whose canonical path is `/`, `$HOME`, the current directory or an
/// ancestor of it: replacing any of them would delete far more than an output.
fn refuse_protected(target: &Path) -> Result<(), OutputError> {
    let canonical = fs::canonicalize(target).map_err(io(target))?;
    let refuse = |what| {
        Err(OutputError::Protected {
            path: target.to_owned(),
            what,
        })
    };
    if canonical.parent().is_none() {
        return refuse("the root directory");
    }
    if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize) {
        if cwd == canonical {
            return refuse("the current directory");
        }
        if cwd.starts_with(&canonical) {
            return refuse("an ancestor of the current directory");
        }
    }
    let home = std::env::var_os("HOME").and_then(|h| fs::canonicalize(h).ok());
    if home.as_deref() == Some(canonical.as_path()) {
        return refuse("your home directory ($HOME)");
    }
    Ok(())
}

/// Whether the existing directory `dir` (reported as `shown`) may be replaced by output of
/// `kind`: when empty, or when it carries the marker of `kind` and `replace_marked` is set.
fn check_replaceable(
    dir: &Path,
    shown: &Path,
    kind: OutputKind,
    replace_marked: bool,
) -> Result<(), OutputError> {
    if fs::read_dir(dir).map_err(io(shown))?.next().is_none() {
        return Ok(());
    }
    match read_marker(dir) {
        Ok(m) if m.output_kind() == Some(kind) => {
            if replace_marked {
                Ok(())
            } else {
                Err(OutputError::NotEmpty {
                    path: shown.to_owned(),
                    kind,
                })
            }
        }
        Ok(m) => Err(OutputError::OtherKind {
            path: shown.to_owned(),
            found: m.kind,
            wanted: kind,
        }),
        Err(why) => Err(OutputError::Foreign {
            path: shown.to_owned(),
            why,
        }),
    }
}

/// Creates the missing directories of `parent`, outermost first, and returns those it created
/// (on failure it removes them again and returns the error).
fn create_parents(parent: &Path) -> Result<Vec<PathBuf>, OutputError> {
    let mut missing = Vec::new();
    let mut p = parent;
    loop {
        match fs::symlink_metadata(p) {
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                missing.push(p.to_owned());
                match p.parent() {
                    Some(q) if !q.as_os_str().is_empty() => p = q,
                    _ => break,
                }
            }
            Err(e) => return Err(io(p)(e)),
        }
    }
    let mut created = Vec::new();
    for dir in missing.into_iter().rev() {
        match fs::create_dir(&dir) {
            Ok(()) => created.push(dir),
            // `a/..` exists once `a` does: not ours to remove later
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {}
            Err(e) => {
                remove_created(&created);
                return Err(io(&dir)(e));
            }
        }
    }
    Ok(created)
}

/// The PID in `.NAME.partial-PID` or `.NAME.old-PID` (a staging directory or a replaced output
/// renamed aside), when `file_name` is one of those for target `name`.
fn staging_pid(file_name: &str, name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix('.')?.strip_prefix(name)?;
    let digits = rest
        .strip_prefix(".partial-")
        .or_else(|| rest.strip_prefix(".old-"))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Whether process `pid` is gone: on Linux, `/proc/PID` is absent while `/proc` is mounted.
/// Elsewhere nothing is known, so nothing counts as gone.
fn process_is_gone(pid: u32) -> bool {
    cfg!(target_os = "linux")
        && Path::new("/proc/self").exists()
        && !Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes what interrupted runs left beside the target: `.NAME.partial-PID` / `.NAME.old-PID`
/// directories (not links) whose process is gone and that carry the marker of `kind`. This
/// process's own PID counts as gone for directories it is not writing (a previous process with
/// the same PID). Anything else is left alone.
fn remove_stale_staging(reg: &Registry, parent: &Path, name: &str, kind: OutputKind) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let own = std::process::id();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|f| staging_pid(f, name)) else {
            continue;
        };
        let path = entry.path();
        let gone = if pid == own {
            cfg!(target_os = "linux") && !reg.live.iter().any(|l| l.staging == path)
        } else {
            process_is_gone(pid)
        };
        let is_dir = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if gone && is_dir && read_marker(&path).is_ok_and(|m| m.output_kind() == Some(kind)) {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// Checks that an output *file* may be written at `path`: it must not exist, or, with `force`,
/// be a regular file whose first line is exactly `header` (output of the same tool). A
/// directory, a link or a device is never replaced.
pub fn check_output_file(path: &Path, header: &str, force: bool) -> Result<(), OutputError> {
    let refuse = |why: String| {
        Err(OutputError::FileExists {
            path: path.to_owned(),
            why,
        })
    };
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(path)(e)),
    };
    if meta.is_dir() {
        return refuse("is a directory; --out names the CSV file to write".to_owned());
    }
    if meta.file_type().is_symlink() {
        return refuse("is a symbolic link; overparam does not replace links".to_owned());
    }
    if !meta.is_file() {
        return refuse("is not a regular file; overparam replaces only its own output".to_owned());
    }
    if !force {
        return refuse("exists; pass --force to replace it, or choose another --out".to_owned());
    }
    let mut first = Vec::with_capacity(header.len() + 2);
    fs::File::open(path)
        .and_then(|f| f.take(header.len() as u64 + 2).read_to_end(&mut first))
        .map_err(io(path))?;
    let line = first.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let whole_line = first.len() > line.len() || first.len() == header.len();
    if line != header.as_bytes() || !whole_line {
        return refuse(format!(
            "exists and does not start with the header line `{header}`, so overparam did not \
             write it; it is never replaced, even with --force: choose another --out"
        ));
    }
    Ok(())
}

/// A table as CSV text: a header row, then one row per observation (RFC 4180 quoting).
pub fn table_to_csv(table: &Table) -> Result<String, OutputError> {
    let fmt = |e: csv::Error| OutputError::Format(format!("{}: {e}", table.name));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&table.columns).map_err(fmt)?;
    for row in &table.rows {
        w.write_record(row.iter().map(|v| v.to_csv_field()))
            .map_err(fmt)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| OutputError::Format(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| OutputError::Format(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("overparam-write-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// `prepare` never deletes anything itself, so probing `/` here is safe; it must refuse
    /// before creating a staging directory beside it.
    #[test]
    fn the_root_is_refused_however_it_is_spelled() {
        for root in ["/", "//", "/.", "/tmp/.."] {
            match OutputDir::prepare(Path::new(root), OutputKind::Run, true) {
                Err(OutputError::Protected { what, .. }) => {
                    assert_eq!(what, "the root directory", "{root}")
                }
                Err(e) => panic!("{root}: {e}"),
                Ok(_) => panic!("{root} accepted"),
            }
        }
    }

    #[test]
    fn a_final_dot_or_dot_dot_names_no_directory() {
        for bad in ["a/.", "a/..", "a/./", "..", ".", "a/b/../", ""] {
            assert!(final_name(Path::new(bad)).is_err(), "{bad}");
        }
        for (good, name) in [("out", "out"), ("a/out/", "out"), ("./a/out", "out")] {
            assert_eq!(final_name(Path::new(good)).unwrap(), name, "{good}");
        }
    }

    #[test]
    fn staging_names_are_recognised_only_for_their_target() {
        assert_eq!(staging_pid(".out.partial-42", "out"), Some(42));
        assert_eq!(staging_pid(".out.old-7", "out"), Some(7));
        for other in [
            ".out.partial-",
            ".out.partial-4x",
            ".out.partial--4",
            ".outer.partial-4",
            "out.partial-4",
            ".out.tmp-4",
            ".out.partial-99999999999",
        ] {
            assert_eq!(staging_pid(other, "out"), None, "{other}");
        }
    }

    #[test]
    fn dropping_removes_only_the_parents_prepare_created() {
        let root = scratch("parents");
        let out = OutputDir::prepare(&root.join("a/b/c/out"), OutputKind::Hessian, false).unwrap();
        assert!(root.join("a/b/c").is_dir());
        out.write_text("x.csv", "1\n").unwrap();
        // someone else writes into a created parent meanwhile: that one stays
        fs::write(root.join("a/theirs.txt"), "keep").unwrap();
        drop(out);
        assert_eq!(names(&root), ["a"]);
        assert_eq!(names(&root.join("a")), ["theirs.txt"]);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn commit_replaces_a_marked_target_and_leaves_nothing_beside_it() {
        let root = scratch("replace");
        let target = root.join("out");
        for text in ["first", "second"] {
            let out = OutputDir::prepare(&target, OutputKind::Run, true).unwrap();
            assert_eq!(
                fs::read_to_string(
                    root.join(format!(".out.partial-{}", std::process::id()))
                        .join(MARKER_FILE)
                )
                .unwrap(),
                Marker::new(OutputKind::Run).to_text(),
                "staging is marked from the start"
            );
            out.write_text("f.txt", text).unwrap();
            out.commit().unwrap();
            assert_eq!(fs::read_to_string(target.join("f.txt")).unwrap(), text);
            assert_eq!(names(&root), ["out"]);
        }
        fs::remove_dir_all(&root).unwrap();
    }

    /// The target is checked again at commit: if it stopped being replaceable while the work
    /// ran, it is renamed back untouched and the new output is dropped.
    #[test]
    fn commit_refuses_a_target_that_became_foreign_and_rolls_back() {
        let root = scratch("rollback");
        let target = root.join("out");
        fs::create_dir(&target).unwrap();
        let out = OutputDir::prepare(&target, OutputKind::Run, true).unwrap();
        fs::write(target.join("thesis.tex"), "precious").unwrap();
        match out.commit() {
            Err(OutputError::Foreign { path, .. }) => assert_eq!(path, target),
            other => panic!("{:?}", other.err()),
        }
        assert_eq!(names(&root), ["out"]);
        assert_eq!(names(&target), ["thesis.tex"]);

        // and a target of another kind that appeared meanwhile
        let other = root.join("other");
        let out = OutputDir::prepare(&other, OutputKind::Run, true).unwrap();
        fs::create_dir(&other).unwrap();
        fs::write(
            other.join(MARKER_FILE),
            Marker::new(OutputKind::Hessian).to_text(),
        )
        .unwrap();
        fs::write(other.join("spectrum.csv"), "1\n").unwrap();
        assert!(matches!(out.commit(), Err(OutputError::OtherKind { .. })));
        assert_eq!(names(&other), [MARKER_FILE, "spectrum.csv"]);
        assert_eq!(names(&root), ["other", "out"]);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn an_output_file_is_replaced_only_when_forced_and_recognisably_ours() {
        let root = scratch("file");
        let f = root.join("curve.csv");
        let header = "x,f,df,d2f";
        check_output_file(&f, header, false).unwrap();
        for (text, ok) in [
            ("x,f,df,d2f\n1,2,3,4\n", true),
            ("x,f,df,d2f", true),
            ("x,f,df,d2f\r\n", true),
            ("x,f,df,d2f,notes\n", false),
            ("x,f,df\n", false),
            ("", false),
            ("thesis", false),
        ] {
            fs::write(&f, text).unwrap();
            assert!(check_output_file(&f, header, false).is_err(), "{text:?}");
            assert_eq!(check_output_file(&f, header, true).is_ok(), ok, "{text:?}");
        }
        assert!(check_output_file(&root, header, true).is_err());
        fs::remove_dir_all(&root).unwrap();
    }
}
