//! Kids' cohorts, the brands added for issue 19, sizeless products, widths and brand aliases,
//! through the public API.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use rstest::rstest;
use soleflip_domain::sizes::{
    self, chart, is_sizeless_category, Brand, BrandFamily, Cohort, Context, ConvertError, Measure,
    ShoeSystem, Size, SizeError, SizeValue, Source, Target, Width,
};

fn v(text: &str) -> SizeValue {
    text.parse().unwrap()
}

fn feed() -> Context {
    Context::default().with_source(Source::EuRetailer)
}

fn stockx() -> Context {
    Context::default().with_source(Source::StockX)
}

// nike.com/au/size-fit/kids-footwear: the EU size of each StockX kids' label.
#[rstest]
#[case::td_2c("17", "2C")]
#[case::td_4c("19.5", "4C")]
#[case::td_5c("21", "5C")]
#[case::td_7c("23.5", "7C")]
#[case::td_10c("27", "10C")]
#[case::ps_10_5c("27.5", "10.5C")]
#[case::ps_12c("29.5", "12C")]
#[case::ps_1y("32", "1Y")]
#[case::ps_2y("33.5", "2Y")]
#[case::ps_3y("35", "3Y")]
#[case::gs_4y("36", "4Y")]
#[case::gs_7y("40", "7Y")]
fn a_jordan_kids_eu_size_converts_to_the_stockx_label_and_back(
    #[case] eu: &str,
    #[case] label: &str,
) {
    let ctx = feed().with_brand_name("Air Jordan");
    let size = sizes::parse(eu, &ctx).unwrap();

    let kids = size.kids_us(BrandFamily::Nike).unwrap().size;
    let back = sizes::parse(label, &stockx())
        .unwrap()
        .convert(BrandFamily::Nike, Target::Eu)
        .unwrap()
        .size;

    assert_eq!(kids.to_string(), label);
    assert_eq!(back.measure(), size.measure(), "{label} back to EU");
}

#[test]
fn every_eu_size_of_an_awin_jordan_kids_feed_reaches_a_stockx_label_and_back() {
    let chart = chart(BrandFamily::Nike).unwrap();
    let rows = chart.kids.toddler.iter().chain(&chart.kids.pre_school);
    let ctx = feed().with_brand(BrandFamily::Nike);
    let mut seen = 0;
    for row in rows.filter(|r| r.eu >= v("19.5") && r.eu <= v("35")) {
        let feed_size = sizes::parse(&row.eu.decimal(), &ctx).unwrap();

        let label = feed_size.kids_us(BrandFamily::Nike).unwrap().size;
        let eu = label.standardize(Some(BrandFamily::Nike)).unwrap();

        assert_eq!(eu.eu, row.eu, "{label}");
        assert!(label.cohort().is_kids(), "{label}");
        seen += 1;
    }
    assert_eq!(seen, 25, "EU 19.5 to 35 on the Nike kids' chart");
}

#[rstest]
#[case::jordan_10c("10C", "jordan", "27.0")]
#[case::jordan_3c("3C", "Jordan", "18.5")]
#[case::jordan_6c("6C", "Air Jordan", "22.0")]
#[case::jordan_2y("2Y", "jordan", "33.5")]
#[case::nike_13_5c("13.5C", "nike", "31.5")]
#[case::adidas_ps("11C", "adidas", "28.5")]
#[case::adidas_gs("4.5Y", "Yeezy", "36.7")]
#[case::nb_ps("12.5C", "New Balance", "30.5")]
#[case::nb_gs("5Y", "new-balance", "37.5")]
#[case::asics_gs("6Y", "ASICS", "39.0")]
#[case::crocs_c("C8", "Crocs", "24.5")]
#[case::crocs_j("J1", "crocs", "32.5")]
fn a_kids_size_standardizes_on_its_brands_kids_chart(
    #[case] input: &str,
    #[case] brand: &str,
    #[case] eu: &str,
) {
    let ctx = stockx().with_brand_name(brand);
    let size = sizes::parse(input, &ctx).unwrap();

    let std = size.standardize(ctx.brand).unwrap();

    assert_eq!(std.decimal(), eu, "{input} {brand}");
}

#[test]
fn kids_cohorts_without_a_published_chart_are_still_refused() {
    let size = sizes::parse("5C", &stockx()).unwrap();

    let err = size.standardize(Some(BrandFamily::Adidas)).unwrap_err();

    assert!(
        matches!(err, ConvertError::NoCohortRule { .. }),
        "{err}: adidas toddler sizes are not in the data"
    );
}

#[rstest]
#[case::na("N/A")]
#[case::empty("")]
#[case::dash("-")]
#[case::one_size("One Size")]
#[case::os("OS")]
#[case::o_slash_s("O/S")]
#[case::no_size("No Size")]
fn a_sizeless_products_size_column_reads_as_no_size(#[case] input: &str) {
    let ctx = stockx().with_brand_name("LEGO");

    let size = sizes::parse(input, &ctx).unwrap();

    assert_eq!(size.measure(), Measure::NoSize);
    assert_eq!(size.to_string(), "No Size");
}

#[test]
fn no_size_is_distinct_from_a_missing_size_and_from_one_size() {
    let shoe = stockx().with_brand(BrandFamily::Nike);
    let sizeless = stockx().with_sizeless();

    let missing = sizes::parse("N/A", &shoe).unwrap_err();
    let one_size = sizes::parse("One Size", &shoe).unwrap();
    let no_size = sizes::parse("N/A", &sizeless).unwrap();

    assert!(matches!(missing, SizeError::Missing { .. }));
    assert_eq!(one_size.measure(), Measure::OneSize);
    assert_eq!(no_size.measure(), Measure::NoSize);
    assert_eq!(no_size.system(), sizes::System::NoSize);
}

#[test]
fn a_real_size_on_a_sizeless_product_is_still_read() {
    let ctx = stockx().with_sizeless();

    let size = sizes::parse("M", &ctx).unwrap();

    assert_eq!(size.to_string(), "M");
}

#[test]
fn sizeless_brands_and_categories_come_from_the_data_files() {
    assert_eq!(Brand::from_name("LEGO"), Some(Brand::Sizeless));
    assert!(Context::default().with_brand_name("Medicom Toy").sizeless);
    assert!(is_sizeless_category("Collectibles"));
    assert!(!Context::default().with_brand_name("Nike").sizeless);
}

#[rstest]
#[case("Air Jordan", BrandFamily::Nike)]
#[case("Jordan", BrandFamily::Nike)]
#[case("Yeezy", BrandFamily::Adidas)]
#[case("HOKA ONE ONE", BrandFamily::Hoka)]
#[case("On Running", BrandFamily::On)]
#[case("UGG Australia", BrandFamily::Ugg)]
fn a_product_names_brand_sets_the_chart(#[case] name: &str, #[case] family: BrandFamily) {
    let ctx = Context::default().with_brand_name(name);

    assert_eq!(ctx.brand, Some(family));
}

#[test]
fn an_unknown_brand_name_changes_nothing() {
    let ctx = stockx().with_brand_name("Brooks");

    assert_eq!(ctx, stockx());
}

#[rstest]
#[case::letter("42 N", Some(Width::Narrow))]
#[case::word("EU 42 Narrow", Some(Width::Narrow))]
#[case::german("Gr. 42 schmal", Some(Width::Narrow))]
#[case::bracketed("42 (Regular)", Some(Width::Regular))]
#[case::r("EU 42 R", Some(Width::Regular))]
#[case::none("42", None)]
fn a_birkenstock_width_is_kept_in_the_parsed_size(
    #[case] input: &str,
    #[case] width: Option<Width>,
) {
    let size = sizes::parse(input, &Context::default()).unwrap();

    let std = size.standardize(Some(BrandFamily::Birkenstock)).unwrap();

    assert_eq!(size.width(), width);
    assert_eq!((std.eu, std.width), (v("42"), width));
    assert_eq!(sizes::parse(&size.to_string(), &Context::NONE), Ok(size));
}

#[test]
fn narrow_and_regular_pairs_of_one_length_never_share_a_standardized_value() {
    let narrow = sizes::parse("42 Narrow", &Context::NONE).unwrap();
    let regular = sizes::parse("42 Regular", &Context::NONE).unwrap();

    let a = narrow.standardize(Some(BrandFamily::Birkenstock)).unwrap();
    let b = regular.standardize(Some(BrandFamily::Birkenstock)).unwrap();

    assert_ne!(a, b);
    assert_eq!(a.eu, b.eu);
}

#[test]
fn a_width_on_anything_but_a_single_eu_size_is_refused() {
    let err = sizes::parse("US 9 Narrow", &Context::NONE).unwrap_err();

    assert!(matches!(err, SizeError::Unparsable { .. }), "{err}");
}

#[rstest]
#[case::slash("M4/W6")]
#[case::spaced("M 4 / W 6")]
#[case::box_label("M4 W6")]
#[case::women_first("W6 / M4")]
fn a_crocs_unisex_label_is_one_size_with_w_two_above_m(#[case] input: &str) {
    let ctx = stockx().with_brand(BrandFamily::Crocs);

    let size = sizes::parse(input, &ctx).unwrap();

    assert_eq!(
        size.measure(),
        Measure::UsDual {
            women: v("6"),
            men: v("4")
        }
    );
    assert_eq!(size.standardize(ctx.brand).unwrap().decimal(), "36.5");
}

#[test]
fn a_crocs_label_whose_women_number_is_not_m_plus_two_is_refused() {
    let ctx = stockx().with_brand(BrandFamily::Crocs);

    let err = sizes::parse("M4/W7", &ctx).unwrap_err();

    assert!(matches!(err, SizeError::Unparsable { .. }), "{err}");
}

#[test]
fn a_crocs_printed_range_keeps_its_range_and_standardizes_at_the_midpoint() {
    let size = sizes::parse("EU 36-37", &Context::NONE).unwrap();

    let std = size.standardize(Some(BrandFamily::Crocs)).unwrap();

    assert_eq!(size.to_string(), "EU 36-37");
    assert_eq!(std.eu, v("36.5"));
    assert!(size.standardize(None).is_err(), "a range needs the brand");
}

#[test]
fn every_crocs_range_standardizes_to_a_different_value_than_its_neighbours() {
    let chart = chart(BrandFamily::Crocs).unwrap();
    let mut values: Vec<SizeValue> = Vec::new();
    for row in chart.rows.iter().chain(&chart.kids.toddler) {
        let (low, high) = row.eu_printed.unwrap();
        let size = Size::new(
            Cohort::Unisex,
            Measure::ShoeRange {
                system: ShoeSystem::Eu,
                low,
                high,
            },
        )
        .unwrap();
        values.push(size.standardize(Some(BrandFamily::Crocs)).unwrap().eu);
    }
    let mut unique = values.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), values.len());
}

/// A chart row without a source fails the suite: every data row of every chart file under
/// `data/sizes/` names its source and a confidence mark, read straight from the files.
#[test]
fn every_row_of_every_chart_file_names_its_source_and_confidence() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sizes");
    let mut files = Vec::new();
    for sub in [dir.clone(), dir.join("kids")] {
        for entry in std::fs::read_dir(&sub).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "csv") {
                files.push(path);
            }
        }
    }
    let mut rows = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let Some(source) = header.iter().position(|h| *h == "source") else {
            continue;
        };
        let confidence = header.iter().position(|h| *h == "confidence").unwrap();
        for (i, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let fields: Vec<&str> = line.split(',').collect();
            let name = path.display();
            assert!(
                fields.get(source).is_some_and(|s| s.trim().len() > 10),
                "{name} line {}: no source",
                i + 2
            );
            assert!(
                fields
                    .get(confidence)
                    .is_some_and(|c| ["verified", "secondary", "unverified"].contains(c)),
                "{name} line {}: no confidence",
                i + 2
            );
            rows += 1;
        }
    }
    assert!(rows > 300, "read {rows} rows");
}

#[test]
fn a_context_written_before_sizeless_existed_still_reads() {
    let json = r#"{"brand":"nike","cohort":null,"source":"stock-x"}"#;

    let ctx: Context = serde_json::from_str(json).unwrap();

    assert_eq!(ctx.brand, Some(BrandFamily::Nike));
    assert!(!ctx.sizeless);
}
