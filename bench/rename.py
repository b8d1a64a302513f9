#!/usr/bin/env python3
"""rename.py DIR [--seed 9] [--files 200] -- deterministic renames and moves in a gen.py tree.

What it changes (no file content, only paths):
  * 2 project folders (CLIENT/PROJECT, never CLIENT/videos) are renamed, one to
    "PROJECT (archived)" and the other to "OLD-PROJECT", in the same client folder;
  * then --files small files (files outside the CLIENT/videos folders; default 200)
    are each moved into another folder of the same client that holds small files. A
    name already taken there gets "-moved" before its extension.

Everything is done with os.rename, so contents and file mtimes stay as they were: a
content-addressed sync should fetch ~0 bytes, while a path-based one (rsync) sends every
file whose path changed again. Choices come from sorted listings, so the same tree and seed
always give the same result. At the end it prints the number and bytes of the files whose
path changed (files_with_new_path=N bytes_with_new_path=B; counted by inode, a file both
in a renamed folder and moved counts once) and bytes_changed=0.
Run it once per copy: it refuses a tree with a "... (archived)" or "OLD-..." project
folder or an existing target name (and then changes nothing). Python 3.9+ stdlib only.
"""
import argparse
import os
import random
import stat
import sys

PATTERNS = ("{} (archived)", "OLD-{}")


def inodes(top):
    """(st_dev, st_ino) -> (relative '/'-separated path, size) for the files under top."""
    out = {}
    for root, _dirs, names in os.walk(top):
        for name in names:
            full = os.path.join(root, name)
            st = os.lstat(full)
            if stat.S_ISREG(st.st_mode):
                out[(st.st_dev, st.st_ino)] = (
                    os.path.relpath(full, top).replace(os.sep, "/"), st.st_size)
    return out


def subdirs(path):
    return sorted(d for d in os.listdir(path)
                  if os.path.isdir(os.path.join(path, d)) and not os.path.islink(os.path.join(path, d)))


def main():
    ap = argparse.ArgumentParser(
        description="Deterministic folder renames and file moves in a gen.py tree (rename benchmark).")
    ap.add_argument("dir", help="a tree written by gen.py")
    ap.add_argument("--seed", type=int, default=9, help="choice seed (default 9)")
    ap.add_argument("--files", type=int, default=200, help="small files to move (default 200)")
    args = ap.parse_args()
    top = args.dir
    if not os.path.isdir(top):
        sys.exit(f"rename.py: {top}: not a directory")
    if args.files < 0:
        sys.exit("rename.py: --files must be >= 0")

    def path(rel):
        return os.path.join(top, *rel.split("/"))

    rng = random.Random(args.seed)
    before = inodes(top)

    # 1. Two project folders get a new name (checked before anything moves).
    projects = [f"{client}/{project}" for client in subdirs(top)
                for project in subdirs(os.path.join(top, client)) if project != "videos"]
    if len(projects) < 2:
        sys.exit(f"rename.py: {top}: not a gen.py tree (needs 2 CLIENT/PROJECT folders)")
    done = [rel for rel in projects
            if rel.endswith(" (archived)") or rel.split("/")[1].startswith("OLD-")]
    if done:
        sys.exit(f"rename.py: {done[0]}: this tree was already renamed (nothing changed)")
    renames = []
    for rel, pattern in zip(rng.sample(projects, len(PATTERNS)), PATTERNS):
        client, project = rel.split("/")
        target = f"{client}/{pattern.format(project)}"
        if os.path.lexists(path(target)):
            sys.exit(f"rename.py: {target} exists: this tree was already renamed (nothing changed)")
        renames.append((rel, target))
    for rel, target in renames:
        os.rename(path(rel), path(target))
        print(f"renamed folder {rel} -> {target}")

    # 2. Small files move to another folder of their client (listing taken after step 1).
    small = sorted(rel for rel, _size in inodes(top).values() if rel.split("/")[1:2] != ["videos"]
                   and rel.count("/") >= 2)
    folders = {}
    for rel in small:
        folders.setdefault(rel.split("/", 1)[0], set()).add(rel.rsplit("/", 1)[0])
    folders = {client: sorted(dirs) for client, dirs in folders.items()}
    moved = 0
    for rel in rng.sample(small, min(args.files, len(small))):
        client, source = rel.split("/", 1)[0], rel.rsplit("/", 1)[0]
        targets = [d for d in folders[client] if d != source]
        if not targets:
            continue
        stem, ext = os.path.splitext(rel.rsplit("/", 1)[1])
        dest = f"{rng.choice(targets)}/{stem}{ext}"
        while os.path.lexists(path(dest)):
            stem += "-moved"
            dest = f"{dest.rsplit('/', 1)[0]}/{stem}{ext}"
        os.rename(path(rel), path(dest))
        moved += 1
    print(f"moved {moved} files to other folders of the same client")

    after = inodes(top)
    new_path = [size for key, (rel, size) in before.items() if key in after and after[key][0] != rel]
    print(f"files_with_new_path={len(new_path)} bytes_with_new_path={sum(new_path)} bytes_changed=0")


if __name__ == "__main__":
    main()
