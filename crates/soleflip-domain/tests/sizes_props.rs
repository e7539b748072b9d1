//! Invariants of the size module: display reads back, charts convert both ways where they are
//! one-to-one, standardized values name one row each, and no input panics.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers stop the test loudly on a failed step"
)]

use proptest::prelude::*;
use soleflip_domain::sizes::{
    self, chart, BrandFamily, Cohort, Context, Letter, Measure, ShoeSpan, ShoeSystem, Size,
    SizeValue, Source, Target,
};

const COHORTS: [Cohort; 6] = [
    Cohort::Men,
    Cohort::Women,
    Cohort::GradeSchool,
    Cohort::PreSchool,
    Cohort::Toddler,
    Cohort::Unisex,
];
const SYSTEMS: [ShoeSystem; 6] = [
    ShoeSystem::Us,
    ShoeSystem::Uk,
    ShoeSystem::Eu,
    ShoeSystem::Cm,
    ShoeSystem::Jp,
    ShoeSystem::Kr,
];
const LETTERS: [Letter; 8] = [
    Letter::Xxs,
    Letter::Xs,
    Letter::S,
    Letter::M,
    Letter::L,
    Letter::Xl,
    Letter::Xxl,
    Letter::Xxxl,
];

fn cohort() -> impl Strategy<Value = Cohort> {
    proptest::sample::select(&COHORTS[..])
}

/// A value on `system`'s grid and near its range (some fall outside and are filtered).
fn value(system: ShoeSystem) -> BoxedStrategy<SizeValue> {
    let (lo, hi, steps): (u32, u32, &[u32]) = match system {
        ShoeSystem::Us => (0, 23, &[2]),
        ShoeSystem::Uk => (0, 21, &[2]),
        ShoeSystem::Eu => (14, 61, &[2, 3]),
        ShoeSystem::Cm | ShoeSystem::Jp => (7, 41, &[4, 2]),
        ShoeSystem::Kr => (70, 410, &[1]),
    };
    (proptest::sample::select(steps), 0u32..1000)
        .prop_filter_map("on the grid", move |(step, n)| {
            let numer = lo * step + n % ((hi - lo) * step + 1);
            SizeValue::new(numer, step).ok()
        })
        .boxed()
}

fn shoe_system() -> impl Strategy<Value = ShoeSystem> {
    proptest::sample::select(&SYSTEMS[..])
}

fn span() -> impl Strategy<Value = ShoeSpan> {
    shoe_system().prop_flat_map(|system| {
        (value(system), value(system)).prop_map(move |(a, b)| ShoeSpan {
            system,
            low: a.min(b),
            high: a.max(b),
        })
    })
}

fn measure() -> impl Strategy<Value = Measure> {
    let letter = || proptest::sample::select(&LETTERS[..]);
    prop_oneof![
        4 => shoe_system().prop_flat_map(|system| {
            value(system).prop_map(move |value| Measure::Shoe { system, value })
        }),
        2 => span().prop_map(|s| Measure::ShoeRange {
            system: s.system,
            low: s.low,
            high: s.high
        }),
        1 => (value(ShoeSystem::Us), value(ShoeSystem::Us))
            .prop_map(|(a, b)| Measure::UsDual { women: a.max(b), men: a.min(b) }),
        1 => (letter(), letter()).prop_map(|(a, b)| Measure::Letter {
            low: a.min(b),
            high: a.max(b),
            fits: None
        }),
        1 => (letter(), span()).prop_map(|(l, s)| Measure::Letter {
            low: l,
            high: l,
            fits: Some(s)
        }),
        1 => (18u8..64, proptest::option::of(18u8..42))
            .prop_map(|(waist, length)| Measure::WaistLength { waist, length }),
        1 => Just(Measure::OneSize),
        1 => Just(Measure::NoSize),
    ]
}

/// Any valid size, single EU sizes sometimes with a width.
fn size() -> impl Strategy<Value = Size> {
    let width = proptest::option::of(proptest::sample::select(vec![
        sizes::Width::Narrow,
        sizes::Width::Regular,
    ]));
    (cohort(), measure(), width).prop_filter_map("valid", |(c, m, w)| {
        Size::new(c, m).ok().map(|s| s.with_width(w))
    })
}

fn brand() -> impl Strategy<Value = BrandFamily> {
    proptest::sample::select(&BrandFamily::ALL[..])
}

fn context() -> impl Strategy<Value = Context> {
    (
        proptest::option::of(brand()),
        proptest::option::of(cohort()),
        proptest::option::of(proptest::sample::select(vec![
            Source::StockX,
            Source::EuRetailer,
        ])),
    )
        .prop_map(|(brand, cohort, source)| Context {
            brand,
            cohort,
            source,
            sizeless: false,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn a_displayed_size_parses_back_to_itself(size in size()) {
        let text = size.to_string();
        prop_assert_eq!(sizes::parse(&text, &Context::NONE), Ok(size), "{}", text);
    }

    #[test]
    fn a_displayed_size_parses_back_whatever_the_context(size in size(), ctx in context()) {
        // Every displayed label carries its system and cohort, so no context changes it,
        // except a cohort hint filling in a unisex label (which has no marker), and a brand
        // that rejects a dual label its chart contradicts.
        let text = size.to_string();
        let hinted = ctx.cohort.is_some() && size.cohort() == Cohort::Unisex;
        if !hinted && !matches!(size.measure(), Measure::UsDual { .. }) {
            prop_assert_eq!(sizes::parse(&text, &ctx), Ok(size), "{}", text);
        }
    }

    #[test]
    fn us_to_eu_and_back_returns_the_start(
        brand in brand(),
        cohort in proptest::sample::select(vec![Cohort::Men, Cohort::Women, Cohort::GradeSchool, Cohort::Unisex]),
        start in value(ShoeSystem::Us),
    ) {
        let Ok(size) = Size::shoe(ShoeSystem::Us, cohort, start) else { return Ok(()) };
        if let Ok(eu) = size.convert(brand, Target::Eu) {
            let back = eu.size.convert(brand, Target::Us(cohort)).map(|c| c.size);
            prop_assert_eq!(back, Ok(size));
        }
    }

    #[test]
    fn arbitrary_text_never_panics(input in any::<String>(), ctx in context(), brand in brand()) {
        exercise(&input, &ctx, brand);
    }

    #[test]
    fn size_like_text_never_panics(
        input in "[0-9 .,/()⅓⅔½¼¾A-Za-z'’–-]{0,24}",
        ctx in context(),
        brand in brand(),
    ) {
        exercise(&input, &ctx, brand);
    }
}

/// Parses and, on success, converts every way; only panics matter here.
fn exercise(input: &str, ctx: &Context, brand: BrandFamily) {
    if let Ok(size) = sizes::parse(input, ctx) {
        let _ = size.to_string();
        let _ = size.equivalents(brand);
        let _ = size.standardize(Some(brand));
        let _ = size.standardize(None);
    }
}

/// Every table of a chart: the adult rows (cohort men) and each kids' table.
fn tables(chart: &'static sizes::Chart) -> Vec<(Cohort, &'static [sizes::ChartRow])> {
    let mut out = vec![(Cohort::Men, &chart.rows[..])];
    for c in [Cohort::Toddler, Cohort::PreSchool, Cohort::GradeSchool] {
        if !chart.kids.rows(c).is_empty() {
            out.push((c, chart.kids.rows(c)));
        }
    }
    out
}

/// The cohort an EU/UK/CM label of a table carries (adult labels are unisex).
fn label_cohort(table: Cohort) -> Cohort {
    if table.is_kids() {
        table
    } else {
        Cohort::Unisex
    }
}

#[test]
fn every_chart_row_converts_from_us_to_eu_and_back() {
    for brand in BrandFamily::ALL {
        for (cohort, rows) in tables(chart(brand).unwrap()) {
            for row in rows {
                let us = Size::shoe(ShoeSystem::Us, cohort, row.us_m).unwrap();
                let eu = us.convert(brand, Target::Eu).unwrap().size;
                assert_eq!(
                    eu,
                    Size::shoe(ShoeSystem::Eu, label_cohort(cohort), row.eu).unwrap()
                );
                let back = eu.convert(brand, Target::Us(cohort)).unwrap().size;
                assert_eq!(back, us, "{brand}");
            }
        }
    }
}

#[test]
fn every_chart_row_with_a_uk_value_converts_from_uk_to_eu_and_back_where_uk_names_one_row() {
    for brand in BrandFamily::ALL {
        for (cohort, rows) in tables(chart(brand).unwrap()) {
            for row in rows {
                let Some(uk) = row.uk else { continue };
                if rows.iter().filter(|r| r.uk == Some(uk)).count() > 1 {
                    continue;
                }
                let uk = Size::shoe(ShoeSystem::Uk, label_cohort(cohort), uk).unwrap();
                let eu = uk.convert(brand, Target::Eu).unwrap().size;
                assert_eq!(
                    eu,
                    Size::shoe(ShoeSystem::Eu, label_cohort(cohort), row.eu).unwrap(),
                    "{brand} {uk}"
                );
                assert_eq!(eu.convert(brand, Target::Uk).unwrap().size, uk, "{brand}");
                let us = uk.convert(brand, Target::Us(cohort)).unwrap().size;
                assert_eq!(us, Size::shoe(ShoeSystem::Us, cohort, row.us_m).unwrap());
            }
        }
    }
}

#[test]
fn different_physical_sizes_never_share_a_standardized_value() {
    for brand in BrandFamily::ALL {
        let mut seen: Vec<&sizes::ChartRow> = Vec::new();
        for (_, rows) in tables(chart(brand).unwrap()) {
            let mut tenths: Vec<u32> = rows.iter().map(|r| r.eu.tenths()).collect();
            tenths.dedup();
            assert_eq!(tenths.len(), rows.len(), "{brand}: EU values repeat");
            for row in rows {
                // A kids' row may share an adult row's EU value only as the same foot.
                for other in seen.iter().filter(|o| o.eu == row.eu) {
                    let agree = |a: Option<SizeValue>, b: Option<SizeValue>| {
                        a.zip(b).is_none_or(|(a, b)| a == b)
                    };
                    assert!(
                        agree(other.uk, row.uk) && agree(other.cm, row.cm),
                        "{brand}: EU {} names two different feet",
                        row.eu
                    );
                }
            }
            seen.extend(rows);
        }
    }
}

#[test]
fn every_label_of_a_chart_row_standardizes_to_that_rows_eu_value_or_is_refused() {
    for brand in BrandFamily::ALL {
        let chart = chart(brand).unwrap();
        for (cohort, rows) in tables(chart) {
            for row in rows {
                let kept = label_cohort(cohort);
                let mut labels = vec![Size::shoe(ShoeSystem::Us, cohort, row.us_m).unwrap()];
                if !cohort.is_kids() {
                    labels.push(Size::shoe(ShoeSystem::Us, Cohort::Unisex, row.us_m).unwrap());
                }
                if let Some(uk) = row.uk {
                    labels.push(Size::shoe(ShoeSystem::Uk, kept, uk).unwrap());
                }
                if let Some(cm) = row.cm {
                    labels.push(Size::shoe(ShoeSystem::Cm, kept, cm).unwrap());
                    labels.push(Size::shoe(ShoeSystem::Jp, kept, cm).unwrap());
                }
                labels.push(Size::shoe(ShoeSystem::Eu, kept, row.eu).unwrap());
                if let Some((low, high)) = row.eu_printed {
                    labels.push(
                        Size::new(
                            kept,
                            sizes::Measure::ShoeRange {
                                system: ShoeSystem::Eu,
                                low,
                                high,
                            },
                        )
                        .unwrap(),
                    );
                }
                if !cohort.is_kids() {
                    if let Ok(w) = Size::shoe(ShoeSystem::Us, Cohort::Men, row.us_m)
                        .unwrap()
                        .convert(brand, Target::Us(Cohort::Women))
                    {
                        labels.push(w.size);
                    }
                }
                let shared_uk = rows.iter().filter(|r| r.uk == row.uk).count() > 1;
                let shared_cm = rows.iter().filter(|r| r.cm == row.cm).count() > 1;
                for label in labels {
                    let shared = match label.system() {
                        sizes::System::Uk => shared_uk,
                        sizes::System::Cm | sizes::System::Jp => shared_cm,
                        _ => false,
                    };
                    match label.standardize(Some(brand)) {
                        Ok(std) => {
                            assert!(!shared, "{brand} {label}: a shared label must be refused");
                            assert_eq!(std.eu, row.eu, "{brand} {label}");
                        }
                        Err(e) => assert!(shared, "{brand} {label}: {e}"),
                    }
                }
            }
        }
    }
}
