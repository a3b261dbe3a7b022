#!/usr/bin/env bash
# Bring up a local MariaDB for Lifeline development and CI (idempotent).
#
#   bash scripts/mariadb-up.sh
#
# - installs mariadb-server + mariadb-client via apt if mariadbd is missing;
# - reuses a server that already answers `mariadb-admin ping`, otherwise starts
#   mariadbd in the background (log + pid in $MARIADB_RUN_DIR, default
#   /tmp/lifeline-mariadb) and waits up to $MARIADB_START_TIMEOUT seconds (30);
# - creates user lifeline@localhost / lifeline@127.0.0.1 (password lifeline),
#   database `lifeline`, and grants ALL on `lifeline` and `lifeline\_test%`
#   (test suites create/drop their own lifeline_test_<x> databases);
# - gives InnoDB a 1 GiB buffer pool ($MARIADB_BUFFER_POOL) instead of 128 MiB: the million-lead dashboards
#   (npm run bench:metrics) read ~600 MB of lead facts, and a production server would be sized for its data;
# - prints the connection URL as the LAST line of stdout. Everything else goes
#   to stderr, so `url=$(bash scripts/mariadb-up.sh | tail -n1)` is safe.
#
# Stop a server started by this script with scripts/mariadb-down.sh.
set -euo pipefail

RUN_DIR="${MARIADB_RUN_DIR:-/tmp/lifeline-mariadb}"
START_TIMEOUT="${MARIADB_START_TIMEOUT:-30}"
DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock
PORT=3306
URL="mysql://lifeline:lifeline@127.0.0.1:${PORT}/lifeline"

log() { echo "[mariadb-up] $*" >&2; }
die() { echo "[mariadb-up] ERROR: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "not root and sudo is not available"
  SUDO="sudo"
fi

find_mariadbd() {
  if command -v mariadbd >/dev/null 2>&1; then command -v mariadbd
  elif [ -x /usr/sbin/mariadbd ]; then echo /usr/sbin/mariadbd
  else return 1
  fi
}

# Running and not a zombie (nothing may reap orphans in a container).
pid_alive() {
  [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
# Root authenticates through unix_socket, so talk to the server as OS root.
ping_server() { $SUDO mariadb-admin --connect-timeout=2 ping >/dev/null 2>&1; }

# --- 1. install -------------------------------------------------------------
if ! MARIADBD="$(find_mariadbd)" || ! command -v mariadb >/dev/null 2>&1; then
  log "mariadbd/mariadb not found: installing mariadb-server and mariadb-client via apt"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y \
    --no-install-recommends mariadb-server mariadb-client >&2
  MARIADBD="$(find_mariadbd)" || die "mariadbd still not found after apt-get install"
fi
log "using $("$MARIADBD" --version 2>/dev/null || echo "$MARIADBD")"

# --- 2. start (or reuse) ----------------------------------------------------
if ping_server; then
  log "a MariaDB server already answers ping: reusing it"
else
  mkdir -p "$RUN_DIR"
  PID_FILE="$RUN_DIR/mariadb.pid"
  LOG_FILE="$RUN_DIR/mariadb.log"

  # A previous start of ours may still be coming up (or be a stale pid file).
  existing=""
  if [ -s "$PID_FILE" ]; then
    existing="$(cat "$PID_FILE")"
    if pid_alive "$existing" && [ "$(cat "/proc/$existing/comm" 2>/dev/null)" = "mariadbd" ]; then
      log "mariadbd (pid $existing) from a previous start is running; waiting for it"
    else
      log "removing stale pid file $PID_FILE"
      rm -f "$PID_FILE"
      existing=""
    fi
  fi

  if [ -z "$existing" ]; then
    $SUDO mkdir -p /run/mysqld
    $SUDO chown mysql /run/mysqld
    if [ ! -d "$DATADIR/mysql" ]; then
      log "initialising data directory $DATADIR"
      $SUDO mkdir -p "$DATADIR"
      $SUDO chown mysql "$DATADIR"
      $SUDO mariadb-install-db --user=mysql --datadir="$DATADIR" >&2
    fi
    log "starting mariadbd (log: $LOG_FILE)"
    rm -f "$PID_FILE"
    # The shell records its own pid, then execs (via setsid, so the server gets
    # its own session and survives the caller's process group) into mariadbd:
    # the recorded pid is mariadbd's, with or without sudo in front.
    # shellcheck disable=SC2016
    $SUDO sh -c 'echo $$ > "$1"; shift; exec setsid "$@"' sh "$PID_FILE" \
      "$MARIADBD" --user=mysql --datadir="$DATADIR" \
      --bind-address=127.0.0.1 --port="$PORT" --socket="$SOCKET" \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
      --innodb-buffer-pool-size="${MARIADB_BUFFER_POOL:-1G}" \
      </dev/null >"$LOG_FILE" 2>&1 &
    existing=$!   # mariadbd itself, or sudo (which lives exactly as long)
  fi

  deadline=$(( $(date +%s) + START_TIMEOUT ))
  until ping_server; do
    if ! pid_alive "$existing"; then
      echo "[mariadb-up] ERROR: mariadbd (pid $existing) exited during startup. Last lines of $LOG_FILE:" >&2
      tail -n 30 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      exit 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "[mariadb-up] ERROR: mariadbd (pid $existing) did not answer ping within ${START_TIMEOUT}s (stop it with scripts/mariadb-down.sh). Last lines of $LOG_FILE:" >&2
      tail -n 30 "$LOG_FILE" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  existing="$(cat "$PID_FILE" 2>/dev/null || echo "$existing")"
  log "mariadbd is up (pid $existing)"
fi

# --- 3. database, user, grants ----------------------------------------------
$SUDO mariadb --protocol=socket <"$(dirname "$0")/lifeline-db.sql" || die "could not create the lifeline database/user (is root using unix_socket auth?)"

# Sanity check over TCP as the application user.
mariadb --protocol=tcp -h127.0.0.1 -P"$PORT" -ulifeline -plifeline -e 'SELECT 1' lifeline >/dev/null \
  || die "cannot connect over TCP as lifeline@127.0.0.1:$PORT"
log "database 'lifeline' and user 'lifeline' ready"

echo "$URL"
