#!/usr/bin/env bash
# Bring up a 3-node MariaDB Galera cluster on loopback (idempotent).
#
#   bash scripts/galera-up.sh
#
# Layout: ${GALERA_DIR:-/tmp/lifeline-galera}/nK (K = 1..3), owned by mysql, holding
#   data/      the datadir               nK.cnf  the node's only defaults file
#   nK.sock    the socket                nK.pid  mariadbd's pid (written by this script)
#   nK.log     the error log (mariadbd + SST scripts)
# Ports of node K: SQL 4305+K; gcomm 4567/4577/4587, IST 4568/4578/4588, SST 4569/4579/4589.
#
# What it does, depending on what it finds:
# - nodes already running are reused (waited for until Synced);
# - nodes not running while others run JOIN the running cluster (a SIGKILLed node comes back this way,
#   by IST when the donor's gcache still holds what it missed);
# - a running survivor that is non-Primary (the other two died) is re-promoted with pc.bootstrap=YES,
#   provided no stopped node holds a later position; otherwise it is stopped and the cluster cold-started;
# - nothing running, no data: mariadb-install-db for all three, bootstrap n1 (--wsrep-new-cluster), then
#   n2, n3 join by SST;
# - nothing running, data present (after galera-down.sh, an unclean stop or a reboot): the node with
#   safe_to_bootstrap: 1 in grastate.dat is bootstrapped; if none has it, every node's position is read
#   (grastate.dat, or `mariadbd --wsrep-recover` when the stop was unclean) and the highest seqno is
#   bootstrapped with --wsrep-start-position, so the cluster keeps its uuid. Never founds a new cluster
#   over old data.
# Each node is waited for until wsrep_ready=ON and wsrep_local_state_comment=Synced
# ($GALERA_START_TIMEOUT seconds per node, default 120; on failure the tail of its log is printed and the
# script exits 1), then the cluster until wsrep_cluster_size=3.
# Then database `lifeline`, users lifeline@localhost/@127.0.0.1 (password lifeline, grants as in
# scripts/mariadb-up.sh) and the health-check user galera_check (password galera_check, USAGE only; used
# by scripts/galera-check.sh) are created on one node (DDL and users replicate).
#
# The three node URLs are the LAST three lines of stdout; everything else goes to stderr.
# Stop with scripts/galera-down.sh (--purge also deletes $GALERA_DIR). HAProxy in front: scripts/galera-lb.sh.
set -euo pipefail

GALERA_DIR="${GALERA_DIR:-/tmp/lifeline-galera}"
START_TIMEOUT="${GALERA_START_TIMEOUT:-120}"
CLUSTER_NAME=lifeline
PROVIDER=/usr/lib/galera/libgalera_smm.so
NODES=(1 2 3)
ZERO_UUID=00000000-0000-0000-0000-000000000000

log() { echo "[galera-up] $*" >&2; }
die() { echo "[galera-up] ERROR: $*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "not root and sudo is not available"
  SUDO="sudo"
fi

T0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }

# --- per-node names ------------------------------------------------------------
sql_port()   { echo $(( 4305 + $1 )); }
gcomm_port() { echo $(( 4557 + 10 * $1 )); }
ist_port()   { echo $(( 4558 + 10 * $1 )); }
sst_port()   { echo $(( 4559 + 10 * $1 )); }
node_dir()   { echo "$GALERA_DIR/n$1"; }
data_dir()   { echo "$GALERA_DIR/n$1/data"; }
cnf_file()   { echo "$GALERA_DIR/n$1/n$1.cnf"; }
sock_file()  { echo "$GALERA_DIR/n$1/n$1.sock"; }
pid_file()   { echo "$GALERA_DIR/n$1/n$1.pid"; }
log_file()   { echo "$GALERA_DIR/n$1/n$1.log"; }
url_of()     { echo "mysql://lifeline:lifeline@127.0.0.1:$(sql_port "$1")/lifeline"; }

# --- 1. install -------------------------------------------------------------------
find_mariadbd() {
  if command -v mariadbd >/dev/null 2>&1; then command -v mariadbd
  elif [ -x /usr/sbin/mariadbd ]; then echo /usr/sbin/mariadbd
  else return 1
  fi
}
if ! find_mariadbd >/dev/null || ! command -v mariadb >/dev/null 2>&1 \
   || ! command -v mariadb-install-db >/dev/null 2>&1 || [ ! -f "$PROVIDER" ] \
   || ! command -v rsync >/dev/null 2>&1; then
  log "installing mariadb-server, mariadb-client, galera-4 and rsync via apt"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y \
    --no-install-recommends mariadb-server mariadb-client galera-4 rsync >&2
fi
MARIADBD="$(find_mariadbd)" || die "mariadbd not found after apt-get install"
[ -f "$PROVIDER" ] || die "Galera provider $PROVIDER not found (package galera-4)"
log "using $("$MARIADBD" --version 2>/dev/null || echo "$MARIADBD")"

# --- helpers: processes ------------------------------------------------------------
# Running and not a zombie (nothing may reap orphans in a container).
pid_alive() {
  [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
# The pid of node K's mariadbd, or nothing. The pid file is checked against the process's own command
# line, so a stale file whose pid was reused is ignored.
node_pid() {
  local k=$1 pid="" cnf
  cnf="$(cnf_file "$k")"
  pid="$($SUDO cat "$(pid_file "$k")" 2>/dev/null || true)"
  if pid_alive "$pid" && $SUDO tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--defaults-file=$cnf "; then
    echo "$pid"; return 0
  fi
  return 0
}
node_running() { [ -n "$(node_pid "$1")" ]; }

# --- helpers: SQL as root through the node's socket (unix_socket authentication) ---------
node_sql() {
  local k=$1; shift
  $SUDO mariadb --no-defaults --protocol=socket --socket="$(sock_file "$k")" -uroot \
    --connect-timeout=2 -N -B "$@"
}
# "name<TAB>value" lines for the wsrep status variables we use.
node_status() {
  node_sql "$1" -e "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready','wsrep_local_state_comment',
    'wsrep_cluster_status','wsrep_cluster_size','wsrep_last_committed','wsrep_cluster_state_uuid')" 2>/dev/null
}
status_var() { awk -v n="$2" '$1 == n { print $2 }' <<<"$1"; }

show_log_tail() {
  local k=$1
  echo "[galera-up] last lines of $(log_file "$k"):" >&2
  $SUDO tail -n 40 "$(log_file "$k")" >&2 || true
}

# --- 2. per-node files ------------------------------------------------------------------
write_cnf() {
  local k=$1 tmp
  tmp="$(mktemp)"
  cat >"$tmp" <<EOF
# Written by scripts/galera-up.sh (rewritten on every run): Galera node n$k of cluster "$CLUSTER_NAME".
[mysqld]
user                           = mysql
datadir                        = $(data_dir "$k")
socket                         = $(sock_file "$k")
pid_file                       = $(node_dir "$k")/mariadbd.pid
log_error                      = $(log_file "$k")
port                           = $(sql_port "$k")
bind_address                   = 127.0.0.1
character_set_server           = utf8mb4
collation_server               = utf8mb4_unicode_ci
default_storage_engine         = InnoDB
innodb_buffer_pool_size        = 256M
innodb_log_file_size           = 48M
# A commit is on every node before it is acknowledged, so flushing once a second is the usual Galera choice.
innodb_flush_log_at_trx_commit = 2
max_connections                = 400
# Galera requirements
binlog_format                  = ROW
innodb_autoinc_lock_mode       = 2
wsrep_on                       = ON
wsrep_provider                 = $PROVIDER
wsrep_cluster_name             = $CLUSTER_NAME
wsrep_cluster_address          = gcomm://127.0.0.1:$(gcomm_port 1),127.0.0.1:$(gcomm_port 2),127.0.0.1:$(gcomm_port 3)
wsrep_node_name                = n$k
wsrep_node_address             = 127.0.0.1:$(gcomm_port "$k")
wsrep_sst_method               = rsync
wsrep_sst_receive_address      = 127.0.0.1:$(sst_port "$k")
wsrep_slave_threads            = 2
wsrep_provider_options         = "gmcast.listen_addr=tcp://127.0.0.1:$(gcomm_port "$k");ist.recv_addr=127.0.0.1:$(ist_port "$k");gcache.size=128M;gcache.recover=yes"
# wsrep_sync_wait stays 0 (the application sets it per session); wsrep_auto_increment_control stays ON.
EOF
  $SUDO install -m 0644 "$tmp" "$(cnf_file "$k")"
  rm -f "$tmp"
}

prepare_node() {
  local k=$1
  $SUDO mkdir -p "$(data_dir "$k")"
  $SUDO chown mysql: "$(node_dir "$k")" "$(data_dir "$k")"
  write_cnf "$k"
  # The log is appended to by the shell (early failures) and by mariadbd running as mysql.
  $SUDO touch "$(log_file "$k")"
  $SUDO chown mysql: "$(log_file "$k")"
}

has_data() { $SUDO test -d "$(data_dir "$1")/mysql"; }

install_db() {
  local k=$1
  log "n$k: initialising $(data_dir "$k") (mariadb-install-db)"
  $SUDO mariadb-install-db --defaults-file="$(cnf_file "$k")" --user=mysql --datadir="$(data_dir "$k")" \
    --skip-test-db --auth-root-authentication-method=socket >>"$(log_file "$k")" 2>&1 \
    || { show_log_tail "$k"; die "n$k: mariadb-install-db failed"; }
}

# --- grastate.dat / recovery ------------------------------------------------------------
grastate() { $SUDO cat "$(data_dir "$1")/grastate.dat" 2>/dev/null || true; }
gs_field() { awk -v f="$2:" '$1 == f { print $2 }' <<<"$1"; }

# Position uuid:seqno of a stopped node: from grastate.dat after a clean stop, else `--wsrep-recover`.
node_position() {
  local k=$1 gs uuid seqno rlog pos
  gs="$(grastate "$k")"
  uuid="$(gs_field "$gs" uuid)"; seqno="$(gs_field "$gs" seqno)"
  if [ -n "$uuid" ] && [ -n "$seqno" ] && [ "$seqno" != "-1" ]; then
    echo "$uuid:$seqno"; return 0
  fi
  rlog="$(node_dir "$k")/recover.log"
  $SUDO rm -f "$rlog"; $SUDO touch "$rlog"; $SUDO chown mysql: "$rlog"
  $SUDO "$MARIADBD" --defaults-file="$(cnf_file "$k")" --wsrep-recover --log-error="$rlog" \
    </dev/null >>"$(log_file "$k")" 2>&1 || true
  pos="$($SUDO sed -n 's/.*WSREP: Recovered position: *\([0-9a-f-]*:-\{0,1\}[0-9]*\).*/\1/p' "$rlog" | tail -n1)"
  if [ -z "$pos" ]; then
    echo "[galera-up] n$k: --wsrep-recover found no position; last lines of $rlog:" >&2
    $SUDO tail -n 20 "$rlog" >&2 || true
    return 1
  fi
  echo "$pos"
}

# Positions of stopped nodes, read once per run (a stopped node's position does not change).
declare -A POS=()
get_position() { # K: sets POS[K]
  [ -n "${POS[$1]:-}" ] && return 0
  POS[$1]="$(node_position "$1")"
}

# --- start / wait -------------------------------------------------------------------------
start_node() { # K [extra mariadbd args...]
  local k=$1; shift
  local pidf
  pidf="$(pid_file "$k")"
  $SUDO rm -f "$pidf" "$(sock_file "$k")"
  echo "[galera-up $(date '+%F %T')] starting n$k: $MARIADBD --defaults-file=$(cnf_file "$k") $*" \
    | $SUDO tee -a "$(log_file "$k")" >/dev/null
  # The shell records its own pid, then execs (via setsid, so the server gets its own session and
  # survives the caller's process group) into mariadbd: the recorded pid is mariadbd's.
  # shellcheck disable=SC2016
  $SUDO sh -c 'echo $$ > "$1"; shift; exec setsid "$@"' sh "$pidf" \
    "$MARIADBD" --defaults-file="$(cnf_file "$k")" "$@" </dev/null >>"$(log_file "$k")" 2>&1 9>&- &
  local _
  for _ in $(seq 50); do
    [ -s "$pidf" ] && break
    sleep 0.1
  done
  [ -s "$pidf" ] || die "n$k: mariadbd did not start (no pid file $pidf)"
}

wait_synced() { # K
  local k=$1 t_start deadline st ready state last="" pid
  t_start=$(date +%s)
  deadline=$(( t_start + START_TIMEOUT ))
  while :; do
    pid="$(node_pid "$k")"
    if [ -z "$pid" ]; then
      show_log_tail "$k"
      die "n$k: mariadbd exited before it was Synced"
    fi
    st="$(node_status "$k" || true)"
    ready="$(status_var "$st" wsrep_ready)"; state="$(status_var "$st" wsrep_local_state_comment)"
    if [ -z "$st" ]; then state="(not answering yet)"; fi
    if [ "$ready" = "ON" ] && [ "$state" = "Synced" ]; then
      log "n$k: Synced (pid $pid, $(( $(date +%s) - t_start ))s)"
      return 0
    fi
    if [ "$state" != "$last" ]; then log "n$k: ${state}${ready:+, wsrep_ready=$ready}"; last="$state"; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      show_log_tail "$k"
      die "n$k: not Synced within ${START_TIMEOUT}s (state: $state; stop it with scripts/galera-down.sh)"
    fi
    sleep 0.5
  done
}

# Join the running cluster (SST for an empty or foreign datadir, IST when the donor's gcache allows).
join_node() { # K
  local k=$1 gs seqno pos args=()
  prepare_node "$k"
  if ! has_data "$k"; then
    install_db "$k"
  else
    gs="$(grastate "$k")"; seqno="$(gs_field "$gs" seqno)"
    if [ "$seqno" = "-1" ]; then
      # Unclean stop: tell the node where it is, so it can ask for IST instead of a full copy.
      if get_position "$k" && pos="${POS[$k]}" && [ "${pos%%:*}" != "$ZERO_UUID" ]; then
        log "n$k: recovered position $pos"
        args+=("--wsrep-start-position=$pos")
      fi
    fi
  fi
  log "n$k: joining the cluster"
  start_and_wait_joiner "$k" "${args[@]}"
}

# Start a joiner, wait for Synced, and say whether it got an incremental (IST) or a full (SST) copy.
start_and_wait_joiner() { # K [extra args]
  local k=$1 off how
  off="$($SUDO stat -c %s "$(log_file "$k")")"
  start_node "$@"
  wait_synced "$k"
  how="$($SUDO tail -c +"$(( off + 1 ))" "$(log_file "$k")" | grep -o 'rsync [IS]ST completed' | tail -n1 || true)"
  case "$how" in
    *IST*) log "n$k: joined by IST (incremental state transfer)" ;;
    *SST*) log "n$k: joined by SST (full copy)" ;;
  esac
}

bootstrap_node() { # K [extra args]
  local k=$1; shift
  log "n$k: bootstrapping the cluster (--wsrep-new-cluster $*)"
  start_node "$k" --wsrep-new-cluster "$@"
  wait_synced "$k"
}

stop_node() { # K (clean shutdown, used when a non-Primary survivor must be cold-restarted)
  local k=$1 pid deadline
  pid="$(node_pid "$k")"; [ -n "$pid" ] || return 0
  log "n$k: shutting down (pid $pid)"
  $SUDO mariadb-admin --no-defaults --protocol=socket --socket="$(sock_file "$k")" -uroot shutdown >/dev/null 2>&1 \
    || $SUDO kill -TERM "$pid" 2>/dev/null || true
  deadline=$(( $(date +%s) + 60 ))
  while pid_alive "$pid"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then $SUDO kill -KILL "$pid" 2>/dev/null || true; sleep 1; break; fi
    sleep 0.2
  done
  $SUDO rm -f "$(pid_file "$k")"
}

# Nothing runs: start the cluster from what is on disk.
cold_start() {
  local k any_data=0 gs safe=() boot="" best_seq=-2 best_uuid="" pos uuid seq uuids=""
  for k in "${NODES[@]}"; do prepare_node "$k"; has_data "$k" && any_data=1; done

  if [ "$any_data" -eq 0 ]; then
    log "no data in $GALERA_DIR: creating a new cluster"
    for k in "${NODES[@]}"; do install_db "$k"; done
    bootstrap_node 1
    for k in "${NODES[@]}"; do [ "$k" = 1 ] || join_node "$k"; done
    return 0
  fi

  for k in "${NODES[@]}"; do
    has_data "$k" || continue
    gs="$(grastate "$k")"
    [ "$(gs_field "$gs" safe_to_bootstrap)" = "1" ] && safe+=("$k")
  done

  # Cross-check a lone safe_to_bootstrap against the positions the others recorded at a clean stop.
  if [ "${#safe[@]}" -eq 1 ]; then
    local s_gs o_gs
    s_gs="$(grastate "${safe[0]}")"
    for k in "${NODES[@]}"; do
      [ "$k" = "${safe[0]}" ] && continue
      o_gs="$(grastate "$k")"
      if [ "$(gs_field "$o_gs" uuid)" = "$(gs_field "$s_gs" uuid)" ] \
         && [ "$(gs_field "$o_gs" seqno)" -gt "$(gs_field "$s_gs" seqno)" ] 2>/dev/null; then
        log "n${safe[0]} is safe_to_bootstrap but n$k recorded a later position: ignoring the flag"
        safe=()
        break
      fi
    done
  fi

  if [ "${#safe[@]}" -eq 1 ]; then
    boot="${safe[0]}"
    log "n$boot has safe_to_bootstrap: 1 (it was the last node to leave the cluster)"
    get_position "$boot" || die "n$boot: cannot read its position"
  else
    log "no single node is safe_to_bootstrap (unclean stop?): reading every node's position"
    for k in "${NODES[@]}"; do
      has_data "$k" || continue
      get_position "$k" || die "n$k: cannot read its position (see $(node_dir "$k")/recover.log)"
      pos="${POS[$k]}"
      uuid="${pos%%:*}"; seq="${pos##*:}"
      log "n$k: position $pos"
      [ "$uuid" != "$ZERO_UUID" ] || continue
      case " $uuids " in *" $uuid "*) ;; *) uuids="${uuids:+$uuids }$uuid" ;; esac
      if [ "$seq" -gt "$best_seq" ]; then best_seq="$seq"; best_uuid="$uuid"; boot="$k"; fi
    done
    if [ "$(wc -w <<<"$uuids")" -gt 1 ]; then
      die "the nodes belong to different clusters ($uuids): refusing to choose; inspect $GALERA_DIR/n*/data/grastate.dat"
    fi
    if [ -z "$boot" ]; then
      # Data directories exist but no node ever joined a cluster (e.g. a first start that failed).
      local gsu
      for k in "${NODES[@]}"; do
        gsu="$(gs_field "$(grastate "$k")" uuid)"
        if [ -n "$gsu" ] && [ "$gsu" != "$ZERO_UUID" ]; then
          die "n$k's grastate.dat names cluster $gsu but no position could be recovered: refusing to found a new cluster"
        fi
      done
      log "the data directories never belonged to a cluster: creating a new one"
      for k in "${NODES[@]}"; do has_data "$k" || install_db "$k"; done
      bootstrap_node 1
      for k in "${NODES[@]}"; do [ "$k" = 1 ] || join_node "$k"; done
      return 0
    fi
    log "n$boot has the highest position ($best_uuid:$best_seq): bootstrapping it"
    $SUDO sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' "$(data_dir "$boot")/grastate.dat" 2>/dev/null || true
  fi

  pos="${POS[$boot]}"
  if [ "${pos%%:*}" = "$ZERO_UUID" ]; then
    die "n$boot is marked safe_to_bootstrap but has no cluster position: refusing to found a new cluster"
  fi
  bootstrap_node "$boot" "--wsrep-start-position=$pos"
  for k in "${NODES[@]}"; do
    [ "$k" = "$boot" ] && continue
    join_node "$k"
  done
}

# --- 3. decide ----------------------------------------------------------------------------
$SUDO mkdir -p "$GALERA_DIR"
# One galera-up.sh / galera-down.sh at a time (the servers are started with this descriptor closed).
exec 9>>"$GALERA_DIR.lock"
flock -w 600 9 || die "another galera-up.sh/galera-down.sh holds $GALERA_DIR.lock"
running=(); stopped=()
for k in "${NODES[@]}"; do
  if node_running "$k"; then running+=("$k"); else stopped+=("$k"); fi
done

if [ "${#running[@]}" -eq 0 ]; then
  log "no node is running"
  cold_start
else
  log "running: ${running[*]/#/n}${stopped[*]:+; not running: ${stopped[*]/#/n}}"
  # Let running nodes finish whatever they are doing (starting, joining, donating).
  primary=""; best=""; best_seq=-2
  for k in "${running[@]}"; do
    deadline=$(( $(date +%s) + START_TIMEOUT ))
    until st="$(node_status "$k")" && [ -n "$st" ]; do
      node_running "$k" || { show_log_tail "$k"; die "n$k: mariadbd exited"; }
      [ "$(date +%s)" -lt "$deadline" ] || { show_log_tail "$k"; die "n$k is running but does not answer"; }
      sleep 0.5
    done
    if [ "$(status_var "$st" wsrep_cluster_status)" = "Primary" ]; then
      primary="$k"
    else
      seq="$(status_var "$st" wsrep_last_committed)"
      if [ "${seq:--1}" -gt "$best_seq" ]; then best_seq="$seq"; best="$k"; fi
    fi
  done

  if [ -z "$primary" ]; then
    # Every running node is non-Primary: the others died. Re-promote the most advanced survivor if no
    # stopped node holds a later position (on one host a stopped node cannot be in another component).
    st="$(node_status "$best")"
    uuid="$(status_var "$st" wsrep_cluster_state_uuid)"
    log "no running node is in the Primary component; n$best is the most advanced survivor ($uuid:$best_seq)"
    ok=1
    for k in "${stopped[@]}"; do
      prepare_node "$k"
      has_data "$k" || continue
      get_position "$k" || { ok=0; break; }
      pos="${POS[$k]}"
      log "n$k (stopped): position $pos"
      if [ "${pos%%:*}" = "$uuid" ] && [ "${pos##*:}" -gt "$best_seq" ]; then ok=0; fi
    done
    if [ "$ok" -eq 1 ]; then
      log "n$best: SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'"
      node_sql "$best" -e "SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'" \
        || die "n$best: could not set pc.bootstrap=YES"
      primary="$best"
    else
      log "a stopped node is ahead of the survivors: stopping them and cold-starting from disk"
      for k in "${running[@]}"; do stop_node "$k"; done
      cold_start
      running=(); stopped=()
    fi
  fi
  for k in "${running[@]}"; do wait_synced "$k"; done
  if [ "${#stopped[@]}" -gt 0 ] && [ "${#running[@]}" -gt 0 ]; then
    # A node killed moments ago is still a member until the others declare it dead (~5 s): a new
    # incarnation started before that waits for the eviction anyway, and then takes longer to join.
    deadline=$(( $(date +%s) + 20 )); said=0
    while size="$(status_var "$(node_status "$primary" || true)" wsrep_cluster_size)" \
          && [ "${size:-0}" -gt "${#running[@]}" ] && [ "$(date +%s)" -lt "$deadline" ]; do
      [ "$said" -eq 1 ] || log "the cluster still counts $size members for ${#running[@]} running node(s): waiting for it to drop the dead one(s)"
      said=1
      sleep 0.5
    done
  fi
  for k in "${stopped[@]}"; do join_node "$k"; done
fi

# --- 4. whole cluster ---------------------------------------------------------------------
deadline=$(( $(date +%s) + START_TIMEOUT ))
while :; do
  st="$(node_status 1 || true)"
  size="$(status_var "$st" wsrep_cluster_size)"
  [ "$size" = "3" ] && break
  [ "$(date +%s)" -lt "$deadline" ] || die "wsrep_cluster_size is ${size:-unknown}, not 3, after ${START_TIMEOUT}s"
  sleep 0.5
done
log "cluster $(status_var "$st" wsrep_cluster_state_uuid) is up: size 3, all nodes Synced ($(elapsed))"

# --- 5. database, users, grants (replicated: run on one node) --------------------------------
node_sql 1 <"$(dirname "$0")/lifeline-db.sql" || die "could not create the lifeline database/user (is root using unix_socket auth?)"
node_sql 1 <<'SQL' || die "could not create the galera_check user"
-- scripts/galera-check.sh (HAProxy health check): SHOW GLOBAL STATUS needs no privilege.
CREATE USER IF NOT EXISTS 'galera_check'@'localhost' IDENTIFIED BY 'galera_check';
CREATE USER IF NOT EXISTS 'galera_check'@'127.0.0.1' IDENTIFIED BY 'galera_check';
ALTER USER 'galera_check'@'localhost' IDENTIFIED BY 'galera_check';
ALTER USER 'galera_check'@'127.0.0.1' IDENTIFIED BY 'galera_check';
GRANT USAGE ON *.* TO 'galera_check'@'localhost';
GRANT USAGE ON *.* TO 'galera_check'@'127.0.0.1';
SQL

# Sanity check over TCP as the application user, on every node (users replicated).
for k in "${NODES[@]}"; do
  mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$(sql_port "$k")" -ulifeline -plifeline \
    --connect-timeout=5 -e 'SELECT 1' lifeline >/dev/null \
    || die "cannot connect over TCP as lifeline@127.0.0.1:$(sql_port "$k")"
done
log "database 'lifeline' and users 'lifeline', 'galera_check' ready on all nodes ($(elapsed))"

for k in "${NODES[@]}"; do url_of "$k"; done
