#!/usr/bin/env bash
# The export benchmark of issue #12, as one timed command:
#   bench/run_export.sh [INTERACTIONS]     (default 1000000)
# Generates the demo logs and ingests them into a fresh store, then exports every interaction to
# openai-chat with redaction and near-duplicate removal, with Winnow (from its store) and with the
# Python baseline (bench/baseline_export.py, from the same logs). Prints one line per run:
# seconds, interactions/s, MB/s of the logs, peak RSS, records written. Copy them into
# bench/RESULTS.md with the date and machine.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${1:-1000000}
out="$root/bench/out"
mkdir -p "$out"
"$root/tools/dev" bench >/dev/null
winnow="$root/build/release/app/winnow"
input="$out/demo-$n.jsonl"
[ -f "$input" ] || "$winnow" demo --interactions "$n" --seed 1 --out "$input"
bytes=$(stat -c %s "$input")
store="$out/export-$n.db"
rm -f "$store" "$store-wal" "$store-shm" "$store-search" "$store-search-wal" "$store-search-shm"
"$winnow" --db "$store" ingest --no-index "$input" >/dev/null 2>&1

measure() {
  local label=$1 records=$2; shift 2
  sync
  local t0 t1 rss
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$out/rss.txt" "$@" >/dev/null
  t1=$(date +%s.%N)
  rss=$(cat "$out/rss.txt")
  python3 - "$label" "$t0" "$t1" "$n" "$bytes" "$rss" "$records" <<'PY'
import sys
label, t0, t1, n, size, rss, records = sys.argv[1:]
s = float(t1) - float(t0)
lines = sum(1 for _ in open(records, encoding="utf-8"))
print(f"| {label} | {s:.1f} s | {int(n)/s:,.0f} | {int(size)/s/1e6:.1f} | {int(rss)/1024:.0f} MB | {lines:,} |")
PY
}

echo "| run | time | interactions/s | MB/s of logs | peak RSS | records |"
echo "|---|---|---|---|---|---|"
rm -rf "$out/export-winnow" "$out/export-winnow.partial"
measure "Winnow: export --format openai-chat --include-unreviewed --redact --dedupe 0.85" \
  "$out/export-winnow/data.jsonl" \
  "$winnow" --db "$store" export --format openai-chat --include-unreviewed --redact --dedupe 0.85 \
  --out "$out/export-winnow"
measure "Python baseline (json, re, a plain MinHash)" "$out/export-python.jsonl" \
  python3 "$root/bench/baseline_export.py" "$input" "$out/export-python.jsonl"
