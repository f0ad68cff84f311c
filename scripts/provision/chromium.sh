#!/usr/bin/env bash
# Debian's Chromium, which the web-export test (test/plugins/web-export/page.test.ts) drives
# headless through playwright-core (which never downloads a browser of its own).
set -euo pipefail
source "$(dirname "$0")/_lib.sh"
apt_install chromium
