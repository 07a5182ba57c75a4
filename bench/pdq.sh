#!/usr/bin/env bash
# Perceptual hashing (PDQ) cost, measured in one run (issue 16).
#
#   [FERRET=path] bench/pdq.sh [-d DIR] [-r RUNS]
#
# Generates (ImageMagick) a photo-heavy tree: JPEG photos of 3, 8 and 12 MP,
# PNG screenshots of 2 MP, and as many bytes of other files. Prints medians:
#   - the cost per picture (decode + hash), from a tree of each kind alone;
#   - the scan throughput of the whole tree with PDQ on and off, and the
#     ratio (target: PDQ on costs at most 30%);
#   - the CPU and `openssl speed sha256` of this run, the compute bound.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=bench/out/pdq runs=3
while [ $# -gt 0 ]; do
  case $1 in
    -d) dir=$2; shift 2 ;;
    -r) runs=$2; shift 2 ;;
    *) echo "usage: $0 [-d DIR] [-r RUNS]" >&2; exit 2 ;;
  esac
done
ferret=${FERRET:-target/release/ferret}
[ -x "$ferret" ] || cargo build --release
command -v convert >/dev/null || { echo "needs ImageMagick (convert)" >&2; exit 2; }

if [ ! -f "$dir/.done" ]; then
  rm -rf "$dir" && mkdir -p "$dir"/{jpeg3,jpeg8,jpeg12,png2,other}
  for i in 1 2 3 4; do
    convert -seed "$i" -size 2000x1500 plasma:fractal -blur 0x1 -quality 88 "$dir/jpeg3/p$i.jpg"
    convert -seed "$i" -size 3264x2448 plasma:fractal -blur 0x1 -quality 88 "$dir/jpeg8/p$i.jpg"
    convert -seed "$i" -size 4000x3000 plasma:fractal -blur 0x1 -quality 88 "$dir/jpeg12/p$i.jpg"
    convert -seed "$i" -size 1920x1080 xc:white -fill gray20 -pointsize 28 \
      -draw "text 40,80 'Screenshot $i: lorem ipsum dolor sit amet'" \
      -fill steelblue -draw "rectangle 40,120 1880,$((400 + 100 * i))" "$dir/png2/s$i.png"
  done
  bytes=$(du -sb "$dir"/jpeg* "$dir"/png2 | awk '{s+=$1} END {print s}')
  head -c "$bytes" /dev/urandom > "$dir/other/data.bin"
  touch "$dir/.done"
fi

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
timeit() { # command
  local times=()
  for _ in $(seq "$runs"); do
    find "$dir" -type f -print0 | xargs -0 cat > /dev/null
    local s; s=$(date +%s.%N)
    bash -c "$1" > /dev/null 2>&1 || true
    times+=("$(echo "$(date +%s.%N) - $s" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | median
}

printf 'machine: %s, %s cores\n' "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" "$(nproc)"
echo "cost per picture (one thread; PDQ on minus off, over 4 pictures):"
for kind in jpeg3 jpeg8 jpeg12 png2; do
  on=$(timeit "$ferret inventory -q --pdq -j 1 -f jsonl -a sha256 $dir/$kind")
  off=$(timeit "$ferret inventory -q -j 1 -f jsonl -a sha256 $dir/$kind")
  printf '  %-7s %7.1f ms per picture (%.2f s on, %.2f s off)\n' "$kind" \
    "$(echo "($on - $off) * 1000 / 4" | bc -l)" "$on" "$off"
done
total=$(du -sb "$dir" | cut -f1)
# A scan computes all four digests unless told otherwise: so do these.
on=$(timeit "$ferret inventory -q --pdq -f jsonl $dir")
off=$(timeit "$ferret inventory -q -f jsonl $dir")
printf 'whole tree (%.0f MB, half pictures), all cores, MD5+SHA-1+SHA-256+BLAKE3 as a scan: PDQ off %.2f s (%.0f MB/s), on %.2f s (%.0f MB/s): on costs %.0f%% of the throughput\n' \
  "$(echo "$total / 1000000" | bc -l)" "$off" "$(echo "$total / 1000000 / $off" | bc -l)" \
  "$on" "$(echo "$total / 1000000 / $on" | bc -l)" "$(echo "100 * (1 - $off / $on)" | bc -l)"
if command -v openssl >/dev/null; then
  echo "compute bound in this run:"
  openssl speed -seconds 1 -bytes 16384 sha256 2>/dev/null | tail -1
fi
