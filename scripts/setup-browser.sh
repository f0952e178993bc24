#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver for the browser tests (tests/test_browser.py); no browser download.
# And axe-core, the accessibility rules those tests check the page with: the npm registry's package,
# pinned by version and sha256, unpacked into the cache (no node_modules in the project).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
  bash scripts/apt-install.sh "the browser tests" chromium chromium-driver
  /usr/bin/chromium --version
fi

AXE_VERSION=4.14.1
AXE_SHA256=e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
AXE_DIR="${PARAGRAF_AXE_DIR:-$HOME/.cache/paragraf/axe-core}"  # tests/test_browser.py reads it there
if [ "$(cat "$AXE_DIR/VERSION" 2>/dev/null)" != "$AXE_VERSION" ] || [ ! -s "$AXE_DIR/axe.min.js" ]; then
  command -v npm >/dev/null 2>&1 || { echo "paragraf: npm is needed to fetch axe-core for the browser tests" >&2; exit 1; }
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null)
  echo "$AXE_SHA256  $work/axe-core-$AXE_VERSION.tgz" | sha256sum -c --quiet - \
    || { echo "paragraf: axe-core-$AXE_VERSION.tgz does not match its pinned sha256" >&2; exit 1; }
  tar -xzf "$work/axe-core-$AXE_VERSION.tgz" -C "$work" package/axe.min.js package/LICENSE
  mkdir -p "$AXE_DIR"
  mv "$work/package/LICENSE" "$AXE_DIR/LICENSE"
  mv "$work/package/axe.min.js" "$AXE_DIR/axe.min.js.part" && mv "$AXE_DIR/axe.min.js.part" "$AXE_DIR/axe.min.js"
  echo "$AXE_VERSION" > "$AXE_DIR/VERSION"
  echo "paragraf: axe-core $AXE_VERSION in $AXE_DIR"
fi
