//! Excel reports: Chinese headers, a frozen header row, sensible widths,
//! numbers stored as numbers, and native Excel charts.

pub mod calendar;
pub mod service;

use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};

use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::training::store::{AttendanceExportRow, RosterEntry};
use crate::training::{format_local, Progress, Venue};

fn x(e: XlsxError) -> Error {
    Error::Store(format!("xlsx: {e}"))
}

fn header(ws: &mut Worksheet, cols: &[(&str, f64)]) -> Result<()> {
    header_at(ws, 0, cols)
}

/// The column headers on row `row`, frozen with everything above them.
fn header_at(ws: &mut Worksheet, row: u32, cols: &[(&str, f64)]) -> Result<()> {
    let bold = Format::new()
        .set_bold()
        .set_background_color("#EEF1F6")
        .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    for (i, (name, width)) in cols.iter().enumerate() {
        ws.write_string_with_format(row, i as u16, *name, &bold)
            .map_err(x)?;
        ws.set_column_width(i as u16, *width).map_err(x)?;
    }
    ws.set_freeze_panes(row + 1, 0).map_err(x)?;
    Ok(())
}

/// Unix seconds as an Excel date-time in Beijing time (days since 1899-12-30).
fn excel_time(ts: i64) -> f64 {
    (ts + crate::training::SHANGHAI_OFFSET_SECS) as f64 / 86_400.0 + 25_569.0
}

/// The monthly credit-loan return of resource matching: one row per
/// region and the total, amounts in 万元 with two decimals, as offices file
/// it; the title names the region and the month.
pub fn loan_return_xlsx(
    lines: &[crate::matching::rollup::ReturnLine],
    title: &str,
    lang: Lang,
) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(lang.t("match.return_sheet")).map_err(x)?;
    ws.write_string_with_format(0, 0, title, &Format::new().set_bold().set_font_size(14))
        .map_err(x)?;
    let cols = [
        (lang.t("home.region"), 16.0),
        (lang.t("match.return_loans"), 12.0),
        (lang.t("match.return_cumulative"), 16.0),
        (lang.t("match.return_balance"), 14.0),
        (lang.t("match.return_month_loans"), 12.0),
        (lang.t("match.return_month_amount"), 16.0),
        (lang.t("match.return_enterprises"), 12.0),
        (lang.t("match.return_new_enterprises"), 14.0),
    ];
    header_at(ws, 1, &cols)?;
    let wan = Format::new().set_num_format("#,##0.00");
    let bold = Format::new().set_bold();
    let wan_bold = Format::new().set_bold().set_num_format("#,##0.00");
    for (i, l) in lines.iter().enumerate() {
        let row = i as u32 + 2;
        let last = i + 1 == lines.len();
        let (f, m) = if last {
            (&bold, &wan_bold)
        } else {
            (&Format::new(), &wan)
        };
        ws.write_string_with_format(row, 0, &l.name, f).map_err(x)?;
        ws.write_number_with_format(row, 1, l.loans_cumulative as f64, f)
            .map_err(x)?;
        ws.write_number_with_format(row, 2, l.disbursed_cumulative_fen as f64 / 1e6, m)
            .map_err(x)?;
        ws.write_number_with_format(row, 3, l.balance_fen as f64 / 1e6, m)
            .map_err(x)?;
        ws.write_number_with_format(row, 4, l.loans_this_month as f64, f)
            .map_err(x)?;
        ws.write_number_with_format(row, 5, l.disbursed_this_month_fen as f64 / 1e6, m)
            .map_err(x)?;
        ws.write_number_with_format(row, 6, l.enterprises_cumulative as f64, f)
            .map_err(x)?;
        ws.write_number_with_format(row, 7, l.enterprises_new_this_month as f64, f)
            .map_err(x)?;
    }
    wb.save_to_buffer().map_err(x)
}

/// The cascade table of a region: one row per child region plus the total,
/// with a clustered column chart of attendances against targets.
pub fn progress_xlsx(p: &Progress, lang: Lang) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(lang.t("report.progress_sheet")).map_err(x)?;
    let cols = [
        (lang.t("home.region"), 16.0),
        (lang.t("report.session_target"), 12.0),
        (lang.t("report.sessions_held"), 12.0),
        (lang.t("report.session_rate"), 10.0),
        (lang.t("report.attendance_target"), 12.0),
        (lang.t("report.attendances"), 12.0),
        (lang.t("report.attendance_rate"), 10.0),
    ];
    header(ws, &cols)?;
    let pct = Format::new().set_num_format("0.0%");
    let rate = |a: i64, t: i64| {
        if t > 0 {
            Some(a as f64 / t as f64)
        } else {
            None
        }
    };
    let write = |ws: &mut Worksheet,
                 row: u32,
                 name: &str,
                 n: &crate::training::ProgressNode,
                 bold: bool|
     -> Result<()> {
        let f = if bold {
            Format::new().set_bold()
        } else {
            Format::new()
        };
        ws.write_string_with_format(row, 0, name, &f).map_err(x)?;
        let t = &n.targets.total;
        let a = &n.actuals.total;
        ws.write_number_with_format(row, 1, t.sessions as f64, &f)
            .map_err(x)?;
        ws.write_number_with_format(row, 2, a.sessions as f64, &f)
            .map_err(x)?;
        if let Some(r) = rate(a.sessions, t.sessions) {
            ws.write_number_with_format(row, 3, r, &pct).map_err(x)?;
        }
        ws.write_number_with_format(row, 4, t.attendances as f64, &f)
            .map_err(x)?;
        ws.write_number_with_format(row, 5, a.attendances as f64, &f)
            .map_err(x)?;
        if let Some(r) = rate(a.attendances, t.attendances) {
            ws.write_number_with_format(row, 6, r, &pct).map_err(x)?;
        }
        Ok(())
    };
    let mut row = 1u32;
    for c in &p.children {
        write(ws, row, &c.name, c, false)?;
        row += 1;
    }
    let last_child = row - 1;
    write(
        ws,
        row,
        &format!("{}（{}）", p.node.name, lang.t("home.total")),
        &p.node,
        true,
    )?;
    row += 1;
    if last_child >= 1 {
        let mut chart = Chart::new(ChartType::Column);
        let sheet = lang.t("report.progress_sheet");
        chart
            .add_series()
            .set_name(lang.t("report.attendances"))
            .set_categories((sheet, 1, 0, last_child, 0))
            .set_values((sheet, 1, 5, last_child, 5));
        chart
            .add_series()
            .set_name(lang.t("report.attendance_target"))
            .set_categories((sheet, 1, 0, last_child, 0))
            .set_values((sheet, 1, 4, last_child, 4));
        chart
            .title()
            .set_name(&format!("{} · {}", p.programme.name, p.node.name));
        chart.set_width(900).set_height(380);
        ws.insert_chart(row + 2, 0, &chart).map_err(x)?;
    }
    wb.save_to_buffer().map_err(x)
}

/// A session's registrations with their attendance, per venue: a title row
/// (the session and when the list was made), the headers, then one row per
/// registration with the person's organisation and check-in time as a real
/// Excel date-time.
pub fn attendance_xlsx(
    title: &str,
    venues: &[Venue],
    roster: &[RosterEntry],
    lang: Lang,
) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(lang.t("report.attendance_sheet")).map_err(x)?;
    let heading = Format::new().set_bold().set_font_size(14);
    ws.write_string_with_format(
        0,
        0,
        lang.tf(
            "report.attendance_title",
            &[("title", title), ("at", &format_local(crate::now()))],
        ),
        &heading,
    )
    .map_err(x)?;
    let cols = [
        (lang.t("field.name"), 12.0),
        (lang.t("field.mobile"), 14.0),
        (lang.t("field.tier"), 12.0),
        (lang.t("sessions.venue"), 28.0),
        (lang.t("report.status"), 12.0),
        (lang.t("report.waitlist_pos"), 10.0),
        (lang.t("report.attended_venue"), 28.0),
        (lang.t("report.checked_in_at"), 18.0),
        (lang.t("home.orgs"), 28.0),
    ];
    header_at(ws, 1, &cols)?;
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let name = |id: crate::training::VenueId| {
        venues
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.name.as_str())
            .unwrap_or("")
    };
    for (i, r) in roster.iter().enumerate() {
        let row = (i + 2) as u32;
        ws.write_string(row, 0, &r.name).map_err(x)?;
        ws.write_string(row, 1, &r.mobile).map_err(x)?;
        ws.write_string(row, 2, lang.t(r.tier.label_key()))
            .map_err(x)?;
        ws.write_string(row, 3, name(r.venue_id)).map_err(x)?;
        ws.write_string(row, 4, lang.t(r.status.label_key()))
            .map_err(x)?;
        if let Some(pos) = r.waitlist_pos {
            ws.write_number(row, 5, pos as f64).map_err(x)?;
        }
        if let (Some(v), Some(at)) = (r.attended_venue_id, r.attended_at) {
            ws.write_string(row, 6, name(v)).map_err(x)?;
            ws.write_number_with_format(row, 7, excel_time(at), &when)
                .map_err(x)?;
        }
        if let Some(o) = &r.org_name {
            ws.write_string(row, 8, o).map_err(x)?;
        }
    }
    ws.autofilter(1, 0, roster.len() as u32 + 1, 8).map_err(x)?;
    wb.save_to_buffer().map_err(x)
}

/// Rows per worksheet before the list continues on the next (Excel holds
/// 1,048,576 rows, the header included).
const SHEET_ROWS: u32 = 1_048_575;

/// A programme's attendance list, written row by row in constant memory:
/// rows go to a temporary file as they come, so a 100,000-row export holds
/// one page of rows at a time, never the whole list.
pub struct AttendanceSheet {
    wb: Workbook,
    lang: Lang,
    sheets: u32,
    row: u32,
    rows: usize,
}

impl AttendanceSheet {
    pub fn new(lang: Lang) -> Result<AttendanceSheet> {
        let mut s = AttendanceSheet {
            wb: Workbook::new(),
            lang,
            sheets: 0,
            row: 0,
            rows: 0,
        };
        s.next_sheet()?;
        Ok(s)
    }

    fn next_sheet(&mut self) -> Result<()> {
        let lang = self.lang;
        self.sheets += 1;
        let ws = self.wb.add_worksheet_with_constant_memory().map_err(x)?;
        let name = if self.sheets == 1 {
            lang.t("report.attendance_sheet").to_string()
        } else {
            format!("{} ({})", lang.t("report.attendance_sheet"), self.sheets)
        };
        ws.set_name(name).map_err(x)?;
        let cols = [
            (lang.t("report.session"), 30.0),
            (lang.t("sessions.starts_at"), 18.0),
            (lang.t("sessions.venue"), 28.0),
            (lang.t("home.region"), 14.0),
            (lang.t("field.name"), 12.0),
            (lang.t("field.mobile"), 14.0),
            (lang.t("field.tier"), 12.0),
            (lang.t("report.mode"), 8.0),
            (lang.t("report.checked_in_at"), 18.0),
        ];
        header(ws, &cols)?;
        self.row = 0;
        Ok(())
    }

    /// Appends one attendance (the mobile as the caller may see it).
    pub fn push(&mut self, r: &AttendanceExportRow) -> Result<()> {
        if self.row == SHEET_ROWS {
            self.next_sheet()?;
        }
        self.row += 1;
        self.rows += 1;
        let (row, lang) = (self.row, self.lang);
        let index = (self.sheets - 1) as usize;
        let ws = self.wb.worksheet_from_index(index).map_err(x)?;
        ws.write_string(row, 0, &r.session_title).map_err(x)?;
        ws.write_string(row, 1, format_local(r.starts_at))
            .map_err(x)?;
        ws.write_string(row, 2, &r.venue_name).map_err(x)?;
        ws.write_string(row, 3, &r.region_name).map_err(x)?;
        ws.write_string(row, 4, &r.person_name).map_err(x)?;
        ws.write_string(row, 5, &r.mobile).map_err(x)?;
        ws.write_string(row, 6, lang.t(r.tier.label_key()))
            .map_err(x)?;
        let mode = if r.mode == "online" {
            lang.t("report.mode_online")
        } else {
            lang.t("report.mode_onsite")
        };
        ws.write_string(row, 7, mode).map_err(x)?;
        ws.write_string(row, 8, format_local(r.recorded_at))
            .map_err(x)?;
        Ok(())
    }

    /// Finishes the workbook into `out`; returns the number of rows.
    pub fn finish<W: std::io::Write + std::io::Seek + Send>(mut self, out: W) -> Result<usize> {
        let last = self.row;
        let index = (self.sheets - 1) as usize;
        let ws = self.wb.worksheet_from_index(index).map_err(x)?;
        ws.autofilter(0, 0, last, 8).map_err(x)?;
        self.wb.save_to_writer(out).map_err(x)?;
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::{Counts, ProgrammeId, ProgressNode, RegistrationId, TierCounts};

    #[test]
    fn attendance_sheet_streams_rows_and_reads_back() {
        let mut sheet = AttendanceSheet::new(Lang::Zh).unwrap();
        for i in 0..1_000 {
            sheet
                .push(&AttendanceExportRow {
                    registration_id: RegistrationId(i),
                    session_title: format!("第{i}期"),
                    starts_at: 1_735_700_000,
                    venue_name: "主会场".into(),
                    region_name: "南京市".into(),
                    person_name: "张三".into(),
                    mobile: "138****0000".into(),
                    tier: crate::people::Tier::Operator,
                    mode: if i % 2 == 0 { "online" } else { "onsite" }.into(),
                    recorded_at: 1_735_700_000,
                })
                .unwrap();
        }
        let mut out = std::io::Cursor::new(Vec::new());
        assert_eq!(sheet.finish(&mut out).unwrap(), 1_000);
        let grid = crate::training::roster::read_grid("a.xlsx", out.get_ref()).unwrap();
        assert_eq!(grid.len(), 1_001);
        let text = |c: &crate::training::roster::Cell| match c {
            crate::training::roster::Cell::Text(s) => s.clone(),
            _ => String::new(),
        };
        assert_eq!(text(&grid[0][4]), "姓名");
        assert_eq!(text(&grid[1000][0]), "第999期");
        assert_eq!(text(&grid[1][7]), "线上");
    }

    #[test]
    fn progress_report_has_numbers_and_a_chart() {
        let node = |name: &str, a: i64, t: i64| ProgressNode {
            region: crate::region::RegionCode::parse("320500").unwrap(),
            name: name.into(),
            targets: TierCounts {
                total: Counts {
                    sessions: 10,
                    attendances: t,
                },
                ..Default::default()
            },
            actuals: TierCounts {
                total: Counts {
                    sessions: 4,
                    attendances: a,
                },
                ..Default::default()
            },
        };
        let p = Progress {
            programme: crate::training::Programme {
                id: ProgrammeId(1),
                name: "繁星计划".into(),
                starts_on: "2025-01-01".into(),
                ends_on: "2026-12-31".into(),
                issuer: "繁星计划".into(),
            },
            node: node("江苏省", 30, 100),
            children: vec![node("南京市", 10, 40), node("苏州市", 20, 60)],
            allocation_gaps: vec![],
        };
        let bytes = progress_xlsx(&p, Lang::Zh).unwrap();
        assert!(bytes.starts_with(b"PK"));
        // A chart part is in the package.
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("xl/charts/chart1.xml"));
    }
}
