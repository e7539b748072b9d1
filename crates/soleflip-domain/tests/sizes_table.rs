//! Table-driven tests of size parsing, conversion and standardization through the public API.

use rstest::rstest;
use soleflip_domain::sizes::{
    self, BrandFamily, Cohort, Context, Conversion, ConvertError, Letter, Measure, ShoeSpan,
    ShoeSystem, Size, SizeError, SizeValue, Source, System, Target,
};

const NONE: Context = Context::NONE;
const STOCKX: Context = Context {
    brand: None,
    cohort: None,
    source: Some(Source::StockX),
    sizeless: false,
};
const FEED: Context = Context {
    brand: None,
    cohort: None,
    source: Some(Source::EuRetailer),
    sizeless: false,
};

#[expect(
    clippy::unwrap_used,
    reason = "a fixture that does not parse is a broken test"
)]
fn v(text: &str) -> SizeValue {
    text.parse().unwrap()
}

#[expect(
    clippy::unwrap_used,
    reason = "a fixture that does not parse is a broken test"
)]
fn shoe(system: ShoeSystem, cohort: Cohort, value: &str) -> Size {
    Size::shoe(system, cohort, v(value)).unwrap()
}

fn parsed(input: &str, ctx: Context) -> Size {
    sizes::parse(input, &ctx).unwrap_or_else(|e| panic!("{input:?}: {e}"))
}

#[rstest]
#[case::bare_stockx("10", STOCKX, System::Us, Cohort::Men, "US M 10")]
#[case::half_stockx("10.5", STOCKX, System::Us, Cohort::Men, "US M 10.5")]
#[case::us("US 10", NONE, System::Us, Cohort::Unisex, "US 10")]
#[case::us_m("US M 10", NONE, System::Us, Cohort::Men, "US M 10")]
#[case::suffix_m("10.5M", NONE, System::Us, Cohort::Men, "US M 10.5")]
#[case::prefix_m("M 10", NONE, System::Us, Cohort::Men, "US M 10")]
#[case::suffix_w("8.5W", NONE, System::Us, Cohort::Women, "US W 8.5")]
#[case::us_w("US W 8", NONE, System::Us, Cohort::Women, "US W 8")]
#[case::prefix_w("W 8", NONE, System::Us, Cohort::Women, "US W 8")]
#[case::youth("4Y", NONE, System::Us, Cohort::GradeSchool, "4Y")]
#[case::youth_half("6.5Y", NONE, System::Us, Cohort::GradeSchool, "6.5Y")]
#[case::child_toddler("10C", NONE, System::Us, Cohort::Toddler, "10C")]
#[case::child_preschool("10.5C", NONE, System::Us, Cohort::PreSchool, "10.5C")]
#[case::junior("3J", NONE, System::Us, Cohort::PreSchool, "3Y")]
#[case::uk("UK 9", NONE, System::Uk, Cohort::Unisex, "UK 9")]
#[case::uk_after("9 UK", NONE, System::Uk, Cohort::Unisex, "UK 9")]
#[case::eu("EU 44", NONE, System::Eu, Cohort::Unisex, "EU 44")]
#[case::bare_eu("44", NONE, System::Eu, Cohort::Unisex, "EU 44")]
#[case::bare_eu_stockx("43", STOCKX, System::Eu, Cohort::Unisex, "EU 43")]
#[case::third_spaced("44 2/3", NONE, System::Eu, Cohort::Unisex, "EU 44 2/3")]
#[case::third_glyph("44⅔", NONE, System::Eu, Cohort::Unisex, "EU 44 2/3")]
#[case::third_glyph_spaced("EU 44 ⅔", NONE, System::Eu, Cohort::Unisex, "EU 44 2/3")]
#[case::third_decimal("44.67", NONE, System::Eu, Cohort::Unisex, "EU 44 2/3")]
#[case::third_tenths("44.3", NONE, System::Eu, Cohort::Unisex, "EU 44 1/3")]
#[case::decimal_comma("42,5", NONE, System::Eu, Cohort::Unisex, "EU 42.5")]
#[case::german("Gr. 42", NONE, System::Eu, Cohort::Unisex, "EU 42")]
#[case::german_kids("Gr. 22", NONE, System::Eu, Cohort::Unisex, "EU 22")]
#[case::feed_kids("19.5", FEED, System::Eu, Cohort::Unisex, "EU 19.5")]
#[case::cm("CM 28", NONE, System::Cm, Cohort::Unisex, "CM 28")]
#[case::cm_after("28.5 cm", NONE, System::Cm, Cohort::Unisex, "CM 28.5")]
#[case::kr("KR 280", NONE, System::Kr, Cohort::Unisex, "KR 280")]
#[case::jp("JP 27", NONE, System::Jp, Cohort::Unisex, "JP 27")]
#[case::dual("12W / 10.5M", NONE, System::Us, Cohort::Unisex, "12W / 10.5M")]
#[case::dual_reversed("M 10.5 / W 12", NONE, System::Us, Cohort::Unisex, "12W / 10.5M")]
#[case::socks("S / Men's 9-10", NONE, System::Letter, Cohort::Men, "S / US M 9-10")]
#[case::letter("M", NONE, System::Letter, Cohort::Unisex, "M")]
#[case::letters("S/M", NONE, System::Letter, Cohort::Unisex, "S/M")]
#[case::letters_large("L/XL", NONE, System::Letter, Cohort::Unisex, "L/XL")]
#[case::letter_2xl("2XL", NONE, System::Letter, Cohort::Unisex, "XXL")]
#[case::waist_length("34W/32L", NONE, System::WaistLength, Cohort::Unisex, "W34 L32")]
#[case::waist_length_prefix("W33 L32", NONE, System::WaistLength, Cohort::Unisex, "W33 L32")]
#[case::waist_only("W33", NONE, System::WaistLength, Cohort::Unisex, "W33")]
#[case::eu_span("42/44", NONE, System::Eu, Cohort::Unisex, "EU 42-44")]
#[case::eu_span_feed("– Gr. 42/43", NONE, System::Eu, Cohort::Unisex, "EU 42-43")]
#[case::asics_half("9H", STOCKX, System::Us, Cohort::Men, "US M 9.5")]
#[case::one_size("One Size", NONE, System::OneSize, Cohort::Unisex, "One Size")]
#[case::one_size_short("O/S", NONE, System::OneSize, Cohort::Unisex, "One Size")]
#[case::stockx_bracket("UK 6 (EU 39)", NONE, System::Eu, Cohort::Unisex, "EU 39")]
#[case::stockx_cm_bracket("CM 24 (US M 5.5)", NONE, System::Us, Cohort::Men, "US M 5.5")]
#[case::women_bracket("8 (W)", NONE, System::Us, Cohort::Women, "US W 8")]
#[case::spaces_and_case("  us  m   10 ", NONE, System::Us, Cohort::Men, "US M 10")]
#[case::no_break_space("EU\u{a0}44", NONE, System::Eu, Cohort::Unisex, "EU 44")]
#[case::mens_word("Men's 10", NONE, System::Us, Cohort::Men, "US M 10")]
fn a_size_string_parses_to_its_structure(
    #[case] input: &str,
    #[case] ctx: Context,
    #[case] system: System,
    #[case] cohort: Cohort,
    #[case] display: &str,
) {
    let size = parsed(input, ctx);
    assert_eq!(
        (size.system(), size.cohort(), size.to_string().as_str()),
        (system, cohort, display),
        "{input:?}"
    );
    assert_eq!(
        parsed(display, NONE),
        size,
        "display {display:?} reads back"
    );
}

#[rstest]
#[case::bare_number("10", NONE, &["US 10", "UK 10"])]
#[case::bare_half("10.5", NONE, &["US 10.5", "UK 10.5"])]
#[case::bare_kids_range("16", NONE, &["US 16", "UK 16", "EU 16"])]
#[case::bare_cm_or_eu("25", NONE, &["EU 25", "CM 25"])]
#[case::asics_half_without_source("9H", NONE, &["US 9.5", "UK 9.5"])]
#[case::women_hint("8", Context::NONE.with_cohort(Cohort::Women), &["US W 8", "Women's UK 8"])]
#[case::feed_small_number("9", FEED, &["US 9", "UK 9"])]
fn an_unlabelled_number_without_a_deciding_context_is_ambiguous(
    #[case] input: &str,
    #[case] ctx: Context,
    #[case] expected: &[&str],
) {
    match sizes::parse(input, &ctx) {
        Err(SizeError::Ambiguous { candidates, .. }) => {
            let got: Vec<String> = candidates.iter().map(ToString::to_string).collect();
            assert_eq!(got, expected, "{input:?}");
        }
        other => panic!("{input:?}: expected ambiguous, got {other:?}"),
    }
}

#[rstest]
#[case::empty("")]
#[case::blank("   ")]
#[case::not_applicable("N/A")]
#[case::dash("-")]
fn no_size_is_missing_not_unparsable(#[case] input: &str) {
    assert!(
        matches!(sizes::parse(input, &NONE), Err(SizeError::Missing { .. })),
        "{input:?}"
    );
}

#[rstest]
#[case::word("abc")]
#[case::float_noise("44.1")]
#[case::us_third("US 10.33")]
#[case::us_tenth_third("US 10.3")]
#[case::too_big("EU 99")]
#[case::kid_too_big("14C")]
#[case::youth_too_big("8Y")]
#[case::conflict("US 9 UK")]
#[case::conflicting_cohorts("W 8 M")]
#[case::kids_uk("UK 4Y")]
#[case::three_parts("S/M/L")]
#[case::backwards_letters("XL/S")]
#[case::backwards_span("44/42")]
#[case::half_of_a_half("9.5H")]
#[case::huge_number("123456789")]
#[case::emoji("👟 10")]
#[case::unbalanced("UK 6 (EU 39")]
#[case::stock_status("W33 L32:in_stock")]
#[case::length_only("L32")]
#[case::women_and_women("12W / 10.5W")]
#[case::women_below_men("10W / 10.5M")]
#[case::lone_fraction("⅔")]
#[case::one_alone("One")]
fn text_that_is_not_a_size_is_unparsable(#[case] input: &str) {
    assert!(
        matches!(
            sizes::parse(input, &NONE),
            Err(SizeError::Unparsable { .. })
        ),
        "{input:?}: {:?}",
        sizes::parse(input, &NONE)
    );
}

#[test]
fn a_cohort_hint_applies_only_where_the_label_has_none() {
    let women = NONE.with_cohort(Cohort::Women).with_source(Source::StockX);
    assert_eq!(parsed("8.5", women).to_string(), "US W 8.5");
    assert_eq!(parsed("UK 6", women).to_string(), "Women's UK 6");
    assert_eq!(parsed("10.5M", women).to_string(), "US M 10.5");
    assert_eq!(parsed("5Y", women).to_string(), "5Y");
    let gs = STOCKX.with_cohort(Cohort::GradeSchool);
    assert_eq!(parsed("5", gs).to_string(), "5Y");
    assert!(matches!(
        sizes::parse("10", &gs),
        Err(SizeError::Unparsable { .. })
    ));
}

#[test]
fn the_parsed_structure_holds_exact_values() {
    assert_eq!(
        parsed("44.67", NONE).measure(),
        Measure::Shoe {
            system: ShoeSystem::Eu,
            value: SizeValue::new(134, 3).unwrap()
        }
    );
    assert_eq!(
        parsed("S / Men's 9-10", NONE).measure(),
        Measure::Letter {
            low: Letter::S,
            high: Letter::S,
            fits: Some(ShoeSpan {
                system: ShoeSystem::Us,
                low: v("9"),
                high: v("10"),
            }),
        }
    );
    assert_eq!(
        parsed("12W / 10.5M", NONE).measure(),
        Measure::UsDual {
            women: v("12"),
            men: v("10.5"),
        }
    );
    assert_eq!(
        parsed("34W/32L", NONE).measure(),
        Measure::WaistLength {
            waist: 34,
            length: Some(32),
        }
    );
}

/// One conversion as a short string: `US M 10`, `US M 6.5 | US M 7` (ambiguous), `-`.
fn show(c: &Conversion) -> String {
    match c {
        Conversion::Exact { size, .. } => size.to_string(),
        Conversion::Ambiguous { candidates } => candidates
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" | "),
        Conversion::Unavailable { .. } => "-".into(),
    }
}

#[rstest]
// DOMAIN.md §3.7: the same label on different feet.
#[case::nike_uk9("UK 9", NONE, BrandFamily::Nike, ["US M 10", "US W 11.5", "UK 9", "EU 44", "CM 28"], "44.0")]
#[case::adidas_uk9("UK 9", NONE, BrandFamily::Adidas, ["US M 9.5", "US W 10.5", "UK 9", "EU 43 1/3", "CM 27.5"], "43.3")]
#[case::nb_uk9("UK 9", NONE, BrandFamily::NewBalance, ["US M 9.5", "US W 11", "UK 9", "EU 43", "CM 27.5"], "43.0")]
#[case::asics_uk9("UK 9", NONE, BrandFamily::Asics, ["US M 10", "-", "UK 9", "EU 44", "CM 28"], "44.0")]
#[case::converse_uk9("UK 9", NONE, BrandFamily::Converse, ["US M 9", "US W 11", "UK 9", "EU 42.5", "CM 28"], "42.5")]
#[case::puma_uk9("UK 9", NONE, BrandFamily::Puma, ["US M 10", "US W 11.5", "UK 9", "EU 43", "CM 28"], "43.0")]
#[case::vans_uk9("UK 9", NONE, BrandFamily::Vans, ["US M 10", "US W 11.5", "UK 9", "EU 43", "CM 28"], "43.0")]
#[case::reebok_uk9("UK 9", NONE, BrandFamily::Reebok, ["US M 10", "-", "UK 9", "EU 43", "CM 28"], "43.0")]
#[case::nike_eu44("EU 44", NONE, BrandFamily::Nike, ["US M 10", "US W 11.5", "UK 9", "EU 44", "CM 28"], "44.0")]
#[case::adidas_eu44("44", NONE, BrandFamily::Adidas, ["US M 10", "US W 11", "UK 9.5", "EU 44", "CM 28"], "44.0")]
#[case::nb_eu44("EU 44", NONE, BrandFamily::NewBalance, ["US M 10", "US W 11.5", "UK 9.5", "EU 44", "CM 28"], "44.0")]
#[case::asics_eu44("EU 44", NONE, BrandFamily::Asics, ["US M 10", "-", "UK 9", "EU 44", "CM 28"], "44.0")]
#[case::converse_eu44("EU 44", NONE, BrandFamily::Converse, ["US M 10", "US W 12", "UK 10", "EU 44", "CM 29"], "44.0")]
#[case::puma_eu44("EU 44", NONE, BrandFamily::Puma, ["US M 10.5", "US W 12", "UK 9.5", "EU 44", "CM 28.5"], "44.0")]
#[case::nike_us10("US M 10", NONE, BrandFamily::Nike, ["US M 10", "US W 11.5", "UK 9", "EU 44", "CM 28"], "44.0")]
#[case::adidas_us10("US 10", NONE, BrandFamily::Adidas, ["US M 10", "US W 11", "UK 9.5", "EU 44", "CM 28"], "44.0")]
#[case::nb_us10("10", STOCKX, BrandFamily::NewBalance, ["US M 10", "US W 11.5", "UK 9.5", "EU 44", "CM 28"], "44.0")]
#[case::asics_us10("10M", NONE, BrandFamily::Asics, ["US M 10", "-", "UK 9", "EU 44", "CM 28"], "44.0")]
#[case::converse_us10("M 10", NONE, BrandFamily::Converse, ["US M 10", "US W 12", "UK 10", "EU 44", "CM 29"], "44.0")]
#[case::puma_us10("US M 10", NONE, BrandFamily::Puma, ["US M 10", "US W 11.5", "UK 9", "EU 43", "CM 28"], "43.0")]
// Nike traps: one label, two sizes.
#[case::nike_uk6("UK 6", NONE, BrandFamily::Nike, ["US M 6.5 | US M 7", "US W 8 | US W 8.5", "UK 6", "EU 39 | EU 40", "CM 24.5 | CM 25"], "ambiguous")]
#[case::nike_cm24("CM 24", NONE, BrandFamily::Nike, ["US M 5.5 | US M 6", "US W 7 | US W 7.5", "UK 5 | UK 5.5", "EU 38 | EU 38.5", "CM 24"], "ambiguous")]
#[case::nike_uk6_with_eu("UK 6 (EU 40)", NONE.with_brand(BrandFamily::Nike), BrandFamily::Nike, ["US M 7", "US W 8.5", "UK 6", "EU 40", "CM 25"], "40.0")]
// adidas thirds.
#[case::adidas_us105("10.5", STOCKX, BrandFamily::Adidas, ["US M 10.5", "US W 11.5", "UK 10", "EU 44 2/3", "CM 28.5"], "44.7")]
#[case::adidas_third("44 2/3", NONE, BrandFamily::Adidas, ["US M 10.5", "US W 11.5", "UK 10", "EU 44 2/3", "CM 28.5"], "44.7")]
#[case::adidas_glyph("44⅔", NONE, BrandFamily::Adidas, ["US M 10.5", "US W 11.5", "UK 10", "EU 44 2/3", "CM 28.5"], "44.7")]
#[case::adidas_decimal("44.67", FEED, BrandFamily::Adidas, ["US M 10.5", "US W 11.5", "UK 10", "EU 44 2/3", "CM 28.5"], "44.7")]
#[case::adidas_women("US W 5", NONE, BrandFamily::Adidas, ["US M 4", "US W 5", "UK 3.5", "EU 36", "CM 22"], "36.0")]
#[case::yeezy_feed_uk("8 UK", FEED, BrandFamily::Adidas, ["US M 8.5", "US W 9.5", "UK 8", "EU 42", "CM 26.5"], "42.0")]
// Women's.
#[case::nike_women("8.5W", NONE, BrandFamily::Nike, ["US M 7", "US W 8.5", "UK 6", "EU 40", "CM 25"], "40.0")]
#[case::nike_women_prefix("W 8", NONE, BrandFamily::Nike, ["US M 6.5", "US W 8", "UK 6", "EU 39", "CM 24.5"], "39.0")]
#[case::nb_women("US W 8", NONE, BrandFamily::NewBalance, ["US M 6.5", "US W 8", "UK 6", "EU 39.5", "CM 24.5"], "39.5")]
#[case::converse_women("US W 8", NONE, BrandFamily::Converse, ["US M 6", "US W 8", "UK 6", "EU 39", "CM 25"], "39.0")]
#[case::puma_women("US W 11", NONE, BrandFamily::Puma, ["US M 9.5", "US W 11", "UK 8.5", "EU 42.5", "CM 27.5"], "42.5")]
#[case::asics_women("US W 8", NONE, BrandFamily::Asics, ["-", "-", "-", "-", "-"], "no scale")]
#[case::reebok_women("US W 8", NONE, BrandFamily::Reebok, ["-", "-", "-", "-", "-"], "no scale")]
// Kids.
#[case::nike_gs("7Y", NONE, BrandFamily::Nike, ["US M 7", "US W 8.5", "GS UK 6", "GS EU 40", "GS CM 25"], "40.0")]
#[case::nike_gs_small("4Y", NONE, BrandFamily::Nike, ["US M 4", "US W 5.5", "GS UK 3.5", "GS EU 36", "GS CM 23"], "36.0")]
#[case::nike_gs_half("6.5Y", NONE, BrandFamily::Nike, ["US M 6.5", "US W 8", "GS UK 6", "GS EU 39", "GS CM 24.5"], "39.0")]
#[case::adidas_gs("6.5Y", NONE, BrandFamily::Adidas, ["US M 6.5", "US W 7.5", "GS UK 6", "GS EU 39 1/3", "-"], "39.3")]
#[case::nike_toddler("10C", NONE, BrandFamily::Nike, ["-", "-", "TD UK 9.5", "TD EU 27", "-"], "27.0")]
#[case::nike_preschool("3J", NONE, BrandFamily::Nike, ["-", "-", "PS UK 2.5", "PS EU 35", "-"], "35.0")]
#[case::adidas_toddler("5C", NONE, BrandFamily::Adidas, ["-", "-", "-", "-", "-"], "no scale")]
#[case::asics_preschool("2Y", NONE, BrandFamily::Asics, ["-", "-", "-", "-", "-"], "no scale")]
// Half sizes on the thin charts.
#[case::reebok_half("6.5", STOCKX, BrandFamily::Reebok, ["US M 6.5", "-", "UK 5.5", "EU 38.5", "CM 24.5"], "38.5")]
#[case::vans_half("8.5", STOCKX, BrandFamily::Vans, ["US M 8.5", "US W 10", "UK 7.5", "EU 41", "CM 26.5"], "41.0")]
#[case::puma_half("11.5", STOCKX, BrandFamily::Puma, ["US M 11.5", "US W 13", "UK 10.5", "EU 45", "CM 29.5"], "45.0")]
// Crocs: unisex M/W, EU printed as a range, standardized at its midpoint.
#[case::crocs_dual("M 9 / W 11", NONE, BrandFamily::Crocs, ["US M 9", "US W 11", "-", "EU 42.5", "-"], "42.5")]
#[case::crocs_box("M4W6", NONE, BrandFamily::Crocs, ["US M 4", "US W 6", "-", "EU 36.5", "-"], "36.5")]
#[case::crocs_bare("9", STOCKX, BrandFamily::Crocs, ["US M 9", "US W 11", "-", "EU 42.5", "-"], "42.5")]
#[case::crocs_range("EU 42-43", NONE, BrandFamily::Crocs, ["-", "-", "-", "-", "-"], "42.5")]
#[case::crocs_range_feed("42/43", FEED, BrandFamily::Crocs, ["-", "-", "-", "-", "-"], "42.5")]
#[case::crocs_eu_inside("EU 36", NONE, BrandFamily::Crocs, ["US M 4", "US W 6", "-", "EU 36.5", "-"], "36.5")]
#[case::crocs_eu_shared("EU 37", NONE, BrandFamily::Crocs, ["US M 4 | US M 5", "US W 6 | US W 7", "-", "EU 36.5 | EU 37.5", "-"], "ambiguous")]
#[case::crocs_kids_c("C10", NONE, BrandFamily::Crocs, ["-", "-", "-", "TD EU 27.5", "-"], "27.5")]
#[case::crocs_kids_j("J2", NONE, BrandFamily::Crocs, ["-", "-", "-", "PS EU 33.5", "-"], "33.5")]
#[case::crocs_kids_j4("4J", NONE, BrandFamily::Crocs, ["US M 4", "US W 6", "-", "GS EU 36.5", "-"], "36.5")]
// HOKA and Salomon in thirds, UGG, Timberland, On.
#[case::hoka_us9("9", STOCKX, BrandFamily::Hoka, ["US M 9", "US W 10", "UK 8.5", "EU 42 2/3", "CM 27"], "42.7")]
#[case::hoka_eu("EU 42 2/3", NONE, BrandFamily::Hoka, ["US M 9", "US W 10", "UK 8.5", "EU 42 2/3", "CM 27"], "42.7")]
#[case::salomon_us9("US M 9", NONE, BrandFamily::Salomon, ["US M 9", "-", "-", "EU 43 1/3", "CM 27"], "43.3")]
#[case::ugg_women("8W", NONE, BrandFamily::Ugg, ["US M 6", "US W 8", "-", "EU 39", "-"], "39.0")]
#[case::timberland_us9("9", STOCKX, BrandFamily::Timberland, ["US M 9", "-", "UK 8.5", "EU 43", "-"], "43.0")]
#[case::on_us10("10", STOCKX, BrandFamily::On, ["US M 10", "US W 11.5", "UK 9", "EU 44", "CM 28"], "44.0")]
// Birkenstock: EU-native, width kept in the parsed form, not in the EU length.
#[case::birkenstock_eu("42", STOCKX, BrandFamily::Birkenstock, ["US M 9", "US W 11", "-", "EU 42", "CM 27"], "42.0")]
#[case::birkenstock_narrow("EU 42 Narrow", NONE, BrandFamily::Birkenstock, ["US M 9", "US W 11", "-", "EU 42 Narrow", "CM 27"], "42.0")]
#[case::birkenstock_us("US M 9", NONE, BrandFamily::Birkenstock, ["US M 9", "US W 11", "-", "EU 42", "CM 27"], "42.0")]
// Dual labels, other systems.
#[case::nike_dual("12W / 10.5M", NONE, BrandFamily::Nike, ["US M 10.5", "US W 12", "UK 9.5", "EU 44.5", "CM 28.5"], "44.5")]
#[case::asics_dual("12W / 10.5M", NONE, BrandFamily::Asics, ["US M 10.5", "-", "UK 9.5", "EU 44.5", "CM 28.25"], "44.5")]
#[case::adidas_dual("12W / 10.5M", NONE, BrandFamily::Adidas, ["-", "-", "-", "-", "-"], "inconsistent")]
#[case::nike_kr("KR 280", NONE, BrandFamily::Nike, ["US M 10", "US W 11.5", "UK 9", "EU 44", "CM 28"], "44.0")]
#[case::nike_jp("JP 27", NONE, BrandFamily::Nike, ["US M 9", "US W 10.5", "UK 8", "EU 42.5", "CM 27"], "42.5")]
#[case::asics_half("9H", STOCKX, BrandFamily::Asics, ["US M 9.5", "-", "UK 8.5", "EU 43.5", "CM 27.5"], "43.5")]
#[case::asics_quarter("CM 25.75", NONE, BrandFamily::Asics, ["US M 7.5", "-", "UK 6.5", "EU 40.5", "CM 25.75"], "40.5")]
#[case::german_feed("Gr. 42", NONE, BrandFamily::Nike, ["US M 8.5", "US W 10", "UK 7.5", "EU 42", "CM 26.5"], "42.0")]
#[case::comma_feed("42,5", FEED, BrandFamily::NewBalance, ["US M 9", "US W 10.5", "UK 8.5", "EU 42.5", "CM 27"], "42.5")]
// EU off the chart: no equivalents, but an EU label is its own standardized value.
#[case::nike_third("EU 44 2/3", NONE, BrandFamily::Nike, ["-", "-", "-", "-", "-"], "44.7")]
// Not single shoe sizes.
#[case::socks_span("42/44", NONE, BrandFamily::Nike, ["-", "-", "-", "-", "-"], "not a shoe size")]
#[case::letter("L/XL", NONE, BrandFamily::Nike, ["-", "-", "-", "-", "-"], "not a shoe size")]
#[case::one_size("One Size", NONE, BrandFamily::Nike, ["-", "-", "-", "-", "-"], "not a shoe size")]
fn a_size_converts_per_brand(
    #[case] input: &str,
    #[case] ctx: Context,
    #[case] brand: BrandFamily,
    #[case] expected: [&str; 5],
    #[case] standardized: &str,
) {
    let size = parsed(input, ctx);
    let eq = size.equivalents(brand);
    let got = [&eq.us_m, &eq.us_w, &eq.uk, &eq.eu, &eq.cm].map(show);
    assert_eq!(got, expected, "{input:?} at {brand}");
    let std = size.standardize(Some(brand));
    let got = match &std {
        Ok(s) => s.decimal(),
        Err(ConvertError::Ambiguous { .. }) => "ambiguous".into(),
        Err(ConvertError::NoCohortRule { .. }) => "no scale".into(),
        Err(ConvertError::Inconsistent { .. }) => "inconsistent".into(),
        Err(ConvertError::NotAShoeSize { .. }) => "not a shoe size".into(),
        Err(e) => e.to_string(),
    };
    assert_eq!(got, standardized, "{input:?} at {brand}: {std:?}");
}

#[rstest]
#[case::uk("UK 9")]
#[case::us("US M 10")]
#[case::us_unisex("US 10")]
#[case::women("8.5W")]
#[case::cm("CM 28")]
#[case::kr("KR 280")]
#[case::kids("7Y")]
#[case::dual("12W / 10.5M")]
fn a_non_eu_label_is_not_standardized_without_a_brand(#[case] input: &str) {
    let size = parsed(input, NONE);
    assert!(
        matches!(
            size.standardize(None),
            Err(ConvertError::BrandRequired { .. })
        ),
        "{input:?}"
    );
}

#[test]
fn an_eu_label_is_standardized_without_a_brand() {
    let std = parsed("44 2/3", NONE).standardize(None).unwrap();
    assert_eq!((std.tenths(), std.decimal()), (447, "44.7".to_string()));
    assert_eq!(std.confidence, None);
}

#[test]
fn uk_to_us_is_refused_as_ambiguous_where_nike_uk_6_is_two_sizes() {
    let err = parsed("UK 6", NONE)
        .convert(BrandFamily::Nike, Target::Us(Cohort::Men))
        .unwrap_err();
    let ConvertError::Ambiguous { candidates, .. } = err else {
        panic!("{err:?}");
    };
    assert_eq!(
        candidates,
        [
            shoe(ShoeSystem::Us, Cohort::Men, "6.5"),
            shoe(ShoeSystem::Us, Cohort::Men, "7")
        ]
    );
}

#[rstest]
#[case::nike(
    BrandFamily::Nike,
    &["US M 10", "US 10", "UK 9", "9 UK", "EU 44", "44", "CM 28", "JP 28", "KR 280", "US W 11.5", "11.5W", "W 11.5", "M 10 / W 11.5"],
    "44"
)]
#[case::adidas(
    BrandFamily::Adidas,
    &["US M 10.5", "10.5M", "M 10.5", "UK 10", "EU 44 2/3", "44 2/3", "44⅔", "44.67", "44.7", "CM 28.5", "JP 28.5", "KR 285", "US W 11.5"],
    "44 2/3"
)]
#[case::converse(
    BrandFamily::Converse,
    &["US M 9", "UK 9", "EU 42.5", "42,5", "US W 11", "11W / 9M"],
    "42.5"
)]
fn labels_of_one_physical_size_share_one_standardized_value(
    #[case] brand: BrandFamily,
    #[case] labels: &[&str],
    #[case] eu: &str,
) {
    for label in labels {
        let std = parsed(label, NONE)
            .standardize(Some(brand))
            .unwrap_or_else(|e| panic!("{label:?}: {e}"));
        assert_eq!(std.eu, v(eu), "{label:?}");
    }
}

#[test]
fn parse_checks_redundant_labels_against_the_brand_it_is_given() {
    let nike = NONE.with_brand(BrandFamily::Nike);
    assert!(sizes::parse("12W / 10.5M", &nike).is_ok());
    assert!(sizes::parse("UK 6 (EU 39)", &nike).is_ok());
    let adidas = NONE.with_brand(BrandFamily::Adidas);
    assert!(matches!(
        sizes::parse("12W / 10.5M", &adidas),
        Err(SizeError::Unparsable { .. })
    ));
    assert!(matches!(
        sizes::parse("UK 6 (EU 41)", &nike),
        Err(SizeError::Unparsable { .. })
    ));
}

#[test]
fn conversions_carry_the_weakest_confidence_used() {
    use soleflip_domain::sizes::Confidence;
    let at = |input: &str, brand| {
        parsed(input, NONE)
            .convert(brand, Target::Eu)
            .unwrap()
            .confidence
    };
    assert_eq!(at("US M 10", BrandFamily::Nike), Confidence::Verified);
    assert_eq!(at("US M 4", BrandFamily::Nike), Confidence::Secondary);
    assert_eq!(at("US W 11.5", BrandFamily::Adidas), Confidence::Secondary);
    assert_eq!(at("US M 10", BrandFamily::Puma), Confidence::Unverified);
    assert_eq!(at("7Y", BrandFamily::Nike), Confidence::Secondary);
}

#[test]
fn brand_names_from_the_database_resolve_to_families() {
    for (name, family) in [
        ("new-balance", BrandFamily::NewBalance),
        ("New Balance", BrandFamily::NewBalance),
        ("Jordan", BrandFamily::Nike),
        ("YEEZY", BrandFamily::Adidas),
    ] {
        assert_eq!(name.parse::<BrandFamily>(), Ok(family));
    }
}

#[test]
fn sizes_serialize_to_json_with_exact_values_and_read_back() {
    let size = parsed("44.67", NONE);
    let json = serde_json::to_value(size).unwrap();
    assert_eq!(json["system"], "EU");
    assert_eq!(json["cohort"], "unisex");
    assert_eq!(json["label"], "EU 44 2/3");
    assert_eq!(json["measure"]["value"], "44 2/3");
    let back: Size = serde_json::from_value(json).unwrap();
    assert_eq!(back, size);

    let std = size.standardize(None).unwrap();
    let json = serde_json::to_value(std).unwrap();
    assert_eq!(json["eu_decimal"], "44.7");
    assert_eq!(json["eu_tenths"], 447);

    let eq = parsed("UK 6", NONE).equivalents(BrandFamily::Nike);
    let json = serde_json::to_value(&eq).unwrap();
    assert_eq!(json["us_m"]["status"], "ambiguous");
    assert_eq!(json["uk"]["status"], "exact");

    let err = sizes::parse("10", &NONE).unwrap_err();
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["error"], "ambiguous");
    assert_eq!(json["candidates"][1]["label"], "UK 10");
}

#[test]
fn an_invalid_size_is_refused_when_deserialized() {
    let json = r#"{"cohort":"grade_school","measure":{"kind":"shoe","system":"US","value":"10"}}"#;
    assert!(serde_json::from_str::<Size>(json).is_err());
}
