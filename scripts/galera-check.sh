#!/usr/bin/env bash
# Galera-aware health check of one node: exit 0 only if the node answers SHOW GLOBAL STATUS with
# wsrep_ready=ON and wsrep_local_state_comment=Synced. A node that refuses connections, does not answer
# within ~2 s, answers 1047, or is Joining / Joined / Donor/Desynced / Initialized, or non-Primary
# (wsrep_ready=OFF) → exit 1. `SELECT 1` alone is not enough: a non-Primary node still answers it.
#
#   bash scripts/galera-check.sh HOST PORT
#   HAProxy `external-check command`: called as  <proxy_addr> <proxy_port> <server_addr> <server_port>
#   with HAPROXY_SERVER_ADDR / HAPROXY_SERVER_PORT in the environment (and PATH from `external-check path`,
#   empty unless set: hence absolute paths below).
#
# Connects as galera_check (password galera_check, USAGE only; created by scripts/galera-up.sh).
# GALERA_CHECK_VERBOSE=1 prints the reason on stderr.
set -uo pipefail
PATH=/usr/bin:/bin:/usr/sbin:/sbin

MARIADB=/usr/bin/mariadb
[ -x "$MARIADB" ] || MARIADB=/usr/bin/mysql
TIMEOUT=/usr/bin/timeout

if [ "$#" -ge 4 ]; then
  host="$3"; port="$4"
elif [ "$#" -eq 2 ]; then
  host="$1"; port="$2"
elif [ -n "${HAPROXY_SERVER_ADDR:-}" ] && [ -n "${HAPROXY_SERVER_PORT:-}" ]; then
  host="$HAPROXY_SERVER_ADDR"; port="$HAPROXY_SERVER_PORT"
else
  echo "usage: $0 HOST PORT   (or, from HAProxy: PROXY_ADDR PROXY_PORT SERVER_ADDR SERVER_PORT)" >&2
  exit 2
fi

say() { [ "${GALERA_CHECK_VERBOSE:-0}" = 1 ] && echo "[galera-check] $host:$port: $*" >&2; return 0; }

out="$(MYSQL_PWD=galera_check "$TIMEOUT" 2 "$MARIADB" --no-defaults --protocol=tcp -h "$host" -P "$port" \
  -u galera_check --connect-timeout=1 -N -B \
  -e "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready','wsrep_local_state_comment')" 2>&1)"
rc=$?
if [ "$rc" -ne 0 ]; then
  say "query failed (rc $rc): $out"
  exit 1
fi

ready="" state=""
while IFS=$'\t' read -r name value; do
  case "$name" in
    wsrep_ready) ready="$value" ;;
    wsrep_local_state_comment) state="$value" ;;
  esac
done <<<"$out"

if [ "$ready" = "ON" ] && [ "$state" = "Synced" ]; then
  say "OK (Synced, ready)"
  exit 0
fi
say "not usable: wsrep_ready=${ready:-?} wsrep_local_state_comment=${state:-?}"
exit 1
