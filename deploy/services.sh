#!/usr/bin/env bash
# Starts, stops or checks a private RabbitMQ (with the management UI) and Redis from Debian's
# packages, bound to 127.0.0.1 on their own ports and data directories. No system service is
# touched, no root is needed once the packages are installed (`deploy/services.sh install`).
#
#   deploy/services.sh install   # apt-get the packages if missing (root or sudo)
#   deploy/services.sh start     # start both and wait until they answer
#   deploy/services.sh stop
#   deploy/services.sh status
#   deploy/services.sh env       # print the connection variables for this shell
#   deploy/services.sh rabbitmqctl ARGS   # rabbitmqctl against this private node
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${NEURALTRADE_SERVICES_DIR:-$ROOT/.services}"
AMQP_PORT="${NEURALTRADE_AMQP_PORT:-5673}"
MGMT_PORT="${NEURALTRADE_MANAGEMENT_PORT:-15673}"
DIST_PORT="${NEURALTRADE_ERLANG_DIST_PORT:-25673}"
REDIS_PORT="${NEURALTRADE_REDIS_PORT:-6380}"
REDIS_TLS_PORT="${NEURALTRADE_REDISS_PORT:-6381}"
TLS_PORT="${NEURALTRADE_AMQPS_PORT:-5674}"
TLS_DIR="$DATA/tls"
NODE="neuraltrade-${AMQP_PORT}@localhost"
RABBIT_BIN=/usr/lib/rabbitmq/bin
# python3-pika: the tests run docs/contract.md's Python examples; python3-torch: they load the MLflow model directory the
# fleet logs as a Python user would; nodejs + npm: they validate the AsyncAPI document with @asyncapi/parser.
PACKAGES=(rabbitmq-server redis-server python3-pika python3-torch nodejs npm)

log() { printf '[services] %s\n' "$*" >&2; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

rabbit_env() {
  export HOME="$DATA/rabbitmq"            # holds the Erlang cookie rabbitmqctl needs
  export RABBITMQ_NODENAME="$NODE"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$AMQP_PORT"
  export RABBITMQ_DIST_PORT="$DIST_PORT"
  export RABBITMQ_BASE="$DATA/rabbitmq"
  export RABBITMQ_MNESIA_BASE="$DATA/rabbitmq/mnesia"
  export RABBITMQ_LOG_BASE="$DATA/rabbitmq/log"
  export RABBITMQ_PID_FILE="$DATA/rabbitmq/rabbitmq.pid"
  export RABBITMQ_CONFIG_FILE="$DATA/rabbitmq/rabbitmq"          # .conf is appended
  export RABBITMQ_ENABLED_PLUGINS_FILE="$DATA/rabbitmq/enabled_plugins"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$DATA/rabbitmq/advanced.config"
  export ERL_EPMD_ADDRESS=127.0.0.1
}

install() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [ -x "$RABBIT_BIN/rabbitmq-server" ] || missing+=(rabbitmq-server)
  [ -f /usr/lib/python3/dist-packages/pika/__init__.py ] || missing+=(python3-pika)
  [ -f /usr/lib/python3/dist-packages/torch/__init__.py ] || missing+=(python3-torch)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ ${#missing[@]} -eq 0 ]; then log "packages present: ${PACKAGES[*]}"; return 0; fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing from Debian's packages: ${missing[*]}"
  # The packages' own system services are not wanted: deny their start during the install.
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && created=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$created" -eq 0 ] || $sudo rm -f "$policy"
}

start_redis() {
  mkdir -p "$DATA/redis"
  if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then log "redis already up on 127.0.0.1:$REDIS_PORT"; return; fi
  tls_certificates
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DATA/redis" --daemonize yes \
    --tls-port "$REDIS_TLS_PORT" --tls-cert-file "$TLS_DIR/server.pem" --tls-key-file "$TLS_DIR/server.key" \
    --tls-ca-cert-file "$TLS_DIR/ca.pem" --tls-auth-clients no \
    --pidfile "$DATA/redis/redis.pid" --logfile "$DATA/redis/redis.log" \
    --appendonly yes --save "" --protected-mode yes
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && { log "redis up on 127.0.0.1:$REDIS_PORT, TLS on $REDIS_TLS_PORT"; return; }
    sleep 0.2
  done
  log "redis did not start; see $DATA/redis/redis.log"; exit 1
}

# A private CA and a server certificate for localhost / 127.0.0.1: the broker also listens with TLS (amqps://), as a
# company's broker with certificates from its own CA would.
tls_certificates() {
  [ -s "$TLS_DIR/server.pem" ] && return
  "$ROOT/deploy/tls/certificates.sh" "$TLS_DIR" localhost
}

start_rabbit() {
  rabbit_env
  mkdir -p "$RABBITMQ_BASE" "$RABBITMQ_LOG_BASE"
  if "$RABBIT_BIN/rabbitmq-diagnostics" -q ping >/dev/null 2>&1; then log "rabbitmq already up on 127.0.0.1:$AMQP_PORT"; return; fi
  if port_taken "$AMQP_PORT" || port_taken "$MGMT_PORT"; then
    # Something else answers there (often the services of another checkout, whose Erlang cookie differs from ours).
    log "port $AMQP_PORT or $MGMT_PORT on 127.0.0.1 is taken by a RabbitMQ this checkout did not start (another checkout's"
    log "deploy/services.sh? stop it there), or choose other ports: NEURALTRADE_AMQP_PORT, NEURALTRADE_MANAGEMENT_PORT,"
    log "NEURALTRADE_ERLANG_DIST_PORT, NEURALTRADE_REDIS_PORT."
    exit 1
  fi
  [ -f "$HOME/.erlang.cookie" ] || { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$HOME/.erlang.cookie"; chmod 400 "$HOME/.erlang.cookie"; }
  echo '[rabbitmq_management].' > "$RABBITMQ_ENABLED_PLUGINS_FILE"
  tls_certificates
  cat > "$RABBITMQ_CONFIG_FILE.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
listeners.ssl.default = 127.0.0.1:$TLS_PORT
ssl_options.cacertfile = $TLS_DIR/ca.pem
ssl_options.certfile = $TLS_DIR/server.pem
ssl_options.keyfile = $TLS_DIR/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
management.tcp.ip = 127.0.0.1
management.tcp.port = $MGMT_PORT
max_message_size = 33554432
loopback_users.guest = true
log.console = false
log.file.level = warning
CONF
  echo '[].' > "$RABBITMQ_ADVANCED_CONFIG_FILE"
  "$RABBIT_BIN/rabbitmq-server" -detached >"$RABBITMQ_LOG_BASE/startup.log" 2>&1 || true
  if ! timeout 120 "$RABBIT_BIN/rabbitmqctl" -q await_startup >/dev/null 2>&1; then
    # await_startup needs the node to be reachable first; poll ping before giving up.
    for _ in $(seq 1 120); do "$RABBIT_BIN/rabbitmq-diagnostics" -q ping >/dev/null 2>&1 && break; sleep 1; done
    timeout 120 "$RABBIT_BIN/rabbitmqctl" -q await_startup >/dev/null 2>&1 || {
      log "rabbitmq did not start; see $RABBITMQ_LOG_BASE"; tail -n 30 "$RABBITMQ_LOG_BASE"/*.log >&2 || true; exit 1; }
  fi
  log "rabbitmq up on 127.0.0.1:$AMQP_PORT, TLS on $TLS_PORT (management UI http://127.0.0.1:$MGMT_PORT, guest/guest from localhost)"
}

stop() {
  if [ -f "$DATA/redis/redis.pid" ]; then
    local pid; pid="$(cat "$DATA/redis/redis.pid" 2>/dev/null || true)"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    # An ACL without the default user (deploy/fleet.sh) answers NOAUTH to that, with exit status 0: stop it by its pid.
    for _ in $(seq 1 20); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null || true
    rm -f "$DATA/redis/redis.pid"; log "redis stopped"
  fi
  if [ -d "$DATA/rabbitmq" ]; then
    ( rabbit_env; "$RABBIT_BIN/rabbitmqctl" -q stop >/dev/null 2>&1 || true )
    log "rabbitmq stopped"
  fi
}

# The reliability suite's crash of the broker: SIGKILL to the node's Erlang VM (no shutdown, no flush), as a power cut.
kill_rabbit() {
  local pid
  pid="$(pgrep -f "beam.smp.*-home $DATA/rabbitmq " || true)"
  [ -n "$pid" ] || { log "no rabbitmq node of this checkout is running"; return 1; }
  kill -9 $pid
  for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  log "rabbitmq killed (-9, pid $pid)"
}

status() {
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | sed 's/^/redis: /' || echo "redis: down"
  ( rabbit_env; "$RABBIT_BIN/rabbitmq-diagnostics" -q ping 2>/dev/null | sed 's/^/rabbitmq: /' ) || echo "rabbitmq: down"
}

print_env() {
  echo "export RABBITMQ_URL=amqp://guest:guest@127.0.0.1:$AMQP_PORT/"
  echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
  echo "export RABBITMQ_MANAGEMENT_URL=http://127.0.0.1:$MGMT_PORT/"
  echo "export RABBITMQ_TLS_URL=amqps://guest:guest@localhost:$TLS_PORT/"
  echo "export RABBITMQ_CA_FILE=$TLS_DIR/ca.pem"
  echo "export REDIS_TLS_URL=rediss://localhost:$REDIS_TLS_PORT"
  echo "export REDIS_CA_FILE=$TLS_DIR/ca.pem"
}

case "${1:-}" in
  install) install ;;
  start) start_redis; start_rabbit ;;
  stop) stop ;;
  status) status ;;
  env) print_env ;;
  kill-rabbit) kill_rabbit ;;
  rabbitmqctl) shift; ( rabbit_env; "$RABBIT_BIN/rabbitmqctl" "$@" ) ;;
  *) echo "usage: $0 install|start|stop|status|env|kill-rabbit|rabbitmqctl ARGS" >&2; exit 2 ;;
esac
