#!/usr/bin/env bash
# A PostgreSQL 15 cluster of its own for the crash test on PostgreSQL, which restarts its database
# (`pg_ctlcluster … restart -m immediate`) and so must never run on the cluster other tests share:
# creates the cluster `trackcrash` on port 5499 if it is missing, starts it, makes the test's role
# and database (through scripts/postgres.sh) and prints the database's URL on stdout. Run as root.
#   TRACKING_TEST_CRASH_DATABASE_URL=$(scripts/postgres-crash-cluster.sh)
#   scripts/postgres-crash-cluster.sh --remove    # stops and drops the cluster
# Names can be changed with PG_VERSION, PG_CRASH_CLUSTER and PG_CRASH_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."

version="${PG_VERSION:-15}"
cluster="${PG_CRASH_CLUSTER:-trackcrash}"
port="${PG_CRASH_PORT:-5499}"

if ! command -v pg_createcluster >/dev/null 2>&1; then
  echo "pg_createcluster not found: install PostgreSQL ${version} (Debian: postgresql-${version})" >&2
  exit 1
fi

exists=$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print "yes"}')
if [ "${1:-}" = "--remove" ]; then
  if [ "$exists" = yes ]; then
    pg_dropcluster --stop "$version" "$cluster" >&2
  fi
  exit 0
fi
if [ "$exists" != yes ]; then
  pg_createcluster "$version" "$cluster" --port "$port" >&2
fi

PG_VERSION="$version" PG_CLUSTER="$cluster" scripts/postgres.sh
