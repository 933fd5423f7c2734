#!/bin/bash
# Times metadata and score slices (issue #9) on an existing store: each query three times, the
# first cold-ish, the median reported. Usage: bench/run_slices.sh STORE [WINNOW_BINARY]
# Stores of 1M and 10M demo interactions come from bench/run_ingest.sh.
set -euo pipefail
store=${1:?usage: bench/run_slices.sh STORE [WINNOW_BINARY]}
winnow=${2:-build/release/app/winnow}
run() {
    local label="$1"
    shift
    local times=()
    for _ in 1 2 3; do
        local start end
        start=$(date +%s.%N)
        "$winnow" --db "$store" "$@" --json >/dev/null
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc)")
    done
    local sorted
    mapfile -t sorted < <(printf '%s\n' "${times[@]}" | sort -n)
    printf '%-70s %s   median %s\n' "$label" "${times[*]}" "${sorted[1]}"
}
run "metrics (whole store, from the rollups)" metrics
run "metrics --where metadata.region=us-east" metrics --where metadata.region=us-east
run "metrics --where score.reward>=0.5" metrics --where 'score.reward>=0.5'
run "metrics --by metadata.region" metrics --by metadata.region
run "metrics --where agent=support-bot --where score.reward<0.5" metrics --where agent=support-bot --where 'score.reward<0.5'
run "metrics --from 2026-11-01 --where metadata.region=eu-west --bucket day" metrics --from 2026-11-01 --where metadata.region=eu-west --bucket day
run "scores --by agent_version" scores --by agent_version
run "scores --by metadata.region" scores --by metadata.region
