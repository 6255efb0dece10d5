//! Resource matching's store on the real database: offers with rules kept
//! as data and versioned, facts, needs, evaluations that flip with a fact,
//! and applications that keep one active per enterprise and offer and move
//! only from where they are.

use fanxing_core::matching::pipeline::{add_working_days, Action, AppState};
use fanxing_core::matching::rules::{current_facts, evaluate, Eligibility, Op, Rule};
use fanxing_core::matching::store::{
    AppEvent, AppScope, Application, MatchRow, MatchingStore, MoveFields, NeedDraft, OfferDraft,
    Partner,
};
use fanxing_core::matching::{Fact, FactSource, FactValue, OfferKind, PartnerKind, Stage};
use fanxing_core::people::{OrgDraft, OrgId, OrgKind};
use fanxing_core::region::RegionCode;
use fanxing_core::store::prelude::*;

use crate::common::{TestApp, CALENDAR};

fn region(v: u32) -> RegionCode {
    RegionCode::from_value(v).unwrap()
}

fn org(name: &str, kind: OrgKind, r: u32) -> OrgDraft {
    OrgDraft {
        name: name.into(),
        kind,
        industry: Some("服装".into()),
        sales_band: None,
        credit_code: None,
        region: region(r),
    }
}

fn rule(field: &str, op: Op, value: &str, hard: bool) -> Rule {
    Rule {
        id: 0,
        field: field.into(),
        op,
        value: value.into(),
        hard,
        message_zh: format!("{field} 不符合"),
        message_en: format!("{field} does not qualify"),
        citation: "产品说明书第 3 条".into(),
        max_age_days: None,
    }
}

fn loan() -> OfferDraft {
    OfferDraft {
        kind: OfferKind::Loan,
        title: "电商贷（起步）".into(),
        description: "面向起步期直播电商企业的信用贷款".into(),
        amount_min_fen: Some(3_000_000),
        amount_max_fen: Some(30_000_000),
        term_months: Some(12),
        rate_min_bp: Some(400),
        rate_max_bp: Some(800),
        price_fen: None,
        materials: "营业执照；近 6 个月店铺流水".into(),
        decision_days: 5,
        quota: Some(100),
        valid_from: 1_767_225_600,
        valid_until: 1_798_761_600,
        policy_basis: "苏州市直播电商扶持办法".into(),
        stages: vec![Stage::S1],
    }
}

async fn rules_of(s: &dyn MatchingStore, offer: i64) -> Vec<Rule> {
    let rules = s.rules_of(&[offer]).await.unwrap();
    rules.into_iter().map(|(_, r)| r).collect()
}

async fn facts_of(s: &dyn MatchingStore, org: OrgId) -> Vec<Fact> {
    let facts = s.facts_of(&[org]).await.unwrap();
    facts.into_iter().map(|(_, f)| f).collect()
}

#[tokio::test]
async fn offers_facts_needs_matches_and_applications_round_trip() {
    let app = TestApp::spawn_with(None).await;
    let s = &app.opened.store;
    let now = 1_796_000_000;
    let bank = s
        .insert_org(&org("苏州示例农商银行", OrgKind::Bank, 320500), now)
        .await
        .unwrap();
    let firm = s
        .insert_org(
            &org("昆山示例服饰有限公司", OrgKind::Enterprise, 320583),
            now,
        )
        .await
        .unwrap();
    let partner = Partner {
        org_id: bank,
        name: "苏州示例农商银行".into(),
        kind: PartnerKind::Bank,
        serves_region: region(320500),
    };
    s.upsert_partner(&partner, now).await.unwrap();
    assert_eq!(s.get_partner(bank).await.unwrap().unwrap(), partner);

    // An offer with its rules, in order; a change is one version up.
    let rules = vec![
        rule("region", Op::Within, "320500", true),
        rule("shop_age_months", Op::Ge, "6", true),
        rule("refund_rate_bp", Op::Le, "1500", false),
    ];
    let offer = s.insert_offer(bank, &loan(), &rules, now).await.unwrap();
    let stored = s.get_offer(offer).await.unwrap().unwrap();
    assert_eq!((stored.draft.clone(), stored.ruleset_version), (loan(), 1));
    let got = rules_of(&**s, offer).await;
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].field, "shop_age_months");
    assert_eq!(got[1].message_zh, "shop_age_months 不符合");
    let mut fewer = rules.clone();
    fewer.remove(2);
    let mut terms = loan();
    terms.amount_max_fen = Some(50_000_000);
    assert_eq!(
        s.update_offer(offer, &terms, &fewer, now + 1)
            .await
            .unwrap(),
        2
    );
    let kept = rules_of(&**s, offer).await;
    assert_eq!(kept.len(), 2);
    assert_eq!(
        (kept[0].id, kept[1].id),
        (got[0].id, got[1].id),
        "a rule keeps its id where its place is kept"
    );
    assert_eq!(
        s.get_offer(offer)
            .await
            .unwrap()
            .unwrap()
            .draft
            .amount_max_fen,
        Some(50_000_000)
    );

    // Facts, and an evaluation that flips with one of them.
    let fact = |metric: &str, value: FactValue, source: FactSource, as_of: i64| Fact {
        metric: metric.into(),
        value,
        period: "2026".into(),
        source,
        as_of,
    };
    s.add_facts(
        firm,
        &[
            fact(
                "region",
                FactValue::Number(320583),
                FactSource::Declared,
                now,
            ),
            fact(
                "shop_age_months",
                FactValue::Number(3),
                FactSource::Platform,
                now,
            ),
            fact(
                "industry",
                FactValue::Text("服装".into()),
                FactSource::Declared,
                now,
            ),
        ],
        None,
    )
    .await
    .unwrap();
    let need = s
        .insert_need(
            &NeedDraft {
                org_id: firm,
                kind: OfferKind::Loan,
                amount_fen: Some(20_000_000),
                purpose: "备货".into(),
                consent_facts: vec!["shop_age_months".into(), "sales_12m_fen".into()],
                consent_until: now + 90 * 86_400,
            },
            None,
            now,
        )
        .await
        .unwrap();
    let n = s.get_need(need).await.unwrap().unwrap();
    assert_eq!(n.region, region(320583));
    // Read at once with the enterprise's facts (numbers and text, in the
    // order recorded), and a need of an enterprise without any.
    let bare = s
        .insert_org(
            &org("无锡示例茶业有限公司", OrgKind::Enterprise, 320205),
            now,
        )
        .await
        .unwrap();
    let bare_need = NeedDraft {
        org_id: bare,
        kind: OfferKind::Service,
        amount_fen: None,
        purpose: "代账".into(),
        consent_facts: vec![],
        consent_until: now + 86_400,
    };
    let bare_id = s.insert_need(&bare_need, None, now).await.unwrap();
    let together: Vec<(fanxing_core::matching::store::Need, Vec<Fact>)> = s
        .open_needs_with_facts(None)
        .await
        .unwrap()
        .into_iter()
        .map(|i| {
            assert_eq!(i.digest, None);
            (i.need, i.facts)
        })
        .collect();
    let facts = facts_of(&**s, firm).await;
    assert_eq!(facts.len(), 3);
    assert_eq!(
        together,
        vec![
            (n.clone(), facts),
            (s.get_need(bare_id).await.unwrap().unwrap(), vec![])
        ]
    );

    assert_eq!(n.draft.consent_facts.len(), 2);
    assert_eq!(
        s.open_needs(region(320500).subtree()).await.unwrap().len(),
        1
    );
    assert!(s
        .open_needs(region(320100).subtree())
        .await
        .unwrap()
        .is_empty());

    let verdict = |facts: Vec<(OrgId, Fact)>| {
        let facts: Vec<Fact> = facts.into_iter().map(|(_, f)| f).collect();
        evaluate(&fewer, &current_facts(&facts), now + 10)
    };
    let v = verdict(s.facts_of(&[firm]).await.unwrap());
    assert_eq!(v.eligibility, Eligibility::Ineligible);
    let save = |v: &fanxing_core::matching::rules::Verdict, version: i64| MatchRow {
        need_id: need,
        offer_id: offer,
        eligibility: v.eligibility,
        score_tenths: 826,
        factors: "[]".into(),
        trace: serde_json::to_string(&v.trace).unwrap(),
        digest: 1,
        ruleset_version: version,
        evaluated_at: now + 10,
    };
    s.save_matches(&[save(&v, 2)], &[]).await.unwrap();
    s.add_facts(
        firm,
        &[fact(
            "shop_age_months",
            FactValue::Number(9),
            FactSource::Platform,
            now + 5,
        )],
        None,
    )
    .await
    .unwrap();
    let v = verdict(s.facts_of(&[firm]).await.unwrap());
    assert_eq!(v.eligibility, Eligibility::Eligible);
    s.save_matches(&[save(&v, 2)], &[(offer, 2)]).await.unwrap();
    let m = s.matches_of_need(need).await.unwrap();
    assert_eq!(m.len(), 1, "one row per need and offer, replaced");
    let digests: Vec<(i64, Option<i64>)> = s
        .open_needs_with_facts(Some(offer))
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.need.id, i.digest))
        .collect();
    assert_eq!(digests, vec![(need, Some(1)), (bare_id, None)]);
    assert_eq!(m[0].eligibility, Eligibility::Eligible);
    assert_eq!(
        s.match_digests(&[need], &[offer]).await.unwrap(),
        vec![((need, offer), 1)]
    );
    assert!(s
        .match_digests(&[need], &[offer + 1])
        .await
        .unwrap()
        .is_empty());
    let stored = s.get_offer(offer).await.unwrap().unwrap();
    assert_eq!(
        (stored.ruleset_version, stored.evaluated_version),
        (2, 2),
        "the evaluation of every open need is recorded with the results"
    );

    // Applications: one active per enterprise and offer; moves only from
    // where the application is; every move an event.
    let submitted = Application {
        id: 0,
        need_id: need,
        offer_id: offer,
        org_id: firm,
        region: region(320583),
        state: AppState::Submitted,
        amount_requested_fen: Some(20_000_000),
        amount_approved_fen: None,
        amount_disbursed_fen: None,
        first_time_borrower: true,
        due_at: Some(add_working_days(now, 5)),
        created_at: now,
        decided_at: None,
    };
    let first = AppEvent {
        from: None,
        to: AppState::Submitted,
        action: None,
        actor_user: None,
        comment: String::new(),
        at: now,
    };
    let id = s.insert_application(&submitted, &first).await.unwrap();
    let again = s.insert_application(&submitted, &first).await.unwrap_err();
    assert!(
        format!("{again:?}").contains("app.already_active"),
        "{again:?}"
    );
    let mv = |from: AppState, to: AppState, action: Action, comment: &str, at: i64| {
        let e = AppEvent {
            from: Some(from),
            to,
            action: Some(action),
            actor_user: None,
            comment: comment.into(),
            at,
        };
        async move {
            s.move_application(id, from, &e, &MoveFields::default())
                .await
                .unwrap()
        }
    };
    assert!(
        mv(
            AppState::Submitted,
            AppState::Accepted,
            Action::Accept,
            "",
            now + 60
        )
        .await
    );
    // A second officer pressing 受理 on a stale page moves nothing.
    assert!(
        !mv(
            AppState::Submitted,
            AppState::Accepted,
            Action::Accept,
            "",
            now + 61
        )
        .await
    );
    // Overdue: still with the partner after its deadline.
    assert!(s.overdue_applications(now + 60).await.unwrap().is_empty());
    let late = add_working_days(now, 5) + 1;
    assert_eq!(s.overdue_applications(late).await.unwrap().len(), 1);
    assert!(
        mv(
            AppState::Accepted,
            AppState::Declined,
            Action::Decline,
            "经营不足 6 个月",
            now + 120
        )
        .await
    );
    assert!(s.overdue_applications(late).await.unwrap().is_empty());
    let events = s.events_of(id).await.unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].comment, "经营不足 6 个月");
    assert_eq!(events[2].from, Some(AppState::Accepted));
    // Declined is over: the enterprise may apply again.
    s.insert_application(&submitted, &first).await.unwrap();
    assert_eq!(
        s.list_applications(AppScope::Partner(bank))
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        s.list_applications(AppScope::Region(region(320100).subtree()))
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        s.list_applications(AppScope::Enterprise(firm))
            .await
            .unwrap()
            .iter()
            .filter(|a| a.state.is_active())
            .count(),
        1
    );
}

/// The matching service over the test server's store, on a clock the test
/// moves: Friday 4 December 2026, 00:00 Beijing.
fn clocked_service(
    app: &TestApp,
) -> (
    fanxing_core::matching::service::MatchingService,
    std::sync::Arc<std::sync::atomic::AtomicI64>,
) {
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::Arc;
    let store = app.opened.store.clone();
    let clock = Arc::new(AtomicI64::new(1_796_313_600));
    let c = clock.clone();
    let svc = fanxing_core::matching::service::MatchingService::new(
        store.clone(),
        store,
        app.opened.app.audit.clone(),
        Arc::new(move || c.load(Ordering::SeqCst)),
    );
    (svc, clock)
}

/// A loan offer of ¥30,000 to ¥300,000 at 4–8 %, decided in five working
/// days, valid through 2027, with `rules`.
fn loan_input(
    rules: Vec<fanxing_core::matching::service::RuleInput>,
) -> fanxing_core::matching::service::OfferInput {
    fanxing_core::matching::service::OfferInput {
        kind: "loan".into(),
        title: "电商贷".into(),
        amount_min_fen: Some(3_000_000),
        amount_max_fen: Some(30_000_000),
        rate_min_bp: Some(400),
        rate_max_bp: Some(800),
        decision_days: 5,
        valid_from: 1_767_225_600,
        valid_until: 1_830_000_000,
        rules,
        ..Default::default()
    }
}

async fn actor(app: &TestApp, name: &str) -> fanxing_core::auth::Actor {
    fanxing_core::auth::Actor::new(
        app.opened
            .store
            .find_user_by_username(name)
            .await
            .unwrap()
            .unwrap(),
    )
}

fn field_keys(e: &fanxing_core::error::Error) -> Vec<(String, String)> {
    match e {
        fanxing_core::error::Error::Invalid(f) => {
            f.0.iter()
                .map(|x| (x.field.to_string(), x.key.to_string()))
                .collect()
        }
        fanxing_core::error::Error::Conflict(x) => vec![(x.field.to_string(), x.key.to_string())],
        other => vec![("?".into(), format!("{other:?}"))],
    }
}

/// The whole path through the service: a partner's offer with rules, an
/// enterprise's need, the explanation that names the failing rule and
/// flips with a fact, applications that move only as the pipeline allows
/// and are seen only by those who may, and a deadline the test's clock
/// runs out.
#[tokio::test]
async fn a_need_is_matched_explained_applied_for_and_decided() {
    use fanxing_core::matching::pipeline::Action;
    use fanxing_core::matching::service::{NeedInput, OfferInput, RuleInput};
    use std::sync::atomic::Ordering;

    let app = TestApp::spawn().await;
    let store = app.opened.store.clone();
    let (svc, clock) = clocked_service(&app);
    let (admin, suzhou, nanjing) = (
        actor(&app, "admin").await,
        actor(&app, "suzhou").await,
        actor(&app, "nanjing").await,
    );
    let (bank, trainee) = (actor(&app, "bank").await, actor(&app, "trainee").await);
    let bank_org = bank.user.org_id.unwrap();
    let firm = trainee.user.org_id.unwrap();

    // Offices make partners; a partner without registration cannot offer.
    let loan = |title: &str, rules: Vec<RuleInput>| OfferInput {
        kind: "loan".into(),
        title: title.into(),
        amount_min_fen: Some(3_000_000),
        amount_max_fen: Some(30_000_000),
        rate_min_bp: Some(400),
        rate_max_bp: Some(800),
        decision_days: 5,
        valid_from: 1_767_225_600,
        valid_until: 1_830_000_000,
        rules,
        ..Default::default()
    };
    assert!(svc
        .save_offer(&bank, None, &loan("电商贷", vec![]))
        .await
        .is_err());
    svc.register_partner(&admin, bank_org, PartnerKind::Bank, region(320500))
        .await
        .unwrap();
    let rule = |field: &str, op: &str, value: &str, hard: bool, zh: &str| RuleInput {
        field: field.into(),
        op: op.into(),
        value: value.into(),
        hard,
        message_zh: zh.into(),
        message_en: format!("{field} not met"),
        citation: "产品说明书".into(),
        max_age_days: None,
    };
    // Bad terms and a rule that cannot be read are refused, by field and
    // row, and nothing is saved.
    let mut bad = loan(
        "电商贷",
        vec![
            rule("region", "within", "320500", true, "仅限苏州市企业"),
            rule("shop_age_months", "ge", "六", true, "店铺开设满 6 个月"),
        ],
    );
    bad.rate_max_bp = Some(5000);
    bad.amount_min_fen = Some(-1);
    let e = svc.save_offer(&bank, None, &bad).await.unwrap_err();
    let keys = field_keys(&e);
    assert!(
        keys.contains(&("rate_max_bp".into(), "match.rate_bad".into())),
        "{keys:?}"
    );
    assert!(
        keys.contains(&("amount_min_fen".into(), "match.amount_bad".into())),
        "{keys:?}"
    );
    assert!(
        keys.contains(&("rules".into(), "match.value_not_number".into())),
        "{keys:?}"
    );
    assert!(store
        .list_offers(Some(bank_org), false)
        .await
        .unwrap()
        .is_empty());

    let a = svc
        .save_offer(
            &bank,
            None,
            &loan(
                "电商贷（起步）",
                vec![
                    rule("region", "within", "320500", true, "仅限苏州市企业"),
                    rule("shop_age_months", "ge", "6", true, "店铺开设满 6 个月"),
                    rule("refund_rate_bp", "le", "1500", false, "退款率不高于 15%"),
                ],
            ),
        )
        .await
        .unwrap();
    let b = svc
        .save_offer(&bank, None, &loan("备货贷", vec![]))
        .await
        .unwrap();

    // The need: A waits for a fact, B is open.
    let need = svc
        .state_need(
            &trainee,
            &NeedInput {
                org_id: firm,
                kind: "loan".into(),
                amount_fen: Some(20_000_000),
                purpose: "双十一备货".into(),
                consent_facts: vec!["shop_age_months".into()],
                consent_days: 90,
            },
        )
        .await
        .unwrap();
    let find = |m: &[fanxing_core::matching::service::Explained], id: i64| {
        m.iter().find(|x| x.offer.id == id).unwrap().clone()
    };
    let m = svc.matches(&trainee, need.id).await.unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].offer.id, b.id, "the eligible offer ranks first");
    let ma = find(&m, a.id);
    assert_eq!(ma.eligibility, Eligibility::Tentative);
    assert_eq!(
        ma.to_supply,
        vec!["shop_age_months".to_string(), "refund_rate_bp".to_string()]
    );
    // A fact that fails the rule: the match says which rule, in its words.
    svc.declare_facts(
        &trainee,
        firm,
        &[(
            "shop_age_months".into(),
            FactValue::Number(3),
            "2026-11".into(),
        )],
    )
    .await
    .unwrap();
    let ma = find(&svc.matches(&trainee, need.id).await.unwrap(), a.id);
    assert_eq!(ma.eligibility, Eligibility::Ineligible);
    let why = ma.blocking.unwrap();
    assert_eq!(
        (
            why.field.as_str(),
            why.message_zh.as_str(),
            why.found.as_deref()
        ),
        ("shop_age_months", "店铺开设满 6 个月", Some("3"))
    );
    let e = svc.apply(&trainee, need.id, a.id, None).await.unwrap_err();
    assert_eq!(
        field_keys(&e),
        vec![("offer_id".into(), "match.ineligible".into())]
    );
    // Declaring another region does not move the enterprise: the record wins.
    svc.declare_facts(
        &trainee,
        firm,
        &[
            (
                "shop_age_months".into(),
                FactValue::Number(9),
                "2026-11".into(),
            ),
            (
                "refund_rate_bp".into(),
                FactValue::Number(900),
                "2026-11".into(),
            ),
            ("region".into(), FactValue::Number(320100), String::new()),
        ],
    )
    .await
    .unwrap();
    let ma = find(&svc.matches(&trainee, need.id).await.unwrap(), a.id);
    assert_eq!(ma.eligibility, Eligibility::Eligible, "{ma:?}");
    assert!(ma.blocking.is_none());

    // Applying: amounts checked, one active per offer.
    let e = svc
        .apply(&trainee, need.id, a.id, Some(-5))
        .await
        .unwrap_err();
    assert_eq!(
        field_keys(&e),
        vec![("amount_fen".into(), "match.amount_bad".into())]
    );
    let app_a = svc.apply(&trainee, need.id, a.id, None).await.unwrap();
    assert_eq!(app_a.amount_requested_fen, Some(20_000_000));
    let e = svc.apply(&trainee, need.id, a.id, None).await.unwrap_err();
    assert_eq!(
        field_keys(&e),
        vec![("offer_id".into(), "app.already_active".into())]
    );

    // Who sees it: the bank, Suzhou, the enterprise; not Nanjing, not
    // another bank.
    assert_eq!(svc.applications(&bank).await.unwrap().len(), 1);
    assert_eq!(svc.applications(&suzhou).await.unwrap().len(), 1);
    assert_eq!(svc.applications(&trainee).await.unwrap().len(), 1);
    assert!(svc.applications(&nanjing).await.unwrap().is_empty());
    assert!(svc.history(&nanjing, app_a.id).await.is_err());
    assert!(svc.matches(&nanjing, need.id).await.is_err());
    let other = store
        .insert_org(
            &fanxing_core::people::OrgDraft {
                name: "南京示例银行".into(),
                kind: OrgKind::Bank,
                industry: None,
                sales_band: None,
                credit_code: None,
                region: region(320100),
            },
            1,
        )
        .await
        .unwrap();
    let other_user = store
        .insert_user(&fanxing_core::people::store::NewUser {
            username: "bank2".into(),
            display_name: "南京示例银行".into(),
            password_hash: "x".into(),
            role: fanxing_core::auth::Role::Partner,
            region: None,
            person_id: None,
            org_id: Some(other),
        })
        .await
        .unwrap();
    svc.register_partner(&admin, other, PartnerKind::Bank, region(320100))
        .await
        .unwrap();
    let bank2 = fanxing_core::auth::Actor::new(store.get_user(other_user).await.unwrap().unwrap());
    assert!(svc.applications(&bank2).await.unwrap().is_empty());
    assert!(svc
        .act(&bank2, app_a.id, Action::Accept, None, None)
        .await
        .is_err());

    // The pipeline: illegal moves, comments, amounts.
    let e = svc
        .act(&bank, app_a.id, Action::Approve, None, Some(1))
        .await
        .unwrap_err();
    assert_eq!(field_keys(&e)[0].1, "app.illegal");
    svc.act(&bank, app_a.id, Action::Accept, None, None)
        .await
        .unwrap();
    svc.act(&bank, app_a.id, Action::Review, None, None)
        .await
        .unwrap();
    let e = svc
        .act(&bank, app_a.id, Action::Decline, Some(" "), None)
        .await
        .unwrap_err();
    assert_eq!(
        field_keys(&e),
        vec![("comment".into(), "app.comment_required".into())]
    );
    let more = svc
        .act(
            &bank,
            app_a.id,
            Action::AskMore,
            Some("请补充近 6 个月流水"),
            None,
        )
        .await
        .unwrap();
    assert_eq!((more.state, more.due_at), (AppState::MoreInfo, None));
    assert!(svc
        .act(&bank, app_a.id, Action::Supply, None, None)
        .await
        .is_err());
    svc.act(&trainee, app_a.id, Action::Supply, None, None)
        .await
        .unwrap();
    let e = svc
        .act(&bank, app_a.id, Action::Approve, None, Some(0))
        .await
        .unwrap_err();
    assert_eq!(
        field_keys(&e),
        vec![("amount_fen".into(), "match.amount_bad".into())]
    );
    // Outside the offer's own range (¥30,000 to ¥300,000): refused, named.
    for (amount, key) in [
        (2_000_000, "match.approve_below_min"),
        (40_000_000, "match.approve_above_max"),
    ] {
        let e = svc
            .act(&bank, app_a.id, Action::Approve, None, Some(amount))
            .await
            .unwrap_err();
        assert_eq!(field_keys(&e), vec![("amount_fen".into(), key.into())]);
    }
    svc.act(&bank, app_a.id, Action::Approve, None, Some(15_000_000))
        .await
        .unwrap();
    let e = svc
        .act(&bank, app_a.id, Action::Disburse, None, Some(16_000_000))
        .await
        .unwrap_err();
    assert_eq!(
        field_keys(&e),
        vec![("amount_fen".into(), "match.over_approved".into())]
    );
    let done = svc
        .act(&bank, app_a.id, Action::Disburse, None, Some(15_000_000))
        .await
        .unwrap();
    assert_eq!(
        (
            done.state,
            done.amount_approved_fen,
            done.amount_disbursed_fen
        ),
        (AppState::Disbursed, Some(15_000_000), Some(15_000_000))
    );
    let h = svc.history(&trainee, app_a.id).await.unwrap();
    assert_eq!(h.len(), 7);
    assert_eq!(h[3].comment, "请补充近 6 个月流水");

    // An offer with a quota of one, and one past its validity.
    let mut one = loan("限额贷", vec![]);
    one.quota = Some(1);
    let one = svc.save_offer(&bank, None, &one).await.unwrap();
    let mut old = loan("已过期产品", vec![]);
    old.valid_until = clock.load(Ordering::SeqCst) - 1;
    old.valid_from = old.valid_until - 86_400;
    let old = svc.save_offer(&bank, None, &old).await.unwrap();
    assert!(
        !svc.matches(&trainee, need.id)
            .await
            .unwrap()
            .iter()
            .any(|m| m.offer.id == old.id),
        "an offer past its validity is not matched"
    );
    svc.apply(&trainee, need.id, one.id, None).await.unwrap();
    let other_need = svc
        .state_need(
            &suzhou,
            &NeedInput {
                org_id: firm,
                kind: "loan".into(),
                amount_fen: Some(5_000_000),
                purpose: "设备".into(),
                consent_facts: vec![],
                consent_days: 30,
            },
        )
        .await
        .unwrap();
    let e = svc
        .apply(&trainee, other_need.id, one.id, None)
        .await
        .unwrap_err();
    // The one place is taken.
    assert_eq!(
        field_keys(&e),
        vec![("offer_id".into(), "match.quota_full".into())]
    );

    // A deadline the clock runs out: five working days from a Friday is
    // the next Friday; a minute after it, the application expires.
    let app_b = svc.apply(&suzhou, need.id, b.id, None).await.unwrap();
    assert!(svc.expire_overdue().await.unwrap().is_empty());
    clock.fetch_add(7 * 86_400 + 60, Ordering::SeqCst);
    let expired = svc.expire_overdue().await.unwrap();
    // Both still with the bank: the quota offer's and B's.
    assert_eq!(expired.len(), 2);
    assert!(expired.iter().any(|x| x.id == app_b.id));
    assert!(
        expired.iter().all(|x| x.id != app_a.id),
        "a disbursed one never expires"
    );
    assert_eq!(
        store
            .get_application(app_b.id)
            .await
            .unwrap()
            .unwrap()
            .state,
        AppState::Expired
    );
}

/// The speed factor follows what a partner does, not only what it
/// promises: after three decisions its median working days to a decision
/// replaces the promised deadline once matches are re-scored.
#[tokio::test]
async fn a_partner_s_observed_decision_time_feeds_the_ranking() {
    use fanxing_core::matching::service::NeedInput;
    use std::sync::atomic::Ordering;

    let app = TestApp::spawn().await;
    let store = app.opened.store.clone();
    let (svc, clock) = clocked_service(&app);
    let (admin, bank, trainee) = (
        actor(&app, "admin").await,
        actor(&app, "bank").await,
        actor(&app, "trainee").await,
    );
    let (bank_org, firm) = (bank.user.org_id.unwrap(), trainee.user.org_id.unwrap());
    svc.register_partner(&admin, bank_org, PartnerKind::Bank, region(320500))
        .await
        .unwrap();
    let offer = svc
        .save_offer(&bank, None, &loan_input(vec![]))
        .await
        .unwrap();
    let need = svc
        .state_need(
            &trainee,
            &NeedInput {
                org_id: firm,
                kind: "loan".into(),
                amount_fen: Some(10_000_000),
                purpose: "备货".into(),
                consent_facts: vec![],
                consent_days: 30,
            },
        )
        .await
        .unwrap();
    let speed = |m: &[fanxing_core::matching::service::Explained]| {
        m.iter()
            .find(|x| x.offer.id == offer.id)
            .unwrap()
            .factors
            .iter()
            .find(|f| f.name == "speed")
            .unwrap()
            .value
    };
    // The promise: five working days.
    let promised = speed(&svc.matches(&trainee, need.id).await.unwrap());
    assert!((promised - 0.5).abs() < 1e-9, "{promised}");
    assert_eq!(svc.refresh_observed().await.unwrap(), 0, "no decisions yet");

    // Three declines, each three calendar days after the application:
    // Friday → Monday (1 working day), Monday → Thursday (3), Thursday →
    // Sunday (1). The median is 1.
    for _ in 0..3 {
        let a = svc.apply(&trainee, need.id, offer.id, None).await.unwrap();
        clock.fetch_add(3 * 86_400, Ordering::SeqCst);
        svc.act(&bank, a.id, Action::Accept, None, None)
            .await
            .unwrap();
        svc.act(&bank, a.id, Action::Decline, Some("流水不足"), None)
            .await
            .unwrap();
    }
    let decided = store.decisions().await.unwrap();
    assert_eq!(decided.len(), 3);
    let days: Vec<i64> = decided
        .iter()
        .map(|(_, from, to)| fanxing_core::workdays::between(*from, *to))
        .collect();
    assert_eq!(days, vec![1, 3, 1]);
    // Not yet re-scored: the stored match still speaks of the promise.
    assert!((speed(&svc.matches(&trainee, need.id).await.unwrap()) - 0.5).abs() < 1e-9);
    assert_eq!(svc.refresh_observed().await.unwrap(), 1);
    let observed = speed(&svc.matches(&trainee, need.id).await.unwrap());
    assert!(
        (observed - 1.0 / (1.0 + 1.0 / 5.0)).abs() < 1e-3,
        "{observed}"
    );
    // Nothing changed since: nothing re-scored.
    assert_eq!(svc.refresh_observed().await.unwrap(), 0);
}

/// A rule change writes only the results it changes: the others stay as
/// they were stored, and their explanation says they hold under the new
/// ruleset. An evaluation that did not finish is found by the minute's
/// refresh and run again.
#[tokio::test]
async fn a_rule_change_rewrites_only_the_results_it_changes() {
    use fanxing_core::matching::service::RuleInput;
    use std::sync::atomic::Ordering;

    let app = TestApp::spawn().await;
    let store = app.opened.store.clone();
    let (svc, clock) = clocked_service(&app);
    let (admin, bank) = (actor(&app, "admin").await, actor(&app, "bank").await);
    let bank_org = bank.user.org_id.unwrap();
    svc.register_partner(&admin, bank_org, PartnerKind::Bank, region(320500))
        .await
        .unwrap();
    let now = clock.load(Ordering::SeqCst);
    // Two enterprises: trading 24 months and 9 months.
    let mut needs = Vec::new();
    for (name, months) in [("常熟示例服饰有限公司", 24), ("常熟示例茶业有限公司", 9)]
    {
        let firm = store
            .insert_org(&org(name, OrgKind::Enterprise, 320581), now)
            .await
            .unwrap();
        store
            .add_facts(
                firm,
                &[Fact {
                    metric: "shop_age_months".into(),
                    value: FactValue::Number(months),
                    period: String::new(),
                    source: FactSource::Declared,
                    as_of: now,
                }],
                None,
            )
            .await
            .unwrap();
        let need = store
            .insert_need(
                &NeedDraft {
                    org_id: firm,
                    kind: OfferKind::Loan,
                    amount_fen: Some(10_000_000),
                    purpose: "备货".into(),
                    consent_facts: vec![],
                    consent_until: now + 30 * 86_400,
                },
                None,
                now,
            )
            .await
            .unwrap();
        needs.push(need);
    }
    let months = |min: &str| {
        loan_input(vec![RuleInput {
            field: "shop_age_months".into(),
            op: "ge".into(),
            value: min.into(),
            hard: true,
            message_zh: format!("经营不足 {min} 个月"),
            message_en: format!("Trading for less than {min} months"),
            citation: String::new(),
            max_age_days: None,
        }])
    };
    let offer = svc.save_offer(&bank, None, &months("6")).await.unwrap();
    let office = actor(&app, "suzhou").await;
    let shown = |m: Vec<fanxing_core::matching::service::Explained>| {
        let m = m.into_iter().find(|x| x.offer.id == offer.id).unwrap();
        (m.eligibility, m.rules[0].value.clone(), m.ruleset_version)
    };
    // Read (and kept) before the change.
    assert_eq!(
        shown(svc.matches(&office, needs[1]).await.unwrap()),
        (Eligibility::Eligible, "6".to_string(), 1)
    );
    let row = |rows: Vec<MatchRow>| rows.into_iter().find(|m| m.offer_id == offer.id).unwrap();
    let before = [
        row(store.matches_of_need(needs[0]).await.unwrap()),
        row(store.matches_of_need(needs[1]).await.unwrap()),
    ];
    assert!(before
        .iter()
        .all(|m| m.eligibility == Eligibility::Eligible));

    clock.fetch_add(100, Ordering::SeqCst);
    let changed = svc
        .save_offer(&bank, Some(offer.id), &months("12"))
        .await
        .unwrap();
    assert_eq!((changed.ruleset_version, changed.evaluated_version), (2, 2));
    let kept = row(store.matches_of_need(needs[0]).await.unwrap());
    let flipped = row(store.matches_of_need(needs[1]).await.unwrap());
    assert_eq!(kept, before[0], "24 months still qualify: nothing written");
    assert_eq!(flipped.eligibility, Eligibility::Ineligible);
    assert_eq!(
        (flipped.ruleset_version, flipped.evaluated_at),
        (2, now + 100)
    );
    // Both explanations speak of the ruleset in force; the page read
    // before the change is not served again.
    assert_eq!(
        shown(svc.matches(&office, needs[1]).await.unwrap()),
        (Eligibility::Ineligible, "12".to_string(), 2)
    );
    for need in &needs {
        let m = svc.matches(&office, *need).await.unwrap();
        let m = m.iter().find(|x| x.offer.id == offer.id).unwrap();
        assert_eq!(m.ruleset_version, 2);
        assert_eq!(m.rules[0].value, "12");
    }

    // A change whose evaluation never ran (the server stopped between
    // the two): the refresh finds it and evaluates every open need.
    let mut terms = store.get_offer(offer.id).await.unwrap().unwrap().draft;
    terms.title = "电商贷（成长）".into();
    let rules: Vec<Rule> = store
        .rules_of(&[offer.id])
        .await
        .unwrap()
        .into_iter()
        .map(|(_, mut r)| {
            r.value = "6".into();
            r
        })
        .collect();
    assert_eq!(
        store
            .update_offer(offer.id, &terms, &rules, now + 200)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .get_offer(offer.id)
            .await
            .unwrap()
            .unwrap()
            .evaluated_version,
        2
    );
    svc.refresh_observed().await.unwrap();
    assert_eq!(
        store
            .get_offer(offer.id)
            .await
            .unwrap()
            .unwrap()
            .evaluated_version,
        3
    );
    let again = row(store.matches_of_need(needs[1]).await.unwrap());
    assert_eq!(again.eligibility, Eligibility::Eligible);
    assert_eq!(again.ruleset_version, 3);
}

/// A partner reads what the enterprise consented to share with it, and
/// nothing else: only for an application made to its own offer, only the
/// consented metrics, only while the consent lasts; every read audited. A
/// fact it verifies outranks the declared one and re-evaluates the match.
#[tokio::test]
async fn a_partner_reads_and_verifies_only_the_facts_shared_with_it() {
    use fanxing_core::audit::AuditStore;
    use fanxing_core::matching::service::{NeedInput, RuleInput};
    use std::sync::atomic::Ordering;

    let app = TestApp::spawn().await;
    let store = app.opened.store.clone();
    let (svc, clock) = clocked_service(&app);
    let (admin, bank, trainee, suzhou) = (
        actor(&app, "admin").await,
        actor(&app, "bank").await,
        actor(&app, "trainee").await,
        actor(&app, "suzhou").await,
    );
    let (bank_org, firm) = (bank.user.org_id.unwrap(), trainee.user.org_id.unwrap());
    svc.register_partner(&admin, bank_org, PartnerKind::Bank, region(320500))
        .await
        .unwrap();
    let offer = svc
        .save_offer(
            &bank,
            None,
            &loan_input(vec![RuleInput {
                field: "shop_age_months".into(),
                op: "ge".into(),
                value: "6".into(),
                hard: true,
                message_zh: "店铺开设满 6 个月".into(),
                message_en: "The shop has traded 6 months".into(),
                citation: "产品说明书".into(),
                max_age_days: None,
            }]),
        )
        .await
        .unwrap();
    svc.declare_facts(
        &trainee,
        firm,
        &[
            (
                "shop_age_months".into(),
                FactValue::Number(8),
                "2026-11".into(),
            ),
            (
                "refund_rate_bp".into(),
                FactValue::Number(900),
                "2026-11".into(),
            ),
        ],
    )
    .await
    .unwrap();
    let need = svc
        .state_need(
            &trainee,
            &NeedInput {
                org_id: firm,
                kind: "loan".into(),
                amount_fen: Some(10_000_000),
                purpose: "备货".into(),
                consent_facts: vec!["shop_age_months".into(), "sales_12m_fen".into()],
                consent_days: 30,
            },
        )
        .await
        .unwrap();
    let a = svc.apply(&trainee, need.id, offer.id, None).await.unwrap();
    // The bank's queue names the applicant.
    let named = svc.applications_named(&bank).await.unwrap();
    assert_eq!(named.len(), 1);
    assert_eq!(
        (named[0].0.id, named[0].1.as_str()),
        (a.id, need.org_name.as_str())
    );
    assert!(!need.org_name.is_empty());

    // The bank sees the consented metric it holds a value for, not the
    // refund rate the enterprise did not share.
    let shared = svc.applicant_facts(&bank, a.id).await.unwrap();
    assert!(!shared.expired);
    assert_eq!(shared.consented, vec!["shop_age_months", "sales_12m_fen"]);
    let metrics: Vec<&str> = shared.facts.iter().map(|f| f.metric.as_str()).collect();
    assert_eq!(metrics, vec!["shop_age_months"]);
    assert_eq!(shared.facts[0].source, FactSource::Declared);
    // Nobody else reads them through this door: not the enterprise, not
    // an office, not another bank.
    for who in [&trainee, &suzhou, &admin] {
        assert!(svc.applicant_facts(who, a.id).await.is_err());
    }
    let audit = store.list_audit(20).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "match.facts_read" && e.target == format!("application:{}", a.id)),
        "the read is audited"
    );

    // Verifying: a metric not shared is refused; the shared one is stored
    // as verified and outranks a newer declared value.
    let e = svc
        .verify_fact(&bank, a.id, "refund_rate_bp", FactValue::Number(900), "")
        .await
        .unwrap_err();
    assert_eq!(
        field_keys(&e),
        vec![("metric".into(), "match.not_consented".into())]
    );
    svc.verify_fact(
        &bank,
        a.id,
        "shop_age_months",
        FactValue::Number(4),
        "2026-11",
    )
    .await
    .unwrap();
    clock.fetch_add(60, Ordering::SeqCst);
    svc.declare_facts(
        &trainee,
        firm,
        &[(
            "shop_age_months".into(),
            FactValue::Number(20),
            "2026-12".into(),
        )],
    )
    .await
    .unwrap();
    let shared = svc.applicant_facts(&bank, a.id).await.unwrap();
    assert_eq!(
        (shared.facts[0].source, shared.facts[0].value.clone()),
        (FactSource::Verified, FactValue::Number(4))
    );
    // The verified figure decides the match: four months fail the rule.
    let m = svc.matches(&trainee, need.id).await.unwrap();
    let m = m.iter().find(|x| x.offer.id == offer.id).unwrap();
    assert_eq!(m.eligibility, Eligibility::Ineligible);
    assert_eq!(m.blocking.as_ref().unwrap().found.as_deref(), Some("4"));

    // The page: the bank sees the shared fact and its source in words.
    let (client, csrf) = app.login("bank").await;
    let page = app
        .get(&client, &format!("/match/applications/{}", a.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("店铺经营月数") && page.contains("机构核实"),
        "{page}"
    );
    assert!(
        !page.contains("退款率"),
        "an unshared fact is not on the page"
    );
    let res = app
        .post_form(
            &client,
            &csrf,
            &format!("/match/applications/{}/verify", a.id),
            &[
                ("metric", "shop_age_months"),
                ("kind", "number"),
                ("value", "七"),
                ("period", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("数值格式不对"));

    // Once the consent runs out, nothing is shown or verified.
    clock.fetch_add(31 * 86_400, Ordering::SeqCst);
    let shared = svc.applicant_facts(&bank, a.id).await.unwrap();
    assert!(shared.expired && shared.facts.is_empty());
    let e = svc
        .verify_fact(&bank, a.id, "shop_age_months", FactValue::Number(9), "")
        .await
        .unwrap_err();
    assert_eq!(
        field_keys(&e),
        vec![("metric".into(), "match.consent_expired".into())]
    );
}

/// An office states a need on the page for an enterprise of its region,
/// named by its full name or its credit code; one outside the region, or
/// a name that is not an enterprise's, is refused by field; the act is
/// audited.
#[tokio::test]
async fn an_office_states_a_need_for_an_enterprise_of_its_region() {
    use fanxing_core::audit::AuditStore;

    let app = with_examples().await;
    let trainee = actor(&app, "trainee").await;
    let firm = app
        .opened
        .store
        .get_org(
            fanxing_core::auth::Access::Org(trainee.user.org_id.unwrap()),
            trainee.user.org_id.unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let (suzhou, csrf) = app.login("suzhou").await;
    let page = app.get(&suzhou, "/match").await.text().await.unwrap();
    assert!(page.contains("为企业提出对接需求"), "the office's form");
    let state = |who: String| {
        let (client, csrf) = (suzhou.clone(), csrf.clone());
        let app = &app;
        async move {
            app.post_form(
                &client,
                &csrf,
                "/match/needs",
                &[
                    ("enterprise", who.as_str()),
                    ("kind", "loan"),
                    ("amount_yuan", "30万"),
                    ("purpose", "直播间设备"),
                ],
            )
            .await
        }
    };
    // A name no enterprise of the region has.
    let res = state("不存在的企业".into()).await;
    assert!(res.text().await.unwrap().contains("本地区没有该名称"));
    // By full name.
    let res = state(firm.name.clone()).await;
    assert_eq!(res.status(), 303, "by name");
    let url = res.headers()["location"].to_str().unwrap().to_string();
    let need = app.get(&suzhou, &url).await.text().await.unwrap();
    assert!(need.contains(&firm.name), "the need is the enterprise's");

    // The ranked matches through the API, a page at a time: the same order
    // as the whole list, and the count in a header.
    let need_id: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    let api = format!("/api/v1/match/needs/{need_id}/matches");
    let res = app.get(&suzhou, &api).await;
    assert_eq!(res.status(), 200);
    let total: usize = res.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let all: Vec<serde_json::Value> = res.json().await.unwrap();
    assert!(total >= 2 && all.len() == total, "{total} {}", all.len());
    let res = app.get(&suzhou, &format!("{api}?offset=1&limit=1")).await;
    assert_eq!(
        res.headers()["x-total-count"].to_str().unwrap(),
        total.to_string()
    );
    let page: Vec<serde_json::Value> = res.json().await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["offer"]["id"], all[1]["offer"]["id"]);
    assert_eq!(page[0]["rules"], all[1]["rules"]);
    // A client that takes gzip gets the same answer compressed; the page
    // the server now keeps is refused to an office of another city.
    let res = suzhou
        .get(app.url(&api))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    assert_eq!(
        res.headers()["x-total-count"].to_str().unwrap(),
        total.to_string()
    );
    let zipped = res.bytes().await.unwrap();
    let unzipped: Vec<serde_json::Value> =
        serde_json::from_reader(flate2::read::GzDecoder::new(&zipped[..])).unwrap();
    assert_eq!(unzipped, all);
    let elsewhere = app.api("nanjing").await;
    assert_eq!(app.get(&elsewhere, &api).await.status(), 404);
    let res = app.get(&suzhou, &format!("{api}?limit=0")).await;
    assert_eq!(res.status(), 422);
    let e: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        e["error"]["fields"]["limit"], "每页条数须为 1 至 500",
        "{e}"
    );
    // By credit code, typed in lower case with spaces, when it has one.
    if let Some(code) = &firm.credit_code {
        let typed = format!(" {} ", code.to_lowercase());
        let res = state(typed).await;
        assert_eq!(res.status(), 303, "by credit code");
    }
    // Nanjing's office cannot reach a Suzhou enterprise.
    let (nanjing, ncsrf) = app.login("nanjing").await;
    let res = app
        .post_form(
            &nanjing,
            &ncsrf,
            "/match/needs",
            &[
                ("enterprise", firm.name.as_str()),
                ("kind", "loan"),
                ("amount_yuan", "30万"),
                ("purpose", "设备"),
            ],
        )
        .await;
    assert!(res.text().await.unwrap().contains("本地区没有该名称"));
    let audit = app.opened.store.list_audit(50).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "match.need_for" && e.target == format!("org:{}", firm.id)),
        "the office's act is audited"
    );
}

/// A need's page explains the first 50 offers and says how many there
/// are, with a link to all of them (a phone should not load hundreds).
#[tokio::test]
async fn a_need_s_page_shows_the_first_fifty_offers_and_links_to_all() {
    use fanxing_core::matching::service::NeedInput;

    let app = TestApp::spawn().await;
    let (svc, _clock) = clocked_service(&app);
    let store = app.opened.store.clone();
    let (admin, bank, trainee) = (
        actor(&app, "admin").await,
        actor(&app, "bank").await,
        actor(&app, "trainee").await,
    );
    let bank_org = bank.user.org_id.unwrap();
    svc.register_partner(&admin, bank_org, PartnerKind::Bank, region(320000))
        .await
        .unwrap();
    for i in 0..51 {
        let mut o = loan();
        o.title = format!("示例贷款{i:02}");
        o.stages = Vec::new();
        store.insert_offer(bank_org, &o, &[], 1).await.unwrap();
    }
    let need = svc
        .state_need(
            &trainee,
            &NeedInput {
                org_id: trainee.user.org_id.unwrap(),
                kind: "loan".into(),
                amount_fen: Some(10_000_000),
                purpose: "备货".into(),
                consent_facts: vec![],
                consent_days: 30,
            },
        )
        .await
        .unwrap();
    let (client, _) = app.login("trainee").await;
    let url = format!("/match/needs/{}", need.id);
    let page = app.get(&client, &url).await.text().await.unwrap();
    assert_eq!(page.matches("<li class=\"card\"").count(), 50);
    assert!(page.contains("按排序显示前 50 个，共 51 个"), "{page}");
    assert!(page.contains(&format!("{url}?all=1")));
    let page = app
        .get(&client, &format!("{url}?all=1"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("<li class=\"card\"").count(), 51);
    assert!(!page.contains("按排序显示前"));
}

/// The programme office enters a year's holiday arrangement (the State
/// Council publishes it each November); deadlines count it at once.
/// Everyone reads it; nobody else writes it; a wrong date is refused by
/// row.
#[tokio::test]
async fn the_programme_office_enters_a_year_s_holidays_and_deadlines_count_them() {
    use fanxing_core::audit::AuditStore;

    let _calendar = CALENDAR.lock().await;
    let app = TestApp::spawn().await;
    // 2029 is not built in: Monday to Friday until entered. Friday
    // 9 February 2029, 10:00 Beijing.
    let friday = 1_865_296_800;
    assert_eq!(add_working_days(friday, 1) - friday, 3 * 86_400);
    let (admin, admin_csrf) = app.login("admin").await;
    let (suzhou, suzhou_csrf) = app.login("suzhou").await;
    let res = app.get(&suzhou, "/api/v1/holidays/2029").await;
    let got: serde_json::Value = res.json().await.unwrap();
    assert_eq!(got["source"], "none");
    let got: serde_json::Value = app
        .get(&suzhou, "/api/v1/holidays/2026")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["source"], "built_in");
    assert_eq!(got["arrangement"]["holidays"][1]["first"], "2026-02-15");

    let put = |client: &reqwest::Client, csrf: &str, body: serde_json::Value| {
        let (client, url) = (client.clone(), app.url("/api/v1/holidays/2029"));
        let csrf = csrf.to_string();
        async move {
            client
                .put(url)
                .header("X-CSRF-Token", csrf)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let arrangement = serde_json::json!({
        "holidays": [{"first": "2029-02-12", "last": "2029-02-18", "name": "春节（测试）"}],
        "worked_weekends": ["2029-02-10"]
    });
    // Only the programme office writes it.
    let res = put(&suzhou, &suzhou_csrf, arrangement.clone()).await;
    assert_eq!(res.status(), 403);
    // Wrong rows are refused by row, nothing stored.
    let res = put(
        &admin,
        &admin_csrf,
        serde_json::json!({
            "holidays": [
                {"first": "2029-02-30", "last": "2029-03-01", "name": "春节"},
                {"first": "2029-05-05", "last": "2029-05-01", "name": "劳动节"}
            ],
            "worked_weekends": ["2029-02-14"]
        }),
    )
    .await;
    assert_eq!(res.status(), 422);
    let e: serde_json::Value = res.json().await.unwrap();
    let text = e.to_string();
    assert!(
        text.contains("第 1 条") && text.contains("周六或周日"),
        "{text}"
    );
    assert_eq!(add_working_days(friday, 1) - friday, 3 * 86_400);
    // Entered: the Saturday is worked, the next week is off.
    let res = put(&admin, &admin_csrf, arrangement).await;
    assert_eq!(res.status(), 200);
    let got: serde_json::Value = res.json().await.unwrap();
    assert_eq!(got["source"], "stored");
    assert_eq!(
        add_working_days(friday, 1) - friday,
        86_400,
        "Saturday 10th"
    );
    assert_eq!(
        add_working_days(friday, 2) - friday,
        10 * 86_400,
        "Monday 19th"
    );
    let audit = app.opened.store.list_audit(20).await.unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "holidays.set" && e.target == "year:2029"));
}

/// The holiday page: everyone reads a year's arrangement and where it
/// came from; the programme office enters one in a form, a wrong row is
/// named and nothing is saved, a right one counts at once.
#[tokio::test]
async fn the_holiday_page_shows_a_year_and_the_office_enters_it_in_a_form() {
    let _calendar = CALENDAR.lock().await;
    let app = TestApp::spawn().await;
    let (admin, csrf) = app.login("admin").await;
    let (bank, _) = app.login("bank").await;
    let page = app.get_text(&bank, "/match/holidays?year=2026").await;
    assert!(
        page.contains("春节") && page.contains("2026-02-15"),
        "{page}"
    );
    assert!(page.contains("系统内置"), "the source is named");
    assert!(!page.contains("name_0"), "no form for a partner");
    let page = app.get_text(&bank, "/match/holidays?year=2030").await;
    assert!(page.contains("尚未录入"), "an unknown year says so");
    let res = app.get(&bank, "/match/holidays?year=abc").await;
    assert_eq!(res.status(), 404);
    let home = app.get_text(&bank, "/match").await;
    assert!(
        home.contains("/match/holidays"),
        "linked from the matching page"
    );

    let form = app.get_text(&admin, "/match/holidays?year=2030").await;
    assert!(
        form.contains("name_9") && form.contains("worked_9"),
        "ten rows each"
    );
    let save = |rows: &[(&'static str, &'static str)]| {
        let mut fields = vec![
            ("name_0", "元旦"),
            ("first_0", "2030-01-01"),
            ("last_0", "2030-01-01"),
        ];
        fields.extend_from_slice(rows);
        let (admin, csrf) = (admin.clone(), csrf.clone());
        let app = &app;
        async move {
            app.post_form(&admin, &csrf, "/match/holidays/2030", &fields)
                .await
        }
    };
    let stored = || async {
        let res = app.get(&bank, "/api/v1/holidays/2030").await;
        res.json::<serde_json::Value>().await.unwrap()
    };
    // A worked day that is a Wednesday, and a holiday running backwards.
    let res = save(&[
        ("name_1", "春节"),
        ("first_1", "2030-02-09"),
        ("last_1", "2030-02-02"),
        ("worked_0", "2030-01-02"),
    ])
    .await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("第 2 条：起止日期颠倒")
            && page.contains("第 1 条：调休上班日须为周六或周日"),
        "{page}"
    );
    assert!(
        page.contains("value=\"2030-02-09\""),
        "what was typed is kept"
    );
    assert_eq!(stored().await["source"], "none", "nothing saved");

    let res = save(&[
        ("name_3", "春节"),
        ("first_3", "2030-02-02"),
        ("last_3", "2030-02-09"),
        ("worked_4", "2030-01-26"),
    ])
    .await;
    assert_eq!(res.status(), 303);
    let got = stored().await;
    assert_eq!(got["source"], "stored");
    assert_eq!(
        got["arrangement"]["holidays"][1]["name"], "春节",
        "empty rows left out"
    );
    assert_eq!(got["arrangement"]["worked_weekends"][0], "2030-01-26");
    let page = app
        .get_text(&bank, "/match/holidays?year=2030&done=saved")
        .await;
    assert!(
        page.contains("项目办录入") && page.contains("2030-02-09"),
        "{page}"
    );

    // A year with more holidays than a blank form's ten rows keeps them
    // all when saved from the form.
    let days: Vec<String> = (0..12).map(|i| format!("2031-03-{:02}", 10 + i)).collect();
    let names: Vec<String> = (0..12).map(|i| format!("节日{i}")).collect();
    let keys: Vec<[String; 3]> = (0..12)
        .map(|i| {
            [
                format!("name_{i}"),
                format!("first_{i}"),
                format!("last_{i}"),
            ]
        })
        .collect();
    let mut fields: Vec<(&str, &str)> = Vec::new();
    for (i, [n, f, l]) in keys.iter().enumerate() {
        fields.extend([
            (n.as_str(), names[i].as_str()),
            (f, &days[i]),
            (l, &days[i]),
        ]);
    }
    let res = app
        .post_form(&admin, &csrf, "/match/holidays/2031", &fields)
        .await;
    assert_eq!(res.status(), 303);
    let got = app.get(&bank, "/api/v1/holidays/2031").await;
    let got: serde_json::Value = got.json().await.unwrap();
    assert_eq!(got["arrangement"]["holidays"].as_array().unwrap().len(), 12);
    let form = app.get_text(&admin, "/match/holidays?year=2031").await;
    assert!(
        form.contains("value=\"节日11\""),
        "every stored row in the form"
    );

    // Nobody else saves, whatever the form says.
    let (suzhou, suzhou_csrf) = app.login("suzhou").await;
    let res = app
        .post_form(&suzhou, &suzhou_csrf, "/match/holidays/2031", &[])
        .await;
    assert_eq!(res.status(), 403);
}

/// The roll-up equals the sums over the applications, for random
/// applications and random moves, at province and city level; and a city
/// office reads its own city only.
#[tokio::test]
async fn the_rollup_is_the_sum_of_the_applications() {
    use fanxing_core::matching::pipeline::Action;
    use fanxing_core::matching::service::{NeedInput, OfferInput};
    use rand::{Rng, SeedableRng};
    use std::sync::Arc;

    let app = TestApp::spawn().await;
    let store = app.opened.store.clone();
    let svc = fanxing_core::matching::service::MatchingService::new(
        store.clone(),
        store.clone(),
        app.opened.app.audit.clone(),
        Arc::new(fanxing_core::now),
    );
    let admin = actor(&app, "admin").await;
    let bank = actor(&app, "bank").await;
    svc.register_partner(
        &admin,
        bank.user.org_id.unwrap(),
        PartnerKind::Bank,
        region(320000),
    )
    .await
    .unwrap();
    let mut offers = Vec::new();
    for title in ["电商贷", "备货贷"] {
        let o = svc
            .save_offer(
                &bank,
                None,
                &OfferInput {
                    kind: "loan".into(),
                    title: title.into(),
                    decision_days: 10,
                    valid_from: 0,
                    valid_until: 2_000_000_000,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        offers.push(o.id);
    }
    // Enterprises across the province.
    let orgs = store
        .list_orgs(&fanxing_core::people::store::OrgQuery {
            access: fanxing_core::auth::Access::Regions(region(320000).subtree()),
            text: None,
            region: None,
            kind: Some(OrgKind::Enterprise),
            offset: 0,
            limit: 60,
        })
        .await
        .unwrap()
        .items;
    assert!(orgs.len() >= 30, "{}", orgs.len());
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for o in &orgs {
        let need = svc
            .state_need(
                &admin,
                &NeedInput {
                    org_id: o.id,
                    kind: "loan".into(),
                    amount_fen: Some(rng.random_range(1..300) * 1_000_000),
                    purpose: "经营周转".into(),
                    consent_facts: vec![],
                    consent_days: 30,
                },
            )
            .await
            .unwrap();
        if rng.random_bool(0.2) {
            continue; // a need nobody applied for
        }
        let offer = offers[rng.random_range(0..offers.len())];
        let a = svc.apply(&admin, need.id, offer, None).await.unwrap();
        // A random walk along the pipeline.
        let mut plan: Vec<(Action, Option<i64>)> = Vec::new();
        match rng.random_range(0..6) {
            0 => {}
            1 => plan.push((Action::Withdraw, None)),
            2 => plan.extend([(Action::Accept, None), (Action::Decline, None)]),
            3 => plan.extend([(Action::Accept, None), (Action::Review, None)]),
            4 => plan.extend([
                (Action::Accept, None),
                (Action::Review, None),
                (Action::Approve, Some(rng.random_range(1..200) * 1_000_000)),
            ]),
            _ => plan.extend([
                (Action::Accept, None),
                (Action::Review, None),
                (Action::Approve, Some(5_000_000)),
                (Action::Disburse, Some(rng.random_range(1..=5) * 1_000_000)),
            ]),
        }
        for (action, amount) in plan {
            let who = if action == Action::Withdraw {
                &admin
            } else {
                &bank
            };
            svc.act(who, a.id, action, Some("说明"), amount)
                .await
                .unwrap();
        }
    }
    for code in [320000u32, 320500] {
        let r = svc.rollup(&admin, Some(region(code))).await.unwrap();
        let range = region(code).subtree();
        let apps: Vec<_> = svc
            .applications(&admin)
            .await
            .unwrap()
            .into_iter()
            .filter(|a| range.contains(a.region))
            .collect();
        let reached = |to: AppState| {
            let apps = apps.clone();
            let svc = &svc;
            let admin = &admin;
            async move {
                let mut n = 0;
                for a in &apps {
                    if svc
                        .history(admin, a.id)
                        .await
                        .unwrap()
                        .iter()
                        .any(|e| e.to == to)
                    {
                        n += 1;
                    }
                }
                n
            }
        };
        assert_eq!(r.applications, apps.len() as i64);
        assert_eq!(r.accepted, reached(AppState::Accepted).await);
        assert_eq!(r.approved, reached(AppState::Approved).await);
        assert_eq!(r.disbursed, reached(AppState::Disbursed).await);
        let count = |s: AppState| apps.iter().filter(|a| a.state == s).count() as i64;
        assert_eq!(r.declined, count(AppState::Declined));
        assert_eq!(r.withdrawn, count(AppState::Withdrawn));
        let sum = |f: fn(&Application) -> Option<i64>| apps.iter().filter_map(f).sum::<i64>();
        assert_eq!(r.requested_fen, sum(|a| a.amount_requested_fen));
        assert_eq!(r.approved_fen, sum(|a| a.amount_approved_fen));
        assert_eq!(r.disbursed_fen, sum(|a| a.amount_disbursed_fen));
        let served: std::collections::HashSet<OrgId> = apps
            .iter()
            .filter(|a| a.amount_approved_fen.is_some())
            .map(|a| a.org_id)
            .collect();
        assert_eq!(r.enterprises_served, served.len() as i64);
        let needs_here = orgs.iter().filter(|o| range.contains(o.region)).count() as i64;
        assert_eq!(r.needs, needs_here);
        assert_eq!(r.matched, needs_here, "every need has both offers open");
        assert!(r.applications > 0 || code != 320000);
    }
    // A city office reads its city only.
    let suzhou = actor(&app, "suzhou").await;
    assert!(svc.rollup(&suzhou, Some(region(320100))).await.is_err());
    let own = svc.rollup(&suzhou, None).await.unwrap();
    assert_eq!(
        own.applications,
        svc.rollup(&admin, Some(region(320500)))
            .await
            .unwrap()
            .applications
    );
}

/// The example data: partners of every kind with offers on the S1–S3
/// ladder (titles marked 示例), needs across the cities, applications in
/// every state; seeded once; matches explained and the roll-up adds up.
#[tokio::test]
async fn example_data_covers_every_state_and_is_seeded_once() {
    let app = TestApp::spawn().await;
    let m = &app.opened.matching;
    let stores = app.opened.app.stores.clone();
    let now = fanxing_core::now();
    let r = fanxing_demo::matching::seed(m, &stores, 2026, now)
        .await
        .unwrap()
        .unwrap();
    assert!(r.partners >= 6 && r.offers >= 8, "{r:?}");
    assert!(r.needs >= 30 && r.applications >= 15, "{r:?}");
    assert!(fanxing_demo::matching::seed(m, &stores, 2026, now)
        .await
        .unwrap()
        .is_none());
    let store = &app.opened.store;
    let offers = store.list_offers(None, false).await.unwrap();
    assert!(offers.iter().all(|o| o.draft.title.starts_with("示例")));
    let kinds: std::collections::HashSet<_> = store
        .list_partners()
        .await
        .unwrap()
        .iter()
        .map(|p| p.kind)
        .collect();
    assert!(kinds.len() >= 3, "{kinds:?}");
    let apps = store
        .list_applications(AppScope::Region(region(320000).subtree()))
        .await
        .unwrap();
    let states: std::collections::HashSet<_> = apps.iter().map(|a| a.state).collect();
    assert!(states.len() >= 6, "{states:?}");
    let cities: std::collections::HashSet<_> =
        apps.iter().map(|a| a.region.value() / 100).collect();
    assert!(cities.len() >= 6, "{cities:?}");
    // Every need's matches are explained, and the roll-up adds up.
    let admin = actor(&app, "admin").await;
    let need = apps[0].need_id;
    let explained = m.matches(&admin, need).await.unwrap();
    assert!(!explained.is_empty());
    let roll = m.rollup(&admin, None).await.unwrap();
    assert_eq!(roll.applications, apps.len() as i64);
    assert_eq!(roll.needs, r.needs as i64);
    assert!(roll.disbursed_fen > 0 && roll.approved_fen >= roll.disbursed_fen);
}

/// A demo server with the matching examples seeded.
async fn with_examples() -> TestApp {
    let app = TestApp::spawn().await;
    let stores = app.opened.app.stores.clone();
    fanxing_demo::matching::seed(&app.opened.matching, &stores, 2026, fanxing_core::now())
        .await
        .unwrap()
        .unwrap();
    app
}

/// States a loan need through the page as `client`; the answer (a redirect to the need, or the form again).
async fn state_loan_need(
    app: &TestApp,
    client: &reqwest::Client,
    csrf: &str,
    amount: &str,
    purpose: &str,
) -> reqwest::Response {
    app.post_form(
        client,
        csrf,
        "/match/needs",
        &[
            ("kind", "loan"),
            ("amount_yuan", amount),
            ("purpose", purpose),
        ],
    )
    .await
}

/// The first `/match/applications/{id}/act` form on a page after `marker`.
fn act_id_after(page: &str, marker: &str) -> Option<i64> {
    let rest = &page[page.find(marker)?..];
    let at = rest.find("/match/applications/")? + "/match/applications/".len();
    rest[at..].split('/').next()?.parse().ok()
}

/// The pages, as the three sides use them on a phone: the enterprise
/// states a need, sees each offer explained and applies to one of the demo
/// bank's; the bank accepts, asks for more information, gets it, approves
/// and disburses; the enterprise follows every step; Kunshan's office sees
/// the amount in its figures.
#[tokio::test]
async fn the_three_sides_work_through_the_pages() {
    let app = with_examples().await;
    let (bank, bank_csrf) = app.login("bank").await;
    let page = app.get(&bank, "/match").await.text().await.unwrap();
    let ours = &page[page.find("本机构产品").expect("the bank's offers")..];
    let ours = &ours[..ours.find("</ul>").unwrap()];
    let titles: Vec<String> = ours
        .split("<li>")
        .skip(1)
        .map(|li| li.split(" · ").next().unwrap().to_string())
        .collect();
    assert!(!titles.is_empty());

    // The enterprise states a need and sees every loan offer explained.
    let (t, csrf) = app.login("trainee").await;
    let res = state_loan_need(&app, &t, &csrf, "-5", "备货").await;
    let body = res.text().await.unwrap();
    assert!(
        body.contains("金额不合理"),
        "a negative amount is refused by field"
    );
    let res = state_loan_need(&app, &t, &csrf, "50万", "双十一备货").await;
    assert_eq!(res.status(), 303);
    let need_url = res.headers()["location"].to_str().unwrap().to_string();
    assert!(need_url.starts_with("/match/needs/"), "{need_url}");
    let need_id: i64 = need_url.rsplit('/').next().unwrap().parse().unwrap();
    let need = app.get(&t, &need_url).await.text().await.unwrap();
    assert!(
        need.contains("全部条件") && need.contains("规则版本"),
        "{need}"
    );
    // Offers the enterprise may not take say why; the bank's open offer
    // carries an apply button.
    let mut unavailable = 0;
    for card in need.split("<li class=\"card\">").skip(1) {
        if card.contains("不符合该产品的申请条件") {
            unavailable += 1;
            assert!(
                card.contains("原因"),
                "an unavailable offer says why: {card}"
            );
            assert!(!card.contains("name=\"offer_id\""), "{card}");
        }
    }
    assert!(
        unavailable > 0,
        "the demo has offers this enterprise may not take"
    );
    let offer: i64 = need
        .split("<li class=\"card\">")
        .skip(1)
        .filter(|c| {
            titles
                .iter()
                .any(|t| c.contains(&format!("<strong>{t}</strong>")))
        })
        .find_map(|c| {
            let at = c.find("name=\"offer_id\" value=\"")? + "name=\"offer_id\" value=\"".len();
            c[at..].split('"').next()?.parse().ok()
        })
        .expect("one of the bank's offers is open to the enterprise");
    let res = app
        .post_form(
            &t,
            &csrf,
            &format!("/match/needs/{need_id}/apply"),
            &[("offer_id", &offer.to_string())],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/match?done=applied");
    // Applying again for the same offer is refused with the reason.
    let again = app
        .post_form(
            &t,
            &csrf,
            &format!("/match/needs/{need_id}/apply"),
            &[("offer_id", &offer.to_string())],
        )
        .await;
    assert_ne!(again.status(), 303);
    let mine = app
        .get(&t, "/match?done=applied")
        .await
        .text()
        .await
        .unwrap();
    assert!(mine.contains("已提交，等待机构受理"), "{mine}");
    let id = act_id_after(&mine, "已提交，等待机构受理").expect("the applicant may withdraw");

    let kunshan = app.api("kunshan").await;
    let rollup_url = app.url("/api/v1/match/rollup");
    let rollup = |c: reqwest::Client| {
        let url = rollup_url.clone();
        async move {
            let r: serde_json::Value = c.get(url).send().await.unwrap().json().await.unwrap();
            r["disbursed_fen"].as_i64().unwrap()
        }
    };
    let before = rollup(kunshan.clone()).await;

    // The bank works the application.
    let act = |c: &reqwest::Client, csrf: &str, form: Vec<(&str, &str)>| {
        let mut f = vec![("csrf", csrf)];
        f.extend(form);
        let req = c
            .post(app.url(&format!("/match/applications/{id}/act")))
            .form(&f);
        async move { req.send().await.unwrap() }
    };
    for action in ["accept", "review"] {
        let res = act(&bank, &bank_csrf, vec![("action", action)]).await;
        assert_eq!(res.status(), 303, "{action}");
    }
    // Asking for more information needs a comment.
    let res = act(&bank, &bank_csrf, vec![("action", "ask_more")]).await;
    assert_eq!(res.status(), 200, "the queue again, with the reason");
    let res = act(
        &bank,
        &bank_csrf,
        vec![
            ("action", "ask_more"),
            ("comment", "请补充近 6 个月店铺流水"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let mine = app.get(&t, "/match").await.text().await.unwrap();
    assert!(mine.contains("需要您补充材料"), "{mine}");
    let res = act(
        &t,
        &csrf,
        vec![("action", "supply"), ("comment", "已上传流水")],
    )
    .await;
    assert_eq!(res.status(), 303);
    // The enterprise cannot approve its own application.
    let res = act(
        &t,
        &csrf,
        vec![("action", "approve"), ("amount_yuan", "50万")],
    )
    .await;
    assert_ne!(res.status(), 303);
    for (action, amount) in [("approve", "50万"), ("disburse", "50万")] {
        let res = act(
            &bank,
            &bank_csrf,
            vec![("action", action), ("amount_yuan", amount)],
        )
        .await;
        assert_eq!(res.status(), 303, "{action}");
    }
    let mine = app.get(&t, "/match").await.text().await.unwrap();
    assert!(mine.contains("已放款/已落地"), "{mine}");

    // Kunshan's office sees the amount in its figures.
    let after = rollup(kunshan).await;
    assert_eq!(after - before, 50_000_000);
    let (office, _) = app.login("kunshan").await;
    let page = app.get(&office, "/match").await.text().await.unwrap();
    let shown = fanxing_core::numfmt::yuan(after, fanxing_core::Lang::Zh);
    assert!(page.contains(&shown), "{shown} in {page}");
    assert!(
        page.contains("/match/return.xlsx"),
        "the office downloads its return"
    );

    // The province office sees every city on the map and in the table,
    // and the programme dashboard carries the figures.
    let (admin, _) = app.login("admin").await;
    let page = app.get_text(&admin, "/match").await;
    assert!(
        page.contains("<svg class=\"map\"") && page.contains("各市放款/落地金额"),
        "{page}"
    );
    assert!(page.contains("苏州市") && page.contains("南京市"));
    fanxing_demo::seed_training(&app.opened.app, &*app.opened.store, 2026)
        .await
        .unwrap();
    let res = app.get(&admin, "/programmes").await;
    let dash = match res.headers().get("location") {
        Some(to) => app.get_text(&admin, to.to_str().unwrap()).await,
        None => res.text().await.unwrap(),
    };
    assert!(
        dash.contains("政银企对接") && dash.contains("已批准"),
        "{dash}"
    );
}

/// A partner writes an offer and its rules in the form; a refused value is
/// named by field; saving matches every open need again, so the
/// enterprise's need shows the new offer with the rule's own words.
#[tokio::test]
async fn a_partner_writes_an_offer_and_its_rules_in_the_form() {
    let app = with_examples().await;
    // The enterprise's need first: the new offer must reach it by re-evaluation.
    let (t, csrf) = app.login("trainee").await;
    let res = state_loan_need(&app, &t, &csrf, "20万", "补货").await;
    let need_url = res.headers()["location"].to_str().unwrap().to_string();

    let (bank, bank_csrf) = app.login("bank").await;
    let form = app.get_text(&bank, "/match/offers/new").await;
    assert!(
        form.contains("name=\"rule_field_0\"") && form.contains("申请条件"),
        "{form}"
    );
    let mut fields = vec![
        ("csrf", bank_csrf.clone()),
        ("kind", "loan".to_string()),
        ("title", "示例·南京专项贷".to_string()),
        ("amount_min", "10万".to_string()),
        ("amount_max", "100万".to_string()),
        ("term_months", "12".to_string()),
        ("rate_min", "3.5".to_string()),
        ("rate_max", "99".to_string()),
        ("decision_days", "5".to_string()),
        ("valid_from", "2026-01-01".to_string()),
        ("valid_until", "2027-12-31".to_string()),
        ("stages", "s1".to_string()),
        ("rule_field_0", "region".to_string()),
        ("rule_op_0", "within".to_string()),
        ("rule_value_0", "320100".to_string()),
        ("rule_hard_0", "1".to_string()),
        ("rule_zh_0", "仅限南京市注册的企业".to_string()),
        ("rule_en_0", "Nanjing enterprises only".to_string()),
        ("rule_cite_0", "南京市直播电商扶持办法第 4 条".to_string()),
    ];
    let res = bank
        .post(app.url("/match/offers"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "a 99% rate is refused");
    let body = res.text().await.unwrap();
    assert!(body.contains("利率不合理"), "{body}");
    assert!(body.contains("示例·南京专项贷"), "what was typed is kept");
    fields.retain(|(k, _)| *k != "rate_max");
    fields.push(("rate_max", "6".to_string()));
    let res = bank
        .post(app.url("/match/offers"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/match?done=saved");
    let home = app.get_text(&bank, "/match").await;
    assert!(home.contains("示例·南京专项贷"), "{home}");

    // The Kunshan enterprise's need now lists it, unavailable, in the rule's words.
    let need = app.get_text(&t, &need_url).await;
    let card = need
        .split("<li class=\"card\">")
        .find(|c| c.contains("示例·南京专项贷"))
        .expect("the new offer is matched against the open need");
    assert!(
        card.contains("仅限南京市注册的企业") && card.contains("南京市直播电商扶持办法第 4 条"),
        "{card}"
    );
    assert!(!card.contains("name=\"offer_id\""));

    // An offer with more rules than a blank form's eight rows keeps them
    // all when saved from the form, and its edit form shows them all.
    let keys: Vec<[String; 5]> = (0..11)
        .map(|i| {
            [
                format!("rule_field_{i}"),
                format!("rule_op_{i}"),
                format!("rule_value_{i}"),
                format!("rule_zh_{i}"),
                format!("rule_cite_{i}"),
            ]
        })
        .collect();
    let cites: Vec<String> = (0..11).map(|i| format!("示例办法第 {i} 条")).collect();
    let mut fields: Vec<(&str, String)> = fields
        .into_iter()
        .filter(|(k, _)| !k.starts_with("rule_") && *k != "title")
        .collect();
    fields.push(("title", "示例·十一条规则贷".to_string()));
    for (i, [f, op, v, zh, cite]) in keys.iter().enumerate() {
        fields.extend([
            (f.as_str(), "shop_age_months".to_string()),
            (op.as_str(), "ge".to_string()),
            (v.as_str(), i.to_string()),
            (zh.as_str(), format!("开店满 {i} 个月")),
            (cite.as_str(), cites[i].clone()),
        ]);
    }
    // Without their English messages the rules are refused, each saying so.
    let res = bank
        .post(app.url("/match/offers"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("第 1 条：须写明不符合时的英文说明") && !body.contains("中文说明"),
        "{body}"
    );
    let en: Vec<(String, String)> = (0..11)
        .map(|i| (format!("rule_en_{i}"), format!("Shop open {i} months")))
        .collect();
    fields.extend(en.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let res = bank
        .post(app.url("/match/offers"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let offers: serde_json::Value = app
        .get_json(&app.api("bank").await, "/api/v1/match/offers")
        .await;
    let id = offers
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["title"] == "示例·十一条规则贷")
        .expect("the offer is saved")["id"]
        .as_i64()
        .unwrap();
    let edit = app
        .get_text(&bank, &format!("/match/offers/{id}/edit"))
        .await;
    for cite in &cites {
        assert!(edit.contains(cite.as_str()), "rule {cite} kept: {edit}");
    }
}

/// An office makes its region's bank a partner from the page; the bank's
/// account can then publish offers.
#[tokio::test]
async fn an_office_makes_a_partner_from_the_page() {
    let app = TestApp::spawn().await;
    let (bank, _) = app.login("bank").await;
    let before = app.get_text(&bank, "/match").await;
    assert!(
        before.contains("暂无对接事项") && !before.contains("发布新产品"),
        "{before}"
    );

    let (office, csrf) = app.login("suzhou").await;
    let page = app.get_text(&office, "/match").await;
    let form = &page[page
        .find("action=\"/match/partners\"")
        .expect("the partner form")..];
    // The bank account's organisation is among the candidates.
    let me: serde_json::Value = app.get_json(&app.api("bank").await, "/api/v1/me").await;
    let org = me["org_id"]
        .as_i64()
        .expect("the bank account has an organisation");
    assert!(form.contains(&format!("value=\"{org}\"")), "{form}");
    let res = app
        .post_form(
            &office,
            &csrf,
            "/match/partners",
            &[("org_id", &org.to_string())],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/match?done=partner");

    let after = app.get_text(&bank, "/match").await;
    assert!(after.contains("发布新产品"), "{after}");
    // A county office cannot make Suzhou's bank a partner.
    let (county, csrf) = app.login("kunshan").await;
    let res = app
        .post_form(
            &county,
            &csrf,
            "/match/partners",
            &[("org_id", &org.to_string())],
        )
        .await;
    assert_eq!(res.status(), 404);
}
