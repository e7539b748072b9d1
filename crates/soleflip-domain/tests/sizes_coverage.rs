//! The issue-19 target on a hand-written StockX-style corpus (`fixtures/stockx_sizes.csv`,
//! `brand,size,expected`): of the shoe-size rows whose brand has a published chart, at least
//! 98 % get a standardized EU value, and none a wrong one. `expected` is the EU value read off
//! the brand's chart by hand, or `refused` (a cohort the data does not cover), `apparel`,
//! `missing` (`N/A` on a sized product) or `no_size` (a product without sizes).

use soleflip_domain::sizes::{self, Context, ConvertError, Measure, SizeError, Source};

const CORPUS: &str = include_str!("fixtures/stockx_sizes.csv");

#[derive(Debug, Default)]
struct Tally {
    shoe_rows: usize,
    standardized: usize,
    wrong: Vec<String>,
    refused: Vec<String>,
    other_mismatches: Vec<String>,
}

fn run() -> Tally {
    let mut t = Tally::default();
    for (i, line) in CORPUS.lines().enumerate().skip(1) {
        let mut fields = line.split(',');
        let (Some(brand), Some(size), Some(expected)) =
            (fields.next(), fields.next(), fields.next())
        else {
            t.other_mismatches
                .push(format!("line {}: malformed", i + 1));
            continue;
        };
        let ctx = Context::default()
            .with_source(Source::StockX)
            .with_brand_name(brand);
        let parsed = sizes::parse(size, &ctx);
        let at = format!("line {}: {brand} {size:?}", i + 1);
        match expected {
            "apparel" => {
                let ok = parsed.as_ref().is_ok_and(|s| {
                    matches!(
                        s.standardize(ctx.brand),
                        Err(ConvertError::NotAShoeSize { .. })
                    )
                });
                if !ok {
                    t.other_mismatches.push(format!("{at}: {parsed:?}"));
                }
            }
            "missing" => {
                if !matches!(parsed, Err(SizeError::Missing { .. })) {
                    t.other_mismatches.push(format!("{at}: {parsed:?}"));
                }
            }
            "no_size" => {
                if !parsed
                    .as_ref()
                    .is_ok_and(|s| s.measure() == Measure::NoSize)
                {
                    t.other_mismatches.push(format!("{at}: {parsed:?}"));
                }
            }
            expected => {
                t.shoe_rows += 1;
                let outcome = parsed
                    .map_err(|e| e.to_string())
                    .and_then(|s| s.standardize(ctx.brand).map_err(|e| e.to_string()));
                match outcome {
                    Ok(std) => {
                        let got = std.decimal();
                        let want = expected.parse::<f64>().ok().map(|_| expected);
                        let same = want.is_some_and(|w| {
                            w.strip_suffix(".0").unwrap_or(w)
                                == got.strip_suffix(".0").unwrap_or(&got)
                        });
                        if same {
                            t.standardized += 1;
                        } else {
                            t.wrong
                                .push(format!("{at}: got {got}, chart says {expected}"));
                        }
                    }
                    Err(e) => t.refused.push(format!("{at}: {e} (expected {expected})")),
                }
            }
        }
    }
    t
}

#[test]
fn at_least_98_percent_of_shoe_sizes_of_charted_brands_standardize_and_none_wrongly() {
    let t = run();

    let coverage = t.standardized as f64 / t.shoe_rows as f64;
    println!(
        "coverage: {} of {} shoe-size rows standardized ({:.1} %); refused: {:?}",
        t.standardized,
        t.shoe_rows,
        coverage * 100.0,
        t.refused
    );

    assert!(t.wrong.is_empty(), "wrong values: {:#?}", t.wrong);
    assert!(t.shoe_rows >= 250, "corpus too small: {}", t.shoe_rows);
    assert!(coverage >= 0.98, "coverage {coverage}: {:#?}", t.refused);
}

#[test]
fn the_corpus_refuses_only_the_rows_it_expects_to() {
    let t = run();

    let unexpected: Vec<&String> = t
        .refused
        .iter()
        .filter(|r| !r.ends_with("(expected refused)"))
        .collect();

    assert!(unexpected.is_empty(), "{unexpected:#?}");
    assert!(t.other_mismatches.is_empty(), "{:#?}", t.other_mismatches);
}
