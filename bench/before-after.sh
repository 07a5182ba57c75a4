#!/usr/bin/env bash
# Two builds of Ferret on the same tree, interleaved run by run (so both see
# the same machine state), warm page cache, medians and the ratio.
#
#   bench/before-after.sh OLD_BINARY NEW_BINARY TREE [RUNS]
#
# Measures: inventory with hashdeep's three digests, inventory with all four
# (JSON lines), and a scan of all four into a new case file.
set -euo pipefail
old=$1 new=$2 tree=$3 runs=${4:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
warm() { find "$tree" -type f -print0 | xargs -0 -P2 -n 256 cat > /dev/null; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
files=$(find "$tree" -type f | wc -l)
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.0f", s}')
printf 'machine: %s, %s cores, %s; tree %s: %d files, %.2f GB; %d runs each, interleaved\n' \
  "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" "$(nproc)" "$(uname -r)" "$tree" "$files" \
  "$(echo "$bytes / 1000000000" | bc -l)" "$runs"
declare -A cmds=(
  [inventory-3]='"$bin" inventory -q -a md5,sha1,sha256 -f hashdeep "$tree" > /dev/null'
  [inventory-4]='"$bin" inventory -q -f jsonl "$tree" > /dev/null'
  [scan-case]='"$bin" scan -q --new --case-number B --examiner B --case "$work/$RANDOM$RANDOM.ferret" "$tree" > /dev/null 2>&1'
)
for t in inventory-3 inventory-4 scan-case; do
  declare -a a=() b=()
  for _ in $(seq "$runs"); do
    for which in old new; do
      bin=${!which}
      warm
      s=$(date +%s.%N)
      eval "${cmds[$t]}" || true
      e=$(date +%s.%N)
      d=$(echo "$e - $s" | bc -l)
      if [ "$which" = old ]; then a+=("$d"); else b+=("$d"); fi
    done
  done
  ma=$(printf '%s\n' "${a[@]}" | median)
  mb=$(printf '%s\n' "${b[@]}" | median)
  printf '%-12s before %6.2f s (%4.0f MB/s)   after %6.2f s (%4.0f MB/s)   after/before %.3f\n' \
    "$t" "$ma" "$(echo "$bytes / 1000000 / $ma" | bc -l)" "$mb" "$(echo "$bytes / 1000000 / $mb" | bc -l)" \
    "$(echo "$mb / $ma" | bc -l)"
done
