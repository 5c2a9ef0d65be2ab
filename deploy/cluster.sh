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
#   deploy/cluster.sh wipe             # stop and delete the cluster's data
#   deploy/cluster.sh rabbitmqctl N ARGS
#
# Ports (NEURALTRADE_CLUSTER_PORT_BASE, default 5690): node N takes AMQP base+N, management 10000+base+N, Erlang
# distribution 20000+base+N. Node names are neuraltrade-cN@localhost.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${NEURALTRADE_CLUSTER_DIR:-${NEURALTRADE_SERVICES_DIR:-$ROOT/.services}/cluster}"
BASE="${NEURALTRADE_CLUSTER_PORT_BASE:-5690}"
RABBIT_BIN=/usr/lib/rabbitmq/bin
NODES=(1 2 3)

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
    for _ in $(seq 1 120); do queues "$n" -q check_if_node_is_quorum_critical >/dev/null 2>&1 && break; sleep 1; done
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
  wipe) stop; rm -rf "$DATA"; log "cluster data removed" ;;
  rabbitmqctl) node_arg "${2:-}"; n="$2"; shift 2; ctl "$n" "$@" ;;
  *) echo "usage: $0 start|stop|status|env|kill N|stop-node N|start-node N|rolling-restart|wipe|rabbitmqctl N ARGS" >&2; exit 2 ;;
esac
