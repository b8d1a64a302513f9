#!/usr/bin/env python3
"""gen.py DIR [--seed 42] [--scale 1.0] -- deterministic "agency deliverables" dataset.

What it writes (scale 1.0):
  * 4 video masters of 64 MiB random bytes: clientA/videos (2), clientB/videos,
    clientC/videos.
  * 2000 small files of 4-256 KiB (triangular distribution, mode 106 KiB, mean ~122 KiB)
    over 3 clients / 11 projects / nested subfolders. Even-numbered files are random
    bytes (jpg/png/pdf/zip/psd: incompressible); odd-numbered files are text-like
    (csv/txt/md/json built by repeating a per-file pool of lines: compresses well).
  * Names with a space ("Catalogo 2024", "Final Exports"), an accent ("caffè-roma-rebrand")
    and parentheses ("trade-fair (Milano)").
  * Every file and directory gets a fixed mtime in 2024.
  Total: 2004 files, ~515 MB.

The same seed and scale always give byte-identical trees. --scale multiplies the video
size and the number of small files (small files keep their 4-256 KiB sizes).
DIR must be absent or empty. Python 3.9+ stdlib only (random.Random.randbytes).
"""
import argparse
import os
import random
import sys

KIB = 1 << 10
MIB = 1 << 20
YEAR_2024 = 1704067200          # 2024-01-01T00:00:00Z
DIR_MTIME = YEAR_2024 + 364 * 86400 + 12 * 3600  # 2024-12-30T12:00:00Z

VIDEO_MIB = 64
SMALL_FILES = 2000
SMALL_MIN, SMALL_MODE, SMALL_MAX = 4 * KIB, 106 * KIB, 256 * KIB

VIDEOS = (
    ("clientA", "launch-teaser-4k.mov"),
    ("clientA", "ceo-interview-master.mp4"),
    ("clientB", "product-demo-x200.mp4"),
    ("clientC", "tvc-30s-master.mov"),
)

PROJECTS = (  # 11 projects; includes a space, an accent and parentheses on purpose
    ("clientA", "2023-spring-campaign"),
    ("clientA", "2024-brand-refresh"),
    ("clientA", "website-redesign"),
    ("clientA", "social-q3"),
    ("clientB", "product-launch-x200"),
    ("clientB", "annual-report-2023"),
    ("clientB", "trade-fair (Milano)"),
    ("clientC", "packaging-line"),
    ("clientC", "caffè-roma-rebrand"),
    ("clientC", "Catalogo 2024"),
    ("clientC", "newsletter"),
)

SUBFOLDERS = (
    "brief", "copy", "copy/translations", "design/round-1", "design/round-2",
    "design/round-2/exports", "design/round-3/Final Exports", "assets/photos/raw",
    "assets/photos/selects", "assets/logos", "deliverables/print", "deliverables/web",
    "deliverables/social/instagram", "admin/timesheets", "admin/invoices", "reports",
)

BINARY_EXT = (".jpg", ".jpg", ".png", ".pdf", ".zip", ".psd")
TEXT_EXT = (".csv", ".csv", ".txt", ".md", ".json")
STEMS = ("hero", "banner", "mockup", "proof", "layout", "export", "draft", "final",
         "asset", "shot", "scan", "sheet", "notes", "report", "plan", "brief")
WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud "
         "exercitation ullamco laboris nisi aliquip ex ea commodo consequat").split()
STAFF = ("Mario Rossi", "Giulia Bianchi", "Luca Verdi", "Sara Neri", "Paolo Gallo")
ACTIVITIES = ("design", "copywriting", "review", "meeting", "retouch", "layout", "dev")


def write_random(path, size, rng):
    """size random bytes from rng, written in 1 MiB blocks (constant memory)."""
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(MIB, left)
            f.write(rng.randbytes(n))
            left -= n


def make_line(rng, ext, client, project):
    day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if ext == ".csv":
        hours = rng.randint(1, 16) / 2
        rate = rng.choice((45, 55, 65, 80))
        return (f"{day},{client},{project},{rng.choice(ACTIVITIES)},{rng.choice(STAFF)},"
                f"{hours:.1f},{rate:.2f},{hours * rate:.2f}\n")
    if ext == ".json":
        return (f'{{"ts":"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",'
                f'"user":"{rng.choice(STAFF)}","event":"{rng.choice(ACTIVITIES)}",'
                f'"client":"{client}","project":"{project}","n":{rng.randint(0, 99999)}}}\n')
    prefix = "- " if ext == ".md" else ""
    words = " ".join(rng.choices(WORDS, k=rng.randint(6, 18)))
    return prefix + words[0].upper() + words[1:] + ".\n"


def write_text(path, size, rng, ext, client, project):
    """Text-like file: lines drawn (with repetition) from a per-file pool of lines."""
    pool = [make_line(rng, ext, client, project).encode("utf-8")
            for _ in range(max(24, size // 400))]
    mean = sum(map(len, pool)) / len(pool)
    out, have = [], 0
    while have < size:
        batch = rng.choices(pool, k=int((size - have) / mean) + 8)
        out.extend(batch)
        have += sum(map(len, batch))
    with open(path, "wb") as f:
        f.write(b"".join(out)[:size])


def build_plan(seed, scale):
    """List of (relative path, size, kind, client, project, file seed), in write order."""
    rng = random.Random(seed)
    plan = []
    video_size = max(64 * KIB, int(VIDEO_MIB * MIB * scale))
    for client, name in VIDEOS:
        plan.append((f"{client}/videos/{name}", video_size, "bin", client, "videos",
                     rng.getrandbits(64)))

    folders = []
    for client, project in PROJECTS:
        for sub in sorted(rng.sample(SUBFOLDERS, rng.randint(4, 8))):
            folders.append((client, project, f"{client}/{project}/{sub}"))

    for i in range(max(1, round(SMALL_FILES * scale))):
        client, project, folder = rng.choice(folders)
        size = int(rng.triangular(SMALL_MIN, SMALL_MAX, SMALL_MODE))
        if i % 2:
            ext = rng.choice(TEXT_EXT)
            kind = ext
        else:
            ext = rng.choice(BINARY_EXT)
            kind = "bin"
        name = f"{rng.choice(STEMS)}_{i:04d}{ext}"
        plan.append((f"{folder}/{name}", size, kind, client, project, rng.getrandbits(64)))
    return plan


def main():
    ap = argparse.ArgumentParser(
        description="Write the deterministic 'agency deliverables' benchmark dataset.")
    ap.add_argument("dir", help="output directory (absent or empty)")
    ap.add_argument("--seed", type=int, default=42, help="dataset seed (default 42)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiplies video size and small-file count (default 1.0)")
    args = ap.parse_args()
    if not args.scale > 0:
        sys.exit("gen.py: --scale must be > 0")
    if os.path.lexists(args.dir):
        if not os.path.isdir(args.dir):
            sys.exit(f"gen.py: {args.dir}: exists and is not a directory")
        if os.listdir(args.dir):
            sys.exit(f"gen.py: {args.dir}: not empty (refusing to mix datasets)")

    plan = build_plan(args.seed, args.scale)
    total = 0
    for n, (rel, size, kind, client, project, fseed) in enumerate(plan):
        path = os.path.join(args.dir, *rel.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        rng = random.Random(fseed)
        if kind == "bin":
            write_random(path, size, rng)
        else:
            write_text(path, size, rng, kind, client, project)
        mtime = YEAR_2024 + fseed % (365 * 86400)
        os.utime(path, (mtime, mtime))
        total += size
        if n and n % 500 == 0:
            print(f"  {n}/{len(plan)} files, {total / 1e6:.0f} MB", file=sys.stderr)

    # Directory mtimes too (deepest first, since creating entries touches the parent).
    for root, _dirs, _files in os.walk(args.dir, topdown=False):
        os.utime(root, (DIR_MTIME, DIR_MTIME))

    print(f"files={len(plan)} bytes={total} ({total / 1e6:.1f} MB) "
          f"seed={args.seed} scale={args.scale:g}")


if __name__ == "__main__":
    main()
