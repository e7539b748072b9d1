//! How numbers, money and times are written for the reader: the number style follows the
//! browser's preferred language (`Accept-Language`), the time zone the `tz` cookie that the
//! page's script sets from the browser (UTC until then).

use axum::http::{header, HeaderMap};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::{Decimal, RoundingStrategy};

/// The reader's conventions.
#[derive(Debug, Clone)]
pub struct Locale {
    /// Decimal separator.
    pub decimal: char,
    /// Thousands separator.
    pub group: char,
    /// `12,50 €` (true) or `€12.50` (false).
    pub symbol_after: bool,
    /// Day-first dates (`26.11.2026`) rather than ISO (`2026-11-26`).
    pub day_first: bool,
    pub tz: Tz,
}

impl Default for Locale {
    fn default() -> Self {
        Self::for_language("en", Tz::UTC)
    }
}

/// The cookie holding the browser's IANA time zone.
pub const TZ_COOKIE: &str = "tz";

impl Locale {
    /// The conventions of a primary language subtag (`de`, `en`, ...).
    pub fn for_language(lang: &str, tz: Tz) -> Self {
        let (decimal, group, symbol_after, day_first) = match lang {
            "de" | "nl" | "it" | "es" | "pt" | "da" | "tr" | "id" => (',', '.', true, true),
            "fr" | "pl" | "cs" | "sk" | "sv" | "nb" | "no" | "fi" | "ru" | "uk" | "hu" => {
                (',', '\u{202f}', true, true)
            }
            _ => ('.', ',', false, false),
        };
        Self {
            decimal,
            group,
            symbol_after,
            day_first,
            tz,
        }
    }

    /// The reader's locale from the request: the most preferred language of
    /// `Accept-Language` and the `tz` cookie.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let lang = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(preferred_language)
            .unwrap_or_else(|| "en".to_owned());
        let tz = cookie(headers, TZ_COOKIE)
            .and_then(|v| v.replace("%2F", "/").parse::<Tz>().ok())
            .unwrap_or(Tz::UTC);
        Self::for_language(&lang, tz)
    }

    /// A whole number with thousands separators.
    pub fn int(&self, n: i64) -> String {
        let sign = if n < 0 { "\u{2212}" } else { "" };
        format!("{sign}{}", self.grouped(&n.unsigned_abs().to_string()))
    }

    /// A decimal with `places` decimals.
    pub fn number(&self, d: Decimal, places: u32) -> String {
        let r = d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
        let sign = if r.is_sign_negative() && !r.is_zero() {
            "\u{2212}"
        } else {
            ""
        };
        let text = format!("{:.*}", places as usize, r.abs());
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let mut out = format!("{sign}{}", self.grouped(int));
        if !frac.is_empty() {
            out.push(self.decimal);
            out.push_str(frac);
        }
        out
    }

    /// An amount of money in its currency.
    pub fn money(&self, amount: Decimal, currency: &str) -> String {
        let symbol = match currency {
            "EUR" => "€",
            "USD" => "$",
            "GBP" => "£",
            "CHF" => "CHF",
            other => other,
        };
        let number = self.number(amount, 2);
        if self.symbol_after {
            format!("{number}\u{a0}{symbol}")
        } else if let Some(positive) = number.strip_prefix('\u{2212}') {
            format!("\u{2212}{symbol}{positive}")
        } else {
            format!("{symbol}{number}")
        }
    }

    /// A size in bytes: kB below a megabyte, else MB with one decimal (powers of 1,000).
    pub fn bytes(&self, n: u64) -> String {
        let n = Decimal::from(n);
        if n < Decimal::from(1_000_000) {
            format!("{}\u{a0}kB", self.number(n / Decimal::from(1_000), 0))
        } else {
            format!("{}\u{a0}MB", self.number(n / Decimal::from(1_000_000), 1))
        }
    }

    /// A percentage with one decimal.
    pub fn pct(&self, d: Decimal) -> String {
        let n = self.number(d, 1);
        if self.symbol_after {
            format!("{n}\u{a0}%")
        } else {
            format!("{n}%")
        }
    }

    /// A UTC timestamp (`2026-11-26T00:45:01Z`) in the reader's zone; the text as it is when
    /// it does not read.
    pub fn time(&self, utc: &str) -> String {
        let Ok(t) = DateTime::parse_from_rfc3339(utc) else {
            return utc.to_owned();
        };
        let local = t.with_timezone(&Utc).with_timezone(&self.tz);
        if self.day_first {
            local.format("%d.%m.%Y %H:%M %Z").to_string()
        } else {
            local.format("%Y-%m-%d %H:%M %Z").to_string()
        }
    }

    fn grouped(&self, digits: &str) -> String {
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(self.group);
            }
            out.push(c);
        }
        out
    }
}

/// The primary subtag of the language with the highest `q` (the first among equals).
fn preferred_language(header: &str) -> String {
    let mut best: Option<(f32, String)> = None;
    for part in header.split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces.next().unwrap_or("").trim();
        if tag.is_empty() || tag == "*" {
            continue;
        }
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if best.as_ref().is_none_or(|(bq, _)| q > *bq) {
            let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
            best = Some((q, primary));
        }
    }
    best.map_or_else(|| "en".to_owned(), |(_, l)| l)
}

/// A cookie's value.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    fn with_language(value: &str) -> Locale {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            value
                .parse()
                .unwrap_or(axum::http::HeaderValue::from_static("")),
        );
        Locale::from_headers(&h)
    }

    #[test]
    fn a_german_reader_gets_euros_with_a_decimal_comma() {
        let de = with_language("de-DE,de;q=0.9,en;q=0.8");
        assert_eq!(de.money(d("1234.5"), "EUR"), "1.234,50\u{a0}€");
        assert_eq!(de.money(d("-7.125"), "EUR"), "\u{2212}7,13\u{a0}€");
        assert_eq!(de.pct(d("12.34")), "12,3\u{a0}%");
    }

    #[test]
    fn an_english_reader_gets_the_symbol_first_and_a_decimal_point() {
        let en = with_language("en-GB,en;q=0.9");
        assert_eq!(en.money(d("1234567.891"), "EUR"), "€1,234,567.89");
        assert_eq!(en.money(d("-3"), "GBP"), "\u{2212}£3.00");
        assert_eq!(en.int(12345), "12,345");
    }

    #[test]
    fn the_language_with_the_highest_weight_wins_and_no_header_means_english() {
        assert_eq!(preferred_language("en;q=0.5, de;q=0.9"), "de");
        assert_eq!(preferred_language("*"), "en");
        assert_eq!(Locale::from_headers(&HeaderMap::new()).decimal, '.');
    }

    #[test]
    fn times_are_shown_in_the_zone_of_the_tz_cookie() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            axum::http::HeaderValue::from_static("de"),
        );
        h.insert(
            header::COOKIE,
            axum::http::HeaderValue::from_static("a=b; tz=Europe%2FBerlin"),
        );
        let de = Locale::from_headers(&h);
        assert_eq!(de.time("2026-11-26T00:45:01Z"), "26.11.2026 01:45 CET");
        assert_eq!(
            Locale::default().time("2026-07-01T10:00:00Z"),
            "2026-07-01 10:00 UTC"
        );
    }
}
