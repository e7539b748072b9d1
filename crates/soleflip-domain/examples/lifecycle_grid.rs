//! Prints the inventory transition grid of `docs/lifecycle.md`.

fn main() {
    print!("{}", soleflip_domain::lifecycle::table_markdown());
}
