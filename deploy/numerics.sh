#!/usr/bin/env bash
# The numerically sensitive tests (category Numerics) under several CPU dispatch settings and seeds: the evidence that
# no test depends on one CPU's floats or one lucky seed (docs/testing.md, "Numerics"). Starts the services as
# deploy/test.sh does, prints one line per cell and a table at the end; exits non-zero if any cell failed.
#
#   deploy/numerics.sh                       # settings: native, default; seeds 0 1 2
#   NUMERICS_SETTINGS="native avx2 default" NUMERICS_SEEDS="0 1 2 3 4" deploy/numerics.sh
#
# Settings: native (whatever this CPU dispatches to), avx2 (libtorch and MKL capped at AVX2, as on a CPU without
# AVX-512), default (libtorch's default kernels, MKL at SSE4.2, oneDNN at SSE4.1).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
settings=(${NUMERICS_SETTINGS:-native default})
seeds=(${NUMERICS_SEEDS:-0 1 2})

environment_of() {
  case "$1" in
    native) echo "" ;;
    avx2) echo "ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2" ;;
    default) echo "ATEN_CPU_CAPABILITY=default MKL_ENABLE_INSTRUCTIONS=SSE4_2 ONEDNN_MAX_CPU_ISA=SSE41" ;;
    *) echo "unknown setting '$1' (native, avx2, default)" >&2; exit 2 ;;
  esac
}

deploy/services.sh install && deploy/services.sh start || exit 1
dotnet build NeuralTrade.Events.slnx -c Release -nologo -clp:ErrorsOnly || exit 1
export NEURALTRADE_SKIP_SMOKE=1
table=(); failed=0
for setting in "${settings[@]}"; do
  for seed in "${seeds[@]}"; do
    log="$(mktemp)"
    # deploy/test.sh with arguments runs only the filtered tests; the services are already up, so it leaves them running.
    env $(environment_of "$setting") NEURALTRADE_TEST_SEED="$seed" \
      bash deploy/test.sh --no-build --filter TestCategory=Numerics >"$log" 2>&1
    line="$(grep -E '^tests: ' "$log" | tail -n 1)"
    [ -n "$line" ] || line="tests: no result"
    grep -qE '^tests: [0-9]+ passed, 0 failed' <<<"$line" || { failed=1; grep -E '^\s+Failed ' "$log" | sed 's/^/    /'; }
    row="$(printf '%-8s seed %-3s %s' "$setting" "$seed" "${line#tests: }")"
    echo "$row"; table+=("$row")
    rm -f "$log"
  done
done
echo; echo "Numerics tests by CPU dispatch setting and seed:"; printf '  %s\n' "${table[@]}"
exit "$failed"
