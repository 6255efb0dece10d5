//! The unified social credit code (统一社会信用代码, GB 32100-2015).
//!
//! Eighteen characters from a 31-character alphabet (digits and capital
//! letters without I, O, Z, S and V): the registering authority, the kind of
//! organisation, the six-digit region of registration, a nine-character
//! organisation code, and a check character over the first seventeen.

use std::fmt;

/// The alphabet, in the order that gives each character its value.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// The weight of each of the first seventeen positions (3^i mod 31).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code whose check character is right.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

/// Why a code was refused, for the message shown beside the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditCodeError {
    /// Not eighteen characters.
    Length,
    /// A character outside the alphabet (I, O, Z, S, V or a symbol).
    Character,
    /// The last character does not match the first seventeen.
    Check,
}

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

impl CreditCode {
    /// Reads a code as people type it: spaces dropped, letters upper-cased,
    /// full-width characters taken as their ASCII forms.
    pub fn parse(raw: &str) -> Result<CreditCode, CreditCodeError> {
        let text: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
                    char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
                }
                _ => c,
            })
            .collect::<String>()
            .to_ascii_uppercase();
        if text.chars().count() != 18 {
            return Err(CreditCodeError::Length);
        }
        if !text.bytes().all(|b| value(b).is_some()) {
            return Err(CreditCodeError::Character);
        }
        let bytes = text.as_bytes();
        let expected = check_char(&text[..17]).ok_or(CreditCodeError::Character)?;
        if bytes[17] as char != expected {
            return Err(CreditCodeError::Check);
        }
        Ok(CreditCode(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit region of registration (characters 3–8), when it is
    /// six digits.
    pub fn region_digits(&self) -> Option<&str> {
        let r = &self.0[2..8];
        r.bytes().all(|b| b.is_ascii_digit()).then_some(r)
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The check character for the first seventeen characters, or `None` when
/// they are not seventeen characters of the alphabet.
pub fn check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (b, w) in bytes.iter().zip(WEIGHTS) {
        sum += value(*b)? * w;
    }
    let c = (31 - sum % 31) % 31;
    Some(ALPHABET[c as usize] as char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_codes_pass() {
        // Codes printed on public business licences.
        for code in [
            "91350100M000100Y43",
            "91110108551385082Q",
            "913100007109385971",
            "91440300708461136T",
        ] {
            assert_eq!(
                CreditCode::parse(code).map(|c| c.0),
                Ok(code.to_string()),
                "{code}"
            );
        }
    }

    #[test]
    fn typing_variants_are_read() {
        let c = CreditCode::parse(" 91110108 551385082q ").unwrap();
        assert_eq!(c.as_str(), "91110108551385082Q");
        assert_eq!(c.region_digits(), Some("110108"));
        let full_width = "９１１１０１０８５５１３８５０８２Ｑ";
        assert!(CreditCode::parse(full_width).is_ok());
    }

    #[test]
    fn damaged_codes_are_refused_with_the_reason() {
        assert_eq!(
            CreditCode::parse("91110108551385082"),
            Err(CreditCodeError::Length)
        );
        assert_eq!(
            CreditCode::parse("91110108551385082R"),
            Err(CreditCodeError::Check)
        );
        // Two digits swapped.
        assert_eq!(
            CreditCode::parse("91110108515385082Q"),
            Err(CreditCodeError::Check)
        );
        // I, O, Z, S and V are never used.
        assert_eq!(
            CreditCode::parse("91110108551385O82Q"),
            Err(CreditCodeError::Character)
        );
    }

    #[test]
    fn every_single_character_change_is_caught() {
        let good = "91110108551385082Q";
        for pos in 0..18 {
            for &c in ALPHABET {
                let mut b = good.as_bytes().to_vec();
                if b[pos] == c {
                    continue;
                }
                b[pos] = c;
                let s = String::from_utf8(b).unwrap();
                assert!(CreditCode::parse(&s).is_err(), "{s}");
            }
        }
    }
}
