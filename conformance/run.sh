#!/usr/bin/env bash
# The official clients against orgusers: the Python SDK (openai 3.54.0), the Node SDK
# (openai 7.55.0) and schemathesis contract fuzzing with the official spec subset. Installs what
# it needs; fails if any suite fails or runs no test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
spec=${ORGUSERS_SPEC:-$root/../shared/spec/organization-users.openapi.yaml}
fuzz_seconds=${ORGUSERS_FUZZ_SECONDS:-120}

echo "-- building orgusers"
cargo build --bin orgusers
export ORGUSERS_BIN="$root/target/debug/orgusers"

echo "-- Python packages"
venv="$root/target/conformance-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r conformance/python/requirements.txt

echo "-- Python SDK suite"
# pytest exits non-zero on a failure and with 5 when it collected no test: both fail this script.
(cd conformance/python && "$venv/bin/python" -m pytest -q -p no:cacheprovider)

echo "-- Node packages"
(cd conformance/node && npm ci --no-audit --no-fund --loglevel=error)

echo "-- Node SDK suite"
node_log=$(mktemp)
(cd conformance/node && node --test) | tee "$node_log"
passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$node_log")
rm -f "$node_log"
[ "${passed:-0}" -gt 0 ] || { echo "the Node suite ran no test" >&2; exit 1; }

echo "-- schemathesis against the official spec subset"
[ -f "$spec" ] || { echo "spec not found at $spec (set ORGUSERS_SPEC)" >&2; exit 1; }
work=$(mktemp -d)
key=sk-admin-schemathesis-key-0000000000
"$ORGUSERS_BIN" seed --database "sqlite://$work/fuzz.db" --count 200 2>/dev/null
"$ORGUSERS_BIN" serve --listen 127.0.0.1:0 --database "sqlite://$work/fuzz.db" --admin-key "$key" \
  >"$work/serve.out" 2>"$work/serve.err" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  [ -s "$work/serve.out" ] && break
  sleep 0.1
done
base=$(head -n 1 "$work/serve.out" | sed 's/^listening on //')
[ -n "$base" ] || { echo "orgusers serve did not start" >&2; cat "$work/serve.err" >&2; exit 1; }
PATH="$venv/bin:$PATH" conformance/schemathesis/run.sh "$base/v1" "$key" "$spec" "$fuzz_seconds"
if grep -q 'status=500' "$work/serve.err"; then
  echo "the server answered 500 during fuzzing:" >&2
  grep 'status=500' "$work/serve.err" >&2
  exit 1
fi
echo "-- conformance: all suites passed"
