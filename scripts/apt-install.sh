#!/usr/bin/env bash
# Install Debian packages for Paragraf's helpers (Chromium, Tesseract): as root, or through sudo.
# Usage: bash scripts/apt-install.sh WHAT PACKAGE...   (WHAT says in the messages what they are for)
set -euo pipefail
what="$1"; shift
echo "paragraf: installing Debian's $* for $what"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "paragraf: need root (or sudo) to apt-get install $*" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q "$@" >/dev/null \
  || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q "$@" >/dev/null; }
