//! Reading users' numeric CSV files, with errors that name the file, line and column.
//!
//! Every tool that takes user data goes through here, so that malformed input (missing file,
//! empty file, ragged rows, text, NaN or infinity) is refused the same way everywhere.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::excerpt;
use crate::source::display_name;

/// Why a numeric CSV file was refused. `file` is `None` while the bytes are being parsed and is
/// filled in by whoever knows where they came from ([`InputError::at`]).
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub file: Option<PathBuf>,
    pub message: String,
}

impl InputError {
    pub fn new(message: impl Into<String>) -> Self {
        InputError {
            file: None,
            message: message.into(),
        }
    }

    /// The same error, naming the file it came from (`-` is named `<stdin>`).
    pub fn at(mut self, path: &Path) -> Self {
        self.file = Some(display_name(path));
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(p) => write!(f, "{}: {}", p.display(), self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for InputError {}

/// A rectangular table of finite numbers, with its column names when the file had a header.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericTable {
    pub header: Option<Vec<String>>,
    pub rows: Vec<Vec<f64>>,
    /// The file line of each row (1-based), so later checks can point at the line.
    pub lines: Vec<u64>,
}

impl NumericTable {
    pub fn ncols(&self) -> usize {
        self.rows.first().map_or(0, |r| r.len())
    }

    /// The values of a named column (requires a header).
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let idx = self
            .header
            .as_ref()?
            .iter()
            .position(|h| h.trim() == name)?;
        Some(self.rows.iter().map(|r| r[idx]).collect())
    }
}

/// The CSV dialect every reader shares: comma-separated, `#` comments, fields trimmed, rows of
/// any length (the readers check lengths themselves, with better messages than csv's).
pub(crate) fn csv_reader(bytes: &[u8], header: bool) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(header)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(bytes)
}

/// The 1-based file line on which each record starts, from the record's byte offset.
///
/// Why not csv's own `Position::line`: after a CRLF line ending it reports the previous line
/// (found by the `near_valid_csv_never_panics` property: "1\r\n2\r\n3" gave lines 1, 1, 2), so messages
/// about Windows files pointed one line too early. csv's byte offset may point at the `\n` of
/// the previous line's terminator or at comment lines before the record; the record itself
/// starts at the first byte after those.
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    scanned: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            scanned: 0,
            line: 1,
        }
    }

    /// The line of the record whose csv position is `offset` (offsets must not decrease).
    pub(crate) fn line_of(&mut self, record: &csv::ByteRecord) -> u64 {
        let offset = record.position().map_or(0, |p| p.byte()) as usize;
        let mut start = offset.min(self.bytes.len());
        // Skip line endings and comment lines: csv's offset may precede both.
        loop {
            match self.bytes.get(start) {
                Some(b'\r' | b'\n') => start += 1,
                Some(b'#') => {
                    while !matches!(self.bytes.get(start), None | Some(b'\r' | b'\n')) {
                        start += 1;
                    }
                }
                _ => break,
            }
        }
        if start > self.scanned {
            // A line ends at \n, \r\n or a lone \r, as csv reads them.
            let newlines = (self.scanned..start)
                .filter(|&i| match self.bytes[i] {
                    b'\n' => true,
                    b'\r' => self.bytes.get(i + 1) != Some(&b'\n'),
                    _ => false,
                })
                .count();
            self.line += newlines as u64;
            self.scanned = start;
        }
        self.line
    }
}

/// Parses one field as a finite number; `line` and `col` (1-based) locate it in messages.
pub(crate) fn parse_field(field: &[u8], line: u64, col: usize) -> Result<f64, InputError> {
    let text = std::str::from_utf8(field).map_err(|_| {
        InputError::new(format!(
            "line {line}, column {col}: '{}' is not UTF-8 text",
            excerpt(&String::from_utf8_lossy(field))
        ))
    })?;
    let x: f64 = text.parse().map_err(|_| {
        InputError::new(format!(
            "line {line}, column {col}: '{}' is not a number",
            excerpt(text)
        ))
    })?;
    if !x.is_finite() {
        return Err(InputError::new(format!(
            "line {line}, column {col}: {} is not a finite number",
            excerpt(text)
        )));
    }
    Ok(x)
}

/// Parses CSV bytes of finite numbers: every row the same length, at least one row. With
/// `header`, the first line holds column names. Blank lines are skipped; lines starting with '#'
/// are comments. Never panics, whatever the bytes.
pub fn parse_numeric_csv(bytes: &[u8], header: bool) -> Result<NumericTable, InputError> {
    let mut reader = csv_reader(bytes, header);
    let names = if header {
        let h = reader
            .byte_headers()
            .map_err(|e| InputError::new(format!("cannot parse the header: {e}")))?;
        if h.is_empty() || h.iter().all(<[u8]>::is_empty) {
            return Err(InputError::new(
                "the file is empty (a header line was expected)",
            ));
        }
        Some(
            h.iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect::<Vec<_>>(),
        )
    } else {
        None
    };
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut lines = Vec::new();
    let mut counter = LineCounter::new(bytes);
    for record in reader.byte_records() {
        let record = record.map_err(|e| InputError::new(format!("cannot parse: {e}")))?;
        let line = counter.line_of(&record);
        if record.iter().all(<[u8]>::is_empty) {
            continue;
        }
        let mut row = Vec::with_capacity(record.len());
        for (col, field) in record.iter().enumerate() {
            row.push(parse_field(field, line, col + 1)?);
        }
        let expected = names
            .as_ref()
            .map_or_else(|| rows.first().map(|r| r.len()), |n| Some(n.len()));
        if let Some(expected) = expected
            && row.len() != expected
        {
            return Err(InputError::new(format!(
                "line {line} has {} values, expected {expected}",
                row.len()
            )));
        }
        rows.push(row);
        lines.push(line);
    }
    if rows.is_empty() {
        return Err(InputError::new("the file holds no data rows"));
    }
    Ok(NumericTable {
        header: names,
        rows,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path, header: bool) -> Result<NumericTable, InputError> {
        crate::InputReader::default().read_numeric_csv(path, header)
    }

    fn write(name: &str, text: &str) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("overparam-input-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn reads_a_matrix_without_header() {
        let p = write("ok.csv", "1, 2,3\n\n# comment\n4,5,6e-1\n");
        let t = read(&p, false).unwrap();
        assert_eq!(t.rows, vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 0.6]]);
    }

    #[test]
    fn reads_named_columns() {
        let p = write("xy.csv", "x,y\n0,1\n1,3\n");
        let t = read(&p, true).unwrap();
        assert_eq!(t.column("y"), Some(vec![1.0, 3.0]));
        assert_eq!(t.column("z"), None);
    }

    #[test]
    fn refuses_malformed_files_with_a_line_number() {
        for (name, text, needle) in [
            ("empty.csv", "", "no data rows"),
            ("ragged.csv", "1,2\n3\n", "line 2 has 1 values, expected 2"),
            (
                "text.csv",
                "1,2\n3,abc\n",
                "line 2, column 2: 'abc' is not a number",
            ),
            ("nan.csv", "1,NaN\n", "not a finite number"),
            ("crlf.csv", "1,2\r\n3,4\r\n5,x\r\n", "line 3, column 2: 'x'"),
            ("inf.csv", "1,inf\n", "not a finite number"),
        ] {
            let p = write(name, text);
            let e = read(&p, false).unwrap_err().to_string();
            assert!(e.contains(needle), "{name}: {e}");
        }
        let e = read(Path::new("/nonexistent/file.csv"), false).unwrap_err();
        assert!(e.to_string().contains("cannot read"));
    }
}

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn lines_are_file_lines_whatever_the_line_endings() {
        for (text, lines) in [
            ("1\n2\n3", vec![1, 2, 3]),
            ("1\r\n2\r\n3", vec![1, 2, 3]),
            ("1\r2\r3\r", vec![1, 2, 3]),
            ("# c\r\n\r\n1\r\n# d\r\n\r\n2\r\n", vec![3, 6]),
            ("# c\n\n1\n# d\n\n2\n", vec![3, 6]),
            ("\"1\n\",x\n2,3\n", vec![]),
        ] {
            match parse_numeric_csv(text.as_bytes(), false) {
                Ok(t) => assert_eq!(t.lines, lines, "{text:?}"),
                Err(e) => assert!(lines.is_empty(), "{text:?}: {e}"),
            }
        }
        let e = parse_numeric_csv(b"a,b\r\n1,2\r\n\r\n3,q\r\n", true).unwrap_err();
        assert!(e.message.starts_with("line 4, column 2"), "{e}");
    }
}
