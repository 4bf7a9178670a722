#!/usr/bin/env bash
# The web console's browser suite: Playwright (PyPI) driving Debian's Chromium, axe-core (npm)
# injected into every page. Installs what it needs on a fresh Debian machine (the chromium
# package, a venv at target/browser-venv, browser/node_modules), then runs pytest.
#
#   ORGUSERS_BIN=target/debug/orgusers bash browser/run.sh                 # the suite
#   ORGUSERS_BIN=target/debug/orgusers bash browser/run.sh --screenshots   # docs/console/*.png
#
# It never compiles: ORGUSERS_BIN (default target/release/orgusers) must be built already.
# Fails if pytest fails or collects no test (pytest's exit 5).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export ORGUSERS_BIN=${ORGUSERS_BIN:-$root/target/release/orgusers}
case "$ORGUSERS_BIN" in /*) ;; *) ORGUSERS_BIN="$root/$ORGUSERS_BIN" ;; esac
[ -x "$ORGUSERS_BIN" ] || { echo "browser/run.sh: no orgusers binary at $ORGUSERS_BIN (build it, or set ORGUSERS_BIN)" >&2; exit 1; }

echo "-- Chromium (Debian's package)"
if [ ! -x /usr/bin/chromium ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
fi
# The launcher script prints a shell warning on some machines: the version is the last line.
/usr/bin/chromium --version 2>/dev/null | tail -n 1

echo "-- Python packages (pinned: playwright, pytest)"
venv="$root/target/browser-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r browser/requirements.txt

echo "-- npm packages (pinned: axe-core)"
(cd browser && npm ci --no-audit --no-fund --loglevel=error)

if [ "${1:-}" = "--screenshots" ]; then
  echo "-- screenshots to docs/console/"
  "$venv/bin/python" browser/screenshots.py
  exit 0
fi

echo "-- the console in Chromium: flows, CSRF, axe-core ($ORGUSERS_BIN)"
# pytest exits non-zero on a failure, and with 5 when it collected no test: both fail here.
# -rsx names any skipped test and expected failure (there should be none).
(cd browser && "$venv/bin/python" -m pytest -q -p no:cacheprovider -rsx "${@}")
