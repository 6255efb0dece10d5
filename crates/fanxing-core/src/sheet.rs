//! Reading uploaded spreadsheets (`.xlsx`) and text tables (`.csv`, `.txt`)
//! into cells, at a bounded cost whatever the file claims.
//!
//! Nothing a file declares about itself is trusted: not a sheet's dimension,
//! not the shared-string count, not a zip entry's size. An `.xlsx` is first
//! inflated into a counting sink with a cap on every entry and on the total
//! (zip bombs), its shared-string count is checked against the limits, and
//! its cells are streamed one by one, each counted against the row, column
//! and cell limits, before any grid is built. A text table is cut field by
//! field with `csv-core`, so a line of ten million commas costs no more than
//! the limits allow. The grid is ragged: a row holds cells up to its last
//! non-empty one, and the padded total is bounded too.
//!
//! Each importer names its [`GridLimits`]; the worst any upload may cost is
//! `max_bytes` read, `max_inflated` inflated (twice: check, then parse) and
//! about `max_cells` × 32 bytes plus the text of the cells held.

use std::io::{Cursor, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, FieldError};

/// How many uploads this process parses at once; more wait for nobody and
/// are answered "busy, retry in a few seconds", so memory stays bounded by
/// this many times an importer's limits.
pub const PARSE_SLOTS: usize = 2;

static PARSING: AtomicUsize = AtomicUsize::new(0);

/// A parse slot, given back when dropped.
pub struct ParseSlot(());

impl Drop for ParseSlot {
    fn drop(&mut self) {
        PARSING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Takes one of the [`PARSE_SLOTS`], or answers [`Error::Busy`].
pub fn parse_slot() -> Result<ParseSlot, Error> {
    let mut now = PARSING.load(Ordering::Acquire);
    loop {
        if now >= PARSE_SLOTS {
            return Err(Error::Busy);
        }
        match PARSING.compare_exchange(now, now + 1, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Ok(ParseSlot(())),
            Err(seen) => now = seen,
        }
    }
}

/// Runs `parse` in a parse slot on the blocking pool, so a large upload
/// holds neither the async workers nor more than its share of memory.
pub async fn parse_bounded<T: Send + 'static>(
    parse: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    let slot = parse_slot()?;
    in_background(move || {
        let _slot = slot;
        parse()
    })
    .await
}

/// Runs an import's CPU work (reading a file, planning its rows) on a
/// thread of its own at a lower scheduling priority, so that on a busy
/// machine the door scans and pages the async workers serve come first.
pub async fn in_background<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("fanxing-import".into())
        .spawn(move || {
            // Ten steps nicer than the server (this thread only; it ends
            // with the work). Not being allowed to is no reason to fail.
            let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 10);
            let _ = tx.send(work());
        })
        .map_err(|e| Error::Store(format!("import thread: {e}")))?;
    rx.await
        .map_err(|_| Error::Store("the import thread stopped".into()))
}

/// Runs CPU work (building a workbook, say) on the blocking pool, so that
/// a big export does not stretch other requests' latency.
pub async fn off_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Store(format!("background task: {e}")))
}

/// One cell as read, before interpretation.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A number as stored by the spreadsheet (Excel keeps phone numbers so).
    Number(f64),
    /// A date, time or date-and-time cell, as Excel stores it: days since
    /// 1899-12-30, the fraction being the time of day (a time alone is
    /// below 1). No time zone: it is what the sheet shows.
    DateTime(f64),
    /// A duration cell (`[h]:mm:ss`), in seconds.
    Duration(f64),
    /// A formula whose result the file does not hold (written by a program
    /// that does not calculate): empty, but worth saying so.
    Uncalculated,
}

impl Cell {
    /// The cell as its sheet shows it: numbers without a needless `.0`,
    /// dates as `2025-01-05 19:30:00`, times and durations as `2:30:00`.
    pub fn shown(&self) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self {
            Cell::Empty | Cell::Uncalculated => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => {
                Cow::Owned(format!("{}", *n as i64))
            }
            Cell::Number(n) => Cow::Owned(n.to_string()),
            Cell::DateTime(serial) if *serial < 1.0 => Cow::Owned(clock(serial * 86_400.0)),
            Cell::DateTime(serial) => Cow::Owned(
                serial_datetime(*serial)
                    .map(|(d, secs)| format!("{d} {}", clock(secs as f64)))
                    .unwrap_or_else(|| serial.to_string()),
            ),
            Cell::Duration(secs) => Cow::Owned(clock(*secs)),
        }
    }
}

/// `H:MM:SS` of a number of seconds.
fn clock(secs: f64) -> String {
    let s = secs.round().max(0.0) as i64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The calendar date and the seconds into that day of an Excel serial
/// (days since 1899-12-30), for serials from 1900 to 9999.
pub fn serial_datetime(serial: f64) -> Option<(time::Date, i64)> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let epoch = time::Date::from_calendar_date(1899, time::Month::December, 30).ok()?;
    let total = (serial * 86_400.0).round() as i64;
    let date = epoch.checked_add(time::Duration::days(total.div_euclid(86_400)))?;
    Some((date, total.rem_euclid(86_400)))
}

/// What one importer accepts at most.
#[derive(Debug, Clone, Copy)]
pub struct GridLimits {
    /// Largest file, in bytes.
    pub max_bytes: usize,
    /// Highest row number a cell may sit on (as the sheet numbers rows).
    pub max_rows: usize,
    /// Highest column number a cell may sit on (1 = A).
    pub max_cols: usize,
    /// Most cells held, counting the empty ones before a row's last value.
    pub max_cells: usize,
    /// Most bytes an `.xlsx` may inflate to, all entries together.
    pub max_inflated: u64,
    /// Most bytes one entry of an `.xlsx` may inflate to.
    pub max_entry: u64,
    /// Most shared strings an `.xlsx` may declare or hold.
    pub max_shared_strings: u64,
}

impl GridLimits {
    /// The most memory reading a file of `file_len` bytes under these
    /// limits may take, beyond the file itself: the shared strings, the
    /// cells' text and the XML reader's buffers (each at most
    /// `max_inflated`), the cells (`max_cells` × 64 bytes, before and after
    /// placing them in rows), the shared-string table's slots, the zip
    /// directory and decoded text (a few times the file) and fixed buffers.
    /// The upload fuzz test checks every input against it.
    pub fn memory_bound(&self, file_len: usize) -> u64 {
        3 * self.max_inflated
            + 64 * self.max_cells as u64
            + 32 * self.max_shared_strings
            + 4 * file_len as u64
            + (16 << 20)
    }
}

/// Most entries in an `.xlsx` (a real workbook has a few dozen).
const MAX_ZIP_ENTRIES: usize = 2_000;
/// Longest single field of a text table, in bytes.
const MAX_FIELD_BYTES: usize = 64 * 1024;

/// A whole-file problem, for the form's `file` field.
fn problem(key: &'static str) -> FieldError {
    FieldError::new("file", key)
}

fn too_big(limits: &GridLimits) -> FieldError {
    problem("sheet.too_big")
        .with("rows", limits.max_rows)
        .with("cols", limits.max_cols)
        .with("cells", limits.max_cells)
}

/// One sheet as read: its name (empty for a text table) and its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub name: String,
    pub grid: Vec<Vec<Cell>>,
}

/// The first visible sheet of a workbook, or a text table, as rows of
/// cells. The row index is the sheet's own row number minus one (blank rows
/// kept), so messages can name rows as the user sees them.
pub fn read_grid(
    filename: &str,
    bytes: &[u8],
    limits: &GridLimits,
) -> Result<Vec<Vec<Cell>>, FieldError> {
    let mut sheets = read_sheets(filename, bytes, limits)?;
    Ok(sheets.swap_remove(0).grid)
}

/// Every visible worksheet of a workbook in tab order (hidden ones are old
/// data people keep out of sight, never read), or the one table of a text
/// file; never empty. The limits hold for all sheets together.
pub fn read_sheets(
    filename: &str,
    bytes: &[u8],
    limits: &GridLimits,
) -> Result<Vec<Sheet>, FieldError> {
    if bytes.is_empty() {
        return Err(problem("roster.empty_file"));
    }
    if bytes.len() > limits.max_bytes {
        return Err(problem("roster.too_large"));
    }
    let lower = filename.to_ascii_lowercase();
    if bytes.starts_with(b"PK\x03\x04") {
        // The workbook reader has panicked on malformed cell references
        // (an arithmetic overflow); such a file is unreadable, not a crash.
        return std::panic::catch_unwind(|| read_xlsx(bytes, limits))
            .unwrap_or_else(|_| Err(problem("roster.bad_spreadsheet")));
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) || lower.ends_with(".xls") {
        // The old binary format: its reader builds the whole bounding box of
        // the sheet at once, which a two-cell file can make huge.
        return Err(problem("sheet.old_xls"));
    }
    if [".xlsx", ".xlsm", ".xlsb", ".ods"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        return Err(problem("roster.bad_spreadsheet"));
    }
    Ok(vec![Sheet {
        name: String::new(),
        grid: read_text(bytes, limits)?,
    }])
}

// ---------------------------------------------------------------------------
// .xlsx

/// A sink that counts what is written and refuses past a cap.
struct Capped {
    written: u64,
    cap: u64,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.written += buf.len() as u64;
        if self.written > self.cap {
            return Err(std::io::Error::other("inflated size over the limit"));
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Inflates every entry into a counting sink: refuses a workbook whose
/// entries or whole inflate past the limits, or whose shared-string table
/// declares more strings than the limits allow.
fn check_zip(bytes: &[u8], limits: &GridLimits) -> Result<(), FieldError> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| problem("roster.bad_spreadsheet"))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(problem("sheet.inflates_too_much"));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|_| problem("roster.bad_spreadsheet"))?;
        let is_sst = entry
            .name()
            .map(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"))
            .unwrap_or(false);
        let cap = limits.max_entry.min(limits.max_inflated - total);
        let mut sink = Capped { written: 0, cap };
        if is_sst {
            // The opening tag carries uniqueCount, which the parser would
            // reserve room for: read it before anything else does.
            let mut head = Vec::with_capacity(4096);
            (&mut entry)
                .take(4096)
                .read_to_end(&mut head)
                .map_err(|_| problem("roster.bad_spreadsheet"))?;
            for name in [&b"uniqueCount"[..], &b"count"[..]] {
                if let Some(n) = declared_count(&head, name) {
                    if n > limits.max_shared_strings {
                        return Err(too_big(limits));
                    }
                }
            }
            sink.write_all(&head)
                .map_err(|_| problem("sheet.inflates_too_much"))?;
        }
        match std::io::copy(&mut entry, &mut sink) {
            Ok(_) => {}
            Err(_) if sink.written > sink.cap => return Err(problem("sheet.inflates_too_much")),
            Err(_) => return Err(problem("roster.bad_spreadsheet")),
        }
        total += sink.written;
    }
    Ok(())
}

/// The number in `name="123"` inside `head` (the first attribute so named
/// after a space), or `None`. Digits beyond u64 read as `u64::MAX`.
fn declared_count(head: &[u8], name: &[u8]) -> Option<u64> {
    let mut i = 0;
    while i + name.len() + 2 < head.len() {
        let at = i + name.len();
        if head[i..at] == *name
            && i > 0
            && head[i - 1].is_ascii_whitespace()
            && head[at] == b'='
            && matches!(head[at + 1], b'"' | b'\'')
        {
            let digits = head[at + 2..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .fold(0u64, |n, d| {
                    n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
            return Some(digits);
        }
        i += 1;
    }
    None
}

fn read_xlsx(bytes: &[u8], limits: &GridLimits) -> Result<Vec<Sheet>, FieldError> {
    use calamine::{Reader, SheetVisible};
    check_zip(bytes, limits)?;
    let mut wb: calamine::Xlsx<_> =
        calamine::Xlsx::new(Cursor::new(bytes)).map_err(|_| problem("roster.bad_spreadsheet"))?;
    let names: Vec<String> = wb
        .sheets_metadata()
        .iter()
        .filter(|s| s.visible == SheetVisible::Visible && s.typ == calamine::SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .collect();
    if names.is_empty() {
        return Err(problem("roster.empty_file"));
    }
    // What every sheet read so far holds, against the limits.
    let mut held = Held::default();
    let mut sheets = Vec::with_capacity(names.len());
    for name in names {
        let grid = read_worksheet(&mut wb, &name, limits, &mut held)?;
        sheets.push(Sheet { name, grid });
    }
    Ok(sheets)
}

#[derive(Default)]
struct Held {
    cells: usize,
    text: u64,
    /// Slots of the grids built, empty ones before a row's last value
    /// included.
    padded: usize,
}

fn read_worksheet(
    wb: &mut calamine::Xlsx<Cursor<&[u8]>>,
    name: &str,
    limits: &GridLimits,
    held: &mut Held,
) -> Result<Vec<Vec<Cell>>, FieldError> {
    use calamine::DataRef;
    let mut reader = wb
        .worksheet_cells_reader(name)
        .map_err(|_| problem("roster.bad_spreadsheet"))?;
    let mut cells: Vec<(u32, u32, Cell)> = Vec::new();
    loop {
        let cell = match reader.next_cell_with_formula_metadata() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(_) => return Err(problem("roster.bad_spreadsheet")),
        };
        let (row, col) = cell.pos;
        let value = match &cell.value {
            DataRef::Empty if cell.formula.is_some() => Cell::Uncalculated,
            DataRef::Empty => continue,
            DataRef::String(s) => Cell::Text(s.clone()),
            DataRef::SharedString(s) => Cell::Text((*s).to_string()),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::Int(i) => Cell::Number(*i as f64),
            DataRef::Bool(b) => Cell::Text(b.to_string()),
            DataRef::DateTime(d) if d.is_duration() => Cell::Duration(d.as_f64() * 86_400.0),
            DataRef::DateTime(d) => Cell::DateTime(d.as_f64()),
            DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s.clone()),
            other => Cell::Text(calamine::Data::from(other.clone()).to_string()),
        };
        // Text held by the cells: one long shared string referenced from
        // every cell would otherwise be copied once per cell.
        if let Cell::Text(t) = &value {
            held.text += t.len() as u64;
        }
        held.cells += 1;
        if held.text > limits.max_inflated
            || row as usize >= limits.max_rows
            || col as usize >= limits.max_cols
            || held.cells > limits.max_cells
        {
            return Err(too_big(limits));
        }
        cells.push((row, col, value));
    }
    build_grid(cells, limits, &mut held.padded)
}

/// Places sparse cells into a ragged grid, refusing when the padded grids
/// built so far (`padded`) would hold more than `max_cells`.
fn build_grid(
    mut cells: Vec<(u32, u32, Cell)>,
    limits: &GridLimits,
    padded: &mut usize,
) -> Result<Vec<Vec<Cell>>, FieldError> {
    cells.sort_by_key(|(r, c, _)| (*r, *c));
    let rows = cells.last().map(|(r, _, _)| *r as usize + 1).unwrap_or(0);
    let mut widths = vec![0usize; rows];
    for (r, c, _) in &cells {
        widths[*r as usize] = *c as usize + 1;
    }
    *padded += widths.iter().sum::<usize>() + rows;
    if *padded > limits.max_cells {
        return Err(too_big(limits));
    }
    let mut grid: Vec<Vec<Cell>> = widths.iter().map(|w| Vec::with_capacity(*w)).collect();
    for (r, c, value) in cells {
        let row = &mut grid[r as usize];
        while row.len() < c as usize {
            row.push(Cell::Empty);
        }
        if row.len() == c as usize {
            row.push(value);
        } else {
            row[c as usize] = value;
        }
    }
    Ok(grid)
}

/// A one-sheet workbook from its raw parts: the worksheet's XML and, when
/// given, the shared-string table's. For checking the reader against files
/// no spreadsheet program writes (far cells, false counts, huge entries).
pub fn xlsx_from_parts(sheet_xml: &[u8], shared_strings: Option<&[u8]>) -> Vec<u8> {
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let types = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>{}</Types>"#,
        if shared_strings.is_some() {
            r#"<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>"#
        } else {
            ""
        }
    );
    let root = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>{}</Relationships>"#,
        if shared_strings.is_some() {
            format!(
                r#"<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>"#
            )
        } else {
            String::new()
        }
    );
    let mut parts: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", root.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet_xml),
    ];
    if let Some(sst) = shared_strings {
        parts.push(("xl/sharedStrings.xml", sst));
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(sheet_xml.len() > u32::MAX as usize / 2);
    for (name, data) in parts {
        // Writing into memory cannot fail but for sizes past zip's limits.
        zip.start_file(name, options).expect("zip entry");
        zip.write_all(data).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}

// ---------------------------------------------------------------------------
// text tables

/// Decodes a text table: UTF-8 (with or without BOM), UTF-16 with a BOM (as
/// Excel saves "Unicode text"), else GB18030 as Excel writes CSV on Chinese
/// Windows.
fn decode(bytes: &[u8]) -> Result<String, FieldError> {
    let text = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let (s, bad) = encoding_rs::UTF_16LE.decode_without_bom_handling(rest);
        if bad {
            return Err(problem("roster.bad_type"));
        }
        s.into_owned()
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let (s, bad) = encoding_rs::UTF_16BE.decode_without_bom_handling(rest);
        if bad {
            return Err(problem("roster.bad_type"));
        }
        s.into_owned()
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => s.trim_start_matches('\u{feff}').to_string(),
            Err(_) => {
                let (s, _, bad) = encoding_rs::GB18030.decode(bytes);
                if bad {
                    return Err(problem("roster.bad_type"));
                }
                s.into_owned()
            }
        }
    };
    // Binary files that happen to decode: a NUL early on gives them away.
    if text.chars().take(4096).any(|c| c == '\0') {
        return Err(problem("roster.bad_type"));
    }
    Ok(text)
}

/// A tab when the first line has tabs and no commas (Excel's "text"
/// export), else a comma.
fn delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    if first.contains('\t') && !first.contains(',') {
        b'\t'
    } else {
        b','
    }
}

fn read_text(bytes: &[u8], limits: &GridLimits) -> Result<Vec<Vec<Cell>>, FieldError> {
    use csv_core::ReadFieldResult;
    let text = decode(bytes)?;
    let mut rdr = csv_core::ReaderBuilder::new()
        .delimiter(delimiter(&text))
        .build();
    let mut input = text.as_bytes();
    let mut field = vec![0u8; 1024];
    let mut len = 0usize;
    let mut grid: Vec<Vec<Cell>> = Vec::new();
    let mut row: Vec<Cell> = Vec::new();
    // Lines consumed so far; blank lines between records keep their place
    // so row numbers match the file's.
    // Line breaks inside quoted fields are not rows: a spreadsheet shows
    // such a record as one row, so they are taken back out.
    let mut newlines = 0usize;
    let mut quoted_newlines = 0usize;
    let mut start_line: Option<usize> = None;
    let mut held = 0usize;
    loop {
        if start_line.is_none() {
            // csv-core skips blank lines before a record; skip them here so
            // the record's own line is known.
            let skip = input
                .iter()
                .take_while(|b| matches!(b, b'\n' | b'\r'))
                .count();
            newlines += input[..skip].iter().filter(|b| **b == b'\n').count();
            input = &input[skip..];
            start_line = Some(newlines - quoted_newlines + 1);
        }
        let (res, nin, nout) = rdr.read_field(input, &mut field[len..]);
        newlines += input[..nin].iter().filter(|b| **b == b'\n').count();
        input = &input[nin..];
        len += nout;
        match res {
            ReadFieldResult::InputEmpty => {}
            ReadFieldResult::OutputFull => {
                if field.len() >= MAX_FIELD_BYTES {
                    return Err(problem("sheet.field_too_long"));
                }
                field.resize(field.len() * 2, 0);
            }
            ReadFieldResult::Field { record_end } => {
                if row.len() >= limits.max_cols {
                    return Err(too_big(limits));
                }
                quoted_newlines += field[..len].iter().filter(|b| **b == b'\n').count();
                let s = String::from_utf8_lossy(&field[..len]);
                row.push(if s.trim().is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(s.into_owned())
                });
                len = 0;
                held += 1;
                if held > limits.max_cells {
                    return Err(too_big(limits));
                }
                if record_end {
                    let line = start_line.take().unwrap_or(1);
                    if line > limits.max_rows {
                        return Err(too_big(limits));
                    }
                    while grid.len() + 1 < line {
                        grid.push(Vec::new());
                        held += 1;
                    }
                    if held > limits.max_cells {
                        return Err(too_big(limits));
                    }
                    while matches!(row.last(), Some(Cell::Empty)) {
                        row.pop();
                    }
                    grid.push(std::mem::take(&mut row));
                }
            }
            ReadFieldResult::End => break,
        }
    }
    Ok(grid)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: GridLimits = GridLimits {
        max_bytes: 1 << 20,
        max_rows: 100,
        max_cols: 10,
        max_cells: 500,
        max_inflated: 1 << 20,
        max_entry: 1 << 19,
        max_shared_strings: 1000,
    };

    fn text(grid: &[Vec<Cell>]) -> Vec<Vec<String>> {
        grid.iter()
            .map(|r| r.iter().map(|c| c.shown().into_owned()).collect())
            .collect()
    }

    #[test]
    fn csv_rows_keep_the_files_line_numbers() {
        let g = read_grid("a.csv", b"a,b\n\n1,2\n\"x\ny\",3\n4\n", &SMALL).unwrap();
        assert_eq!(
            text(&g),
            vec![
                vec!["a", "b"],
                vec![],
                vec!["1", "2"],
                vec!["x\ny", "3"],
                vec!["4"]
            ]
        );
    }

    #[test]
    fn utf16_tab_text_as_excel_saves_it() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "姓名\t手机号\r\n张三\t13800000000\r\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let g = read_grid("a.txt", &bytes, &SMALL).unwrap();
        assert_eq!(text(&g)[1], vec!["张三", "13800000000"]);
    }

    #[test]
    fn csv_bounds_hold_on_hostile_lines() {
        let commas = vec![b','; 100_000];
        let e = read_grid("a.csv", &commas, &SMALL).unwrap_err();
        assert_eq!(e.key, "sheet.too_big");
        let lines = vec![b'\n'; 5_000];
        let mut far = lines.clone();
        far.extend_from_slice(b"x\n");
        assert_eq!(
            read_grid("a.csv", &far, &SMALL).unwrap_err().key,
            "sheet.too_big"
        );
        let long = format!("\"{}\"", "x".repeat(200_000));
        assert_eq!(
            read_grid("a.csv", long.as_bytes(), &SMALL).unwrap_err().key,
            "sheet.field_too_long"
        );
    }

    /// A worksheet's XML holding inline-string cells at the given places.
    fn sheet_xml(cells: &[(&str, &str)]) -> Vec<u8> {
        let mut x = String::from(
            r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
        );
        for (at, v) in cells {
            let row: String = at.chars().filter(char::is_ascii_digit).collect();
            x.push_str(&format!(
                r#"<row r="{row}"><c r="{at}" t="inlineStr"><is><t>{v}</t></is></c></row>"#
            ));
        }
        x.push_str("</sheetData></worksheet>");
        x.into_bytes()
    }

    #[test]
    fn workbooks_within_the_limits_are_read_by_their_cells() {
        let g = read_grid(
            "a.xlsx",
            &xlsx_from_parts(&sheet_xml(&[("A1", "姓名"), ("C3", "x")]), None),
            &SMALL,
        )
        .unwrap();
        assert_eq!(text(&g), vec![vec!["姓名"], vec![], vec!["", "", "x"]]);
    }

    #[test]
    fn far_cells_are_refused_before_any_grid_is_built() {
        for far in ["XFD1048576", "Z1000000", "K1", "A101"] {
            let file = xlsx_from_parts(&sheet_xml(&[("A1", "a"), (far, "b")]), None);
            assert!(file.len() < 2000);
            let e = read_grid("a.xlsx", &file, &SMALL).unwrap_err();
            assert_eq!(e.key, "sheet.too_big", "{far}");
        }
        // Many cells within the rows and columns: the cell count holds.
        let many: Vec<(String, &str)> = (1..=100)
            .flat_map(|r| ["A", "B", "C", "D", "E", "F"].map(|c| (format!("{c}{r}"), "v")))
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(a, v)| (a.as_str(), *v)).collect();
        let file = xlsx_from_parts(&sheet_xml(&many), None);
        assert_eq!(
            read_grid("a.xlsx", &file, &SMALL).unwrap_err().key,
            "sheet.too_big"
        );
    }

    #[test]
    fn zip_bombs_and_false_counts_are_refused() {
        // A shared-string table that inflates past the limit.
        let mut sst = br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>"#.to_vec();
        sst.extend(std::iter::repeat_n(b'0', 2 << 20));
        sst.extend_from_slice(b"</t></si></sst>");
        let file = xlsx_from_parts(&sheet_xml(&[("A1", "a")]), Some(&sst));
        assert!(file.len() < 20_000, "{}", file.len());
        assert_eq!(
            read_grid("a.xlsx", &file, &SMALL).unwrap_err().key,
            "sheet.inflates_too_much"
        );
        // A table that claims four billion strings.
        let sst = br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4000000000" uniqueCount="4000000000"><si><t>a</t></si></sst>"#;
        let file = xlsx_from_parts(&sheet_xml(&[("A1", "a")]), Some(sst));
        assert_eq!(
            read_grid("a.xlsx", &file, &SMALL).unwrap_err().key,
            "sheet.too_big"
        );
    }

    #[test]
    fn one_long_shared_string_in_every_cell_is_bounded() {
        let mut sst = br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>"#.to_vec();
        sst.extend(std::iter::repeat_n(b'y', 100_000));
        sst.extend_from_slice(b"</t></si></sst>");
        let mut x = String::from(
            r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
        );
        for r in 1..=40 {
            x.push_str(&format!(
                r#"<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>"#
            ));
        }
        x.push_str("</sheetData></worksheet>");
        let file = xlsx_from_parts(x.as_bytes(), Some(&sst));
        // 40 × 100 kB of text held would pass the 1 MiB limit.
        assert_eq!(
            read_grid("a.xlsx", &file, &SMALL).unwrap_err().key,
            "sheet.too_big"
        );
    }

    #[test]
    fn a_reference_the_workbook_reader_chokes_on_is_an_unreadable_file() {
        let x = br#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF1" t="inlineStr"><is><t>a</t></is></c></row></sheetData></worksheet>"#;
        let e = read_grid("a.xlsx", &xlsx_from_parts(x, None), &SMALL).unwrap_err();
        assert!(
            ["roster.bad_spreadsheet", "sheet.too_big"].contains(&e.key),
            "{}",
            e.key
        );
    }

    #[test]
    fn a_formula_without_its_result_is_told_apart_from_an_empty_cell() {
        let x = br#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1"><v>2</v></c><c r="B1"><f>A1*2</f></c><c r="C1"><f>A1*3</f><v>6</v></c></row></sheetData></worksheet>"#;
        let g = read_grid("a.xlsx", &xlsx_from_parts(x, None), &SMALL).unwrap();
        assert_eq!(
            g[0],
            vec![Cell::Number(2.0), Cell::Uncalculated, Cell::Number(6.0)]
        );
    }

    #[test]
    fn declared_counts_are_read_without_trusting_them() {
        let head = br#"<?xml version="1.0"?><sst xmlns="x" count="12" uniqueCount="99999999999999999999999">"#;
        assert_eq!(declared_count(head, b"count"), Some(12));
        assert_eq!(declared_count(head, b"uniqueCount"), Some(u64::MAX));
        assert_eq!(declared_count(b"<sst>", b"count"), None);
    }

    #[test]
    fn old_and_other_formats_are_named() {
        assert_eq!(
            read_grid("a.xls", &[0xD0, 0xCF, 0x11, 0xE0, 0, 0], &SMALL)
                .unwrap_err()
                .key,
            "sheet.old_xls"
        );
        assert_eq!(
            read_grid("a.xlsx", b"not a zip", &SMALL).unwrap_err().key,
            "roster.bad_spreadsheet"
        );
        assert_eq!(
            read_grid("a.csv", b"", &SMALL).unwrap_err().key,
            "roster.empty_file"
        );
    }
}
