#!/usr/bin/env bash
# Restore a pg-backup.sh dump into the verifier's database, replacing what is there, in one
# transaction: on any error nothing changes. Stop the verifier replicas first.
#
#   pg-restore.sh DUMP DATABASE_URL --yes
#   DATABASE_URL  libpq URL; "postgresql+psycopg://" (the verifier's store.url) also works.
#   --yes         required: the database's current contents are dropped.
set -euo pipefail

usage="usage: pg-restore.sh DUMP DATABASE_URL --yes"
if [[ $# -ne 3 || "$3" != "--yes" ]]; then
    echo "pg-restore: $usage (--yes: the database's contents are replaced)" >&2
    exit 2
fi
dump="$1"
url="${2/postgresql+psycopg:/postgresql:}"
if [[ ! -r "$dump" ]]; then
    echo "pg-restore: cannot read the dump file $dump" >&2
    exit 2
fi
if ! pg_restore --list "$dump" > /dev/null 2>&1; then
    echo "pg-restore: $dump is not a pg_dump custom-format (-Fc) archive" >&2
    exit 2
fi

pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
    --exit-on-error --dbname="$url" "$dump"
echo "Restored $dump. Next: systemctl start yzt-verifier@8081 yzt-verifier@8082"
