//! The exact number inside a size label.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Largest whole part a size value may have (KR labels are millimetres, at most a few hundred).
const MAX_WHOLE: u32 = 9_999;

/// An exact, non-negative size value on the grid every size system uses: whole numbers plus
/// halves, thirds (adidas EU) or quarters (ASICS CM). Stored as twelfths, so `44 2/3` is exact
/// and there is no float anywhere.
///
/// Displays as `44`, `44.5`, `44 2/3` or `25.75`; [`FromStr`] reads those forms back, and serde
/// writes and reads the same string.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct SizeValue {
    twelfths: u32,
}

/// Why a number is not a [`SizeValue`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum SizeValueError {
    /// The fraction is not a multiple of 1/2, 1/3 or 1/4.
    #[error("a size is a whole number plus halves, thirds or quarters")]
    OffGrid,
    /// The number is larger than any size system uses.
    #[error("a size value is at most {MAX_WHOLE}")]
    TooLarge,
    /// The text is not one of the forms `44`, `44.5`, `44 2/3`, `25.75`.
    #[error("expected a size value such as 44, 44.5, 44 2/3 or 25.75")]
    Syntax,
}

impl SizeValue {
    /// A whole value, such as `44`.
    pub fn whole(n: u32) -> Result<Self, SizeValueError> {
        Self::new(n, 1)
    }

    /// The value `numer / denom`; it must lie on the grid of halves, thirds and quarters.
    pub fn new(numer: u32, denom: u32) -> Result<Self, SizeValueError> {
        if denom == 0 {
            return Err(SizeValueError::OffGrid);
        }
        let scaled = u64::from(numer) * 12;
        if scaled % u64::from(denom) != 0 {
            return Err(SizeValueError::OffGrid);
        }
        let twelfths = scaled / u64::from(denom);
        let twelfths = u32::try_from(twelfths).map_err(|_| SizeValueError::TooLarge)?;
        Self::from_twelfths(twelfths)
    }

    /// Builds a value from twelfths, checking the grid and the range.
    pub(crate) fn from_twelfths(twelfths: u32) -> Result<Self, SizeValueError> {
        if twelfths / 12 > MAX_WHOLE {
            return Err(SizeValueError::TooLarge);
        }
        if !twelfths.is_multiple_of(3) && !twelfths.is_multiple_of(4) {
            return Err(SizeValueError::OffGrid);
        }
        Ok(Self { twelfths })
    }

    pub(crate) const fn twelfths(self) -> u32 {
        self.twelfths
    }

    /// Numerator of the value as a reduced fraction.
    pub fn numer(self) -> u32 {
        self.twelfths / gcd(self.twelfths, 12)
    }

    /// Denominator of the value as a reduced fraction: 1, 2, 3 or 4.
    pub fn denom(self) -> u32 {
        12 / gcd(self.twelfths, 12)
    }

    /// True for whole and half values (the only steps US and UK labels use).
    pub fn is_half_step(self) -> bool {
        self.twelfths.is_multiple_of(6)
    }

    /// True for whole, half and third values (the steps EU labels use).
    pub fn is_eu_step(self) -> bool {
        self.twelfths.is_multiple_of(6) || self.twelfths.is_multiple_of(4)
    }

    /// True for whole values.
    pub fn is_whole(self) -> bool {
        self.twelfths.is_multiple_of(12)
    }

    /// The value rounded to tenths, halves up: 44 1/3 → 443, 44 2/3 → 447, 44.5 → 445.
    /// This is what a `numeric(4,1)` column holds.
    pub fn tenths(self) -> u32 {
        (self.twelfths * 10 + 6) / 12
    }

    /// [`Self::tenths`] as a decimal string with one digit after the point: `"44.7"`.
    pub fn decimal(self) -> String {
        let tenths = self.tenths();
        format!("{}.{}", tenths / 10, tenths % 10)
    }

    pub(crate) fn checked_add(self, other: Self) -> Option<Self> {
        Self::from_twelfths(self.twelfths.checked_add(other.twelfths)?).ok()
    }

    /// Ten times the value (CM → KR millimetres).
    pub(crate) fn times_ten(self) -> Option<Self> {
        Self::from_twelfths(self.twelfths.checked_mul(10)?).ok()
    }
}

const fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        let r = a % b;
        a = b;
        b = r;
    }
    a
}

impl fmt::Display for SizeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.twelfths / 12;
        match self.twelfths % 12 {
            0 => write!(f, "{whole}"),
            3 => write!(f, "{whole}.25"),
            6 => write!(f, "{whole}.5"),
            9 => write!(f, "{whole}.75"),
            rest => {
                let g = gcd(rest, 12);
                write!(f, "{whole} {}/{}", rest / g, 12 / g)
            }
        }
    }
}

impl FromStr for SizeValue {
    type Err = SizeValueError;

    /// Reads the [`Display`](fmt::Display) forms: `44`, `44.5`, `25.25`, `25.75`, `44 1/3`,
    /// `44 2/3`, `44 1/2`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (whole, rest) = match s.split_once(' ') {
            Some((w, frac)) => (w, Some(frac)),
            None => (s, None),
        };
        let (whole, decimals) = match whole.split_once('.') {
            Some((w, d)) => (w, Some(d)),
            None => (whole, None),
        };
        let whole = parse_digits(whole)?;
        let frac_twelfths = match (decimals, rest) {
            (None, None) => 0,
            (Some("5"), None) => 6,
            (Some("25"), None) => 3,
            (Some("75"), None) => 9,
            (None, Some(frac)) => {
                let (n, d) = frac.split_once('/').ok_or(SizeValueError::Syntax)?;
                let (n, d) = (parse_digits(n)?, parse_digits(d)?);
                if n == 0 || n >= d || 12 % d != 0 {
                    return Err(SizeValueError::Syntax);
                }
                n * 12 / d
            }
            _ => return Err(SizeValueError::Syntax),
        };
        let twelfths = whole
            .checked_mul(12)
            .and_then(|t| t.checked_add(frac_twelfths))
            .ok_or(SizeValueError::TooLarge)?;
        Self::from_twelfths(twelfths)
    }
}

fn parse_digits(s: &str) -> Result<u32, SizeValueError> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SizeValueError::Syntax);
    }
    s.parse().map_err(|_| SizeValueError::Syntax)
}

impl Serialize for SizeValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SizeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirds_are_exact_and_display_as_fractions() {
        let v = SizeValue::new(134, 3).unwrap();
        assert_eq!(v.to_string(), "44 2/3");
        assert_eq!((v.numer(), v.denom()), (134, 3));
        assert_eq!("44 2/3".parse::<SizeValue>().unwrap(), v);
    }

    #[test]
    fn thirds_round_to_point_three_and_point_seven() {
        assert_eq!(SizeValue::new(133, 3).unwrap().decimal(), "44.3");
        assert_eq!(SizeValue::new(134, 3).unwrap().decimal(), "44.7");
        assert_eq!(SizeValue::new(89, 2).unwrap().decimal(), "44.5");
        assert_eq!(SizeValue::whole(44).unwrap().tenths(), 440);
    }

    #[test]
    fn values_off_the_grid_are_refused() {
        assert_eq!(SizeValue::new(1, 6), Err(SizeValueError::OffGrid));
        assert_eq!(SizeValue::new(1, 0), Err(SizeValueError::OffGrid));
        assert_eq!(
            SizeValue::whole(u32::MAX / 12),
            Err(SizeValueError::TooLarge)
        );
        assert!("44.1".parse::<SizeValue>().is_err());
        assert!("".parse::<SizeValue>().is_err());
    }

    #[test]
    fn every_display_form_reads_back() {
        for twelfths in (0u32..1200).filter(|t| t.is_multiple_of(3) || t.is_multiple_of(4)) {
            let v = SizeValue::from_twelfths(twelfths).unwrap();
            assert_eq!(v.to_string().parse::<SizeValue>(), Ok(v), "{v}");
        }
    }
}
