//! Where input bytes come from: a regular file, a FIFO, or standard input (`-`), never more than
//! a stated number of bytes.
//!
//! Why a cap at all: a path such as `/dev/zero` or a runaway pipe never ends, and reading it
//! grows memory until the machine swaps. The cap is applied while reading (`Read::take`), so it
//! holds for FIFOs and stdin, whose size is not known in advance; a regular file's size is also
//! checked before reading, so a 10 GB file is refused at once. Character and block devices,
//! directories and sockets are refused by type: they are not data files.

use std::cell::Cell;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use crate::csv_table::{InputError, NumericTable, parse_numeric_csv};

/// Default cap on one input file, in MiB: far above any network or data set the tools handle in
/// reasonable time (a 256 MiB CSV is ~10 million numbers), far below what would exhaust memory.
pub const DEFAULT_MAX_INPUT_MIB: u64 = 256;

/// Largest value `--max-input-mib` accepts (1 TiB): above that the number is a typo, and the
/// byte count would overflow nowhere but would promise a read no machine here can hold.
pub const MAX_INPUT_MIB_CEILING: u64 = 1 << 20;

/// The path that means standard input.
pub const STDIN_PATH: &str = "-";

/// Reads users' input files under a size cap. Standard input (`-`) can be read at most once per
/// reader: a second `-` would silently see an empty stream.
#[derive(Debug)]
pub struct InputReader {
    max_bytes: u64,
    stdin_taken: Cell<bool>,
}

impl Default for InputReader {
    fn default() -> Self {
        Self::with_max_mib(DEFAULT_MAX_INPUT_MIB)
    }
}

impl InputReader {
    /// A reader that refuses inputs larger than `mib` MiB (clamped to [1, MAX_INPUT_MIB_CEILING]).
    pub fn with_max_mib(mib: u64) -> Self {
        Self::with_max_bytes(mib.clamp(1, MAX_INPUT_MIB_CEILING) << 20)
    }

    /// A reader with a cap in bytes (tests use small caps to stay cheap).
    pub fn with_max_bytes(max_bytes: u64) -> Self {
        InputReader {
            max_bytes,
            stdin_taken: Cell::new(false),
        }
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The whole content of `path` (or of stdin for `-`), refused if larger than the cap or if
    /// `path` is not a regular file or FIFO.
    pub fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, InputError> {
        if path.as_os_str() == STDIN_PATH {
            return self.read_stdin(path);
        }
        let meta = std::fs::metadata(path).map_err(|e| error(path, format!("cannot read: {e}")))?;
        check_file_type(path, &meta)?;
        if meta.is_file() && meta.len() > self.max_bytes {
            return Err(self.too_large(path, Some(meta.len())));
        }
        let file =
            std::fs::File::open(path).map_err(|e| error(path, format!("cannot read: {e}")))?;
        self.read_capped(path, file)
    }

    /// [`read_bytes`](Self::read_bytes) then [`parse_numeric_csv`].
    pub fn read_numeric_csv(&self, path: &Path, header: bool) -> Result<NumericTable, InputError> {
        let bytes = self.read_bytes(path)?;
        parse_numeric_csv(&bytes, header).map_err(|e| e.at(path))
    }

    fn read_stdin(&self, path: &Path) -> Result<Vec<u8>, InputError> {
        if self.stdin_taken.replace(true) {
            return Err(error(
                path,
                "standard input (-) can be read only once; give at most one input as -",
            ));
        }
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            return Err(error(
                path,
                "standard input (-) is a terminal; pipe or redirect the CSV into it",
            ));
        }
        self.read_capped(path, stdin.lock())
    }

    fn read_capped(&self, path: &Path, source: impl Read) -> Result<Vec<u8>, InputError> {
        let mut bytes = Vec::new();
        // One byte past the cap tells "exactly at the cap" from "larger".
        source
            .take(self.max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| error(path, format!("cannot read: {e}")))?;
        if bytes.len() as u64 > self.max_bytes {
            return Err(self.too_large(path, None));
        }
        Ok(bytes)
    }

    fn too_large(&self, path: &Path, size: Option<u64>) -> InputError {
        let size = size.map_or_else(
            || "more than".to_owned(),
            |s| format!("{s} bytes, more than"),
        );
        error(
            path,
            format!(
                "the input is {size} the limit of {} (raise it with --max-input-mib)",
                describe_bytes(self.max_bytes)
            ),
        )
    }
}

/// `n` bytes as MiB when it is a whole number of them, otherwise as bytes.
fn describe_bytes(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

fn error(path: &Path, message: impl Into<String>) -> InputError {
    InputError::new(message).at(path)
}

#[cfg(unix)]
fn check_file_type(path: &Path, meta: &std::fs::Metadata) -> Result<(), InputError> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    let what = if t.is_file() || t.is_fifo() {
        return Ok(());
    } else if t.is_dir() {
        "a directory"
    } else if t.is_char_device() {
        "a character device (such as /dev/zero or a terminal)"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    };
    Err(error(
        path,
        format!("is {what}; give a regular CSV file, a named pipe, or - for standard input"),
    ))
}

#[cfg(not(unix))]
fn check_file_type(path: &Path, meta: &std::fs::Metadata) -> Result<(), InputError> {
    if meta.is_file() {
        Ok(())
    } else {
        Err(error(path, "is not a regular file"))
    }
}

/// A path as messages name it.
pub(crate) fn display_name(path: &Path) -> PathBuf {
    if path.as_os_str() == STDIN_PATH {
        PathBuf::from("<stdin>")
    } else {
        path.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
        let p =
            std::env::temp_dir().join(format!("overparam-source-{}-{name}", std::process::id()));
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn a_file_at_the_cap_is_read_and_one_byte_more_is_refused() {
        let p = scratch("cap", b"1,2\n");
        assert_eq!(
            InputReader::with_max_bytes(4).read_bytes(&p).unwrap(),
            b"1,2\n"
        );
        let e = InputReader::with_max_bytes(3)
            .read_bytes(&p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("4 bytes, more than the limit of 3 bytes"), "{e}");
        assert!(e.contains("--max-input-mib"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_directories_are_refused_without_reading() {
        let reader = InputReader::default();
        let e = reader
            .read_bytes(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("character device"), "{e}");
        let e = reader
            .read_bytes(&std::env::temp_dir())
            .unwrap_err()
            .to_string();
        assert!(e.contains("is a directory"), "{e}");
    }

    #[test]
    fn the_cap_holds_for_streams_of_unknown_length() {
        let reader = InputReader::with_max_bytes(1000);
        let endless = std::io::repeat(b'0');
        let e = reader
            .read_capped(Path::new("pipe"), endless)
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than the limit of 1000 bytes"), "{e}");
    }

    #[test]
    fn mib_caps_are_clamped_and_described_in_mib() {
        assert_eq!(InputReader::with_max_mib(0).max_bytes(), 1 << 20);
        assert_eq!(
            InputReader::with_max_mib(u64::MAX).max_bytes(),
            MAX_INPUT_MIB_CEILING << 20
        );
        assert_eq!(describe_bytes(256 << 20), "256 MiB");
    }
}
