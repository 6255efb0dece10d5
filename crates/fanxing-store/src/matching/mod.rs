//! [`MatchingStore`] in portable SQL (migration 0012).

use async_trait::async_trait;
use sqlx::any::AnyRow;

use fanxing_core::error::{Error, FieldError, Result};
use fanxing_core::matching::pipeline::{Action, AppState};
use fanxing_core::matching::rules::{Eligibility, Op, Rule};
use fanxing_core::matching::store::{
    AppEvent, AppScope, Application, MatchRow, MatchingStore, MoveFields, Need, NeedCounts,
    NeedDraft, NeedFacts, Offer, OfferDraft, Partner, RollupRow,
};
use fanxing_core::matching::{Fact, FactSource, FactValue, OfferKind, PartnerKind, Stage};
use fanxing_core::people::{OrgId, UserId};
use fanxing_core::region::RegionRange;

use crate::native::Cols;
use crate::sql::{args, Sql};
use crate::store::{bad, col, db, id_col, is_unique_violation, opt_id_col, region_code, SqlStore};
use crate::Backend;

const PARTNER_SELECT: &str = "SELECT p.org_id, o.name, p.kind, p.serves_region \
     FROM match_partners p JOIN organisations o ON o.id = p.org_id";

fn partner_from(r: &AnyRow) -> Result<Partner> {
    let kind: String = col(r, "kind")?;
    Ok(Partner {
        org_id: id_col(r, "org_id")?,
        name: col(r, "name")?,
        kind: PartnerKind::parse(&kind).ok_or_else(|| bad("partner kind", &kind))?,
        serves_region: region_code(col(r, "serves_region")?)?,
    })
}

const OFFER_SELECT: &str = "SELECT f.id, f.kind AS offer_kind, f.title, f.description, \
     f.amount_min_fen, f.amount_max_fen, f.term_months, f.rate_min_bp, f.rate_max_bp, f.price_fen, \
     f.materials, f.decision_days, f.quota, f.valid_from, f.valid_until, f.policy_basis, f.stages, \
     f.ruleset_version, f.evaluated_version, f.active, p.org_id, o.name, p.kind, p.serves_region \
     FROM match_offers f JOIN match_partners p ON p.org_id = f.partner_org_id \
     JOIN organisations o ON o.id = p.org_id";

fn stages_text(stages: &[Stage]) -> String {
    stages
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn offer_from(r: &AnyRow) -> Result<Offer> {
    let kind: String = col(r, "offer_kind")?;
    let stages: String = col(r, "stages")?;
    let active: i64 = col(r, "active")?;
    Ok(Offer {
        id: col(r, "id")?,
        partner: partner_from(r)?,
        draft: OfferDraft {
            kind: OfferKind::parse(&kind).ok_or_else(|| bad("offer kind", &kind))?,
            title: col(r, "title")?,
            description: col(r, "description")?,
            amount_min_fen: col(r, "amount_min_fen")?,
            amount_max_fen: col(r, "amount_max_fen")?,
            term_months: col(r, "term_months")?,
            rate_min_bp: col(r, "rate_min_bp")?,
            rate_max_bp: col(r, "rate_max_bp")?,
            price_fen: col(r, "price_fen")?,
            materials: col(r, "materials")?,
            decision_days: col(r, "decision_days")?,
            quota: col(r, "quota")?,
            valid_from: col(r, "valid_from")?,
            valid_until: col(r, "valid_until")?,
            policy_basis: col(r, "policy_basis")?,
            stages: stages
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| Stage::parse(s).ok_or_else(|| bad("stage", s)))
                .collect::<Result<Vec<_>>>()?,
        },
        ruleset_version: col(r, "ruleset_version")?,
        evaluated_version: col(r, "evaluated_version")?,
        active: active != 0,
    })
}

fn offer_binds(q: &mut Sql, o: &OfferDraft) {
    q.binds(args![
        o.kind.as_str(),
        o.title.as_str(),
        o.description.as_str(),
        o.amount_min_fen,
        o.amount_max_fen,
        o.term_months,
        o.rate_min_bp,
        o.rate_max_bp,
        o.price_fen,
        o.materials.as_str(),
        o.decision_days,
        o.quota,
        o.valid_from,
        o.valid_until,
        o.policy_basis.as_str(),
        stages_text(&o.stages)
    ]);
}

const NEED_SELECT: &str = "SELECT n.id, n.org_id, o.name, o.region, n.kind, n.amount_fen, \
     n.purpose, n.consent_facts, n.consent_until, n.open, n.created_at \
     FROM match_needs n JOIN organisations o ON o.id = n.org_id";

/// A row of [`NEED_SELECT`], by position.
fn need_from(r: &dyn Cols) -> Result<Need> {
    let kind = r.text(4)?;
    let consent = r.text(7)?;
    Ok(Need {
        id: r.int(0)?,
        org_name: r.text(2)?,
        region: region_code(r.int(3)?)?,
        draft: NeedDraft {
            org_id: OrgId(r.int(1)?),
            kind: OfferKind::parse(&kind).ok_or_else(|| bad("need kind", &kind))?,
            amount_fen: r.opt_int(5)?,
            purpose: r.text(6)?,
            consent_facts: consent
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            consent_until: r.int(8)?,
        },
        open: r.int(9)? != 0,
        created_at: r.int(10)?,
    })
}

/// A row of `org_id, metric, value_num, value_text, period, source, as_of`.
fn fact_from(r: &dyn Cols) -> Result<(OrgId, Fact)> {
    let source = r.text(5)?;
    let value = match (r.opt_int(2)?, r.opt_text(3)?) {
        (Some(n), _) => FactValue::Number(n),
        (None, Some(t)) => FactValue::Text(t),
        (None, None) => return Err(bad("fact", "no value")),
    };
    Ok((
        OrgId(r.int(0)?),
        Fact {
            metric: r.text(1)?,
            value,
            period: r.text(4)?,
            source: FactSource::parse(&source).ok_or_else(|| bad("fact source", &source))?,
            as_of: r.int(6)?,
        },
    ))
}

const APP_SELECT: &str = "SELECT a.id, a.need_id, a.offer_id, a.org_id, a.region, a.state, \
     a.amount_requested_fen, a.amount_approved_fen, a.amount_disbursed_fen, \
     a.first_time_borrower, a.due_at, a.created_at, a.decided_at FROM match_applications a";

const MATCH_SELECT: &str = "SELECT need_id, offer_id, eligibility, score_tenths, factors, trace, \
     digest, ruleset_version, evaluated_at FROM match_results WHERE need_id = ";

fn match_from(r: &AnyRow) -> Result<MatchRow> {
    let e: String = col(r, "eligibility")?;
    Ok(MatchRow {
        need_id: col(r, "need_id")?,
        offer_id: col(r, "offer_id")?,
        eligibility: Eligibility::parse(&e).ok_or_else(|| bad("eligibility", &e))?,
        score_tenths: col(r, "score_tenths")?,
        factors: col(r, "factors")?,
        trace: col(r, "trace")?,
        digest: col(r, "digest")?,
        ruleset_version: col(r, "ruleset_version")?,
        evaluated_at: col(r, "evaluated_at")?,
    })
}

fn app_from(r: &AnyRow) -> Result<Application> {
    let state: String = col(r, "state")?;
    let first: i64 = col(r, "first_time_borrower")?;
    Ok(Application {
        id: col(r, "id")?,
        need_id: col(r, "need_id")?,
        offer_id: col(r, "offer_id")?,
        org_id: id_col(r, "org_id")?,
        region: region_code(col(r, "region")?)?,
        state: AppState::parse(&state).ok_or_else(|| bad("application state", &state))?,
        amount_requested_fen: col(r, "amount_requested_fen")?,
        amount_approved_fen: col(r, "amount_approved_fen")?,
        amount_disbursed_fen: col(r, "amount_disbursed_fen")?,
        first_time_borrower: first != 0,
        due_at: col(r, "due_at")?,
        created_at: col(r, "created_at")?,
        decided_at: col(r, "decided_at")?,
    })
}

async fn insert_rules_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    offer: i64,
    rules: &[Rule],
) -> Result<()> {
    let all: Vec<usize> = (0..rules.len()).collect();
    insert_rules_at(tx, offer, rules, &all).await
}

/// A rule's own columns, as `rule_values` binds them.
const RULE_COLS: &str = "field, op, value, hard, message_zh, message_en, citation, max_age_days";

/// The values of [`RULE_COLS`] for `r`.
fn rule_values(r: &Rule) -> [crate::sql::Arg; 8] {
    args![
        r.field.as_str(),
        r.op.as_str(),
        r.value.as_str(),
        r.hard as i64,
        r.message_zh.as_str(),
        r.message_en.as_str(),
        r.citation.as_str(),
        r.max_age_days
    ]
}

/// Inserts the rules at places `positions` of `rules`.
async fn insert_rules_at(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    offer: i64,
    rules: &[Rule],
    positions: &[usize],
) -> Result<()> {
    for &pos in positions {
        let r = &rules[pos];
        let mut q = Sql::new(&format!(
            "INSERT INTO match_rules (offer_id, position, {RULE_COLS}) VALUES ("
        ));
        q.binds(args![offer, pos as i64])
            .push(", ")
            .binds(rule_values(r))
            .push(")");
        q.query().execute(&mut **tx).await.map_err(db)?;
    }
    Ok(())
}

async fn insert_event_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    application: i64,
    e: &AppEvent,
) -> Result<()> {
    let mut q = Sql::new(
        "INSERT INTO match_events (application_id, from_state, to_state, action, actor_user, \
         comment, at) VALUES (",
    );
    q.binds(args![
        application,
        e.from.map(|s| s.as_str()),
        e.to.as_str(),
        e.action.map(|a| a.as_str()).unwrap_or("submit"),
        e.actor_user,
        e.comment.as_str(),
        e.at
    ])
    .push(")");
    q.query().execute(&mut **tx).await.map_err(db)?;
    Ok(())
}

#[async_trait]
impl MatchingStore for SqlStore {
    async fn upsert_partner(&self, p: &Partner, now: i64) -> Result<()> {
        let mut q = Sql::new(
            "INSERT INTO match_partners (org_id, kind, serves_region, created_at) VALUES (",
        );
        q.binds(args![
            p.org_id,
            p.kind.as_str(),
            p.serves_region.value() as i64,
            now
        ])
        .push(
            ") ON CONFLICT (org_id) DO UPDATE SET kind = excluded.kind, \
                 serves_region = excluded.serves_region",
        );
        q.query().execute(self.writer()).await.map_err(db)?;
        Ok(())
    }

    async fn get_partner(&self, org: OrgId) -> Result<Option<Partner>> {
        let mut q = Sql::new(PARTNER_SELECT);
        q.push(" WHERE p.org_id = ").bind(org);
        q.query()
            .fetch_optional(self.pool())
            .await
            .map_err(db)?
            .map(|r| partner_from(&r))
            .transpose()
    }

    async fn list_partners(&self) -> Result<Vec<Partner>> {
        let rows = sqlx::query(&format!("{PARTNER_SELECT} ORDER BY o.name, p.org_id"))
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        rows.iter().map(partner_from).collect()
    }

    async fn insert_offer(
        &self,
        partner: OrgId,
        o: &OfferDraft,
        rules: &[Rule],
        now: i64,
    ) -> Result<i64> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut q = Sql::new(
            "INSERT INTO match_offers (partner_org_id, kind, title, description, amount_min_fen, \
             amount_max_fen, term_months, rate_min_bp, rate_max_bp, price_fen, materials, \
             decision_days, quota, valid_from, valid_until, policy_basis, stages, created_at, \
             updated_at) VALUES (",
        );
        q.bind(partner).push(", ");
        offer_binds(&mut q, o);
        q.push(", ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(") RETURNING id");
        let id: i64 = col(&q.query().fetch_one(&mut *tx).await.map_err(db)?, "id")?;
        insert_rules_in(&mut tx, id, rules).await?;
        tx.commit().await.map_err(db)?;
        Ok(id)
    }

    async fn update_offer(&self, id: i64, o: &OfferDraft, rules: &[Rule], now: i64) -> Result<i64> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut q = Sql::new(
            "UPDATE match_offers SET ruleset_version = ruleset_version + 1, updated_at = ",
        );
        q.bind(now).push(
            ", (kind, title, description, amount_min_fen, amount_max_fen, \
             term_months, rate_min_bp, rate_max_bp, price_fen, materials, decision_days, quota, \
             valid_from, valid_until, policy_basis, stages) = (",
        );
        offer_binds(&mut q, o);
        q.push(") WHERE id = ")
            .bind(id)
            .push(" RETURNING ruleset_version");
        let row = q
            .query()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or(Error::NotFound)?;
        let version: i64 = col(&row, "ruleset_version")?;
        // Each rule keeps its id where its place is kept, so stored traces
        // still name it and results the change leaves as they were need
        // no writing.
        let mut added = Vec::new();
        for (pos, r) in rules.iter().enumerate() {
            let mut q = Sql::new(&format!("UPDATE match_rules SET ({RULE_COLS}) = ("));
            q.binds(rule_values(r))
                .push(") WHERE offer_id = ")
                .bind(id)
                .push(" AND position = ")
                .bind(pos as i64);
            if q.query()
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected()
                == 0
            {
                added.push(pos);
            }
        }
        let mut del = Sql::new("DELETE FROM match_rules WHERE offer_id = ");
        del.bind(id)
            .push(" AND position >= ")
            .bind(rules.len() as i64);
        del.query().execute(&mut *tx).await.map_err(db)?;
        insert_rules_at(&mut tx, id, rules, &added).await?;
        tx.commit().await.map_err(db)?;
        Ok(version)
    }

    async fn set_offer_active(&self, id: i64, active: bool, now: i64) -> Result<()> {
        let mut q = Sql::new("UPDATE match_offers SET active = ");
        q.bind(active as i64)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(id);
        let done = q.query().execute(self.writer()).await.map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    async fn get_offer(&self, id: i64) -> Result<Option<Offer>> {
        let mut q = Sql::new(OFFER_SELECT);
        q.push(" WHERE f.id = ").bind(id);
        q.query()
            .fetch_optional(self.pool())
            .await
            .map_err(db)?
            .map(|r| offer_from(&r))
            .transpose()
    }

    async fn list_offers(&self, partner: Option<OrgId>, active_only: bool) -> Result<Vec<Offer>> {
        let mut q = Sql::new(OFFER_SELECT);
        q.push(" WHERE 1 = 1");
        if let Some(p) = partner {
            q.push(" AND f.partner_org_id = ").bind(p);
        }
        if active_only {
            q.push(" AND f.active = 1");
        }
        q.push(" ORDER BY f.id");
        q.fetch_map(self.pool(), offer_from).await
    }

    async fn holiday_years(&self) -> Result<Vec<(i32, String, Option<UserId>, i64)>> {
        Sql::new(
            "SELECT year, arrangement, updated_by, updated_at FROM holiday_years ORDER BY year",
        )
        .fetch_map(self.pool(), |r| {
            let year: i64 = col(r, "year")?;
            Ok((
                year as i32,
                col(r, "arrangement")?,
                opt_id_col(r, "updated_by")?,
                col(r, "updated_at")?,
            ))
        })
        .await
    }

    async fn set_holiday_year(&self, year: i32, json: &str, by: UserId, now: i64) -> Result<()> {
        let mut q = Sql::new(
            "INSERT INTO holiday_years (year, arrangement, updated_by, updated_at) VALUES (",
        );
        q.binds(args![year as i64, json, by, now]).push(
            ") ON CONFLICT (year) DO UPDATE SET arrangement = excluded.arrangement, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        );
        q.query().execute(self.writer()).await.map_err(db)?;
        Ok(())
    }

    async fn org_names(&self, ids: &[OrgId]) -> Result<Vec<(OrgId, String)>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut q = Sql::new("SELECT id, name FROM organisations WHERE id");
            q.in_list(chunk);
            out.extend(
                q.fetch_map(self.pool(), |r| Ok((id_col(r, "id")?, col(r, "name")?)))
                    .await?,
            );
        }
        Ok(out)
    }

    async fn offers_by_ids(&self, ids: &[i64]) -> Result<Vec<Offer>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut q = Sql::new(OFFER_SELECT);
            q.push(" WHERE f.id").in_list(chunk).push(" ORDER BY f.id");
            out.extend(q.fetch_map(self.pool(), offer_from).await?);
        }
        Ok(out)
    }

    async fn rules_of(&self, offers: &[i64]) -> Result<Vec<(i64, Rule)>> {
        let mut out = Vec::new();
        for chunk in offers.chunks(500) {
            let mut q = Sql::new(
                "SELECT id, offer_id, field, op, value, hard, message_zh, message_en, citation, \
                 max_age_days FROM match_rules WHERE offer_id",
            );
            q.in_list(chunk);
            q.push(" ORDER BY offer_id, position");
            for r in q
                .on(self.backend_kind())
                .query()
                .fetch_all(self.pool())
                .await
                .map_err(db)?
            {
                let op: String = col(&r, "op")?;
                let hard: i64 = col(&r, "hard")?;
                out.push((
                    col(&r, "offer_id")?,
                    Rule {
                        id: col(&r, "id")?,
                        field: col(&r, "field")?,
                        op: Op::parse(&op).ok_or_else(|| bad("rule op", &op))?,
                        value: col(&r, "value")?,
                        hard: hard != 0,
                        message_zh: col(&r, "message_zh")?,
                        message_en: col(&r, "message_en")?,
                        citation: col(&r, "citation")?,
                        max_age_days: col(&r, "max_age_days")?,
                    },
                ));
            }
        }
        Ok(out)
    }

    async fn add_facts(&self, org: OrgId, facts: &[Fact], by: Option<UserId>) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        for f in facts {
            let (num, text) = match &f.value {
                FactValue::Number(n) => (Some(*n), None),
                FactValue::Text(t) => (None, Some(t.clone())),
            };
            let mut q = Sql::new(
                "INSERT INTO enterprise_facts (org_id, metric, value_num, value_text, period, \
                 source, recorded_by, as_of) VALUES (",
            );
            q.binds(args![
                org,
                f.metric.as_str(),
                num,
                text,
                f.period.as_str(),
                f.source.as_str(),
                by,
                f.as_of
            ])
            .push(")");
            q.query().execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn facts_of(&self, orgs: &[OrgId]) -> Result<Vec<(OrgId, Fact)>> {
        let mut out = Vec::with_capacity(orgs.len() * 4);
        for chunk in orgs.chunks(500) {
            let mut q = Sql::new(
                "SELECT org_id, metric, value_num, value_text, period, source, as_of \
                 FROM enterprise_facts WHERE org_id",
            );
            q.in_list(chunk);
            q.push(" ORDER BY org_id, id");
            out.extend(self.fetch_cols(q, fact_from).await?);
        }
        Ok(out)
    }

    async fn insert_need(&self, n: &NeedDraft, by: Option<UserId>, now: i64) -> Result<i64> {
        let mut q = Sql::new(
            "INSERT INTO match_needs (org_id, kind, amount_fen, purpose, consent_facts, \
             consent_until, created_by, created_at) VALUES (",
        );
        q.binds(args![
            n.org_id,
            n.kind.as_str(),
            n.amount_fen,
            n.purpose.as_str(),
            n.consent_facts.join(","),
            n.consent_until,
            by,
            now
        ])
        .push(") RETURNING id");
        col(&q.query().fetch_one(self.writer()).await.map_err(db)?, "id")
    }

    async fn get_need(&self, id: i64) -> Result<Option<Need>> {
        let mut q = Sql::new(NEED_SELECT);
        q.push(" WHERE n.id = ").bind(id);
        q.query()
            .fetch_optional(self.pool())
            .await
            .map_err(db)?
            .map(|r| need_from(&r))
            .transpose()
    }

    async fn open_needs(&self, range: RegionRange) -> Result<Vec<Need>> {
        let mut q = Sql::new(NEED_SELECT);
        // `+o.region`: no index on the region, so SQLite reads the needs in
        // order and looks each organisation up, instead of reading every
        // organisation of a province by region and sorting (16 ms against
        // 410 ms for 43,000 needs; a county's 13 ms against 4 ms).
        q.push(" WHERE n.open = 1 AND +o.region BETWEEN ")
            .bind(range.lo as i64)
            .push(" AND ")
            .bind(range.hi as i64)
            .push(" ORDER BY n.id");
        self.fetch_cols(q, need_from).await
    }

    async fn open_needs_with_facts(&self, offer: Option<i64>) -> Result<Vec<NeedFacts>> {
        // One row per need, its enterprise's facts as one JSON array of
        // [metric, number, text, period, source, as of, id]: a row costs
        // far more to fetch than its columns, and an enterprise has a
        // handful of facts.
        let facts = match self.backend_kind() {
            Backend::Sqlite => {
                "(SELECT json_group_array(json_array(f.metric, f.value_num, f.value_text, \
                 f.period, f.source, f.as_of, f.id)) FROM enterprise_facts f \
                 WHERE f.org_id = n.org_id)"
            }
            Backend::Postgres => {
                "(SELECT CAST(json_agg(json_build_array(f.metric, f.value_num, f.value_text, \
                 f.period, f.source, f.as_of, f.id)) AS TEXT) FROM enterprise_facts f \
                 WHERE f.org_id = n.org_id)"
            }
        };
        let mut q = Sql::new(&NEED_SELECT.replacen(
            " FROM match_needs n",
            &format!(", {facts}, r.digest FROM match_needs n"),
            1,
        ));
        // The stored result's digest for `offer` (none: no offer, -1 never
        // being an offer's id).
        q.push(" LEFT JOIN match_results r ON r.need_id = n.id AND r.offer_id = ")
            .bind(offer.unwrap_or(-1))
            .push(" WHERE n.open = 1 ORDER BY n.id");
        type Packed = (
            String,
            Option<i64>,
            Option<String>,
            String,
            String,
            i64,
            i64,
        );
        self.fetch_cols(q, |r| {
            let need = need_from(r)?;
            let json = r.opt_text(11)?.unwrap_or_default();
            let digest = r.opt_int(12)?;
            let mut packed: Vec<Packed> = if json.is_empty() {
                Vec::new()
            } else {
                serde_json::from_str(&json).map_err(|e| bad("facts", &e.to_string()))?
            };
            packed.sort_by_key(|p| p.6);
            let facts = packed
                .into_iter()
                .map(|(metric, num, text, period, source, as_of, _)| {
                    Ok(Fact {
                        metric,
                        value: match (num, text) {
                            (Some(n), _) => FactValue::Number(n),
                            (None, Some(t)) => FactValue::Text(t),
                            (None, None) => return Err(bad("fact", "no value")),
                        },
                        period,
                        source: FactSource::parse(&source)
                            .ok_or_else(|| bad("fact source", &source))?,
                        as_of,
                    })
                })
                .collect::<Result<Vec<Fact>>>()?;
            Ok(NeedFacts {
                need,
                facts,
                digest,
            })
        })
        .await
    }

    async fn needs_of(&self, org: OrgId) -> Result<Vec<Need>> {
        let mut q = Sql::new(NEED_SELECT);
        q.push(" WHERE n.org_id = ")
            .bind(org)
            .push(" ORDER BY n.id DESC");
        q.fetch_map(self.pool(), |r| need_from(r)).await
    }

    async fn match_digests(&self, needs: &[i64], offers: &[i64]) -> Result<Vec<((i64, i64), i64)>> {
        if needs.is_empty() || offers.is_empty() {
            return Ok(Vec::new());
        }
        // Read by whichever side reads fewer rows: a need has a result for
        // each offer of its kind (hundreds), an offer one for each open
        // need (tens of thousands).
        let (by_need, keys, other) = if needs.len() <= offers.len() * 100 {
            (true, needs, offers)
        } else {
            (false, offers, needs)
        };
        let wanted: std::collections::HashSet<i64> = other.iter().copied().collect();
        let mut out = Vec::new();
        for chunk in keys.chunks(500) {
            let mut q = Sql::new("SELECT need_id, offer_id, digest FROM match_results WHERE ");
            q.push(if by_need { "need_id" } else { "offer_id" })
                .in_list(chunk);
            let rows = self
                .fetch_cols(q, |r| Ok(((r.int(0)?, r.int(1)?), r.int(2)?)))
                .await?;
            out.extend(
                rows.into_iter().filter(|((need, offer), _)| {
                    wanted.contains(if by_need { offer } else { need })
                }),
            );
        }
        Ok(out)
    }

    async fn save_matches(&self, rows: &[MatchRow], complete: &[(i64, i64)]) -> Result<()> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        for chunk in rows.chunks(crate::store::BULK_CHUNK) {
            let mut q = Sql::new(
                "INSERT INTO match_results (need_id, offer_id, eligibility, score_tenths, factors, \
                 trace, digest, ruleset_version, evaluated_at) VALUES ",
            );
            for (i, m) in chunk.iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" })
                    .binds(args![
                        m.need_id,
                        m.offer_id,
                        m.eligibility.as_str(),
                        m.score_tenths,
                        m.factors.as_str(),
                        m.trace.as_str(),
                        m.digest,
                        m.ruleset_version,
                        m.evaluated_at
                    ])
                    .push(")");
            }
            q.push(
                " ON CONFLICT (need_id, offer_id) DO UPDATE SET eligibility = excluded.eligibility, \
                 score_tenths = excluded.score_tenths, factors = excluded.factors, \
                 trace = excluded.trace, digest = excluded.digest, \
                 ruleset_version = excluded.ruleset_version, evaluated_at = excluded.evaluated_at",
            );
            q.on(self.backend_kind())
                .query()
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        for (offer, version) in complete {
            let mut q = Sql::new("UPDATE match_offers SET evaluated_version = ");
            q.bind(*version)
                .push(" WHERE id = ")
                .bind(*offer)
                .push(" AND evaluated_version < ")
                .bind(*version);
            q.query().execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn matches_of_need(&self, need: i64) -> Result<Vec<MatchRow>> {
        let mut q = Sql::new(MATCH_SELECT);
        q.bind(need).push(" ORDER BY offer_id");
        q.fetch_map(self.pool(), match_from).await
    }

    async fn matches_of_need_for(&self, need: i64, offers: &[i64]) -> Result<Vec<MatchRow>> {
        if offers.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new(MATCH_SELECT);
        q.bind(need)
            .push(" AND offer_id")
            .in_list(offers)
            .push(" ORDER BY offer_id");
        q.fetch_map(self.pool(), match_from).await
    }

    async fn match_ranks(&self, need: i64) -> Result<Vec<(i64, Eligibility, i64)>> {
        let mut q = Sql::new(
            "SELECT r.offer_id, r.eligibility, r.score_tenths FROM match_results r \
             JOIN match_offers f ON f.id = r.offer_id WHERE f.active = 1 AND r.need_id = ",
        );
        q.bind(need).push(" ORDER BY r.offer_id");
        q.fetch_map(self.pool(), |r| {
            let e: String = col(r, "eligibility")?;
            Ok((
                col(r, "offer_id")?,
                Eligibility::parse(&e).ok_or_else(|| bad("eligibility", &e))?,
                col(r, "score_tenths")?,
            ))
        })
        .await
    }

    async fn insert_application(&self, a: &Application, event: &AppEvent) -> Result<i64> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut q = Sql::new(
            "INSERT INTO match_applications (need_id, offer_id, org_id, region, state, active, \
             amount_requested_fen, first_time_borrower, due_at, created_at, updated_at) VALUES (",
        );
        q.binds(args![
            a.need_id,
            a.offer_id,
            a.org_id,
            a.region.value() as i64,
            a.state.as_str(),
            a.state.is_active() as i64,
            a.amount_requested_fen,
            a.first_time_borrower as i64,
            a.due_at,
            a.created_at,
            a.created_at
        ])
        .push(") RETURNING id");
        let id: i64 = match q.query().fetch_one(&mut *tx).await {
            Ok(r) => col(&r, "id")?,
            Err(e) if is_unique_violation(&e) => {
                return Err(Error::Conflict(FieldError::new(
                    "offer_id",
                    "app.already_active",
                )))
            }
            Err(e) => return Err(db(e)),
        };
        insert_event_in(&mut tx, id, event).await?;
        tx.commit().await.map_err(db)?;
        Ok(id)
    }

    async fn get_application(&self, id: i64) -> Result<Option<Application>> {
        let mut q = Sql::new(APP_SELECT);
        q.push(" WHERE a.id = ").bind(id);
        q.query()
            .fetch_optional(self.pool())
            .await
            .map_err(db)?
            .map(|r| app_from(&r))
            .transpose()
    }

    async fn move_application(
        &self,
        id: i64,
        from: AppState,
        event: &AppEvent,
        fields: &MoveFields,
    ) -> Result<bool> {
        let mut tx = self.writer().begin().await.map_err(db)?;
        let mut q = Sql::new("UPDATE match_applications SET state = ");
        q.bind(event.to.as_str())
            .push(", active = ")
            .bind(event.to.is_active() as i64)
            .push(", updated_at = ")
            .bind(event.at);
        if let Some(due) = fields.due_at {
            q.push(", due_at = ").bind(due);
        }
        if let Some(v) = fields.amount_approved_fen {
            q.push(", amount_approved_fen = ").bind(v);
        }
        if let Some(v) = fields.amount_disbursed_fen {
            q.push(", amount_disbursed_fen = ").bind(v);
        }
        if let Some(v) = fields.decided_at {
            q.push(", decided_at = ").bind(v);
        }
        q.push(" WHERE id = ")
            .bind(id)
            .push(" AND state = ")
            .bind(from.as_str());
        let done = q.query().execute(&mut *tx).await.map_err(db)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_event_in(&mut tx, id, event).await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn events_of(&self, application: i64) -> Result<Vec<AppEvent>> {
        let mut q = Sql::new(
            "SELECT from_state, to_state, action, actor_user, comment, at FROM match_events \
             WHERE application_id = ",
        );
        q.bind(application).push(" ORDER BY id");
        q.fetch_map(self.pool(), |r| {
            let from: Option<String> = col(r, "from_state")?;
            let to: String = col(r, "to_state")?;
            let action: String = col(r, "action")?;
            Ok(AppEvent {
                from: from.as_deref().and_then(AppState::parse),
                to: AppState::parse(&to).ok_or_else(|| bad("state", &to))?,
                action: Action::parse(&action),
                actor_user: opt_id_col(r, "actor_user")?,
                comment: col(r, "comment")?,
                at: col(r, "at")?,
            })
        })
        .await
    }

    async fn list_applications(&self, scope: AppScope) -> Result<Vec<Application>> {
        let mut q = Sql::new(APP_SELECT);
        match scope {
            AppScope::Partner(org) => {
                q.push(" JOIN match_offers f ON f.id = a.offer_id WHERE f.partner_org_id = ")
                    .bind(org);
            }
            AppScope::Enterprise(org) => {
                q.push(" WHERE a.org_id = ").bind(org);
            }
            AppScope::Region(range) => {
                q.push(" WHERE a.region BETWEEN ")
                    .bind(range.lo as i64)
                    .push(" AND ")
                    .bind(range.hi as i64);
            }
        }
        q.push(" ORDER BY a.id");
        q.fetch_map(self.pool(), app_from).await
    }

    async fn overdue_applications(&self, now: i64) -> Result<Vec<Application>> {
        let mut q = Sql::new(APP_SELECT);
        q.push(" WHERE a.state IN ('submitted', 'accepted', 'in_review') AND a.due_at < ")
            .bind(now)
            .push(" ORDER BY a.id");
        q.fetch_map(self.pool(), app_from).await
    }

    async fn rollup_rows(&self, range: RegionRange) -> Result<Vec<RollupRow>> {
        let mut q = Sql::new(&format!(
            "{}, f.partner_org_id, po.name AS partner_name, f.kind AS offer_kind, \
             (SELECT COUNT(*) FROM match_events e WHERE e.application_id = a.id \
               AND e.to_state = 'accepted') AS was_accepted, \
             (SELECT COUNT(*) FROM match_events e WHERE e.application_id = a.id \
               AND e.to_state = 'approved') AS was_approved, \
             (SELECT COUNT(*) FROM match_events e WHERE e.application_id = a.id \
               AND e.to_state = 'disbursed') AS was_disbursed, \
             (SELECT MIN(e.at) FROM match_events e WHERE e.application_id = a.id \
               AND e.to_state = 'disbursed') AS disbursed_at \
             FROM match_applications a JOIN match_offers f ON f.id = a.offer_id \
             JOIN organisations po ON po.id = f.partner_org_id WHERE a.region BETWEEN ",
            APP_SELECT.trim_end_matches(" FROM match_applications a")
        ));
        q.bind(range.lo as i64)
            .push(" AND ")
            .bind(range.hi as i64)
            .push(" ORDER BY a.id");
        q.fetch_map(self.pool(), |r| {
            let kind: String = col(r, "offer_kind")?;
            let application = app_from(r)?;
            let flag = |name: &str| -> Result<bool> { Ok(col::<i64>(r, name)? > 0) };
            Ok(RollupRow {
                expired: application.state == AppState::Expired,
                application,
                partner_org_id: id_col(r, "partner_org_id")?,
                partner_name: col(r, "partner_name")?,
                offer_kind: OfferKind::parse(&kind).ok_or_else(|| bad("offer kind", &kind))?,
                was_accepted: flag("was_accepted")?,
                was_approved: flag("was_approved")?,
                was_disbursed: flag("was_disbursed")?,
                disbursed_at: col(r, "disbursed_at")?,
            })
        })
        .await
    }

    async fn decisions(&self) -> Result<Vec<(OrgId, i64, i64)>> {
        Sql::new(
            "SELECT f.partner_org_id, a.created_at, a.decided_at FROM match_applications a \
             JOIN match_offers f ON f.id = a.offer_id WHERE a.decided_at IS NOT NULL \
             ORDER BY f.partner_org_id, a.id",
        )
        .fetch_map(self.pool(), |r| {
            Ok((
                id_col(r, "partner_org_id")?,
                col(r, "created_at")?,
                col(r, "decided_at")?,
            ))
        })
        .await
    }

    async fn need_counts(&self, range: RegionRange) -> Result<NeedCounts> {
        let mut q = Sql::new(
            "SELECT CAST(COUNT(*) AS BIGINT) AS needs, CAST(COALESCE(SUM(CASE WHEN EXISTS (\
             SELECT 1 FROM match_results m WHERE m.need_id = n.id \
             AND m.eligibility <> 'ineligible') THEN 1 ELSE 0 END), 0) AS BIGINT) AS matched \
             FROM match_needs n JOIN organisations o ON o.id = n.org_id WHERE o.region BETWEEN ",
        );
        q.bind(range.lo as i64).push(" AND ").bind(range.hi as i64);
        let r = q.query().fetch_one(self.pool()).await.map_err(db)?;
        Ok(NeedCounts {
            needs: col(&r, "needs")?,
            matched: col(&r, "matched")?,
        })
    }
}
