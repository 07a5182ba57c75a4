#!/usr/bin/env bash
# Hash-set figures: import rate, compiled size, open time, lookup rate, and
# scan throughput with big sets loaded vs none; plus hashdeep -m -k with the
# same MD5 list on the same tree, in one run.
#
#   bench/hashsets.sh [-n SHA1_ENTRIES] [-m MD5_LINES] [-t TREE]
# Defaults: 50M SHA-1 (ignore), 10M MD5 (alert), the mixed tree of compare.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
sha1_n=50000000 md5_n=10000000 tree=bench/out/mixed-1 runs=3
while [ $# -gt 0 ]; do
  case $1 in
    -n) sha1_n=$2; shift 2 ;; -m) md5_n=$2; shift 2 ;; -t) tree=$2; shift 2 ;;
    *) echo "usage: $0 [-n N] [-m N] [-t TREE]" >&2; exit 2 ;;
  esac
done
out=bench/out/hashsets; mkdir -p "$out"
cargo build --release -q --examples
cargo build --release -q
ferret=target/release/ferret
[ -f "$out/sha1-$sha1_n.txt" ] || target/release/examples/gen_hashes sha1 "$sha1_n" "$out/sha1-$sha1_n.txt" 1
[ -f "$out/md5-$md5_n.txt" ] || target/release/examples/gen_hashes md5 "$md5_n" "$out/md5-$md5_n.txt" 2
[ -d "$tree" ] || python3 bench/gen_tree.py mixed "$tree"
lib=$out/lib; rm -rf "$lib"
t() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
for spec in "sha1-$sha1_n:ignore:big-ignore" "md5-$md5_n:alert:big-alert"; do
  IFS=: read -r file kind name <<<"$spec"
  secs=$(t $ferret hashset --library "$lib" import -k "$kind" -n "$name" "$out/$file.txt")
  lines=${file#*-}
  printf 'import %-12s %10d lines in %6.1f s = %5.2f M lines/s\n' "$file" "$lines" "$secs" "$(echo "$lines / $secs / 1000000" | bc -l)"
done
target/release/examples/hashset_probe "$lib/big-ignore.fhs" sha1
target/release/examples/hashset_probe "$lib/big-alert.fhs" md5
warm() { find "$tree" -type f -print0 | xargs -0 -P2 -n 256 cat > /dev/null; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
run() { for _ in $(seq $runs); do warm; t "$@"; done | median; }
none=$(run $ferret inventory -q -a md5,sha1,sha256 "$tree")
sets=$(run $ferret inventory -q -a md5,sha1,sha256 --library "$lib" -s big-ignore -s big-alert "$tree")
printf 'scan %s: no sets %.2f s, with %d+%d-entry sets %.2f s: %+.1f%%\n' "$tree" "$none" "$sha1_n" "$md5_n" "$sets" \
  "$(echo "($sets - $none) * 100 / $none" | bc -l)"
if command -v hashdeep >/dev/null; then
  # hashdeep -k reads only hashdeep files: the same list in that format.
  hdlist=$out/md5-$md5_n.hashdeep
  [ -f "$hdlist" ] || { printf '%%%%%%%% HASHDEEP-1.0\n%%%%%%%% size,md5,filename\n## \n'; awk '{print "0,"$1",x"NR}' "$out/md5-$md5_n.txt"; } > "$hdlist"
  hd=$(run hashdeep -c md5 -r -j2 -m -k "$hdlist" "$tree")
  fi_=$(t $ferret hashset --library "$lib.2" import -k alert -n m "$out/md5-$md5_n.txt")
  fm=$(run $ferret inventory -q -a md5 --library "$lib.2" -s m -m "$tree")
  rm -rf "$lib.2"
  printf 'hashdeep -c md5 -m -k (%d-line list): %.2f s; ferret import %.2f s + match scan %.2f s = %.2f s\n' \
    "$md5_n" "$hd" "$fi_" "$fm" "$(echo "$fi_ + $fm" | bc -l)"
fi
