//! Validated values: parse, don't validate.
//!
//! A [`Mobile`] or [`IdNumber`] can only be built by parsing, so an invalid one
//! cannot exist past the edge of the system. Parsing is forgiving about what
//! real spreadsheets and phones produce (full-width digits, spaces, dashes,
//! `+86`) and strict about the result.

use std::fmt;

use crate::error::{FieldError, FieldErrors};

/// Folds full-width ASCII (Ａ-Ｚ, ０-９, full-width space) to half-width.
pub fn to_half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Traditional characters of the words spreadsheets' headers and region
/// names use, with their simplified forms (Taiwan and Hong Kong platforms'
/// exports, and offices typing on traditional input methods).
const TRADITIONAL: &[(char, char)] = &[
    ('場', '场'),
    ('觀', '观'),
    ('數', '数'),
    ('開', '开'),
    ('時', '时'),
    ('長', '长'),
    ('間', '间'),
    ('額', '额'),
    ('單', '单'),
    ('訂', '订'),
    ('點', '点'),
    ('擊', '击'),
    ('讚', '赞'),
    ('評', '评'),
    ('論', '论'),
    ('價', '价'),
    ('費', '费'),
    ('絲', '丝'),
    ('關', '关'),
    ('買', '买'),
    ('賣', '卖'),
    ('號', '号'),
    ('帳', '账'),
    ('賬', '账'),
    ('戶', '户'),
    ('線', '线'),
    ('幣', '币'),
    ('銷', '销'),
    ('總', '总'),
    ('計', '计'),
    ('區', '区'),
    ('縣', '县'),
    ('會', '会'),
    ('層', '层'),
    ('級', '级'),
    ('機', '机'),
    ('碼', '码'),
    ('證', '证'),
    ('業', '业'),
    ('營', '营'),
    ('運', '运'),
    ('員', '员'),
    ('講', '讲'),
    ('師', '师'),
    ('務', '务'),
    ('類', '类'),
    ('別', '别'),
    ('稱', '称'),
    ('體', '体'),
    ('實', '实'),
    ('際', '际'),
    ('發', '发'),
    ('動', '动'),
    ('資', '资'),
    ('產', '产'),
    ('與', '与'),
    ('個', '个'),
    ('來', '来'),
    ('為', '为'),
    ('對', '对'),
    ('現', '现'),
    ('檔', '档'),
    ('導', '导'),
    ('預', '预'),
    ('約', '约'),
    ('報', '报'),
    ('進', '进'),
    ('鐘', '钟'),
    ('蘇', '苏'),
    ('園', '园'),
    ('東', '东'),
    ('門', '门'),
    ('錫', '锡'),
    ('陽', '阳'),
    ('寧', '宁'),
    ('揚', '扬'),
    ('鎮', '镇'),
    ('興', '兴'),
    ('遷', '迁'),
    ('連', '连'),
    ('雲', '云'),
    ('廣', '广'),
    ('漲', '涨'),
    ('轉', '转'),
    ('換', '换'),
    ('僅', '仅'),
    ('條', '条'),
    ('筆', '笔'),
    ('據', '据'),
    ('匯', '汇'),
    ('彙', '汇'),
    ('內', '内'),
    ('贊', '赞'),
    ('齡', '龄'),
    ('話', '话'),
    ('電', '电'),
    ('郵', '邮'),
    ('標', '标'),
    ('題', '题'),
    ('頭', '头'),
    ('學', '学'),
    ('習', '习'),
    ('課', '课'),
    ('訓', '训'),
    ('參', '参'),
    ('屬', '属'),
    ('組', '组'),
    ('織', '织'),
    ('職', '职'),
    ('稅', '税'),
    ('貸', '贷'),
    ('銀', '银'),
    ('財', '财'),
    ('鄉', '乡'),
];

/// `s` with the traditional characters of [`TRADITIONAL`] simplified.
pub fn to_simplified(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() {
                return c;
            }
            TRADITIONAL
                .iter()
                .find(|(t, _)| *t == c)
                .map(|(_, simple)| *simple)
                .unwrap_or(c)
        })
        .collect()
}

/// Whether `s` is a number in scientific notation (`1.38123E+10`), as
/// Excel shows a long number and keeps only its first digits.
pub fn is_scientific(s: &str) -> bool {
    let Some((mantissa, exp)) = s.trim().split_once(['e', 'E']) else {
        return false;
    };
    let exp = exp.trim_start_matches(['+', '-']);
    !mantissa.is_empty()
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.chars().any(|c| c.is_ascii_digit())
        && !exp.is_empty()
        && exp.chars().all(|c| c.is_ascii_digit())
}

/// `123.0` and `123.00` as `123`; anything else unchanged.
pub fn strip_zero_fraction(s: &str) -> &str {
    match s.split_once('.') {
        Some((int, frac))
            if !int.is_empty()
                && int.chars().all(|c| c.is_ascii_digit())
                && !frac.is_empty()
                && frac.chars().all(|c| c == '0') =>
        {
            int
        }
        _ => s,
    }
}

/// An organisation's name as compared: half-width, simplified, without
/// spaces (`某某（苏州） 有限公司` and `某某(苏州)有限公司` are one).
pub fn org_key(name: &str) -> String {
    to_simplified(&to_half_width(name))
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The spellings a stored organisation name may have for one typed: as
/// typed, with half-width and with full-width brackets.
pub fn org_name_variants(name: &str) -> Vec<String> {
    let half = name.replace('（', "(").replace('）', ")");
    let full = name.replace('(', "（").replace(')', "）");
    let mut v = vec![name.to_string(), half, full];
    v.sort();
    v.dedup();
    v
}

/// A mainland China mobile number: 11 digits starting with `1[3-9]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mobile(String);

impl Mobile {
    /// Accepts `138 0013 8000`, `138-0013-8000`, `+86 13800138000`,
    /// `0086…`, `86-…` and full-width digits.
    pub fn parse(raw: &str) -> Result<Mobile, &'static str> {
        let half = to_half_width(raw);
        let half = half.trim();
        if is_scientific(half) {
            return Err("error.mobile_damaged");
        }
        // `13812345678.0` is a number cell's text: its fraction is dropped,
        // never its dot (`1381234567.0` must not become eleven digits).
        let half = strip_zero_fraction(half);
        let mut digits: String = half
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '\t' | '\u{a0}'))
            .collect();
        if let Some(rest) = digits.strip_prefix('+') {
            digits = rest.to_string();
        }
        if digits.len() == 15 && digits.starts_with("0086") {
            digits.drain(..4);
        } else if digits.len() == 13 && digits.starts_with("86") {
            digits.drain(..2);
        }
        let b = digits.as_bytes();
        if b.len() == 11
            && b.iter().all(u8::is_ascii_digit)
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1])
        {
            Ok(Mobile(digits))
        } else {
            Err("error.mobile")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****8000`: what roles without a need to know see.
    pub fn masked(&self) -> String {
        mask_mobile(&self.0)
    }
}

/// Masks a stored mobile number for display (`138****8000`).
pub fn mask_mobile(m: &str) -> String {
    if m.len() == 11 && m.is_ascii() {
        format!("{}****{}", &m[..3], &m[7..])
    } else {
        "****".to_string()
    }
}

impl fmt::Display for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A resident identity card number (GB 11643-1999): 17 digits and a check
/// character computed with ISO 7064 MOD 11-2.
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl fmt::Debug for IdNumber {
    // Never print the full number, not even in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

impl IdNumber {
    pub fn parse(raw: &str) -> Result<IdNumber, &'static str> {
        if is_scientific(&to_half_width(raw)) {
            return Err("error.id_number_damaged");
        }
        let s: String = to_half_width(raw)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18
            || !b[..17].iter().all(u8::is_ascii_digit)
            || !(b[17].is_ascii_digit() || b[17] == b'X')
        {
            return Err("error.id_number_format");
        }
        let year: i32 = s[6..10].parse().map_err(|_| "error.id_number_date")?;
        let month: u8 = s[10..12].parse().map_err(|_| "error.id_number_date")?;
        let day: u8 = s[12..14].parse().map_err(|_| "error.id_number_date")?;
        let month = time::Month::try_from(month).map_err(|_| "error.id_number_date")?;
        if !(1900..=2100).contains(&year)
            || time::Date::from_calendar_date(year, month, day).is_err()
        {
            return Err("error.id_number_date");
        }
        if Self::check_char(&s[..17]) != b[17] as char {
            return Err("error.id_number_checksum");
        }
        Ok(IdNumber(s))
    }

    /// The check character for the first 17 digits.
    pub fn check_char(first17: &str) -> char {
        let sum: u32 = first17
            .bytes()
            .zip(ID_WEIGHTS)
            .map(|(d, w)| (d - b'0') as u32 * w)
            .sum();
        ID_CHECK[(sum % 11) as usize]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `320102********123X`: region prefix and last four only.
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }
}

/// Masks an ID number for display, keeping the first six and last four.
pub fn mask_id_number(s: &str) -> String {
    if s.len() == 18 && s.is_ascii() {
        format!("{}********{}", &s[..6], &s[14..])
    } else {
        "******".to_string()
    }
}

/// Trims a required text field and checks its length (in characters).
pub fn required_text(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: &str,
    max: usize,
) -> String {
    let v = raw.trim().to_string();
    if v.is_empty() {
        errors.push(FieldError::new(field, "error.required"));
    } else if v.chars().count() > max {
        errors.push(FieldError::new(field, "error.too_long").with("max", max));
    } else if let Some(key) = text_problem(&v, false) {
        errors.push(FieldError::new(field, key));
    }
    v
}

/// Whether `c` may never appear in stored text: control characters (NUL
/// among them, which PostgreSQL refuses and SQLite would keep) and the
/// invisible direction marks and overrides that make a name read other
/// than it is stored. Line breaks and tabs are allowed in multi-line text.
pub fn is_forbidden_char(c: char, multiline: bool) -> bool {
    if multiline && matches!(c, '\n' | '\r' | '\t') {
        return false;
    }
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// The i18n key of what is wrong with a text's characters, if anything.
pub fn text_problem(s: &str, multiline: bool) -> Option<&'static str> {
    s.chars()
        .any(|c| is_forbidden_char(c, multiline))
        .then_some("error.control_chars")
}

/// Whether two names are the same person's name as typed: ignoring spaces
/// (full-width ones too) and the width of Latin letters and digits.
pub fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        to_half_width(s)
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '·' && *c != '•')
            .collect()
    };
    let (a, b) = (norm(a), norm(b));
    !a.is_empty() && a == b
}

/// Trims an optional text field; empty becomes `None`.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: Option<&str>,
    max: usize,
) -> Option<String> {
    let v = raw.map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > max {
        errors.push(FieldError::new(field, "error.too_long").with("max", max));
    } else if let Some(key) = text_problem(v, false) {
        errors.push(FieldError::new(field, key));
    }
    Some(v.to_string())
}

/// Like [`optional_text`] for text that may span lines (summaries, notices).
pub fn optional_multiline_text(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: Option<&str>,
    max: usize,
) -> Option<String> {
    let v = raw.map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > max {
        errors.push(FieldError::new(field, "error.too_long").with("max", max));
    } else if let Some(key) = text_problem(v, true) {
        errors.push(FieldError::new(field, key));
    }
    Some(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_refuse_control_and_direction_characters() {
        for bad in [
            "王\0芳",
            "王\u{202e}芳",
            "a\u{7}b",
            "line\nbreak",
            "x\u{2066}y",
        ] {
            let mut e = FieldErrors::default();
            required_text(&mut e, "name", bad, 50);
            assert!(!e.is_empty(), "{bad:?} accepted");
            assert_eq!(e.0[0].key, "error.control_chars");
        }
        let mut e = FieldErrors::default();
        assert_eq!(required_text(&mut e, "name", " 王芳 ", 50), "王芳");
        assert!(e.is_empty());
        assert_eq!(
            optional_multiline_text(&mut e, "summary", Some("一\n二\t三"), 50).as_deref(),
            Some("一\n二\t三")
        );
        assert!(e.is_empty());
        optional_multiline_text(&mut e, "summary", Some("一\0二"), 50);
        assert!(!e.is_empty());
    }

    #[test]
    fn same_name_ignores_spaces_and_width_only() {
        assert!(same_name("王 芳", "王芳"));
        assert!(same_name("ＡＢＣ", "abc".to_uppercase().as_str()));
        assert!(!same_name("王芳", "王方"));
        assert!(!same_name("", ""));
    }

    #[test]
    fn mobile_normalises_what_people_type() {
        for raw in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "0086 13800138000",
            "86-13800138000",
            "１３８００１３８０００",
            " 13800138000\u{3000}",
        ] {
            assert_eq!(Mobile::parse(raw).unwrap().as_str(), "13800138000", "{raw}");
        }
    }

    #[test]
    fn mobile_rejects_bad_numbers() {
        for raw in [
            "",
            "1380013800",
            "138001380001",
            "23800138000",
            "12800138000",
            "1380013800a",
        ] {
            assert!(Mobile::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn mobile_masks() {
        assert_eq!(
            Mobile::parse("13800138000").unwrap().masked(),
            "138****8000"
        );
    }

    #[test]
    fn id_number_checksum() {
        // The published example from GB 11643.
        let ok = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(ok.masked(), "110105********002X");
        assert_eq!(IdNumber::parse("11010519491231002x").unwrap(), ok);
        assert_eq!(
            IdNumber::parse("110105194912310021"),
            Err("error.id_number_checksum")
        );
        assert_eq!(
            IdNumber::parse("11010519491331002X"),
            Err("error.id_number_date")
        );
        assert_eq!(
            IdNumber::parse("1101051949123100"),
            Err("error.id_number_format")
        );
        assert!(!format!("{ok:?}").contains("19491231"));
    }

    #[test]
    fn text_fields() {
        let mut e = FieldErrors::default();
        assert_eq!(required_text(&mut e, "name", "  张三 ", 10), "张三");
        assert!(e.is_empty());
        required_text(&mut e, "name", "   ", 10);
        required_text(&mut e, "org", "一二三四五", 4);
        assert_eq!(e.0.len(), 2);
        assert_eq!(e.get("org").unwrap().key, "error.too_long");
    }
}
