#!/usr/bin/env bash
# The orgusers benchmark harness, in one command:
#   bench/run.sh [--users N] [--duration SECONDS] [--rounds R] [--postgres URL | --no-postgres]
# Builds in release mode, installs wrk if missing, seeds a store, and measures orgusers against
# the ceiling server on loopback. Results: stdout and bench/results/latest.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq wrk >&2
fi
cargo build --release -p orgusers -p orgusers-bench-ceiling
exec python3 bench/harness.py "$@"
