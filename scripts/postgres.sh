#!/usr/bin/env bash
# Starts the machine's PostgreSQL 15 cluster if it is down, makes sure a login role and a database
# for the tests exist (the role owns the database, so it can create a schema per test), and prints
# the database's URL on stdout. Run as root (it switches to the postgres user for psql).
#   TRACKING_TEST_DATABASE_URL=$(scripts/postgres.sh)
# Names can be changed with PG_TEST_ROLE, PG_TEST_PASSWORD, PG_TEST_DATABASE, PG_VERSION, PG_CLUSTER.
set -euo pipefail

version="${PG_VERSION:-15}"
cluster="${PG_CLUSTER:-main}"
role="${PG_TEST_ROLE:-tracking}"
password="${PG_TEST_PASSWORD:-tracking}"
database="${PG_TEST_DATABASE:-tracking_test}"

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "pg_ctlcluster not found: install PostgreSQL ${version} (Debian: postgresql-${version})" >&2
  exit 1
fi

status=$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $4}')
if [ -z "$status" ]; then
  echo "no PostgreSQL cluster ${version}/${cluster} on this machine" >&2
  exit 1
fi
if [ "$status" != "online" ]; then
  pg_ctlcluster "$version" "$cluster" start >&2
fi
port=$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $3}')

psql_admin() {
  runuser -u postgres -- psql --quiet --no-psqlrc --port "$port" --set ON_ERROR_STOP=1 "$@"
}
# Wait until the server accepts connections (a start returns before that on slow machines).
for _ in $(seq 1 60); do
  if psql_admin --dbname postgres --command 'SELECT 1' >/dev/null 2>&1; then
    break
  fi
  sleep 0.5
done

role_exists=$(psql_admin --dbname postgres --tuples-only --no-align \
  --command "SELECT 1 FROM pg_roles WHERE rolname = '${role}'")
if [ "$role_exists" != "1" ]; then
  psql_admin --dbname postgres --command "CREATE ROLE \"${role}\" LOGIN PASSWORD '${password}'" >&2
fi
database_exists=$(psql_admin --dbname postgres --tuples-only --no-align \
  --command "SELECT 1 FROM pg_database WHERE datname = '${database}'")
if [ "$database_exists" != "1" ]; then
  psql_admin --dbname postgres --command "CREATE DATABASE \"${database}\" OWNER \"${role}\"" >&2
fi

echo "postgres://${role}:${password}@127.0.0.1:${port}/${database}"
