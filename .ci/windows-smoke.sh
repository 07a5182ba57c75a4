#!/usr/bin/env bash
# Windows smoke test: the cross-built release ferret.exe, run under Wine,
# must do what the Linux build does on the same tree. Every check is an
# assertion on the output, not only an exit code.
#
#   .ci/windows-smoke.sh [FERRET_EXE]
#
# Needs wine64 (Debian: /usr/lib/wine), the mingw-w64 compiler (for the
# ProcessPrng shim Debian's Wine 8 lacks), python3 (digests and the case are
# checked independently of Ferret: hashlib, b3sum, sqlite3), and for the GUI
# check xvfb-run and ImageMagick.
set -euo pipefail
cd "$(dirname "$0")/.."
exe=${1:-target/x86_64-pc-windows-gnu/release/ferret.exe}
work=$(mktemp -d /tmp/ferret-win.XXXXXX)
trap 'wineserver -k >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export WINEPREFIX=$work/prefix WINEDEBUG=-all PATH=/usr/lib/wine:$PATH
fail() { echo "windows smoke: FAILED: $*" >&2; exit 1; }
step() { echo "windows smoke: $*"; }
started=$(date +%s)

wine64 wineboot -i >/dev/null 2>&1 || fail "wineboot"
bin=$work/bin
mkdir -p "$bin"
cp "$exe" "$bin/ferret.exe"
x86_64-w64-mingw32-gcc -shared -O2 -o "$bin/bcryptprimitives.dll" .ci/windows/processprng.c -ladvapi32
w() { wine64 "$bin/ferret.exe" "$@"; }
# A Linux path as Wine's Z: drive names it.
winpath() { local p=$1; echo "Z:${p//\//\\}"; }

step "--version"
out=$(w --version 2>&1) || fail "--version exited non-zero: $out"
[[ $out == *"$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"* ]] || fail "--version: $out"

step "a tree of 40 files, one of them listed in an alert set"
tree=$work/tree
python3 - "$tree" "$work/set.txt" <<'PY'
import hashlib, os, random, sys
tree, setfile = sys.argv[1], sys.argv[2]
rnd = random.Random(7)
for i in range(40):
    d = os.path.join(tree, f"d{i % 4}")
    os.makedirs(d, exist_ok=True)
    data = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 70000)))
    with open(os.path.join(d, f"f{i:02d}.bin"), "wb") as f:
        f.write(data)
known = open(os.path.join(tree, "d1", "f05.bin"), "rb").read()
open(setfile, "w").write(hashlib.md5(known).hexdigest() + "\n")
PY

step "hashset import"
out=$(w hashset --library "$(winpath "$work/lib")" import -k alert "$(winpath "$work/set.txt")" -n known 2>&1) \
  || fail "import: $out"
[[ $out == *"imported known (alert"*"1 entries"* ]] || fail "import said: $out"

step "inventory: the digests of every file, as hashlib and b3sum compute them"
w inventory -q -f jsonl "$(winpath "$tree")" > "$work/win.jsonl" || fail "inventory exited non-zero"
python3 - "$work/win.jsonl" "$tree" <<'PY' || fail "inventory digests differ"
import hashlib, json, os, re, shutil, subprocess, sys
got = {}
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    if o.get("status") == "hashed":
        name = re.split(r"[\\/]", o["path"])[-1]
        got[name] = tuple(o.get(a) for a in ("md5", "sha1", "sha256", "blake3"))
b3 = shutil.which("b3sum")
want = {}
for d, _, files in os.walk(sys.argv[2]):
    for f in files:
        p = os.path.join(d, f)
        data = open(p, "rb").read()
        blake = subprocess.run([b3, "--no-names", p], capture_output=True, text=True).stdout.strip() if b3 else None
        want[f] = (hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(), hashlib.sha256(data).hexdigest(), blake)
if not b3:
    print("windows smoke: SKIP: b3sum missing: BLAKE3 not compared")
    got = {k: v[:3] + (None,) for k, v in got.items()}
assert len(want) == 40, len(want)
assert got == want, sorted(set(got.items()) ^ set(want.items()))[:4]
print(f"windows smoke: {len(got)} files, every digest equal")
PY

step "paths as Windows users read them: drive letter, one backslash between names"
python3 - "$work/win.jsonl" "$(winpath "$tree")" <<'PY' || fail "inventory paths are not in the Windows form"
import json, sys
paths = [json.loads(l)["path"] for l in open(sys.argv[1], encoding="utf-8")]
want = sys.argv[2] + "\\d1\\f05.bin"
assert want in paths, (want, paths[:3])
bad = [p for p in paths if "/" in p or "\\\\" in p]
assert not bad, bad[:3]
print(f"windows smoke: {len(paths)} paths, e.g. {want}")
PY

step "hidden and system attributes recorded"
for flag in +h +s; do
  wine64 cmd /c attrib "$flag" "$(winpath "$tree/d2/f02.bin")" >/dev/null 2>&1 || fail "attrib $flag"
done
w inventory -q -f jsonl -a md5 "$(winpath "$tree")" > "$work/attr.jsonl" || fail "inventory after attrib"
python3 - "$work/attr.jsonl" <<'PY' || fail "attributes not recorded"
import json, sys
rows = {json.loads(l)["path"].split("\\")[-1]: json.loads(l) for l in open(sys.argv[1], encoding="utf-8")}
got = rows["f02.bin"].get("attributes", "").split(",")
assert "hidden" in got and "system" in got, rows["f02.bin"]
assert "hidden" not in rows["f03.bin"].get("attributes", ""), rows["f03.bin"]
print(f"windows smoke: f02.bin attributes {','.join(got)}")
PY

step "a path past 260 characters"
long=$work/long
deep=$long
for i in $(seq 1 12); do deep=$deep/$(printf 'folder-%02d-abcdefghijklmnop' "$i"); done
mkdir -p "$deep" && printf 'deep' > "$deep/deep.txt"
w inventory -q -f jsonl -a sha256 "$(winpath "$long")" > "$work/long.jsonl" || fail "inventory of the long path"
python3 - "$work/long.jsonl" <<'PY' || fail "the long path was not read"
import hashlib, json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
deep = [r for r in rows if r["path"].endswith("\\deep.txt")]
assert len(deep) == 1, rows[-2:]
r = deep[0]
assert len(r["path"]) > 260 and not r["path"].startswith("\\\\?\\"), r["path"]
assert r["status"] == "hashed" and r["sha256"] == hashlib.sha256(b"deep").hexdigest(), r
print(f"windows smoke: {len(r['path'])}-character path hashed")
PY

step "scan into a case, with the set"
w scan -q --new --case-number W-1 --examiner Wine --case "$(winpath "$work/case.ferret")" \
  --library "$(winpath "$work/lib")" -s known "$(winpath "$tree")" >/dev/null 2>&1 || fail "scan exited non-zero"
python3 - "$work/case.ferret" <<'PY' || fail "the case does not hold the scan"
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
hashed = c.execute("SELECT count(*) FROM files WHERE status = 'hashed'").fetchone()[0]
alerts = c.execute("SELECT count(*) FROM files WHERE verdict = 'alert'").fetchone()[0]
status = c.execute("SELECT status FROM scans ORDER BY id DESC LIMIT 1").fetchone()[0]
assert (hashed, alerts, status) == (40, 1, "complete"), (hashed, alerts, status)
style, root = c.execute("SELECT path_style, root_text FROM evidence").fetchone()
assert style == "windows" and root.startswith("Z:\\") and "/" not in root, (style, root)
path = c.execute("SELECT path_text FROM files WHERE verdict = 'alert'").fetchone()[0]
assert path == "d1\\f05.bin", path
PY

step "report, checked by sha256sum and by ferret verify"
w report "$(winpath "$work/case.ferret")" -o "$(winpath "$work/report")" >/dev/null 2>&1 || fail "report exited non-zero"
(cd "$work/report" && sha256sum -c --strict --quiet manifest.sha256) || fail "manifest does not verify"
out=$(w verify "$(winpath "$work/report")" 2>&1) || fail "verify: $out"
[[ $out == *"every file matches manifest.sha256"* ]] || fail "verify said: $out"

if command -v xvfb-run >/dev/null && command -v import >/dev/null && command -v xdotool >/dev/null; then
  step "the desktop app opens into the demo case"
  # The Wine server the commands above started has no display: stop it so
  # the app's starts one inside the virtual X server.
  wineserver -k >/dev/null 2>&1 || true
  wineserver -w >/dev/null 2>&1 || true
  shot=$work/gui.png
  # Up to 90 s for the window (a fresh Wine prefix is slow the first time):
  # the title must name the demo case and the screen must not be blank.
  xvfb-run -a -s '-screen 0 1280x800x24' bash -c '
    wine64 "$0" --demo >"$1.log" 2>&1 & pid=$!
    title=""
    for i in $(seq 1 45); do
      title=$(xdotool search --name "case DEMO-0001" getwindowname 2>/dev/null | head -1)
      [ -n "$title" ] && break
      sleep 2
    done
    sleep 3
    import -window root "$1" || true
    echo "$title" > "$1.title"
    kill $pid 2>/dev/null || true
    wineserver -k 2>/dev/null || true' "$bin/ferret.exe" "$shot" || true
  title=$(cat "$shot.title" 2>/dev/null || true)
  if [ -z "$title" ]; then
    tail -20 "$shot.log" >&2 || true
    fail "no window titled for the demo case appeared within 90 s"
  fi
  [ -s "$shot" ] || fail "no screenshot of the app"
  sd=$(convert "$shot" -colorspace Gray -format '%[fx:standard_deviation]' info:)
  python3 -c "import sys; sys.exit(0 if float('$sd') > 0.02 else 1)" || fail "the app's window is blank (sd $sd)"
  step "window \"$title\", screenshot not blank (grey standard deviation $sd)"
else
  echo "windows smoke: SKIP: xvfb-run, ImageMagick or xdotool missing: the GUI check did not run"
fi
step "passed in $(( $(date +%s) - started )) s"
