#!/usr/bin/env bash
# Runs a benchmark and prints its table; figures also go to artifacts/benchmarks/<name>.json.
#   deploy/benchmark.sh ingest   [--messages N] [--batch-size N] [--publishers N]   real RabbitMQ + Redis (started and stopped here)
#   deploy/benchmark.sh inference [--requests N] [--in-flight N] [--memory-predictions N]  real RabbitMQ + Redis
#   deploy/benchmark.sh training [--candles N] [--epochs N] [--rounds N]            in process, no services
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -gt 0 ] || set -- ingest
if [ "$1" = ingest ] || [ "$1" = inference ]; then
  deploy/services.sh install
  before="$(deploy/services.sh status 2>/dev/null || true)"
  deploy/services.sh start
  if [[ "$before" != *"redis: PONG"* || "$before" != *"rabbitmq: Ping succeeded"* ]]; then
    trap 'deploy/services.sh stop' EXIT
  fi
  eval "$(deploy/services.sh env)"
  export RABBITMQ_URL REDIS_URL RABBITMQ_MANAGEMENT_URL
fi
dotnet run -c Release --project benchmarks/NeuralTrade.Events.Benchmarks -- "$@"
