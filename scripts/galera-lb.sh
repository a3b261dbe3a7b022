#!/usr/bin/env bash
# HAProxy in front of the Galera cluster of scripts/galera-up.sh (and, optionally, of application servers).
#
#   bash scripts/galera-lb.sh up       # write the config, start HAProxy or reload it if the config changed
#   bash scripts/galera-lb.sh status   # state of every server as HAProxy sees it
#   bash scripts/galera-lb.sh down     # stop it
#
# - installs the Debian package haproxy (and socat, for the stats socket) if missing; does not use its
#   service: runs `haproxy -f <cfg> -D -p <pidfile>` with everything under
#   ${GALERA_LB_DIR:-/tmp/lifeline-galera-lb} (haproxy.cfg, haproxy.pid, haproxy.sock);
# - TCP frontends 127.0.0.1:4316, 4317, 4318: frontend 431K sends to node K (SQL port 4305+K) and fails over
#   to the other two (`backup` servers) while node K is not Synced. Health check: scripts/galera-check.sh
#   (wsrep_ready=ON and Synced), every second, down after 2 failures, up after 2 successes;
# - GALERA_LB_APP=127.0.0.1:3201,127.0.0.1:3202,... adds an HTTP frontend on ${GALERA_LB_APP_PORT:-3200}
#   balancing round-robin over those application servers (health: GET /healthz);
# - `up` prints the three database URLs as the LAST three lines of stdout (the app URL goes to stderr).
set -euo pipefail

LB_DIR="${GALERA_LB_DIR:-/tmp/lifeline-galera-lb}"
CFG="$LB_DIR/haproxy.cfg"
PID_FILE="$LB_DIR/haproxy.pid"
SOCK="$LB_DIR/haproxy.sock"
APP_SERVERS="${GALERA_LB_APP:-}"
APP_PORT="${GALERA_LB_APP_PORT:-3200}"
CHECK_SCRIPT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/galera-check.sh"

log() { echo "[galera-lb] $*" >&2; }
die() { echo "[galera-lb] ERROR: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "not root and sudo is not available"
  SUDO="sudo"
fi

pid_alive() {
  [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
# Pid of our HAProxy (the pid file checked against the process's name), or nothing.
lb_pid() {
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  if pid_alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "haproxy" ]; then echo "$pid"; fi
  return 0
}

find_haproxy() {
  if command -v haproxy >/dev/null 2>&1; then command -v haproxy
  elif [ -x /usr/sbin/haproxy ]; then echo /usr/sbin/haproxy
  else return 1
  fi
}

install_packages() {
  local missing=()
  find_haproxy >/dev/null || missing+=(haproxy)
  command -v socat >/dev/null 2>&1 || missing+=(socat)
  [ -x /usr/bin/mariadb ] || [ -x /usr/bin/mysql ] || missing+=(mariadb-client)
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing ${missing[*]} via apt"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y \
    --no-install-recommends "${missing[@]}" >&2
}

stats_cmd() { echo "$1" | socat -t 2 stdio "unix-connect:$SOCK"; }

# --- configuration --------------------------------------------------------------------------------
db_backend() { # K: backend for frontend 431K
  local k=$1 j n
  cat <<EOF

frontend galera_$(( 4315 + k ))
    bind 127.0.0.1:$(( 4315 + k ))
    default_backend galera_n$k

backend galera_n$k
    option external-check
    external-check path "/usr/bin:/bin:/usr/sbin"
    external-check command $CHECK_SCRIPT
    default-server check inter 1s fall 2 rise 2 on-marked-down shutdown-sessions
    # Preferred node. When it comes back (Synced twice in a row), the sessions still open on a backup are
    # cut (on-marked-up shutdown-backup-sessions): otherwise pooled connections (idle for up to an hour)
    # would stay on the backup node indefinitely and this frontend's traffic would never return to its own
    # node. The cost is that a transaction in flight on such a connection fails with a lost connection;
    # the application reruns a unit of work that loses its connection, so that is acceptable.
    server n$k 127.0.0.1:$(( 4305 + k )) on-marked-up shutdown-backup-sessions
EOF
  # Backups in rotating order (for 4317: n3 then n1), so the fail-over load of the three frontends is
  # spread; only the first backup that is up gets traffic.
  for j in 1 2; do
    n=$(( (k - 1 + j) % 3 + 1 ))
    echo "    server n$n 127.0.0.1:$(( 4305 + n )) backup"
  done
}

app_section() {
  local i=0 s
  cat <<EOF

# Application servers (GALERA_LB_APP). GET /healthz answers 200 only while the process reaches its database.
frontend app
    mode http
    bind 127.0.0.1:$APP_PORT
    timeout http-request 10s
    default_backend app

backend app
    mode http
    balance roundrobin
    option forwardfor
    option httpchk GET /healthz
    http-check expect status 200
    default-server check inter 1s fall 2 rise 1
    timeout server 30s
    option redispatch
    retry-on conn-failure empty-response response-timeout
    # A request that reached a server may have been executed there: resend only GET/HEAD after an empty
    # response or a response timeout (connection failures are retried for every method).
    http-request disable-l7-retry if !METH_GET
EOF
  IFS=',' read -r -a servers <<<"$APP_SERVERS"
  for s in "${servers[@]}"; do
    s="${s// /}"; [ -n "$s" ] || continue
    i=$(( i + 1 ))
    echo "    server app$i $s"
  done
  [ "$i" -gt 0 ] || die "GALERA_LB_APP is set but lists no server"
}

render_config() {
  cat <<EOF
# Written by scripts/galera-lb.sh (rewritten on every 'up'): HAProxy in front of the Galera nodes of
# scripts/galera-up.sh. Do not edit: change the script.
global
    maxconn 2000
    # Health checks run scripts/galera-check.sh (a forked process: needs both of these).
    external-check
    insecure-fork-wanted
    stats socket $SOCK mode 600 level admin
    # After a reload the old process serves its open sessions at most this long.
    hard-stop-after 30s

defaults
    mode tcp
    timeout connect 1s
    # Pooled connections sit idle for long stretches.
    timeout client 1h
    timeout server 1h
    # Longest a health check may take (galera-check.sh gives up after 2 s itself).
    timeout check 2s
    retries 3
    option redispatch
EOF
  local k
  for k in 1 2 3; do db_backend "$k"; done
  if [ -n "$APP_SERVERS" ]; then app_section; fi
}

# --- commands -------------------------------------------------------------------------------------
cmd_status() {
  local pid
  pid="$(lb_pid)"
  if [ -z "$pid" ]; then log "HAProxy is not running"; return 3; fi
  command -v socat >/dev/null 2>&1 || die "socat is missing (run: $0 up)"
  log "HAProxy pid $pid, config $CFG"
  # One line per server: proxy, server, role, status, last check, current sessions.
  stats_cmd "show stat" | awk -F, '
    NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i;
              printf "%-12s %-6s %-7s %-10s %-28s %s\n", "backend", "server", "role", "status", "last check", "sessions"; next }
    $2 == "FRONTEND" || $2 == "BACKEND" || $1 == "" { next }
    { role = ($(col["bck"]) == 1) ? "backup" : "active"
      chk = $(col["check_status"]); if ($(col["check_code"]) != "") chk = chk "/" $(col["check_code"])
      if ($(col["check_duration"]) != "") chk = chk " " $(col["check_duration"]) "ms"
      printf "%-12s %-6s %-7s %-10s %-28s %s\n", $1, $2, role, $(col["status"]), chk, $(col["scur"]) }'
}

cmd_down() {
  local pid deadline
  pid="$(lb_pid)"
  if [ -z "$pid" ]; then
    log "HAProxy is not running"
  else
    log "stopping HAProxy (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(( $(date +%s) + 10 ))
    while pid_alive "$pid"; do
      if [ "$(date +%s)" -ge "$deadline" ]; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; break; fi
      sleep 0.1
    done
    log "HAProxy stopped"
  fi
  rm -f "$PID_FILE" "$SOCK"
}

cmd_up() {
  local haproxy pid tmp changed=1 k
  install_packages
  haproxy="$(find_haproxy)" || die "haproxy not found after apt-get install"
  [ -f "$CHECK_SCRIPT" ] || die "missing $CHECK_SCRIPT"
  [ -x "$CHECK_SCRIPT" ] || chmod +x "$CHECK_SCRIPT" 2>/dev/null || $SUDO chmod +x "$CHECK_SCRIPT" \
    || die "$CHECK_SCRIPT must be executable"
  mkdir -p "$LB_DIR"
  tmp="$(mktemp "$LB_DIR/haproxy.cfg.XXXXXX")"
  render_config >"$tmp"
  if [ -f "$CFG" ] && cmp -s "$tmp" "$CFG"; then changed=0; fi
  "$haproxy" -c -q -f "$tmp" >&2 || { rm -f "$tmp"; die "generated configuration is invalid (see above)"; }
  mv -f "$tmp" "$CFG"
  pid="$(lb_pid)"
  if [ -n "$pid" ] && [ "$changed" -eq 0 ]; then
    log "HAProxy (pid $pid) is running with this configuration: nothing to do"
  elif [ -n "$pid" ]; then
    log "configuration changed: reloading HAProxy (old pid $pid finishes its sessions, at most 30 s)"
    "$haproxy" -f "$CFG" -D -p "$PID_FILE" -sf "$pid" >&2 || die "HAProxy reload failed"
  else
    log "starting HAProxy ($("$haproxy" -v 2>/dev/null | head -n1))"
    rm -f "$SOCK"
    "$haproxy" -f "$CFG" -D -p "$PID_FILE" >&2 || die "HAProxy did not start"
  fi
  for _ in $(seq 50); do
    [ -n "$(lb_pid)" ] && [ -S "$SOCK" ] && stats_cmd "show info" >/dev/null 2>&1 && break
    sleep 0.1
  done
  [ -n "$(lb_pid)" ] || die "HAProxy is not running after start"
  # First health checks: servers start as UP-going-down until checked; give them a moment.
  sleep 2.5
  cmd_status >&2 || true
  [ -z "$APP_SERVERS" ] || log "application: http://127.0.0.1:$APP_PORT"
  for k in 1 2 3; do echo "mysql://lifeline:lifeline@127.0.0.1:$(( 4315 + k ))/lifeline"; done
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
