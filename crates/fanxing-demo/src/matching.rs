//! Example data for resource matching (`fanxing serve --demo`): partners
//! drawn from the demo's banks, platforms, service firms and live-commerce
//! bases, with offers on the S1–S3 ladder (every title marked 示例), needs
//! of enterprises across the cities with their facts, and applications in
//! every state, dated over the past months.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use fanxing_core::app::Stores;
use fanxing_core::auth::Access;
use fanxing_core::error::Result;
use fanxing_core::matching::pipeline::{add_working_days, Action, AppState};
use fanxing_core::matching::rules::{Eligibility, Op, Rule};
use fanxing_core::matching::service::MatchingService;
use fanxing_core::matching::store::{
    AppEvent, Application, MoveFields, NeedDraft, OfferDraft, Partner,
};
use fanxing_core::matching::{Fact, FactSource, FactValue, OfferKind, PartnerKind, Stage};
use fanxing_core::people::store::OrgQuery;
use fanxing_core::people::{OrgKind, Organisation, SalesBand};
use fanxing_core::region::RegionCode;

/// What seeding made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchingDemoReport {
    pub partners: usize,
    pub offers: usize,
    pub needs: usize,
    pub applications: usize,
}

fn rule(field: &str, op: Op, value: &str, hard: bool, zh: &str, en: &str, cite: &str) -> Rule {
    Rule {
        id: 0,
        field: field.into(),
        op,
        value: value.into(),
        hard,
        message_zh: zh.into(),
        message_en: en.into(),
        citation: cite.into(),
        max_age_days: None,
    }
}

fn offer(kind: OfferKind, title: &str, stages: &[Stage], now: i64) -> OfferDraft {
    OfferDraft {
        kind,
        title: format!("示例·{title}"),
        description: String::new(),
        amount_min_fen: None,
        amount_max_fen: None,
        term_months: None,
        rate_min_bp: None,
        rate_max_bp: None,
        price_fen: None,
        materials: String::new(),
        decision_days: 5,
        quota: None,
        valid_from: now - 180 * 86_400,
        valid_until: now + 365 * 86_400,
        policy_basis: String::new(),
        stages: stages.to_vec(),
    }
}

/// The offers a partner of `kind` in `area` makes, with their rules.
fn offers_for(kind: PartnerKind, area: RegionCode, now: i64) -> Vec<(OfferDraft, Vec<Rule>)> {
    let city = RegionCode::from_value(area.value() / 100 * 100).unwrap_or(area);
    let in_area = rule(
        "region",
        Op::Within,
        &city.value().to_string(),
        true,
        "仅限本市注册的企业",
        "Enterprises registered in this city only",
        "产品说明书",
    );
    match kind {
        PartnerKind::Bank => {
            let mut s1 = offer(OfferKind::Loan, "电商贷（起步）", &[Stage::S1], now);
            s1.amount_min_fen = Some(3_000_000);
            s1.amount_max_fen = Some(30_000_000);
            s1.rate_min_bp = Some(400);
            s1.rate_max_bp = Some(800);
            s1.term_months = Some(12);
            s1.materials = "营业执照；法定代表人身份证；近 6 个月店铺经营数据".into();
            s1.policy_basis = "小微企业融资协调工作机制".into();
            let mut s2 = offer(OfferKind::Loan, "成长信用贷", &[Stage::S2], now);
            s2.amount_min_fen = Some(50_000_000);
            s2.amount_max_fen = Some(300_000_000);
            s2.rate_min_bp = Some(350);
            s2.rate_max_bp = Some(600);
            s2.term_months = Some(24);
            s2.decision_days = 10;
            let mut s3 = offer(OfferKind::Loan, "供应链金融", &[Stage::S3], now);
            s3.amount_min_fen = Some(500_000_000);
            s3.amount_max_fen = Some(5_000_000_000);
            s3.rate_min_bp = Some(300);
            s3.rate_max_bp = Some(450);
            s3.term_months = Some(36);
            s3.decision_days = 20;
            vec![
                (
                    s1,
                    vec![
                        in_area.clone(),
                        rule(
                            "shop_age_months",
                            Op::Ge,
                            "6",
                            true,
                            "店铺开设满 6 个月",
                            "The shop has been open six months or more",
                            "产品说明书第 2 条",
                        ),
                        rule(
                            "violations_12m",
                            Op::Le,
                            "0",
                            true,
                            "近 12 个月无平台严重违规",
                            "No serious platform violation in 12 months",
                            "产品说明书第 3 条",
                        ),
                        rule(
                            "refund_rate_bp",
                            Op::Le,
                            "1500",
                            false,
                            "退款率不高于 15%（超过需人工审核）",
                            "Refunds at most 15% (above: reviewed by hand)",
                            "产品说明书第 4 条",
                        ),
                    ],
                ),
                (
                    s2,
                    vec![
                        in_area.clone(),
                        rule(
                            "sales_12m_fen",
                            Op::Ge,
                            "500000000",
                            true,
                            "近 12 个月销售额不低于 500 万元",
                            "Sales of ¥5 million or more over 12 months",
                            "产品说明书第 2 条",
                        ),
                        rule(
                            "violations_12m",
                            Op::Le,
                            "0",
                            true,
                            "近 12 个月无平台严重违规",
                            "No serious platform violation in 12 months",
                            "产品说明书第 3 条",
                        ),
                    ],
                ),
                (
                    s3,
                    vec![rule(
                        "sales_12m_fen",
                        Op::Ge,
                        "10000000000",
                        true,
                        "近 12 个月销售额不低于 1 亿元",
                        "Sales of ¥100 million or more over 12 months",
                        "产品说明书第 2 条",
                    )],
                ),
            ]
        }
        PartnerKind::Platform => {
            let mut t = offer(OfferKind::Traffic, "新商家流量扶持", &[Stage::S1], now);
            t.price_fen = Some(0);
            t.decision_days = 3;
            t.materials = "店铺后台截图".into();
            vec![(
                t,
                vec![rule(
                    "shop_age_months",
                    Op::Le,
                    "12",
                    true,
                    "开店 12 个月以内的新商家",
                    "New shops, open 12 months or less",
                    "平台扶持政策",
                )],
            )]
        }
        PartnerKind::Base => {
            let mut s = offer(
                OfferKind::Space,
                "直播间与共享仓储",
                &[Stage::S1, Stage::S2],
                now,
            );
            s.price_fen = Some(200_000);
            s.decision_days = 7;
            vec![(s, vec![in_area])]
        }
        PartnerKind::Service | PartnerKind::GovFund => {
            let mut s = offer(OfferKind::Service, "财税代账与品牌孵化", &[], now);
            s.price_fen = Some(300_000);
            vec![(s, vec![])]
        }
    }
}

/// Twelve months of sales for a sales band, in fen, drawn inside it.
fn sales_for(band: Option<SalesBand>, rng: &mut StdRng) -> i64 {
    let (lo, hi) = match band {
        Some(SalesBand::Under1m) | None => (20_000_000, 100_000_000),
        Some(SalesBand::From1mTo5m) => (100_000_000, 500_000_000),
        Some(SalesBand::From5mTo20m) => (500_000_000, 2_000_000_000),
        Some(SalesBand::From20mTo100m) => (2_000_000_000, 10_000_000_000),
        Some(SalesBand::Over100m) => (10_000_000_000, 30_000_000_000),
    };
    rng.random_range(lo..hi)
}

/// Seeds the example data once: nothing when partners exist already.
pub async fn seed(
    svc: &MatchingService,
    stores: &Stores,
    seed: u64,
    now: i64,
) -> Result<Option<MatchingDemoReport>> {
    let store = svc.store();
    if !store.list_partners().await?.is_empty() {
        return Ok(None);
    }
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6d61_7463_6869_6e67);
    let province = RegionCode::from_value(320000).expect("province code");
    let all = |kind: OrgKind| OrgQuery {
        access: Access::Regions(province.subtree()),
        text: None,
        region: None,
        kind: Some(kind),
        offset: 0,
        limit: 2000,
    };
    let mut report = MatchingDemoReport::default();
    // Partners: five banks, three platforms, two bases, two service firms,
    // in different cities where the data allows.
    for (org_kind, kind, n) in [
        (OrgKind::Bank, PartnerKind::Bank, 5),
        (OrgKind::Platform, PartnerKind::Platform, 3),
        (OrgKind::LiveBase, PartnerKind::Base, 2),
        (OrgKind::ServiceProvider, PartnerKind::Service, 2),
    ] {
        let orgs = stores.people.list_orgs(&all(org_kind)).await?.items;
        let mut cities = std::collections::HashSet::new();
        let picked: Vec<&Organisation> = orgs
            .iter()
            .filter(|o| cities.insert(o.region.value() / 100))
            .take(n)
            .collect();
        for o in picked {
            let serves = match kind {
                PartnerKind::Platform | PartnerKind::Service => province,
                _ => RegionCode::from_value(o.region.value() / 100 * 100).unwrap_or(o.region),
            };
            let p = Partner {
                org_id: o.id,
                name: o.name.clone(),
                kind,
                serves_region: serves,
            };
            store.upsert_partner(&p, now).await?;
            report.partners += 1;
            for (draft, rules) in offers_for(kind, serves, now) {
                store.insert_offer(o.id, &draft, &rules, now).await?;
                report.offers += 1;
            }
        }
    }
    // The demo's own partner account's bank is a partner too.
    if let Some(user) = stores.accounts.find_user_by_username("bank").await? {
        if let Some(org) = user.org_id {
            if store.get_partner(org).await?.is_none() {
                if let Some(o) = stores.people.get_org(Access::Org(org), org).await? {
                    let serves =
                        RegionCode::from_value(o.region.value() / 100 * 100).unwrap_or(o.region);
                    store
                        .upsert_partner(
                            &Partner {
                                org_id: org,
                                name: o.name.clone(),
                                kind: PartnerKind::Bank,
                                serves_region: serves,
                            },
                            now,
                        )
                        .await?;
                    report.partners += 1;
                    for (draft, rules) in offers_for(PartnerKind::Bank, serves, now) {
                        store.insert_offer(org, &draft, &rules, now).await?;
                        report.offers += 1;
                    }
                }
            }
        }
    }

    // Needs: up to six enterprises per city, with their facts.
    let enterprises = stores
        .people
        .list_orgs(&all(OrgKind::Enterprise))
        .await?
        .items;
    let mut per_city: std::collections::HashMap<u32, usize> = Default::default();
    let mut needs = Vec::new();
    for o in &enterprises {
        let n = per_city.entry(o.region.value() / 100).or_default();
        if *n >= 6 {
            continue;
        }
        *n += 1;
        let as_of = now - rng.random_range(1..60) * 86_400;
        let fact = |metric: &str, v: i64, source: FactSource| Fact {
            metric: metric.into(),
            value: FactValue::Number(v),
            period: "近 12 个月".into(),
            source,
            as_of,
        };
        let facts = vec![
            fact(
                "sales_12m_fen",
                sales_for(o.sales_band, &mut rng),
                FactSource::Declared,
            ),
            fact(
                "shop_age_months",
                rng.random_range(2..72),
                FactSource::Declared,
            ),
            fact(
                "refund_rate_bp",
                rng.random_range(300..2500),
                FactSource::Declared,
            ),
            fact(
                "violations_12m",
                rng.random_bool(0.1) as i64,
                FactSource::Declared,
            ),
        ];
        store.add_facts(o.id, &facts, None).await?;
        let kind = match rng.random_range(0..100) {
            0..60 => OfferKind::Loan,
            60..75 => OfferKind::Traffic,
            75..90 => OfferKind::Space,
            _ => OfferKind::Service,
        };
        let amount = (kind == OfferKind::Loan).then(|| rng.random_range(3..300) * 1_000_000);
        let created = now - rng.random_range(5..150) * 86_400;
        let id = store
            .insert_need(
                &NeedDraft {
                    org_id: o.id,
                    kind,
                    amount_fen: amount,
                    purpose: match kind {
                        OfferKind::Loan => "旺季备货与直播间设备",
                        OfferKind::Traffic => "新品上线，需要直播间流量",
                        OfferKind::Space => "扩大直播间和仓储",
                        _ => "财税规范与品牌打造",
                    }
                    .into(),
                    consent_facts: vec!["sales_12m_fen".into(), "shop_age_months".into()],
                    consent_until: now + 180 * 86_400,
                },
                None,
                created,
            )
            .await?;
        needs.push((id, created));
        report.needs += 1;
    }
    svc.evaluate_all().await?;

    // Applications in every state, to each need's best open offer.
    for (need_id, created) in needs {
        if rng.random_bool(0.25) {
            continue;
        }
        let Some(need) = store.get_need(need_id).await? else {
            continue;
        };
        let mut matches = store.matches_of_need(need_id).await?;
        matches.retain(|m| m.eligibility != Eligibility::Ineligible);
        matches.sort_by(|a, b| {
            a.eligibility
                .cmp(&b.eligibility)
                .then(b.score_tenths.cmp(&a.score_tenths))
        });
        let Some(best) = matches.first() else {
            continue;
        };
        let Some(o) = store.get_offer(best.offer_id).await? else {
            continue;
        };
        let at = created + rng.random_range(1..5) * 86_400;
        let requested = need.draft.amount_fen;
        let app = Application {
            id: 0,
            need_id,
            offer_id: o.id,
            org_id: need.draft.org_id,
            region: need.region,
            state: AppState::Submitted,
            amount_requested_fen: requested,
            amount_approved_fen: None,
            amount_disbursed_fen: None,
            first_time_borrower: rng.random_bool(0.4),
            due_at: Some(add_working_days(at, o.draft.decision_days)),
            created_at: at,
            decided_at: None,
        };
        let id = store
            .insert_application(
                &app,
                &AppEvent {
                    from: None,
                    to: AppState::Submitted,
                    action: None,
                    actor_user: None,
                    comment: String::new(),
                    at,
                },
            )
            .await?;
        report.applications += 1;
        let approved = requested.map(|r| r * rng.random_range(6..=10) / 10);
        let path: &[(Action, AppState)] = match rng.random_range(0..10) {
            0 => &[],
            1 => &[(Action::Accept, AppState::Accepted)],
            2 => &[
                (Action::Accept, AppState::Accepted),
                (Action::Review, AppState::InReview),
                (Action::AskMore, AppState::MoreInfo),
            ],
            3 => &[
                (Action::Accept, AppState::Accepted),
                (Action::Review, AppState::InReview),
                (Action::Decline, AppState::Declined),
            ],
            4 => &[(Action::Withdraw, AppState::Withdrawn)],
            5 => &[(Action::Expire, AppState::Expired)],
            6 => &[
                (Action::Accept, AppState::Accepted),
                (Action::Review, AppState::InReview),
                (Action::Approve, AppState::Approved),
            ],
            7 | 8 => &[
                (Action::Accept, AppState::Accepted),
                (Action::Review, AppState::InReview),
                (Action::Approve, AppState::Approved),
                (Action::Disburse, AppState::Disbursed),
            ],
            _ => &[
                (Action::Accept, AppState::Accepted),
                (Action::Review, AppState::InReview),
                (Action::Approve, AppState::Approved),
                (Action::Disburse, AppState::Disbursed),
                (Action::Close, AppState::Closed),
            ],
        };
        let mut from = AppState::Submitted;
        let mut t = at;
        for &(action, to) in path {
            t += rng.random_range(1..4) * 86_400;
            let mut fields = MoveFields::default();
            let comment = match action {
                Action::Decline => "近 12 个月退款率偏高，暂不符合授信条件",
                Action::AskMore => "请补充近 6 个月店铺流水",
                _ => "",
            };
            match action {
                Action::Approve => {
                    fields.amount_approved_fen = approved;
                    fields.decided_at = Some(t);
                    fields.due_at = Some(None);
                }
                Action::Decline => {
                    fields.decided_at = Some(t);
                    fields.due_at = Some(None);
                }
                Action::Disburse => fields.amount_disbursed_fen = approved,
                Action::AskMore | Action::Withdraw | Action::Expire | Action::Close => {
                    fields.due_at = Some(None)
                }
                _ => {}
            }
            let event = AppEvent {
                from: Some(from),
                to,
                action: Some(action),
                actor_user: None,
                comment: comment.into(),
                at: t,
            };
            store.move_application(id, from, &event, &fields).await?;
            from = to;
        }
    }
    Ok(Some(report))
}
