//! Compliance benchmark.
//!
//! Two figures, each beside a baseline measured in the same run:
//! 1. **throughput** of the compliance matcher over synthetic live
//!    transcripts (one presenter utterance a line, 100 MB by default,
//!    written to a temporary file by a deterministic generator), beside
//!    ripgrep looking for the rules' literal terms in the same file
//!    (`rg -F -f terms.txt --count FILE`). Ours checks the file line by
//!    line with [`Matcher::check`] (normalisation, pinyin and same-sound
//!    forms, context rules, findings built) and [`Matcher::count`]; once on
//!    one thread, once on every core (the file cut in as many pieces at
//!    line ends, one std thread each), beside ripgrep on one file (one
//!    thread) and on the same pieces as separate files (`-j N`, one thread
//!    a file). Also [`Normalised::new`] alone, to show what normalising
//!    costs of the whole;
//! 2. **latency** of one 2,000-character check over HTTP
//!    (`POST /api/v1/compliance/check` with a trainee's API token) from 200
//!    concurrent clients, beside the no-op `GET /healthz` from as many
//!    clients, on `fanxing serve` started as its own process (SQLite unless
//!    `DATABASE_URL` is set): requests/s, p50, p99 and the ratios.
//!
//! Usage: `compliance-bench [--mb N] [--runs N] [--threads N] [--requests N]
//! [--clients N] [--chars N] [--seconds S] [--part all|throughput|http]
//! [--dir DIR] [--rg PATH]` (the `fanxing` binary must sit next to this
//! one: build both with `--release`; `bench/compliance.sh` does, and
//! installs ripgrep). Files go to `--dir` (default: a temporary directory
//! removed at the end); the server's process id is written to
//! `DIR/server.pid` while it runs, so that the script can stop it if this
//! process is killed.

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use fanxing::open;
use fanxing_bench::{
    arg, backend, burst, config, percentile, print_burst_header, print_burst_row,
    print_versus_noop, slow_statements, text_arg, verdict, versus_noop, Server,
};
use fanxing_core::auth::Role;
use fanxing_core::compliance::normalise::Normalised;
use fanxing_core::compliance::{Kind, Matcher};
use fanxing_core::people::accounts::NewUserInput;
use fanxing_core::Lang;
use fanxing_demo::{self as demo, DemoSize};

/// The generator's seed: the same transcripts on every run.
const SEED: u64 = 20_261_201;

// ------------------------------------------------------------- generator

/// SplitMix64: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    fn pick<'a, T: ?Sized>(&mut self, xs: &'a [&'a T]) -> &'a T {
        xs[self.below(xs.len())]
    }
}

/// One kind of product a stream sells: its names, what presenters say
/// about it lawfully, and the claims that get streams warned or fined.
struct Product {
    items: &'static [&'static str],
    talk: &'static [&'static str],
    claims: &'static [&'static str],
}

const CRABS: Product = Product {
    items: &[
        "阳澄湖大闸蟹",
        "太湖大闸蟹",
        "高淳螃蟹",
        "兴化大闸蟹",
        "固城湖螃蟹",
        "洪泽湖大闸蟹",
    ],
    talk: &[
        "这个{item}公蟹四两母蟹三两",
        "今天直播间{n}只装只要{p}元",
        "顺丰冷链包邮到家",
        "死蟹包赔，拍照联系客服就行",
        "蟹黄满满的，膏也特别肥",
        "蒸十五分钟就可以出锅",
        "配上姜醋汁那个味道真的绝了",
        "绳子是单独称的不算重量",
        "收到以后放冰箱冷藏，别放冷冻",
        "礼盒装送人特别有面子",
        "我们是湖边自己家的养殖塘",
        "青背白肚金爪黄毛，大家看一下",
        "一只一只都是现捆现发的",
        "拍{n}号链接，备注公母搭配",
        "母蟹现在正是黄最满的时候",
        "我拿一只给大家掰开看看",
        "偏远地区不发货哈，新疆西藏发不了",
        "这个规格在外面超市要卖{p}多",
    ],
    claims: &[
        "全网最低价就在我们直播间",
        "这是最正宗的{item}",
        "我们家螃蟹绝对是全网第一",
        "国家级的养殖基地出来的",
        "吃了补钙还能治疗骨质疏松",
        "销量第一的蟹农就是我们",
        "已售{n}万只了家人们",
        "错过今天再也没有这个价",
        "这是国宴专供的品质",
        "保证只只都是活的",
    ],
};

const TEA: Product = Product {
    items: &[
        "洞庭山碧螺春",
        "南京雨花茶",
        "明前碧螺春",
        "宜兴红茶",
        "金坛雀舌",
    ],
    talk: &[
        "这款{item}是今年的春茶",
        "一芽一叶，全部手工炒制",
        "冲泡用八十度左右的水就可以",
        "一罐{n}克，今天拍一发二",
        "有一股很明显的花果香",
        "第一泡可以稍微快一点出汤",
        "茶汤是嫩绿明亮的，大家看一下",
        "放冰箱冷藏能保存一年左右",
        "送长辈送领导都很合适",
        "我们是茶农自己家的茶园",
        "喝不完的密封好就行",
        "今天直播间{p}元两罐",
    ],
    claims: &[
        "这是最好喝的{item}",
        "顶级的明前茶，一年就这么点",
        "喝了能降三高，治疗失眠",
        "长期喝可以抗癌排毒",
        "唯一的核心产区茶园",
        "这款茶是特供茶",
        "原价{p}今天只要{n}",
        "喝了包你睡得好",
    ],
};

const CLOTHES: Product = Product {
    items: &[
        "羊毛衫",
        "加绒卫衣",
        "牛仔裤",
        "羽绒服",
        "真丝衬衫",
        "冲锋衣",
    ],
    talk: &[
        "这件{item}面料是纯棉的",
        "尺码从S到3XL都有",
        "身高一米六体重一百一穿M码",
        "颜色有黑白灰三个色",
        "宽松版型特别显瘦",
        "不起球不掉色，机洗也没问题",
        "主播身上穿的是L码",
        "{n}号链接，今天{p}元",
        "七天无理由退换，放心拍",
        "洗的时候建议反过来洗",
        "里面加了一层绒，冬天穿正好",
        "腰围不合适的可以找客服改",
        "宝宝们看一下这个细节，走线很整齐",
    ],
    claims: &[
        "这是全网最舒服的{item}",
        "销量冠军，断货王就是它",
        "穿上保证显瘦十斤",
        "顶级面料，绝对不起球",
        "100%纯羊毛，假一赔十",
        "吊牌价{p}，今天骨折价",
        "仅剩最后{n}件了",
        "全网独家款，只有我们家有",
    ],
};

const COSMETICS: Product = Product {
    items: &["补水面霜", "精华液", "面膜", "防晒霜", "眼霜", "洗面奶"],
    talk: &[
        "这款{item}质地很清爽不油腻",
        "敏感肌的宝宝可以先在耳后试一下",
        "早晚各用一次就可以",
        "一瓶是{n}毫升的",
        "今天直播间拍一送一，还送小样",
        "成分里有烟酰胺和玻尿酸",
        "上脸吸收很快，不搓泥",
        "我自己用了两个月了",
        "干皮油皮都可以用",
        "拍{n}号链接，{p}元到手两瓶",
        "用完记得做好防晒",
        "开封以后半年内用完",
    ],
    claims: &[
        "特效祛斑，七天见效",
        "医美级的效果，在家就能做",
        "100%有效，无效退款",
        "能修复皮肤屏障，治疗痘痘",
        "用了皮肤细胞再生",
        "这是最有效的{item}",
        "永不反弹，一次根治",
        "械字号的面膜，专治过敏",
        "药妆级别的配方",
    ],
};

const LOANS: Product = Product {
    items: &["助农贷", "创业贷", "电商经营贷", "乡村振兴贷"],
    talk: &[
        "这个{item}是银行给咱们农户的",
        "年化利率{r}%起，以审批为准",
        "额度最高三十万",
        "随借随还，按日计息",
        "手机银行上就能申请",
        "需要营业执照或者农户证明",
        "审批一般三个工作日",
        "具体额度以银行审批为准",
        "借款要量力而行，按时还款",
        "有问题的可以私信客服经理",
    ],
    claims: &[
        "保本保息，稳赚不赔",
        "零风险，借了就能赚钱",
        "包过，黑户也能贷",
        "收益保障，年化{r}%",
        "政府推荐的贷款产品",
        "百分之百下款",
        "这是国家给背书的",
        "稳稳的收益，躺着赚",
    ],
};

const PRODUCTS: [&Product; 5] = [&CRABS, &TEA, &CLOTHES, &COSMETICS, &LOANS];

const GREETINGS: &[&str] = &[
    "家人们",
    "宝宝们",
    "姐妹们",
    "直播间的家人们",
    "老铁们",
    "新进来的宝宝",
    "欢迎刚进来的朋友",
    "哥哥姐姐们",
    "家人们听我说",
    "来来来宝宝们",
];

const HOST_TALK: &[&str] = &[
    "点点关注不迷路",
    "左上角关注一下主播",
    "扣1的宝宝我看一下有多少人",
    "小黄车{n}号链接",
    "三二一上链接",
    "库存只有{n}单了",
    "没抢到的扣个没抢到",
    "运费险都给大家买好了",
    "有问题的打在公屏上",
    "主播今天嗓子有点哑",
    "后台再加{n}单",
    "拍下的宝宝记得备注主播名字",
    "付款了的扣个已拍",
    "今天人有点多，大家慢慢拍",
    "这个价格只有直播间有",
    "{user}问发什么快递，顺丰",
    "感谢{user}送的小心心",
    "{user}说上次买的很好",
    "等一下我给大家试一下",
    "我们再讲一遍这个规格",
];

/// Lawful uses of words the rules watch: the context rules keep quiet.
const LAWFUL: &[&str] = &[
    "最后三分钟，抓紧时间",
    "这是我第一次来咱们直播间",
    "最佳食用期是收到后三天内",
    "我们不是最便宜的，但是品质放心",
    "每人最多限购{n}件",
    "最好冷藏保存",
    "第一批货已经发出去了",
    "最高承重一百公斤",
    "本店卖得最好的一款",
    "最近天气冷，大家注意保暖",
];

const USERS: &[&str] = &[
    "小草莓",
    "江南烟雨",
    "苏州阿姨",
    "昆山小王",
    "爱吃螃蟹的猫",
    "一只小羊",
    "老张",
    "晴天",
];

const ENDS: &[&str] = &["！", "。", "", "～", "！！", "哈"];

/// Characters sellers write in traditional form to slip past filters.
const TRADITIONAL: &[(char, char)] = &[
    ('国', '國'),
    ('级', '級'),
    ('顶', '頂'),
    ('疗', '療'),
    ('稳', '穩'),
    ('赚', '賺'),
    ('网', '網'),
    ('价', '價'),
    ('销', '銷'),
    ('证', '證'),
    ('过', '過'),
    ('药', '藥'),
    ('门', '門'),
    ('实', '實'),
];

/// Pinyin of a few characters, for `zui好`-style disguises.
const PINYIN: &[(char, &str)] = &[
    ('最', "zui"),
    ('第', "di"),
    ('稳', "wen"),
    ('保', "bao"),
    ('治', "zhi"),
    ('国', "guo"),
    ('顶', "ding"),
    ('好', "hao"),
    ('赚', "zhuan"),
    ('效', "xiao"),
];

/// Same-sounding characters sellers swap in (醉好 for 最好).
const HOMOPHONES: &[(char, char)] = &[
    ('最', '醉'),
    ('赚', '转'),
    ('治', '质'),
    ('疗', '聊'),
    ('级', '吉'),
    ('保', '宝'),
    ('效', '笑'),
];

const FILLERS: &[&str] = &[" ", "*", "·", "🔥", "❤️", "_", "~", "/"];

/// Writes `term` as a seller hiding it might: spaced out, split by a
/// symbol or emoji, traditional, full width, pinyin or a same-sounding
/// character; unchanged when the chosen trick does not apply.
fn disguise(rng: &mut Rng, term: &str) -> String {
    let chars: Vec<char> = term.chars().collect();
    match rng.below(6) {
        0 | 1 => {
            let f = rng.pick(FILLERS);
            let mut s = String::new();
            for (i, c) in chars.iter().enumerate() {
                if i > 0 {
                    s.push_str(f);
                }
                s.push(*c);
            }
            s
        }
        2 => chars
            .iter()
            .map(|c| {
                TRADITIONAL
                    .iter()
                    .find(|(s, _)| s == c)
                    .map_or(*c, |(_, t)| *t)
            })
            .collect(),
        3 => chars
            .iter()
            .map(|c| {
                if c.is_ascii_graphic() {
                    char::from_u32(*c as u32 - 0x21 + 0xFF01).unwrap_or(*c)
                } else {
                    *c
                }
            })
            .collect(),
        4 => {
            let mut done = false;
            let mut s = String::new();
            for c in &chars {
                match PINYIN.iter().find(|(h, _)| h == c) {
                    Some((_, p)) if !done => {
                        s.push_str(p);
                        done = true;
                    }
                    _ => s.push(*c),
                }
            }
            s
        }
        _ => {
            let mut done = false;
            chars
                .iter()
                .map(|c| match HOMOPHONES.iter().find(|(h, _)| h == c) {
                    Some((_, t)) if !done => {
                        done = true;
                        *t
                    }
                    _ => *c,
                })
                .collect()
        }
    }
}

/// The live transcript generator: one utterance a line, a stream selling
/// one product for a run of lines before the next.
struct Transcripts<'a> {
    rng: Rng,
    terms: &'a [String],
    product: &'static Product,
    item: &'static str,
    left: usize,
}

impl<'a> Transcripts<'a> {
    fn new(seed: u64, terms: &'a [String]) -> Self {
        Transcripts {
            rng: Rng(seed),
            terms,
            product: &CRABS,
            item: CRABS.items[0],
            left: 0,
        }
    }

    fn fill(&mut self, template: &str, out: &mut String) {
        let mut rest = template;
        while let Some(i) = rest.find('{') {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            let end = tail.find('}').map_or(tail.len(), |e| e + 1);
            match &tail[..end] {
                "{item}" => out.push_str(self.item),
                "{n}" => out.push_str(&(2 + self.rng.below(98)).to_string()),
                "{p}" => out.push_str(&(19 + self.rng.below(380)).to_string()),
                "{r}" => {
                    let (a, b) = (3 + self.rng.below(3), self.rng.below(100));
                    out.push_str(&format!("{a}.{b:02}"));
                }
                "{user}" => out.push_str(self.rng.pick(USERS)),
                other => out.push_str(other),
            }
            rest = &tail[end..];
        }
        out.push_str(rest);
    }

    fn clause(&mut self, template: &str, clauses: &mut Vec<String>) {
        let mut s = String::new();
        self.fill(template, &mut s);
        clauses.push(s);
    }

    /// Appends one utterance and its line end.
    fn line(&mut self, out: &mut String) {
        if self.left == 0 {
            self.product = PRODUCTS[self.rng.below(PRODUCTS.len())];
            self.item = self.rng.pick(self.product.items);
            self.left = 50 + self.rng.below(250);
        }
        self.left -= 1;
        let mut clauses: Vec<String> = Vec::new();
        if self.rng.chance(0.35) {
            let g = self.rng.pick(GREETINGS);
            self.clause(g, &mut clauses);
        }
        for _ in 0..1 + self.rng.below(3) {
            let t = if self.rng.chance(0.7) {
                self.rng.pick(self.product.talk)
            } else {
                self.rng.pick(HOST_TALK)
            };
            self.clause(t, &mut clauses);
        }
        if self.rng.chance(0.10) {
            let c = self.rng.pick(self.product.claims);
            self.clause(c, &mut clauses);
            if self.rng.chance(0.3) {
                // Disguise the claim's first watched term, if any.
                let last = clauses.last_mut().expect("just pushed");
                if let Some(t) = self
                    .terms
                    .iter()
                    .filter(|t| t.chars().count() >= 2)
                    .find(|t| last.contains(t.as_str()))
                {
                    let d = disguise(&mut self.rng, t);
                    *last = last.replacen(t.as_str(), &d, 1);
                }
            }
        }
        if self.rng.chance(0.05) {
            let t = self.rng.pick(LAWFUL);
            self.clause(t, &mut clauses);
        }
        if self.rng.chance(0.05) {
            // Any of the rules' terms, as written or disguised.
            let t = &self.terms[self.rng.below(self.terms.len())];
            let t = if self.rng.chance(0.4) {
                disguise(&mut self.rng, t)
            } else {
                t.clone()
            };
            let carrier = ["真的是{}", "这个{}的", "{}", "我跟你们说{}", "{}，懂的都懂"];
            let c = carrier[self.rng.below(carrier.len())].replace("{}", &t);
            let at = self.rng.below(clauses.len() + 1);
            clauses.insert(at, c);
        }
        for (i, c) in clauses.iter().enumerate() {
            if i > 0 {
                out.push('，');
            }
            out.push_str(c);
        }
        out.push_str(self.rng.pick(ENDS));
        out.push('\n');
    }
}

/// Writes at least `bytes` bytes of transcripts to `path`; returns the
/// bytes and lines written.
fn generate(path: &Path, bytes: usize, terms: &[String]) -> anyhow::Result<(usize, usize)> {
    let mut gen = Transcripts::new(SEED, terms);
    let mut file = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(path).with_context(|| path.display().to_string())?,
    );
    let (mut written, mut lines) = (0, 0);
    let mut buf = String::with_capacity(1 << 20);
    while written < bytes {
        buf.clear();
        while buf.len() < (1 << 20) - 512 && written + buf.len() < bytes {
            gen.line(&mut buf);
            lines += 1;
        }
        file.write_all(buf.as_bytes())?;
        written += buf.len();
    }
    file.flush()?;
    Ok((written, lines))
}

/// `n` scripts of exactly `chars` characters each (utterances, one a line,
/// cut at the limit), from another stream of the same generator.
fn scripts(n: usize, chars: usize, terms: &[String]) -> Vec<String> {
    let mut gen = Transcripts::new(SEED ^ 0x5C41_9715, terms);
    (0..n)
        .map(|_| {
            let mut s = String::new();
            while s.chars().count() < chars {
                gen.line(&mut s);
            }
            let cut = s.char_indices().nth(chars).map_or(s.len(), |(i, _)| i);
            s.truncate(cut);
            s
        })
        .collect()
}

// ------------------------------------------------------------ throughput

/// One measured pass over the file.
struct Pass {
    secs: f64,
    /// Lines with at least one match (ripgrep) or finding (ours).
    lines_hit: usize,
    /// Findings in all (ours only).
    findings: Option<usize>,
}

#[derive(Clone, Copy, PartialEq)]
enum Work {
    Check,
    Count,
    Normalise,
}

/// Cuts `text` into `n` pieces at line ends.
fn pieces(text: &str, n: usize) -> Vec<&str> {
    let mut out = Vec::with_capacity(n);
    let mut from = 0;
    for k in 1..n {
        let mut at = (text.len() * k / n).max(from);
        // Bytes, not characters: `at` may fall inside a character.
        at = text.as_bytes()[at..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(text.len(), |i| at + i + 1);
        out.push(&text[from..at]);
        from = at;
    }
    out.push(&text[from..]);
    out
}

/// (lines hit, findings) of one piece.
fn scan(m: &Matcher, text: &str, work: Work) -> (usize, usize) {
    let (mut hit, mut found) = (0, 0);
    for line in text.lines() {
        let n = match work {
            Work::Check => m.check(line, Kind::Script, Lang::Zh).findings.len(),
            Work::Count => m.count(line, Kind::Script),
            Work::Normalise => {
                black_box(Normalised::new(line).as_str().len());
                0
            }
        };
        hit += usize::from(n > 0);
        found += n;
    }
    (hit, found)
}

/// Reads the file and scans it on `threads` std threads (reading and UTF-8
/// validation are part of the time, as they are of ripgrep's).
fn ours(m: &Matcher, path: &Path, threads: usize, work: Work) -> anyhow::Result<Pass> {
    let t = Instant::now();
    let bytes = std::fs::read(path)?;
    let text = std::str::from_utf8(&bytes)?;
    let (hit, found) = if threads <= 1 {
        scan(m, text, work)
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = pieces(text, threads)
                .into_iter()
                .map(|p| s.spawn(move || scan(m, p, work)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("scan thread"))
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
        })
    };
    Ok(Pass {
        secs: t.elapsed().as_secs_f64(),
        lines_hit: hit,
        findings: (work != Work::Normalise).then_some(found),
    })
}

/// `rg -F -f terms.txt --count FILES…`, timed from spawn to exit.
fn ripgrep(rg: &str, terms: &Path, files: &[PathBuf], threads: usize) -> anyhow::Result<Pass> {
    let t = Instant::now();
    let out = Command::new(rg)
        .args(["--no-config", "-F", "-f"])
        .arg(terms)
        .args(["--count", "-j", &threads.to_string()])
        .args(files)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("run {rg}"))?;
    let secs = t.elapsed().as_secs_f64();
    // Exit status 1 only means no match.
    if !out.status.success() && out.status.code() != Some(1) {
        bail!("{rg} failed: {}", out.status);
    }
    let lines_hit = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.rsplit(':').next()?.trim().parse::<usize>().ok())
        .sum();
    Ok(Pass {
        secs,
        lines_hit,
        findings: None,
    })
}

/// The fastest of `runs` passes (the figures of the others are the same).
fn best(runs: usize, mut f: impl FnMut() -> anyhow::Result<Pass>) -> anyhow::Result<Pass> {
    let mut best: Option<Pass> = None;
    for _ in 0..runs.max(1) {
        let p = f()?;
        if best.as_ref().is_none_or(|b| p.secs < b.secs) {
            best = Some(p);
        }
    }
    Ok(best.expect("one run at least"))
}

fn throughput(
    m: &'static Matcher,
    dir: &Path,
    rg: &str,
    mb: usize,
    runs: usize,
    threads: usize,
) -> anyhow::Result<()> {
    let terms: Vec<String> = m.terms().map(str::to_string).collect();
    let terms_path = dir.join("terms.txt");
    std::fs::write(&terms_path, terms.join("\n") + "\n")?;
    let file = dir.join("transcripts.txt");
    let t = Instant::now();
    let (bytes, lines) = generate(&file, mb << 20, &terms)?;
    let size = fanxing_bench::mb(bytes);
    eprintln!(
        "generated {size:.1} MB of transcripts ({lines} lines, seed {SEED}) in {:.1} s: {}",
        t.elapsed().as_secs_f64(),
        file.display()
    );
    // The same pieces ours takes on `threads` threads, as files for
    // ripgrep's own parallelism (one thread a file).
    let text = std::fs::read_to_string(&file)?;
    let mut parts = Vec::new();
    for (i, p) in pieces(&text, threads).into_iter().enumerate() {
        let path = dir.join(format!("transcripts.part{i}.txt"));
        std::fs::write(&path, p)?;
        parts.push(path);
    }
    drop(text);
    // Warm up: the files in the page cache, the matcher's tables built.
    let sample = std::fs::read_to_string(&file)?;
    let _ = m.check(sample.lines().next().unwrap_or(""), Kind::Script, Lang::Zh);
    drop(sample);
    for p in &parts {
        let _ = std::fs::read(p)?;
    }

    let one = std::slice::from_ref(&file);
    eprintln!("ripgrep, one file …");
    let rg1 = best(runs, || ripgrep(rg, &terms_path, one, 1))?;
    eprintln!("ripgrep, {threads} files …");
    let rgn = best(runs, || ripgrep(rg, &terms_path, &parts, threads))?;
    eprintln!("Matcher::check, 1 thread …");
    let check1 = best(runs, || ours(m, &file, 1, Work::Check))?;
    eprintln!("Matcher::count, 1 thread …");
    let count1 = best(runs, || ours(m, &file, 1, Work::Count))?;
    eprintln!("Normalised::new, 1 thread …");
    let norm1 = best(runs, || ours(m, &file, 1, Work::Normalise))?;
    eprintln!("Matcher::check, {threads} threads …");
    let checkn = best(runs, || ours(m, &file, threads, Work::Check))?;
    eprintln!("Matcher::count, {threads} threads …");
    let countn = best(runs, || ours(m, &file, threads, Work::Count))?;
    for p in &parts {
        let _ = std::fs::remove_file(p);
    }
    let _ = std::fs::remove_file(&file);

    println!();
    println!(
        "{:<44} {:>7} {:>9} {:>9} {:>10} {:>10} {:>7}",
        format!("throughput, {size:.1} MB, {lines} lines"),
        "threads",
        "s",
        "MB/s",
        "lines hit",
        "findings",
        "vs rg"
    );
    let row = |name: &str, threads: usize, p: &Pass, base: Option<&Pass>| {
        println!(
            "{:<44} {:>7} {:>9.3} {:>9.1} {:>10} {:>10} {:>7}",
            name,
            threads,
            p.secs,
            size / p.secs,
            if p.findings.is_some() || base.is_none() {
                p.lines_hit.to_string()
            } else {
                String::new()
            },
            p.findings.map_or(String::new(), |f| f.to_string()),
            base.map_or(String::new(), |b| format!("{:.2}x", b.secs / p.secs)),
        );
    };
    row("rg -F -f terms.txt --count FILE", 1, &rg1, None);
    row("Matcher::check, line by line", 1, &check1, Some(&rg1));
    row("Matcher::count, line by line", 1, &count1, Some(&rg1));
    row(
        "  Normalised::new alone, line by line",
        1,
        &norm1,
        Some(&rg1),
    );
    row(
        &format!("rg … --count -j {threads} on {threads} pieces"),
        threads,
        &rgn,
        None,
    );
    row(
        &format!("Matcher::check, {threads} std threads"),
        threads,
        &checkn,
        Some(&rgn),
    );
    row(
        &format!("Matcher::count, {threads} std threads"),
        threads,
        &countn,
        Some(&rgn),
    );
    println!(
        "(MB = 1,048,576 bytes; fastest of {runs} runs each; times include reading the file; \
         ripgrep searches one file on one thread, the pieces one thread a file; ours cuts the \
         file at line ends, one std thread a piece; {} terms)",
        terms.len()
    );
    let ratio = rgn.secs / checkn.secs;
    println!(
        "Matcher::check / ripgrep, {threads} threads each: {ratio:.2}x  (goal >= 1.0x: {}); \
         one thread each: {:.2}x",
        verdict(ratio >= 1.0),
        rg1.secs / check1.secs
    );
    println!(
        "normalising alone takes {:.0}% of a check's time (one thread); count is {:.2}x check's speed",
        norm1.secs / check1.secs * 100.0,
        check1.secs / count1.secs
    );
    Ok(())
}

// ------------------------------------------------------------------ HTTP

/// The i-th check request: script `i` of `bodies` (in turn), as `token`'s
/// account.
fn check_request(
    base: &str,
    bodies: &Arc<Vec<String>>,
    token: &str,
) -> impl Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Clone + Send + Sync + 'static {
    let (b, bs, tok) = (base.to_string(), bodies.clone(), token.to_string());
    move |c, i| {
        c.post(format!("{b}/api/v1/compliance/check"))
            .bearer_auth(&tok)
            .header("content-type", "application/json")
            .body(bs[i % bs.len()].clone())
    }
}

async fn http(
    m: &'static Matcher,
    dir: &Path,
    requests: usize,
    clients: usize,
    chars: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    let data = dir.join("data");
    std::fs::create_dir_all(&data)?;
    let config = config(data.clone());
    let backend = backend(&config);
    let t = Instant::now();
    let opened = open(&config).await?;
    demo::seed(&opened.app, &*opened.store, 7, DemoSize::default()).await?;
    let token = opened
        .app
        .accounts
        .create_api_token("trainee", "compliance-bench")
        .await?;
    // A diagnostic account: a trainee with neither region nor person, whose
    // checks are answered the same way but counted nowhere (no tally write).
    opened
        .app
        .accounts
        .create_user(NewUserInput {
            username: "bench-uncounted".into(),
            display_name: "bench".into(),
            password: demo::DEMO_PASSWORD.into(),
            role: Role::Trainee,
            region: None,
            person_id: None,
            org_id: None,
        })
        .await?;
    let uncounted_token = opened
        .app
        .accounts
        .create_api_token("bench-uncounted", "compliance-bench")
        .await?;
    drop(opened);
    eprintln!(
        "seeded the demo ({backend}, {:.1} s); API tokens for `trainee` and `bench-uncounted`",
        t.elapsed().as_secs_f64()
    );

    // 64 different scripts, each sent as often as the others.
    let terms: Vec<String> = m.terms().map(str::to_string).collect();
    let texts = scripts(64, chars, &terms);
    let mut inproc: Vec<u64> = Vec::new();
    let mut norm: Vec<u64> = Vec::new();
    let mut findings: Vec<u64> = Vec::new();
    for _ in 0..20 {
        for s in &texts {
            let t = Instant::now();
            let r = m.check(s, Kind::Script, Lang::Zh);
            inproc.push(t.elapsed().as_micros() as u64);
            findings.push(r.findings.len() as u64);
            let t = Instant::now();
            black_box(Normalised::new(s).as_str().len());
            norm.push(t.elapsed().as_micros() as u64);
        }
    }
    inproc.sort_unstable();
    norm.sort_unstable();
    findings.sort_unstable();
    let bodies: Arc<Vec<String>> = Arc::new(
        texts
            .iter()
            .map(|t| serde_json::json!({"text": t, "kind": "script"}).to_string())
            .collect(),
    );

    let log = dir.join("server.log");
    let server = Server::start_graceful(&config, &log)?;
    let base = server.base.clone();
    let budget = Duration::from_secs(seconds);

    // One at a time first (also checks that both answer 2xx), then the
    // bursts.
    let v = versus_noop(
        &server,
        clients,
        requests,
        budget,
        20,
        "check",
        check_request(&base, &bodies, &token),
    )
    .await?;
    eprintln!("check burst, uncounted account: {requests} requests from {clients} clients …");
    let uncounted = burst(
        clients,
        requests,
        budget,
        check_request(&base, &bodies, &uncounted_token),
    )
    .await?;
    let peak = server.mem_mb("VmHWM:");
    drop(server);
    let (slow, _) = slow_statements(&log);

    println!();
    print_burst_header(&format!("{backend}, {clients} concurrent clients"));
    print_burst_row("no-op (GET /healthz)", &v.noop, Some(v.noop_alone));
    print_burst_row(
        &format!("POST /api/v1/compliance/check, {chars} chars"),
        &v.target,
        Some(v.target_alone),
    );
    print_burst_row(
        "  the same, account counted nowhere (diagn.)",
        &uncounted,
        None,
    );
    println!(
        "(alone: median of 20 requests one at a time; a burst starts no request after {seconds} s; \
         64 different scripts of {chars} characters ({} bytes of JSON), {} findings each at the \
         median, answers of about {} bytes; \
         the diagnostic row: a trainee account with no region or person, whose checks update \
         no tally)",
        bodies[0].len(),
        findings[findings.len() / 2],
        v.answer_bytes
    );
    print_versus_noop("check", &v);
    println!(
        "check p99: {:.2} ms  (goal <= 20 ms: {})",
        v.target.p99_ms,
        verdict(v.target.p99_ms <= 20.0)
    );
    println!(
        "one {chars}-character check in this process: median {:.3} ms (Normalised::new alone {:.3} ms), \
         p99 {:.3} ms",
        percentile(&inproc, 0.5),
        percentile(&norm, 0.5),
        percentile(&inproc, 0.99)
    );
    println!("server peak RSS: {peak:.1} MB; slow-statement warnings in its log: {slow}");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mb = arg("--mb", 100);
    let runs = arg("--runs", 2);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = arg("--threads", cores);
    let requests = arg("--requests", 20_000);
    let clients = arg("--clients", 200);
    let chars = arg("--chars", 2_000);
    let seconds = arg("--seconds", 120) as u64;
    let part = text_arg("--part").unwrap_or_else(|| "all".into());
    let rg = text_arg("--rg")
        .or_else(|| std::env::var("RG").ok())
        .unwrap_or_else(|| "rg".into());
    if !matches!(part.as_str(), "all" | "throughput" | "http") {
        bail!("--part all, throughput or http");
    }
    let work = fanxing_bench::work_dir()?;
    let dir: PathBuf = work.path.clone();
    let m = Matcher::builtin();
    let rg_version = Command::new(&rg)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_string)
        });
    if part != "http" && rg_version.is_none() {
        bail!("{rg} not found: install ripgrep (bench/compliance.sh does) or pass --rg PATH");
    }
    println!(
        "fanxing compliance benchmark ({cores} CPUs; rules {}, {} terms; {}; \
         {mb} MB of transcripts; {requests} requests of {chars} characters from {clients} clients)",
        m.version(),
        m.terms().count(),
        rg_version.as_deref().unwrap_or("no ripgrep"),
    );
    if part != "http" {
        throughput(m, &dir, &rg, mb, runs, threads)?;
    }
    if part != "throughput" {
        http(m, &dir, requests, clients, chars, seconds).await?;
    }
    Ok(())
}
