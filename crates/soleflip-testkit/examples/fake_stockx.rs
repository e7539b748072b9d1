//! The fake StockX as a process, for the benchmark: `fake_stockx [PORT] [VARIANTS_PER_PRODUCT]`.
//! Prints its URL on the first line of stdout, then serves until killed. Unknown products get
//! generated market data for VARIANTS_PER_PRODUCT variants (`<productId>-<k>`, default 10).
#![expect(
    clippy::expect_used,
    reason = "a benchmark helper that cannot start stops loudly"
)]

use std::io::Write as _;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .map_or(0, |p| p.parse().expect("PORT is a number"));
    let per_product: u32 = args
        .next()
        .map_or(10, |n| n.parse().expect("VARIANTS_PER_PRODUCT is a number"));
    let fake = soleflip_testkit::stockx_fake::FakeStockx::start_on(port).await;
    fake.generate_market_data(per_product);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", fake.url).expect("stdout");
    out.flush().expect("stdout");
    drop(out);
    let _ = tokio::signal::ctrl_c().await;
    let times: Vec<_> = fake.requests().iter().map(|r| r.at).collect();
    let gaps: Vec<u128> = times
        .windows(2)
        .filter_map(|w| w[1].duration_since(w[0]).ok().map(|d| d.as_millis()))
        .collect();
    let span = match (times.first(), times.last()) {
        (Some(a), Some(b)) => b.duration_since(*a).map(|d| d.as_secs_f64()).unwrap_or(0.0),
        _ => 0.0,
    };
    let rate = if span > 0.0 {
        format!("{:.3}", (times.len() - 1) as f64 / span)
    } else {
        "n/a".into()
    };
    eprintln!(
        "fake StockX: {} API requests in {span:.1} s, {rate} requests/s, smallest gap {} ms",
        times.len(),
        gaps.iter().min().map_or("n/a".into(), ToString::to_string)
    );
}
