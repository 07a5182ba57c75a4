#!/usr/bin/env python3
"""Generate benchmark evidence trees (deterministic, harmless random bytes).

usage: gen_tree.py SHAPE DIR [--scale F]
shapes:
  mixed   ~20k files, ~3 GB: log-normal sizes (documents, photos, a few videos)
  small   200k files of 0-16 KiB in 2,000 folders
  large   4 files of 1 GiB
  medium  100k files of 4 KiB-4 MiB, log-uniform (~60 GB; issue 19's
          multi-buffer tree: run it with --scale to fit the page cache)
  huge    1 file of 4 GiB (one disk image)
  scattered  ~20k files, ~3 GB shaped like a Windows drive (system and
          program folders, user documents, pictures, a few videos); 20 of
          the pictures are "alert" files whose MD5s go to DIR.alert.txt
          (beside the tree, never inside it)
  tiny    1M files of 0-1 KiB in 10,000 folders
--scale multiplies file counts (and, for large, sizes), for quick trial runs.
A finished tree is marked with DIR/.ferret-bench-done and not rebuilt.
"""
import hashlib
import os
import random
import sys


def write(path, n, rng, pool):
    # Slices of one random pool: generation stays I/O-bound, contents differ
    # per file (random offset), and digests cannot be cached across files.
    with open(path, "wb") as f:
        left = n
        while left > 0:
            k = min(left, 1 << 20)
            off = rng.randrange(0, len(pool) - k + 1)
            f.write(pool[off:off + k])
            left -= k


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    shape, root = sys.argv[1], sys.argv[2]
    scale = float(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 1.0
    done = os.path.join(root, ".ferret-bench-done")
    if os.path.exists(done):
        return
    rng = random.Random(42)
    pool = rng.randbytes(8 << 20)
    os.makedirs(root, exist_ok=True)
    total = 0
    if shape == "mixed":
        n = int(20000 * scale)
        for i in range(n):
            d = os.path.join(root, f"user{i % 7}", f"dir{i % 300:03d}")
            os.makedirs(d, exist_ok=True)
            r = rng.random()
            if r < 0.001:
                size = rng.randrange(20 << 20, 80 << 20)        # videos, ~1 GB in all
            elif r < 0.25:
                size = int(rng.lognormvariate(12.6, 0.5))       # photos, mean ~330 KB
            else:
                size = int(rng.lognormvariate(9.0, 1.5))        # documents, mean ~25 KB
            size = min(size, 80 << 20)
            write(os.path.join(d, f"f{i:06d}.bin"), size, rng, pool)
            total += size
    elif shape in ("small", "tiny"):
        n, folders, top = ((200000, 2000, 16384) if shape == "small" else (1000000, 10000, 1024))
        n = int(n * scale)
        for i in range(n):
            d = os.path.join(root, f"d{i % folders:05d}")
            if i < folders:
                os.makedirs(d, exist_ok=True)
            size = rng.randrange(0, top + 1)
            write(os.path.join(d, f"f{i:07d}"), size, rng, pool)
            total += size
    elif shape == "scattered":
        n = int(20000 * scale)
        users = ["alex", "kim", "sam"]
        pictures = []
        for i in range(n):
            r = rng.random()
            u = users[i % 3]
            if r < 0.30:
                d = os.path.join(root, "Windows", "System32", f"sub{i % 40:02d}")
                name, size = f"mod{i:06d}" + rng.choice([".dll", ".exe", ".sys", ".mui"]), int(rng.lognormvariate(11.5, 1.2))
            elif r < 0.42:
                d = os.path.join(root, "Program Files", f"Vendor{i % 25:02d}", "bin")
                name, size = f"p{i:06d}" + rng.choice([".dll", ".dat", ".pak", ".png"]), int(rng.lognormvariate(11.0, 1.5))
            elif r < 0.65:
                d = os.path.join(root, "Users", u, "Documents", f"folder{i % 50:02d}")
                name, size = f"doc{i:06d}" + rng.choice([".pdf", ".docx", ".txt", ".xlsx"]), int(rng.lognormvariate(10.0, 1.5))
            elif r < 0.80:
                d = os.path.join(root, "Users", u, "AppData", "Local", "Cache", f"c{i % 64:02d}")
                name, size = f"cache{i:06d}", int(rng.lognormvariate(9.5, 1.5))
            elif r < 0.999:
                d = os.path.join(root, "Users", u, rng.choice(["Pictures", "Downloads", "Desktop"]), f"set{i % 40:02d}")
                name, size = f"IMG_{i:06d}.jpg", int(rng.lognormvariate(12.6, 0.5))
            else:
                d = os.path.join(root, "Users", u, "Videos")
                name, size = f"VID_{i:06d}.mp4", rng.randrange(20 << 20, 80 << 20)
            size = min(size, 80 << 20)
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, name)
            write(path, size, rng, pool)
            total += size
            if name.endswith(".jpg"):
                pictures.append(path)
        alerts = rng.sample(pictures, min(20, len(pictures)))
        with open(root.rstrip("/") + ".alert.txt", "w") as out:
            for path in sorted(alerts):
                with open(path, "rb") as f:
                    out.write(hashlib.md5(f.read()).hexdigest() + "\n")
    elif shape == "medium":
        # Log-uniform 4 KiB-4 MiB (mean ~600 KB: 60 GB at scale 1).
        n = int(100000 * scale)
        for i in range(n):
            d = os.path.join(root, f"d{i % 1000:03d}")
            os.makedirs(d, exist_ok=True)
            size = int(4096 * 1024 ** rng.random())
            write(os.path.join(d, f"m{i:06d}.bin"), size, rng, pool)
            total += size
    elif shape == "huge":
        size = int((4 << 30) * scale)
        write(os.path.join(root, "disk.img"), size, rng, pool)
        total += size
    elif shape == "large":
        for i in range(4):
            size = int((1 << 30) * scale)
            write(os.path.join(root, f"image{i}.dd"), size, rng, pool)
            total += size
    else:
        print(f"unknown shape {shape}", file=sys.stderr)
        sys.exit(2)
    open(done, "w").write(f"{shape} {total}\n")


if __name__ == "__main__":
    main()
