#!/usr/bin/env bash
# Makes sure PostgreSQL 15 is installed, running, and has a role that may create
# databases; exports PG_ADMIN_URL (a database URL for that role). Sourced by .ci/run and
# tests/bench/run.sh.
set -euo pipefail

PG_VERSION=${PG_VERSION:-15}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-hospital}
PG_PASSWORD=${PG_PASSWORD:-hospital-ci}
export PGCONNECT_TIMEOUT=5

if ! command -v pg_ctlcluster >/dev/null || [ ! -x "/usr/lib/postgresql/$PG_VERSION/bin/postgres" ]; then
  echo "==> installing PostgreSQL $PG_VERSION from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "postgresql-$PG_VERSION" "postgresql-client-$PG_VERSION" >/dev/null
fi
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$PG_VERSION main"; then
  echo "==> creating cluster $PG_VERSION/main"
  pg_createcluster "$PG_VERSION" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v && $2=="main" {print $4}' | grep -qx online; then
  echo "==> starting PostgreSQL $PG_VERSION"
  pg_ctlcluster "$PG_VERSION" main start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p "$PG_PORT" >/dev/null

psql_admin() { su postgres -c "psql -q -X -p $PG_PORT -v ON_ERROR_STOP=1 $*"; }
psql_admin <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END \$\$;
SQL
if ! psql_admin "-tAc \"SELECT 1 FROM pg_database WHERE datname = 'hospital_test'\"" | grep -q 1; then
  su postgres -c "createdb -p $PG_PORT -O $PG_USER hospital_test"
fi
export PG_ADMIN_URL="postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/hospital_test"

# Databases left behind by earlier test runs (tests create t_<id> databases).
psql_admin "-tAc \"SELECT datname FROM pg_database WHERE datname LIKE 't\\_%'\"" \
  | while read -r db; do [ -n "$db" ] && su postgres -c "dropdb -p $PG_PORT --if-exists $db"; done
