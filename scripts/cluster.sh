#!/usr/bin/env bash
# The multi-node shape on one machine, from Debian's packages: one etcd, two Patroni-managed
# PostgreSQL 15 nodes (synchronous_mode: one synchronous standby), HAProxy (a write port that
# follows the Patroni leader, a read port over the replicas, an HTTP port over the API processes)
# and N API processes. Everything lives under one folder (default .data/cluster) on loopback ports
# of its own; nothing outside that folder is touched.
#
#   scripts/cluster.sh up [folder]       start what is not running yet (idempotent), print the URLs
#   scripts/cluster.sh status [folder]   what runs, and Patroni's view of the nodes
#   scripts/cluster.sh down [folder]     stop what `up` started (pids in folder/run); data is kept
#
# Needs: apt-get install patroni etcd-server haproxy postgresql-15; `npm run build` first.
# Settings: CLUSTER_API_PROCESSES (default 2), CLUSTER_PORT_BASE (default 15400).
set -euo pipefail

COMMAND=${1:-status}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FOLDER=${2:-$REPO/.data/cluster}
API_PROCESSES=${CLUSTER_API_PROCESSES:-2}
BASE=${CLUSTER_PORT_BASE:-15400}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=postgres
SUPERUSER_PASSWORD=heirloom-cluster
REPLICATION_PASSWORD=heirloom-replication

ETCD_PORT=$((BASE + 79))
ETCD_PEER_PORT=$((BASE + 80))
WRITE_PORT=$((BASE + 0))
READ_PORT=$((BASE + 1))
HTTP_PORT=$((BASE + 2))
STATS_PORT=$((BASE + 3))
pg_port() { echo $((BASE + 32 + $1)); }   # node 1 → BASE+33, node 2 → BASE+34
rest_port() { echo $((BASE + 8 + $1)); }  # Patroni REST API
api_port() { echo $((BASE + 100 + $1)); }

NODES=(1 2)
RUN=$FOLDER/run
LOGS=$FOLDER/logs
DATABASE_URL="postgres://postgres:$SUPERUSER_PASSWORD@127.0.0.1:$WRITE_PORT/heirloom"
DATABASE_READ_URL="postgres://postgres:$SUPERUSER_PASSWORD@127.0.0.1:$READ_PORT/heirloom"

say() { printf '%s\n' "$*" >&2; }
die() { say "cluster: $*"; exit 1; }

# A recorded pid that still runs the program we started (a reused pid is not ours).
running() {
  local file=$RUN/$1.pid pid
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  [[ -n $pid && -d /proc/$pid ]] || return 1
  grep -qa -- "$2" "/proc/$pid/cmdline"
}

# Starts `name` in its own session, output to logs/name.log, pid to run/name.pid.
start() {
  local name=$1 match=$2
  shift 2
  if running "$name" "$match"; then
    say "  $name already running (pid $(<"$RUN/$name.pid"))"
    return
  fi
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
  say "  $name started (pid $!)"
}

wait_for() {
  local what=$1 seconds=$2
  shift 2
  local i
  for ((i = 0; i < seconds * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "$what did not come up within ${seconds}s (logs in $LOGS)"
}

check_tools() {
  for tool in etcd patroni haproxy curl "$PG_BIN/postgres" "$PG_BIN/psql" setpriv; do
    command -v "$tool" >/dev/null || [[ -x $tool ]] ||
      die "$tool not found: apt-get install patroni etcd-server haproxy postgresql-15 curl"
  done
  [[ -f $REPO/dist/apps/api/src/main.js ]] || die "run npm run build first"
  [[ $(id -u) == 0 ]] || die "run as root: PostgreSQL runs as the $PG_USER user"
}

# PostgreSQL refuses to run as root: the node folders belong to the postgres user, who must be
# able to reach them; permissions change only inside the cluster folder.
prepare_folders() {
  mkdir -p "$RUN" "$LOGS" "$FOLDER/etcd" "$FOLDER/api"
  chmod 755 "$FOLDER"
  if ! setpriv --reuid="$PG_USER" --regid="$PG_USER" --init-groups test -x "$FOLDER"; then
    die "the $PG_USER user cannot reach $FOLDER: give its parent folders o+x, or pass a folder it can reach"
  fi
  for node in "${NODES[@]}"; do
    mkdir -p "$FOLDER/pg$node"
    chown "$PG_USER:$PG_USER" "$FOLDER/pg$node"
    chmod 700 "$FOLDER/pg$node"
  done
}

write_patroni_config() {
  local node=$1 dir=$FOLDER/pg$1
  cat >"$dir/patroni.yml" <<EOF
scope: heirloom
namespace: /heirloom-cluster/
name: pg$node
log:
  level: INFO
restapi:
  listen: 127.0.0.1:$(rest_port "$node")
  connect_address: 127.0.0.1:$(rest_port "$node")
etcd3:
  hosts: 127.0.0.1:$ETCD_PORT
bootstrap:
  dcs:
    # Short timings so a dead leader is noticed within seconds (loop_wait + 2 × retry_timeout ≤ ttl).
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    # A crashed leader's postgres is not restarted in place: fail over at once to the synchronous
    # standby, which has every acknowledged commit.
    master_start_timeout: 0
    primary_start_timeout: 0
    synchronous_mode: true
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 200
        wal_log_hints: 'on'
        wal_keep_size: 256MB
  initdb:
    - encoding: UTF8
    - data-checksums
    - auth-host: scram-sha-256
postgresql:
  listen: 127.0.0.1:$(pg_port "$node")
  connect_address: 127.0.0.1:$(pg_port "$node")
  data_dir: $dir/data
  bin_dir: $PG_BIN
  pgpass: $dir/pgpass
  authentication:
    superuser:
      username: postgres
      password: $SUPERUSER_PASSWORD
    replication:
      username: replicator
      password: $REPLICATION_PASSWORD
    rewind:
      username: postgres
      password: $SUPERUSER_PASSWORD
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
  parameters:
    unix_socket_directories: '$dir'
EOF
  chown "$PG_USER:$PG_USER" "$dir/patroni.yml"
  chmod 600 "$dir/patroni.yml"
}

write_haproxy_config() {
  local file=$FOLDER/haproxy.cfg
  {
    cat <<EOF
global
  maxconn 4000
  log stdout format raw local0 warning

defaults
  log global
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 1s

listen stats
  mode http
  bind 127.0.0.1:$STATS_PORT
  stats enable
  stats uri /

# The Patroni leader only (its REST API answers 200 on /primary there); sessions to a node that
# stops being the leader are cut at once, so no client keeps writing to a demoted node.
listen postgres_write
  mode tcp
  bind 127.0.0.1:$WRITE_PORT
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 500ms fastinter 250ms fall 2 rise 1 on-marked-down shutdown-sessions
EOF
    for node in "${NODES[@]}"; do
      echo "  server pg$node 127.0.0.1:$(pg_port "$node") check port $(rest_port "$node")"
    done
    cat <<EOF

# Streaming replicas (200 on /replica), round robin.
listen postgres_read
  mode tcp
  bind 127.0.0.1:$READ_PORT
  balance roundrobin
  option httpchk GET /replica
  http-check expect status 200
  default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
EOF
    for node in "${NODES[@]}"; do
      echo "  server pg$node 127.0.0.1:$(pg_port "$node") check port $(rest_port "$node")"
    done
    cat <<EOF

# The API processes, each taken out while its /ready answers 503 (database unreachable).
listen api
  mode http
  bind 127.0.0.1:$HTTP_PORT
  balance roundrobin
  option forwardfor
  option httpchk GET /ready
  http-check expect status 200
  retries 2
  option redispatch
  default-server inter 1s fall 2 rise 1
EOF
    for ((i = 1; i <= API_PROCESSES; i++)); do
      echo "  server api$i 127.0.0.1:$(api_port "$i") check"
    done
  } >"$file"
}

leader_ready() {
  curl -fsS "http://127.0.0.1:$(rest_port "$1")/primary" >/dev/null 2>&1
}

any_leader() {
  for node in "${NODES[@]}"; do leader_ready "$node" && return 0; done
  return 1
}

# HAProxy counts a server up until its first checks fail: wait until the write port has exactly
# one server up and the read port none that is also the leader.
write_port_settled() {
  local csv
  csv=$(curl -fsS "http://127.0.0.1:$STATS_PORT/;csv") || return 1
  [[ $(awk -F, '$1 == "postgres_write" && $2 ~ /^pg/ && $18 == "UP"' <<<"$csv" | wc -l) == 1 ]]
}

# The write port reaches a leader `times` times in a row (not a node that is still starting).
leader_behind_write_port() {
  local times=$1 k
  for ((k = 0; k < times; k++)); do
    [[ $(psql_write -d postgres -tAc 'SELECT NOT pg_is_in_recovery()' 2>/dev/null) == t ]] || return 1
    sleep 0.2
  done
}

psql_write() {
  PGPASSWORD=$SUPERUSER_PASSWORD "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$WRITE_PORT" -U postgres "$@"
}

up() {
  check_tools
  prepare_folders
  say "cluster in $FOLDER"
  start etcd "etcd" etcd --name heirloom-cluster --data-dir "$FOLDER/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "heirloom-cluster=http://127.0.0.1:$ETCD_PEER_PORT"
  wait_for etcd 20 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

  for node in "${NODES[@]}"; do
    write_patroni_config "$node"
    start "patroni-pg$node" "patroni" env HOME="$FOLDER/pg$node" \
      setpriv --reuid="$PG_USER" --regid="$PG_USER" --init-groups \
      patroni "$FOLDER/pg$node/patroni.yml"
    # The first node bootstraps the cluster; let it finish before the second clones it.
    if [[ $node == 1 ]]; then wait_for "the PostgreSQL leader" 90 any_leader; fi
  done

  write_haproxy_config
  start haproxy "haproxy" haproxy -db -f "$FOLDER/haproxy.cfg"
  wait_for "HAProxy's write port" 30 write_port_settled
  wait_for "the leader behind HAProxy's write port" 60 leader_behind_write_port 10
  local exists
  exists=$(psql_write -d postgres -tAc "SELECT count(*) FROM pg_database WHERE datname = 'heirloom'")
  if [[ $exists == 0 ]]; then psql_write -d postgres -c 'CREATE DATABASE heirloom'; fi

  for ((i = 1; i <= API_PROCESSES; i++)); do
    start "api$i" "main.js" env PORT="$(api_port "$i")" HOST=127.0.0.1 \
      DATABASE_URL="$DATABASE_URL" DATABASE_READ_URL="$DATABASE_READ_URL" \
      HEIRLOOM_DATA_DIR="$FOLDER/api" LOG_LEVEL="${LOG_LEVEL:-warn}" PUBLIC_URL="http://127.0.0.1:$HTTP_PORT" TRUST_PROXY=1 \
      DATABASE_POOL_SIZE="${DATABASE_POOL_SIZE:-20}" \
      node "$REPO/dist/apps/api/src/main.js"
    # The first process applies the migrations; the others then start at once.
    if [[ $i == 1 ]]; then wait_for "api1" 90 curl -fsS "http://127.0.0.1:$(api_port 1)/ready"; fi
  done
  for ((i = 2; i <= API_PROCESSES; i++)); do
    wait_for "api$i" 60 curl -fsS "http://127.0.0.1:$(api_port "$i")/ready"
  done
  wait_for "the API through HAProxy" 30 curl -fsS "http://127.0.0.1:$HTTP_PORT/ready"
  write_description
  urls
}

# Where everything is, for tools such as scripts/failover-drill.mjs.
write_description() {
  local nodes=() node
  for node in "${NODES[@]}"; do
    nodes+=("{\"name\": \"pg$node\", \"rest\": \"http://127.0.0.1:$(rest_port "$node")\", \"dataDir\": \"$FOLDER/pg$node/data\"}")
  done
  local IFS=,
  cat >"$FOLDER/cluster.json" <<EOF
{
  "apiUrl": "http://127.0.0.1:$HTTP_PORT",
  "databaseUrl": "$DATABASE_URL",
  "databaseReadUrl": "$DATABASE_READ_URL",
  "haproxyStatsUrl": "http://127.0.0.1:$STATS_PORT/",
  "nodes": [${nodes[*]}]
}
EOF
}

urls() {
  cat <<EOF

Heirloom cluster is running ($FOLDER)
  API (HAProxy over $API_PROCESSES processes)  http://127.0.0.1:$HTTP_PORT
  database, writes (Patroni leader)  $DATABASE_URL
  database, reads (replicas)         $DATABASE_READ_URL
  HAProxy stats                      http://127.0.0.1:$STATS_PORT/
  Patroni REST                       $(for node in "${NODES[@]}"; do printf 'http://127.0.0.1:%s ' "$(rest_port "$node")"; done)
  etcd                               http://127.0.0.1:$ETCD_PORT
  patronictl                         patronictl -c $FOLDER/pg1/patroni.yml list
EOF
}

status() {
  for name in etcd patroni-pg1 patroni-pg2 haproxy $(for ((i = 1; i <= API_PROCESSES; i++)); do echo "api$i"; done); do
    case $name in etcd) match=etcd ;; patroni*) match=patroni ;; haproxy) match=haproxy ;; *) match=main.js ;; esac
    if running "$name" "$match"; then echo "  $name running (pid $(<"$RUN/$name.pid"))"; else echo "  $name stopped"; fi
  done
  if [[ -f $FOLDER/pg1/patroni.yml ]] && running etcd etcd; then
    patronictl -c "$FOLDER/pg1/patroni.yml" list 2>/dev/null || true
  fi
}

# Stops one recorded process: SIGTERM, then SIGKILL after `grace` seconds.
stop() {
  local name=$1 match=$2 grace=${3:-20} pid i
  if ! running "$name" "$match"; then
    rm -f "$RUN/$name.pid"
    return
  fi
  pid=$(<"$RUN/$name.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    [[ -d /proc/$pid ]] || break
    sleep 0.1
  done
  if [[ -d /proc/$pid ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$RUN/$name.pid"
  say "  $name stopped"
}

down() {
  [[ -d $RUN ]] || { say "nothing running in $FOLDER"; return; }
  for pidfile in "$RUN"/api*.pid; do
    [[ -e $pidfile ]] && stop "$(basename "$pidfile" .pid)" main.js
  done
  stop haproxy haproxy
  # Patroni stops its PostgreSQL on SIGTERM (replica first, so the leader need not wait for it).
  for node in 2 1; do stop "patroni-pg$node" patroni 60; done
  stop etcd etcd
}

case $COMMAND in
  up) up ;;
  down) down ;;
  status) status ;;
  urls) urls ;;
  *) die "usage: $0 up|down|status|urls [folder]" ;;
esac
