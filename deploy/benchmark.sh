#!/usr/bin/env bash
# Runs the benchmark suite, or one of its benchmarks, and prints one table of every figure against the bound measured in
# the same run; the figures also go to artifacts/benchmarks/<name>.json (suite.json for `all`).
#   deploy/benchmark.sh [all]    every benchmark below in one run (about 15 minutes on 2 cores); takes all their options
#   deploy/benchmark.sh ingest   [--messages N] [--batch-size N] [--publishers N]   real RabbitMQ + Redis (started and stopped here)
#   deploy/benchmark.sh inference [--requests N] [--in-flight N] [--memory-predictions N] [--rounds N]  real RabbitMQ + Redis; BenchmarkDotNet
#   deploy/benchmark.sh stream   [--series 10 100 500] [--closes N] [--rounds N] [--one-message-per-close] [--monitor]  real RabbitMQ + Redis: closes of N series → predictions
#   deploy/benchmark.sh scale    [--instances 1 2 3] [--requests N] [--in-flight N]  real RabbitMQ + Redis: Inference as 1..N processes
#     inference, stream and scale also take [--hidden-size N] [--layers N]: the served model (defaults 128, 2; the slow case: 256, 3)
#   deploy/benchmark.sh training [--candles N] [--epochs N] [--rounds N]            in process, no services
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -gt 0 ] || set -- all
if [ "$1" = all ] || [ "$1" = ingest ] || [ "$1" = inference ] || [ "$1" = stream ] || [ "$1" = scale ] || [ "$1" = search ]; then
  deploy/services.sh install
  before="$(deploy/services.sh status 2>/dev/null || true)"
  deploy/services.sh start
  if [[ "$before" != *"redis: PONG"* || "$before" != *"rabbitmq: Ping succeeded"* ]]; then
    trap 'deploy/services.sh stop' EXIT
  fi
  eval "$(deploy/services.sh env)"
  export RABBITMQ_URL REDIS_URL RABBITMQ_MANAGEMENT_URL
fi
# scale starts the Inference worker as its own processes: the solution is built first.
[ "$1" != scale ] && [ "$1" != search ] || dotnet build NeuralTrade.Events.slnx -c Release -v quiet -nologo -clp:NoSummary
dotnet run -c Release --project benchmarks/NeuralTrade.Events.Benchmarks -- "$@"
