//! The CSV reader: a header row naming the columns, one worker per row.

use std::sync::Arc;

use super::{HrBatch, HrError, Quarantined, SourcedWorker, fields, finish};
use crate::interned;
use crate::worker::SourceRef;

/// Reads workers from CSV. The header must have an `employee_id` column; names are matched
/// case-insensitively; unknown columns become custom attributes. A malformed row is quarantined.
/// Line numbers are physical lines of the file, whether it ends its lines with LF or CRLF.
pub fn read_csv(input: &[u8], file: Arc<str>) -> Result<HrBatch, HrError> {
    // The values workers share are kept once each (see `interned`).
    interned::sharing(|| read_records(input, file))
}

fn read_records(input: &[u8], file: Arc<str>) -> Result<HrBatch, HrError> {
    let mut lines = LineCounter::new(input);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::None)
        .from_reader(input);
    let header_error = |message: String| HrError::Header {
        file: file.to_string(),
        message,
    };
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| header_error(format!("cannot read the header row: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    if !headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("employee_id"))
    {
        return Err(header_error(format!(
            "the header row has no employee_id column (columns: {})",
            headers.join(", ")
        )));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = headers
        .iter()
        .find(|h| !seen.insert(h.to_ascii_lowercase()))
    {
        return Err(header_error(format!(
            "the column {twice:?} appears twice in the header row"
        )));
    }

    let columns: Vec<fields::Column<'_>> = headers.iter().map(|h| fields::Column::of(h)).collect();
    let mut candidates = Vec::new();
    let mut quarantined = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut next_line = 2;
    loop {
        let line = next_line;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(line, |p| lines.line_at(p.byte()));
                next_line = line + 1;
                let source = SourceRef {
                    file: file.clone(),
                    line,
                };
                let pairs = columns.iter().copied().zip(record.iter());
                match fields::to_worker_by_column(pairs) {
                    Ok(worker) => candidates.push(SourcedWorker { worker, source }),
                    Err((employee_id, reason)) => quarantined.push(Quarantined {
                        employee_id,
                        source,
                        reason,
                    }),
                }
            }
            Err(error) => {
                let line = error.position().map_or(line, |p| lines.line_at(p.byte()));
                next_line = line + 1;
                let reason = match error.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("the row has {len} fields but the header has {expected_len}"),
                    csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8 text".to_owned(),
                    _ => format!("the row cannot be read as CSV: {error}"),
                };
                quarantined.push(Quarantined {
                    employee_id: None,
                    source: SourceRef {
                        file: file.clone(),
                        line,
                    },
                    reason,
                });
                if !matches!(
                    error.kind(),
                    csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }
                ) {
                    break;
                }
            }
        }
    }
    Ok(finish(candidates, quarantined))
}

/// Turns byte offsets, met in increasing order, into line numbers (the csv crate's own count is
/// off for CRLF files).
struct LineCounter<'a> {
    input: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self {
            input,
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, byte: u64) -> u64 {
        let mut byte = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.input.len());
        // The crate reports a record as starting at the end of the line before it.
        while matches!(self.input.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        if byte >= self.offset {
            let newlines = self.input[self.offset..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line += newlines as u64;
            self.offset = byte;
        }
        self.line
    }
}
