#!/usr/bin/env bash
# The whole test suite, on a fresh Debian 12 machine or a developer's:
#   1. installs RabbitMQ and Redis from Debian's packages where missing (root or sudo),
#   2. starts RabbitMQ (with the management UI) and Redis on 127.0.0.1 with their own data under .services/,
#   3. builds and runs every NUnit test (unit and integration) in Release,
#   4. runs the numerically sensitive tests (category Numerics) again under a second CPU dispatch setting and another
#      seed (libtorch's default kernels, MKL capped at SSE4.2, oneDNN at SSE4.1, NEURALTRADE_TEST_SEED=1), so that an
#      assertion that holds only for this CPU's floats or one seed fails here, not on a user's machine,
#   5. runs the deployment smoke test, stops the services it started, and prints "N passed, N failed, N skipped".
# Extra arguments go to `dotnet test` (e.g. --filter Category!=Broker).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

deploy/services.sh install

already_up=0
before="$(deploy/services.sh status 2>/dev/null || true)"
if [[ "$before" == *"redis: PONG"* && "$before" == *"rabbitmq: Ping succeeded"* ]]; then
  already_up=1   # started by someone else: leave them running
fi
deploy/services.sh start
if [ "$already_up" -eq 0 ]; then
  trap 'deploy/services.sh stop' EXIT
fi

# The tests read these (not RABBITMQ_URL / REDIS_URL, which would switch the unit tests' hosts to the real services).
eval "$(deploy/services.sh env)"
export NEURALTRADE_RABBITMQ="$RABBITMQ_URL" NEURALTRADE_REDIS="$REDIS_URL" NEURALTRADE_RABBITMQ_MANAGEMENT="$RABBITMQ_MANAGEMENT_URL"
export NEURALTRADE_RABBITMQ_TLS="$RABBITMQ_TLS_URL" NEURALTRADE_RABBITMQ_CA="$RABBITMQ_CA_FILE"
export NEURALTRADE_REDIS_TLS="$REDIS_TLS_URL" NEURALTRADE_REDIS_CA="$REDIS_CA_FILE"
unset RABBITMQ_URL REDIS_URL RABBITMQ_MANAGEMENT_URL RABBITMQ_TLS_URL RABBITMQ_CA_FILE REDIS_TLS_URL REDIS_CA_FILE
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

log="$(mktemp)"
results="$(mktemp -d)"   # one TRX file per test assembly: the slowest tests are printed at the end
status=0
start=$SECONDS
phase() { printf '== [%d min %02d s] %s\n' $(( (SECONDS - start) / 60 )) $(( (SECONDS - start) % 60 )) "$*"; }
# A test that runs longer than this is a hang: its test host is stopped and the test named, and the run goes on,
# instead of the whole suite running into CI's limit without saying where.
hang="${NEURALTRADE_TEST_HANG_TIMEOUT:-15m}"
phase "build and every test"
# The reliability suite writes its one table of exact counts here; printed at the end.
export NEURALTRADE_RELIABILITY_TABLE="${NEURALTRADE_RELIABILITY_TABLE:-$(mktemp)}"
: > "$NEURALTRADE_RELIABILITY_TABLE"
dotnet test NeuralTrade.Events.slnx -c Release --results-directory "$results" --logger trx \
  --blame-hang-timeout "$hang" --blame-hang-dump-type none "$@" 2>&1 | tee "$log" || status=$?

# The numerically sensitive group again, under another CPU dispatch setting and seed (docs/testing.md, "Numerics");
# skipped when the run is filtered (extra arguments) or NEURALTRADE_SKIP_SECOND_DISPATCH=1.
if [ $# -eq 0 ] && [ "${NEURALTRADE_SKIP_SECOND_DISPATCH:-0}" != 1 ]; then
  phase "the Numerics tests again: ATEN_CPU_CAPABILITY=default MKL_ENABLE_INSTRUCTIONS=SSE4_2 ONEDNN_MAX_CPU_ISA=SSE41 NEURALTRADE_TEST_SEED=1"
  # (NEURALTRADE_RELIABILITY_TABLE emptied: the first pass's table is the one to print.)
  ATEN_CPU_CAPABILITY=default MKL_ENABLE_INSTRUCTIONS=SSE4_2 ONEDNN_MAX_CPU_ISA=SSE41 NEURALTRADE_TEST_SEED=1 NEURALTRADE_RELIABILITY_TABLE= \
    dotnet test NeuralTrade.Events.slnx -c Release --no-build --filter TestCategory=Numerics \
      --blame-hang-timeout "$hang" --blame-hang-dump-type none 2>&1 | tee -a "$log" || status=$?
fi

# The deployment script end to end (separate worker processes, per-worker broker users, the CLI as operator);
# skipped when the run is filtered (extra arguments) or NEURALTRADE_SKIP_SMOKE=1.
smoke=""
if [ $# -eq 0 ] && [ "${NEURALTRADE_SKIP_SMOKE:-0}" != 1 ]; then
  phase "the deployment smoke test"
  if deploy/smoke.sh 2>&1 | tee -a "$log" | tail -n 40; [ "${PIPESTATUS[0]}" -eq 0 ]; then smoke=passed; else smoke=failed; status=1; fi
fi

phase "done"
echo "== the slowest tests (first pass)"
grep -ho '<UnitTestResult [^>]*' "$results"/*.trx 2>/dev/null \
  | sed -nE 's/.*testName="([^"]*)".*duration="([0-9:]*)[^"]*".*/\2  \1/p' | sort -r | head -n 15 || true

if [ -s "$NEURALTRADE_RELIABILITY_TABLE" ]; then
  echo "== reliability suite: exact counts per scenario"
  cat "$NEURALTRADE_RELIABILITY_TABLE"
fi

# One closing line for the whole suite, summed over the test assemblies.
awk '/(Passed|Failed)! +- +Failed: / {
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     } END { if (smoke == "passed") p++; if (smoke == "failed") f++; printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' smoke="$smoke" "$log"
if ! grep -qE '(Passed|Failed)! +- +Failed: ' "$log"; then
  echo "no test results were reported" >&2
  status=1
fi
rm -rf "$log" "$results"
exit "$status"
