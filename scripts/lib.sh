# Shared by scripts/up.sh and scripts/test.sh: make sure what SoleFlip needs is on the machine,
# installing it where we can (root on Debian/Ubuntu) and saying exactly what to install where
# we cannot.

die() { printf 'soleflip setup: %s\n' "$*" >&2; exit 1; }

# Cargo, with the toolchain pinned in rust-toolchain.toml. Debian's and Ubuntu's `cargo`
# packages are older than the pinned toolchain, so only rustup is suggested.
ensure_rust() {
    pinned=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
    command -v cargo >/dev/null 2>&1 \
        || die "cargo not found: install Rust $pinned with rustup (https://rustup.rs: curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh), then open a new shell"
    found=$(rustc --version 2>/dev/null | awk '{print $2}')
    if [ "$(printf '%s\n%s\n' "$pinned" "$found" | sort -V | head -n1)" != "$pinned" ]; then
        die "Rust $found is older than the pinned $pinned: install rustup (https://rustup.rs), which reads rust-toolchain.toml and fetches $pinned (a distribution's cargo package is too old)"
    fi
}

# PostgreSQL 14+ server binaries, found the way soleflip finds them.
pg_bindir() {
    if [ -n "${SOLEFLIP_PG_BINDIR:-}" ]; then echo "$SOLEFLIP_PG_BINDIR"; return; fi
    if command -v pg_config >/dev/null 2>&1; then
        d=$(pg_config --bindir 2>/dev/null || true)
        if [ -x "$d/postgres" ]; then echo "$d"; return; fi
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
        if [ -x "$d/postgres" ]; then echo "$d"; return; fi
    done
    if command -v postgres >/dev/null 2>&1; then dirname "$(command -v postgres)"; fi
}

ensure_postgres() {
    # A given server needs no local binaries for the main job.
    if [ -n "$(pg_bindir)" ]; then return; fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "soleflip setup: installing PostgreSQL (apt-get install -y postgresql)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 \
            || die "apt-get install -y postgresql failed"
        [ -n "$(pg_bindir)" ] || die "PostgreSQL was installed but its server binaries were not found"
        return
    fi
    die "PostgreSQL 14+ server binaries not found: install them (sudo apt-get install -y postgresql), point SOLEFLIP_PG_BINDIR at them, or set DATABASE_URL to an existing server"
}

# Debian's chromium and chromium-driver, for the web page's browser tests (installed as root;
# otherwise a warning, and those tests fail saying what to install).
ensure_chromium() {
    if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then return; fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "soleflip setup: installing the test browser (apt-get install -y chromium chromium-driver)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >&2 \
            || die "apt-get install -y chromium chromium-driver failed"
        return
    fi
    # The rest of the suite still runs; the browser test fails naming what to install.
    echo "soleflip setup: chromium or chromedriver missing: the browser tests will fail; install them (sudo apt-get install -y chromium chromium-driver)" >&2
}

# axe-core (npm, pinned by crates/soleflip-server/tests/axe/package-lock.json) for the browser
# test's accessibility check; npm is installed as root when missing.
ensure_axe() {
    dir=crates/soleflip-server/tests/axe
    if [ -f "$dir/node_modules/axe-core/axe.min.js" ]; then return; fi
    if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "soleflip setup: installing npm (apt-get install -y npm) for the accessibility check" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >&2 || true
    fi
    if command -v npm >/dev/null 2>&1; then
        npm ci --prefix "$dir" --no-audit --no-fund >&2 || die "npm ci in $dir failed"
    else
        echo "soleflip setup: npm missing: the browser test will fail; install it (sudo apt-get install -y npm), then: npm ci --prefix $dir" >&2
    fi
}
