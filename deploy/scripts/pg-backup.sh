#!/usr/bin/env bash
# Back up the verifier's PostgreSQL database with pg_dump's custom format (-Fc), check that the
# dump reads back, keep the newest YZT_BACKUP_KEEP dumps, and print the new file's path.
#
#   pg-backup.sh [DATABASE_URL [BACKUP_DIR]]
#   DATABASE_URL  libpq URL; "postgresql+psycopg://" (the verifier's store.url) also works.
#                 Default $YZT_PG_URL. Passwords: ~/.pgpass or PGPASSFILE, never the URL.
#   BACKUP_DIR    default $YZT_BACKUP_DIR, else /var/backups/yzt. Dumps are mode 0600.
set -euo pipefail

url="${1:-${YZT_PG_URL:-}}"
dir="${2:-${YZT_BACKUP_DIR:-/var/backups/yzt}}"
keep="${YZT_BACKUP_KEEP:-14}"
if [[ -z "$url" ]]; then
    echo "pg-backup: no database URL: pass one or set YZT_PG_URL (e.g. postgresql:///yzt)" >&2
    exit 2
fi
if ! [[ "$keep" =~ ^[1-9][0-9]*$ ]]; then
    echo "pg-backup: YZT_BACKUP_KEEP must be a whole number ≥ 1, got '$keep'" >&2
    exit 2
fi
url="${url/postgresql+psycopg:/postgresql:}"

umask 077
mkdir -p "$dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
file="$dir/yzt-$stamp.dump"
partial="$file.partial"
trap 'rm -f "$partial"' EXIT

pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$partial" "$url"
pg_restore --list "$partial" > /dev/null
mv "$partial" "$file"

mapfile -t old < <(ls -1t "$dir"/yzt-*.dump | tail -n "+$((keep + 1))")
if ((${#old[@]})); then
    rm -f -- "${old[@]}"
fi
echo "$file"
