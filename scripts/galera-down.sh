#!/usr/bin/env bash
# Stop the Galera nodes started by scripts/galera-up.sh (idempotent).
#
#   bash scripts/galera-down.sh            # stop n3, n2, n1 cleanly, one at a time
#   bash scripts/galera-down.sh --purge    # ... and delete ${GALERA_DIR:-/tmp/lifeline-galera}
#
# Nodes are shut down one after the other (mariadb-admin shutdown through the node's socket), each leaving
# the cluster before the next goes, so the last one stopped (normally n1) ends with safe_to_bootstrap: 1
# in its grastate.dat and galera-up.sh restarts the same cluster from it. A node that has not exited after
# $GALERA_STOP_TIMEOUT seconds (60) is SIGKILLed (galera-up.sh then recovers its position). Only processes
# whose pid file and command line match this tooling's defaults file are touched.
set -euo pipefail

GALERA_DIR="${GALERA_DIR:-/tmp/lifeline-galera}"
STOP_TIMEOUT="${GALERA_STOP_TIMEOUT:-60}"
PURGE=0
for a in "$@"; do
  case "$a" in
    --purge) PURGE=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "[galera-down] ERROR: unknown argument '$a' (use --purge)" >&2; exit 2 ;;
  esac
done

log() { echo "[galera-down] $*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { log "ERROR: not root and sudo is not available"; exit 1; }
  SUDO="sudo"
fi

pid_alive() {
  [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
node_pid() {
  local k=$1 pid cnf="$GALERA_DIR/n$1/n$1.cnf"
  pid="$($SUDO cat "$GALERA_DIR/n$k/n$k.pid" 2>/dev/null || true)"
  if pid_alive "$pid" && $SUDO tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--defaults-file=$cnf "; then
    echo "$pid"
  fi
  return 0
}

# One galera-up.sh / galera-down.sh at a time.
if [ -d "$GALERA_DIR" ]; then
  exec 9>>"$GALERA_DIR.lock"
  flock -w 600 9 || { log "ERROR: another galera-up.sh/galera-down.sh holds $GALERA_DIR.lock"; exit 1; }
fi

stopped_any=0
for k in 3 2 1; do
  pid="$(node_pid "$k")"
  if [ -z "$pid" ]; then
    $SUDO rm -f "$GALERA_DIR/n$k/n$k.pid"
    continue
  fi
  stopped_any=1
  t0=$(date +%s)
  log "n$k: shutting down (pid $pid)"
  if ! $SUDO mariadb-admin --no-defaults --protocol=socket --socket="$GALERA_DIR/n$k/n$k.sock" -uroot \
       --connect-timeout=2 shutdown >/dev/null 2>&1; then
    log "n$k: mariadb-admin shutdown failed: sending SIGTERM"
    $SUDO kill -TERM "$pid" 2>/dev/null || true
  fi
  deadline=$(( t0 + STOP_TIMEOUT ))
  while pid_alive "$pid"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "n$k: did not exit within ${STOP_TIMEOUT}s: sending SIGKILL"
      $SUDO kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.2
  done
  $SUDO rm -f "$GALERA_DIR/n$k/n$k.pid"
  log "n$k: stopped ($(( $(date +%s) - t0 ))s)"
done
[ "$stopped_any" -eq 1 ] || log "no Galera node of $GALERA_DIR is running"

if [ "$PURGE" -eq 1 ] && [ -e "$GALERA_DIR" ]; then
  log "removing $GALERA_DIR"
  $SUDO rm -rf -- "$GALERA_DIR"
  rm -f "$GALERA_DIR.lock"
fi
