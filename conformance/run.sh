#!/usr/bin/env bash
# The official clients against orgusers: the Python SDK (openai 3.54.0, then the newest 3.x), the
# Node SDK (openai 7.55.0, then the newest 7.x) and schemathesis contract fuzzing with the official
# spec subsets (the users spec, then the users, roles, groups, projects and invites paths of the
# directory spec).
# Installs what it needs; fails if any suite fails or runs no test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
spec=${ORGUSERS_SPEC:-$root/../shared/spec/organization-users.openapi.yaml}
directory_spec=${ORGUSERS_DIRECTORY_SPEC:-$root/../shared/spec/organization-directory.openapi.yaml}
fuzz_seconds=${ORGUSERS_FUZZ_SECONDS:-120}
directory_fuzz_seconds=${ORGUSERS_DIRECTORY_FUZZ_SECONDS:-$fuzz_seconds}
# The paths of the directory spec that orgusers serves: users, roles, groups, projects with
# their users, service accounts (and their keys), API keys and groups, invites, and admin API
# keys. The others (audit logs, the project settings: certificates, data retention, permissions,
# rate limits, spend alerts and limits, …) are left out of the fuzzing.
directory_paths='^/organization/(users(/\{user_id\}(/roles(/\{role_id\})?)?)?|roles(/\{role_id\})?|groups(/\{group_id\}(/(users(/\{user_id\})?|roles(/\{role_id\})?))?)?'\
'|projects(/\{project_id\}(/(archive|users(/\{user_id\})?|service_accounts(/\{service_account_id\}(/api_keys)?)?'\
'|api_keys(/\{api_key_id\})?|groups(/\{group_id\})?))?)?|invites(/\{invite_id\})?|admin_api_keys(/\{key_id\})?|audit_logs)$'

echo "-- building orgusers"
cargo build --bin orgusers
export ORGUSERS_BIN="$root/target/debug/orgusers"

# python_suite VENV: the pytest suite with the openai package installed in VENV.
python_suite() {
  local version
  version=$("$1/bin/python" -c 'import openai; print(openai.__version__)')
  echo "-- Python SDK suite (openai $version)"
  # pytest exits non-zero on a failure and with 5 when it collected no test: both fail this script.
  (cd conformance/python && "$1/bin/python" -m pytest -q -p no:cacheprovider)
}

# node_suite DIR: node's test runner over the test files in DIR, with the openai package there.
node_suite() {
  local version log passed
  version=$(node -p "require('$1/node_modules/openai/package.json').version")
  echo "-- Node SDK suite (openai $version)"
  log=$(mktemp)
  (cd "$1" && node --test) | tee "$log"
  passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log")
  rm -f "$log"
  [ "${passed:-0}" -gt 0 ] || { echo "the Node suite in $1 ran no test" >&2; exit 1; }
}

echo "-- Python packages (pinned)"
venv="$root/target/conformance-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r conformance/python/requirements.txt
python_suite "$venv"

echo "-- Python packages (the newest openai 3.x)"
latest_venv="$root/target/conformance-venv-latest"
[ -x "$latest_venv/bin/python" ] || python3 -m venv "$latest_venv"
"$latest_venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade --upgrade-strategy eager \
  -r conformance/python/requirements-latest.txt
python_suite "$latest_venv"

echo "-- Node packages (pinned)"
(cd conformance/node && npm ci --no-audit --no-fund --loglevel=error)
node_suite "$root/conformance/node"

echo "-- Node packages (the newest openai 7.x)"
# The same test files, beside a fresh install of conformance/node-latest/package.json (no lock
# file, so npm resolves the newest 7.x every run).
latest_node="$root/target/conformance-node-latest"
rm -rf "$latest_node"
mkdir -p "$latest_node"
cp conformance/node-latest/package.json conformance/node/*.test.mjs "$latest_node/"
(cd "$latest_node" && npm install --no-package-lock --no-audit --no-fund --loglevel=error)
node_suite "$latest_node"

echo "-- schemas/routes.json: the schema of each route and status, as the directory spec gives them"
[ -f "$directory_spec" ] || { echo "spec not found at $directory_spec" >&2; exit 1; }
"$venv/bin/python" schemas/routes_from_spec.py "$directory_spec" --check

echo "-- schemathesis against the official spec subsets"
[ -f "$spec" ] || { echo "spec not found at $spec (set ORGUSERS_SPEC)" >&2; exit 1; }
[ -f "$directory_spec" ] || { echo "spec not found at $directory_spec (set ORGUSERS_DIRECTORY_SPEC)" >&2; exit 1; }
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
echo "-- schemathesis: the users spec"
PATH="$venv/bin:$PATH" conformance/schemathesis/run.sh "$base/v1" "$key" "$spec" "$fuzz_seconds"
echo "-- schemathesis: users, roles, groups, projects, invites and admin API keys of the directory spec"
PATH="$venv/bin:$PATH" conformance/schemathesis/run.sh "$base/v1" "$key" "$directory_spec" "$directory_fuzz_seconds" \
  "$directory_paths"
if grep -q 'status=500' "$work/serve.err"; then
  echo "the server answered 500 during fuzzing:" >&2
  grep 'status=500' "$work/serve.err" >&2
  exit 1
fi
echo "-- conformance: all suites passed"
