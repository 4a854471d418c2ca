#!/usr/bin/env python3
"""Data sets of bench/backup.sh, deterministic so every tool backs up the same bytes.

  a DIR       8 x 128 MiB random files
  b DIR       20,000 x 16 KiB random files in 20 x 20 folders
  mutate DIR [SEED]  rewrites every 100th file of a 'b' tree (1%) with new content (seed 3 unless given)
  fresh DIR SEED N   N x 16 KiB random files like b's, of content no other seed gives (a warm-up's)
"""
import os
import random
import sys


def files_b(root, count=20000):
    for i in range(count):
        yield os.path.join(root, "d%02d" % (i % 20), "s%02d" % ((i // 20) % 20), "f%05d.bin" % i), i


def main():
    kind, root = sys.argv[1], sys.argv[2]
    if kind == "a":
        os.makedirs(root, exist_ok=True)
        rng = random.Random(1)
        for i in range(8):
            with open(os.path.join(root, "big%d.bin" % i), "wb") as f:
                for _ in range(128):
                    f.write(rng.randbytes(1 << 20))
    elif kind == "b":
        rng = random.Random(2)
        for path, _ in files_b(root):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(rng.randbytes(16384))
    elif kind == "fresh":
        rng = random.Random("fresh-%s" % sys.argv[3])
        for path, _ in files_b(root, int(sys.argv[4])):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(rng.randbytes(16384))
    elif kind == "mutate":
        rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 3)
        for path, i in files_b(root):
            if i % 100 == 0:
                with open(path, "wb") as f:
                    f.write(rng.randbytes(16384))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
