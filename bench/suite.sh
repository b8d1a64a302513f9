#!/usr/bin/env bash
# bench/suite.sh [BASEDIR] -- the whole benchmark suite in one run: ingest.sh, sync.sh and
# export.sh, each into its own WORKDIR under BASEDIR (default <project root>/bench-work):
#   BASEDIR/ingest  store ingest vs cp+sync, restic (default compression and
#                   RESTIC_COMPRESSION=off) and borg create --compression none
#   BASEDIR/sync    push vs restic backup; pull vs an rsync daemon (initial, no-op,
#                   after mutate.py, after rename.py)
#   BASEDIR/export  followup export vs tar -cf FILE, restic dump and borg export-tar
# then prints ONE combined Markdown table, built from the three summary.tsv files (every
# followup/peer pair and every check: row | Follow Up | peer | ratio | goal | verdict), and
# writes it with all three results.json files into bench/results/suite-DATE-TIME.json
# (and the table into suite-DATE-TIME.md beside it).
#
# The followup binary is built once (swift build -c release) unless FOLLOWUP_BIN is set,
# and passed to the three scripts. Missing tools (restic, borg, rsync, openssl, ...) are
# installed with apt-get first. Each script's report (stdout) is printed as it runs and
# kept in BASEDIR/suite/NAME.md. A script that fails does not stop the suite: its rows are
# missing from the table, and the exit status is then the first non-zero one of the
# scripts (after the table); 0 when all three ran, even when a goal is missed.
#
# Environment: everything the three scripts read (FOLLOWUP_BIN, BENCH_RUNS, BENCH_SCALE,
# BENCH_SEED, BIG_FILE_GIB, BENCH_PORT, BENCH_RSYNC_PORT, BENCH_DROP_CACHES,
# BENCH_CLEANUP) is passed to them unchanged; BENCH_RUNS unset keeps each script's own
# default (ingest 5, sync 3, export 3 rounds).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$BENCH_DIR/lib.sh"  # sets ROOT, the project root

bench_args suite.sh "<project root>/bench-work" "$@"
mkdir -p "${1:-$ROOT/bench-work}"
BASE=$(realpath -e "${1:-$ROOT/bench-work}")
set_workdir "$BASE/suite" ""  # WORK = BASEDIR/suite (the reports), LOGS
bench_env 1  # checks BENCH_SEED and BENCH_RUNS early (the scripts use their own defaults)
SCRIPTS=(ingest sync export)
RESULTS=$ROOT/bench/results
STARTED=$(date -u +%FT%TZ)
OUT_BASE=$RESULTS/suite-$(date -u +%Y%m%d-%H%M%S)

install_missing python3 restic rsync openssl tar diff=diffutils borg=borgbackup
find_followup  # FU: FOLLOWUP_BIN, or a release build in ROOT
export FOLLOWUP_BIN=$FU  # the three scripts reuse it instead of building again
rm -rf "${LOGS:?}"
mkdir -p "$LOGS" "$RESULTS"

# --- the three scripts, one after another ----------------------------------------------
declare -A RC
FIRST_FAIL=0
for s in "${SCRIPTS[@]}"; do
  log "suite: bench/$s.sh $BASE/$s"
  rc=0
  "$BENCH_DIR/$s.sh" "$BASE/$s" | tee "$WORK/$s.md" || rc=$?
  RC[$s]=$rc
  if ((rc != 0)); then
    log "suite: bench/$s.sh exited with status $rc; going on"
    ((FIRST_FAIL)) || FIRST_FAIL=$rc
  fi
done

# --- the combined table and JSON ----------------------------------------------------------
args=()
for s in "${SCRIPTS[@]}"; do args+=("$s" "$BASE/$s" "${RC[$s]}"); done
python3 - "$OUT_BASE" "$STARTED" "$FU" "$ROOT" "${args[@]}" <<'PY' | tee "$OUT_BASE.md"
import csv, json, os, re, subprocess, sys, time

out_base, started, fu, root = sys.argv[1:5]
scripts = [sys.argv[i:i + 3] for i in range(5, len(sys.argv), 3)]
UNIT = {"wall": "wall s", "bytes": "bytes", "rss": "peak RSS MB", "cpu": "CPU s"}


def rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def blank(v):
    return v in (None, "", "n/a")


def fmt(v, table):
    if blank(v):
        return v or ""
    if table == "bytes" and re.fullmatch(r"\d+", v):
        return f"{int(v):,}"
    return v


def cell(r, key, table, lo_key=None, hi_key=None):
    v, lo, hi = r[key], r.get(lo_key or key + "_min", ""), r.get(hi_key or key + "_max", "")
    if blank(v) or blank(lo) or blank(hi) or (v == lo == hi):
        return fmt(v, table)
    return f"{fmt(v, table)} ({fmt(lo, table)}–{fmt(hi, table)})"


def git(*a):
    try:
        return subprocess.run(["git", "-C", root, *a], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


combined, per_script = [], {}
for name, work, rc in scripts:
    entry = {"workdir": work, "exit_status": int(rc)}
    summary = os.path.join(work, "summary.tsv")  # deleted by each script when it starts
    try:
        with open(os.path.join(work, "results.json"), encoding="utf-8") as f:
            entry["results"] = json.load(f)
    except (OSError, ValueError):
        entry["results"] = None
    per_script[name] = entry
    if not os.path.exists(summary):
        combined.append({"script": name, "row": f"{name}: no results (exit status {rc})",
                         "followup": "", "peer": "", "peer_value": "", "ratio": "", "goal": "",
                         "verdict": "FAIL"})
        continue
    for r in rows(summary):
        table, step = r["table"], r["step"]
        unit = UNIT.get(table)
        label = f"{name}: {step}"
        if unit and unit not in step and not (table == "wall" and "wall" in step):
            label += f" ({unit})"
        ratio = r["ratio"]
        if not blank(ratio) and not blank(r["ratio_min"]) and not (ratio == r["ratio_min"] == r["ratio_max"]):
            ratio = f"{ratio} ({r['ratio_min']}–{r['ratio_max']})"
        combined.append({
            "script": name, "table": table, "row": label,
            "followup": cell(r, "followup", table),
            "peer": r["peer"], "peer_value": cell(r, "peer_value", table, "peer_min", "peer_max") if r["peer"] else "",
            "ratio": ratio, "goal": r["goal"] if r["goal"] not in ("", "—") else "",
            "verdict": r["verdict"], "raw": r,
        })

print()
print("## Benchmark suite: combined table")
print()
print(f"Follow Up binary: {fu}; started {started}; "
      f"BENCH_SCALE={os.environ.get('BENCH_SCALE', '1')} BENCH_RUNS={os.environ.get('BENCH_RUNS', 'script defaults')}. "
      "Values are medians (min–max over the rounds); ratios are Follow Up ÷ peer of the medians "
      "(range of the per-round ratios).")
print()
print("| row | Follow Up | peer | ratio Follow Up/peer | goal | PASS/FAIL |")
print("|---|---:|---|---:|---|---|")
for c in combined:
    peer = f"{c['peer']}: {c['peer_value']}" if c["peer"] else ""
    print(f"| {c['row']} | {c['followup']} | {peer} | {c['ratio']} | {c['goal']} | {c['verdict']} |")
counts = {v: sum(1 for c in combined if c["verdict"] == v) for v in ("PASS", "FAIL", "n/a")}
print()
print(f"Goals: {counts['PASS']} PASS, {counts['FAIL']} FAIL, {counts['n/a']} n/a. "
      + "Exit status: " + ", ".join(f"{n} {rc}" for n, _, rc in scripts) + ".")

doc = {
    "suite": {
        "started": started, "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "followup_bin": fu, "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain")),
        "env": {k: v for k, v in os.environ.items()
                if k.startswith("BENCH_") or k in ("BIG_FILE_GIB", "FOLLOWUP_BIN")},
        "verdicts": counts,
    },
    "combined": [{k: v for k, v in c.items() if k != "raw"} | {"summary": c.get("raw")} for c in combined],
    "scripts": per_script,
}
with open(out_base + ".json", "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=2, ensure_ascii=False)
    f.write("\n")
print()
print(f"combined: {out_base}.json  {out_base}.md  reports: " + ", ".join(os.path.join(os.path.dirname(w), 'suite', n + '.md') for n, w, _ in scripts))
PY
exit "$FIRST_FAIL"
