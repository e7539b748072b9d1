//! Size parsing benchmark, run by `bench/sizes.sh`.
//!
//! Writes a deterministic corpus of size strings mixed like the StockX sales reports and AWIN
//! feeds of DOMAIN.md §9 (one `brand<TAB>source<TAB>size` line each), then times, in the same
//! process and alternating, the floor (read the file, split lines and fields) and the work
//! (the same plus parse and standardize on the brand's chart), single-threaded. Prints the
//! medians, the throughput and the ratio of the two.
//!
//! Usage: `sizes_bench --corpus PATH [--lines N] [--runs R]`

use std::hint::black_box;
use std::time::{Duration, Instant};

use soleflip_domain::sizes::{self, Context, ConvertError, SizeError, Source};

/// Strings per second the work must reach.
const TARGET: f64 = 2_000_000.0;

/// A small deterministic generator (xorshift64*), so every run sees the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        // n is small; the modulo bias is irrelevant for a corpus.
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }

    /// A half size between `lo` and `hi`, as StockX writes it (`10`, `10.5`).
    fn half(&mut self, lo: u32, hi: u32) -> String {
        let steps = usize::try_from((hi - lo) * 2 + 1).unwrap_or(1);
        let n = u32::try_from(self.below(steps)).unwrap_or(0);
        let whole = lo + n / 2;
        if n % 2 == 1 {
            format!("{whole}.5")
        } else {
            whole.to_string()
        }
    }
}

const BRAND_SPELLINGS: [&str; 21] = [
    "Nike",
    "nike",
    "Jordan",
    "jordan",
    "adidas",
    "Adidas",
    "Yeezy",
    "New Balance",
    "new-balance",
    "Asics",
    "Converse",
    "Puma",
    "Vans",
    "Reebok",
    "Air Jordan",
    "Crocs",
    "HOKA ONE ONE",
    "Birkenstock",
    "UGG",
    "On",
    "LEGO",
];

/// One StockX `Sku Size` line, weighted roughly as the sales report of §9.1.
fn stockx_size(rng: &mut Rng) -> String {
    match rng.below(100) {
        0..=10 => "N/A".into(),
        11..=55 => rng.half(4, 15),
        56..=65 => format!("{}W", rng.half(5, 12)),
        66..=71 => format!("{}Y", rng.half(4, 7)),
        72..=73 => format!("{}C", rng.half(4, 10)),
        74 => format!("{}J", 1 + rng.below(3)),
        75..=78 => (36 + rng.below(12)).to_string(),
        79..=86 => rng
            .pick(&["S", "M", "L", "XL", "S/M", "L/XL", "XS", "XXL"])
            .into(),
        87..=89 => rng
            .pick(&["12W / 10.5M", "10W / 8.5M", "11.5W / 10M"])
            .into(),
        90..=91 => rng.pick(&["S / Men's 9-10", "M / Men's 10-12"]).into(),
        92..=94 => format!("{}W/{}L", 28 + 2 * rng.below(6), 30 + 2 * rng.below(3)),
        95 => rng.pick(&["42/44", "39/42", "45/47"]).into(),
        96 => rng
            .pick(&["M9/W11", "M 4 / W 6", "C10", "J2", "EU 42 Narrow"])
            .into(),
        _ => format!("{}H", 6 + rng.below(8)),
    }
}

/// One AWIN/European retailer `Fashion:size` line, weighted roughly as §9.2 and §3.8.
fn feed_size(rng: &mut Rng, adidas: bool) -> String {
    let eu = 36 + rng.below(12);
    match rng.below(100) {
        0..=29 => eu.to_string(),
        30..=44 => format!("{eu}.5"),
        45..=54 => format!("{eu},5"),
        55..=59 if adidas => format!("{eu} {}", rng.pick(&["1/3", "2/3"])),
        55..=59 => format!("EU {eu}"),
        60..=63 if adidas => format!("{eu}{}", rng.pick(&["⅓", "⅔"])),
        60..=63 => format!("{eu}"),
        64..=66 if adidas => format!("{eu}.{}", rng.pick(&["33", "67"])),
        64..=66 => format!("{eu}.5"),
        67..=71 => format!("EU {eu}"),
        72..=76 => format!("UK {}", rng.half(4, 12)),
        77..=80 => format!("{} UK", rng.half(4, 12)),
        81..=84 => format!("US {}", rng.half(5, 13)),
        85..=88 => format!("Gr. {eu}"),
        89..=90 => format!("– Gr. {eu}/{}", eu + 1),
        91..=93 => format!("W{} L{}", 28 + rng.below(10), 30 + 2 * rng.below(3)),
        _ => format!("{}", 20 + rng.below(15)),
    }
}

fn corpus(lines: usize) -> String {
    let mut rng = Rng(0x5EED_50FE_F11F_2025);
    let mut out = String::with_capacity(lines * 24);
    for _ in 0..lines {
        let brand = rng.pick(&BRAND_SPELLINGS);
        let adidas = matches!(brand, "adidas" | "Adidas" | "Yeezy");
        let (source, size) = if rng.below(100) < 60 {
            ("stockx", stockx_size(&mut rng))
        } else {
            ("feed", feed_size(&mut rng, adidas))
        };
        out.push_str(brand);
        out.push('\t');
        out.push_str(source);
        out.push('\t');
        out.push_str(&size);
        out.push('\n');
    }
    out
}

/// The three fields of a line.
fn fields(line: &str) -> Option<(&str, &str, &str)> {
    let mut it = line.splitn(3, '\t');
    Some((it.next()?, it.next()?, it.next()?))
}

/// Floor: read and split, touching every field.
fn floor(path: &str) -> std::io::Result<(usize, u64)> {
    let text = std::fs::read_to_string(path)?;
    let (mut n, mut sum) = (0, 0u64);
    for line in text.lines() {
        if let Some((brand, source, size)) = fields(line) {
            n += 1;
            sum += (brand.len() + source.len() + size.len()) as u64;
        }
    }
    Ok((n, black_box(sum)))
}

/// Outcomes of the work, counted.
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
struct Tally {
    strings: usize,
    standardized: usize,
    not_a_shoe_size: usize,
    refused_conversion: usize,
    missing: usize,
    ambiguous: usize,
    unparsable: usize,
    checksum: u64,
}

/// The parsing context of a corpus line: its brand name (aliases and sizeless brands
/// resolved from the data files) and its source.
fn context(brand: &str, source: &str) -> Context {
    Context::default()
        .with_source(if source == "stockx" {
            Source::StockX
        } else {
            Source::EuRetailer
        })
        .with_brand_name(brand)
}

/// Parse only: read, split, parse with context (no chart), for the breakdown.
fn parse_only(path: &str) -> std::io::Result<usize> {
    let text = std::fs::read_to_string(path)?;
    let mut ok = 0;
    for line in text.lines() {
        let Some((brand, source, size)) = fields(line) else {
            continue;
        };
        let ctx = context(brand, source);
        ok += usize::from(sizes::parse(size, &ctx).is_ok());
    }
    Ok(black_box(ok))
}

/// Work: read, split, parse with context, standardize on the brand's chart.
fn work(path: &str) -> std::io::Result<Tally> {
    let text = std::fs::read_to_string(path)?;
    let mut t = Tally::default();
    for line in text.lines() {
        let Some((brand, source, size)) = fields(line) else {
            continue;
        };
        t.strings += 1;
        let ctx = context(brand, source);
        let brand = ctx.brand;
        match sizes::parse(size, &ctx) {
            Ok(parsed) => match parsed.standardize(brand) {
                Ok(std) => {
                    t.standardized += 1;
                    t.checksum += u64::from(std.tenths());
                }
                Err(ConvertError::NotAShoeSize { .. }) => t.not_a_shoe_size += 1,
                Err(_) => t.refused_conversion += 1,
            },
            Err(SizeError::Missing { .. }) => t.missing += 1,
            Err(SizeError::Ambiguous { .. }) => t.ambiguous += 1,
            Err(_) => t.unparsable += 1,
        }
    }
    Ok(black_box(t))
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path =
        arg(&args, "--corpus").ok_or("usage: sizes_bench --corpus PATH [--lines N] [--runs R]")?;
    let lines: usize = arg(&args, "--lines").map_or(Ok(1_000_000), |s| s.parse())?;
    let runs: usize = arg(&args, "--runs").map_or(Ok(7), |s| s.parse())?;

    let text = corpus(lines);
    std::fs::write(&path, &text)?;
    println!(
        "corpus: {lines} strings, {:.1} MB (60% StockX Sku Size, 40% EU retailer feed sizes), seed fixed",
        text.len() as f64 / 1e6
    );
    drop(text);

    // Warm up: page cache, the chart's one-time load, the allocator.
    floor(&path)?;
    let expected = work(&path)?;

    let (mut floors, mut parses, mut works) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let (n, _) = floor(&path)?;
        floors.push(start.elapsed());
        let start = Instant::now();
        parse_only(&path)?;
        parses.push(start.elapsed());
        let start = Instant::now();
        let tally = work(&path)?;
        works.push(start.elapsed());
        if n != lines || tally != expected {
            return Err("runs disagree".into());
        }
    }
    let (floor_t, parse_t, work_t) = (median(&mut floors), median(&mut parses), median(&mut works));
    let rate = |d: Duration| lines as f64 / d.as_secs_f64();
    let t = expected;
    println!(
        "outcomes: {} standardized, {} not a shoe size, {} conversion refused, {} missing (N/A), {} ambiguous, {} unparsable",
        t.standardized, t.not_a_shoe_size, t.refused_conversion, t.missing, t.ambiguous, t.unparsable
    );
    println!("median of {runs} runs, single thread:");
    println!(
        "  floor (read + split lines/fields): {:>8.1} ms  {:>12.0} strings/s",
        floor_t.as_secs_f64() * 1e3,
        rate(floor_t)
    );
    println!(
        "  parse only (breakdown):            {:>8.1} ms  {:>12.0} strings/s",
        parse_t.as_secs_f64() * 1e3,
        rate(parse_t)
    );
    println!(
        "  parse + standardize:               {:>8.1} ms  {:>12.0} strings/s",
        work_t.as_secs_f64() * 1e3,
        rate(work_t)
    );
    println!(
        "  ratio parse/floor: {:.1}x the floor's time; per string {:.0} ns over the floor",
        work_t.as_secs_f64() / floor_t.as_secs_f64(),
        (work_t.as_secs_f64() - floor_t.as_secs_f64()) * 1e9 / lines as f64
    );
    let verdict = if rate(work_t) >= TARGET {
        "PASS"
    } else {
        "FAIL"
    };
    println!("  target >= {:.0} strings/s: {verdict}", TARGET);
    Ok(())
}
