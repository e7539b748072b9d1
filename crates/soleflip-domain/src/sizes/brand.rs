//! Brand families: brands that share one size chart.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A group of brands sized on one chart. Jordan is sized as Nike, Yeezy as adidas.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BrandFamily {
    /// Nike and Jordan.
    Nike,
    /// adidas and Yeezy (EU in thirds). Yeezy slides and Foam Runners run on another last and
    /// are not covered by the chart: check them per product.
    Adidas,
    /// New Balance.
    NewBalance,
    /// ASICS.
    Asics,
    /// Converse (Chuck Taylor unisex sizing).
    Converse,
    /// PUMA (EU/CM unverified).
    Puma,
    /// Vans (EU/CM unverified).
    Vans,
    /// Reebok (EU/CM unverified).
    Reebok,
}

/// A brand name no chart covers.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("no size chart for brand {0:?}")]
pub struct UnknownBrand(pub String);

impl BrandFamily {
    /// Every family, in chart-file order.
    pub const ALL: [Self; 8] = [
        Self::Nike,
        Self::Adidas,
        Self::NewBalance,
        Self::Asics,
        Self::Converse,
        Self::Puma,
        Self::Vans,
        Self::Reebok,
    ];

    /// The family's slug, which is also its chart file's name: `new-balance`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Nike => "nike",
            Self::Adidas => "adidas",
            Self::NewBalance => "new-balance",
            Self::Asics => "asics",
            Self::Converse => "converse",
            Self::Puma => "puma",
            Self::Vans => "vans",
            Self::Reebok => "reebok",
        }
    }

    /// The family of a brand slug or name, ignoring case and treating spaces, `-` and `_`
    /// alike: `nike`, `Jordan`, `yeezy`, `new-balance`, `New Balance`, `ASICS`.
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.as_bytes().trim_ascii();
        let mut buf = [0u8; 12];
        let key = buf.get_mut(..name.len())?;
        for (k, &b) in key.iter_mut().zip(name) {
            *k = match b {
                b'-' | b'_' => b' ',
                b => b.to_ascii_lowercase(),
            };
        }
        match &*key {
            b"nike" | b"jordan" | b"air jordan" => Some(Self::Nike),
            b"adidas" | b"yeezy" => Some(Self::Adidas),
            b"new balance" | b"newbalance" => Some(Self::NewBalance),
            b"asics" => Some(Self::Asics),
            b"converse" => Some(Self::Converse),
            b"puma" => Some(Self::Puma),
            b"vans" => Some(Self::Vans),
            b"reebok" => Some(Self::Reebok),
            _ => None,
        }
    }
}

impl FromStr for BrandFamily {
    type Err = UnknownBrand;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| UnknownBrand(s.to_owned()))
    }
}

impl fmt::Display for BrandFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seeded_brand_slug_and_name_resolves() {
        let seeded = [
            ("New Balance", "new-balance", BrandFamily::NewBalance),
            ("Adidas", "adidas", BrandFamily::Adidas),
            ("Asics", "asics", BrandFamily::Asics),
            ("Converse", "converse", BrandFamily::Converse),
            ("Jordan", "jordan", BrandFamily::Nike),
            ("Nike", "nike", BrandFamily::Nike),
            ("Puma", "puma", BrandFamily::Puma),
            ("Reebok", "reebok", BrandFamily::Reebok),
            ("Vans", "vans", BrandFamily::Vans),
            ("Yeezy", "yeezy", BrandFamily::Adidas),
        ];
        for (name, slug, family) in seeded {
            assert_eq!(BrandFamily::from_name(name), Some(family), "{name}");
            assert_eq!(slug.parse::<BrandFamily>(), Ok(family), "{slug}");
        }
        assert_eq!(
            BrandFamily::from_name(" NEW_BALANCE "),
            Some(BrandFamily::NewBalance)
        );
    }

    #[test]
    fn unknown_brands_are_refused() {
        assert!(BrandFamily::from_name("hoka").is_none());
        assert!(BrandFamily::from_name("").is_none());
        assert!("nikee".parse::<BrandFamily>().is_err());
    }

    #[test]
    fn every_slug_resolves_to_its_family() {
        for family in BrandFamily::ALL {
            assert_eq!(BrandFamily::from_name(family.slug()), Some(family));
        }
    }
}
