//! Chinese text folding shared by the compliance matcher and the knowledge
//! library's search: traditional → simplified and full-width → half-width,
//! each one character for one character, so that positions in folded text
//! are positions in the original.

use std::sync::LazyLock;

/// The first and last code points of the CJK blocks the tables cover
/// (Extension A and the Unified Ideographs).
const CJK_FIRST: u32 = 0x3400;
const CJK_LAST: u32 = 0x9FFF;

/// Traditional → simplified for every character in the CJK range, as a
/// flat table (a character that has no simplified form maps to itself).
static T2S: LazyLock<Box<[char]>> = LazyLock::new(|| {
    (CJK_FIRST..=CJK_LAST)
        .map(|u| {
            let c = char::from_u32(u).unwrap_or(' ');
            let mut buf = [0u8; 4];
            let s = fast2s::convert(c.encode_utf8(&mut buf));
            let mut it = s.chars();
            match (it.next(), it.next()) {
                (Some(t), None) => t,
                _ => c,
            }
        })
        .collect()
});

/// Whether `c` is a CJK ideograph of the covered blocks.
pub fn is_cjk(c: char) -> bool {
    (CJK_FIRST..=CJK_LAST).contains(&(c as u32))
}

/// The simplified form of a CJK character (itself when it has none or is
/// not CJK).
pub fn to_simplified(c: char) -> char {
    if is_cjk(c) {
        T2S[(c as u32 - CJK_FIRST) as usize]
    } else {
        c
    }
}

/// One character folded for search: simplified, full-width letters, digits
/// and marks to ASCII, the ideographic space to a space, ASCII lower-cased.
/// Always exactly one character.
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if is_cjk(c) {
        return to_simplified(c);
    }
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0)
            .unwrap_or(c)
            .to_ascii_lowercase(),
        0x3000 => ' ',
        _ => c,
    }
}

/// A whole string folded with [`fold_char`] (same number of characters).
pub fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_one_character_for_one() {
        let s = "直播帶貨 ＧＭＶ　服裝ABC";
        let f = fold(s);
        assert_eq!(f, "直播带货 gmv 服装abc");
        assert_eq!(f.chars().count(), s.chars().count());
    }
}
