#!/usr/bin/env python3
"""mutate.py DIR [--seed 7] -- deterministic edits of a gen.py tree (incremental-sync case).

What it changes, in place:
  * 20 small files (files outside the CLIENT/videos folders; all of them if fewer):
    4 KiB of random bytes written over the file at an offset that is not a multiple of
    4 KiB (when the file is larger than 4 KiB), so no block-aligned shortcut applies;
  * one video: 1 MiB of random bytes appended;
  * another video: 64 KiB of random bytes written over the middle;
  * one existing small-file folder: 10 new files of 100 KiB random bytes
    (new-asset-s<SEED>-01.jpg ... -10.jpg).

Files are chosen from the sorted list of relative paths, so the same tree and seed always
give the same edits. Edited and new files get the current mtime, as an editor would leave
them; rewritten files keep their size. With at least 20 small files (any gen.py scale
>= 0.01) that is 2,220,032 bytes of new content, printed as bytes_changed=N.
Run it once per copy: it refuses a tree that already holds the new files of this seed
(and then changes nothing). Python 3.9+ stdlib only.
"""
import argparse
import os
import random
import sys

KIB = 1 << 10
MIB = 1 << 20
SMALL_EDITS, SMALL_EDIT_BYTES = 20, 4 * KIB
VIDEO_APPEND_BYTES = MIB
VIDEO_MIDDLE_BYTES = 64 * KIB
NEW_FILES, NEW_FILE_BYTES = 10, 100 * KIB


def tree_files(top):
    """Relative paths ('/'-separated) of the regular files under top, sorted."""
    out = []
    for root, _dirs, names in os.walk(top):
        for name in names:
            full = os.path.join(root, name)
            if os.path.isfile(full) and not os.path.islink(full):
                out.append(os.path.relpath(full, top).replace(os.sep, "/"))
    return sorted(out)


def is_video(rel):
    parts = rel.split("/")
    return len(parts) >= 3 and parts[1] == "videos"


def overwrite(path, offset, data):
    """Write data over path at offset (the file keeps its size if it fits)."""
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def unaligned_offset(rng, size, n):
    """A random offset in [0, size - n] that is not a multiple of 4 KiB, if one exists."""
    last = size - n
    if last <= 0:
        return 0
    offset = rng.randint(0, last)
    if offset % (4 * KIB) == 0:
        offset = offset + 1 if offset < last else offset - 1
    return offset


def main():
    ap = argparse.ArgumentParser(
        description="Deterministic in-place edits of a gen.py tree (incremental-sync benchmark).")
    ap.add_argument("dir", help="a tree written by gen.py")
    ap.add_argument("--seed", type=int, default=7, help="edit seed (default 7)")
    args = ap.parse_args()
    top = args.dir
    if not os.path.isdir(top):
        sys.exit(f"mutate.py: {top}: not a directory")

    files = tree_files(top)
    videos = [f for f in files if is_video(f)]
    small = [f for f in files if not is_video(f)]
    if len(videos) < 2 or not small:
        sys.exit(f"mutate.py: {top}: not a gen.py tree (needs 2 videos in CLIENT/videos "
                 f"and other files; found {len(videos)} videos and {len(small)} others)")

    rng = random.Random(args.seed)
    edited = rng.sample(small, min(SMALL_EDITS, len(small)))
    appended, middle = rng.sample(videos, 2)
    folders = sorted({f.rsplit("/", 1)[0] for f in small if "/" in f})
    if not folders:
        sys.exit(f"mutate.py: {top}: no small file is in a folder")
    folder = rng.choice(folders)
    new_names = [f"{folder}/new-asset-s{args.seed}-{k:02d}.jpg" for k in range(1, NEW_FILES + 1)]
    clash = [n for n in new_names if os.path.lexists(os.path.join(top, *n.split("/")))]
    if clash:
        sys.exit(f"mutate.py: {clash[0]} exists: this tree was already mutated with seed "
                 f"{args.seed} (nothing changed)")

    def path(rel):
        return os.path.join(top, *rel.split("/"))

    changed = 0
    for rel in edited:
        size = os.path.getsize(path(rel))
        n = min(SMALL_EDIT_BYTES, size)
        offset = unaligned_offset(rng, size, n)
        overwrite(path(rel), offset, rng.randbytes(n))
        changed += n
    print(f"rewrote {SMALL_EDIT_BYTES // KIB} KiB in {len(edited)} small files")

    with open(path(appended), "ab") as f:
        f.write(rng.randbytes(VIDEO_APPEND_BYTES))
    changed += VIDEO_APPEND_BYTES
    print(f"appended {VIDEO_APPEND_BYTES // KIB} KiB to {appended}")

    size = os.path.getsize(path(middle))
    n = min(VIDEO_MIDDLE_BYTES, size)
    overwrite(path(middle), (size - n) // 2, rng.randbytes(n))
    changed += n
    print(f"rewrote {n // KIB} KiB in the middle of {middle}")

    for rel in new_names:
        with open(path(rel), "xb") as f:
            f.write(rng.randbytes(NEW_FILE_BYTES))
        changed += NEW_FILE_BYTES
    print(f"added {NEW_FILES} files of {NEW_FILE_BYTES // KIB} KiB in {folder}")

    print(f"bytes_changed={changed}")


if __name__ == "__main__":
    main()
