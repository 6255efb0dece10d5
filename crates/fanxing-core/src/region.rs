//! Administrative regions (GB/T 2260): province → city → county, plus
//! statistical functional zones that people give as their location.
//!
//! Codes are six digits and hierarchical: `320000` is the province, `3205xx`
//! are Suzhou and its counties. That structure gives every region a contiguous
//! code range ([`RegionRange`]), which is how scoped queries are expressed.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A six-digit GB/T 2260 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(u32);

impl RegionCode {
    pub fn parse(raw: &str) -> Option<RegionCode> {
        let s = raw.trim();
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0') {
            s.parse().ok().map(RegionCode)
        } else {
            None
        }
    }

    pub fn value(self) -> u32 {
        self.0
    }

    pub fn from_value(v: u32) -> Option<RegionCode> {
        (100_000..1_000_000).contains(&v).then_some(RegionCode(v))
    }

    /// The level the code's shape implies (`xx0000` province, `xxxx00` city).
    pub fn shape_level(self) -> RegionLevel {
        if self.0.is_multiple_of(10_000) {
            RegionLevel::Province
        } else if self.0.is_multiple_of(100) {
            RegionLevel::City
        } else {
            RegionLevel::County
        }
    }

    /// The code range of this region and everything beneath it.
    pub fn subtree(self) -> RegionRange {
        match self.shape_level() {
            RegionLevel::Province => RegionRange {
                lo: self.0,
                hi: self.0 + 9_999,
            },
            RegionLevel::City => RegionRange {
                lo: self.0,
                hi: self.0 + 99,
            },
            _ => RegionRange {
                lo: self.0,
                hi: self.0,
            },
        }
    }

    /// The enclosing city code (`320583` → `320500`); a city or province is its own.
    pub fn city(self) -> RegionCode {
        match self.shape_level() {
            RegionLevel::Province => self,
            _ => RegionCode(self.0 / 100 * 100),
        }
    }
}

/// Reads an optional region filter as sent in a query string: empty means
/// none; anything else must be a region code.
pub fn region_filter(raw: Option<&str>) -> Result<Option<RegionCode>, Error> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(r) => RegionCode::parse(r)
            .map(Some)
            .ok_or_else(|| Error::field("region", "error.region_unknown")),
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&s).ok_or_else(|| format!("not a region code: {s}"))
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.to_string()
    }
}

/// An inclusive range of region codes: a region and its whole subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionRange {
    pub lo: u32,
    pub hi: u32,
}

impl RegionRange {
    /// Every region there is.
    pub const ALL: RegionRange = RegionRange { lo: 0, hi: 999_999 };

    pub fn contains(&self, code: RegionCode) -> bool {
        (self.lo..=self.hi).contains(&code.0)
    }

    /// The overlap of two ranges (for a filter inside a scope), or `None`.
    pub fn intersect(&self, other: &RegionRange) -> Option<RegionRange> {
        let lo = self.lo.max(other.lo);
        let hi = self.hi.min(other.hi);
        (lo <= hi).then_some(RegionRange { lo, hi })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionLevel {
    Province,
    City,
    County,
    /// A statistical functional zone (e.g. 苏州工业园区): selectable as a
    /// location, not counted as an administrative division.
    Zone,
}

impl RegionLevel {
    pub fn parse(s: &str) -> Option<RegionLevel> {
        match s.trim() {
            "province" => Some(RegionLevel::Province),
            "city" => Some(RegionLevel::City),
            "county" => Some(RegionLevel::County),
            "zone" => Some(RegionLevel::Zone),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
            RegionLevel::Zone => "zone",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            RegionLevel::Province => "level.province",
            RegionLevel::City => "level.city",
            RegionLevel::County => "level.county",
            RegionLevel::Zone => "level.zone",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    pub parent: Option<RegionCode>,
}

impl Region {
    /// The name without its administrative suffix (`苏州市` → `苏州`), for
    /// matching what people write in spreadsheets.
    pub fn short_name(&self) -> &str {
        short_region_name(&self.name)
    }
}

/// Strips a trailing 省/市/区/县 from a region name when something remains.
pub fn short_region_name(name: &str) -> &str {
    for suffix in ["省", "市", "区", "县"] {
        if let Some(s) = name.strip_suffix(suffix) {
            if s.chars().count() >= 2 {
                return s;
            }
        }
    }
    name
}

/// The Jiangsu divisions shipped with Fanxing (GB/T 2260 / NBS 2023).
pub const JIANGSU_CSV: &str = include_str!("../data/jiangsu-divisions.csv");

/// Parses a divisions file (`code,name,level,parent_code`) and checks it is a
/// consistent tree: unique codes, known levels, parents that exist (in the file
/// or in `known`) at the right level. Errors name the line and column.
pub fn parse_regions_csv(text: &str, known: &[Region]) -> Result<Vec<Region>, Error> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::Message(format!("line 1: cannot read header: {e}")))?
        .clone();
    let col = |name: &str| -> Result<usize, Error> {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::Message(format!("line 1: missing column `{name}`")))
    };
    let (c_code, c_name, c_level, c_parent) = (
        col("code")?,
        col("name")?,
        col("level")?,
        col("parent_code")?,
    );

    let mut out: Vec<Region> = Vec::new();
    let mut lines: HashMap<RegionCode, usize> = HashMap::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| Error::Message(format!("line {line}: {e}")))?;
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        let bad = |column: &str, what: String| {
            Error::Message(format!("line {line}, column `{column}`: {what}"))
        };
        let code = RegionCode::parse(get(c_code))
            .ok_or_else(|| bad("code", format!("`{}` is not a six-digit code", get(c_code))))?;
        let name = get(c_name);
        if name.is_empty() || name.chars().count() > 50 {
            return Err(bad("name", "empty or longer than 50 characters".into()));
        }
        let level = RegionLevel::parse(get(c_level)).ok_or_else(|| {
            bad(
                "level",
                format!("`{}` is not province, city, county or zone", get(c_level)),
            )
        })?;
        let parent = match get(c_parent) {
            "" => None,
            p => Some(
                RegionCode::parse(p)
                    .ok_or_else(|| bad("parent_code", format!("`{p}` is not a code")))?,
            ),
        };
        if let Some(first) = lines.insert(code, line) {
            return Err(bad("code", format!("{code} already on line {first}")));
        }
        out.push(Region {
            code,
            name: name.to_string(),
            level,
            parent,
        });
    }

    let mut levels: HashMap<RegionCode, RegionLevel> =
        known.iter().map(|r| (r.code, r.level)).collect();
    levels.extend(out.iter().map(|r| (r.code, r.level)));
    for r in &out {
        let line = lines[&r.code];
        let expected = match r.level {
            RegionLevel::Province => None,
            RegionLevel::City => Some(RegionLevel::Province),
            RegionLevel::County | RegionLevel::Zone => Some(RegionLevel::City),
        };
        let ok = match (expected, r.parent) {
            (None, None) => true,
            (Some(want), Some(p)) => levels.get(&p) == Some(&want) && p.subtree().contains(r.code),
            _ => false,
        };
        if !ok {
            return Err(Error::Message(format!(
                "line {line}, column `parent_code`: {} ({}) needs a parent {} that contains its code",
                r.code,
                r.level.as_str(),
                expected.map(RegionLevel::as_str).unwrap_or("(none)")
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jiangsu_file_is_consistent() {
        let regions = parse_regions_csv(JIANGSU_CSV, &[]).unwrap();
        let count = |l| regions.iter().filter(|r| r.level == l).count();
        assert_eq!(count(RegionLevel::Province), 1);
        assert_eq!(count(RegionLevel::City), 13);
        assert_eq!(count(RegionLevel::County), 95);
        assert_eq!(count(RegionLevel::Zone), 9);
    }

    #[test]
    fn ranges_follow_the_code_tree() {
        let suzhou = RegionCode::parse("320500").unwrap();
        let kunshan = RegionCode::parse("320583").unwrap();
        let nanjing = RegionCode::parse("320100").unwrap();
        assert!(suzhou.subtree().contains(kunshan));
        assert!(!suzhou.subtree().contains(nanjing));
        assert!(kunshan.subtree().contains(kunshan));
        assert!(!kunshan.subtree().contains(suzhou));
        assert_eq!(kunshan.city(), suzhou);
        let province = RegionCode::parse("320000").unwrap();
        assert!(province.subtree().contains(kunshan));
        assert_eq!(
            province.subtree().intersect(&suzhou.subtree()),
            Some(suzhou.subtree())
        );
        assert_eq!(suzhou.subtree().intersect(&nanjing.subtree()), None);
    }

    #[test]
    fn bad_files_name_line_and_column() {
        let e = parse_regions_csv(
            "code,name,level,parent_code\n320000,江苏省,province,\n3201,南京市,city,320000\n",
            &[],
        )
        .unwrap_err();
        assert!(e.to_string().contains("line 3, column `code`"), "{e}");
        let e = parse_regions_csv(
            "code,name,level,parent_code\n320100,南京市,city,330000\n",
            &[],
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("line 2, column `parent_code`"),
            "{e}"
        );
        let e = parse_regions_csv("code,name,level\n", &[]).unwrap_err();
        assert!(e.to_string().contains("parent_code"), "{e}");
    }

    #[test]
    fn short_names() {
        assert_eq!(short_region_name("苏州市"), "苏州");
        assert_eq!(short_region_name("玄武区"), "玄武");
        assert_eq!(short_region_name("沛县"), "沛县");
    }
}
