#!/usr/bin/env bash
# The ingest benchmark of issue #2, as one timed command:
#   bench/run_ingest.sh [INTERACTIONS]     (default 1000000)
# Generates the demo logs, then ingests them into fresh stores with Winnow (with and without the
# full-text index), with the Python baseline (with and without), with DuckDB's read_json into the
# same three core tables (its npm package, installed here into bench/duckdb/node_modules when Node.js
# is on the machine; bench only, never a dependency of Winnow), and runs the store's ceiling
# (pre-parsed rows, Google Benchmark). Prints one line of figures per run; copy them into
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

# Prints: label, seconds, interactions/s, MB/s, peak RSS MB, store MB
measure() {
  local label=$1 db=$2; shift 2
  rm -f "$db" "$db-wal" "$db-shm" "$db-search" "$db-search-wal" "$db-search-shm" "$db.wal"
  case "$db" in
    *.duckdb) ;; # DuckDB makes its own database
    *) "$winnow" --db "$db" stats >/dev/null ;; # an empty store with Winnow's schema, for every SQLite contender
  esac
  sync
  local t0 t1 rss
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$out/rss.txt" "$@" >/dev/null
  t1=$(date +%s.%N)
  rss=$(cat "$out/rss.txt")
  python3 - "$label" "$t0" "$t1" "$n" "$bytes" "$rss" "$db" <<'PY'
import os, sys
label, t0, t1, n, size, rss, db = sys.argv[1:]
s = float(t1) - float(t0)
store = sum(os.path.getsize(p) for p in (db, db + "-wal", db + "-search", db + "-search-wal", db + ".wal") if os.path.exists(p))
print(f"| {label} | {s:.1f} s | {int(n)/s:,.0f} | {int(size)/s/1e6:.1f} | {int(rss)/1024:.0f} MB | {store/1e6:,.0f} MB |")
PY
}

echo "| run | time | interactions/s | MB/s | peak RSS | store |"
echo "|---|---|---|---|---|---|"
# Two runs of each Winnow variant: this kind of machine is noisy (±20% between runs).
for run in 1 2; do
  measure "winnow ingest (run $run)" "$out/winnow.db" "$winnow" --db "$out/winnow.db" ingest "$input"
  measure "winnow ingest --no-index (run $run)" "$out/winnow-noindex.db" "$winnow" --db "$out/winnow-noindex.db" ingest --no-index "$input"
done
if command -v npm >/dev/null; then
  (cd "$root/bench/duckdb" && npm ci --no-audit --no-fund --silent)
  for run in 1 2; do
    measure "DuckDB read_json, 3 tables (run $run)" "$out/duckdb.duckdb" node "$root/bench/duckdb/ingest.js" "$input" "$out/duckdb.duckdb"
  done
else
  echo "| DuckDB | not run: no Node.js/npm on this machine | | | | |"
fi
measure "baseline_ingest.py" "$out/baseline.db" python3 "$root/bench/baseline_ingest.py" "$input" "$out/baseline.db"
measure "baseline_ingest.py --no-fts" "$out/baseline-nofts.db" python3 "$root/bench/baseline_ingest.py" "$input" "$out/baseline-nofts.db" --no-fts
WINNOW_BENCH_ROWS=$n WINNOW_BENCH_JSONL="$input" "$root/build/release/bench/winnow_bench_ingest" \
  --benchmark_filter='BM_StoreCeiling|BM_Parse|BM_Detect' 2>/dev/null
