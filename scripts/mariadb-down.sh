#!/usr/bin/env bash
# Stop the MariaDB server started by scripts/mariadb-up.sh (pid file in
# $MARIADB_RUN_DIR, default /tmp/lifeline-mariadb). Never touches a server this
# tooling did not start. Waits up to $MARIADB_STOP_TIMEOUT seconds (60) for a
# clean shutdown, then SIGKILLs.
set -euo pipefail

RUN_DIR="${MARIADB_RUN_DIR:-/tmp/lifeline-mariadb}"
PID_FILE="$RUN_DIR/mariadb.pid"
STOP_TIMEOUT="${MARIADB_STOP_TIMEOUT:-60}"

log() { echo "[mariadb-down] $*" >&2; }

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

if [ ! -s "$PID_FILE" ]; then
  log "no pid file at $PID_FILE: nothing to stop"
  exit 0
fi
pid="$(cat "$PID_FILE")"

# Gone, or a zombie left behind because nothing reaps orphans (no init).
alive() {
  [ -d "/proc/$pid" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}

if ! alive || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "mariadbd" ]; then
  log "pid $pid is not a running mariadbd: removing stale pid file"
  rm -f "$PID_FILE"
  exit 0
fi

log "stopping mariadbd (pid $pid)"
$SUDO kill -TERM "$pid"
deadline=$(( $(date +%s) + STOP_TIMEOUT ))
while alive; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    log "mariadbd did not exit within ${STOP_TIMEOUT}s: sending SIGKILL"
    $SUDO kill -KILL "$pid" 2>/dev/null || true
    sleep 1
    break
  fi
  sleep 0.2
done
rm -f "$PID_FILE"
log "mariadbd stopped"
