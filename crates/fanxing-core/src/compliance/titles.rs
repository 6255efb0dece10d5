//! A spreadsheet of product titles in, the same titles annotated out.
//!
//! The upload is read by the bounded sheet reader ([`crate::sheet`]): an
//! `.xlsx`, `.csv` or `.txt`. The title column is the one headed 商品标题,
//! 标题, 商品名称 or `title` (any case); a sheet with no such header and a
//! single column is read as titles from its first row. The answer is a new
//! workbook: every row as it came, then the verdict, the terms found, their
//! categories, the legal basis and the suggested rewording, with rows that
//! need changes shaded.

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};

use super::{Report, Severity};
use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::i18n::Lang;
use crate::sheet::{Cell, GridLimits};

/// What one titles upload may hold.
pub const LIMITS: GridLimits = GridLimits {
    max_bytes: 10 << 20,
    max_rows: 20_001,
    max_cols: 30,
    max_cells: 300_000,
    max_inflated: 64 << 20,
    max_entry: 48 << 20,
    max_shared_strings: 200_000,
};

/// Headers that name the title column.
const TITLE_HEADERS: &[&str] = &[
    "商品标题",
    "标题",
    "商品名称",
    "商品名",
    "品名",
    "title",
    "product title",
];

/// One title and the row it came from (1-based, as the sheet numbers it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title {
    pub row: usize,
    pub text: String,
}

/// The sheet as read: its rows as text, which column holds the titles,
/// whether the first row is a header, and the titles themselves.
#[derive(Debug, Clone)]
pub struct TitleSheet {
    pub rows: Vec<Vec<String>>,
    pub column: usize,
    pub header: bool,
    pub titles: Vec<Title>,
}

fn problem(key: &'static str) -> Error {
    Error::Invalid(FieldErrors(vec![FieldError::new("file", key)]))
}

/// Reads an upload of titles.
pub fn read(filename: &str, bytes: &[u8]) -> Result<TitleSheet> {
    let _slot = crate::sheet::parse_slot()?;
    let grid = crate::sheet::read_grid(filename, bytes, &LIMITS)
        .map_err(|e| Error::Invalid(FieldErrors(vec![e])))?;
    let rows: Vec<Vec<String>> = grid
        .iter()
        .map(|r| {
            r.iter()
                .map(|c: &Cell| c.shown().trim().to_string())
                .collect()
        })
        .collect();
    let first = rows.iter().position(|r| r.iter().any(|c| !c.is_empty()));
    let Some(first) = first else {
        return Err(problem("compliance.titles_empty"));
    };
    let named = rows[first].iter().position(|h| {
        let h = h.to_lowercase();
        TITLE_HEADERS.iter().any(|t| h == *t)
    });
    let widest = rows.iter().map(Vec::len).max().unwrap_or(0);
    let (column, header) = match named {
        Some(c) => (c, true),
        None if widest == 1 => (0, false),
        None => return Err(problem("compliance.titles_no_column")),
    };
    let start = if header { first + 1 } else { first };
    let mut titles = Vec::new();
    let mut errors = FieldErrors::default();
    for (i, r) in rows.iter().enumerate().skip(start) {
        let Some(text) = r.get(column).filter(|t| !t.is_empty()) else {
            continue;
        };
        if let Some(e) = super::service::text_problem(text) {
            errors.push(FieldError::new("file", super::service::item_key(e.key)).with("n", i + 1));
            continue;
        }
        titles.push(Title {
            row: i + 1,
            text: text.clone(),
        });
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    if titles.is_empty() {
        return Err(problem("compliance.titles_empty"));
    }
    Ok(TitleSheet {
        rows,
        column,
        header,
        titles,
    })
}

fn x(e: XlsxError) -> Error {
    Error::Store(format!("xlsx: {e}"))
}

/// The annotated workbook: the rows as they came and five more columns.
pub fn write(sheet: &TitleSheet, reports: &[Report], lang: Lang) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(lang.t("compliance.titles_sheet")).map_err(x)?;
    let bold = Format::new()
        .set_bold()
        .set_background_color("#EEF1F6")
        .set_border_bottom(FormatBorder::Thin);
    let wrap = Format::new().set_text_wrap();
    let shaded = Format::new()
        .set_text_wrap()
        .set_background_color(Color::RGB(0xFDECEA));
    let width = sheet
        .rows
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(1)
        .max(sheet.column + 1);
    let extra = [
        "compliance.col_verdict",
        "compliance.col_terms",
        "compliance.col_categories",
        "compliance.col_basis",
        "compliance.col_suggestion",
    ];
    // Header row: the sheet's own (or a made-up one) and ours.
    let own_header = sheet
        .rows
        .iter()
        .find(|r| r.iter().any(|c| !c.is_empty()))
        .filter(|_| sheet.header);
    let mut out_row = 0u32;
    for c in 0..width {
        let h = if let Some(row) = own_header {
            row.get(c).cloned().unwrap_or_default()
        } else if c == sheet.column {
            lang.t("compliance.col_title").to_string()
        } else {
            String::new()
        };
        ws.write_string_with_format(0, c as u16, &h, &bold)
            .map_err(x)?;
    }
    for (k, key) in extra.iter().enumerate() {
        ws.write_string_with_format(0, (width + k) as u16, lang.t(key), &bold)
            .map_err(x)?;
    }
    ws.set_column_width(sheet.column as u16, 48).map_err(x)?;
    for (k, w) in [10.0, 22.0, 18.0, 40.0, 48.0].iter().enumerate() {
        ws.set_column_width((width + k) as u16, *w).map_err(x)?;
    }
    ws.set_freeze_panes(1, 0).map_err(x)?;
    for (t, report) in sheet.titles.iter().zip(reports) {
        out_row += 1;
        let flagged = !report.findings.is_empty();
        let fmt = if flagged { &shaded } else { &wrap };
        let src = &sheet.rows[t.row - 1];
        for c in 0..width {
            let v = src.get(c).map(String::as_str).unwrap_or("");
            ws.write_string_with_format(out_row, c as u16, v, fmt)
                .map_err(x)?;
        }
        let blocking = report
            .findings
            .iter()
            .any(|f| f.severity == Severity::Block);
        let verdict = match (flagged, blocking) {
            (false, _) => lang.t("compliance.verdict_ok"),
            (true, true) => lang.t("compliance.verdict_block"),
            (true, false) => lang.t("compliance.verdict_warn"),
        };
        let join = |f: &dyn Fn(&super::Finding) -> String| {
            let mut v: Vec<String> = report.findings.iter().map(f).collect();
            v.dedup();
            v.join("\n")
        };
        let cols = [
            verdict.to_string(),
            join(&|f| f.term.clone()),
            join(&|f| lang.t(f.category.label_key()).to_string()),
            join(&|f| f.basis.clone()),
            join(&|f| format!("{}：{}", f.term, f.suggestion)),
        ];
        for (k, v) in cols.iter().enumerate() {
            ws.write_string_with_format(out_row, (width + k) as u16, v, fmt)
                .map_err(x)?;
        }
    }
    wb.save_to_buffer().map_err(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::{Kind, Matcher};

    #[test]
    fn titles_are_found_by_header_or_as_a_single_column() {
        let csv = "序号,商品标题,价格\n1,阳澄湖大闸蟹 全网最低价 顶级公蟹,199\n2,洞庭碧螺春 明前新茶,88\n";
        let s = read("t.csv", csv.as_bytes()).unwrap();
        assert_eq!(s.column, 1);
        assert_eq!(s.titles.len(), 2);
        assert_eq!(s.titles[0].row, 2);
        let single = "沭阳多肉 国家级品质\n宿迁花木 新鲜直发\n";
        let s = read("t.txt", single.as_bytes()).unwrap();
        assert_eq!((s.column, s.header, s.titles.len()), (0, false, 2));
    }

    #[test]
    fn bad_uploads_are_refused_with_a_reason() {
        for (name, bytes, key) in [
            (
                "t.xlsx",
                &b"PK\x03\x04garbage"[..],
                "roster.bad_spreadsheet",
            ),
            ("t.csv", &b""[..], "roster.empty_file"),
            ("t.csv", &b"a,b\n1,2\n"[..], "compliance.titles_no_column"),
        ] {
            match read(name, bytes) {
                Err(Error::Invalid(e)) => assert_eq!(e.0[0].key, key, "{name}"),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_annotated_workbook_is_a_real_xlsx() {
        let csv = "商品标题\n阳澄湖大闸蟹 全网最低价\n洞庭碧螺春 明前新茶\n";
        let s = read("t.csv", csv.as_bytes()).unwrap();
        let reports: Vec<Report> = s
            .titles
            .iter()
            .map(|t| Matcher::builtin().check(&t.text, Kind::Title, Lang::Zh))
            .collect();
        let bytes = write(&s, &reports, Lang::Zh).unwrap();
        let back = crate::sheet::read_grid("out.xlsx", &bytes, &LIMITS).unwrap();
        assert_eq!(back.len(), 3);
        assert!(back[1].iter().any(|c| c.shown().contains("全网最低价")));
    }
}
