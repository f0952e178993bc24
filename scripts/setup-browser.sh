#!/usr/bin/env bash
# Debian's Chromium and ChromeDriver for the browser tests (tests/test_browser.py); no browser download.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
echo "paragraf: installing Debian's chromium and chromium-driver for the browser tests"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "paragraf: need root (or sudo) to apt-get install chromium chromium-driver" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q chromium chromium-driver >/dev/null \
  || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q chromium chromium-driver >/dev/null; }
/usr/bin/chromium --version
