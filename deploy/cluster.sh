#!/usr/bin/env bash
# A three-node RabbitMQ cluster on one machine, from Debian's rabbitmq-server (deploy/services.sh install): three
# Erlang VMs with their own ports and data directories under .services/cluster, joined into one cluster, each bound to
# 127.0.0.1. The fleet's work queues are quorum queues, so each is replicated on all three nodes and keeps working
# while one is down. No root is needed; nothing of deploy/services.sh's single node is touched.
#
#   deploy/cluster.sh start            # start the three nodes (a fresh cluster if none exists) and wait for all
#   deploy/cluster.sh stop             # stop all three
#   deploy/cluster.sh status           # the cluster's members, running and not
#   deploy/cluster.sh env              # RABBITMQ_URL, RABBITMQ_CLUSTER_NODES, RABBITMQ_MANAGEMENT_URL for this shell
#   deploy/cluster.sh kill N           # SIGKILL node N's Erlang VM (1-3): a power cut, no shutdown
#   deploy/cluster.sh stop-node N      # stop node N cleanly (rabbitmqctl stop)
#   deploy/cluster.sh start-node N     # start node N again; it rejoins the cluster and catches its quorum queues up
#   deploy/cluster.sh rolling-restart  # restart 1, 2, 3 one at a time, each only when no quorum queue would lose its majority
#   deploy/cluster.sh wipe             # stop and delete the cluster's data (RabbitMQ and Redis)
#   deploy/cluster.sh rabbitmqctl N ARGS
#
# Redis with replicas, from Debian's redis-server: a primary and two replicas (append-only files), and three Sentinels
# that watch them (quorum 2) and promote a replica when the primary is down for 2 s.
#   deploy/cluster.sh redis-start          # start the three servers (1 the primary, 2 and 3 its replicas) and the Sentinels
#   deploy/cluster.sh redis-kill-primary   # SIGKILL whichever server is the primary now; prints its number
#   deploy/cluster.sh redis-start-node N   # start server N again; the Sentinels make it a replica of the current primary
#   deploy/cluster.sh redis-status         # the primary the Sentinels name, and each server's role
#   deploy/cluster.sh redis-stop
#
# Ports (NEURALTRADE_CLUSTER_PORT_BASE, default 5690): RabbitMQ node N takes AMQP base+N, management 10000+base+N, Erlang
# distribution 20000+base+N; node names are neuraltrade-cN@localhost. Redis server N takes REDIS_BASE+N and Sentinel N
# 20000+REDIS_BASE+N (NEURALTRADE_CLUSTER_REDIS_PORT_BASE, default 6390); the Sentinels call the primary "neuraltrade".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${NEURALTRADE_CLUSTER_DIR:-${NEURALTRADE_SERVICES_DIR:-$ROOT/.services}/cluster}"
BASE="${NEURALTRADE_CLUSTER_PORT_BASE:-5690}"
RABBIT_BIN=/usr/lib/rabbitmq/bin
NODES=(1 2 3)
REDIS_BASE="${NEURALTRADE_CLUSTER_REDIS_PORT_BASE:-6390}"
SERVICE=neuraltrade

log() { printf '[cluster] %s\n' "$*" >&2; }
amqp_port() { echo $((BASE + $1)); }
mgmt_port() { echo $((10000 + BASE + $1)); }
dist_port() { echo $((20000 + BASE + $1)); }
node_name() { echo "neuraltrade-c$1@localhost"; }
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The environment of node N: its own base, logs and ports; HOME (the Erlang cookie) is shared, as a cluster's nodes
# must hold the same cookie.
node_env() {
  local n="$1" dir="$DATA/node$1"
  export HOME="$DATA"
  export RABBITMQ_NODENAME; RABBITMQ_NODENAME="$(node_name "$n")"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT; RABBITMQ_NODE_PORT="$(amqp_port "$n")"
  export RABBITMQ_DIST_PORT; RABBITMQ_DIST_PORT="$(dist_port "$n")"
  export RABBITMQ_BASE="$dir"
  export RABBITMQ_MNESIA_BASE="$dir/mnesia"
  export RABBITMQ_LOG_BASE="$dir/log"
  export RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
  export ERL_EPMD_ADDRESS=127.0.0.1
}

ctl() { local n="$1"; shift; ( node_env "$n"; "$RABBIT_BIN/rabbitmqctl" -n "$(node_name "$n")" "$@" ); }
diag() { local n="$1"; shift; ( node_env "$n"; "$RABBIT_BIN/rabbitmq-diagnostics" -n "$(node_name "$n")" "$@" ); }
queues() { local n="$1"; shift; ( node_env "$n"; "$RABBIT_BIN/rabbitmq-queues" -n "$(node_name "$n")" "$@" ); }
running() { diag "$1" -q ping >/dev/null 2>&1; }

configure_node() {
  local n="$1" dir="$DATA/node$1"
  mkdir -p "$dir/log" "$dir/mnesia"
  echo '[rabbitmq_management].' > "$dir/enabled_plugins"
  cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$(amqp_port "$n")
management.tcp.ip = 127.0.0.1
management.tcp.port = $(mgmt_port "$n")
max_message_size = 33554432
loopback_users.guest = true
log.console = false
log.file.level = warning
# A quorum queue's leader goes where it is declared; a node that comes back takes its share again.
queue_leader_locator = client-local
CONF
  echo '[].' > "$dir/advanced.config"
}

start_node() {
  local n="$1"
  if running "$n"; then log "node $n ($(node_name "$n")) already up"; return; fi
  if port_taken "$(amqp_port "$n")" || port_taken "$(mgmt_port "$n")"; then
    log "port $(amqp_port "$n") or $(mgmt_port "$n") is taken by something this script did not start; choose NEURALTRADE_CLUSTER_PORT_BASE"
    exit 1
  fi
  configure_node "$n"
  ( node_env "$n"; "$RABBIT_BIN/rabbitmq-server" -detached >"$RABBITMQ_LOG_BASE/startup.log" 2>&1 || true )
  for _ in $(seq 1 120); do running "$n" && break; sleep 1; done
  if ! ( node_env "$n"; timeout 180 "$RABBIT_BIN/rabbitmqctl" -n "$(node_name "$n")" -q await_startup ) >/dev/null 2>&1; then
    log "node $n did not start; see $DATA/node$n/log"; tail -n 30 "$DATA/node$n"/log/*.log >&2 || true; exit 1
  fi
  log "node $n up: amqp://127.0.0.1:$(amqp_port "$n"), management http://127.0.0.1:$(mgmt_port "$n")"
}

# The members the cluster knows (from node N's view).
members() { ctl "$1" -q cluster_status --formatter json 2>/dev/null | tr -d ' \n' | sed -nE 's/.*"disk_nodes":\[([^]]*)\].*/\1/p' | tr -d '"' | tr ',' ' '; }

start() {
  mkdir -p "$DATA"
  [ -f "$DATA/.erlang.cookie" ] || { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DATA/.erlang.cookie"; chmod 400 "$DATA/.erlang.cookie"; }
  start_node 1
  for n in 2 3; do
    start_node "$n"
    if ! members "$n" | grep -q "$(node_name 1)"; then
      log "node $n joins $(node_name 1)"
      # (rabbitmqctl prints transient errors about connection tracking tables during the join: not failures.)
      { ctl "$n" -q stop_app && ctl "$n" -q join_cluster "$(node_name 1)" && ctl "$n" -q start_app; } >"$DATA/node$n/log/join.log" 2>&1 \
        || { log "node $n could not join: see $DATA/node$n/log/join.log"; tail -n 20 "$DATA/node$n/log/join.log" >&2; exit 1; }
    fi
  done
  ctl 1 -q await_online_nodes 3 >/dev/null
  log "cluster of 3 up: $(members 1)"
}

stop_node() {
  local n="$1"
  running "$n" || { log "node $n is not running"; return 0; }
  ctl "$n" -q stop >/dev/null 2>&1 || true
  log "node $n stopped"
}

stop() { for n in 3 2 1; do stop_node "$n"; done; }

kill_node() {
  local n="$1" pid
  # The node's Erlang VM: the pid its start wrote, if that process is still this node's (its environment names it).
  pid="$(cat "$DATA/node$n/rabbitmq.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && ! tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx "RABBITMQ_NODENAME=$(node_name "$n")"; then pid=""; fi
  [ -n "$pid" ] || { log "node $n is not running"; return 1; }
  kill -9 "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  log "node $n killed (-9, pid $pid)"
}

# Restarts each node in turn. Before a node goes down, every quorum queue must still have a majority without it
# (rabbitmq-queues check_if_node_is_quorum_critical); after it is back, it must be running and seen by the others.
rolling_restart() {
  for n in "${NODES[@]}"; do
    local safe=0
    for _ in $(seq 1 120); do queues "$n" -q check_if_node_is_quorum_critical >/dev/null 2>&1 && { safe=1; break; }; sleep 1; done
    [ "$safe" = 1 ] || { log "node $n is still quorum-critical after 120 s (a queue would lose its majority): not stopping it"; exit 1; }
    stop_node "$n"
    start_node "$n"
    ctl "$n" -q await_online_nodes 3 >/dev/null
  done
  log "rolling restart done: $(members 1)"
}

status() {
  for n in "${NODES[@]}"; do
    if running "$n"; then echo "node $n ($(node_name "$n")): running on $(amqp_port "$n")"; else echo "node $n ($(node_name "$n")): down"; fi
  done
  for n in "${NODES[@]}"; do running "$n" && { echo "members: $(members "$n")"; break; }; done
}

print_env() {
  echo "export RABBITMQ_URL=amqp://guest:guest@127.0.0.1:$(amqp_port 1)/"
  echo "export RABBITMQ_CLUSTER_NODES=127.0.0.1:$(amqp_port 1),127.0.0.1:$(amqp_port 2),127.0.0.1:$(amqp_port 3)"
  echo "export RABBITMQ_MANAGEMENT_URL=http://127.0.0.1:$(mgmt_port 1)/"
  # StackExchange.Redis asks the Sentinels for the primary named $SERVICE and follows it through failovers.
  echo "export REDIS_URL=127.0.0.1:$(sentinel_port 1),127.0.0.1:$(sentinel_port 2),127.0.0.1:$(sentinel_port 3),serviceName=$SERVICE"
}

redis_port() { echo $((REDIS_BASE + $1)); }
sentinel_port() { echo $((20000 + REDIS_BASE + $1)); }
redis_up() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }

start_redis_node() {
  local n="$1" dir="$DATA/redis$1" port; port="$(redis_port "$1")"
  mkdir -p "$dir"
  if redis_up "$port"; then log "redis $n already up on $port"; return; fi
  # A fresh server 2 or 3 starts as a replica of server 1; a server that has run before keeps the role its config file
  # holds (the Sentinels rewrite it on failover), so a returning old primary is turned into a replica by them.
  if [ ! -f "$dir/redis.conf" ]; then
    printf 'bind 127.0.0.1\nport %s\ndir %s\nappendonly yes\nappendfsync everysec\nsave ""\nprotected-mode yes\n' "$port" "$dir" > "$dir/redis.conf"
    [ "$n" = 1 ] || printf 'replicaof 127.0.0.1 %s\n' "$(redis_port 1)" >> "$dir/redis.conf"
  fi
  redis-server "$dir/redis.conf" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  for _ in $(seq 1 50); do redis_up "$port" && { log "redis $n up on 127.0.0.1:$port"; return; }; sleep 0.2; done
  log "redis $n did not start; see $dir/redis.log"; exit 1
}

start_sentinel() {
  local n="$1" dir="$DATA/sentinel$1" port; port="$(sentinel_port "$1")"
  mkdir -p "$dir"
  if redis_up "$port"; then return; fi
  if [ ! -f "$dir/sentinel.conf" ]; then
    cat > "$dir/sentinel.conf" <<CONF
bind 127.0.0.1
port $port
dir $dir
sentinel resolve-hostnames no
sentinel monitor $SERVICE 127.0.0.1 $(redis_port 1) 2
sentinel down-after-milliseconds $SERVICE 2000
sentinel failover-timeout $SERVICE 10000
sentinel parallel-syncs $SERVICE 1
CONF
  fi
  redis-server "$dir/sentinel.conf" --sentinel --daemonize yes --pidfile "$dir/sentinel.pid" --logfile "$dir/sentinel.log"
  for _ in $(seq 1 50); do redis_up "$port" && return; sleep 0.2; done
  log "sentinel $n did not start; see $dir/sentinel.log"; exit 1
}

# A field of what Sentinel N knows of the primary (SENTINEL MASTER answers name/value lines).
sentinel_field() { redis-cli -h 127.0.0.1 -p "$(sentinel_port "$1")" sentinel master "$SERVICE" 2>/dev/null | awk -v k="$2" 'p == k { print; exit } { p = $0 }'; }

# The primary's port, as the Sentinels name it.
redis_primary_port() { redis-cli -h 127.0.0.1 -p "$(sentinel_port "${1:-1}")" sentinel get-master-addr-by-name "$SERVICE" 2>/dev/null | sed -n 2p; }

redis_start() {
  for n in "${NODES[@]}"; do start_redis_node "$n"; done
  for n in "${NODES[@]}"; do start_sentinel "$n"; done
  # Ready when both replicas are connected and in sync, and every Sentinel knows both replicas and the other two.
  for _ in $(seq 1 150); do
    local primary settled=1; primary="$(redis_primary_port)"
    if [ -n "$primary" ] && [ "$(redis-cli -h 127.0.0.1 -p "$primary" info replication | grep -c 'state=online')" -ge 2 ]; then
      for s in "${NODES[@]}"; do
        [ "$(sentinel_field "$s" num-slaves)" = 2 ] && [ "$(sentinel_field "$s" num-other-sentinels)" = 2 ] || settled=0
      done
      if [ "$settled" = 1 ]; then
        log "redis up: primary on $primary, 2 replicas in sync, 3 sentinels on $(sentinel_port 1)-$(sentinel_port 3) watching \"$SERVICE\""
        return
      fi
    fi
    sleep 0.2
  done
  log "redis replicas or sentinels did not settle"; redis_status >&2; exit 1
}

redis_kill_primary() {
  local primary pid n
  primary="$(redis_primary_port)"
  [ -n "$primary" ] || { log "no sentinel names a primary"; return 1; }
  n=$((primary - REDIS_BASE))
  # The pid the server reports itself, so a stale pid file cannot name another process.
  pid="$(redis-cli -h 127.0.0.1 -p "$primary" info server 2>/dev/null | sed -n 's/^process_id:\([0-9]*\).*/\1/p')"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || { log "redis $n (the primary) is not running"; return 1; }
  kill -9 "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$DATA/redis$n/redis.pid"
  log "redis $n, the primary on $primary, killed (-9, pid $pid)"
  echo "$n"
}

redis_status() {
  echo "primary (sentinel 1): $(redis_primary_port 1 || true)"
  for n in "${NODES[@]}"; do
    if redis_up "$(redis_port "$n")"; then
      echo "redis $n on $(redis_port "$n"): $(redis-cli -h 127.0.0.1 -p "$(redis_port "$n")" info replication | sed -n 's/^role:\(.*\)\r$/\1/p')"
    else
      echo "redis $n on $(redis_port "$n"): down"
    fi
  done
}

redis_stop() {
  local f pid
  for f in "$DATA"/sentinel*/sentinel.pid "$DATA"/redis*/redis.pid; do
    [ -f "$f" ] || continue
    pid="$(cat "$f" 2>/dev/null || true)"
    # Only a redis-server of this cluster's (a reused pid may belong to anything else by now).
    if [ -z "$pid" ] || ! tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "redis-server"; then rm -f "$f"; continue; fi
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$f"
  done
  log "redis and sentinels stopped"
}

node_arg() { [[ "${1:-}" =~ ^[123]$ ]] || { echo "a node is 1, 2 or 3" >&2; exit 2; }; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) print_env ;;
  kill) node_arg "${2:-}"; kill_node "$2" ;;
  stop-node) node_arg "${2:-}"; stop_node "$2" ;;
  start-node) node_arg "${2:-}"; start_node "$2" ;;
  rolling-restart) rolling_restart ;;
  wipe) stop; redis_stop; rm -rf "$DATA"; log "cluster data removed" ;;
  redis-start) mkdir -p "$DATA"; redis_start ;;
  redis-stop) redis_stop ;;
  redis-status) redis_status ;;
  redis-kill-primary) redis_kill_primary ;;
  redis-start-node)
    node_arg "${2:-}"; start_redis_node "$2"
    # Until the Sentinels have made it a replica of the current primary (it may come back believing it is the primary).
    primary="$(redis_primary_port)"
    if [ -n "$primary" ] && [ "$primary" != "$(redis_port "$2")" ]; then
      for _ in $(seq 1 150); do
        redis-cli -h 127.0.0.1 -p "$(redis_port "$2")" info replication | grep -q '^master_link_status:up' && { log "redis $2 is a replica of $primary"; exit 0; }
        sleep 0.2
      done
      log "redis $2 did not become a replica of $primary within 30 s"; exit 1
    fi ;;
  rabbitmqctl) node_arg "${2:-}"; n="$2"; shift 2; ctl "$n" "$@" ;;
  *) echo "usage: $0 start|stop|status|env|kill N|stop-node N|start-node N|rolling-restart|wipe|rabbitmqctl N ARGS|redis-start|redis-stop|redis-status|redis-kill-primary|redis-start-node N" >&2; exit 2 ;;
esac
