#!/bin/sh
# Installs the browser test's one dependency (playwright-core, exact version in
# package-lock.json) into tests/web/node_modules. Idempotent: does nothing when node_modules is
# already in step with the lock file. No browser is downloaded: the test drives Debian's
# /usr/bin/chromium. Without npm it only warns (the web tests then report SKIP).
set -eu
cd "$(dirname "$0")"
if [ -f node_modules/.package-lock.json ] && [ -d node_modules/playwright-core ] &&
   [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "tests/web: node_modules up to date"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "tests/web: npm not found; the web page tests will be skipped (install nodejs + npm)" >&2
  exit 0
fi
echo "tests/web: npm ci (playwright-core, pinned)"
npm ci --no-audit --no-fund
