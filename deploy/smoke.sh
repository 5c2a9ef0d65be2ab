#!/usr/bin/env bash
# The real fleet end to end, as an operator runs it: deploy/fleet.sh starts RabbitMQ, Redis and the five workers as
# separate processes with their own broker users; the CLI, logged in as `operator`, publishes a market, trains and waits
# for the gate, asks for a prediction and checks the dead-letter queues; then the workers stop (the services stay up:
# whoever started them stops them).
# Prints "fleet smoke: passed" or "fleet smoke: FAILED at <step>" and exits accordingly. Needs the solution built
# (fleet.sh builds it) and ports 8081-8085 free.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work="$(mktemp -d)"
step="start"
fail() { echo "fleet smoke: FAILED at $step" >&2; tail -n 20 .services/fleet/logs/*.log >&2 2>/dev/null; deploy/fleet.sh stop --keep-services >/dev/null 2>&1; rm -rf "$work"; exit 1; }

deploy/fleet.sh start || fail
eval "$(deploy/fleet.sh env)"
export RABBITMQ_URL RABBITMQ_MANAGEMENT_URL REDIS_URL
cli() { dotnet Cli/bin/Release/net10.0/neuraltrade.dll "$@"; }
series=(--exchange smoke --symbol "RUN$RANDOM/USD" --interval 1m)

step="simulate a market"; dotnet Fleet/bin/Release/net10.0/neuraltrade-fleet.dll simulate --count 3000 --shift-at 100000 --out "$work/market.csv" >/dev/null || fail
step="candles publish"; cli candles publish "$work/market.csv" "${series[@]}" || fail
step="train --wait"; out="$(cli train "${series[@]}" --wait --timeout 300 --set windowSize=30 --set hiddenSize=32 --set numLayers=1 \
  --set epochs=10 --set fixedThreshold=0.006 --set volatilityScale=0 --set minSamples=200 --set seed=7)" || { echo "$out"; fail; }
echo "$out"
grep -q "model.deployed\|model.rejected" <<<"$out" || fail
step="predict"; predicted="$(cli predict "${series[@]}" --timeout 30)"; code=$?; echo "$predicted"
# A rejected first model answers no_model (exit 1), which is a correct answer too; anything else is not.
[ "$code" -eq 0 ] || { [ "$code" -eq 1 ] && grep -q "no_model" <<<"$predicted"; } || fail
step="dlq list"; out="$(cli dlq list)" || fail; echo "$out"
step="queues"; cli queues || fail
step="metrics"
# Read each scrape whole before searching it: `curl | grep -q` under pipefail fails when grep stops reading early.
ingest_metrics="$(curl -fsS http://127.0.0.1:8081/metrics)" || fail
inference_metrics="$(curl -fsS http://127.0.0.1:8084/metrics)" || fail
step="metrics: ingest's MassTransit consume"; grep -q "messaging_masstransit_consume" <<<"$ingest_metrics" || fail   # queue work
step="metrics: inference's MassTransit consume"; grep -q "messaging_masstransit_consume" <<<"$inference_metrics" || fail
step="metrics: ingest's candles"; grep -q "neuraltrade_ingest_candles_total" <<<"$ingest_metrics" || fail
grep -q "neuraltrade_inference_model_version" <<<"$inference_metrics" || { step="metrics: model version"; [[ "$predicted" == *no_model* ]] || fail; }
step="redis: closed without a password"; [[ "$(redis-cli -p "${REDIS_URL##*:}" set smoke 1 2>&1)" == *NOAUTH* ]] || fail
step="redis: the operator reads, never writes"
operator_password="${REDIS_URL#redis://operator:}"; operator_password="${operator_password%@*}"
[[ "$(REDISCLI_AUTH="$operator_password" redis-cli --no-auth-warning --user operator -p "${REDIS_URL##*:}" set smoke 1 2>&1)" == *NOPERM* ]] || fail
step="stop"; deploy/fleet.sh stop --keep-services || fail
rm -rf "$work"
echo "fleet smoke: passed"
