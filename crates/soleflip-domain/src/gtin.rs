//! GTINs: the barcode numbers on a shoe box (EAN-8, UPC-A, EAN-13, GTIN-14), one per size of a
//! product, so a GTIN names product and size at once.
//!
//! A GTIN is an identifier, not a number: it is text of 8, 12, 13 or 14 digits whose leading
//! zeros matter (`0193655458309`), and it is never parsed into an integer. Its last digit is a
//! check digit (GS1 Mod-10): from the rightmost data digit leftwards the digits are weighted
//! 3, 1, 3, 1, ...; the check digit brings the weighted sum up to a multiple of ten. Any single
//! wrong digit, and most swaps of two neighbours, break it.
//!
//! Every form is stored left-padded with zeros to 14 digits ([`Gtin::as_str`]), so that a UPC-A
//! (`193655458309`) and the EAN-13 of the same box (`0193655458309`) join as one value.
//!
//! ```
//! use soleflip_domain::gtin::Gtin;
//!
//! let upc: Gtin = "193655458309".parse().unwrap();
//! let ean: Gtin = "0193655458309".parse().unwrap();
//! assert_eq!(upc, ean);
//! assert_eq!(upc.as_str(), "00193655458309");
//! assert!("0193655458308".parse::<Gtin>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Why a text is not a GTIN. The messages name the rule broken, not the field (the caller
/// knows which field it read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtinError {
    #[error("`{0}` is not a GTIN: only digits are allowed")]
    NotDigits(String),
    #[error("`{text}` is not a GTIN: {len} digits (a GTIN has 8, 12, 13 or 14)")]
    Length { text: String, len: usize },
    #[error("`{text}` is not a GTIN: check digit {found}, expected {expected}")]
    CheckDigit {
        text: String,
        found: u8,
        expected: u8,
    },
    #[error("`{0}` is not a GTIN: all zeros")]
    AllZeros(String),
}

/// A GTIN with a valid check digit, held as its 14-digit form (ASCII digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gtin([u8; 14]);

impl Gtin {
    /// Reads an EAN-8, UPC-A, EAN-13 or GTIN-14. Blanks around the text are ignored; anything
    /// else that is not a digit is refused (no silent clean-up of a mistyped code).
    pub fn parse(text: &str) -> Result<Gtin, GtinError> {
        let digits = text.trim();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GtinError::NotDigits(text.to_string()));
        }
        let len = digits.len();
        if ![8, 12, 13, 14].contains(&len) {
            return Err(GtinError::Length {
                text: text.to_string(),
                len,
            });
        }
        let mut padded = [b'0'; 14];
        padded[14 - len..].copy_from_slice(digits.as_bytes());
        if padded.iter().all(|&b| b == b'0') {
            return Err(GtinError::AllZeros(text.to_string()));
        }
        let expected = check_digit(&padded[..13]);
        let found = padded[13] - b'0';
        if found != expected {
            return Err(GtinError::CheckDigit {
                text: text.to_string(),
                found,
                expected,
            });
        }
        Ok(Gtin(padded))
    }

    /// The 14-digit form, leading zeros kept.
    pub fn as_str(&self) -> &str {
        // The array only ever holds ASCII digits (see `parse`).
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

/// The GS1 Mod-10 check digit of `data` (ASCII digits, the check digit excluded): weights 3 and
/// 1 alternate from the rightmost digit, which is weighted 3.
pub fn check_digit(data: &[u8]) -> u8 {
    let sum: u32 = data
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let d = u32::from(b.saturating_sub(b'0'));
            if i % 2 == 0 {
                3 * d
            } else {
                d
            }
        })
        .sum();
    // `sum % 10` is below 10, so the digit fits a u8.
    ((10 - sum % 10) % 10) as u8
}

impl FromStr for Gtin {
    type Err = GtinError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Gtin::parse(s)
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Gtin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    // EAN-13 from a real AWIN feed shape, a UPC-A and its EAN-13 (StockX lists both)
    #[case("4066746123454", "04066746123454")]
    #[case("193655458309", "00193655458309")]
    #[case("0193655458309", "00193655458309")]
    // EAN-8
    #[case("96385074", "00000096385074")]
    // GTIN-14 with an indicator digit
    #[case("10012345678902", "10012345678902")]
    // leading zeros are part of the code
    #[case("0000000000017", "00000000000017")]
    #[case(" 0193655458309 ", "00193655458309")]
    fn a_valid_gtin_is_kept_as_text_padded_to_fourteen_digits(
        #[case] text: &str,
        #[case] padded: &str,
    ) {
        let gtin = Gtin::parse(text).unwrap();
        assert_eq!(gtin.as_str(), padded);
        assert_eq!(gtin.to_string(), padded);
        assert_eq!(serde_json::to_value(gtin).unwrap(), padded);
    }

    #[rstest]
    #[case("4066746123453", "check digit 3, expected 4")]
    #[case("193655458308", "check digit 8, expected 9")]
    #[case("", "only digits")]
    #[case("40667461234-3", "only digits")]
    #[case("4.066746123453E12", "only digits")]
    #[case("1234567", "7 digits")]
    #[case("123456789012345", "15 digits")]
    #[case("00000000", "all zeros")]
    fn a_malformed_gtin_is_refused_with_the_rule_it_breaks(
        #[case] text: &str,
        #[case] reason: &str,
    ) {
        let e = Gtin::parse(text).unwrap_err().to_string();
        assert!(e.contains(reason), "{e}");
    }

    #[test]
    fn a_upc_and_the_ean_of_the_same_box_are_one_gtin() {
        assert_eq!(
            Gtin::parse("193655458309").unwrap(),
            Gtin::parse("0193655458309").unwrap()
        );
    }

    proptest! {
        #[test]
        fn any_single_wrong_digit_breaks_the_check(data in "[0-9]{12}", at in 0usize..13, delta in 1u8..10) {
            let check = check_digit(data.as_bytes());
            let mut code = format!("{data}{check}").into_bytes();
            prop_assume!(code.iter().any(|&b| b != b'0'));
            prop_assert!(Gtin::parse(std::str::from_utf8(&code).unwrap()).is_ok());
            code[at] = b'0' + (code[at] - b'0' + delta) % 10;
            prop_assert!(Gtin::parse(std::str::from_utf8(&code).unwrap()).is_err());
        }
    }
}
