#!/usr/bin/env bash
# bench/export.sh [WORKDIR] -- benchmark of `followup export` (a client's files as a tar,
# streamed from a local server) against `tar -cf FILE`, `restic dump` and `borg export-tar`,
# in the same run.
#
# Setup, untimed: the bench/gen.py dataset in WORKDIR/data (generated when absent), a
# followup server on 127.0.0.1 with a fresh storage (client `bench`, project `bench/data`,
# a staff and a client token), one `followup push` of data into it, `restic init` +
# `restic backup` of the same folder, and `borg init --encryption=none` + `borg create
# --compression none` of it (archive `a`, paths data/...). Then BENCH_RUNS rounds, every
# timed step right after
# a `sync`, the peers first, each writing to WORKDIR/out (the same disk as the dataset):
#   a. tar -cf out/tar.tar -C WORKDIR data               (what the disk can do)
#   b. restic dump latest WORKDIR/data > out/restic.tar  (restic writes a folder as a tar)
#   b2. borg export-tar BORG_REPO::a out/borg.tar         (borg writes an archive as a tar)
#   c. followup export bench -o out/fu.tar               (client token; the whole client)
#   c2. followup export bench --fsync -o out/fu.tar      (on disk before it is renamed)
# After a, b and b2, the `sync` that writes their file to disk is timed apart, and "+ sync"
# rows compare peer + sync with c2 (c, like the peers, leaves its file in the page cache).
# After c2, fu.tar is extracted with GNU tar and its data/ folder compared with the
# dataset (diff -r). Each output is deleted once measured (untimed).
# Then prints a Markdown table: median (min-max) of followup and of the peer, the ratio of
# the medians with the per-round ratios' range, and the issue's goals with PASS/FAIL.
# Exit status is 0 even when a goal is missed; 1 when fu.tar's data/ differs from the
# dataset (after printing the report); other non-zero values when a command itself fails.
#
# Every timed step runs under /usr/bin/time -f '%e %M %U %S' (the client process only:
# the server's peak RSS over the rounds is read from /proc). Logs: WORKDIR/logs/, one row
# per run plus medians: WORKDIR/results.tsv, the table's rows: WORKDIR/summary.tsv,
# checks: WORKDIR/checks.tsv, all of it: WORKDIR/results.json, machine: WORKDIR/env.txt.
# Only known subpaths of WORKDIR are deleted.
#
# Environment:
#   FOLLOWUP_BIN      use this binary instead of `swift build -c release --product followup`
#   BENCH_RUNS        rounds (default 3)
#   BENCH_SCALE       gen.py --scale (default 1)     BENCH_SEED  gen.py --seed (default 42)
#   BENCH_PORT        followup server port (default: a free port)
#   BENCH_DROP_CACHES 1: also drop the page cache before every timed step (root only)
#   BENCH_CLEANUP     1: delete the server storage and the restic and borg repos at the end
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$BENCH_DIR/lib.sh"  # sets ROOT, the project root

bench_args export.sh "<project root>/bench-work/export" "$@"
set_workdir "${1:-$ROOT/bench-work/export}" "; $ROOT/bench-work and $ROOT/bench-work/sync belong to ingest.sh and sync.sh" \
  "$ROOT/bench-work" "$ROOT/bench-work/sync"

bench_env 3 BENCH_PORT  # also checks BENCH_PORT
cache_policy  # DROP_CACHES, for settle

DATA=$WORK/data
WARM=("$DATA")  # read back into the page cache before each timed step (see warm_cache)
STAMP=$WORK/data.stamp
SERVER=$WORK/server
OUT=$WORK/out           # the three tars, one at a time
EXTRACT=$WORK/extract   # fu.tar extracted, for the diff
CLIENT=bench
PROJECT=data            # the dataset is pushed as bench/data: data/<path> in the export

# --- the server: started by this script, stopped by its PID; scratch outputs removed --------
SERVER_PID=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() { stop_pid "$SERVER_PID"; SERVER_PID=""; rm -rf "${OUT:?}" "${EXTRACT:?}"; }
on_exit cleanup

# --- tools (installed with apt-get when missing) and the followup binary ------------------
install_missing python3 restic tar diff=diffutils borg=borgbackup
followup_env  # FU (FOLLOWUP_BIN or a build); drops FOLLOWUP_* of the calling shell; CFG
[[ "$("$FU" export --help 2>/dev/null || true)" == *"USAGE: followup export"* ]] \
  || die "$FU has no 'export' command"

# --- fresh per-run state (known subpaths of WORKDIR only) ------------------------------
rm -rf "${LOGS:?}" "${SERVER:?}" "${OUT:?}" "${EXTRACT:?}" "$WORK/restic-repo" "$WORK/restic-cache" \
       "$WORK/borg-repo" "$WORK/borg-base" "$WORK/results.tsv" "$WORK/results.json" "$WORK/summary.tsv" "$WORK/checks.tsv" "$WORK/env.txt"
mkdir -p "$LOGS"

# --- dataset: WORKDIR/data, (re)generated when absent or made with other parameters ----
# WORKDIR/data.stamp records the gen.py parameters; no stamp = a dataset the user put there.
dataset "$DATA" "$STAMP"

# --- steps: per-run figures keyed "STEP:ROUND" (run_row, medians and pair in lib.sh) ------
declare -A S_TOOL=(
  [tar]=tar [tar-flush]=sync [tar-sync]=tar
  [restic-dump]=restic [restic-dump-flush]=sync [restic-dump-sync]=restic
  [borg-export]=borg [borg-export-flush]=sync [borg-export-sync]=borg
  [fu-export]=followup [fu-export-fsync]=followup)
declare -A S_OP=(
  [tar]="tar -cf FILE" [tar-flush]="sync after tar -cf FILE" [tar-sync]="tar -cf FILE, then sync"
  [restic-dump]="dump latest DIR > FILE" [restic-dump-flush]="sync after restic dump"
  [restic-dump-sync]="dump latest DIR > FILE, then sync"
  [borg-export]="export-tar REPO::a FILE" [borg-export-flush]="sync after borg export-tar"
  [borg-export-sync]="export-tar REPO::a FILE, then sync"
  [fu-export]="export CLIENT -o FILE" [fu-export-fsync]="export CLIENT --fsync -o FILE")
STEP_ORDER=(tar tar-flush tar-sync restic-dump restic-dump-flush restic-dump-sync
            borg-export borg-export-flush borg-export-sync fu-export fu-export-fsync)
# shellcheck disable=SC2034  # RR RU RS RB are read through namerefs (per_run, pair)
declare -A RW RR RU RS RB TREE EXTRAS SCPU
tsv_header
restic_env
borg_env
unset ALLOW_FAIL  # every timed step must succeed here (see timed in lib.sh)

# flush STEP ROUND : time the `sync` that writes STEP's file to disk (row STEP-flush), and
# record STEP-sync = STEP followed by that sync (wall, user and sys added up; the max RSS
# and the bytes of STEP).
flush() {
  local s=$1 r=$2
  timed "$s-flush.r$r" sync
  run_row "$s-flush" "$r" "" "the sync right after $s"
  WALL=$(awk -v a="${RW[$s:$r]}" -v b="$WALL" 'BEGIN { printf "%.2f", a + b }')
  USR=$(awk -v a="${RU[$s:$r]}" -v b="$USR" 'BEGIN { printf "%.2f", a + b }')
  SYS=$(awk -v a="${RS[$s:$r]}" -v b="$SYS" 'BEGIN { printf "%.2f", a + b }')
  RSS_MB=${RR[$s:$r]}
  run_row "$s-sync" "$r" "${RB[$s:$r]}" "derived: $s plus the sync after it"
}

# server_cpu : the server's user + system CPU seconds so far (/proc/PID/stat), or n/a.
server_cpu() {
  awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' \
    "/proc/$SERVER_PID/stat" 2>/dev/null || echo n/a
}

# --- setup (untimed): server, push, restic repo ------------------------------------------
start_server ""  # fresh storage, client, tokens and project; sets URL and the tokens
untimed fu-push "$FU" push "$DATA" "$CLIENT/$PROJECT" --server "$URL" --token "$STAFF_TOKEN" --json
PUSH_NOTE=$(json_note fu-push files written bytes uploaded_bytes commit)
# The server's peak RSS so far includes the push; reset it (clear_refs 5), so that the
# figure read after the rounds is the exports' own.
HWM_PUSH=$(server_hwm)
tsv followup "server peak RSS after the push (VmHWM)" 1 "" "$HWM_PUSH" "" "" "" "read from /proc; untimed setup"
HWM_OP="server peak RSS over the export rounds (VmHWM)" HWM_OVER="export rounds"
if ! { echo 5 >"/proc/$SERVER_PID/clear_refs"; } 2>/dev/null; then
  HWM_OP="server peak RSS over the push and the export rounds (VmHWM; clear_refs failed)" HWM_OVER="push and export rounds"
  log "warning: could not reset the server's VmHWM: its figure includes the push"
fi
untimed restic-init restic init
untimed restic-backup restic backup "$DATA"
REPO_BYTES=$(dir_bytes "$RESTIC_REPOSITORY")
borg_fresh borg-init
UNTIMED=1 borg_create borg-create "$DATA"
BORG_BYTES=$(dir_bytes "$BORG_REPO")

case "$DROP_CACHES" in
  1) CACHE_NOTE="dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before every timed step" ;;
  *) CACHE_NOTE="not dropped: the server's packs and the restic and borg repos were just written, and the dataset is read back into the page cache before every timed step (borg create drops what it reads from the cache), so every tool reads from a warm cache; every timed step follows a sync" ;;
esac
{
  machine
  echo "followup: $FU  config: ${CFG[1]:-built-in defaults}  server: $URL"
  echo "restic: $(restic version)  repo: $(commas "$REPO_BYTES") bytes"
  echo "borg: $(borg --version)  repo: $(commas "$BORG_BYTES") bytes (--encryption=none, --compression none)"
  echo "tar: $(tar --version | head -n 1)"
  echo "dataset: $DATA  $([[ -f "$STAMP" ]] && cat "$STAMP")  files=$DATA_FILES bytes=$DATA_BYTES"
  echo "push (untimed): $PUSH_NOTE"
  echo "page cache: $CACHE_NOTE"
  echo "runs: $RUNS rounds of tar -cf / restic dump / borg export-tar / followup export, interleaved; medians reported"
} >"$WORK/env.txt"
cat "$WORK/env.txt" >&2

# --- the rounds -------------------------------------------------------------------------
for ((r = 1; r <= RUNS; r++)); do
  log "round $r/$RUNS"
  rm -rf "${OUT:?}" "${EXTRACT:?}"
  mkdir -p "$OUT"

  # a. tar -cf FILE on the same disk (not /dev/null: GNU tar then skips reading the files)
  settle
  timed "tar.r$r" tar -cf "$OUT/tar.tar" -C "$(dirname "$DATA")" "$(basename "$DATA")"
  run_row tar "$r" "$(stat -c %s "$OUT/tar.tar")" "bytes = size of tar.tar"
  flush tar "$r"
  rm -f "$OUT/tar.tar"

  # b. restic dump of the folder: a tar on stdout, redirected by the shell that execs restic
  settle
  # shellcheck disable=SC2016  # $1 and $2 are expanded by bash -c
  timed "restic-dump.r$r" bash -c 'exec restic dump latest "$1" >"$2"' bash "$DATA" "$OUT/restic.tar"
  run_row restic-dump "$r" "$(stat -c %s "$OUT/restic.tar")" "bytes = size of restic.tar"
  flush restic-dump "$r"
  rm -f "$OUT/restic.tar"

  # b2. borg export-tar of the archive (data/... as in tar.tar)
  settle
  timed "borg-export.r$r" borg export-tar "$BORG_REPO::a" "$OUT/borg.tar"
  run_row borg-export "$r" "$(stat -c %s "$OUT/borg.tar")" "bytes = size of borg.tar"
  flush borg-export "$r"
  rm -f "$OUT/borg.tar"

  # c. followup export of the whole client (a temporary file renamed into place)
  settle
  cpu0=$(server_cpu)
  timed "fu-export.r$r" "$FU" export "$CLIENT" -o "$OUT/fu.tar" --server "$URL" --token "$CLIENT_TOKEN" --json
  SCPU[$r]=$(awk -v a="$cpu0" -v b="$(server_cpu)" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else printf "%.2f", b - a }')
  size=$(stat -c %s "$OUT/fu.tar")
  [[ "$(json_get "$LOGS/fu-export.r$r.out" bytes)" == "$size" ]] \
    || log "warning: fu.tar has $size bytes, the JSON of fu-export.r$r says otherwise"
  run_row fu-export "$r" "$size" "$(json_note "fu-export.r$r" file bytes position) server_cpu_s=${SCPU[$r]}"

  # c2. the same with --fsync (on disk before the rename): against the peers + sync
  rm -f "$OUT/fu.tar"
  settle
  timed "fu-export-fsync.r$r" "$FU" export "$CLIENT" --fsync -o "$OUT/fu.tar" --server "$URL" --token "$CLIENT_TOKEN" --json
  run_row fu-export-fsync "$r" "$(stat -c %s "$OUT/fu.tar")" "$(json_note "fu-export-fsync.r$r" file bytes position)"

  # correctness: fu.tar's data/ must be the dataset, beside LEDGER.csv and the manifest
  mkdir -p "$EXTRACT"
  untimed "extract.r$r" tar -xf "$OUT/fu.tar" -C "$EXTRACT"
  TREE[$r]=$(same_tree "$DATA" "$EXTRACT/$PROJECT" "$LOGS/diff-export.r$r.out")
  EXTRAS[$r]=no
  [[ -f "$EXTRACT/LEDGER.csv" && -f "$EXTRACT/followup-manifest.json" ]] && EXTRAS[$r]=yes
  ls -A "$EXTRACT" >"$LOGS/extract.r$r.top"
  rm -rf "${OUT:?}" "${EXTRACT:?}"
done
stop_server 1 "$HWM_OP"  # sets HWM_MB

# --- medians, the table's rows (summary.tsv) and the checks (checks.tsv) ---------------
medians "${STEP_ORDER[@]}"
CHECKS=()
summary_header
MD=()
pair wall "export vs tar -cf FILE, wall s" "tar -cf FILE" fu-export tar \
  "wall: followup export / tar -cf FILE (same disk)" le 1.5
MD+=("| export vs \`tar -cf FILE\`, wall s | $PAIR_MD |")
pair wall "export vs restic dump, wall s" "restic dump" fu-export restic-dump \
  "wall: followup export / restic dump" le 0.3
MD+=("| export vs \`restic dump > FILE\`, wall s | $PAIR_MD |")
pair wall "export vs borg export-tar, wall s" "borg export-tar" fu-export borg-export
MD+=("| export vs \`borg export-tar REPO::a FILE\`, wall s | $PAIR_MD |")
pair wall "export --fsync vs tar -cf FILE + sync, wall s" "tar -cf FILE, then sync" fu-export-fsync tar-sync
MD+=("| \`export --fsync\` vs \`tar -cf FILE\` + \`sync\`, wall s (extra) | $PAIR_MD |")
pair wall "export --fsync vs restic dump + sync, wall s" "restic dump, then sync" fu-export-fsync restic-dump-sync
MD+=("| \`export --fsync\` vs \`restic dump > FILE\` + \`sync\`, wall s (extra) | $PAIR_MD |")
pair wall "export --fsync vs borg export-tar + sync, wall s" "borg export-tar, then sync" fu-export-fsync borg-export-sync
MD+=("| \`export --fsync\` vs \`borg export-tar\` + \`sync\`, wall s (extra) | $PAIR_MD |")
pair rss "peak RSS MB (client), export vs restic dump" "restic dump" fu-export restic-dump \
  "rss: followup export peak RSS MB (max of the rounds)" lt 100 "${MRMAX[fu-export]}" "max < 100 MB"
MD+=("| peak RSS MB (client process), export vs \`restic dump\` | $PAIR_MD |")
pair bytes "output bytes, fu.tar vs tar.tar" "tar -cf FILE" fu-export tar
MD+=("| output bytes, fu.tar vs tar.tar | $PAIR_MD |")
pair bytes "output bytes, fu.tar vs restic.tar" "restic dump" fu-export restic-dump
MD+=("| output bytes, fu.tar vs restic.tar | $PAIR_MD |")
pair bytes "output bytes, fu.tar vs borg.tar" "borg export-tar" fu-export borg-export
MD+=("| output bytes, fu.tar vs borg.tar | $PAIR_MD |")
summary rss "followup server (VmHWM)" "" "$HWM_MB" "" "" "" "" "" "" "" "" "" ""
read -r cpu cpumin cpumax < <(stats 2 "${SCPU[@]}")
summary cpu "followup server CPU s per export (user + sys)" "" "$cpu" "$cpumin" "$cpumax" "" "" "" "" "" "" "" ""
MD+=("| followup server CPU s per export (user + sys; the client's is in results.tsv) | $(range "$cpu" "$cpumin" "$cpumax") | | | — | |")
MD+=("| followup server peak RSS MB (VmHWM over the $HWM_OVER) | $HWM_MB | | | — | |")

# trees: fu.tar's data/ = the dataset in every round (the exit status depends on it)
same=0 extras=0
for ((r = 1; r <= RUNS; r++)); do
  [[ "${TREE[$r]}" == same ]] && ((++same))
  [[ "${EXTRAS[$r]}" == yes ]] && ((++extras))
done
TREE_FAILS=$((RUNS - same))
v=$( ((TREE_FAILS == 0)) && echo PASS || echo FAIL)
CHECKS+=("$(printf '%s\t%s\t%s\t%s' "tree: fu.tar data/ = dataset (diff -r)" "$same/$RUNS" "$RUNS/$RUNS" "$v")")
summary tree "fu.tar data/ = dataset (diff -r)" "" "$same/$RUNS" "" "" "" "" "" "" "" "" "$RUNS/$RUNS identical" "$v"
MD+=("| \`tar -xf fu.tar\`: data/ = dataset (\`diff -r\`), rounds | $same/$RUNS | | | $RUNS/$RUNS | $v |")
v=$( ((extras == RUNS)) && echo PASS || echo FAIL)
CHECKS+=("$(printf '%s\t%s\t%s\t%s' "fu.tar holds LEDGER.csv and followup-manifest.json" "$extras/$RUNS" "$RUNS/$RUNS" "$v")")
summary tree "fu.tar holds LEDGER.csv and followup-manifest.json" "" "$extras/$RUNS" "" "" "" "" "" "" "" "" "$RUNS/$RUNS" "$v"
MD+=("| fu.tar holds LEDGER.csv and followup-manifest.json, rounds | $extras/$RUNS | | | $RUNS/$RUNS | $v |")
write_checks
write_results_json

# --- report (Markdown) ----------------------------------------------------------------------
echo
echo "## export benchmark: followup export vs tar -cf FILE, restic dump and borg export-tar"
echo
echo "Dataset: $DATA_FILES files, $(commas "$DATA_BYTES") bytes ($([[ -f "$STAMP" ]] && cat "$STAMP" || echo "user-provided")), pushed once as $CLIENT/$PROJECT; restic repo $(commas "$REPO_BYTES") bytes; borg repo $(commas "$BORG_BYTES") bytes."
echo "$RUNS round$( ((RUNS == 1)) || echo s) of tar, restic dump, borg export-tar and followup export, interleaved, each writing a file into $OUT (same disk); median (min–max) over the rounds."
echo "Ratios are followup ÷ peer of the medians, with the per-round ratios' range. tar, restic dump and borg export-tar leave their file to the kernel to write back; followup export writes it with O_DIRECT where the file system takes it (its data is then on the disk, its metadata not yet); the \"+ sync\" rows add the sync that follows the peers and compare it with \`followup export --fsync\`. Page cache: $CACHE_NOTE."
echo
echo "| step | followup median (min–max) | peer median (min–max) | ratio | goal | verdict |"
echo "|---|---:|---:|---:|---|---|"
printf '%s\n' "${MD[@]}"
echo
printf -- '- push (untimed setup): %s\n' "$PUSH_NOTE"
printf -- '- server peak RSS after the push: %s MB\n' "$HWM_PUSH"
for ((r = 1; r <= RUNS; r++)); do
  printf -- '- round %s, followup export: %s server_cpu_s=%s; tar -xf fu.tar top level: %s\n' "$r" \
    "$(json_note "fu-export.r$r" file bytes position)" "${SCPU[$r]}" "$(tr '\n' ' ' <"$LOGS/extract.r$r.top" | sed 's/ $//')"
done
echo
echo "raw rows: $WORK/results.tsv  table: $WORK/summary.tsv  checks: $WORK/checks.tsv  all: $WORK/results.json  logs: $LOGS/"

if [[ "${BENCH_CLEANUP:-0}" == 1 ]]; then
  rm -rf "${SERVER:?}" "$WORK/restic-repo" "$WORK/restic-cache" "${BORG_REPO:?}" "${BORG_BASE_DIR:?}"
fi
if ((TREE_FAILS)); then
  echo "export.sh: fu.tar's data/ differs from the dataset in $TREE_FAILS round(s) (see $LOGS/diff-export.r*.out)" >&2
  exit 1
fi
exit 0
