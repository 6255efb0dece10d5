//! A realistic, deterministic Jiangsu for `fanxing serve --demo`.
//!
//! About 2,000 organisations and 30,000 people spread over the 13 cities
//! roughly by population, each city with its own industrial clusters
//! (产业带), tiers in plausible shares, and numbers that are valid in form
//! but clearly fake: mobiles come from the unassigned `140` block and every
//! ID number is generated with a correct check digit.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use fanxing_core::app::Fanxing;
use fanxing_core::auth::{Access, Role};
use fanxing_core::error::Result;
use fanxing_core::people::accounts::NewUserInput;
use fanxing_core::people::store::{PeopleQuery, PersonRow};
use fanxing_core::people::{OrgDraft, OrgKind, PersonDraft, PersonId, SalesBand, Tier};
use fanxing_core::region::{Region, RegionCode, RegionLevel};
use fanxing_core::training::{ProgrammeId, RegistrationStatus, SessionId};
use fanxing_core::values::{IdNumber, Mobile};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "fanxing-demo";
/// Demo mobiles are `140` followed by eight digits: a block not assigned to
/// any carrier, so no real person can be reached by mistake.
pub const DEMO_MOBILE_PREFIX: &str = "140";

/// Size of the generated data set.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    pub orgs: usize,
    pub people: usize,
}

impl Default for DemoSize {
    fn default() -> Self {
        DemoSize {
            orgs: 2_000,
            people: 30_000,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DemoPerson {
    pub draft: PersonDraft,
    /// Index into [`DemoData::orgs`].
    pub org: Option<usize>,
}

/// A demo log-in; `person`/`org` index into the generated lists.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: &'static str,
    pub display_name: &'static str,
    pub role: Role,
    pub region: Option<RegionCode>,
    pub person: Option<usize>,
    pub org: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct DemoData {
    pub orgs: Vec<OrgDraft>,
    pub people: Vec<DemoPerson>,
    pub accounts: Vec<DemoAccount>,
}

/// City code, relative size (resident population, millions), and the
/// industrial clusters it is known for.
const CITIES: &[(u32, f64, &[&str])] = &[
    (320100, 9.5, &["食品", "美妆个护", "文创", "数码3C"]),
    (320200, 7.5, &["紫砂陶瓷", "电动车", "服装", "茶叶"]),
    (320300, 9.0, &["家具", "农产品", "板材", "工程机械配件"]),
    (320400, 5.4, &["灯具", "床上用品", "园艺工具", "梳篦"]),
    (
        320500,
        12.9,
        &["服装", "婚纱礼服", "丝绸", "大闸蟹", "家纺"],
    ),
    (320600, 7.7, &["家纺", "服装", "海鲜", "红木"]),
    (320700, 4.6, &["水晶", "海产", "中药材", "紫菜"]),
    (320800, 4.5, &["小龙虾", "大米", "食品", "盐化工"]),
    (320900, 6.7, &["农产品", "汽车配件", "海盐", "丹顶鹤文创"]),
    (
        321000,
        4.6,
        &["毛绒玩具", "牙刷旅游用品", "漆器", "早茶点心"],
    ),
    (321100, 3.2, &["眼镜", "香醋", "茶叶", "五金工具"]),
    (321200, 4.5, &["大米", "医药健康", "不锈钢", "水产"]),
    (321300, 5.0, &["花木", "白酒", "家居", "农产品"]),
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "顾", "钱", "缪", "华", "季", "严", "薛", "葛", "欧阳", "诸葛",
];

const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玲", "红", "建", "文", "辉", "鹏", "晨", "宇",
    "欣", "怡", "婷", "雪", "琳", "浩", "俊", "凯", "佳", "悦", "梦", "雨", "晓", "思", "嘉", "子",
    "博", "一", "诗", "涵", "轩", "宁", "亮", "斌", "波", "峰", "飞", "燕", "萍", "青", "春", "海",
    "云", "志", "新", "国",
];

const BRAND_WORDS: &[&str] = &[
    "星", "繁", "锦", "悦", "优", "乐", "润", "禾", "盛", "源", "佳", "美", "鑫", "恒", "天", "泽",
    "瑞", "和", "青", "云", "川", "森", "品", "尚", "谷", "家", "蓝", "橙", "麦", "田", "舟", "帆",
    "然",
];

const ENTERPRISE_SUFFIX: &[&str] = &[
    "电子商务有限公司",
    "贸易有限公司",
    "商贸有限公司",
    "网络科技有限公司",
    "实业有限公司",
    "食品有限公司",
    "服饰有限公司",
    "农业发展有限公司",
];

const BANKS: &[&str] = &[
    "中国工商银行",
    "中国农业银行",
    "中国银行",
    "中国建设银行",
    "交通银行",
    "江苏银行",
    "南京银行",
    "邮储银行",
    "农村商业银行",
];

const PLATFORMS: &[&str] = &[
    "抖音电商",
    "淘宝直播",
    "视频号",
    "快手电商",
    "京东直播",
    "小红书",
];

const SERVICE_KINDS: &[&str] = &[
    "财税服务有限公司",
    "供应链管理有限公司",
    "文化传媒有限公司（MCN）",
    "品牌管理有限公司",
    "知识产权代理有限公司",
    "物流有限公司",
];

/// Generates the demo data set for `regions` (which must hold the cities of
/// [`CITIES`] and their counties). Same seed, same data.
pub fn generate(regions: &[Region], seed: u64, size: DemoSize) -> DemoData {
    let mut rng = StdRng::seed_from_u64(seed);
    let name_of = |code: RegionCode| {
        regions
            .iter()
            .find(|r| r.code == code)
            .map(|r| r.short_name().to_string())
            .unwrap_or_default()
    };
    // Counties (not zones) of each city, for placing records.
    let counties_of = |city: u32| -> Vec<RegionCode> {
        regions
            .iter()
            .filter(|r| r.level == RegionLevel::County && r.code.value() / 100 * 100 == city)
            .map(|r| r.code)
            .collect()
    };
    let zones_of = |city: u32| -> Vec<RegionCode> {
        regions
            .iter()
            .filter(|r| r.level == RegionLevel::Zone && r.code.value() / 100 * 100 == city)
            .map(|r| r.code)
            .collect()
    };
    let total_weight: f64 = CITIES.iter().map(|c| c.1).sum();
    let province = RegionCode::parse("320000").expect("valid code");

    let mut orgs: Vec<OrgDraft> = Vec::with_capacity(size.orgs);
    // Orgs per city: government offices first (province, each city, each county).
    let mut gov_of: std::collections::HashMap<RegionCode, usize> = Default::default();
    let push_org = |orgs: &mut Vec<OrgDraft>, d: OrgDraft| {
        orgs.push(d);
        orgs.len() - 1
    };
    let gov = |name: String, region| OrgDraft {
        name,
        kind: OrgKind::Government,
        industry: None,
        sales_band: None,
        credit_code: None,
        region,
    };
    gov_of.insert(
        province,
        push_org(&mut orgs, gov("江苏省商务厅".into(), province)),
    );
    for &(city, _, _) in CITIES {
        let code = RegionCode::from_value(city).expect("valid code");
        let i = push_org(&mut orgs, gov(format!("{}市商务局", name_of(code)), code));
        gov_of.insert(code, i);
        for county in counties_of(city) {
            let full = regions
                .iter()
                .find(|r| r.code == county)
                .map(|r| r.name.clone())
                .unwrap_or_default();
            let i = push_org(&mut orgs, gov(format!("{full}商务局"), county));
            gov_of.insert(county, i);
        }
    }

    // Enterprises and partners, by city weight.
    let mut enterprises_by_city: std::collections::HashMap<u32, Vec<usize>> = Default::default();
    let remaining = size.orgs.saturating_sub(orgs.len());
    let mut credit_seq = 0u32;
    for (ci, &(city, weight, industries)) in CITIES.iter().enumerate() {
        let share = if ci + 1 == CITIES.len() {
            size.orgs.saturating_sub(orgs.len())
        } else {
            (remaining as f64 * weight / total_weight).round() as usize
        };
        let counties = counties_of(city);
        let zones = zones_of(city);
        for k in 0..share {
            let region = if !zones.is_empty() && rng.random_bool(0.08) {
                zones[rng.random_range(0..zones.len())]
            } else {
                counties[rng.random_range(0..counties.len())]
            };
            let place = name_of(region);
            let roll: f64 = rng.random();
            let industry = industries[rng.random_range(0..industries.len())].to_string();
            let brand: String = (0..2)
                .map(|_| BRAND_WORDS[rng.random_range(0..BRAND_WORDS.len())])
                .collect();
            credit_seq += 1;
            let credit = fake_credit_code(region, credit_seq);
            let d = if roll < 0.80 {
                let band = match rng.random_range(0..100) {
                    0..=44 => SalesBand::Under1m,
                    45..=74 => SalesBand::From1mTo5m,
                    75..=89 => SalesBand::From5mTo20m,
                    90..=97 => SalesBand::From20mTo100m,
                    _ => SalesBand::Over100m,
                };
                let suffix = ENTERPRISE_SUFFIX[rng.random_range(0..ENTERPRISE_SUFFIX.len())];
                OrgDraft {
                    name: format!("{place}{brand}{suffix}"),
                    kind: OrgKind::Enterprise,
                    industry: Some(industry),
                    sales_band: Some(band),
                    credit_code: Some(credit),
                    region,
                }
            } else if roll < 0.84 || k == 0 {
                let bank = BANKS[rng.random_range(0..BANKS.len())];
                let name = if bank == "农村商业银行" {
                    format!("{place}农村商业银行")
                } else {
                    format!("{bank}{place}支行")
                };
                org(name, OrgKind::Bank, None, region, credit)
            } else if roll < 0.85 {
                let p = PLATFORMS[rng.random_range(0..PLATFORMS.len())];
                org(
                    format!("{p}{place}服务中心"),
                    OrgKind::Platform,
                    None,
                    region,
                    credit,
                )
            } else if roll < 0.92 {
                let s = SERVICE_KINDS[rng.random_range(0..SERVICE_KINDS.len())];
                org(
                    format!("{place}{brand}{s}"),
                    OrgKind::ServiceProvider,
                    None,
                    region,
                    credit,
                )
            } else if roll < 0.95 {
                org(
                    format!("{place}{brand}电商培训学校"),
                    OrgKind::TrainingProvider,
                    None,
                    region,
                    credit,
                )
            } else {
                org(
                    format!("{place}{industry}直播基地"),
                    OrgKind::LiveBase,
                    Some(industry),
                    region,
                    credit,
                )
            };
            let is_enterprise = d.kind == OrgKind::Enterprise;
            let i = push_org(&mut orgs, d);
            if is_enterprise {
                enterprises_by_city.entry(city).or_default().push(i);
            }
        }
    }

    // People, by city weight.
    let mut people = Vec::with_capacity(size.people);
    let mut seq = 0u32;
    for (ci, &(city, weight, _)) in CITIES.iter().enumerate() {
        let share = if ci + 1 == CITIES.len() {
            size.people.saturating_sub(people.len())
        } else {
            (size.people as f64 * weight / total_weight).round() as usize
        };
        let counties = counties_of(city);
        let firms = enterprises_by_city.get(&city).cloned().unwrap_or_default();
        for _ in 0..share {
            seq += 1;
            let region = counties[rng.random_range(0..counties.len())];
            let tier = match rng.random_range(0..100) {
                0..=7 => Tier::Cadre,
                8..=34 => Tier::CompanyHead,
                _ => Tier::Operator,
            };
            let org = match tier {
                Tier::Cadre => gov_of.get(&region).copied(),
                _ if firms.is_empty() || rng.random_bool(0.1) => None,
                _ => Some(firms[rng.random_range(0..firms.len())]),
            };
            let name = person_name(&mut rng);
            let mobile = Mobile::parse(&format!("{DEMO_MOBILE_PREFIX}{seq:08}"))
                .expect("demo mobiles are well-formed");
            let id_number = rng
                .random_bool(0.6)
                .then(|| fake_id_number(&mut rng, region, seq));
            people.push(DemoPerson {
                draft: PersonDraft {
                    name,
                    mobile,
                    id_number,
                    tier,
                    org_id: None,
                    region: org.map(|o| orgs[o].region).unwrap_or(region),
                },
                org,
            });
        }
    }

    // Demo log-ins: pick fitting people and organisations.
    let suzhou = RegionCode::parse("320500").expect("valid");
    let kunshan = RegionCode::parse("320583").expect("valid");
    let in_kunshan_operator = people.iter().position(|p| {
        p.draft.region == kunshan && p.draft.tier == Tier::Operator && p.org.is_some()
    });
    let lecturer = people
        .iter()
        .position(|p| p.draft.region.city() == suzhou && p.draft.tier == Tier::CompanyHead);
    let checkin = people
        .iter()
        .position(|p| p.draft.region == kunshan && p.draft.tier == Tier::Cadre);
    let bank = orgs
        .iter()
        .position(|o| o.kind == OrgKind::Bank && o.region.city() == suzhou);
    let trainee_org = in_kunshan_operator.and_then(|i| people[i].org);
    let code = |s: &str| RegionCode::parse(s);
    let accounts = vec![
        account(
            "admin",
            "省商务厅项目办",
            Role::ProgrammeOffice,
            code("320000"),
            None,
            None,
        ),
        account(
            "nanjing",
            "南京市商务局",
            Role::CityOffice,
            code("320100"),
            None,
            None,
        ),
        account(
            "suzhou",
            "苏州市商务局",
            Role::CityOffice,
            code("320500"),
            None,
            None,
        ),
        account(
            "kunshan",
            "昆山市商务局",
            Role::CountyOffice,
            code("320583"),
            None,
            None,
        ),
        account(
            "lecturer",
            "直播运营讲师",
            Role::Lecturer,
            None,
            lecturer,
            None,
        ),
        account(
            "checkin",
            "昆山会场签到员",
            Role::Checkin,
            None,
            checkin,
            None,
        ),
        account(
            "trainee",
            "昆山学员",
            Role::Trainee,
            None,
            in_kunshan_operator,
            trainee_org,
        ),
        account("bank", "苏州银行客户经理", Role::Partner, None, None, bank),
    ];
    DemoData {
        orgs,
        people,
        accounts,
    }
}

fn account(
    username: &'static str,
    display_name: &'static str,
    role: Role,
    region: Option<RegionCode>,
    person: Option<usize>,
    org: Option<usize>,
) -> DemoAccount {
    DemoAccount {
        username,
        display_name,
        role,
        region,
        person,
        org,
    }
}

fn org(
    name: String,
    kind: OrgKind,
    industry: Option<String>,
    region: RegionCode,
    credit: String,
) -> OrgDraft {
    OrgDraft {
        name,
        kind,
        industry,
        sales_band: None,
        credit_code: Some(credit),
        region,
    }
}

fn person_name(rng: &mut StdRng) -> String {
    // Common surnames far more often than rare ones.
    let i = (rng.random::<f64>().powf(1.8) * SURNAMES.len() as f64) as usize;
    let mut name = SURNAMES[i.min(SURNAMES.len() - 1)].to_string();
    let chars = if rng.random_bool(0.7) { 2 } else { 1 };
    for _ in 0..chars {
        name.push_str(GIVEN[rng.random_range(0..GIVEN.len())]);
    }
    name
}

/// A made-up unified social credit code that passes the GB 32100 check:
/// the organisation's county, `MA` and a sequence number.
fn fake_credit_code(region: RegionCode, seq: u32) -> String {
    let first17 = format!("91{region}MA{:07}", seq % 10_000_000);
    let check = fanxing_core::matching::credit_code::check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

/// A well-formed ID number: the county's code, a birth date between 1965
/// and 2003, a sequence, and the GB 11643 check character.
fn fake_id_number(rng: &mut StdRng, region: RegionCode, seq: u32) -> IdNumber {
    let year = rng.random_range(1965..=2003);
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=28);
    let first17 = format!("{region}{year:04}{month:02}{day:02}{:03}", seq % 1000);
    let full = format!("{first17}{}", IdNumber::check_char(&first17));
    IdNumber::parse(&full).expect("generated ID numbers are valid")
}

/// What seeding did, for the start-up banner.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub orgs: usize,
    pub people: usize,
    pub accounts: Vec<(String, Role)>,
}

/// Fills an empty database with the demo data set and its log-ins. Does
/// nothing (and returns `None`) when people already exist, so a second start
/// keeps whatever is there.
pub async fn seed(
    app: &Fanxing,
    seeds: &dyn crate::SeedStore,
    seed: u64,
    size: DemoSize,
) -> Result<Option<SeedReport>> {
    if app.stores.people.count_people().await? > 0 {
        return Ok(None);
    }
    let regions = app.stores.people.list_regions(None, None).await?;
    let data = generate(&regions, seed, size);
    let now = fanxing_core::now();
    let org_ids = seeds.insert_orgs_bulk(&data.orgs, now).await?;
    let rows: Vec<PersonRow> = data
        .people
        .iter()
        .map(|p| {
            let mut d = p.draft.clone();
            d.org_id = p.org.map(|i| org_ids[i]);
            fanxing_core::people::service::person_row_with(app.people.cipher(), &d)
        })
        .collect();
    seeds.insert_people_bulk(&rows, now).await?;
    let all = Access::Regions(fanxing_core::region::RegionRange::ALL);
    let mut accounts = Vec::new();
    for acc in &data.accounts {
        let person_id = match acc.person {
            Some(i) => {
                let mobile = data.people[i].draft.mobile.as_str().to_string();
                let page = app
                    .stores
                    .people
                    .list_people(&PeopleQuery {
                        access: all,
                        text: Some(mobile),
                        region: None,
                        tier: None,
                        org_id: None,
                        offset: 0,
                        limit: 1,
                    })
                    .await?;
                page.items.first().map(|p| p.id)
            }
            None => None,
        };
        app.accounts
            .create_user(NewUserInput {
                username: acc.username.to_string(),
                display_name: acc.display_name.to_string(),
                password: DEMO_PASSWORD.to_string(),
                role: acc.role,
                region: acc.region,
                person_id,
                org_id: acc.org.map(|i| org_ids[i]),
            })
            .await?;
        accounts.push((acc.username.to_string(), acc.role));
    }
    Ok(Some(SeedReport {
        orgs: data.orgs.len(),
        people: rows.len(),
        accounts,
    }))
}

// ---- Training demo ------------------------------------------------------------

/// A held session's registrations (person, venue index), who came, and
/// when it started.
type HeldPlan = (Vec<(PersonId, usize)>, Vec<PersonId>, i64);

/// What the training demo created, for the start-up banner.
#[derive(Debug, Clone)]
pub struct TrainingReport {
    pub programme: fanxing_core::training::ProgrammeId,
    pub held_sessions: usize,
    pub attendances: u64,
    pub upcoming_sessions: usize,
}

/// Central district of each city (where city-wide halls sit).
const CITY_HALLS: &[(u32, u32, &str)] = &[
    (320100, 320105, "南京国际博览会议中心"),
    (320200, 320214, "无锡市民中心会议厅"),
    (320300, 320303, "徐州市会议中心"),
    (320400, 320411, "常州市行政中心会议厅"),
    (320500, 320508, "苏州国际会议中心"),
    (320600, 320613, "南通国际会议中心"),
    (320700, 320707, "连云港市会议中心"),
    (320800, 320812, "淮安市会议中心"),
    (320900, 320902, "盐城市会议中心"),
    (321000, 321003, "扬州国际展览中心"),
    (321100, 321112, "镇江市会议中心"),
    (321200, 321202, "泰州市会议中心"),
    (321300, 321302, "宿迁市会议中心"),
];

/// How far along each city is (share of its target already held): the two
/// northern cities the scenario singles out lag behind.
fn city_pace(city: u32) -> f64 {
    match city {
        320700 => 0.38, // Lianyungang
        321300 => 0.41, // Suqian
        320500 => 0.72,
        320100 => 0.68,
        _ => 0.60,
    }
}

const COURSE_TITLES: &[(&str, Tier)] = &[
    ("直播电商发展趋势与政策解读", Tier::Cadre),
    ("县域直播经济的政策设计", Tier::Cadre),
    ("企业数字化转型与品牌建设", Tier::CompanyHead),
    ("前播后产：产业带品牌化路径", Tier::CompanyHead),
    ("直播电商供应链与精准选品", Tier::Operator),
    ("短视频内容策划与直播脚本", Tier::Operator),
    ("直播间数据分析与复盘", Tier::Operator),
    ("公私域联动与私域运营", Tier::Operator),
    ("直播合规经营与广告法要点", Tier::Operator),
    ("AI 工具在直播运营中的应用", Tier::Operator),
    ("跨境直播电商实务", Tier::CompanyHead),
];

/// The competencies each demo course covers (codes of the seeded framework).
const COURSE_COMPETENCIES: &[&[&str]] = &[
    &["trend_policy"],
    &["trend_policy", "strategy_brand"],
    &["strategy_brand", "ai_tools"],
    &["strategy_brand", "product_selection"],
    &["product_selection"],
    &["content_planning"],
    &["data_analysis"],
    &["domain_linkage"],
    &["compliance", "live_operation"],
    &["ai_tools", "content_planning"],
    &["cross_border", "product_selection"],
];

/// Each track's required course (必修课), by title.
const REQUIRED_COURSES: &[(Tier, &str)] = &[
    (Tier::Cadre, "直播电商发展趋势与政策解读"),
    (Tier::CompanyHead, "企业数字化转型与品牌建设"),
    (Tier::Operator, "直播合规经营与广告法要点"),
];

/// Prerequisites (course, what it needs first), by title.
const PREREQUISITES: &[(&str, &str)] = &[
    ("AI 工具在直播运营中的应用", "短视频内容策划与直播脚本"),
    ("跨境直播电商实务", "企业数字化转型与品牌建设"),
];

fn session_input(
    programme: ProgrammeId,
    title: &str,
    region: RegionCode,
    tier: Option<Tier>,
    start: i64,
    minutes: i64,
    venues: Vec<fanxing_core::training::VenueInput>,
) -> fanxing_core::training::SessionInput {
    fanxing_core::training::SessionInput {
        programme_id: programme,
        course_id: None,
        title: title.to_string(),
        region: region.to_string(),
        tier: tier.map(|t| t.as_str().to_string()),
        eligible_tiers: tier
            .map(|t| vec![t.as_str().to_string()])
            .unwrap_or_default(),
        eligible_region: None,
        starts_at: fanxing_core::training::format_local(start),
        ends_at: fanxing_core::training::format_local(start + minutes * 60),
        reg_opens_at: Some(fanxing_core::training::format_local(start - 21 * 86400)),
        reg_closes_at: Some(fanxing_core::training::format_local(start)),
        online_min_share: None,
        venues,
    }
}

fn venue(
    kind: &str,
    name: &str,
    address: &str,
    region: RegionCode,
    capacity: i64,
) -> fanxing_core::training::VenueInput {
    fanxing_core::training::VenueInput {
        kind: kind.into(),
        name: name.into(),
        address: address.into(),
        region: region.to_string(),
        capacity,
        stream_url: (kind == "online").then(|| "https://live.fanxing.example/stream".to_string()),
    }
}

/// The demo programme's issuing authority, printed on its certificates.
pub const DEMO_ISSUER: &str = "江苏省商务厅";

/// Seeds the 繁星计划 programme: targets cascaded to cities and counties,
/// about 60 % of the plan already held with attendances recorded, the
/// opening session of 2024-12-11 (main hall in Nanjing, 13 city halls,
/// online, about 3,000 attended), upcoming sessions open for registration
/// in every city, and one session later today in Kunshan with the demo
/// check-in staff on its door. Does nothing when a programme exists.
pub async fn seed_training(
    app: &Fanxing,
    seeds: &dyn crate::SeedStore,
    seed: u64,
) -> Result<Option<TrainingReport>> {
    use fanxing_core::training::store::RegistrationRow;
    use fanxing_core::training::{parse_local_datetime, ticket, SessionStatus, Target};
    if !app.stores.training.list_programmes().await?.is_empty() {
        return Ok(None);
    }
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let now = fanxing_core::now();
    let code = |v: u32| RegionCode::from_value(v).expect("valid code");
    let programme = app
        .stores
        .training
        .insert_programme(
            &fanxing_core::training::Programme {
                id: ProgrammeId(0),
                name: "繁星计划".into(),
                starts_on: "2024-12-01".into(),
                ends_on: "2026-12-31".into(),
                issuer: DEMO_ISSUER.into(),
            },
            now,
        )
        .await?;

    // Targets: 1,160 sessions and 67,500 attendances, per tier, cascaded.
    let province = code(320000);
    let tiers = [
        (None, 1160, 67_500),
        (Some(Tier::Cadre), 120, 6_000),
        (Some(Tier::CompanyHead), 350, 20_000),
        (Some(Tier::Operator), 690, 41_500),
    ];
    let total_weight: f64 = CITIES.iter().map(|c| c.1).sum();
    let regions = app.stores.people.list_regions(None, None).await?;
    let mut targets = Vec::new();
    for (tier, sessions, attendances) in tiers {
        targets.push(Target {
            region: province,
            tier,
            sessions,
            attendances,
        });
        let (mut s_left, mut a_left) = (sessions, attendances);
        for (i, &(city, weight, _)) in CITIES.iter().enumerate() {
            let (s, a) = if i + 1 == CITIES.len() {
                (s_left, a_left)
            } else {
                let s = (sessions as f64 * weight / total_weight).round() as i64;
                let a = (attendances as f64 * weight / total_weight).round() as i64;
                (s, a)
            };
            s_left -= s;
            a_left -= a;
            targets.push(Target {
                region: code(city),
                tier,
                sessions: s,
                attendances: a,
            });
            if tier.is_none() {
                // Cities allocate to their counties; Lianyungang has not
                // finished (its allocations fall short).
                let counties: Vec<&Region> = regions
                    .iter()
                    .filter(|r| r.level == RegionLevel::County && r.code.city() == code(city))
                    .collect();
                let n = counties.len() as i64;
                let short = if city == 320700 { 3 } else { 0 };
                for (j, c) in counties.iter().enumerate() {
                    let extra = if (j as i64) < s % n { 1 } else { 0 };
                    let aextra = if (j as i64) < a % n { 1 } else { 0 };
                    let cs = (s / n + extra - if j == 0 { short } else { 0 }).max(0);
                    targets.push(Target {
                        region: c.code,
                        tier: None,
                        sessions: cs,
                        attendances: a / n + aextra,
                    });
                }
            }
        }
    }
    app.stores
        .training
        .upsert_targets(programme, &targets)
        .await?;

    // People per city, for registrations.
    let mut people_by_city: std::collections::HashMap<u32, Vec<(PersonId, Tier, RegionCode)>> =
        Default::default();
    let everyone = app
        .stores
        .people
        .list_people(&PeopleQuery {
            access: Access::Regions(fanxing_core::region::RegionRange::ALL),
            text: None,
            region: None,
            tier: None,
            org_id: None,
            offset: 0,
            limit: i64::MAX / 2,
        })
        .await?;
    for p in everyone.items {
        people_by_city
            .entry(p.region.city().value())
            .or_default()
            .push((p.id, p.tier, p.region));
    }

    // The course catalogue the sessions run.
    let competencies = app.stores.curriculum.list_competencies().await?;
    let lecturer = app
        .stores
        .accounts
        .find_user_by_username("lecturer")
        .await?
        .map(|u| u.id);
    let mut course_ids = Vec::new();
    for (i, (title, tier)) in COURSE_TITLES.iter().enumerate() {
        let ids: Vec<i64> = COURSE_COMPETENCIES[i]
            .iter()
            .filter_map(|code| competencies.iter().find(|c| c.code == *code).map(|c| c.id))
            .collect();
        let draft = fanxing_core::curriculum::CourseDraft {
            title: title.to_string(),
            summary: String::new(),
            tiers: vec![*tier],
            duration_minutes: 180,
            lecturer: None,
            competencies: Vec::new(),
        };
        course_ids.push(
            app.stores
                .curriculum
                .insert_course(
                    &draft,
                    if i % 3 == 0 { lecturer } else { None },
                    None,
                    &ids,
                    now,
                )
                .await?,
        );
    }
    let course_of = |title: &str| {
        COURSE_TITLES
            .iter()
            .position(|(t, _)| *t == title)
            .map(|i| course_ids[i])
    };
    // The tracks' required courses and the prerequisites, before any
    // certificate is issued (they decide who earns one).
    let tracks = app.stores.curriculum.list_tracks().await?;
    for (i, (title, _)) in COURSE_TITLES.iter().enumerate() {
        let required: Vec<(i64, bool)> = REQUIRED_COURSES
            .iter()
            .filter(|(_, t)| t == title)
            .filter_map(|(tier, _)| tracks.iter().find(|t| t.tier == *tier))
            .map(|t| (t.id, true))
            .collect();
        let firsts: Vec<_> = PREREQUISITES
            .iter()
            .filter(|(t, _)| t == title)
            .filter_map(|(_, first)| course_of(first))
            .collect();
        if !required.is_empty() || !firsts.is_empty() {
            app.stores
                .paths
                .set_course_rules(course_ids[i], &required, &firsts)
                .await?;
        }
    }

    let keypair = || {
        let (seed, public) = ticket::new_keypair();
        (app.people.cipher().encrypt_bytes(&seed), public)
    };
    let mut regs: Vec<RegistrationRow> = Vec::new();
    let mut attend: Vec<(SessionId, Vec<PersonId>, i64)> = Vec::new();
    let mut held = 0usize;

    // The opening session: Nanjing main hall, 13 city halls, online.
    let opening_start = parse_local_datetime("2024-12-11 09:30").expect("valid");
    let mut venues = vec![venue(
        "main",
        "南京国际博览会议中心 主会场",
        "南京市建邺区江东中路 300 号",
        code(320105),
        1200,
    )];
    for &(city, district, hall) in CITY_HALLS {
        venues.push(venue(
            "sub",
            &format!("{hall} 分会场"),
            "",
            code(district),
            if city == 320100 { 150 } else { 180 },
        ));
    }
    venues.push(venue("online", "线上直播", "", code(320100), 2000));
    let opening = session_input(
        programme,
        "“繁星计划”启动仪式暨直播电商发展大会",
        province,
        None,
        opening_start,
        180,
        venues,
    )
    .validate(opening_start - 30 * 86400)
    .map_err(fanxing_core::Error::Invalid)?;
    let (enc, public) = keypair();
    let (sid, venue_ids) = app
        .stores
        .training
        .insert_session(&opening, SessionStatus::Closed, &enc, &public, now)
        .await?;
    held += 1;
    // Fill: main hall 760, city halls by size, online 640.
    let mut used: std::collections::HashSet<PersonId> = Default::default();
    let mut pick = |city: u32, n: usize, rng: &mut StdRng| -> Vec<PersonId> {
        let pool = people_by_city.get(&city).cloned().unwrap_or_default();
        let mut out = Vec::new();
        let mut tries = 0;
        while out.len() < n && tries < n * 20 && !pool.is_empty() {
            tries += 1;
            let (id, _, _) = pool[rng.random_range(0..pool.len())];
            if used.insert(id) {
                out.push(id);
            }
        }
        out
    };
    let mut opening_people = Vec::new();
    let main_people = pick(320100, 760, &mut rng);
    for &p in &main_people {
        regs.push(RegistrationRow {
            session_id: sid,
            person_id: p,
            venue_id: venue_ids[0],
            status: RegistrationStatus::Registered,
            created_at: opening_start - 86400,
        });
    }
    opening_people.extend(main_people);
    for (i, &(city, _, _)) in CITY_HALLS.iter().enumerate() {
        let n = if city == 320100 {
            120
        } else {
            110 + rng.random_range(0..60)
        };
        let ps = pick(city, n, &mut rng);
        for &p in &ps {
            regs.push(RegistrationRow {
                session_id: sid,
                person_id: p,
                venue_id: venue_ids[i + 1],
                status: RegistrationStatus::Registered,
                created_at: opening_start - 86400,
            });
        }
        opening_people.extend(ps);
    }
    let online_id = *venue_ids.last().expect("online venue");
    for &(city, _, _) in CITIES {
        for p in pick(city, 50, &mut rng) {
            regs.push(RegistrationRow {
                session_id: sid,
                person_id: p,
                venue_id: online_id,
                status: RegistrationStatus::Registered,
                created_at: opening_start - 86400,
            });
            opening_people.push(p);
        }
    }
    attend.push((sid, opening_people, opening_start));

    // Held sessions, spread over the months since the opening.
    let mut held_plans = Vec::new();
    let mut held_people: Vec<HeldPlan> = Vec::new();
    let span_start = parse_local_datetime("2025-01-06 09:00").expect("valid");
    for &(city, weight, _) in CITIES {
        let city_target = (1160.0 * weight / total_weight).round() as usize;
        let n = (city_target as f64 * city_pace(city)).round() as usize;
        let counties: Vec<RegionCode> = regions
            .iter()
            .filter(|r| r.level == RegionLevel::County && r.code.city() == code(city))
            .map(|r| r.code)
            .collect();
        let pool = people_by_city.get(&city).cloned().unwrap_or_default();
        for k in 0..n {
            let county = counties[rng.random_range(0..counties.len())];
            let (title, tier) = COURSE_TITLES[rng.random_range(0..COURSE_TITLES.len())];
            // Evenly over the period, on a weekday or Saturday morning/afternoon.
            let day = (now - span_start - 2 * 86400) / 86400;
            let start = span_start
                + (day * k as i64 / n.max(1) as i64) * 86400
                + if rng.random_bool(0.5) { 0 } else { 5 * 3600 };
            let place = regions
                .iter()
                .find(|r| r.code == county)
                .map(|r| r.short_name().to_string())
                .unwrap_or_default();
            let has_online = rng.random_bool(0.4);
            let mut venues = vec![venue(
                "main",
                &format!("{place}电商产业园报告厅"),
                "",
                county,
                80 + 10 * rng.random_range(0..8),
            )];
            if has_online {
                venues.push(venue("online", "线上直播", "", county, 300));
            }
            let mut input =
                session_input(programme, title, code(city), Some(tier), start, 180, venues);
            input.course_id = course_of(title);
            let d = input
                .validate(start - 30 * 86400)
                .map_err(fanxing_core::Error::Invalid)?;
            let (enc, public) = keypair();
            held_plans.push(fanxing_core::training::store::NewSession {
                draft: d,
                status: SessionStatus::Closed,
                signing_key_enc: enc,
                public_key: public,
            });
            held += 1;
            // Registrations from the city's people of that tier (mostly).
            let want = rng.random_range(45..80usize);
            let mut chosen: Vec<PersonId> = Vec::with_capacity(want);
            let mut seen = std::collections::HashSet::new();
            let mut tries = 0;
            while chosen.len() < want && tries < want * 10 && !pool.is_empty() {
                tries += 1;
                let (id, t, _) = pool[rng.random_range(0..pool.len())];
                if (t == tier || rng.random_bool(0.1)) && seen.insert(id) {
                    chosen.push(id);
                }
            }
            let mut came = Vec::new();
            let mut plan_regs = Vec::new();
            for (i, &p) in chosen.iter().enumerate() {
                let v = usize::from(has_online && i % 4 == 3);
                plan_regs.push((p, v));
                // About 85 % show up.
                if rng.random_bool(0.85) {
                    came.push(p);
                }
            }
            held_people.push((plan_regs, came, start));
        }
    }
    // All held sessions in one transaction, then their registrations and
    // attendances in bulk.
    let ids = seeds.insert_sessions_bulk(&held_plans, now).await?;
    for ((sid, vids), (plan_regs, came, start)) in ids.into_iter().zip(held_people) {
        for (p, v) in plan_regs {
            regs.push(RegistrationRow {
                session_id: sid,
                person_id: p,
                venue_id: vids[v],
                status: RegistrationStatus::Registered,
                created_at: start - 5 * 86400,
            });
        }
        attend.push((sid, came, start));
    }
    seeds.insert_registrations_bulk(&regs).await?;
    let attendances = seeds.mark_attended_many(&attend).await?;
    app.curriculum.issue_certificates(programme).await?;

    // Upcoming sessions, open for registration, in every city.
    let mut upcoming = 0;
    for &(city, district, hall) in CITY_HALLS {
        for k in 0..2 {
            let (title, tier) = COURSE_TITLES[(city as usize / 100 + k) % COURSE_TITLES.len()];
            let start = (now / 86400 + 7 + 7 * k as i64 + (city as i64 % 5)) * 86400 + 3600; // 09:00 Beijing
            let counties: Vec<RegionCode> = regions
                .iter()
                .filter(|r| {
                    r.level == RegionLevel::County
                        && r.code.city() == code(city)
                        && r.code != code(district)
                })
                .map(|r| r.code)
                .collect();
            let sub = counties[rng.random_range(0..counties.len())];
            let sub_name = regions
                .iter()
                .find(|r| r.code == sub)
                .map(|r| r.short_name().to_string())
                .unwrap_or_default();
            let mut input = session_input(
                programme,
                title,
                code(city),
                Some(tier),
                start,
                180,
                vec![
                    venue("main", hall, "", code(district), 200),
                    venue("sub", &format!("{sub_name}分会场"), "", sub, 60),
                    venue("online", "线上直播", "", code(city), 500),
                ],
            );
            input.course_id = course_of(title);
            let d = input.validate(now).map_err(fanxing_core::Error::Invalid)?;
            let (enc, public) = keypair();
            app.stores
                .training
                .insert_session(&d, SessionStatus::Published, &enc, &public, now)
                .await?;
            upcoming += 1;
        }
    }

    // Later today in Kunshan: check-in opens now; the demo staff hold its door.
    let kunshan = code(320583);
    let today = session_input(
        programme,
        "昆山直播运营实战训练营",
        code(320500),
        Some(Tier::Operator),
        now + 3600,
        180,
        vec![
            venue(
                "main",
                "昆山电商产业园报告厅",
                "昆山市前进西路",
                kunshan,
                120,
            ),
            venue("online", "线上直播", "", code(320500), 300),
        ],
    );
    let mut today = today;
    today.reg_opens_at = Some(fanxing_core::training::format_local(now - 86400));
    let d = today.validate(now).map_err(fanxing_core::Error::Invalid)?;
    let (enc, public) = keypair();
    let (_, vids) = app
        .stores
        .training
        .insert_session(&d, SessionStatus::Published, &enc, &public, now)
        .await?;
    if let Some(staff) = app.stores.accounts.find_user_by_username("checkin").await? {
        app.stores
            .checkins
            .assign_venue_staff(vids[0], staff.id)
            .await?;
    }
    upcoming += 1;

    Ok(Some(TrainingReport {
        programme,
        held_sessions: held,
        attendances,
        upcoming_sessions: upcoming,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fanxing_core::region::{parse_regions_csv, JIANGSU_CSV};

    #[test]
    fn demo_is_realistic_and_deterministic() {
        let regions = parse_regions_csv(JIANGSU_CSV, &[]).unwrap();
        let a = generate(&regions, 7, DemoSize::default());
        let b = generate(&regions, 7, DemoSize::default());
        assert_eq!(a.orgs.len(), 2_000);
        assert_eq!(a.people.len(), 30_000);
        assert_eq!(a.people[123].draft.name, b.people[123].draft.name);
        // Every city has people, Suzhou the most.
        let count = |city: &str| {
            let c = RegionCode::parse(city).unwrap();
            a.people
                .iter()
                .filter(|p| p.draft.region.city() == c)
                .count()
        };
        for &(city, _, _) in CITIES {
            assert!(count(&city.to_string()) > 500, "{city}");
        }
        assert!(count("320500") > count("321100"));
        // Unique mobiles in the demo block.
        let mut mobiles: Vec<_> = a.people.iter().map(|p| p.draft.mobile.as_str()).collect();
        mobiles.sort();
        mobiles.dedup();
        assert_eq!(mobiles.len(), 30_000);
        assert!(mobiles.iter().all(|m| m.starts_with(DEMO_MOBILE_PREFIX)));
        // Operators are the largest tier, cadres the smallest.
        let tier = |t| a.people.iter().filter(|p| p.draft.tier == t).count();
        assert!(tier(Tier::Operator) > tier(Tier::CompanyHead));
        assert!(tier(Tier::CompanyHead) > tier(Tier::Cadre));
        // Every account's person and organisation was found.
        for acc in &a.accounts {
            match acc.role {
                Role::Lecturer | Role::Checkin | Role::Trainee => assert!(acc.person.is_some()),
                Role::Partner => assert!(acc.org.is_some()),
                _ => assert!(acc.region.is_some()),
            }
        }
        // Every person's region is a real region in its organisation's city.
        for p in &a.people {
            assert!(regions.iter().any(|r| r.code == p.draft.region));
        }
    }

    #[test]
    fn demo_credit_codes_pass_the_gb_32100_check() {
        let region = RegionCode::from_value(320583).unwrap();
        for seq in [0, 1, 42, 9_999_999, 12_345_678] {
            let code = fake_credit_code(region, seq);
            assert!(
                fanxing_core::matching::CreditCode::parse(&code).is_ok(),
                "{code}"
            );
        }
    }
}
