#!/usr/bin/env bash
# Inside archives, measured in one run (issue 15).
#
#   [FERRET=path] bench/archives.sh [-d DIR] [-r RUNS] [--mb N]
#
# Generates a tree of N MB (default 300) of incompressible-ish files (random
# blocks with repeats, so deflate packs them about 2:1) where a third of the
# bytes sit in archives (zip deflate, tar.gz, and 7z when `7zz`/`7z` is
# installed), and the same files unpacked in a second tree. Prints medians:
#   - Ferret with archives on (expanded content MB/s, archives counted once);
#   - Ferret on the unpacked tree (the overhead of reading members out of
#     archives instead of files);
#   - Ferret with --no-archives on a tree without archives vs with archives
#     off on this one (the cost of sniffing: noise);
#   - the decompressors alone on the same archives, single-thread
#     (`gzip -dc`, `unzip -p`), the bound Ferret's expansion is measured
#     against; and `openssl speed` for the digests, named with the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=bench/out/archives runs=3 mb=300
while [ $# -gt 0 ]; do
  case $1 in
    -d) dir=$2; shift 2 ;;
    -r) runs=$2; shift 2 ;;
    --mb) mb=$2; shift 2 ;;
    *) echo "usage: $0 [-d DIR] [-r RUNS] [--mb N]" >&2; exit 2 ;;
  esac
done
ferret=${FERRET:-target/release/ferret}
[ -x "$ferret" ] || cargo build --release
sevenz=$(command -v 7zz || command -v 7z || true)

if [ ! -f "$dir/.done-$mb" ]; then
  rm -rf "$dir" && mkdir -p "$dir/packed" "$dir/unpacked"
  python3 - "$dir" "$mb" "${sevenz:-}" <<'PY'
import io, os, random, subprocess, sys, tarfile, zipfile
out, mb, sevenz = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(15)
blocks = [rnd.randbytes(4096) for _ in range(256)]
def data(n):
    # Random blocks, each repeated a little: compresses about 2:1.
    return b"".join(rnd.choice(blocks) for _ in range(n // 4096 + 1))[:n]
total, i = mb << 20, 0
loose, groups = [], [[] for _ in range(3)]
made = 0
while made < total:
    n = rnd.choice([40_000, 200_000, 1_500_000, 6_000_000])
    name = f"f{i:05d}.{rnd.choice(['jpg', 'png', 'mp4', 'bin', 'txt'])}"
    blob = data(n)
    # A third of the bytes go into archives.
    (groups[i % 3] if i % 3 == 0 or rnd.random() < 0.17 else loose).append((name, blob))
    made += n
    i += 1
archived = [f for g in groups for f in g]
for name, blob in loose + archived:
    d = os.path.join(out, "unpacked", name[:3])
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), "wb").write(blob)
for name, blob in loose:
    d = os.path.join(out, "packed", name[:3])
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), "wb").write(blob)
with zipfile.ZipFile(os.path.join(out, "packed", "photos.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for name, blob in groups[0]:
        z.writestr(name, blob)
with tarfile.open(os.path.join(out, "packed", "backup.tar.gz"), "w:gz") as t:
    for name, blob in groups[1]:
        ti = tarfile.TarInfo(name); ti.size = len(blob); t.addfile(ti, io.BytesIO(blob))
rest = groups[2]
# The same files again for a RAR archive (written by the make_rar example),
# compared alone with the rars crate's own decoding.
rar_src = os.path.join(out, "rar-src")
os.makedirs(rar_src, exist_ok=True)
for name, blob in rest:
    open(os.path.join(rar_src, name), "wb").write(blob)
if sevenz:
    tmp = os.path.join(out, "7z-src")
    os.makedirs(tmp, exist_ok=True)
    for name, blob in rest:
        open(os.path.join(tmp, name), "wb").write(blob)
    subprocess.run([sevenz, "a", "-bd", "-mmt=1", os.path.abspath(os.path.join(out, "packed", "more.7z")), "."],
                   cwd=tmp, check=True, stdout=subprocess.DEVNULL)
else:
    with zipfile.ZipFile(os.path.join(out, "packed", "more.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in rest:
            z.writestr(name, blob)
print(f"{i} files, {len(archived)} of them in archives ({sum(len(b) for _, b in archived) >> 20} MiB)")
# Expanded bytes of each archive, for the per-format comparison.
with open(os.path.join(out, "expanded.txt"), "w") as f:
    last = "more.7z" if sevenz else "more.zip"
    for arc, g in zip(["photos.zip", "backup.tar.gz", last], groups):
        f.write(f"{arc} {sum(len(b) for _, b in g)}\n")
    f.write(f"more.rar {sum(len(b) for _, b in groups[2])}\n")
PY
  rm -rf "$dir/7z-src"
  cargo build -q --release --example make_rar
  mkdir -p "$dir/single/rar"
  target/release/examples/make_rar "$dir/single/rar/more.rar" "$dir/rar-src"
  rm -rf "$dir/rar-src"
  touch "$dir/.done-$mb"
fi

bytes_of() { find "$1" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.0f", s}'; }
warm() { find "$dir" -type f -print0 | xargs -0 -P2 -n 64 cat > /dev/null; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
timeit() { # label, command
  local times=()
  for _ in $(seq "$runs"); do
    warm
    local s; s=$(date +%s.%N)
    bash -c "$2" > /dev/null 2>&1 || true
    times+=("$(echo "$(date +%s.%N) - $s" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | median
}

expanded=$(bytes_of "$dir/unpacked")
packed=$(bytes_of "$dir/packed")
printf '\nmachine: %s, %s cores; tree: %.0f MB expanded, %.0f MB on disk with archives\n' \
  "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" "$(nproc)" "$(echo "$expanded / 1000000" | bc -l)" \
  "$(echo "$packed / 1000000" | bc -l)"

t_arch=$(timeit on "$ferret inventory -q --archives -f jsonl -a sha256 $dir/packed")
t_unp=$(timeit unpacked "$ferret inventory -q -f jsonl -a sha256 $dir/unpacked")
t_off=$(timeit off "$ferret inventory -q -f jsonl -a sha256 $dir/packed")
t_offu=$(timeit off-unpacked "$ferret inventory -q --archives -f jsonl -a sha256 $dir/unpacked")
zips=$(find "$dir/packed" -maxdepth 1 -name '*.zip' | tr '\n' ' ')
t_gz=$(timeit gz "gzip -dc $dir/packed/backup.tar.gz")
t_zip=$(timeit unzip "for z in $zips; do unzip -p \$z; done")
mbps() { echo "$1 / 1000000 / $2" | bc -l; }

printf '%-52s %8.2f s  %7.0f MB/s (expanded bytes)\n' "ferret, archives on (SHA-256)" "$t_arch" "$(mbps "$expanded" "$t_arch")"
printf '%-52s %8.2f s  %7.0f MB/s\n' "ferret, the same files unpacked" "$t_unp" "$(mbps "$expanded" "$t_unp")"
printf '%-52s %8.2f s  (archives hashed as files only)\n' "ferret, archives off" "$t_off"
printf '%-52s %8.2f s  vs %.2f s without --archives: the cost of sniffing\n' "ferret --archives on a tree without archives" "$t_offu" "$t_unp"
printf '%-52s %8.2f s\n' "gzip -dc backup.tar.gz (single thread)" "$t_gz"
printf '%-52s %8.2f s\n' "unzip -p of the zips (single thread)" "$t_zip"
printf 'overhead of archives vs unpacked: %.2fx\n' "$(echo "$t_arch / $t_unp" | bc -l)"

# Per format: each archive alone, Ferret (one thread reads it: expand and
# hash every member with SHA-256, plus the archive's own SHA-256) against
# the decompressor alone on one thread, writing to /dev/null (for RAR, the
# rars crate Ferret decodes with, in the make_rar example). The ratio is
# Ferret's MB/s of expanded content over the decompressor's.
echo
echo "per format (each archive alone; MB/s of expanded content):"
printf '%-16s %10s %10s %12s %10s %8s\n' archive "MB" "ferret s" "decompress s" "ferret MB/s" "ratio"
while read -r arc bytes; do
  one="$dir/single/${arc#*.}"
  mkdir -p "$one"
  if [ ! -e "$one/$arc" ]; then
    [ -f "$dir/packed/$arc" ] || continue
    ln "$dir/packed/$arc" "$one/$arc" 2>/dev/null || cp "$dir/packed/$arc" "$one/$arc"
  fi
  case $arc in
    *.tar.gz) dec="gzip -dc $one/$arc" ;;
    *.zip) dec="unzip -p $one/$arc" ;;
    *.7z) dec="$sevenz e -so -mmt=1 $one/$arc" ;;
    # The rars crate alone, in one process (its time includes start-up).
    *.rar) dec="target/release/examples/make_rar --decode $one/$arc" ;;
  esac
  t_f=$(timeit "$arc" "$ferret inventory -q --archives -f jsonl -a sha256 $one")
  t_d=$(timeit "$arc dec" "$dec")
  printf '%-16s %10.0f %10.2f %12.2f %10.0f %7.0f%%\n' "$arc" "$(echo "$bytes / 1000000" | bc -l)" "$t_f" "$t_d" \
    "$(mbps "$bytes" "$t_f")" "$(echo "100 * $t_d / $t_f" | bc -l)"
done < "$dir/expanded.txt"

if command -v openssl >/dev/null; then
  echo "compute bound in this run:"
  openssl speed -seconds 1 -bytes 16384 sha256 2>/dev/null | tail -1
fi
