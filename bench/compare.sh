#!/usr/bin/env bash
# Ferret against its peers on one generated tree, in one run.
#
#   bench/compare.sh [-s mixed|small|large|tiny] [-d DIR] [-r RUNS] [--scale F]
#
# Runs each tool RUNS times (default 3) with a warm page cache (the tree is
# re-read, untimed, right before every timed run: this kernel drops page cache
# untouched for about a minute) and prints medians, MB/s, files/s and ratios.
# Peers: hashdeep -c md5,sha1,sha256 -r -j2; rhash -r --md5 --sha1 --sha256;
# b3sum; sha256sum via xargs -P2. Ferret computes the same digests as each
# peer it is compared with (md5+sha1+sha256), and all four as a second line.
set -euo pipefail
cd "$(dirname "$0")/.."
shape=mixed dir="" runs=3 scale=1
while [ $# -gt 0 ]; do
  case $1 in
    -s) shape=$2; shift 2 ;;
    -d) dir=$2; shift 2 ;;
    -r) runs=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    *) echo "usage: $0 [-s shape] [-d dir] [-r runs] [--scale F]" >&2; exit 2 ;;
  esac
done
dir=${dir:-bench/out/$shape-$scale}
ferret=target/release/ferret
[ -x "$ferret" ] || cargo build --release
echo "generating $shape tree in $dir (kept for later runs)…" >&2
python3 bench/gen_tree.py "$shape" "$dir" --scale "$scale"
files=$(find "$dir" -type f ! -name .ferret-bench-done | wc -l)
bytes=$(find "$dir" -type f ! -name .ferret-bench-done -printf '%s\n' | awk '{s+=$1} END {printf "%.0f", s}')

warm() { find "$dir" -type f -print0 | xargs -0 -P2 -n 256 cat > /dev/null; }

declare -A cmds=(
  [ferret]="$ferret inventory -q -a md5,sha1,sha256 -f hashdeep $dir"
  [ferret-all4]="$ferret inventory -q -f jsonl $dir"
  [hashdeep]="hashdeep -c md5,sha1,sha256 -r -j2 $dir"
  [rhash]="rhash -r --md5 --sha1 --sha256 $dir"
  [b3sum]="find $dir -type f -print0 | xargs -0 -n 256 b3sum"
  [sha256sum]="find $dir -type f -print0 | xargs -0 -P2 -n 256 sha256sum"
)
order=(ferret ferret-all4 hashdeep rhash b3sum sha256sum)

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

printf '\nmachine: %s, %s cores, %s; tree: %s, %d files, %.2f GB\n' \
  "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" "$(nproc)" "$(uname -r)" "$shape" "$files" \
  "$(echo "$bytes / 1000000000" | bc -l)"
declare -A med
for t in "${order[@]}"; do
  tool=${t%%-*}; [ "$tool" = ferret ] || command -v "$tool" >/dev/null || { echo "skip $t: not installed"; continue; }
  times=()
  for _ in $(seq "$runs"); do
    warm
    s=$(date +%s.%N)
    bash -c "${cmds[$t]}" > /dev/null 2>&1 || true
    e=$(date +%s.%N)
    times+=("$(echo "$e - $s" | bc -l)")
  done
  med[$t]=$(printf '%s\n' "${times[@]}" | median)
done
printf '\n%-12s %9s %9s %11s %14s\n' tool "median s" "MB/s" "files/s" "ferret faster"
for t in "${order[@]}"; do
  [ -n "${med[$t]:-}" ] || continue
  m=${med[$t]}
  printf '%-12s %9.2f %9.0f %11.0f %13.2fx\n' "$t" "$m" "$(echo "$bytes / 1000000 / $m" | bc -l)" \
    "$(echo "$files / $m" | bc -l)" "$(echo "$m / ${med[ferret]}" | bc -l)"
done
echo "(ferret faster = tool median / ferret median, ferret computing md5+sha1+sha256)"
