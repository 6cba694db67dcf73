# Shared by scripts/dev.sh and scripts/test.sh: install what is missing, skip what is there.
# The recipe is ../shared/reference/toolchain.md (cargo-leptos 0.3.10, wasm-bindgen-cli
# pinned to Cargo.lock, Tailwind and wasm-opt from npm, Debian's Chromium).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Compiled artifacts live outside the clone, so every checkout (and CI) reuses them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/dezky/target}"
# The same environment cargo-leptos uses for debug builds, so tests share its artifacts.
export LEPTOS_OUTPUT_NAME=dezky
export RUSTFLAGS="${RUSTFLAGS:---cfg erase_components}"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

ensure_rust_tools() {
  command -v cargo >/dev/null || { echo "Rust (rustup) is needed: https://rustup.rs" >&2; exit 1; }
  if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo leptos --version 2>/dev/null | grep -q ' 0.3.10$'; then
    say "installing cargo-leptos 0.3.10 (about 20 minutes, once)"
    cargo install cargo-leptos --locked --version 0.3.10
  fi
  local wb
  wb="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')"
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $wb\$"; then
    say "installing wasm-bindgen-cli $wb (matches Cargo.lock)"
    # Not --locked: its lockfile pins a webpki-roots the index does not offer.
    cargo install wasm-bindgen-cli --version "$wb" --force
  fi
}

ensure_node_packages() {
  command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -x node_modules/.bin/tailwindcss ] || [ ! -x node_modules/.bin/wasm-opt ] \
     || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm packages (Tailwind, binaryen's wasm-opt, Playwright)"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    say "installing Debian's Chromium"
    apt_install chromium
  fi
}

# PostgreSQL on 127.0.0.1:5432 for the tests (trust auth, database `test`), started if down.
ensure_postgres() {
  if [ -n "${TEST_POSTGRES_URL:-}" ]; then return; fi
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  if [ ! -d /etc/postgresql ] || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    say "installing PostgreSQL"
    apt_install postgresql
    local v
    v="$(ls /etc/postgresql | head -n1)"
    # Local test server only: trust connections from this machine.
    as_root sed -i 's/^\(host\s\+all\s\+all\s\+127.0.0.1\/32\s\+\)\S\+/\1trust/' "/etc/postgresql/$v/main/pg_hba.conf"
  fi
  say "starting PostgreSQL"
  local v
  v="$(ls /etc/postgresql | head -n1)"
  as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
  pg_isready -h 127.0.0.1 -p 5432
  psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -d postgres -c 'CREATE DATABASE test' >/dev/null
}

# localstripe (PyPI) for the Stripe steps, on 127.0.0.1:8420 unless LOCALSTRIPE_URL is set.
ensure_localstripe() {
  if [ -n "${LOCALSTRIPE_URL:-}" ]; then return; fi
  export LOCALSTRIPE_URL=http://127.0.0.1:8420
  if curl -s -o /dev/null -H 'Authorization: Bearer sk_test_probe' "$LOCALSTRIPE_URL/v1/customers"; then return; fi
  if ! command -v localstripe >/dev/null; then
    say "installing localstripe"
    python3 -m pip install --quiet localstripe
  fi
  say "starting localstripe"
  localstripe --port 8420 --from-scratch >"${TMPDIR:-/tmp}/localstripe.log" 2>&1 &
  LOCALSTRIPE_PID=$!
  for _ in $(seq 1 50); do
    curl -s -o /dev/null -H 'Authorization: Bearer sk_test_probe' "$LOCALSTRIPE_URL/v1/customers" && return
    sleep 0.2
  done
  echo "localstripe did not start; see ${TMPDIR:-/tmp}/localstripe.log" >&2
  exit 1
}

# The console's Stripe settings for localstripe at $LOCALSTRIPE_URL (its fake Stripe.js too).
export_localstripe_settings() {
  export STRIPE_ENABLED=true STRIPE_SECRET_KEY=sk_test_dezky STRIPE_PUBLISHABLE_KEY=pk_test_dezky
  export STRIPE_API_BASE="$LOCALSTRIPE_URL" STRIPE_DIALECT=localstripe
  export STRIPE_JS_URL="$LOCALSTRIPE_URL/js.stripe.com/v3/"
}
