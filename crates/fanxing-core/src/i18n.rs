//! User-facing text in Simplified Chinese (the default) and English.
//!
//! Every message a person can see — page labels, field errors, refusals — is a
//! key in [`CATALOG`]. The web layer and the CLI both look text up here, so an
//! error raised deep in the domain reaches the user in their own language.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The two languages Fanxing speaks. Chinese is the default everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Parses a language tag such as `zh`, `zh-CN` or `en-GB`; anything else is `None`.
    pub fn parse(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag.starts_with("zh") {
            Some(Lang::Zh)
        } else if tag.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// Picks a language from an HTTP `Accept-Language` value (first match wins).
    pub fn from_accept_language(header: &str) -> Lang {
        header
            .split(',')
            .filter_map(|part| Lang::parse(part.split(';').next().unwrap_or("")))
            .next()
            .unwrap_or_default()
    }

    /// The short tag used in cookies and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The other language, for the switch in the page header.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The cookie value for this language.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// Looks `key` up in the catalog. An unknown key is returned as is, so a
    /// missing entry shows up on screen instead of failing; a test keeps the
    /// catalog complete.
    pub fn t(self, key: &str) -> &str {
        match INDEX.get(key) {
            Some((zh, en)) => match self {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => key,
        }
    }

    /// Looks `key` up and replaces each `{name}` with its value.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut out = self.t(key).to_string();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

/// Every catalog: the shared one here, then each feature's own.
pub const CATALOGS: &[&[(&str, &str, &str)]] = &[
    CATALOG,
    crate::matching::i18n::CATALOG,
    crate::compliance::i18n::CATALOG,
    crate::knowledge::i18n::CATALOG,
    crate::paths::i18n::CATALOG,
];

static INDEX: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> = LazyLock::new(|| {
    CATALOGS
        .iter()
        .flat_map(|c| c.iter())
        .map(|(k, zh, en)| (*k, (*zh, *en)))
        .collect()
});

/// Whether the catalog has `key` (used by tests that scan templates).
pub fn has_key(key: &str) -> bool {
    INDEX.contains_key(key)
}

/// `(key, 中文, English)`.
pub const CATALOG: &[(&str, &str, &str)] = &[
    // Product and navigation.
    ("app.name", "繁星", "Fanxing"),
    ("app.tagline", "直播电商人才培育平台", "Live-commerce talent programme platform"),
    ("app.intro", "从省到县的目标分解、分层课程、主分会场同步培训、扫码签到、人次统计、证书、数据看板与直播间数据分析，一个平台完成。", "Targets cascaded from province to county, tiered curricula, main and sub-venue sessions, QR check-in, person-time counts, certificates, dashboards and live-room analytics, on one platform."),
    ("nav.home", "首页", "Home"),
    ("nav.people", "人员", "People"),
    ("nav.orgs", "单位", "Organisations"),
    ("nav.login", "登录", "Log in"),
    ("nav.logout", "退出", "Log out"),
    ("nav.lang", "English", "中文"),
    ("nav.me", "我的信息", "My profile"),
    ("nav.skip", "跳到正文", "Skip to content"),
    // Log-in.
    ("login.title", "登录繁星", "Log in to Fanxing"),
    ("login.login", "手机号或用户名", "Mobile number or username"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Log in"),
    ("login.failed", "手机号/用户名或密码不正确", "Wrong mobile number/username or password"),
    ("login.locked", "登录失败次数过多，请 {minutes} 分钟后再试", "Too many failed log-ins; try again in {minutes} minutes"),
    ("login.expired", "登录已过期，请重新登录", "Your session has expired; please log in again"),
    ("login.required", "请先登录", "Please log in first"),
    ("login.demo_hint", "演示账号密码均为 fanxing-demo", "Demo accounts all use the password fanxing-demo"),
    // Home.
    ("home.title", "概览", "Overview"),
    ("home.scope", "可见范围", "Your scope"),
    ("home.people", "人员", "People"),
    ("home.orgs", "单位", "Organisations"),
    ("home.region", "地区", "Region"),
    ("home.total", "合计", "Total"),
    ("home.welcome", "欢迎，{name}", "Welcome, {name}"),
    ("home.no_scope", "您的角色没有可查看的地区统计。", "Your role has no regional figures to show."),
    // Roles.
    ("role.programme_office", "省项目办", "Programme office"),
    ("role.city_office", "市级主管部门", "City office"),
    ("role.county_office", "县级主管部门", "County office"),
    ("role.lecturer", "讲师/培训机构", "Lecturer / provider"),
    ("role.checkin", "签到人员", "Check-in staff"),
    ("role.trainee", "学员", "Trainee"),
    ("role.partner", "合作伙伴", "Partner"),
    // Tiers.
    ("tier.cadre", "领导干部", "Cadre"),
    ("tier.company_head", "企业负责人", "Company head"),
    ("tier.operator", "运营人员", "Operator"),
    // Organisation kinds.
    ("org_kind.government", "政府部门", "Government office"),
    ("org_kind.enterprise", "企业", "Enterprise"),
    ("org_kind.bank", "银行", "Bank"),
    ("org_kind.platform", "平台", "Platform"),
    ("org_kind.service_provider", "服务机构", "Service provider"),
    ("org_kind.training_provider", "培训机构", "Training provider"),
    ("org_kind.live_base", "直播基地", "Live-streaming base"),
    // Sales bands.
    ("sales.under_1m", "100万元以下", "Under ¥1 million"),
    ("sales.1m_5m", "100万–500万元", "¥1–5 million"),
    ("sales.5m_20m", "500万–2000万元", "¥5–20 million"),
    ("sales.20m_100m", "2000万–1亿元", "¥20–100 million"),
    ("sales.over_100m", "1亿元以上", "Over ¥100 million"),
    // Region levels.
    ("level.province", "省", "Province"),
    ("level.city", "市", "City"),
    ("level.county", "县/区", "County"),
    ("level.zone", "功能区", "Zone"),
    // People.
    ("people.title", "人员", "People"),
    ("people.new", "新增人员", "Add person"),
    ("people.edit", "编辑人员", "Edit person"),
    ("people.search", "姓名或手机号", "Name or mobile number"),
    ("people.count", "共 {n} 人", "{n} people"),
    ("people.empty", "没有符合条件的人员。", "No one matches."),
    ("people.reveal", "查看完整号码", "Show full numbers"),
    ("people.revealed", "完整号码已显示，本次查看已记入审计日志。", "Full numbers shown; this read is recorded in the audit log."),
    ("people.keep_if_empty", "留空则保持不变", "leave empty to keep it"),
    ("field.name", "姓名", "Name"),
    ("field.mobile", "手机号", "Mobile"),
    ("field.id_number", "身份证号", "Resident ID number"),
    ("field.tier", "层级", "Tier"),
    ("field.org", "单位", "Organisation"),
    ("field.region", "所在地区", "Region"),
    ("field.kind", "类型", "Kind"),
    ("field.industry", "产业带/品类", "Industry / category"),
    ("field.sales_band", "年网络销售额", "Annual online sales"),
    ("field.credit_code", "统一社会信用代码", "Unified social credit code"),
    ("field.all", "全部", "All"),
    ("field.none", "（无）", "(none)"),
    ("field.optional", "选填", "optional"),
    // Organisations.
    ("orgs.title", "单位", "Organisations"),
    ("orgs.new", "新增单位", "Add organisation"),
    ("orgs.edit", "编辑单位", "Edit organisation"),
    ("orgs.search", "单位名称", "Organisation name"),
    ("orgs.count", "共 {n} 家", "{n} organisations"),
    ("orgs.empty", "没有符合条件的单位。", "No organisation matches."),
    ("orgs.members", "人员", "People"),
    // Actions.
    ("action.search", "搜索", "Search"),
    ("action.save", "保存", "Save"),
    ("action.cancel", "取消", "Cancel"),
    ("action.edit", "编辑", "Edit"),
    ("action.prev", "上一页", "Previous"),
    ("action.next", "下一页", "Next"),
    ("action.back", "返回", "Back"),
    ("page.of", "第 {page} / {pages} 页", "Page {page} of {pages}"),
    ("form.fix", "请修改标出的内容后再提交。", "Please correct the highlighted fields."),
    ("form.saved", "已保存。", "Saved."),
    // Training operations.
    ("nav.sessions", "培训", "Sessions"),
    ("nav.my_sessions", "我的培训", "My sessions"),
    ("nav.checkin", "签到", "Check-in"),
    ("nav.progress", "目标进度", "Progress"),
    ("sessions.title", "培训场次", "Sessions"),
    ("sessions.count", "共 {n} 场", "{n} sessions"),
    ("sessions.empty", "暂无可报名的培训。", "No sessions to show."),
    ("sessions.time", "时间", "Time"),
    ("sessions.status", "状态", "Status"),
    ("sessions.organiser", "主办地区", "Organised by"),
    ("sessions.registration", "报名时间", "Registration"),
    ("sessions.for_tiers", "面向层级", "For tiers"),
    ("sessions.attendances", "参训人次", "Attendances"),
    ("sessions.attended", "已参训", "Attended"),
    ("sessions.my_registration", "我的报名", "My registration"),
    ("sessions.waitlist_pos", "候补第 {n} 位", "number {n} on the waitlist"),
    ("sessions.show_ticket", "出示电子票", "Show ticket"),
    ("sessions.watch", "进入线上课堂", "Watch online"),
    ("sessions.cancel_registration", "取消报名", "Cancel registration"),
    ("sessions.register", "报名", "Register"),
    ("sessions.register_button", "确认报名", "Register"),
    ("sessions.venue", "会场", "Venue"),
    ("sessions.venues", "会场", "Venues"),
    ("sessions.capacity", "容量", "Capacity"),
    ("sessions.seats_left", "余 {n} 座", "{n} seats left"),
    ("sessions.manage", "管理", "Manage"),
    ("sessions.cancel_notice", "取消原因（将通知已报名学员）", "Reason (sent to registrants)"),
    ("sessions.to_published", "发布", "Publish"),
    ("sessions.to_under_way", "开始", "Start"),
    ("sessions.to_closed", "结束并统计", "Close and count"),
    ("sessions.to_cancelled", "取消培训", "Cancel session"),
    ("sessions.to_draft", "草稿", "Draft"),
    ("sessions.done_registered", "报名成功，请在“我的培训”查看电子票。", "Registered. Your ticket is under My sessions."),
    ("sessions.done_waitlisted", "会场已满，您已进入候补名单，有空位时自动转正并通知您。", "The venue is full: you are on the waitlist and will be moved up and told when a seat frees."),
    ("sessions.done_cancelled", "已取消报名。", "Registration cancelled."),
    ("sessions.done_status", "状态已更新。", "Status updated."),
    ("my.title", "我的培训", "My sessions"),
    ("my.calendar", "订阅我的培训日历", "Subscribe to my calendar"),
    ("my.calendar_hint", "在手机日历中订阅此链接，培训改期或取消会自动更新。请勿转发。", "Subscribe in your phone's calendar; moved or cancelled sessions update themselves. Keep the link private."),
    ("sessions.add_calendar", "加入日历", "Add to calendar"),
    ("my.notices", "通知", "Notices"),
    ("my.empty", "您还没有报名培训。", "You have not registered for any session."),
    ("ticket.title", "电子票", "Ticket"),
    ("ticket.qr", "签到二维码", "Check-in QR code"),
    ("ticket.hint", "请在会场入口出示此二维码。截图保存可在无网络时使用。", "Show this QR code at the door. A screenshot works without a network."),
    ("checkin.title", "签到", "Check-in"),
    ("checkin.none", "您没有被分配签到会场。", "You are not assigned to any venue."),
    ("checkin.loading", "正在准备签到名单…", "Preparing the roster…"),
    ("checkin.scan_label", "扫码枪扫描或输入票码", "Scan with a scanner or type the ticket code"),
    ("checkin.submit", "签到", "Check in"),
    ("checkin.camera", "用摄像头扫码", "Scan with camera"),
    ("checkin.search", "按姓名或手机号查找", "Find by name or number"),
    ("checkin.walkin", "现场报名", "Walk-in"),
    ("checkin.walkin_button", "报名并签到", "Register and check in"),
    ("checkin.counts", "本会场", "This venue"),
    ("checkin.here", "人已签到", "checked in"),
    ("checkin.queued", "条待同步", "waiting to sync"),
    ("checkin.other_venue_confirm", "此票属于「{venue}」。仍在本会场签到？", "This ticket is for {venue}. Check in here anyway?"),
    ("checkin.online", "在线：签到即时同步", "Online: check-ins sync at once"),
    ("checkin.offline", "离线：签到保存在本机，恢复网络后自动同步", "Offline: check-ins are kept on this device and sync when the network returns"),
    ("checkin.synced", "已同步", "Synced"),
    ("checkin.queued_note", "已保存，待同步", "Saved; will sync"),
    ("checkin.online_only", "此页面无法离线缓存（需 HTTPS）：请保持页面打开，断网时签到仍会保存在本机。", "This page cannot be cached for offline use (HTTPS needed): keep it open; check-ins made offline are still kept on this device."),
    ("checkin.offline_ready", "已缓存名单和签名公钥，可离线签到。", "Roster and signing key cached: ready to work offline."),
    ("checkin.no_kit", "尚未下载签到名单，请先连接网络打开本页。", "No roster yet: open this page once with a network."),
    ("checkin.unknown", "名单中没有此票（可能是新报名），已保存待联网核验。", "Not in the roster (perhaps a late registration); saved for checking online."),
    ("watch.open_stream", "打开直播", "Open the stream"),
    ("watch.rule", "保持本页打开：在线时长达到课程时长的 {share}% 即计为参训。", "Keep this page open: being present for {share}% of the session counts as attendance."),
    ("watch.waiting", "正在连接…", "Connecting…"),
    ("watch.present", "在线计时中", "Presence recorded"),
    ("watch.not_open", "课程尚未开始或已结束", "The session has not started or has ended"),
    ("watch.offline", "网络中断，恢复后继续计时", "Network lost; timing resumes when it returns"),
    ("report.progress_sheet", "目标进度", "Progress"),
    ("report.attendance_sheet", "签到名单", "Attendance"),
    ("report.session_target", "场次目标", "Session target"),
    ("report.sessions_held", "已办场次", "Sessions held"),
    ("report.session_rate", "场次完成率", "Sessions reached"),
    ("report.attendance_target", "人次目标", "Attendance target"),
    ("report.attendances", "参训人次", "Attendances"),
    ("report.attendance_rate", "人次完成率", "Attendances reached"),
    ("report.status", "报名状态", "Registration"),
    ("report.attended_venue", "签到会场", "Checked in at"),
    ("report.checked_in_at", "签到时间", "Checked in"),
    ("report.waitlist_pos", "候补序号", "Waitlist no."),
    ("report.mode", "方式", "Mode"),
    ("impact.title", "培训成效：参训直播间与相似的未参训直播间对比", "Training impact: trained rooms against similar untrained rooms"),
    ("impact.positive", "培训后{outcome}提升：约 {att}，{level}% 区间 {ci}。", "After training, {outcome} rose: by about {att}, {level}% interval {ci}."),
    ("impact.negative", "培训后{outcome}下降：约 {att}，{level}% 区间 {ci}。", "After training, {outcome} fell: by about {att}, {level}% interval {ci}."),
    ("impact.none", "未见明显变化：培训后{outcome}的变化与随机波动区分不开。", "No clear change: after training, {outcome} moved no more than chance would."),
    ("impact.too_little", "数据不足以得出结论：参训直播间太少，或缺少培训前的数据。", "The data cannot support a conclusion: too few trained rooms, or too little data from before training."),
    ("impact.pre_trends", "暂不下结论：培训前参训直播间与对照直播间的走势就已不同，比较不可信。", "No conclusion yet: before training the trained rooms already moved apart from their controls, so the comparison cannot be trusted."),
    ("impact.effect", "{outcome}的变化（培训后第 1–12 周）", "Change in {outcome} (weeks 1–12 after training)"),
    ("impact.outcome", "成效指标", "Outcome"),
    ("impact.outcome.log_gmv", "每周成交额", "weekly GMV"),
    ("impact.outcome.gpm", "千次观看成交额（GPM，元）", "GMV per thousand views (GPM, yuan)"),
    ("impact.outcome.view_to_order", "观看-成交转化率", "view→order conversion"),
    ("impact.outcome.sessions", "每周开播场次", "sessions per week"),
    ("impact.pending", "培训成效正在计算（数据量大时需要几秒），请稍后刷新本页。", "The training impact is being computed (a few seconds with much data); reload this page in a moment."),
    ("impact.details", "查看该地区的直播数据统计", "See the region's live-commerce statistics"),
    ("impact.naive", "简单前后对比（有偏，仅供参照）", "Naive before/after (biased, for reference)"),
    ("impact.rooms", "参训直播间 / 对照直播间", "Trained rooms / control rooms"),
    ("impact.method", "按培训周分组的双重差分（Callaway–Sant'Anna），对照为同行业同城市、培训前基期水平最接近的未参训直播间；基期避开培训前 10 周的下滑；效果取培训后第 1–12 周的平均。区间的标准误取两者中较大者：对参训直播间与对照直播间分别重抽样的自助法（同一对照直播间无论服务多少参训直播间只算一次），以及安慰剂估计的离散程度。曲线为培训前后各周的效果。", "Difference-in-differences by training week (Callaway–Sant'Anna) against the untrained rooms of the same industry and city closest in level in the base period; the base period avoids the 10 weeks before training, when sales dip; the effect averages weeks 1–12 after training. The interval's standard error is the larger of a bootstrap that resamples trained rooms and control rooms apart (a control serving many trained rooms counts once) and the spread of the placebo estimates. The curve shows the effect week by week before and after training."),
    ("analytics.rooms_title", "直播间", "Live rooms"),
    ("analytics.stats_title", "直播电商统计", "Live-commerce statistics"),
    ("analytics.rooms_count", "共 {n} 个直播间", "{n} rooms"),
    ("analytics.no_rooms", "没有直播间。办公室可在此新建直播间，或通过接口建立。", "No live rooms. Offices add rooms here or through the API."),
    ("analytics.room", "直播间", "Room"),
    ("analytics.platform", "平台", "Platform"),
    ("analytics.industry", "行业", "Industry"),
    ("analytics.size", "量级", "Size"),
    ("analytics.from", "起始月份", "From"),
    ("analytics.to", "截止月份", "To"),
    ("analytics.provenance", "数据来源", "Source"),
    ("analytics.sessions_count", "期间共 {n} 场直播", "{n} sessions in the period"),
    ("analytics.no_sessions", "所选期间没有直播数据，请上传平台导出的场次数据。", "No sessions in this period; upload the platform's session export."),
    ("analytics.findings", "诊断", "Diagnosis"),
    ("analytics.no_findings", "同行数量不足或各项指标处于中间水平，暂无明确结论。", "Too few peers, or every KPI is mid-range: nothing to conclude yet."),
    ("analytics.work_on", "建议学习：{competency}", "Work on: {competency}"),
    ("analytics.funnel", "转化漏斗", "Funnel"),
    ("analytics.exposure", "商品曝光", "Product exposure"),
    ("analytics.clicks", "商品点击", "Product clicks"),
    ("analytics.buyers", "成交人数", "Buyers"),
    ("analytics.vs_peers", "与同行对比", "Against peers"),
    ("analytics.value", "本直播间", "This room"),
    ("analytics.percentile", "超过同行", "Better than % of peers"),
    ("analytics.median", "同行中位数", "Peer median"),
    ("analytics.excellent", "同行优秀值", "Excellent value"),
    ("analytics.peer_group", "对比组 · 数量", "Peer group · size"),
    ("analytics.gmv_by_month", "月度成交金额", "GMV by month"),
    ("analytics.upload", "导入场次数据", "Import sessions"),
    ("analytics.upload_hint", "上传本直播间平台后台导出的直播场次数据（.xlsx 或 .csv）。有任何错误则整份文件不导入；已导入过的场次保持不变。", "Upload this room's per-session export from the platform (.xlsx or .csv). Any error and nothing is imported; sessions imported before stay as they are."),
    ("analytics.file", "文件", "File"),
    ("analytics.imported_new", "导入完成，新增 {n} 场直播。", "Imported: {n} new sessions."),
    ("analytics.no_stats", "所选范围内没有直播数据。", "No live-commerce data in this range."),
    ("analytics.by_region", "按地区", "By region"),
    ("analytics.by_industry", "按行业", "By industry"),
    ("analytics.by_platform", "按平台", "By platform"),
    ("analytics.rooms", "直播间数", "Rooms"),
    ("analytics.sessions", "直播场次", "Sessions"),
    ("analytics.total", "合计", "Total"),
    ("nav.rooms", "直播数据", "Live data"),
    ("peer.industry_tier_city", "本市同行业同量级", "Same industry and size, same city"),
    ("peer.industry_tier_province", "全省同行业同量级", "Same industry and size, province"),
    ("peer.industry_province", "全省同行业", "Same industry, province"),
    ("peer.province", "全省直播间", "All rooms in the province"),
    ("finding.click_to_order", "点击后成交的比例低于同行：商品选择、定价和讲解的说服力是首要改进点。", "Fewer clicks turn into orders than at peers: work on product selection, pricing and how products are presented."),
    ("finding.product_click_rate", "商品曝光后点击的比例低于同行：改进挂车节奏、商品展示与话术。", "Fewer shown products get clicked than at peers: work on when and how products are shown and introduced."),
    ("finding.interaction_rate", "观众互动（评论）比例低于同行：加强内容策划和互动设计。", "Fewer viewers interact than at peers: work on content planning and interaction design."),
    ("finding.avg_watch_s", "观众停留时间短于同行：优化开场、节奏和内容结构。", "Viewers stay shorter than at peers: work on the opening, pacing and structure of the content."),
    ("finding.follow_rate", "观众转粉比例低于同行：加强粉丝运营和公私域联动。", "Fewer viewers follow than at peers: work on fan building and public/private-domain linkage."),
    ("finding.view_to_order", "观看到成交的整体转化低于同行：从直播间运营全流程查找流失环节。", "Fewer viewers buy than at peers: look for the leaks along the whole live-room funnel."),
    ("finding.refund_rate", "退款率高于同行：检查商品质量、描述一致性和售后。", "Refunds are higher than at peers: check product quality, honest descriptions and after-sales."),
    ("finding.aov", "客单价低于同行：考虑组合装、品牌与价格带策略。", "Orders are smaller than at peers: consider bundles, brand and price-band strategy."),
    ("finding.gpm", "千次观看成交额低于同行：用数据分析找出流量与转化的短板。", "Sales per thousand views are below peers: use data analysis to find where traffic or conversion falls short."),
    ("finding.viewers", "观看人数少于同行：改进开播时段、预热和平台流量规则的运用。", "Fewer viewers than peers: work on timing, warm-up and the platform's traffic rules."),
    ("finding.strong", "优于本组四分之三的同行，是这个直播间的长处。", "Better than three quarters of its peers: a strength of this room."),
    ("error.date", "日期格式应为 YYYY-MM-DD（月份为 YYYY-MM）", "Use the format YYYY-MM-DD (months: YYYY-MM)"),
    ("analytics.failed", "文件有 {n} 处问题，未导入任何数据：", "{n} problems in the file; nothing was imported:"),
    ("analytics.done", "导入完成：文件共 {rows} 场直播，其中新增 {new} 场（其余此前已导入，保持不变）", "Imported: {rows} sessions in the file, {new} new (the rest were imported before and are unchanged)"),
    ("size.head", "头部（百万粉以上）", "Head (1M+ followers)"),
    ("size.waist", "腰部（10万–100万粉）", "Waist (100k–1M followers)"),
    ("size.tail", "尾部（1万–10万粉）", "Tail (10k–100k followers)"),
    ("size.starter", "起步（1万粉以下）", "Starter (under 10k followers)"),
    ("room.account_taken", "该平台已有此账号的直播间", "This platform already has a room for this account"),
    ("room.operator_unknown", "运营人员不存在或不在您的管辖范围内", "An operator does not exist or is outside your scope"),
    ("room.operator_mobile_bad", "「{mobile}」不是有效的手机号", "「{mobile}」 is not a valid mobile number"),
    ("room.operator_no_person", "手机号 {mobile} 不是您管辖范围内的学员", "No trainee in your region has the mobile number {mobile}"),
    ("room.tier_disagrees", "所选量级与粉丝数不符（可留空，按粉丝数确定）", "The size does not match the followers (leave it empty to take it from the followers)"),
    ("room.new", "新建直播间", "New live room"),
    ("room.followers", "粉丝数", "Followers"),
    ("room.followers_bad", "粉丝数应为非负整数", "Followers must be a whole number of zero or more"),
    ("room.followers_hint", "填写后按粉丝数确定量级", "Gives the size tier when filled in"),
    ("room.operators", "运营人员手机号", "Operators' mobile numbers"),
    ("room.operators_hint", "每行一个；须为本辖区已登记的学员", "One per line; each must be a registered trainee in your region"),
    ("room.account", "平台账号", "Platform account"),
    ("room.name", "直播间名称", "Room name"),
    ("room.operators_title", "运营人员", "Operators"),
    ("room.operators_manage_hint", "取消勾选即移除；参训的运营人员决定该直播间是否计入培训成效。", "Untick to remove; trained operators decide whether the room counts in the training impact."),
    ("room.operators_saved", "运营人员已保存。", "Operators saved."),
    ("room.search", "按名称或账号搜索", "Search by name or account"),
    ("room.other_platform", "直播间属于另一个平台", "The room is on another platform"),
    ("room.account_required", "未指定直播间时，每行须填写账号", "Without a room chosen, every row needs its account"),
    ("room.unknown_account", "没有这个账号的直播间（或不在您的范围内）", "No room has this account (or it is outside your scope)"),
    ("platform.douyin", "抖音", "Douyin"),
    ("platform.taobao", "淘宝直播", "Taobao Live"),
    ("platform.channels", "视频号", "WeChat Channels"),
    ("platform.kuaishou", "快手", "Kuaishou"),
    ("platform.other", "其他", "Other"),
    ("provenance.official", "平台官方导出", "Official export"),
    ("provenance.estimate", "第三方估算", "Third-party estimate"),
    ("provenance.manual", "手工录入", "Manual"),
    ("kpi.views", "观看人次", "Views (PV)"),
    ("kpi.viewers", "观看人数", "Viewers (UV)"),
    ("kpi.peak_online", "最高在线人数", "Peak concurrency"),
    ("kpi.avg_watch_s", "人均观看时长（秒）", "Average watch time (s)"),
    ("kpi.interaction_rate", "互动率", "Interaction rate"),
    ("kpi.follow_rate", "转粉率", "Follow rate"),
    ("kpi.product_click_rate", "商品点击率", "Product click rate"),
    ("kpi.click_to_order", "点击-成交转化率", "Click→order conversion"),
    ("kpi.view_to_order", "观看-成交转化率", "View→order conversion"),
    ("kpi.gmv", "成交金额（元）", "GMV (yuan)"),
    ("kpi.net_gmv", "退款后成交金额（元）", "Net GMV (yuan)"),
    ("kpi.uv_value", "UV价值（元）", "GMV per viewer (yuan)"),
    ("kpi.gpm", "千次观看成交金额（元）", "GPM (yuan)"),
    ("kpi.aov", "客单价（元）", "Average order value (yuan)"),
    ("kpi.refund_rate", "退款率", "Refund rate"),
    ("analytics.unknown_layout", "表头不是所选平台（{platform}）的直播场次导出格式：需要“{id}”和“{start}”两列，而文件前几行是：{held}", "The header is not the selected platform's ({platform}) session export: it needs the columns \"{id}\" and \"{start}\", but the first rows hold: {held}"),
    ("analytics.other_platform", "这是{other}的导出文件（含“{column}”列），请在“平台”处选择{other}后再导入", "This is a {other} export (it has a \"{column}\" column); choose {other} as the platform and import again"),
    ("analytics.unknown_unit", "无法识别单位“{unit}”：金额请用 元/万元，时长请用 秒/分钟/小时，人数次数请用 人/次/万", "Unknown unit \"{unit}\": use 元/万元 for money, 秒/分钟/小时 for durations, 人/次/万 for counts"),
    ("analytics.id_damaged", "编号被 Excel 改成了科学计数法（如 7.47812E+18），末尾数字已丢失。请重新导出，或在 Excel 中先把该列设为“文本”格式再粘贴数据", "Excel turned this identifier into scientific notation (e.g. 7.47812E+18) and its last digits are lost. Export again, or set the column to Text in Excel before pasting"),
    ("analytics.duration_too_long", "直播时长超过 72 小时，不可能是一场直播（请检查单位）", "Longer than 72 hours: not one live session (check the unit)"),
    ("analytics.count_too_large", "数值超过 10 亿，不可能是一场直播的数据（请检查单位）", "Over one billion: not one live session's figure (check the unit)"),
    ("analytics.money_too_large", "金额超过 100 亿元，不可能是一场直播的数据（请检查单位）", "Over ten billion yuan: not one live session's figure (check the unit)"),
    ("analytics.watch_over_duration", "人均观看时长超过了直播时长", "Average watch time exceeds the session's length"),
    ("analytics.sales_without_viewers", "有成交却没有观看人数，数据不可信", "Sales without any viewers: the row cannot be right"),
    ("sheet.formula_no_value", "这是一个公式，但文件里没有保存它的计算结果：请用 Excel 或 WPS 打开文件并保存一次，或把该列“选择性粘贴为数值”后再导入", "This cell is a formula whose result the file does not hold: open and save the file in Excel or WPS, or paste the column as values, then import"),
    ("analytics.changed", "另有 {n} 场此前已导入的直播在本文件中的数据不同（例如平台后来补记了退款），已保留原数据，未改动：{ids}", "{n} sessions imported before have other figures in this file (a platform adding refunds later, say); the stored figures are kept: {ids}"),
    ("analytics.sheet_read", "（读取的是工作表“{sheet}”）", "(read from the sheet \"{sheet}\")"),
    ("analytics.wrong_account", "账号“{account}”不是本直播间的账号（{room}），请只上传本直播间的数据，或在“直播间”页面用多账号导入", "Account \"{account}\" is not this room's ({room}); upload only this room's sessions, or use the multi-account import"),
    ("analytics.missing_column", "缺少必需的列", "A required column is missing"),
    ("analytics.duplicate_session", "场次ID与第 {first} 行重复", "Same session id as row {first}"),
    ("analytics.concurrent_import", "同一批场次正在由另一次导入写入，本次未导入任何数据，请稍后重试", "Another import is writing the same sessions; nothing was imported, please try again"),
    ("analytics.bad_time", "不是有效的时间（例如 2025-03-01 20:00）", "Not a valid time (e.g. 2025-03-01 20:00)"),
    ("analytics.bad_duration", "不是有效的时长（例如 2:30:00 或 150分钟）", "Not a valid duration (e.g. 2:30:00 or 150 minutes)"),
    ("analytics.bad_number", "应为非负整数", "Must be a whole number, zero or more"),
    ("analytics.bad_money", "应为金额（元），不能为负", "Must be an amount in yuan, not negative"),
    ("analytics.viewers_over_views", "观看人数大于观看人次", "More viewers than views"),
    ("analytics.buyers_over_viewers", "成交人数大于观看人数", "More buyers than viewers"),
    ("analytics.refund_over_gmv", "退款金额大于成交金额", "Refunds above GMV"),
    ("analytics.no_rows", "文件中没有直播场次数据", "The file holds no sessions"),
    ("certificate.zip_too_many", "证书超过 3000 张，请先选择培训项目或培训场次以缩小范围", "More than 3,000 certificates: choose a track or a session first"),
    ("certificate.none_match", "没有符合条件的证书", "No certificates match"),
    ("certificate.office_list", "证书管理", "Certificates"),
    ("certificate.download_zip", "全部下载（ZIP）", "Download all (zip)"),
    ("certificate.all_tracks", "全部培训项目", "All tracks"),
    ("certificate.session_filter", "培训场次编号（选填）", "Session no. (optional)"),
    ("certificate.count", "共 {n} 张", "{n} certificates"),
    ("report.session", "培训", "Session"),
    ("report.mode_online", "线上", "Online"),
    ("report.mode_onsite", "现场", "On site"),
    ("report.download_attendances", "导出全部参训记录（Excel）", "Export all attendances (Excel)"),
    ("report.download_progress", "导出进度表（Excel）", "Export progress (Excel)"),
    ("report.download_attendance", "导出签到名单（Excel）", "Export attendance (Excel)"),
    ("report.print", "打印简报", "Print briefing"),
    ("certificate.title", "结业证书", "Certificate of completion"),
    ("certificate.verify_title", "证书验证", "Certificate check"),
    ("certificate.valid", "有效", "Valid"),
    ("certificate.revoked", "已撤销", "Revoked"),
    ("certificate.not_found", "未找到该证书编号，请核对后重试。", "No certificate has this number; please check it."),
    ("certificate.holder", "持证人", "Holder"),
    ("certificate.track", "培训项目", "Track"),
    ("certificate.issued", "发证日期", "Issued"),
    ("certificate.issuer", "发证单位", "Issued by"),
    ("certificate.number", "证书编号", "Number"),
    ("certificate.reason", "撤销原因", "Reason"),
    ("certificate.revoke", "撤销证书", "Revoke"),
    ("certificate.already_revoked", "该证书已撤销", "This certificate is already revoked"),
    ("certificate.mine", "我的证书", "My certificates"),
    ("certificate.none", "完成培训项目要求的场次后将自动颁发证书。", "A certificate is issued when you complete a track's sessions."),
    ("certificate.download", "下载 PDF", "Download PDF"),
    ("certificate.body", "完成“{programme}”{track}全部培训课程，特发此证。", "has completed the {track} of {programme}."),
    ("certificate.font_missing", "服务器未安装证书字体（Noto CJK），请联系管理员", "The certificate font (Noto CJK) is not installed on the server"),
    ("monitor.title", "现场大屏", "Live monitor"),
    ("monitor.total", "参训人次", "Attendances"),
    ("monitor.online_now", "线上在看", "Watching online now"),
    ("monitor.updated", "更新于", "Updated at"),
    ("dashboard.actual", "实际参训人次", "Attendances to date"),
    ("dashboard.plan", "计划", "Plan"),
    ("dashboard.burn_up", "参训人次累计与计划", "Attendances against the plan"),
    ("dashboard.burn_up_hint", "红线为累计参训人次，蓝色虚线为按时间均匀推进的计划线，竖线为今天。", "Red: attendances so far; dashed blue: the straight-line plan; the vertical line is today."),
    ("dashboard.map", "各市完成情况", "Cities against their targets"),
    ("dashboard.map_hint", "颜色越深完成率越高；点击城市查看该市情况。", "Darker means more of the target reached; click a city for its dashboard."),
    ("dashboard.laggards", "进度落后的地区", "Regions furthest behind"),
    ("dashboard.lag", "已完成 {share}，按计划今天应达 {expected}", "{share} reached; the plan for today is {expected}"),
    ("dashboard.upcoming", "即将开始的培训", "Upcoming sessions"),
    ("progress.sessions", "场次", "Sessions"),
    ("progress.attendances", "人次", "Attendances"),
    ("progress.target", "目标", "Target"),
    ("progress.reached", "完成率", "Reached"),
    ("progress.gaps", "分解不一致", "Allocations that do not add up"),
    ("progress.gap", "{tier}{measure}：本级目标 {target}，下级分解合计 {allocated}", "{tier} {measure}: target {target}, allocated to regions below {allocated}"),
    ("progress.all_tiers", "全部层级", "All tiers"),
    ("progress.by_region", "分地区", "By region"),
    ("status.draft", "草稿", "Draft"),
    ("status.published", "报名中", "Open"),
    ("status.under_way", "进行中", "Under way"),
    ("status.closed", "已结束", "Closed"),
    ("status.cancelled", "已取消", "Cancelled"),
    ("venue.main", "主会场", "Main venue"),
    ("venue.sub", "分会场", "Sub-venue"),
    ("venue.online", "线上", "Online"),
    ("reg.registered", "已报名", "Registered"),
    ("reg.waitlisted", "候补中", "On the waitlist"),
    ("reg.cancelled", "已取消", "Cancelled"),
    ("reg.not_eligible_tier", "本场培训不面向您的层级", "This session is not open to your tier"),
    ("reg.not_eligible_region", "本场培训不面向您所在的地区", "This session is not open to your region"),
    ("reg.window_closed", "当前不在报名时间内", "Registration is not open at this time"),
    ("reg.already", "您已报名本场培训", "You are already registered for this session"),
    ("reg.venue_unknown", "会场不属于本场培训", "That venue is not part of this session"),
    ("reg.promoted", "您已从候补转为正式报名：{title}", "You have moved from the waitlist to a seat: {title}"),
    ("reg.cancelled_notice", "培训已取消：{title}。{notice}", "Session cancelled: {title}. {notice}"),
    ("reg.person_required", "您的账号未关联学员信息，无法报名", "Your account is not linked to a trainee record"),
    ("mode.onsite", "现场", "On site"),
    ("mode.online", "线上", "Online"),
    ("checkin.malformed", "不是有效的繁星电子票（无法识别或不完整）", "Not a Fanxing ticket (unreadable or cut short)"),
    ("checkin.forged", "电子票签名无效，可能是伪造的票", "The ticket's signature is invalid; it may be forged"),
    ("checkin.other_session", "这是另一场培训的票", "This ticket is for another session"),
    ("checkin.other_venue", "此票属于「{venue}」", "This ticket is for {venue}"),
    ("checkin.not_open", "签到尚未开始或已结束", "Check-in is not open now"),
    ("checkin.cancelled", "该报名已取消", "This registration was cancelled"),
    ("checkin.waitlisted", "该学员仍在候补名单中，没有座位", "This person is on the waitlist and has no seat"),
    ("checkin.ok", "签到成功", "Checked in"),
    ("checkin.duplicate", "已于 {time} 在「{venue}」签到", "Already checked in at {venue} at {time}"),
    ("checkin.full", "会场已满，无法现场报名", "The venue is full; no walk-ins"),
    ("error.datetime", "时间格式应为 YYYY-MM-DD HH:MM", "Use the format YYYY-MM-DD HH:MM"),
    ("error.ends_before_start", "结束时间必须晚于开始时间", "The end must be after the start"),
    ("error.reg_after_end", "报名截止不能晚于培训结束", "Registration cannot close after the session ends"),
    ("error.percent", "请输入 1–100 之间的百分比", "Enter a percentage from 1 to 100"),
    ("error.venue_kind", "第 {n} 个会场：类型应为主会场、分会场或线上", "Venue {n}: the kind must be main, sub or online"),
    ("error.venue_name", "第 {n} 个会场：名称必填，不超过 100 字", "Venue {n}: a name of at most 100 characters is required"),
    ("error.venue_region", "第 {n} 个会场：地区应为市或县级代码", "Venue {n}: the region must be a city or county code"),
    ("error.venue_capacity", "第 {n} 个会场：容量应为正整数", "Venue {n}: the capacity must be a positive number"),
    ("error.venue_stream", "第 {n} 个会场：线上会场需要直播链接", "Venue {n}: an online venue needs a stream link"),
    ("error.venue_stream_url", "第 {n} 个会场：直播链接应为以 http:// 或 https:// 开头的网址，不超过 500 个字符", "Venue {n}: the stream link must be an http:// or https:// address of at most 500 characters"),
    ("error.venue_address", "第 {n} 个会场：地址不超过 200 字，且不含控制字符", "Venue {n}: the address must be at most 200 characters, without control characters"),
    ("error.venue_count", "会场最多 {max} 个", "At most {max} venues"),
    ("error.venue_layout", "需要一个主会场（可加分会场和一个线上会场），或只设线上会场", "Give one main venue (plus sub-venues and one online venue), or an online venue only"),
    ("error.programme_unknown", "培训计划不存在", "No such programme"),
    ("error.session_state", "当前状态下不能执行此操作", "Not possible in the session's current state"),
    ("error.target", "第 {n} 行：目标应为 0 到 {max} 之间的整数", "Row {n}: a target must be a whole number from 0 to {max}"),
    ("error.too_many_rows", "行数过多", "Too many rows"),
    ("roster.at_row", "第 {row} 行：{what}", "Row {row}: {what}"),
    ("roster.at_cell", "第 {row} 行「{column}」：{what}", "Row {row}, column “{column}”: {what}"),
    ("roster.empty_file", "文件是空的", "The file is empty"),
    ("roster.too_large", "文件太大（上限 10 MB）", "The file is too large (10 MB at most)"),
    ("roster.bad_spreadsheet", "无法读取该 Excel 文件，请另存为 .xlsx 后重试", "This Excel file cannot be read; save it as .xlsx and try again"),
    ("roster.bad_type", "只接受 .xlsx 或 .csv 文件（也可为 Excel 另存的“Unicode 文本”）", "Only .xlsx or .csv files are accepted (or Excel's \"Unicode text\")"),
    ("sheet.too_big", "表格超出上限：最多 {rows} 行、{cols} 列、{cells} 个单元格（含空白格）。请删除多余的行列，或分成几个文件导入", "The sheet is larger than allowed: at most {rows} rows, {cols} columns and {cells} cells (blanks included). Delete the extra rows and columns, or split the file"),
    ("sheet.old_xls", "不支持旧版 .xls 格式，请在 Excel 中“另存为” .xlsx 后再上传", "The old .xls format is not accepted; in Excel, use Save As .xlsx and upload that"),
    ("sheet.inflates_too_much", "该 Excel 文件解压后过大，无法读取。请另存为新的 .xlsx 或改用 .csv", "This Excel file unpacks to more than allowed; save it as a new .xlsx or as .csv"),
    ("sheet.field_too_long", "文件中有一个单元格超过 64 KB，无法读取（可能是引号未闭合）", "A cell in the file is longer than 64 KB (perhaps an unclosed quote)"),
    ("roster.no_header", "前 10 行中没有找到表头：至少需要“姓名”和“手机号”两列（也可写作 名字、手机号码、联系电话 等），而文件前几行是：{held}", "No header row in the first 10 rows: at least “姓名” (name) and “手机号” (mobile) are needed, but the first rows hold: {held}"),
    ("roster.too_many_rows", "行数过多（上限 {max} 行）", "Too many rows ({max} at most)"),
    ("roster.too_long", "内容过长", "Too long"),
    ("roster.duplicate_mobile", "与第 {first} 行手机号重复", "Same mobile number as row {first}"),
    ("roster.id_as_number", "身份证号被存成了数字，末几位已丢失；请把该列设为文本格式后重新填写", "The ID number was stored as a number and its last digits are lost; format the column as text and type it again"),
    ("roster.bad_tier", "层级应为 领导干部、企业负责人 或 运营人员", "The tier must be 领导干部, 企业负责人 or 运营人员"),
    ("roster.no_rows", "表头下没有数据行", "No rows under the header"),
    ("roster.region_ambiguous", "多个市都有此地名，请写明所属市，如“南京市鼓楼区”", "Several cities have a place of this name; add the city, e.g. 南京市鼓楼区"),
    ("roster.region_required", "新学员需要填写所在地区", "A new trainee needs a region"),
    ("roster.tier_required", "新学员需要填写层级", "A new trainee needs a tier"),
    ("roster.venue_unknown", "本场培训没有这个会场", "This session has no such venue"),
    ("roster.title", "导入报名名单", "Import a roster"),
    ("roster.hint", "上传 .xlsx 或 .csv 文件。整表校验通过才会导入；有误时不导入任何一行，并列出每个问题的行号和列名。", "Upload an .xlsx or .csv file. Nothing is imported unless every row is good; problems are listed by row and column."),
    ("roster.template", "下载模板", "Download the template"),
    ("roster.file", "名单文件", "Roster file"),
    ("roster.submit", "校验并导入", "Check and import"),
    ("roster.failed", "名单有 {n} 处问题，未导入任何数据：", "{n} problems in the roster; nothing was imported:"),
    ("roster.done", "导入完成：新建学员 {created} 人，匹配已有学员 {matched} 人；报名 {registered} 人，候补 {waitlisted} 人，已报名跳过 {already} 人。", "Imported: {created} new trainees, {matched} existing; {registered} registered, {waitlisted} waitlisted, {already} already registered."),
    ("roster.uploading", "正在上传…", "Uploading…"),
    ("error.code", "代码只能包含小写字母、数字和下划线", "Use lower-case letters, digits and underscores"),
    ("error.duration", "时长应为 10 到 1440 分钟", "The duration must be 10 to 1440 minutes"),
    ("error.lecturer_unknown", "没有这个讲师账号", "No lecturer account of that name"),
    ("error.course_unknown", "课程不存在", "No such course"),
    ("material.empty", "文件是空的", "The file is empty"),
    ("material.too_large", "文件太大（上限 20 MB）", "The file is too large (20 MB at most)"),
    ("material.bad_type", "只接受 PDF、PPTX、DOCX、XLSX、TXT、Markdown、PNG、JPEG 或 MP4 文件（以文件内容判断，不看扩展名）", "Only PDF, PPTX, DOCX, XLSX, TXT, Markdown, PNG, JPEG or MP4 files are accepted (judged by their content, not their name)"),
    ("nav.courses", "课程", "Courses"),
    ("courses.title", "课程体系", "Curriculum"),
    ("courses.tracks", "分层培训体系", "Tracks"),
    ("courses.required", "完成 {n} 场本层级培训并学完必修课即可结业", "Complete {n} sessions of the track and its required courses to finish"),
    ("courses.competencies", "能力框架", "Competency framework"),
    ("courses.list", "课程", "Courses"),
    ("courses.new", "新增课程", "Add course"),
    ("courses.empty", "还没有课程。", "No courses yet."),
    ("courses.duration", "时长（分钟）", "Duration (minutes)"),
    ("courses.summary", "简介", "Summary"),
    ("courses.lecturer", "讲师账号", "Lecturer account"),
    ("courses.tiers", "面向层级", "For tiers"),
    ("courses.materials", "课程资料", "Materials"),
    ("courses.no_materials", "暂无资料。", "No materials yet."),
    ("courses.upload", "上传资料", "Upload material"),
    ("courses.add_competency", "新增能力项", "Add competency"),
    ("courses.code", "代码", "Code"),
    ("courses.name_zh", "中文名称", "Chinese name"),
    ("courses.name_en", "英文名称", "English name"),
    ("sessions.new", "新建培训", "New session"),
    ("sessions.course_link", "查看课程与资料", "Course and materials"),
    ("sessions.programme", "培训计划", "Programme"),
    ("sessions.title_field", "培训名称", "Title"),
    ("sessions.starts_at", "开始时间", "Starts"),
    ("sessions.ends_at", "结束时间", "Ends"),
    ("sessions.reg_opens_at", "报名开始（选填）", "Registration opens (optional)"),
    ("sessions.reg_closes_at", "报名截止（选填，默认开课时）", "Registration closes (optional; default: the start)"),
    ("sessions.address", "地址", "Address"),
    ("sessions.stream_url", "直播链接", "Stream link"),
    ("sessions.publish_now", "立即发布并开放报名", "Publish and open registration now"),
    ("progress.allocate", "分解目标到下级地区", "Allocate targets to the regions below"),
    ("progress.allocate_hint", "填写各下级地区的总目标；合计与本级目标不一致时会在上方提示。", "Set each region's total target; a mismatch with this level's target is flagged above."),
    ("progress.saved", "目标已保存。", "Targets saved."),
    // Errors.
    ("error.title", "出错了", "Something went wrong"),
    ("error.required", "必填", "Required"),
    ("error.page_limit", "每页条数须为 1 至 500", "A page holds 1 to 500 items"),
    ("error.too_long", "不能超过 {max} 个字", "At most {max} characters"),
    ("roster.id_number_other", "身份证号与系统中已登记学员的不一致（该号码登记在另一位学员名下，或该手机号登记的是另一个身份证号）：请核对后修改本行，或先在学员信息中更正", "The ID number does not match the one on record (it belongs to another person, or this mobile is registered with another ID number): check the row, or correct the person's record first"),
    ("roster.duplicate_id", "身份证号与第 {first} 行相同：同一人不能有两行，请核对后只保留一行", "Same ID number as row {first}: one person cannot have two rows; keep the right one"),
    ("roster.mobile_other_name", "该手机号已登记在另一个姓名下，请核对姓名和手机号（如确为同一人，请先在人员信息中更正姓名）", "This mobile number is on record under another name; check the name and number (if it is the same person, correct the name in their record first)"),
    ("error.mobile_damaged", "手机号被 Excel 改成了科学计数法（如 1.38123E+10），后几位已丢失。请在 Excel 中把该列设为“文本”格式，重新填写号码后再导入", "Excel turned this mobile number into scientific notation (e.g. 1.38123E+10) and lost its last digits; set the column to Text in Excel, enter the numbers again and import"),
    ("error.id_number_damaged", "身份证号被 Excel 改成了科学计数法，后几位已丢失。请把该列设为“文本”格式，重新填写后再导入", "Excel turned this ID number into scientific notation and lost its last digits; set the column to Text, enter the numbers again and import"),
    ("error.mobile", "手机号应为 11 位数字，以 1 开头", "A mobile number has 11 digits starting with 1"),
    ("error.id_number_format", "身份证号应为 18 位（最后一位可为 X）", "A resident ID number has 18 characters (the last may be X)"),
    ("error.id_number_checksum", "身份证号校验位不正确，请核对", "The ID number's check digit is wrong; please check it"),
    ("error.id_number_date", "身份证号中的出生日期无效", "The birth date inside the ID number is not valid"),
    ("error.region_unknown", "未知的地区代码", "Unknown region code"),
    ("error.region_scope", "该地区不在您的管辖范围内", "That region is outside your scope"),
    ("error.control_chars", "含有不可见的控制字符，请删除后再试", "Contains invisible control characters; remove them and try again"),
    ("error.org_unknown", "单位不存在或不在您的范围内", "No such organisation in your scope"),
    ("error.mobile_taken", "该手机号已被登记", "That mobile number is already registered"),
    ("error.id_number_taken", "该身份证号已登记在另一位学员名下，请核对", "That ID number is already registered to another person; please check it"),
    ("error.choice", "请从列表中选择", "Choose one of the listed values"),
    ("error.number", "请输入数字", "Enter a number"),
    ("error.credit_code", "统一社会信用代码应为 18 位", "A unified social credit code has 18 characters"),
    ("error.unauthorized", "请先登录", "Please log in"),
    ("error.forbidden", "您没有权限执行此操作", "You are not allowed to do that"),
    ("error.not_found", "找不到该内容，或它不在您的范围内", "Not found, or not in your scope"),
    ("error.conflict", "与已有数据冲突", "Conflicts with existing data"),
    ("error.csrf", "表单已失效或来源不明，请刷新页面后重试", "The form has expired or did not come from Fanxing; reload the page and try again"),
    ("error.internal", "服务器内部错误，已记录，请稍后再试", "Internal error; it has been logged. Please try again later"),
    ("error.bad_request", "请求格式不正确", "Malformed request"),
    ("error.bad_query", "查询参数不正确", "Malformed query parameters"),
    ("error.cross_origin", "拒绝来自其他网站的提交", "A submission from another site was refused"),
    ("error.rate_limited", "请求过于频繁，请稍后再试", "Too many attempts; try again later"),
    ("error.busy", "正在处理其他导入，请几秒后重试", "Other imports are being processed; try again in a few seconds"),
    ("error.validation", "输入有误", "Invalid input"),
    // Accounts and log-in
    ("nav.account", "账号", "Account"),
    ("nav.accounts", "账号管理", "Accounts"),
    ("account.title", "我的账号", "My account"),
    ("account.change_password", "修改密码", "Change password"),
    ("account.current_password", "当前密码", "Current password"),
    ("account.new_password", "新密码（至少 {min} 个字符）", "New password (at least {min} characters)"),
    ("account.confirm_password", "再次输入新密码", "New password again"),
    ("account.password_short", "密码至少需要 {min} 个字符", "A password needs at least {min} characters"),
    ("account.password_mismatch", "两次输入的新密码不一致", "The two new passwords differ"),
    ("account.password_wrong", "当前密码不正确", "The current password is wrong"),
    ("account.password_changed", "密码已修改；其他设备上的登录均已退出。", "Password changed; you have been logged out everywhere else."),
    ("account.password_hint", "修改密码后，其他浏览器和设备上的登录会立即退出，需要用新密码重新登录。", "After a change, every other browser and device is logged out and must log in with the new password."),
    ("account.tokens", "API 令牌", "API tokens"),
    ("account.tokens_hint", "API 令牌由管理员用 fanxing token create 创建，默认 90 天后失效。不再使用的令牌请吊销。", "API tokens are created by an administrator with fanxing token create and expire after 90 days by default. Revoke tokens you no longer use."),
    ("account.no_tokens", "没有 API 令牌。", "No API tokens."),
    ("account.token_label", "名称", "Label"),
    ("account.token_created", "创建时间", "Created"),
    ("account.token_expires", "到期时间", "Expires"),
    ("account.token_status", "状态", "Status"),
    ("account.token_active", "有效", "Active"),
    ("account.token_expired", "已过期", "Expired"),
    ("account.token_revoked", "已吊销", "Revoked"),
    ("account.revoke", "吊销", "Revoke"),
    ("account.token_revoked_done", "令牌已吊销。", "Token revoked."),
    ("accounts.title", "账号管理", "Accounts"),
    ("accounts.hint", "您可以停用、启用您管辖范围内下级角色的账号，并解除其登录限制。停用后该账号无法登录，已登录的会话和 API 令牌立即失效。", "You can disable and enable the accounts of roles below yours in your region, and lift their log-in locks. A disabled account cannot log in; its sessions and API tokens stop working at once."),
    ("accounts.search", "用户名或姓名", "Username or name"),
    ("accounts.username", "用户名", "Username"),
    ("accounts.name", "姓名", "Name"),
    ("accounts.role", "角色", "Role"),
    ("accounts.region", "地区", "Region"),
    ("accounts.status", "状态", "Status"),
    ("accounts.log_in", "登录", "Log-in"),
    ("accounts.enabled", "正常", "Enabled"),
    ("accounts.disabled", "已停用", "Disabled"),
    ("accounts.locked", "受限，约 {minutes} 分钟后恢复", "Held back for about {minutes} min"),
    ("accounts.failures", "24 小时内失败 {n} 次", "{n} failures in 24 h"),
    ("accounts.disable", "停用", "Disable"),
    ("accounts.enable", "启用", "Enable"),
    ("accounts.unlock", "解除登录限制", "Lift log-in lock"),
    ("accounts.disabled_done", "账号 {name} 已停用。", "Account {name} disabled."),
    ("accounts.enabled_done", "账号 {name} 已启用。", "Account {name} enabled."),
    ("accounts.unlocked_done", "已解除 {name} 的登录限制。", "Log-in lock of {name} lifted."),
    ("accounts.empty", "没有符合条件的账号。", "No matching accounts."),
    ("accounts.actions", "操作", "Actions"),
    // ---- Pages people can act on: the session form, home per role, numbers, phone tables ----
    ("sessions.venue_problem", "{venue}：{problem}", "{venue}: {problem}"),
    ("error.venue_kind.short", "类型应为主会场、分会场或线上", "the kind must be main, sub or online"),
    ("error.venue_name.short", "名称必填，不超过 100 字", "a name of at most 100 characters is required"),
    ("error.venue_region.short", "请选择所在的市或县（省不能作为会场地区）", "pick its city or county (the province is not a venue region)"),
    ("error.venue_capacity.short", "请填写容量（正整数）", "give the capacity (a positive number)"),
    ("error.venue_stream.short", "需要直播链接", "a stream link is needed"),
    ("error.venue_stream_url.short", "直播链接应为以 http:// 或 https:// 开头的网址，不超过 500 个字符", "the stream link must be an http:// or https:// address of at most 500 characters"),
    ("error.venue_address.short", "地址不超过 200 字，且不含控制字符", "the address must be at most 200 characters, without control characters"),
    ("sessions.venues_hint", "填写了名称的会场才会保存，空行会被忽略。会场地区须为市或县；线上会场默认与主会场同一地区。", "Only rows with a name are saved; empty rows are ignored. A venue's region is a city or county; the online stream takes the main venue's region unless you pick one."),
    ("sessions.more_sub_venues", "更多分会场（最多 16 个）", "More sub-venues (up to 16)"),
    ("sessions.venue_name", "会场名称", "Venue name"),
    ("sessions.venue_region", "所在地区", "Region"),
    ("sessions.pick_city_county", "选择市或县", "Pick a city or county"),
    ("sessions.same_as_main", "与主会场同一地区", "Same as the main venue"),
    ("sessions.done_created", "培训已保存并发布，学员现在可以报名。", "Session saved and published: trainees can register now."),
    ("sessions.done_created_draft", "培训已保存为草稿。核对会场后点击“发布”，学员即可报名。", "Session saved as a draft. Check the venues, then publish it so trainees can register."),
    ("home.open_dashboard", "打开进度看板", "Open the dashboard"),
    ("home.behind_plan", "比今天的计划（{expected}）少 {n} 人次。", "{n} attendances behind today's plan ({expected})."),
    ("home.ahead_of_plan", "比今天的计划（{expected}）多 {n} 人次。", "{n} attendances ahead of today's plan ({expected})."),
    ("home.laggards", "最落后的地区", "Furthest behind"),
    ("home.next_sessions", "接下来的培训", "Next sessions"),
    ("home.no_upcoming", "近期没有已发布的培训。", "No published sessions coming up."),
    ("home.all_sessions", "全部培训", "All sessions"),
    ("home.my_next", "我的下一场培训", "My next session"),
    ("home.ticket_hint", "到场时出示电子票，签到员扫码即可。", "Show the e-ticket at the door; staff scan it."),
    ("home.waitlist_hint", "您在候补名单上；有空位时会自动转正并通知您。", "You are on the waitlist; you will be moved up and told when a seat frees."),
    ("home.more_upcoming", "还有 {n} 场已报名的培训", "{n} more sessions registered"),
    ("home.no_registration", "您还没有报名即将举行的培训。", "You have not registered for an upcoming session."),
    ("home.find_session", "查找可报名的培训", "Find a session to join"),
    ("home.my_progress", "我的学习", "My learning"),
    ("home.attended", "已参加培训（场）", "Sessions attended"),
    ("home.certificate_hint", "完成所在层级要求的培训和必修课后，证书会自动发放到这里。", "Certificates appear here once you complete your track's sessions and required courses."),
    ("home.my_venues", "我的签到会场", "My check-in venues"),
    ("home.start_checkin", "开始签到", "Start check-in"),
    ("home.checkin_hint", "建议前一天打开签到页，断网时也能继续扫码，联网后自动同步。", "Open the check-in page the day before: scanning works offline and syncs when the network returns."),
    ("home.partner_title", "您现在可以做的事", "What you can do here today"),
    ("home.partner_status", "在「政银企对接」处理企业的申请：受理、审批、请企业补充材料、批准与放款；每项都有办理期限。发布与修改产品目前通过接口完成。", "Handle enterprises' applications under Matching: accept, review, ask for more information, approve and disburse, each within its deadline. Offers are published and edited through the API for now."),
    ("home.partner_org", "本机构信息", "Your organisation"),
    ("home.partner_queue", "申请队列", "Application queue"),
    ("home.partner_queue_hint", "企业向本机构产品提出的申请", "applications to your offers"),
    ("home.partner_org_hint", "核对名称、类型和所在地区", "check its name, kind and region"),
    ("home.partner_verify_hint", "核对企业人员出示的结业证书是否有效", "check that a certificate someone shows you is valid"),
    ("home.partner_sessions_hint", "了解各地正在举办的直播电商培训", "see the live-commerce training held across the province"),
    ("home.partner_courses_hint", "了解培训的课程内容", "see what the training teaches"),
    ("home.account_hint", "修改密码、管理 API 令牌", "change your password, manage API tokens"),
    ("home.lecturer_intro", "在“课程”中查看课程，并为您负责的课程上传课件；在“培训”中查看各地的培训安排。", "Under Courses, see the courses and upload materials to those you teach; under Sessions, see the training held across the province."),
    ("home.browse_sessions", "浏览公开培训", "Browse open sessions"),
    ("home.verify_certificate", "验证证书", "Verify a certificate"),
    ("programme.issuer_label", "印在证书上的发证单位名称", "The issuing authority's name, as printed on certificates"),
    ("programme.issuer_hint", "显示在证书 PDF、证书验证页上，例如“江苏省商务厅”。修改后，已发的证书在验证页和重新下载时也显示新名称。", "Shown on the certificate PDF and its verify page, e.g. 江苏省商务厅. Once changed, certificates already issued show the new name too when verified or downloaded again."),
    ("programme.issuer_saved", "发证单位已保存。", "Issuing authority saved."),
    ("certificate.verify_box", "证书编号", "Certificate number"),
    ("certificate.verify_submit", "查验", "Verify"),
    ("progress.sessions_target", "场次目标", "Sessions target"),
    ("progress.attendances_target", "人次目标", "Attendances target"),
    ("nav.menu", "菜单", "Menu"),
    ("kpi.gpm_explained", "每千次观看带来的成交金额：成交额 ÷ 观看次数 × 1000", "Sales per thousand views: GMV ÷ views × 1,000"),
    ("kpi.uv_value_explained", "平均每位观众带来的成交额：成交额 ÷ 观看人数", "Sales per viewer: GMV ÷ viewers"),
    ("analytics.indicator", "指标", "Measure"),
    ("analytics.peer_rooms", "{n} 个同类直播间", "{n} peer rooms"),
    ("analytics.no_rooms_trainee", "还没有与您关联的直播间。请联系所在地商务部门，把您运营的直播间登记到您名下；之后这里会显示它的数据和同类对比。", "No live room is linked to you yet. Ask your local commerce office to register the room you run under your name; its figures and peer comparison then appear here."),
    ("sessions.find_other", "查找面向您的其他培训", "Find other sessions open to you"),
    ("sessions.login_to_register", "报名需要先登录。登录后回到本页即可选择会场报名。", "Log in to register; you come back to this page to pick a venue."),
    ("sessions.login_and_register", "登录后报名", "Log in to register"),
    ("sessions.finished_hint", "本场培训已结束：可导出签到表，查看本场发放的证书。", "This session is over: export its attendance sheet or see the certificates it issued."),
    ("error.search_text", "搜索文字不超过 64 个字，且不含控制字符", "Search text must be at most 64 characters, without control characters"),
    ("sessions.search", "按标题搜索", "Search by title"),
    ("sessions.when", "时间", "When"),
    ("sessions.when_upcoming", "即将举行", "Upcoming"),
    ("sessions.when_past", "已结束", "Past"),
    ("sessions.when_all", "全部时间", "Any time"),
    ("courses.minutes", "{n} 分钟", "{n} min"),
    ("my.not_attended", "未出席", "Not attended"),
    ("certificate.search", "证书编号、持证人手机号或姓名", "Certificate number, holder's mobile or name"),
    ("certificate.zip_wait", "正在生成证书压缩包，证书较多时需要十几秒，请勿重复点击……", "Preparing the zip; with many certificates this takes ten seconds or more. Please wait…"),
    ("export.progress_name", "{of}培训进度-{date}.xlsx", "progress-{of}-{date}.xlsx"),
    ("export.attendance_name", "{of}签到表-{date}.xlsx", "attendance-{of}-{date}.xlsx"),
    ("export.attendances_name", "{of}全部参训记录-{date}.xlsx", "attendances-{of}-{date}.xlsx"),
    ("progress.no_tier_targets", "本地区的目标只按总数下达，未分层级；“—”表示没有分层目标。", "This region's targets were set as totals only, not per tier: \"—\" means no tier target."),
    ("report.attendance_title", "{title} · 签到表（导出于 {at}）", "{title} · attendance (exported {at})"),
    ("home.my_rooms", "我的直播间", "My live rooms"),
    ("home.rooms_hint", "打开直播间可看到它与同类直播间的对比，以及平台建议您下一步学习的内容。", "Open a room to see it against its peers and what the platform suggests you learn next."),
    // Training impact: calibration (placebo runs, error rates across outcomes).
    ("impact.interval", "（{level}% 区间：{ci}）", "({level}% interval: {ci})"),
    ("impact.placebo", "单凭偶然能产生的效果", "What chance alone produces here"),
    ("impact.placebo_method", "“单凭偶然能产生的效果”来自 {runs} 次安慰剂估计：把参训直播间的培训周随机分给同行业同城市的未参训直播间，再按同样方法估计，结果平均 {mean}，离散程度 {spread}。", "“What chance alone produces” comes from {runs} placebo runs: the trained rooms' training weeks given at random to untrained rooms of the same industry and city and estimated the same way; their mean is {mean} and their spread {spread}."),
    ("impact.estimate", "估计值（不足以下结论）", "Estimate (not enough for a conclusion)"),
    ("impact.method_title", "方法说明", "How this is estimated"),
    ("impact.chart_title", "{outcome}：培训前后各周与对照直播间之差", "{outcome}: weekly difference from control rooms around training"),
    ("impact.axis", "与对照直播间之差（{unit}）", "Difference from control rooms ({unit})"),
    ("impact.axis_unit.percent", "%", "%"),
    ("impact.axis_unit.yuan", "元", "yuan"),
    ("impact.axis_unit.points", "百分点", "percentage points"),
    ("impact.axis_unit.sessions", "场/周", "sessions a week"),
    ("impact.suffix.percent", "%", "%"),
    ("impact.suffix.yuan", " 元", " yuan"),
    ("impact.suffix.points", " 个百分点", " pp"),
    ("impact.suffix.sessions", " 场/周", " a week"),
    ("impact.weeks", "距培训的周数（0 = 培训当周）", "Weeks from training (0 = the training week)"),
    ("impact.legend_line", "每周效果", "Weekly effect"),
    ("impact.legend_band", "{level}% 区间", "{level}% interval"),
    ("impact.tests", "每周成交额是主要指标，按 5% 检验；其余三项指标各按 5%/3 检验（Bonferroni），一张卡片上任何一项误判的概率不超过约 10%。只有区间不含零、且培训前各周走势的联合检验通过时，才给出“提升”或“下降”的结论。", "Weekly GMV is the primary outcome, tested at 5%; the other three outcomes are tested at 5%/3 each (Bonferroni), so that the chance of any false verdict on this card stays below about 10%. A rise or fall is declared only when the interval excludes zero and a joint test of the weeks before training passes."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_both_languages_filled() {
        let mut seen = std::collections::HashSet::new();
        for (k, zh, en) in CATALOGS.iter().flat_map(|c| c.iter()) {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(!zh.is_empty() && !en.is_empty(), "empty text for {k}");
        }
    }

    #[test]
    fn accept_language_picks_first_known() {
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr, zh-CN;q=0.8"), Lang::Zh);
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
    }

    #[test]
    fn formats_arguments() {
        assert_eq!(Lang::En.tf("people.count", &[("n", "3")]), "3 people");
        assert_eq!(Lang::Zh.tf("people.count", &[("n", "3")]), "共 3 人");
    }

    /// Every message key the code and templates name has text in both
    /// languages (a missing one would show the key itself to people).
    #[test]
    fn every_key_used_is_in_a_catalog() {
        let known: std::collections::HashSet<&str> = CATALOGS
            .iter()
            .flat_map(|c| c.iter())
            .map(|(k, _, _)| *k)
            .collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![
            root.join("src"),
            root.join("../fanxing-web/src"),
            root.join("../fanxing-web/templates"),
            root.join("../fanxing-store/src"),
        ];
        let mut missing = Vec::new();
        let mut files = 0;
        // The literal that opens `rest`, or (skip_one) the literal right
        // after the one that opens it and a comma.
        fn literal(rest: &str, skip_one: bool) -> Option<&str> {
            let mut r = rest.trim_start().strip_prefix('"')?;
            if skip_one {
                let end = r.find('"')?;
                r = r[end + 1..].trim_start().strip_prefix(',')?;
                r = r.trim_start().strip_prefix('"')?;
            }
            r.split('"').next()
        }
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                    continue;
                }
                if p.ends_with("i18n.rs") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&p) else {
                    continue;
                };
                files += 1;
                for (prefix, skip_one) in [
                    ("FieldError::new(", true),
                    ("Error::field(", true),
                    ("ctx.t(", false),
                    (".tf(", false),
                ] {
                    for (at, _) in text.match_indices(prefix) {
                        let rest = &text[at + prefix.len()..];
                        // Only literal keys (not variables or expressions).
                        let start = if skip_one {
                            rest.trim_start().starts_with('"')
                        } else {
                            rest.starts_with('"')
                        };
                        if !start {
                            continue;
                        }
                        if let Some(key) = literal(rest, skip_one) {
                            if key.contains('.')
                                && key.chars().all(|c| {
                                    c.is_ascii_lowercase()
                                        || c.is_ascii_digit()
                                        || c == '_'
                                        || c == '.'
                                })
                                && !known.contains(key)
                            {
                                missing.push(format!("{}: {key}", p.display()));
                            }
                        }
                    }
                }
            }
        }
        assert!(files > 50, "only {files} files read");
        missing.sort();
        missing.dedup();
        assert!(
            missing.is_empty(),
            "keys without text:\n{}",
            missing.join("\n")
        );
    }
}
