//! How text becomes search terms, the same way for documents and queries.
//!
//! Text is first folded one character for one (traditional → simplified,
//! full-width → ASCII, lower case), so a term's position in folded text is
//! its position in the original. Then:
//! - **words**: jieba segmentation with the programme's own words added to
//!   its dictionary (带货, 助农, 前播后产, 繁星计划, GMV…);
//! - **bigrams**: every two neighbouring Chinese characters, so that names
//!   and new slang jieba does not know are still found;
//! - **sounds**: the toneless pinyin of each Chinese word, so that a typo
//!   with a same-sounding character (直播代货) still meets 直播带货;
//! - **title pinyin**: each title word's pinyin and initials, alone and
//!   joined with its neighbours, for queries typed as `zhibo` or `zbdh`.

use std::sync::LazyLock;

use fanxing_core::text::{fold_char, is_cjk};
use jieba_rs::Jieba;
use pinyin::ToPinyin;

/// Words of the programme that jieba's general dictionary splits wrongly
/// or does not know, with a frequency high enough to win.
pub const DOMAIN_WORDS: &[&str] = &[
    "带货",
    "直播带货",
    "带货直播",
    "助农",
    "前播后产",
    "繁星计划",
    "直播电商",
    "电商直播",
    "直播间",
    "短视频",
    "视频号",
    "抖店",
    "抖音小店",
    "小黄车",
    "千川",
    "投流",
    "起号",
    "憋单",
    "场观",
    "成交额",
    "转化率",
    "客单价",
    "复购率",
    "私域",
    "公域",
    "产业带",
    "电商贷",
    "冷链",
    "选品",
    "话术",
    "主播",
    "达人",
    "供应链",
    "直播基地",
    "农产品",
    "大闸蟹",
    "小龙虾",
    "花木",
    "紫砂",
    "家纺",
    "婚纱",
    "珍珠",
    "香醋",
    "眼镜",
    "水晶",
    "毛绒玩具",
    "挂车",
    "uv价值",
    "gmv",
    "gpm",
    "roi",
    "mcn",
];

/// Groups of words that mean the same; a query with one also looks for
/// the others.
pub const SYNONYMS: &[&[&str]] = &[
    &["直播带货", "带货直播", "直播卖货", "带货"],
    &["成交额", "gmv", "销售额", "交易额", "营业额"],
    &["视频号", "微信视频号"],
    &["抖店", "抖音小店"],
    &["转化率", "转化"],
    &["投流", "千川", "付费流量"],
    &["私域", "私域流量", "社群"],
    &["电商贷", "贷款", "信贷"],
    &["补贴", "奖励", "扶持资金"],
    &["冷链", "冷链物流"],
    &["大闸蟹", "螃蟹", "河蟹"],
    &["小龙虾", "龙虾"],
    &["花木", "花卉", "苗木"],
    &["小黄车", "购物车", "商品链接"],
    &["不下单", "没人买", "不成交", "转化低", "转化率低"],
];

static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    let mut j = Jieba::new();
    for w in DOMAIN_WORDS {
        j.add_word(w, Some(200_000), None);
    }
    j
});

/// A term with its place in the original text (byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    pub from: usize,
    pub to: usize,
}

/// Folded text with the byte offset of each character in the original.
pub struct Folded {
    pub text: String,
    /// Byte offset in the original of each character, plus the end.
    starts: Vec<usize>,
}

impl Folded {
    pub fn new(original: &str) -> Folded {
        let mut text = String::with_capacity(original.len());
        let mut starts = Vec::with_capacity(original.len() + 1);
        for (at, c) in original.char_indices() {
            starts.push(at);
            text.push(fold_char(c));
        }
        starts.push(original.len());
        Folded { text, starts }
    }

    /// The original byte range of characters `from..to`.
    fn range(&self, from: usize, to: usize) -> (usize, usize) {
        let last = self.starts.len() - 1;
        (self.starts[from.min(last)], self.starts[to.min(last)])
    }
}

fn is_wordy(c: char) -> bool {
    c.is_alphanumeric()
}

/// Segmented words (and ASCII words and numbers), in order.
pub fn words(original: &str) -> Vec<Term> {
    let f = Folded::new(original);
    JIEBA
        .cut(&f.text, true)
        .into_iter()
        .filter(|t| t.word.chars().any(is_wordy))
        .map(|t| {
            let (from, to) = f.range(t.start, t.end);
            Term {
                text: t.word.trim().to_string(),
                from,
                to,
            }
        })
        .filter(|t| !t.text.is_empty())
        .collect()
}

/// Neighbouring pairs of Chinese characters (a lone character alone), and
/// runs of letters or digits whole.
pub fn bigrams(original: &str) -> Vec<Term> {
    let f = Folded::new(original);
    let chars: Vec<char> = f.text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_cjk(c) {
            let start = i;
            while i < chars.len() && is_cjk(chars[i]) {
                i += 1;
            }
            if i - start == 1 {
                let (from, to) = f.range(start, i);
                out.push(Term {
                    text: c.to_string(),
                    from,
                    to,
                });
            }
            for k in start..i.saturating_sub(1) {
                let (from, to) = f.range(k, k + 2);
                out.push(Term {
                    text: chars[k..k + 2].iter().collect(),
                    from,
                    to,
                });
            }
        } else if c.is_ascii_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let (from, to) = f.range(start, i);
            out.push(Term {
                text: chars[start..i].iter().collect(),
                from,
                to,
            });
        } else {
            i += 1;
        }
    }
    out
}

/// The toneless pinyin of a word's Chinese characters, joined (`None` when
/// it has a character without pinyin).
pub fn pinyin_of(word: &str) -> Option<String> {
    let mut out = String::new();
    for c in word.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        out.push_str(c.to_pinyin()?.plain());
    }
    (!out.is_empty()).then_some(out)
}

/// The initials of a word's Chinese characters.
pub fn initials_of(word: &str) -> Option<String> {
    let mut out = String::new();
    for c in word.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        out.push(c.to_pinyin()?.plain().chars().next()?);
    }
    (!out.is_empty()).then_some(out)
}

/// The pinyin of each Chinese word (ASCII words as they are).
pub fn sounds(original: &str) -> Vec<Term> {
    words(original)
        .into_iter()
        .filter_map(|t| {
            let p = pinyin_of(&t.text)?;
            Some(Term { text: p, ..t })
        })
        .collect()
}

/// A title's pinyin forms: each word's full pinyin and initials, and the
/// same for runs of two to four neighbouring words.
pub fn title_pinyin(title: &str) -> Vec<String> {
    let ws: Vec<String> = words(title)
        .into_iter()
        .filter(|t| t.text.chars().any(is_cjk))
        .map(|t| t.text)
        .collect();
    let mut out = Vec::new();
    for i in 0..ws.len() {
        for len in 1..=4.min(ws.len() - i) {
            let joined: String = ws[i..i + len].concat();
            if let Some(p) = pinyin_of(&joined) {
                out.push(p);
            }
            if let Some(p) = initials_of(&joined) {
                if p.len() >= 2 {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The other words of every synonym group the folded query touches.
pub fn synonyms_for(folded_query: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    for group in SYNONYMS {
        if group.iter().any(|w| folded_query.contains(w)) {
            for w in group.iter() {
                if !folded_query.contains(w) && !out.contains(w) {
                    out.push(*w);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(ts: Vec<Term>) -> Vec<String> {
        ts.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn domain_words_stay_whole() {
        let w = texts(words("直播带货助农，前播后产"));
        assert!(w.contains(&"助农".to_string()), "{w:?}");
        assert!(w.contains(&"前播后产".to_string()), "{w:?}");
    }

    #[test]
    fn traditional_and_full_width_fold_with_exact_offsets() {
        let text = "看直播帶貨ＧＭＶ";
        let w = words(text);
        let gmv = w.iter().find(|t| t.text == "gmv").expect("gmv");
        assert_eq!(&text[gmv.from..gmv.to], "ＧＭＶ");
        let dh = w.iter().find(|t| t.text.contains("带货")).expect("带货");
        assert!(text[dh.from..dh.to].contains("帶貨"));
    }

    #[test]
    fn bigrams_cover_unknown_names() {
        let b = texts(bigrams("沭阳花木 GMV"));
        assert_eq!(b, vec!["沭阳", "阳花", "花木", "gmv"]);
        assert_eq!(texts(bigrams("蟹")), vec!["蟹"]);
    }

    #[test]
    fn titles_answer_to_pinyin_and_initials() {
        let p = title_pinyin("直播带货技巧");
        assert!(p.contains(&"zhibodaihuo".to_string()), "{p:?}");
        assert!(p.contains(&"zbdh".to_string()), "{p:?}");
    }

    #[test]
    fn a_same_sounding_typo_sounds_the_same() {
        let a = texts(sounds("直播代货"));
        let b = texts(sounds("直播带货"));
        assert_eq!(a.concat(), b.concat());
    }

    #[test]
    fn synonyms_reach_across_the_group() {
        let s = synonyms_for("抖店怎么开");
        assert_eq!(s, vec!["抖音小店"]);
    }
}
