#!/bin/sh
# An e-commerce pipeline with psql alone: takes a harness run's CSV files, in name order, through
# ecommerce-pipeline.sql into PostgreSQL, and stops once every shard's _DONE marker is there and
# every file is in. Run it again at any time: files already in are skipped (harness_checkpoints).
#
#   PG_URL=postgres://postgres@127.0.0.1:5432/test \
#     docs/examples/ecommerce-pipeline.sh .harness/runs/<run id>/data/ecommerce [schema]
#
# Needs psql and GNU date (for the file's mtime in milliseconds). See docs/external-pipeline.md.
set -eu

dir=${1:?usage: ecommerce-pipeline.sh <dataset dir> [schema]}
schema=${2:-harness}
: "${PG_URL:?set PG_URL to the PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/test}"
sql="$(dirname "$0")/ecommerce-pipeline.sql"

sql_session() {
  psql "$PG_URL" -X -q -v ON_ERROR_STOP=1 -v schema="$schema" "$@"
}

# True once every shard of some split has written its marker: _DONE-1-of-n .. _DONE-n-of-n.
finished() {
  for marker in "$dir"/_DONE-*-of-*; do
    [ -e "$marker" ] || return 1
    n=${marker##*-of-}
    [ "$(ls "$dir" | grep -c "^_DONE-[0-9]*-of-$n\$")" -eq "$n" ] && return 0
  done
  return 1
}

while :; do
  # Look at the markers before listing: every file committed before them is then in the listing.
  if finished; then last_pass=1; else last_pass=0; fi
  taken=$(sql_session -At -c "SELECT source FROM \"$schema\".harness_checkpoints WHERE dataset = 'ecommerce' AND done")
  # Committed files only: .tmp_* are being written, _DONE-* are markers.
  for file in $(ls "$dir" | grep -v '^[._]' | LC_ALL=C sort); do
    if printf '%s\n' "$taken" | grep -qxF "$file"; then continue; fi
    # produced_at: when the file was committed (renamed into place), i.e. its mtime.
    produced_at=$(date -u -r "$dir/$file" +%Y-%m-%dT%H:%M:%S.%3NZ)
    sql_session -1 -v source="$file" -v produced_at="$produced_at" -f "$sql" < "$dir/$file"
    echo "$file: done"
  done
  [ "$last_pass" = 1 ] && break
  sleep 1
done
