#!/usr/bin/env bash
# The soak of issue #13, as one timed command:
#   bench/run_soak.sh [SECONDS] [EXPORTERS] [RUNS_PER_SECOND_EACH] [BURST_RATE]
#                     (defaults: 600 s, 4 exporters, 8 agent runs a second each, a burst of 1000/s)
# The desktop app runs offscreen on a new store with its receiver on and the Dashboard refreshing
# live (winnow_bench_soak); the real OpenTelemetry JS SDK exports to it from EXPORTERS processes
# for SECONDS (tools/otel-js/soak.js; needs Node.js and the npm registry once), with a burst of
# small requests midway. Then the store is counted: what the exporters were told was received
# must be what the store holds. Prints the app's samples (resident memory over time, the event
# loop's lateness) and a summary; copy them into bench/RESULTS.md.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-600}
exporters=${2:-4}
runs=${3:-8}
burst=${4:-1000}
out="$root/bench/out/soak"
rm -rf "$out"
mkdir -p "$out"
"$root/tools/dev" bench >/dev/null
build="$root/build/release"
(cd "$root/tools/otel-js" && [ -d node_modules ] || npm ci --no-audit --no-fund --silent)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
store="$out/soak.db"
# The app outlives the exporters by a minute: their last batches, and the traces still waiting.
"$build/bench/winnow_bench_soak" "$store" "$port" $((seconds + 60)) > "$out/app.jsonl" 2> "$out/app.err" &
app=$!
for _ in $(seq 100); do grep -q listening "$out/app.jsonl" 2>/dev/null && break; sleep 0.2; done
grep -q listening "$out/app.jsonl" || { cat "$out/app.err"; exit 1; }

node "$root/tools/otel-js/soak.js" --url "http://127.0.0.1:$port" --seconds "$seconds" \
  --exporters "$exporters" --runs "$runs" --burst-rate "$burst" > "$out/sdk.json"
wait "$app"
"$build/app/winnow" --db "$store" --json stats > "$out/store.json"

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
samples, done = [], None
for line in open(f"{out}/app.jsonl"):
    if line.startswith("{"):
        record = json.loads(line)
        if "done" in record:
            done = record["done"]
        else:
            samples.append(record)
sdk = json.load(open(f"{out}/sdk.json"))
store = json.load(open(f"{out}/store.json"))
print("| s | RSS MB | of it SQLite MB | RSS − SQLite MB | dashboard loads | event loop late (max ms) | requests | spans | log records | interactions |")
print("|---|---|---|---|---|---|---|---|---|---|")
for s in samples[5::6] if len(samples) > 12 else samples:
    print(f"| {s['seconds']} | {s['rss_kb']/1024:.0f} | {s['sqlite_kb']/1024:.0f} | {(s['rss_kb']-s['sqlite_kb'])/1024:.0f} | "
          f"{s['dashboard_loads']} | {s['longest_late_ms']} | "
          f"{s['requests']} | {s['spans']} | {s['log_records']} | {s['interactions']} |")
burst = sdk.get("burst") or {}
expected_interactions = sdk["agent_runs"] + burst.get("spans_exported", 0)
warm = [s["rss_kb"] for s in samples if s["seconds"] >= 60]
rest = [s["rss_kb"] - s["sqlite_kb"] for s in samples if s["seconds"] >= 60]
def first_max_last_mb(kb):
    return {"first": kb[0] / 1024, "max": max(kb) / 1024, "last": kb[-1] / 1024} if kb else None
print()
print(json.dumps({
    "sdk": sdk,
    "app": done,
    "store": store,
    "spans_received_equal_exported": done["spans"] == sdk["spans_exported"] + burst.get("spans_exported", 0),
    "log_records_received_equal_exported": done["log_records"] == sdk["log_records_exported"],
    "interactions_stored": store.get("interactions"),
    "interactions_expected": expected_interactions,
    "rss_mb_after_first_minute": first_max_last_mb(warm),
    "rss_less_sqlite_mb_after_first_minute": first_max_last_mb(rest),
    "event_loop_late_max_ms": max((s["longest_late_ms"] for s in samples), default=None),
}, indent=1))
PY
