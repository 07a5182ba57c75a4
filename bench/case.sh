#!/usr/bin/env bash
# Case writer overhead: `ferret scan` into a new case vs `ferret inventory`
# on the same tree (medians, warm cache), case bytes per row, and page-query
# time on a synthetic 1M-file case.
#   bench/case.sh [-r RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3; [ "${1:-}" = -r ] && runs=$2
cargo build --release -q --examples && cargo build --release -q
ferret=target/release/ferret
t() { local s e; s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
for shape in mixed small; do
  tree=bench/out/$shape-1
  [ -d "$tree" ] || python3 bench/gen_tree.py "$shape" "$tree"
  warm() { find "$tree" -type f -print0 | xargs -0 -P2 -n 256 cat > /dev/null; }
  inv=$(for _ in $(seq "$runs"); do warm; t $ferret inventory -q -f jsonl "$tree"; done | median)
  sc=$(for i in $(seq "$runs"); do rm -f bench/out/c.ferret*; warm; t $ferret scan -q --new --case-number B --examiner b -c bench/out/c.ferret "$tree"; done | median)
  rows=$(sqlite3 bench/out/c.ferret 'select count(*) from files' 2>/dev/null || echo 0)
  size=$(stat -c %s bench/out/c.ferret)
  printf '%s: inventory %.2f s, scan into case %.2f s (%+.1f%%); case %.1f MB, %d rows, %.0f bytes/row\n' \
    "$shape" "$inv" "$sc" "$(echo "($sc - $inv) * 100 / $inv" | bc -l)" "$(echo "$size / 1000000" | bc -l)" "$rows" \
    "$(echo "$size / ($rows + 0.0001)" | bc -l)"
  rm -f bench/out/c.ferret*
done
target/release/examples/case_query_bench 1000000
