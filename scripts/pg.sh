#!/usr/bin/env bash
# pg.sh runs a private, throwaway PostgreSQL 15 cluster for `make run` and
# `make test` when DATABASE_URL is not set.
#
#   scripts/pg.sh start   install (apt-get) if missing, initdb if new, start or reuse
#   scripts/pg.sh stop    stop the cluster (data is kept for the next start)
#   scripts/pg.sh url     print the cluster's DATABASE_URL (for database "stockgraph")
#   scripts/pg.sh status  say whether it runs
#
# The data folder lives outside the repository ($STOCKGRAPH_PGDATA, default
# /var/tmp/stockgraph-pg-$UID) and the server listens only on 127.0.0.1, on
# $STOCKGRAPH_PGPORT (default 55432). Each step says what it does on stderr.
# initdb refuses to run as root, so as root the cluster belongs to the
# "postgres" user and every server command runs as that user.
set -euo pipefail

PGVERSION=15
PGBIN=${PGBIN:-/usr/lib/postgresql/$PGVERSION/bin}
PGPORT=${STOCKGRAPH_PGPORT:-55432}
PGDATA=${STOCKGRAPH_PGDATA:-/var/tmp/stockgraph-pg-$(id -u)}
DBNAME=${STOCKGRAPH_PGDATABASE:-stockgraph}
LOG="$PGDATA.log"

say() { echo "pg.sh: $*" >&2; }

# as_owner runs a command as the cluster's owner: the postgres user when we
# are root, ourselves otherwise.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

owner_name() { if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi; }

ensure_installed() {
  if [ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/pg_ctl" ]; then return; fi
  if [ "$(id -u)" != 0 ]; then
    say "PostgreSQL $PGVERSION is not installed at $PGBIN; run: sudo apt-get install -y postgresql-$PGVERSION"
    exit 1
  fi
  say "installing postgresql-$PGVERSION with apt-get (first run only)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "postgresql-$PGVERSION" >&2
  # Debian's package may start its own cluster; we never use it.
}

ensure_cluster() {
  if [ -f "$PGDATA/PG_VERSION" ]; then return; fi
  say "initdb: creating a new cluster in $PGDATA (first run only)"
  mkdir -p "$PGDATA"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGDATA"; fi
  chmod 700 "$PGDATA"
  as_owner "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGDATA'
max_connections = 200
shared_buffers = 256MB
fsync = on
shared_preload_libraries = 'pg_stat_statements'
CONF
}

running() { as_owner "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

start() {
  ensure_installed
  ensure_cluster
  if running; then
    say "reusing the cluster already running on 127.0.0.1:$PGPORT"
  else
    say "starting PostgreSQL $PGVERSION on 127.0.0.1:$PGPORT (log: $LOG)"
    touch "$LOG"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$LOG"; fi
    as_owner "$PGBIN/pg_ctl" -D "$PGDATA" -l "$LOG" -w -t 60 start >/dev/null || {
      say "PostgreSQL did not start; its log ($LOG) ends with:"; tail -n 20 "$LOG" >&2; exit 1; }
    say "started (data: $PGDATA)"
  fi
  if ! as_owner "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -Atqc \
      "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'" | grep -q 1; then
    say "creating the database $DBNAME"
    as_owner "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres "$DBNAME"
  fi
}

stop() {
  if [ -f "$PGDATA/PG_VERSION" ] && running; then
    as_owner "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    say "stopped"
  else
    say "not running"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "postgres://postgres@127.0.0.1:$PGPORT/$DBNAME?sslmode=disable" ;;
  status) if [ -f "$PGDATA/PG_VERSION" ] && running; then echo "running on 127.0.0.1:$PGPORT ($PGDATA)"; else echo "stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|url|status" >&2; exit 2 ;;
esac
