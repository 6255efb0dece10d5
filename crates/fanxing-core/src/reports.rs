//! Excel reports: Chinese headers, a frozen header row, sensible widths,
//! numbers stored as numbers, and native Excel charts.

use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};

use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::store::RosterEntry;
use crate::training::{format_local, Progress, Venue};

fn x(e: XlsxError) -> Error {
    Error::Store(format!("xlsx: {e}"))
}

fn header(ws: &mut Worksheet, cols: &[(&str, f64)]) -> Result<()> {
    let bold = Format::new()
        .set_bold()
        .set_background_color("#EEF1F6")
        .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    for (i, (name, width)) in cols.iter().enumerate() {
        ws.write_string_with_format(0, i as u16, *name, &bold)
            .map_err(x)?;
        ws.set_column_width(i as u16, *width).map_err(x)?;
    }
    ws.set_freeze_panes(1, 0).map_err(x)?;
    Ok(())
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

/// A session's registrations with their attendance, per venue.
pub fn attendance_xlsx(
    title: &str,
    venues: &[Venue],
    roster: &[RosterEntry],
    lang: Lang,
) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(lang.t("report.attendance_sheet")).map_err(x)?;
    let cols = [
        (lang.t("field.name"), 12.0),
        (lang.t("field.mobile"), 14.0),
        (lang.t("field.tier"), 12.0),
        (lang.t("sessions.venue"), 28.0),
        (lang.t("report.status"), 12.0),
        (lang.t("report.attended_venue"), 28.0),
        (lang.t("report.checked_in_at"), 18.0),
    ];
    header(ws, &cols)?;
    let name = |id: i64| {
        venues
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.name.as_str())
            .unwrap_or("")
    };
    for (i, r) in roster.iter().enumerate() {
        let row = (i + 1) as u32;
        ws.write_string(row, 0, &r.name).map_err(x)?;
        ws.write_string(row, 1, &r.mobile).map_err(x)?;
        ws.write_string(row, 2, lang.t(r.tier.label_key()))
            .map_err(x)?;
        ws.write_string(row, 3, name(r.venue_id)).map_err(x)?;
        ws.write_string(row, 4, lang.t(r.status.label_key()))
            .map_err(x)?;
        if let (Some(v), Some(at)) = (r.attended_venue_id, r.attended_at) {
            ws.write_string(row, 5, name(v)).map_err(x)?;
            ws.write_string(row, 6, format_local(at)).map_err(x)?;
        }
    }
    let _ = title;
    ws.autofilter(0, 0, roster.len() as u32, 6).map_err(x)?;
    wb.save_to_buffer().map_err(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::{Counts, ProgressNode, TierCounts};

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
                id: 1,
                name: "繁星计划".into(),
                starts_on: "2025-01-01".into(),
                ends_on: "2026-12-31".into(),
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
