//! Text as the matcher sees it, with a map back to the original.
//!
//! Sellers disguise terms with traditional characters (頂級), full-width
//! letters (ＮＯ．１), capital numerals (第壹), capitals (Top1) and
//! characters slipped between the letters of a term (最*好, 国_家_级,
//! 第·一, emoji). [`Normalised::new`] undoes all of them in one pass:
//!
//! - traditional → simplified, character for character;
//! - compatibility forms folded (NFKC per character: full-width, circled
//!   digits, …), ASCII lower-cased, capital numerals to plain ones;
//! - everything that is neither a letter nor a digit dropped (spaces,
//!   symbols, emoji, zero-width characters), except `%` and the sentence
//!   marks that end a clause (，。！？；： and newlines), which stay so that
//!   a term never spans two sentences.
//!
//! Every byte of the normalised text remembers the original character it
//! came from, so a finding's offsets are exact in the original.

use unicode_normalization::UnicodeNormalization;

pub use crate::text::is_cjk;

/// Marks that end a clause: kept, so that no term spans two sentences.
pub fn is_boundary(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '！' | '？' | '；' | '：' | '\n' | ',' | '!' | '?' | ';'
    )
}

/// One character of CJK text as the matcher sees it.
fn fold_cjk(c: char) -> char {
    let s = crate::text::to_simplified(c);
    match s {
        '壹' => '一',
        '贰' | '貳' => '二',
        '叁' | '參' => '三',
        '肆' => '四',
        '伍' => '五',
        '陆' | '陸' => '六',
        '柒' => '七',
        '捌' => '八',
        '玖' => '九',
        '拾' => '十',
        other => other,
    }
}

/// Pushes what `c` becomes (nothing, or one or more characters).
fn fold(c: char, out: &mut impl FnMut(char)) {
    if c.is_ascii() {
        if c.is_ascii_alphanumeric() {
            out(c.to_ascii_lowercase());
        } else if c == '%' || is_boundary(c) {
            out(c);
        }
        return;
    }
    if is_cjk(c) {
        out(fold_cjk(c));
        return;
    }
    if is_boundary(c) {
        out(c);
        return;
    }
    // Enclosed letters and ideographs (🈶, 🉑, 🅰) are used as emoji
    // slipped between characters, not as text.
    if ('\u{1F100}'..='\u{1F2FF}').contains(&c) {
        return;
    }
    // Compatibility forms: full-width letters and digits, circled and
    // parenthesised numbers, ligatures. Folded, then filtered like any text.
    for k in std::iter::once(c).nfkc() {
        if k.is_ascii() {
            if k.is_ascii_alphanumeric() {
                out(k.to_ascii_lowercase());
            } else if k == '%' || is_boundary(k) {
                out(k);
            }
        } else if is_cjk(k) {
            out(fold_cjk(k));
        } else if is_boundary(k) {
            out(k);
        } else if k.is_alphanumeric() {
            for l in k.to_lowercase() {
                out(l);
            }
        }
    }
}

/// Text normalised for matching, with each byte's original character.
#[derive(Debug, Clone)]
pub struct Normalised {
    text: String,
    /// For each byte of `text`, the index (in characters) of the original
    /// character it came from.
    origin: Vec<u32>,
    /// The original text's length in characters.
    original_chars: usize,
}

impl Normalised {
    pub fn new(original: &str) -> Normalised {
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len());
        let mut n = 0u32;
        for c in original.chars() {
            fold(c, &mut |k| {
                text.push(k);
                origin.resize(text.len(), n);
            });
            n += 1;
        }
        Normalised {
            text,
            origin,
            original_chars: n as usize,
        }
    }

    /// A term written in a rule, normalised the same way.
    pub fn term(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            fold(c, &mut |k| out.push(k));
        }
        out
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The original characters `[start, end)` a normalised byte range
    /// `[s, e)` came from (`s < e`, both on character boundaries).
    pub fn original_span(&self, s: usize, e: usize) -> (usize, usize) {
        debug_assert!(s < e && e <= self.text.len());
        (self.origin[s] as usize, self.origin[e - 1] as usize + 1)
    }

    pub fn original_chars(&self) -> usize {
        self.original_chars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_text(original: &str, n: &Normalised, s: usize, e: usize) -> String {
        let (a, b) = n.original_span(s, e);
        original.chars().skip(a).take(b - a).collect()
    }

    #[test]
    fn disguises_are_undone() {
        for (raw, want) in [
            ("最 好", "最好"),
            ("最*好", "最好"),
            ("最❤️好", "最好"),
            ("國家級", "国家级"),
            ("頂級", "顶级"),
            ("ＮＯ．１", "no1"),
            ("Top 1", "top1"),
            ("第壹", "第一"),
            ("第①", "第1"),
            ("１００％有效", "100%有效"),
            ("最\u{200b}好", "最好"),
            ("国_家_级", "国家级"),
            ("增🈶强", "增强"),
            ("保🉑过", "保过"),
        ] {
            assert_eq!(Normalised::new(raw).as_str(), want, "{raw}");
        }
    }

    #[test]
    fn sentences_stay_apart() {
        assert_eq!(Normalised::new("最。好").as_str(), "最。好");
        assert_eq!(Normalised::new("最, 好").as_str(), "最,好");
    }

    #[test]
    fn spans_map_back_to_the_original() {
        let raw = "家人们，這是 國*家*級 的！";
        let n = Normalised::new(raw);
        let at = n.as_str().find("国家级").unwrap();
        assert_eq!(span_text(raw, &n, at, at + "国家级".len()), "國*家*級");
        assert_eq!(n.original_chars(), raw.chars().count());
    }
}
