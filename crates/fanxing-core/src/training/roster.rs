//! Roster files: the `.xlsx` and `.csv` lists that offices already keep.
//!
//! Reading is forgiving about what real spreadsheets hold — a merged title
//! row above the header, full-width digits and spaces, trailing blanks,
//! numbers stored as numbers, GBK-encoded CSV from Excel, region names with
//! or without 市/区/县 — and strict about the rest: every problem names its
//! row (as the spreadsheet numbers it) and column, and the caller imports
//! nothing unless every row is good.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::people::Tier;
use crate::region::{short_region_name, Region, RegionCode, RegionLevel};
use crate::values::{to_half_width, IdNumber, Mobile};

/// Largest roster file accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Most rows in one roster.
pub const MAX_ROWS: usize = 20_000;

pub use crate::sheet::Cell;

/// What a roster upload may hold: 20,000 people under a few title rows,
/// a few dozen columns.
pub const LIMITS: crate::sheet::GridLimits = crate::sheet::GridLimits {
    max_bytes: MAX_BYTES,
    max_rows: MAX_ROWS + 1_000,
    max_cols: 64,
    max_cells: 1_000_000,
    max_inflated: 96 * 1024 * 1024,
    max_entry: 64 * 1024 * 1024,
    max_shared_strings: 1_000_000,
};

impl Cell {
    /// Text of a cell as the user typed it.
    fn text(&self) -> String {
        self.shown().into_owned()
    }
}

/// The columns of a roster, with the header names people write for them.
pub const COLUMNS: &[(&str, &[&str])] = &[
    (
        "name",
        &[
            "姓名",
            "名字",
            "学员姓名",
            "真实姓名",
            "参训人姓名",
            "学员名称",
        ],
    ),
    (
        "mobile",
        &[
            "手机号",
            "手机号码",
            "手机",
            "联系电话",
            "电话",
            "联系手机",
            "移动电话",
            "联系方式",
        ],
    ),
    (
        "id_number",
        &[
            "身份证号",
            "身份证号码",
            "身份证",
            "证件号码",
            "身份证件号码",
        ],
    ),
    (
        "org",
        &[
            "单位",
            "工作单位",
            "所在单位",
            "企业名称",
            "单位名称",
            "工作单位名称",
            "公司名称",
            "所在企业",
            "单位全称",
            "企业",
        ],
    ),
    (
        "tier",
        &[
            "层级",
            "学员层级",
            "类别",
            "人员类别",
            "学员类别",
            "培训层级",
        ],
    ),
    (
        "region",
        &[
            "所在地区",
            "地区",
            "所在地",
            "区县",
            "所在区县",
            "所属地区",
            "所属区县",
            "县区",
            "县(市、区)",
            "县市区",
            "区域",
        ],
    ),
    (
        "city",
        &["所在市", "所属市", "城市", "地市", "设区市", "市"],
    ),
    ("venue", &["会场", "参训会场", "报名会场", "培训会场"]),
];

/// The template's header row, in order.
pub const TEMPLATE_HEADERS: &[&str] = &[
    "姓名",
    "手机号",
    "身份证号",
    "单位",
    "层级",
    "所在地区",
    "会场",
];

/// A problem in one cell (or row) of a roster.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// The row number as the spreadsheet shows it (1-based).
    pub row: usize,
    /// The column's header as written in the file ("" for the whole row).
    pub column: String,
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl RowError {
    pub fn message(&self, lang: Lang) -> String {
        // An argument written `@key` is itself a message key (a platform's
        // name), put in the reader's language.
        let args: Vec<(&str, &str)> = self
            .args
            .iter()
            .map(|(k, v)| match v.strip_prefix('@') {
                Some(key) => (*k, lang.t(key)),
                None => (*k, v.as_str()),
            })
            .collect();
        let what = lang.tf(self.key, &args);
        if self.column.is_empty() {
            lang.tf(
                "roster.at_row",
                &[("row", &self.row.to_string()), ("what", &what)],
            )
        } else {
            lang.tf(
                "roster.at_cell",
                &[
                    ("row", &self.row.to_string()),
                    ("column", &self.column),
                    ("what", &what),
                ],
            )
        }
    }
}

/// A roster row that passed the checks that need no database.
#[derive(Debug, Clone)]
pub struct RosterLine {
    pub row: usize,
    pub name: String,
    pub mobile: Mobile,
    pub id_number: Option<IdNumber>,
    pub org: Option<String>,
    pub tier: Option<Tier>,
    pub region: Option<String>,
    pub venue: Option<String>,
    /// Header names as written, for messages about later checks.
    pub headers: HashMap<&'static str, String>,
}

/// Reads a roster upload: the first visible sheet holding a roster header
/// (else the first, for its errors), its name when a workbook, and its
/// lines or every row problem.
#[allow(clippy::type_complexity)]
pub fn read_roster(
    filename: &str,
    bytes: &[u8],
) -> std::result::Result<
    (
        Option<String>,
        std::result::Result<Vec<RosterLine>, Vec<RowError>>,
    ),
    crate::error::FieldError,
> {
    let mut sheets = crate::sheet::read_sheets(filename, bytes, &LIMITS)?;
    let pick = sheets
        .iter()
        .position(|s| header_row(&s.grid).is_some())
        .unwrap_or(0);
    let named = sheets.len() > 1 || !sheets[pick].name.is_empty();
    let sheet = sheets.swap_remove(pick);
    let lines = parse_roster(&sheet.grid);
    Ok((named.then_some(sheet.name), lines))
}

/// Reads a roster upload into cells within [`LIMITS`].
pub fn read_grid(
    filename: &str,
    bytes: &[u8],
) -> std::result::Result<Vec<Vec<Cell>>, crate::error::FieldError> {
    crate::sheet::read_grid(filename, bytes, &LIMITS)
}

fn clean(s: &str) -> String {
    to_half_width(s)
        .trim()
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{a0}')
        .to_string()
}

/// The column a header names, matched whole against [`COLUMNS`] (so
/// `单位性质` is not taken for `单位`): half-width, simplified, without
/// spaces, `*` marks or a note in brackets (`姓名（必填）`).
fn header_key(cell: &str) -> Option<&'static str> {
    let plain: String = crate::values::to_simplified(&clean(cell))
        .chars()
        .filter(|c| !matches!(c, '*' | ' ' | '\u{3000}'))
        .collect();
    // A note in brackets at the end: 姓名(必填), 手机号（11位）.
    let h = match plain.split_once(['(', '（']) {
        Some((name, rest)) if rest.ends_with([')', '）']) && !name.is_empty() => {
            if COLUMNS.iter().any(|(_, ns)| ns.contains(&plain.as_str())) {
                plain.as_str()
            } else {
                name
            }
        }
        _ => plain.as_str(),
    };
    COLUMNS
        .iter()
        .find(|(_, names)| names.contains(&h))
        .map(|(k, _)| *k)
}

/// Whether a row is a total line (合计, 总计…): skipped.
fn is_total_row(row: &[Cell]) -> bool {
    row.iter()
        .map(|c| clean(&c.text()))
        .find(|t| !t.is_empty())
        .is_some_and(|t| {
            matches!(
                crate::values::to_simplified(&t).as_str(),
                "合计" | "总计" | "汇总" | "小计" | "合计:" | "总计:"
            )
        })
}

/// The first rows of a sheet, as a message can quote them.
pub fn first_rows(grid: &[Vec<Cell>]) -> String {
    grid.iter()
        .filter(|r| r.iter().any(|c| !clean(&c.text()).is_empty()))
        .take(2)
        .map(|r| {
            let line: Vec<String> = r
                .iter()
                .map(|c| clean(&c.text()))
                .filter(|t| !t.is_empty())
                .collect();
            let line = line.join(" | ");
            let cut: String = line.chars().take(80).collect();
            if cut.len() < line.len() {
                format!("{cut}…")
            } else {
                cut
            }
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The 0-based header row of a roster (within its first 10 rows): the
/// first naming both a name and a mobile column.
pub fn header_row(grid: &[Vec<Cell>]) -> Option<usize> {
    grid.iter().take(10).position(|row| {
        let keys: Vec<_> = row.iter().filter_map(|c| header_key(&c.text())).collect();
        keys.contains(&"name") && keys.contains(&"mobile")
    })
}

/// Finds the header row (within the first 10 rows) and reads every row under
/// it. Returns all problems found, not just the first.
pub fn parse_roster(grid: &[Vec<Cell>]) -> std::result::Result<Vec<RosterLine>, Vec<RowError>> {
    let Some(h) = header_row(grid) else {
        return Err(vec![RowError {
            row: 1,
            column: String::new(),
            key: "roster.no_header",
            args: vec![("held", first_rows(grid))],
        }]);
    };
    let mut cols: HashMap<&'static str, (usize, String)> = HashMap::new();
    for (i, c) in grid[h].iter().enumerate() {
        if let Some(k) = header_key(&c.text()) {
            cols.entry(k).or_insert((i, clean(&c.text())));
        }
    }
    let headers: HashMap<&'static str, String> = cols
        .iter()
        .map(|(k, (_, name))| (*k, name.clone()))
        .collect();
    let mut errors = Vec::new();
    let mut lines = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    if grid.len() - h - 1 > MAX_ROWS {
        return Err(vec![RowError {
            row: h + 1,
            column: String::new(),
            key: "roster.too_many_rows",
            args: vec![("max", MAX_ROWS.to_string())],
        }]);
    }
    for (i, row) in grid.iter().enumerate().skip(h + 1) {
        let rownum = i + 1;
        let get = |k: &str| -> Option<&Cell> { cols.get(k).and_then(|(c, _)| row.get(*c)) };
        let text = |k: &str| get(k).map(|c| clean(&c.text())).filter(|s| !s.is_empty());
        if row.iter().all(|c| clean(&c.text()).is_empty()) || is_total_row(row) {
            continue;
        }
        let err = |errors: &mut Vec<RowError>, k: &'static str, key: &'static str| {
            // An empty formula says why it is empty.
            let key = match get(k) {
                Some(Cell::Uncalculated) => "sheet.formula_no_value",
                _ => key,
            };
            errors.push(RowError {
                row: rownum,
                column: headers.get(k).cloned().unwrap_or_else(|| k.to_string()),
                key,
                args: vec![],
            })
        };
        let name = text("name").unwrap_or_default();
        if name.is_empty() {
            err(&mut errors, "name", "error.required");
        } else if name.chars().count() > crate::people::NAME_MAX {
            err(&mut errors, "name", "roster.too_long");
        }
        // Invisible characters are refused in every text column, as on the
        // person form: a name that reads other than it is stored.
        for k in ["name", "org", "region", "city", "venue"] {
            if text(k).is_some_and(|v| crate::values::text_problem(&v, false).is_some()) {
                err(&mut errors, k, "error.control_chars");
            }
        }
        let mobile = match text("mobile") {
            None => {
                err(&mut errors, "mobile", "error.required");
                None
            }
            Some(m) => match Mobile::parse(&m) {
                Ok(m) => Some(m),
                Err(k) => {
                    err(&mut errors, "mobile", k);
                    None
                }
            },
        };
        if let Some(m) = &mobile {
            if let Some(first) = seen.insert(m.as_str().to_string(), rownum) {
                errors.push(RowError {
                    row: rownum,
                    column: headers.get("mobile").cloned().unwrap_or_default(),
                    key: "roster.duplicate_mobile",
                    args: vec![("first", first.to_string())],
                });
            }
        }
        let id_number = match get("id_number") {
            Some(Cell::Number(_)) => {
                // 18 digits do not fit a spreadsheet number: the end is lost.
                err(&mut errors, "id_number", "roster.id_as_number");
                None
            }
            _ => match text("id_number") {
                None => None,
                Some(s) => match IdNumber::parse(&s) {
                    Ok(v) => Some(v),
                    Err(k) => {
                        err(&mut errors, "id_number", k);
                        None
                    }
                },
            },
        };
        if let Some(id) = &id_number {
            // One ID number on two rows with different mobiles would make
            // two people of one: the office says which row is right.
            if let Some(first) = seen_ids.insert(id.as_str().to_string(), rownum) {
                errors.push(RowError {
                    row: rownum,
                    column: headers.get("id_number").cloned().unwrap_or_default(),
                    key: "roster.duplicate_id",
                    args: vec![("first", first.to_string())],
                });
            }
        }
        let tier = match text("tier") {
            None => None,
            Some(t) => match Tier::parse_label(&t) {
                Some(t) => Some(t),
                None => {
                    err(&mut errors, "tier", "roster.bad_tier");
                    None
                }
            },
        };
        if let Some(m) = mobile {
            lines.push(RosterLine {
                row: rownum,
                name,
                mobile: m,
                id_number,
                org: text("org").map(|o| o.chars().take(crate::people::ORG_NAME_MAX).collect()),
                tier,
                // City and county in two columns are one place.
                region: match (text("city"), text("region")) {
                    (Some(city), Some(county)) => Some(format!("{city}{county}")),
                    (city, county) => county.or(city),
                },
                venue: text("venue"),
                headers: headers.clone(),
            });
        }
    }
    if lines.is_empty() && errors.is_empty() {
        errors.push(RowError {
            row: h + 2,
            column: String::new(),
            key: "roster.no_rows",
            args: vec![],
        });
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

/// Resolves region names as people write them.
pub struct RegionResolver<'a> {
    regions: &'a [Region],
}

impl<'a> RegionResolver<'a> {
    pub fn new(regions: &'a [Region]) -> Self {
        RegionResolver { regions }
    }

    /// `昆山`, `昆山市`, `苏州市昆山市`, `苏州昆山`, `320583` → 320583. A
    /// name shared by two cities' districts (鼓楼区) needs its city.
    pub fn resolve(&self, text: &str) -> std::result::Result<RegionCode, &'static str> {
        let t: String = crate::values::to_simplified(&clean(text))
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        // A full address starts with the province: 江苏省苏州市昆山市.
        let t = self
            .regions
            .iter()
            .filter(|r| r.level == RegionLevel::Province)
            .find_map(|p| {
                [p.name.as_str(), p.short_name()]
                    .into_iter()
                    .find_map(|prefix| t.strip_prefix(prefix).filter(|rest| !rest.is_empty()))
            })
            .map(str::to_string)
            .unwrap_or(t);
        if let Some(code) = RegionCode::parse(&t) {
            return self
                .regions
                .iter()
                .find(|r| r.code == code)
                .map(|r| r.code)
                .ok_or("error.region_unknown");
        }
        let exact: Vec<&Region> = self.regions.iter().filter(|r| r.name == t).collect();
        let unique = |v: Vec<&Region>| match v.len() {
            0 => None,
            1 => Some(Ok(v[0].code)),
            _ => Some(Err("roster.region_ambiguous")),
        };
        if let Some(r) = unique(exact) {
            return r;
        }
        // "City + county" in one cell, with or without suffixes.
        for city in self.regions.iter().filter(|r| r.level == RegionLevel::City) {
            for prefix in [city.name.as_str(), city.short_name()] {
                if let Some(rest) = t.strip_prefix(prefix) {
                    if rest.is_empty() {
                        continue;
                    }
                    let hit = self.regions.iter().find(|r| {
                        r.code.city() == city.code
                            && r.code != city.code
                            && (r.name == rest
                                || r.short_name() == short_region_name(rest)
                                // 苏州市工业园区 for 苏州工业园区.
                                || (r.level == RegionLevel::Zone
                                    && rest.chars().count() >= 2
                                    && r.name.ends_with(rest)))
                    });
                    if let Some(r) = hit {
                        return Ok(r.code);
                    }
                }
            }
        }
        // A functional zone by the end of its name (园区 for 苏州工业园区),
        // when only one zone ends so.
        if t.chars().count() >= 2 {
            let zones: Vec<&Region> = self
                .regions
                .iter()
                .filter(|r| r.level == RegionLevel::Zone && r.name.ends_with(t.as_str()))
                .collect();
            if let Some(r) = unique(zones) {
                return r;
            }
        }
        let short = short_region_name(&t);
        let by_short: Vec<&Region> = self
            .regions
            .iter()
            .filter(|r| r.level != RegionLevel::Province && r.short_name() == short)
            .collect();
        // A city and its same-named district (e.g. 宿迁 / 宿城) are distinct
        // names; prefer the city when only it matches exactly by short name.
        unique(by_short).unwrap_or(Err("error.region_unknown"))
    }
}

/// The downloadable template: headers, one example row and a note.
pub fn template_xlsx() -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("报名名单")
        .map_err(|e| Error::Store(e.to_string()))?;
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let widths = [10.0, 16.0, 22.0, 28.0, 12.0, 16.0, 22.0];
    for (i, (h, w)) in TEMPLATE_HEADERS.iter().zip(widths).enumerate() {
        let c = i as u16;
        ws.write_string_with_format(0, c, *h, &bold)
            .map_err(|e| Error::Store(e.to_string()))?;
        // Text columns, so Excel keeps phone and ID numbers whole.
        ws.set_column_width(c, w)
            .map_err(|e| Error::Store(e.to_string()))?;
        ws.set_column_format(c, &text)
            .map_err(|e| Error::Store(e.to_string()))?;
    }
    let example = [
        "张三",
        "13800000000",
        "",
        "昆山某某电子商务有限公司",
        "运营人员",
        "昆山市",
        "",
    ];
    for (i, v) in example.iter().enumerate() {
        ws.write_string(1, i as u16, *v)
            .map_err(|e| Error::Store(e.to_string()))?;
    }
    ws.set_freeze_panes(1, 0)
        .map_err(|e| Error::Store(e.to_string()))?;
    let notes = wb.add_worksheet();
    notes
        .set_name("填写说明")
        .map_err(|e| Error::Store(e.to_string()))?;
    let lines = [
        "姓名、手机号必填；新学员还需填写层级和所在地区。",
        "层级：领导干部 / 企业负责人 / 运营人员。",
        "所在地区：如“昆山市”“昆山”或“苏州市昆山市”；区名重复时（如鼓楼区）请写明所属市。",
        "会场：填写会场名称，留空则按所在地区自动推荐。",
        "身份证号选填，请以文本格式填写。",
        "整表校验通过才会导入；任何一行有误都不会导入，并指出行号和列名。",
    ];
    for (i, l) in lines.iter().enumerate() {
        notes
            .write_string(i as u32, 0, *l)
            .map_err(|e| Error::Store(e.to_string()))?;
    }
    notes
        .set_column_width(0, 90.0)
        .map_err(|e| Error::Store(e.to_string()))?;
    wb.save_to_buffer().map_err(|e| Error::Store(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::{parse_regions_csv, JIANGSU_CSV};

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn finds_the_header_under_a_title_and_reads_messy_cells() {
        let grid = vec![
            vec![
                t("昆山市 2025 年直播电商培训报名表"),
                Cell::Empty,
                Cell::Empty,
            ],
            vec![Cell::Empty],
            vec![
                t("序号"),
                t("*姓名"),
                t("手机号码 "),
                t("层级"),
                t("所在地区"),
            ],
            vec![
                t("1"),
                t(" 王芳　"),
                Cell::Number(13912345678.0),
                t("运营人员"),
                t("昆山"),
            ],
            vec![
                t("2"),
                t("李强"),
                t("１３９ １２３４ ５６７９"),
                t("企业负责人"),
                t("苏州市昆山市"),
            ],
            vec![Cell::Empty, Cell::Empty],
        ];
        let lines = parse_roster(&grid).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].row, 4);
        assert_eq!(lines[0].name, "王芳");
        assert_eq!(lines[0].mobile.as_str(), "13912345678");
        assert_eq!(lines[1].mobile.as_str(), "13912345679");
        assert_eq!(lines[1].tier, Some(Tier::CompanyHead));
    }

    #[test]
    fn names_row_and_column_of_every_problem() {
        let grid = vec![
            vec![t("姓名"), t("手机号"), t("身份证号"), t("层级")],
            vec![t("王芳"), t("1391234567"), Cell::Empty, t("运营")],
            vec![
                t(""),
                t("13912345670"),
                Cell::Number(3.2058319900101e17),
                t("老板"),
            ],
            vec![t("赵六"), t("13912345670"), Cell::Empty, Cell::Empty],
        ];
        let errs = parse_roster(&grid).unwrap_err();
        let got: Vec<(usize, &str, &str)> = errs
            .iter()
            .map(|e| (e.row, e.column.as_str(), e.key))
            .collect();
        assert!(got.contains(&(2, "手机号", "error.mobile")), "{got:?}");
        assert!(got.contains(&(3, "姓名", "error.required")));
        assert!(got.contains(&(3, "身份证号", "roster.id_as_number")));
        assert!(got.contains(&(3, "层级", "roster.bad_tier")));
        assert!(got.contains(&(4, "手机号", "roster.duplicate_mobile")));
        let msg = errs.iter().find(|e| e.row == 2).unwrap().message(Lang::Zh);
        assert!(msg.contains("第 2 行") && msg.contains("手机号"), "{msg}");
    }

    #[test]
    fn resolves_region_names_as_people_write_them() {
        let regions = parse_regions_csv(JIANGSU_CSV, &[]).unwrap();
        let r = RegionResolver::new(&regions);
        let ks = RegionCode::parse("320583").unwrap();
        for s in [
            "昆山市",
            "昆山",
            "苏州市昆山市",
            "苏州昆山",
            "320583",
            " 昆山市 ",
        ] {
            assert_eq!(r.resolve(s), Ok(ks), "{s}");
        }
        assert_eq!(r.resolve("苏州"), Ok(RegionCode::parse("320500").unwrap()));
        for s in ["工业园区", "园区", "苏州市工业园区", "江苏省苏州市工业园区"]
        {
            assert_eq!(
                r.resolve(s),
                Ok(RegionCode::parse("320576").unwrap()),
                "{s}"
            );
        }
        assert_eq!(r.resolve("江苏省苏州市昆山市"), Ok(ks));
        assert_eq!(r.resolve("蘇州市昆山市"), Ok(ks));
        assert_eq!(
            r.resolve("苏州工业园区"),
            Ok(RegionCode::parse("320576").unwrap())
        );
        // 鼓楼区 exists in Nanjing and in Xuzhou.
        assert_eq!(r.resolve("鼓楼区"), Err("roster.region_ambiguous"));
        assert_eq!(
            r.resolve("南京市鼓楼区"),
            Ok(RegionCode::parse("320106").unwrap())
        );
        assert_eq!(r.resolve("姑苏"), Ok(RegionCode::parse("320508").unwrap()));
        assert_eq!(r.resolve("火星"), Err("error.region_unknown"));
    }

    #[test]
    fn reads_csv_in_utf8_and_gbk_and_refuses_other_files() {
        let csv = "姓名,手机号,层级\n王芳,13912345678,运营人员\n";
        let g = read_grid("a.csv", csv.as_bytes()).unwrap();
        assert_eq!(g.len(), 2);
        let (gbk, _, _) = encoding_rs::GBK.encode(csv);
        let g2 = read_grid("a.csv", &gbk).unwrap();
        assert_eq!(g2[1][0], Cell::Text("王芳".into()));
        assert!(read_grid("a.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").is_err());
        assert!(read_grid("a.xlsx", b"not a zip").is_err());
        assert!(read_grid("a.csv", b"").is_err());
    }

    #[test]
    fn template_round_trips_through_the_reader() {
        let bytes = template_xlsx().unwrap();
        let grid = read_grid("模板.xlsx", &bytes).unwrap();
        let lines = parse_roster(&grid).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].name, "张三");
    }
}
