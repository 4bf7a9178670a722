#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 (starting it, or installing it from
# Debian's packages, if needed) and prints a connection URL for the test suite on standard output.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  log "PostgreSQL is not installed; installing it"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
  for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
fi
pg_isready -h 127.0.0.1 -p 5432 >&2 || { log "PostgreSQL does not answer on 127.0.0.1:5432"; exit 1; }

# Machines of this project allow the postgres user without a password on loopback; a fresh
# Debian install asks for one, so give it one through the local socket.
url="postgres://postgres@127.0.0.1:5432/postgres"
if ! psql "$url" -Atqc "SELECT 1" >/dev/null 2>&1; then
  log "setting a password for the postgres user"
  su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'orgusers-ci'\"" >&2
  url="postgres://postgres:orgusers-ci@127.0.0.1:5432/postgres"
fi
psql "$url" -Atqc "SELECT 1" >/dev/null || { log "cannot connect to $url"; exit 1; }
echo "$url"
