#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver for the browser tests (tests/test_browser.py); no browser download.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
bash scripts/apt-install.sh "the browser tests" chromium chromium-driver
/usr/bin/chromium --version
