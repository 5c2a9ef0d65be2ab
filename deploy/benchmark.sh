#!/usr/bin/env bash
# Runs a benchmark against a real RabbitMQ and Redis started from Debian's packages, then stops them
# (unless they were already running). Usage: deploy/benchmark.sh [ingest] [--messages N] [--batch-size N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
deploy/services.sh install
before="$(deploy/services.sh status 2>/dev/null || true)"
deploy/services.sh start
if [[ "$before" != *"redis: PONG"* || "$before" != *"rabbitmq: Ping succeeded"* ]]; then
  trap 'deploy/services.sh stop' EXIT
fi
eval "$(deploy/services.sh env)"
export RABBITMQ_URL REDIS_URL RABBITMQ_MANAGEMENT_URL
[ $# -gt 0 ] || set -- ingest
dotnet run -c Release --project benchmarks/NeuralTrade.Events.Benchmarks -- "$@"
