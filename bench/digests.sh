#!/usr/bin/env bash
# Issue 19's digest benchmark, in one run: the single-stream bound measured
# here (`openssl speed`, one thread, 16 KiB blocks, with and without SHA-NI)
# and Ferret's rates against it, in memory (examples/digest_paths.rs) and on
# generated trees with a warm page cache (an untimed read right before the
# timed runs; medians of RUNS, default 3).
#
#   bench/digests.sh [TREE...]     (default: the mixed, large and medium trees
#                                   bench/gen_tree.py makes under bench/out)
#
# One-pass bound per core = 1 / (1/MD5 + 1/SHA-1 + 1/SHA-256), each at
# OpenSSL's single-stream rate: what one pass of all three can reach with the
# best one-stream code. The tree bound is that times the cores.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
ferret=${FERRET:-target/release/ferret}
cargo build --release --quiet --bin ferret --example digest_paths
cores=$(nproc)
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $cores cores ($(lscpu | grep -o -w -E 'sha_ni|avx512bw|avx2' | sort -u | tr '\n' ' '))"
echo "$(openssl version); $(date -u +%FT%TZ)"

# MB/s of one OpenSSL thread; $2 masks CPU features (OPENSSL_ia32cap).
rate() {
  env ${2:+OPENSSL_ia32cap=$2} openssl speed -seconds 2 -bytes 16384 -mr "$1" 2>/dev/null |
    awk -F: '/^\+F:/ {printf "%.0f", $4 / 1e6}'
}
md5=$(rate md5); sha1=$(rate sha1); sha256=$(rate sha256)
# CPUID.7.0:EBX bit 29 is SHA-NI: masked, OpenSSL runs its best software code.
sha1_soft=$(rate sha1 ':~0x20000000'); sha256_soft=$(rate sha256 ':~0x20000000')
bound=$(echo "1 / (1/$md5 + 1/$sha1 + 1/$sha256)" | bc -l)
printf '\nopenssl one thread, MB/s: md5 %s, sha1 %s, sha256 %s; without SHA-NI: sha1 %s, sha256 %s\n' \
  "$md5" "$sha1" "$sha256" "$sha1_soft" "$sha256_soft"
printf 'one-pass md5+sha1+sha256 bound: %.0f MB/s a core, %.0f MB/s on %s cores\n' \
  "$bound" "$(echo "$bound * $cores" | bc -l)" "$cores"

echo
echo "== in memory, one thread (examples/digest_paths.rs, 64 KiB files) =="
target/release/examples/digest_paths 65536 512 | tee /tmp/ferret-digest-paths.$$
get() { awk -v p="$1" -v a="$2" '$1 == p && $2 == a {print $3}' /tmp/ferret-digest-paths.$$; }
best=$(awk '$1 ~ /^lanes-avx512$|^lanes-avx2$/ && $2 == "md5" {print $3}' /tmp/ferret-digest-paths.$$ | sort -n | tail -1)
printf 'MD5 in lanes / openssl md5: %.2fx\n' "$(echo "${best:-0} / $md5" | bc -l)"
for p in lanes-avx512-sha-lanes lanes-avx2-sha-lanes; do
  r=$(get $p sha256); [ -n "$r" ] || continue
  printf '%s SHA-256 / openssl sha256 without SHA-NI: %.2fx (/ with SHA-NI: %.2fx)\n' \
    "$p" "$(echo "$r / $sha256_soft" | bc -l)" "$(echo "$r / $sha256" | bc -l)"
  r=$(get $p sha1)
  printf '%s SHA-1 / openssl sha1 without SHA-NI: %.2fx\n' "$p" "$(echo "$r / $sha1_soft" | bc -l)"
done
rm -f /tmp/ferret-digest-paths.$$

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
timed() { # command... -> median seconds
  for _ in $(seq "$runs"); do
    s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N)
    echo "$e - $s" | bc -l
  done | median
}
trees=("$@")
[ ${#trees[@]} -gt 0 ] || trees=(bench/out/mixed-1 bench/out/large-1 bench/out/medium-0.2)
for dir in "${trees[@]}"; do
  [ -d "$dir" ] || { echo "skip $dir: not generated (bench/gen_tree.py)"; continue; }
  files=$(find "$dir" -type f ! -name .ferret-bench-done | wc -l)
  bytes=$(find "$dir" -type f ! -name .ferret-bench-done -printf '%s\n' | awk '{s += $1} END {printf "%.0f", s}')
  printf '\n== %s: %s files, %.2f GB ==\n' "$dir" "$files" "$(echo "$bytes / 1000000000" | bc -l)"
  printf '%-34s %8s %9s %9s\n' "ferret inventory" "median s" "MB/s" "of bound"
  for cfg in "default:md5,sha1,sha256" "single:md5,sha1,sha256" "default:md5" "single:md5"; do
    paths=${cfg%%:*}; algs=${cfg#*:}
    [ "$paths" = default ] && paths=""
    run() { FERRET_DIGEST_PATHS=$paths "$ferret" inventory -q -a "$algs" -f hashdeep "$dir"; }
    run > /dev/null 2>&1  # warm the page cache
    m=$(timed run)
    mbs=$(echo "$bytes / $m / 1000000" | bc -l)
    if [ "$algs" = md5 ]; then of=$(echo "$mbs / ($md5 * $cores)" | bc -l); else of=$(echo "$mbs / ($bound * $cores)" | bc -l); fi
    printf '%-34s %8.3f %9.0f %8.0f%%\n' "${cfg%%:*} -a $algs" "$m" "$mbs" "$(echo "$of * 100" | bc -l)"
  done
done
echo
echo "(of bound: against the one-pass bound on every core for md5+sha1+sha256,"
echo " against openssl md5 on every core for md5 alone; default = the paths"
echo " ferret --version names, single = FERRET_DIGEST_PATHS=single)"
