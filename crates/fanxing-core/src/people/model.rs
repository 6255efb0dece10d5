//! People and organisations: the records every other pillar hangs off.

use serde::{Deserialize, Serialize};

use crate::error::{FieldError, FieldErrors};
use crate::region::RegionCode;
use crate::values::{optional_text, required_text, IdNumber, Mobile};

choice_enum! {
    /// The three training tiers, each with its own curriculum.
    Tier {
        Cadre = "cadre" => "tier.cadre",
        CompanyHead = "company_head" => "tier.company_head",
        Operator = "operator" => "tier.operator",
    }
}

choice_enum! {
    /// What kind of organisation a record is.
    OrgKind {
        Government = "government" => "org_kind.government",
        Enterprise = "enterprise" => "org_kind.enterprise",
        Bank = "bank" => "org_kind.bank",
        Platform = "platform" => "org_kind.platform",
        ServiceProvider = "service_provider" => "org_kind.service_provider",
        TrainingProvider = "training_provider" => "org_kind.training_provider",
        LiveBase = "live_base" => "org_kind.live_base",
    }
}

choice_enum! {
    /// An enterprise's annual online sales band; services are staged by it.
    SalesBand {
        Under1m = "under_1m" => "sales.under_1m",
        From1mTo5m = "1m_5m" => "sales.1m_5m",
        From5mTo20m = "5m_20m" => "sales.5m_20m",
        From20mTo100m = "20m_100m" => "sales.20m_100m",
        Over100m = "over_100m" => "sales.over_100m",
    }
}

impl Tier {
    /// Matches a tier as written in Chinese rosters (领导干部 / 企业负责人 / 运营人员).
    pub fn parse_label(s: &str) -> Option<Tier> {
        let s = s.trim();
        Tier::parse(s).or(match s {
            "领导干部" | "干部" => Some(Tier::Cadre),
            "企业负责人" | "负责人" => Some(Tier::CompanyHead),
            "运营人员" | "运营" => Some(Tier::Operator),
            _ => None,
        })
    }
}

id_type! {
    /// A row of `people`.
    PersonId
}
id_type! {
    /// A row of `organisations`.
    OrgId
}
id_type! {
    /// A row of `users` (an account).
    UserId
}

/// A person as stored. The ID number is held encrypted; only its masked
/// form travels with the record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    pub id: PersonId,
    pub name: String,
    pub mobile: String,
    pub id_number_masked: Option<String>,
    pub tier: Tier,
    pub org_id: Option<OrgId>,
    pub org_name: Option<String>,
    pub region: RegionCode,
    pub region_name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Person {
    /// The record as it may leave the service: mobile masked. Only the
    /// audited reveal hands out the full number.
    pub fn masked(mut self) -> Person {
        self.mobile = crate::values::mask_mobile(&self.mobile);
        self
    }
}

/// An organisation as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    pub kind: OrgKind,
    pub industry: Option<String>,
    pub sales_band: Option<SalesBand>,
    pub credit_code: Option<String>,
    pub region: RegionCode,
    pub region_name: String,
    pub people_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a form or API call submits for a person, before validation.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PersonInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub mobile: String,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub tier: String,
    #[serde(default, deserialize_with = "crate::people::empty_as_none")]
    pub org_id: Option<String>,
    #[serde(default)]
    pub region: String,
}

/// What a form or API call submits for an organisation, before validation.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrgInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default, deserialize_with = "crate::people::empty_as_none")]
    pub sales_band: Option<String>,
    #[serde(default)]
    pub credit_code: Option<String>,
    #[serde(default)]
    pub region: String,
}

/// Accepts strings, numbers or null and treats `""` as absent, so HTML forms
/// and JSON clients can send the same field.
pub fn empty_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<serde_json_lite::Value>::deserialize(d)?;
    Ok(v.and_then(|v| v.into_string())
        .filter(|s| !s.trim().is_empty()))
}

/// A tiny "string or number" value so forms (strings) and JSON (numbers) agree.
mod serde_json_lite {
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(untagged)]
    pub enum Value {
        S(String),
        I(i64),
    }

    impl Value {
        pub fn into_string(self) -> Option<String> {
            Some(match self {
                Value::S(s) => s,
                Value::I(i) => i.to_string(),
            })
        }
    }
}

/// A validated person, ready to store (the ID number still in clear; the
/// service encrypts it before it reaches the store).
#[derive(Debug, Clone)]
pub struct PersonDraft {
    pub name: String,
    pub mobile: Mobile,
    pub id_number: Option<IdNumber>,
    pub tier: Tier,
    pub org_id: Option<OrgId>,
    pub region: RegionCode,
}

/// A validated organisation, ready to store.
#[derive(Debug, Clone)]
pub struct OrgDraft {
    pub name: String,
    pub kind: OrgKind,
    pub industry: Option<String>,
    pub sales_band: Option<SalesBand>,
    pub credit_code: Option<String>,
    pub region: RegionCode,
}

pub const NAME_MAX: usize = 50;
pub const ORG_NAME_MAX: usize = 100;
pub const INDUSTRY_MAX: usize = 50;

impl PersonInput {
    /// Checks the shape of every field (not yet whether the region and
    /// organisation exist and are in scope: the service does that).
    pub fn validate(&self) -> Result<PersonDraft, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = required_text(&mut e, "name", &self.name, NAME_MAX);
        let mobile = if self.mobile.trim().is_empty() {
            e.push(FieldError::new("mobile", "error.required"));
            None
        } else {
            Mobile::parse(&self.mobile)
                .map_err(|k| e.push(FieldError::new("mobile", k)))
                .ok()
        };
        let id_number = match self.id_number.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => IdNumber::parse(raw)
                .map_err(|k| e.push(FieldError::new("id_number", k)))
                .ok(),
        };
        let tier = parse_choice(&mut e, "tier", &self.tier, Tier::parse_label);
        let org_id = match self.org_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => raw
                .parse::<OrgId>()
                .map_err(|_| e.push(FieldError::new("org_id", "error.org_unknown")))
                .ok(),
        };
        let region = parse_region(&mut e, "region", &self.region);
        match (mobile, tier, region) {
            (Some(mobile), Some(tier), Some(region)) if e.is_empty() => Ok(PersonDraft {
                name,
                mobile,
                id_number,
                tier,
                org_id,
                region,
            }),
            _ => Err(e),
        }
    }
}

impl OrgInput {
    pub fn validate(&self) -> Result<OrgDraft, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = required_text(&mut e, "name", &self.name, ORG_NAME_MAX);
        let kind = parse_choice(&mut e, "kind", &self.kind, OrgKind::parse);
        let industry = optional_text(&mut e, "industry", self.industry.as_deref(), INDUSTRY_MAX);
        let sales_band = match self.sales_band.as_deref() {
            None => None,
            Some(raw) => parse_choice(&mut e, "sales_band", raw, SalesBand::parse),
        };
        // GB 32100: eighteen characters whose last one checks the others.
        let credit_code = match self
            .credit_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => None,
            Some(raw) => match crate::matching::CreditCode::parse(raw) {
                Ok(c) => Some(c.as_str().to_string()),
                Err(why) => {
                    use crate::matching::CreditCodeError as W;
                    e.push(FieldError::new(
                        "credit_code",
                        match why {
                            W::Length => "error.credit_code_length",
                            W::Character => "error.credit_code_char",
                            W::Check => "error.credit_code_check",
                        },
                    ));
                    None
                }
            },
        };
        let region = parse_region(&mut e, "region", &self.region);
        match (kind, region) {
            (Some(kind), Some(region)) if e.is_empty() => Ok(OrgDraft {
                name,
                kind,
                industry,
                sales_band,
                credit_code,
                region,
            }),
            _ => Err(e),
        }
    }
}

pub(crate) fn parse_choice<T>(
    e: &mut FieldErrors,
    field: &'static str,
    raw: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    if raw.trim().is_empty() {
        e.push(FieldError::new(field, "error.required"));
        return None;
    }
    let v = parse(raw);
    if v.is_none() {
        e.push(FieldError::new(field, "error.choice"));
    }
    v
}

pub(crate) fn parse_region(
    e: &mut FieldErrors,
    field: &'static str,
    raw: &str,
) -> Option<RegionCode> {
    if raw.trim().is_empty() {
        e.push(FieldError::new(field, "error.required"));
        return None;
    }
    let v = RegionCode::parse(raw);
    if v.is_none() {
        e.push(FieldError::new(field, "error.region_unknown"));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PersonInput {
        PersonInput {
            name: " 王芳 ".into(),
            mobile: "139 1234 5678".into(),
            id_number: Some("11010519491231002X".into()),
            tier: "运营人员".into(),
            org_id: Some("7".into()),
            region: "320583".into(),
        }
    }

    #[test]
    fn person_input_validates() {
        let d = input().validate().unwrap();
        assert_eq!(d.name, "王芳");
        assert_eq!(d.mobile.as_str(), "13912345678");
        assert_eq!(d.tier, Tier::Operator);
        assert_eq!(d.org_id, Some(OrgId(7)));
    }

    #[test]
    fn person_input_collects_every_field_error() {
        let bad = PersonInput {
            name: "".into(),
            mobile: "1391234567".into(),
            id_number: Some("110105194912310021".into()),
            tier: "boss".into(),
            org_id: None,
            region: "32".into(),
        };
        let e = bad.validate().unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field).collect();
        assert_eq!(fields, ["name", "mobile", "id_number", "tier", "region"]);
    }

    #[test]
    fn org_input_validates() {
        let o = OrgInput {
            name: "常熟服装城直播基地".into(),
            kind: "live_base".into(),
            industry: Some("服装".into()),
            sales_band: Some("5m_20m".into()),
            credit_code: Some(" 91320581mA1abcde0b".into()),
            region: "320581".into(),
        };
        let d = o.validate().unwrap();
        assert_eq!(d.credit_code.as_deref(), Some("91320581MA1ABCDE0B"));
        let mut bad = o.clone();
        bad.kind = "pirate".into();
        bad.credit_code = Some("123".into());
        let e = bad.validate().unwrap_err();
        assert!(e.get("kind").is_some() && e.get("credit_code").is_some());
        // A typing error in a code of the right shape is caught by its
        // check character.
        let mut typo = o.clone();
        typo.credit_code = Some("91320581MA1ABCED0B".into());
        let e = typo.validate().unwrap_err();
        assert_eq!(e.get("credit_code").unwrap().key, "error.credit_code_check");
    }
}
