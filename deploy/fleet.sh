#!/usr/bin/env bash
# The real fleet on one machine, without Docker: RabbitMQ and Redis from Debian's packages (deploy/services.sh), the
# broker's definitions loaded with a generated password per worker, and each worker as its own process with its own
# broker user, its own log and its own health endpoint.
#
#   deploy/fleet.sh start        # services up, build (Release), definitions imported, five workers started
#   deploy/fleet.sh status       # each worker: pid and /health/ready
#   deploy/fleet.sh logs WORKER  # follow one worker's log (ingest, training, registry, inference, monitor)
#   deploy/fleet.sh env          # the operator's variables for the CLI: eval "$(deploy/fleet.sh env)"
#   deploy/fleet.sh stop [--keep-services]   # stop the workers (SIGTERM, they drain), then RabbitMQ and Redis
#
# Passwords (broker and Redis, one per user) are generated once into .services/fleet/secrets (mode 600) and never
# printed except by `env` (the operator's). Each worker logs in to RabbitMQ and to Redis as its own user.
# MLFLOW_TRACKING_URI, if set, is passed to the workers.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${NEURALTRADE_SERVICES_DIR:-$ROOT/.services}"
FLEET="$DATA/fleet"
WORKERS=(ingest training registry inference monitor)
declare -A PROJECT=([ingest]=Ingest [training]=Training [registry]=Registry [inference]=Inference [monitor]=Monitor)
declare -A PORT=([ingest]=8081 [training]=8082 [registry]=8083 [inference]=8084 [monitor]=8085)
USERS=(admin operator feed trading ingest training registry inference monitor)
REDIS_USERS=(admin operator ingest training registry inference monitor)

log() { printf '[fleet] %s\n' "$*" >&2; }

services_env() { eval "$("$ROOT/deploy/services.sh" env)"; }

password() { cat "$FLEET/secrets/$1"; }

secrets() {
  mkdir -p "$FLEET/secrets"
  chmod 700 "$FLEET/secrets"
  for user in "${USERS[@]}" "${REDIS_USERS[@]/#/redis-}"; do
    if [ ! -s "$FLEET/secrets/$user" ]; then
      (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$FLEET/secrets/$user")
    fi
  done
}

build() {
  log "building (Release)"
  dotnet build "$ROOT/NeuralTrade.Events.slnx" -c Release -v quiet -nologo >"$FLEET/build.log" 2>&1 || {
    tail -n 30 "$FLEET/build.log" >&2; log "build failed; see $FLEET/build.log"; exit 1; }
}

definitions() {
  local env=()
  for user in "${USERS[@]}"; do env+=("RABBITMQ_PASSWORD_${user^^}_FILE=$FLEET/secrets/$user"); done
  (umask 077; env "${env[@]}" dotnet "$ROOT/Cli/bin/Release/net10.0/neuraltrade.dll" broker definitions \
     --template "$ROOT/deploy/rabbitmq/definitions.template.json" --out "$FLEET/definitions.json" >/dev/null)
  "$ROOT/deploy/services.sh" rabbitmqctl -q import_definitions "$FLEET/definitions.json" >/dev/null
  log "broker definitions imported: users ${USERS[*]} (guest stays, for the tests, on 127.0.0.1 only)"
}

# redis-cli as the fleet's Redis admin once it exists, else as the default user (a fresh services.sh Redis).
redis_cli() {
  services_env
  local port="${REDIS_URL##*:}"
  if [ -s "$FLEET/secrets/redis-admin" ] && [ "$(REDISCLI_AUTH="$(password redis-admin)" redis-cli --no-auth-warning --user admin -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then
    REDISCLI_AUTH="$(password redis-admin)" redis-cli --no-auth-warning --user admin -h 127.0.0.1 -p "$port" "$@"
  else
    redis-cli -h 127.0.0.1 -p "$port" "$@"
  fi
}

# Redis ACL users (deploy/redis/users.acl.template): each worker its own keys; then the default user is switched off,
# so that while the fleet runs nothing reaches Redis without a password (`stop --keep-services` switches it back on
# for the tests that share this Redis).
redis_acl() {
  local env=() user rules
  for user in "${REDIS_USERS[@]}"; do env+=("REDIS_PASSWORD_${user^^}_FILE=$FLEET/secrets/redis-$user"); done
  (umask 077; env "${env[@]}" dotnet "$ROOT/Cli/bin/Release/net10.0/neuraltrade.dll" redis acl \
     --template "$ROOT/deploy/redis/users.acl.template" --out "$FLEET/users.acl" >/dev/null)
  while read -r _ user rules; do
    [ "$user" = default ] && continue
    # shellcheck disable=SC2086  # the rules are words
    [ "$(redis_cli ACL SETUSER "$user" reset $rules)" = OK ] || { log "Redis refused the ACL of $user"; exit 1; }
  done < "$FLEET/users.acl"
  [ "$(redis_cli ACL SETUSER default off)" = OK ] || { log "could not switch Redis's default user off"; exit 1; }
  log "redis ACL users loaded: ${REDIS_USERS[*]}; the default user is off while the fleet runs"
}

redis_open() {
  redis_cli ACL SETUSER default on >/dev/null
  local user
  for user in "${REDIS_USERS[@]}"; do [ "$user" = admin ] || redis_cli ACL DELUSER "$user" >/dev/null; done
  redis-cli -h 127.0.0.1 -p "${REDIS_URL##*:}" ACL DELUSER admin >/dev/null
  log "redis: the fleet's ACL users removed, the default user back on (for the tests sharing it)"
}

redis_url_of() {
  services_env
  echo "redis://$1:$(password "redis-$1")@${REDIS_URL#redis://}"
}

url_of() {
  services_env
  local rest="${RABBITMQ_URL#amqp://*@}"
  echo "amqp://$1:$(password "$1")@$rest"
}

start_worker() {
  local worker="$1" project="${PROJECT[$1]}"
  local dir="$ROOT/Workers.$project/bin/Release/net10.0"
  if [ -f "$FLEET/$worker.pid" ] && kill -0 "$(cat "$FLEET/$worker.pid")" 2>/dev/null; then
    log "$worker already running (pid $(cat "$FLEET/$worker.pid"))"; return
  fi
  services_env
  (
    cd "$dir"
    RABBITMQ_URL="$(url_of "$worker")" REDIS_URL="$(redis_url_of "$worker")" Urls="http://127.0.0.1:${PORT[$worker]}" \
    Tracking__LocalDirectory="$FLEET/runs" Inference__InstanceId="local-1" \
      setsid nohup dotnet "NeuralTrade.Events.Workers.$project.dll" >>"$FLEET/logs/$worker.log" 2>&1 < /dev/null &
    echo $! > "$FLEET/$worker.pid"
  )
  log "$worker started (pid $(cat "$FLEET/$worker.pid"), log $FLEET/logs/$worker.log, health http://127.0.0.1:${PORT[$worker]}/health/ready)"
}

ready() { curl -fsS -m 2 "http://127.0.0.1:${PORT[$1]}/health/ready" >/dev/null 2>&1; }

start() {
  "$ROOT/deploy/services.sh" install
  "$ROOT/deploy/services.sh" start
  mkdir -p "$FLEET/logs" "$FLEET/runs"
  secrets
  build
  definitions
  redis_acl
  for worker in "${WORKERS[@]}"; do start_worker "$worker"; done
  for worker in "${WORKERS[@]}"; do
    for _ in $(seq 1 120); do ready "$worker" && break; sleep 0.5; done
    ready "$worker" || { log "$worker is not ready; last lines of its log:"; tail -n 20 "$FLEET/logs/$worker.log" >&2; exit 1; }
  done
  log "fleet ready. Operator: eval \"\$(deploy/fleet.sh env)\"; dotnet Cli/bin/Release/net10.0/neuraltrade.dll queues"
}

stop() {
  for worker in "${WORKERS[@]}"; do
    [ -f "$FLEET/$worker.pid" ] || continue
    local pid; pid="$(cat "$FLEET/$worker.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 90); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && { log "$worker did not stop in 45 s; killing"; kill -KILL "$pid"; }
      log "$worker stopped"
    fi
    rm -f "$FLEET/$worker.pid"
  done
  if [ "${1:-}" = "--keep-services" ]; then
    redis_open
  else
    # The services' Redis is stopped as the admin (its default user is off); a restart starts without the fleet's users.
    redis_cli shutdown nosave >/dev/null 2>&1 || true
    "$ROOT/deploy/services.sh" stop
  fi
}

status() {
  for worker in "${WORKERS[@]}"; do
    local pid="-" state="stopped"
    if [ -f "$FLEET/$worker.pid" ] && kill -0 "$(cat "$FLEET/$worker.pid")" 2>/dev/null; then
      pid="$(cat "$FLEET/$worker.pid")"
      state="$(curl -sS -m 2 "http://127.0.0.1:${PORT[$worker]}/health/ready" 2>/dev/null || echo "not answering")"
    fi
    printf '%-10s pid %-8s ready: %s\n' "$worker" "$pid" "$state"
  done
  "$ROOT/deploy/services.sh" status
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  status) status ;;
  logs) [ -n "${2:-}" ] && [ -n "${PORT[${2}]:-}" ] || { echo "usage: $0 logs ingest|training|registry|inference|monitor" >&2; exit 2; }
        tail -n 100 -f "$FLEET/logs/$2.log" ;;
  env) services_env
       echo "export RABBITMQ_URL=$(url_of operator)"
       echo "export RABBITMQ_MANAGEMENT_URL=$RABBITMQ_MANAGEMENT_URL"
       echo "export REDIS_URL=$(redis_url_of operator)" ;;
  *) echo "usage: $0 start|stop [--keep-services]|status|logs WORKER|env" >&2; exit 2 ;;
esac
