use super::*;
use fanxing_core::knowledge::search::Filters;
use fanxing_core::knowledge::{Details, DocStatus};
use fanxing_core::people::Tier;

fn code(c: u32) -> RegionCode {
    RegionCode::from_value(c).unwrap()
}

fn doc(id: i64, kind: DocKind, title: &str, body: &str, region: u32, vis: Visibility) -> Document {
    Document {
        id: DocumentId(id),
        kind,
        title: title.into(),
        summary: String::new(),
        body: body.into(),
        industry: Some("农产品".into()),
        region: code(region),
        tiers: vec![Tier::Operator],
        competencies: vec!["product_selection".into()],
        tags: vec!["助农".into()],
        visibility: vis,
        status: DocStatus::Published,
        example: true,
        details: Details::default(),
        owner_org: None,
        created_by: None,
        created_at: id,
        updated_at: id,
        published_at: Some(id),
    }
}

fn corpus() -> TantivyIndex {
    let i = TantivyIndex::in_memory().unwrap();
    let docs = vec![
        doc(
            1,
            DocKind::Case,
            "沭阳花木直播带货提升转化率",
            "合作社用短视频引流，直播间转化率从1%提到3%。",
            321322,
            Visibility::Public,
        ),
        doc(
            2,
            DocKind::Case,
            "盱眙小龙虾冷链直播",
            "冷链物流解决了退货问题，成交额翻倍。",
            320830,
            Visibility::Public,
        ),
        doc(
            3,
            DocKind::Material,
            "选品与定价讲义",
            "讲义内容：如何选品。",
            321300,
            Visibility::Trainees,
        ),
        doc(
            4,
            DocKind::Policy,
            "苏州直播基地补贴办法",
            "对直播基地给予奖励。",
            320500,
            Visibility::Offices,
        ),
        doc(
            5,
            DocKind::Qa,
            "抖音小店怎么开",
            "先准备营业执照。",
            320000,
            Visibility::Public,
        ),
        doc(
            6,
            DocKind::Case,
            "常熟服装工厂前播后产",
            "GMV 一年增长五倍。",
            320581,
            Visibility::Trainees,
        ),
    ];
    i.apply(&docs, &[], 6).unwrap();
    i
}

fn ids(r: &SearchResults) -> Vec<i64> {
    r.hits.iter().map(|h| h.id.0).collect()
}

fn q(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.into(),
        per_page: 10,
        ..Default::default()
    }
}

#[test]
fn words_in_another_order_are_found() {
    let i = corpus();
    let r = i.search(&q("带货直播"), &ReaderScope::Everything).unwrap();
    assert_eq!(ids(&r).first(), Some(&1), "{:?}", ids(&r));
}

#[test]
fn synonyms_typos_traditional_pinyin_and_initials_find_the_document() {
    let i = corpus();
    for (query, want) in [
        ("抖店", 5),
        ("小龙虾冷连", 2),
        ("直播代货", 1),
        ("花木直播帶貨", 1),
        ("xiaolongxia", 2),
        ("zbdh", 1),
        ("zhibo daihuo", 1),
        ("成交额", 6),
    ] {
        let r = i.search(&q(query), &ReaderScope::Everything).unwrap();
        assert!(ids(&r).contains(&want), "{query}: {:?}", ids(&r));
    }
}

#[test]
fn readers_see_only_their_scope_even_in_counts() {
    let i = corpus();
    let all = SearchQuery {
        per_page: 50,
        ..Default::default()
    };
    let public = i.search(&all, &ReaderScope::Public).unwrap();
    assert_eq!(public.total, 3);
    assert_eq!(
        ids(&public)
            .iter()
            .filter(|id| [3, 4, 6].contains(id))
            .count(),
        0
    );
    // A Shuyang trainee: public and Suqian/Shuyang members' documents.
    let member = ReaderScope::Member {
        line: region_line(code(321322)),
    };
    let r = i.search(&all, &member).unwrap();
    let mut got = ids(&r);
    got.sort();
    assert_eq!(got, vec![1, 2, 3, 5]);
    let kinds = &r.facets.iter().find(|f| f.name == "kind").unwrap().values;
    assert!(!kinds.iter().any(|(k, _)| k == "policy"), "{kinds:?}");
    // The Suzhou office: public, its own offices-only policy, Changshu below.
    let office = ReaderScope::Office {
        line: region_line(code(320500)),
        region: code(320500),
    };
    let mut got = ids(&i.search(&all, &office).unwrap());
    got.sort();
    assert_eq!(got, vec![1, 2, 4, 5, 6]);
    // Another city's office does not see Suzhou's policy.
    let other = ReaderScope::Office {
        line: region_line(code(321300)),
        region: code(321300),
    };
    assert!(!ids(&i.search(&all, &other).unwrap()).contains(&4));
    assert!(!ids(&i.search(&q("补贴"), &other).unwrap()).contains(&4));
}

#[test]
fn snippets_mark_the_words_in_the_original_text() {
    let i = TantivyIndex::in_memory().unwrap();
    i.apply(
        &[doc(
            1,
            DocKind::Case,
            "标题",
            "前面很多字。我們的直播帶貨很成功。",
            320500,
            Visibility::Public,
        )],
        &[],
        1,
    )
    .unwrap();
    let r = i.search(&q("直播带货"), &ReaderScope::Everything).unwrap();
    let hits: Vec<&str> = r.hits[0]
        .snippet
        .iter()
        .filter(|f| f.hit)
        .map(|f| f.text.as_str())
        .collect();
    assert!(
        hits.iter().any(|h| h.contains("帶貨")),
        "{:?}",
        r.hits[0].snippet
    );
}

#[test]
fn filters_facets_sorting_and_suggestions() {
    let i = corpus();
    let mut query = q("");
    query.filters = Filters {
        kind: Some(DocKind::Case),
        ..Default::default()
    };
    query.sort = SortBy::Newest;
    let r = i.search(&query, &ReaderScope::Everything).unwrap();
    assert_eq!(ids(&r), vec![6, 2, 1]);
    let regions = &r.facets.iter().find(|f| f.name == "region").unwrap().values;
    assert!(regions.contains(&("321300".to_string(), 1)), "{regions:?}");
    let mut query = q("小龙虾");
    query.filters.region = Some(code(320500));
    let r = i.search(&query, &ReaderScope::Everything).unwrap();
    assert_eq!(r.total, 0);
    assert_eq!(r.without_filters, Some(1));
    let r = i.search(&q("zzqqxx"), &ReaderScope::Everything).unwrap();
    assert_eq!(r.total, 0);
    let r = i.search(&q("助侬"), &ReaderScope::Everything).unwrap();
    assert!(r.total > 0 || r.suggestions.contains(&"助农".to_string()));
}

#[test]
fn changes_replace_and_remove_and_the_position_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let i = TantivyIndex::open(dir.path()).unwrap();
        assert_eq!(i.seq(), 0);
        i.apply(
            &[doc(
                1,
                DocKind::Case,
                "旧标题",
                "正文",
                320500,
                Visibility::Public,
            )],
            &[],
            3,
        )
        .unwrap();
        i.apply(
            &[doc(
                1,
                DocKind::Case,
                "新标题",
                "正文",
                320500,
                Visibility::Public,
            )],
            &[],
            4,
        )
        .unwrap();
        assert_eq!(i.len(), 1);
        assert_eq!(
            i.search(&q("旧标题"), &ReaderScope::Everything)
                .unwrap()
                .hits[0]
                .title,
            "新标题"
        );
    }
    let i = TantivyIndex::open(dir.path()).unwrap();
    assert_eq!(i.seq(), 4);
    assert_eq!(i.len(), 1);
    i.apply(&[], &[DocumentId(1)], 5).unwrap();
    assert_eq!(i.len(), 0);
    i.clear().unwrap();
    assert_eq!(i.seq(), 0);
}

#[test]
fn an_unreadable_index_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("meta.json"), b"{not json").unwrap();
    let i = TantivyIndex::open(dir.path()).unwrap();
    assert_eq!(i.seq(), 0);
    assert!(i.is_empty());
}

#[test]
fn a_long_text_is_cut_near_the_words_it_matched() {
    let i = TantivyIndex::in_memory().unwrap();
    let body = "无关的开头。".repeat(20_000) + "这里讲冷链打包的要点。" + &"结尾。".repeat(10_000);
    i.apply(
        &[doc(
            1,
            DocKind::Material,
            "讲义",
            &body,
            320500,
            Visibility::Public,
        )],
        &[],
        1,
    )
    .unwrap();
    let r = i.search(&q("冷链打包"), &ReaderScope::Everything).unwrap();
    let snippet = &r.hits[0].snippet;
    assert!(
        snippet.iter().any(|f| f.hit && f.text.contains("冷链")),
        "{snippet:?}"
    );
    let len: usize = snippet.iter().map(|f| f.text.chars().count()).sum();
    assert!(len <= 400, "{len}");
}
