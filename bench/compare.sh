#!/usr/bin/env bash
# Ferret against its peers on one generated tree, in one run.
#
#   [FERRET=path] bench/compare.sh [-s mixed|small|large|huge|tiny|scattered] [-d DIR] [-r RUNS] [--scale F]
#
# Runs each tool RUNS times (default 3) with a warm page cache (the tree is
# re-read, untimed, right before every timed run: this kernel drops page cache
# untouched for about a minute) and prints medians, MB/s, files/s and ratios.
# Peers: hashdeep -c md5,sha1,sha256 -r -j2; rhash -r --md5 --sha1 --sha256;
# b3sum; sha256sum via xargs -P2. Ferret computes the same digests as each
# peer it is compared with (md5+sha1+sha256), and all four as a second line.
# Then Ferret alone: the evidence device it detected, peak RSS of a scan into
# a new case file, and, on the scattered tree (20 alert pictures among ~20k
# files), time and bytes read before the first alert, hits-first vs walk order.
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
# FERRET=path compares another build (e.g. the one before a change).
ferret=${FERRET:-target/release/ferret}
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

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
warm
/usr/bin/time -f '%M' -o "$tmp/rss" $ferret scan --new -c "$tmp/case.ferret" --case-number bench \
  --examiner bench -a md5,sha1,sha256 "$dir" 2> "$tmp/scan.log" > /dev/null || true
printf '\nferret scan into a new case: peak RSS %.0f MB; %s\n' "$(echo "$(cat "$tmp/rss") / 1024" | bc -l)" \
  "$(grep -o 'evidence device: .*' "$tmp/scan.log" || echo 'device not reported')"

alerts=${dir%/}.alert.txt
if [ -f "$alerts" ]; then
  $ferret hashset --library "$tmp/lib" import -k alert -n alerts "$alerts" > /dev/null 2>&1
  printf '\nfirst alert (%d alert files), medians of %d:\n%-11s %9s %12s %9s %10s\n' "$(wc -l < "$alerts")" "$runs" \
    order "seconds" "bytes read" "% bytes" "files done"
  for order in hits-first walk; do
    for _ in $(seq "$runs"); do
      warm
      $ferret inventory -a md5,sha1,sha256 --library "$tmp/lib" -s alerts --order "$order" "$dir" 2>&1 > /dev/null |
        sed -n 's/.*first alert after \([0-9.]*\) s, \(.*\) read (\([0-9.]*\)% of the bytes), \([0-9]*\) files done.*/\1 \3 \4 \2/p'
    done > "$tmp/first-$order"
    m() { awk "{print \$$1}" "$tmp/first-$order" | median; }
    printf '%-11s %9.2f %12s %9.1f %10.0f\n' "$order" "$(m 1)" \
      "$(sort -n -k2 "$tmp/first-$order" | awk -v n="$runs" 'NR == int((n + 1) / 2) {print $4, $5}')" "$(m 2)" "$(m 3)"
  done
fi
