//! Brand families (brands that share one size chart), the brand aliases that name them, and
//! the brands and categories whose products have no size.
//!
//! Aliases are data: `data/sizes/brand_aliases.csv` (`alias,brand,note`, `brand` a family slug
//! or `no-size`) and `data/sizes/sizeless_categories.csv` (`category,note`), embedded at
//! compile time. A family's slug always names it; everything else goes through the files.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

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
    /// Crocs: unisex M/W (W = M + 2), kids C/J, EU printed as ranges (`36-37`).
    Crocs,
    /// HOKA (HOKA ONE ONE), EU in thirds.
    Hoka,
    /// Salomon, EU in thirds.
    Salomon,
    /// UGG.
    Ugg,
    /// Timberland.
    Timberland,
    /// Birkenstock: EU-native, narrow and regular widths.
    Birkenstock,
    /// On (On Running).
    On,
}

/// A brand name no chart covers.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("no size chart for brand {0:?}")]
pub struct UnknownBrand(pub String);

/// What a brand name stands for in sizing.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Brand {
    /// A brand sized on a family's chart.
    Sized(BrandFamily),
    /// A brand whose products have no size (LEGO, Medicom Toy, KAWS, ...).
    Sizeless,
}

impl Brand {
    /// The brand a name stands for: a family slug, or an alias from `brand_aliases.csv`
    /// (`Air Jordan`, `HOKA ONE ONE`, `LEGO`), ignoring case, surrounding spaces, and treating
    /// `-`, `_` and runs of spaces alike.
    pub fn from_name(name: &str) -> Option<Self> {
        let mut buf = [0u8; KEY_LEN];
        let key = normalize(name, &mut buf)?;
        if let Some(family) = BrandFamily::from_key(key) {
            return Some(Self::Sized(family));
        }
        let aliases = ALIASES.as_ref().ok()?;
        aliases
            .binary_search_by(|(alias, _)| alias.as_bytes().cmp(key))
            .ok()
            .and_then(|i| aliases.get(i))
            .map(|&(_, brand)| brand)
    }
}

/// Longest brand name or alias looked up, in bytes.
const KEY_LEN: usize = 32;

/// `name` lower-cased, trimmed, with `-`, `_` and runs of spaces as one space.
fn normalize<'b>(name: &str, buf: &'b mut [u8; KEY_LEN]) -> Option<&'b [u8]> {
    let mut n = 0;
    let mut space = false;
    for &b in name.as_bytes().trim_ascii() {
        let b = match b {
            b'-' | b'_' | b' ' | b'\t' => b' ',
            b => b.to_ascii_lowercase(),
        };
        if b == b' ' {
            if space {
                continue;
            }
            space = true;
        } else {
            space = false;
        }
        *buf.get_mut(n)? = b;
        n += 1;
    }
    buf.get(..n)
}

const ALIASES_FILE: &str = include_str!("../../../../data/sizes/brand_aliases.csv");
const ALIASES_HEADER: &str = "alias,brand,note";
const CATEGORIES_FILE: &str = include_str!("../../../../data/sizes/sizeless_categories.csv");
const CATEGORIES_HEADER: &str = "category,note";

/// Aliases sorted by their normalized text, for binary search.
static ALIASES: LazyLock<Result<Vec<(String, Brand)>, String>> =
    LazyLock::new(|| load_aliases(ALIASES_FILE));

static CATEGORIES: LazyLock<Result<Vec<String>, String>> =
    LazyLock::new(|| load_categories(CATEGORIES_FILE));

fn data_lines<'t>(
    file: &str,
    text: &'t str,
    header: &str,
) -> Result<Vec<(usize, Vec<&'t str>)>, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, first)) if first.trim_end_matches('\r') == header => {}
        _ => return Err(format!("{file} line 1: header must be {header:?}")),
    }
    Ok(lines
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i, l.split(',').map(str::trim).collect()))
        .collect())
}

fn load_aliases(text: &str) -> Result<Vec<(String, Brand)>, String> {
    let file = "brand_aliases.csv";
    let mut out: Vec<(String, Brand)> = Vec::new();
    for (line, fields) in data_lines(file, text, ALIASES_HEADER)? {
        let fail = |reason: &str| format!("{file} line {line}: {reason}");
        let [alias, brand, note] = fields[..] else {
            return Err(fail("expected 3 fields"));
        };
        if note.is_empty() {
            return Err(fail("every alias needs a note saying why"));
        }
        let mut buf = [0u8; KEY_LEN];
        let key = normalize(alias, &mut buf)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| fail("alias empty or longer than 32 bytes"))?;
        let key = String::from_utf8(key.to_vec()).map_err(|_| fail("alias is not UTF-8"))?;
        let target = match brand {
            "no-size" => Brand::Sizeless,
            slug => Brand::Sized(
                BrandFamily::ALL
                    .into_iter()
                    .find(|f| f.slug() == slug)
                    .ok_or_else(|| fail("brand must be a family slug or no-size"))?,
            ),
        };
        if BrandFamily::from_key(key.as_bytes()).is_some() {
            return Err(fail("alias repeats a family slug"));
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(fail("alias listed twice"));
        }
        out.push((key, target));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn load_categories(text: &str) -> Result<Vec<String>, String> {
    let file = "sizeless_categories.csv";
    let mut out = Vec::new();
    for (line, fields) in data_lines(file, text, CATEGORIES_HEADER)? {
        let fail = |reason: &str| format!("{file} line {line}: {reason}");
        let [category, note] = fields[..] else {
            return Err(fail("expected 2 fields"));
        };
        if note.is_empty() {
            return Err(fail("every category needs a note"));
        }
        let mut buf = [0u8; KEY_LEN];
        let key = normalize(category, &mut buf)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| fail("category empty or longer than 32 bytes"))?;
        out.push(String::from_utf8(key.to_vec()).map_err(|_| fail("not UTF-8"))?);
    }
    Ok(out)
}

/// Checks the embedded alias and category files (the tests call it; a broken file fails them).
pub fn check_brand_data() -> Result<(), String> {
    ALIASES.as_ref().map_err(Clone::clone)?;
    CATEGORIES.as_ref().map_err(Clone::clone)?;
    Ok(())
}

/// True when products of this category have no size (`books`, `collectibles`, `art toys`,
/// ...; the list is `data/sizes/sizeless_categories.csv`).
pub fn is_sizeless_category(category: &str) -> bool {
    let mut buf = [0u8; KEY_LEN];
    let Some(key) = normalize(category, &mut buf) else {
        return false;
    };
    CATEGORIES
        .as_ref()
        .is_ok_and(|c| c.iter().any(|k| k.as_bytes() == key))
}

impl BrandFamily {
    /// Every family, in chart-file order.
    pub const ALL: [Self; 15] = [
        Self::Nike,
        Self::Adidas,
        Self::NewBalance,
        Self::Asics,
        Self::Converse,
        Self::Puma,
        Self::Vans,
        Self::Reebok,
        Self::Crocs,
        Self::Hoka,
        Self::Salomon,
        Self::Ugg,
        Self::Timberland,
        Self::Birkenstock,
        Self::On,
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
            Self::Crocs => "crocs",
            Self::Hoka => "hoka",
            Self::Salomon => "salomon",
            Self::Ugg => "ugg",
            Self::Timberland => "timberland",
            Self::Birkenstock => "birkenstock",
            Self::On => "on",
        }
    }

    /// The family whose slug is this normalized key (`new balance` for `new-balance`).
    fn from_key(key: &[u8]) -> Option<Self> {
        match key {
            b"nike" => Some(Self::Nike),
            b"adidas" => Some(Self::Adidas),
            b"new balance" => Some(Self::NewBalance),
            b"asics" => Some(Self::Asics),
            b"converse" => Some(Self::Converse),
            b"puma" => Some(Self::Puma),
            b"vans" => Some(Self::Vans),
            b"reebok" => Some(Self::Reebok),
            b"crocs" => Some(Self::Crocs),
            b"hoka" => Some(Self::Hoka),
            b"salomon" => Some(Self::Salomon),
            b"ugg" => Some(Self::Ugg),
            b"timberland" => Some(Self::Timberland),
            b"birkenstock" => Some(Self::Birkenstock),
            b"on" => Some(Self::On),
            _ => None,
        }
    }

    /// The family of a brand slug, name or alias (see [`Brand::from_name`]): `nike`, `Jordan`,
    /// `Air Jordan`, `yeezy`, `New Balance`, `HOKA ONE ONE`. `None` for unknown brands and for
    /// brands without sizes.
    pub fn from_name(name: &str) -> Option<Self> {
        match Brand::from_name(name)? {
            Brand::Sized(family) => Some(family),
            Brand::Sizeless => None,
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
    fn the_embedded_alias_and_category_files_load() {
        assert_eq!(check_brand_data(), Ok(()));
    }

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

    #[rstest::rstest]
    #[case("Air Jordan", BrandFamily::Nike)]
    #[case("AIR  JORDAN", BrandFamily::Nike)]
    #[case("Jordan Brand", BrandFamily::Nike)]
    #[case("Yeezy", BrandFamily::Adidas)]
    #[case("HOKA ONE ONE", BrandFamily::Hoka)]
    #[case("hoka-one-one", BrandFamily::Hoka)]
    #[case("On Running", BrandFamily::On)]
    #[case("UGG Australia", BrandFamily::Ugg)]
    #[case("Crocs", BrandFamily::Crocs)]
    #[case("Birkenstock", BrandFamily::Birkenstock)]
    fn a_brand_alias_names_its_family(#[case] name: &str, #[case] family: BrandFamily) {
        assert_eq!(BrandFamily::from_name(name), Some(family));
        assert_eq!(Brand::from_name(name), Some(Brand::Sized(family)));
    }

    #[rstest::rstest]
    #[case("LEGO")]
    #[case("Medicom Toy")]
    #[case("KAWS")]
    #[case("Funko")]
    #[case("Pop Mart")]
    fn a_brand_without_sizes_is_sizeless_not_unknown(#[case] name: &str) {
        assert_eq!(Brand::from_name(name), Some(Brand::Sizeless));
        assert_eq!(BrandFamily::from_name(name), None);
    }

    #[test]
    fn sizeless_categories_come_from_the_data_file() {
        assert!(is_sizeless_category("Books"));
        assert!(is_sizeless_category("art toys"));
        assert!(is_sizeless_category("Collectibles"));
        assert!(!is_sizeless_category("sneakers"));
    }

    #[test]
    fn unknown_brands_are_refused() {
        assert!(BrandFamily::from_name("brooks").is_none());
        assert!(Brand::from_name("brooks").is_none());
        assert!(BrandFamily::from_name("").is_none());
        assert!("nikee".parse::<BrandFamily>().is_err());
    }

    #[test]
    fn every_slug_resolves_to_its_family() {
        for family in BrandFamily::ALL {
            assert_eq!(BrandFamily::from_name(family.slug()), Some(family));
        }
    }

    #[rstest::rstest]
    #[case::no_note("alias,brand,note\njordan,nike,\n")]
    #[case::unknown_target("alias,brand,note\njordan,nikey,x\n")]
    #[case::slug_repeated("alias,brand,note\nnike,nike,x\n")]
    #[case::twice("alias,brand,note\njordan,nike,x\nJordan,nike,x\n")]
    #[case::header("alias,family\njordan,nike\n")]
    fn a_malformed_alias_file_is_an_error(#[case] text: &str) {
        assert!(load_aliases(text).is_err());
    }
}
