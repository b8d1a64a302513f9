#!/usr/bin/env bash
# bench/scale.sh [WORKDIR] -- the scaling run: how the time and the peak memory of
# `followup push`, `followup pull` and `followup export` grow with the number of files and
# with the size of one file.
#
# Cases (SCALE_CASES, default "10k 100k 1g 4g"; NAME = a whole number and k or g):
#   Nk  N x 1000 files of 4 KiB, 100 per folder, folders nested two deep
#       (dNNNN/sN/fNNNNNNN.bin: 10k = 10 x 10 folders, 100k = 100 x 10 folders)
#   Ng  one file of N GiB (big.bin)
# SCALE_FACTOR (default 1) multiplies the file counts and the big files' sizes, for a
# quick try: SCALE_FACTOR=0.01 gives 100 and 1000 files and files of ~10.7 and ~42.9 MB.
# Every file is distinct and incompressible: random bytes of Python's random.Random seeded
# with "SEED-CASE" for the small files, the AES-128-CTR keystream of openssl (key fixed,
# IV from SEED and CASE) for the big ones. Each case's folder, WORKDIR/src-CASE, is written
# once and reused while WORKDIR/src-CASE.stamp records the same parameters; then it is
# read once, so that every step starts with a warm page cache.
#
# For each case, BENCH_RUNS rounds (default 1), each with a fresh server (storage, client
# `bench`, project `bench/data`, a staff and a client token, all untimed), so that nothing
# is deduplicated against an earlier case or round; every timed step right after a `sync`:
#   1. push         followup push src-CASE bench/data (staff token)
#   2. initial pull followup pull pull-CASE --client bench into an empty folder; then
#                   pull-CASE/data is compared with src-CASE (diff -r up to 20,000 files;
#                   above, every path, type and file size, plus cmp of 200 files spread
#                   over the tree)
#   3. no-op pull   the same pull again, nothing changed (it should fetch 0 bytes)
#   4. export       followup export bench -o export-CASE.tar (client token), on the same
#                   disk; then its size must be at least the data's and `tar -tf` must
#                   list every file under data/
# The server's peak RSS (VmHWM in /proc/PID/status) is read after every step and reset
# before the next (echo 5 > /proc/PID/clear_refs); a case's figure is the largest.
# With BENCH_CLEANUP=1 (the default) the pulled folder is deleted after the no-op pull,
# and the tar and the server storage at the end of the round: 4 GiB x (source + store +
# pull + tar) would not fit twice on most disks. The src-CASE folders are kept for the
# next run.
#
# Then prints Markdown tables: one row per case (files, bytes, push s, MB/s and RSS,
# initial pull s, no-op pull s and RSS, export s, MB/s and RSS, server RSS; median
# (min-max) over the rounds), how the cost grows (the largest ÷ the smallest small-file
# case and big-file case, against the ideal ratio of their files or bytes; µs per file,
# s per GiB), the peak RSS of every process against the goal (< 100 MB; bold with ✗ in
# the table when over), and one PASS/FAIL line per case for RSS. The report also goes to
# bench/results/scale-YYYYMMDD-HHMMSS.md, and the parameters, git commit and every
# figure to bench/results/scale-YYYYMMDD-HHMMSS.json (also WORKDIR/results.json).
# Exit status is 0 even when the RSS goal is missed; 1 when a step fails (push, pull or
# export: the rest of that round is skipped, its figures are n/a, the other cases still
# run), a pulled tree differs from its source or an export tar fails its check, after
# printing the report; other non-zero values when the setup fails (build, data, server).
#
# Every timed step runs under /usr/bin/time -f '%e %M %U %S' (the client process: wall
# includes the server's work on this machine, max RSS does not). Logs: WORKDIR/logs/,
# one row per run plus medians: WORKDIR/results.tsv, checks: WORKDIR/checks.tsv, machine:
# WORKDIR/env.txt. Only known subpaths of WORKDIR are deleted.
#
# Environment:
#   FOLLOWUP_BIN      use this binary instead of `swift build -c release --product followup`
#   SCALE_CASES       the cases, in order (default "10k 100k 1g 4g")
#   SCALE_FACTOR      multiplies file counts and big-file sizes (default 1)
#   BENCH_RUNS        rounds per case (default 1)
#   BENCH_SEED        seed of the data (default 42)
#   BENCH_PORT        followup server port (default: a free port, new each round)
#   BENCH_DROP_CACHES 1: also drop the page cache before every timed step (root only)
#   BENCH_CLEANUP     0: keep each case's pulled folder, tar and server storage (default 1)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$BENCH_DIR/lib.sh"  # sets ROOT, the project root

bench_args scale.sh "<project root>/bench-work/scale" "$@"
set_workdir "${1:-$ROOT/bench-work/scale}" \
  "; $ROOT/bench-work, $ROOT/bench-work/sync, …/export and …/suite belong to the other scripts" \
  "$ROOT/bench-work" "$ROOT/bench-work/sync" "$ROOT/bench-work/export" "$ROOT/bench-work/suite" \
  "$ROOT/bench-work/ingest"

bench_env 1 BENCH_PORT  # SEED, RUNS (default 1); checks BENCH_PORT
cache_policy            # DROP_CACHES, for settle
CLEANUP=${BENCH_CLEANUP:-1}
[[ "$CLEANUP" == 0 || "$CLEANUP" == 1 ]] || die "BENCH_CLEANUP must be 0 or 1, got '$CLEANUP'"
FACTOR=${SCALE_FACTOR:-1}
awk -v f="$FACTOR" 'BEGIN { exit !(f ~ /^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$/ && f > 0) }' \
  || die "SCALE_FACTOR must be a positive number, got '$FACTOR'"
read -r -a CASES <<<"${SCALE_CASES:-10k 100k 1g 4g}"
((${#CASES[@]})) || die "SCALE_CASES is empty"

FILE_SIZE=4096        # bytes of each file of an Nk case
PER_FOLDER=100        # files per folder of an Nk case
DIFF_MAX_FILES=20000  # above this, the pulled tree is checked by paths, sizes and a sample
SAMPLE_FILES=200      # files compared with cmp in that cheaper check
RSS_GOAL=100          # MB; the issue's goal: peak RSS below it for every process
CLIENT=bench
PROJECT=data          # pull writes pull-CASE/data/…; the tar holds data/…
RESULTS=$ROOT/bench/results
STARTED=$(date -u +%FT%TZ)
OUT_BASE=$RESULTS/scale-$(date -u +%Y%m%d-%H%M%S)

# --- the cases: kind (small/big), file count, bytes, layout --------------------------------
declare -A KIND NFILES NBYTES LAYOUT
for c in "${CASES[@]}"; do
  [[ -z "${KIND[$c]:-}" ]] || die "SCALE_CASES names $c twice"
  if [[ "$c" =~ ^([1-9][0-9]*)k$ ]]; then
    n=$(awk -v n="${BASH_REMATCH[1]}" -v f="$FACTOR" 'BEGIN { v = int(n * 1000 * f + 0.5); print (v < 1 ? 1 : v) }')
    KIND[$c]=small NFILES[$c]=$n NBYTES[$c]=$((n * FILE_SIZE))
    folders=$(((n + PER_FOLDER - 1) / PER_FOLDER))
    LAYOUT[$c]="$n files of $FILE_SIZE bytes, $PER_FOLDER per folder, $folders folders in $(((folders + 9) / 10)) top-level folders"
  elif [[ "$c" =~ ^([1-9][0-9]*)g$ ]]; then
    b=$(awk -v n="${BASH_REMATCH[1]}" -v f="$FACTOR" 'BEGIN { v = n * 1073741824 * f; printf "%.0f", (v < 1 ? 1 : v) }')
    KIND[$c]=big NFILES[$c]=1 NBYTES[$c]=$b
    LAYOUT[$c]="one file of $b bytes (big.bin)"
  else
    die "unknown case '$c' in SCALE_CASES (want Nk: N x 1000 files of 4 KiB, or Ng: one N GiB file)"
  fi
done

# --- the server: started by this script, stopped by its PID -------------------------------
SERVER_PID=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() { stop_pid "$SERVER_PID"; SERVER_PID=""; }
on_exit cleanup

# --- tools (installed with apt-get when missing) and the followup binary ------------------
install_missing python3 openssl tar diff=diffutils
followup_env  # FU (FOLLOWUP_BIN or a build); drops FOLLOWUP_* of the calling shell; CFG
for cmd in push pull export; do
  [[ "$("$FU" "$cmd" --help 2>/dev/null || true)" == *"USAGE: followup $cmd"* ]] || die "$FU has no '$cmd' command"
done

# --- fresh per-run state (known subpaths of WORKDIR only) ------------------------------
for c in "${CASES[@]}"; do rm -rf "${WORK:?}/server-$c" "$WORK/pull-$c" "$WORK/export-$c.tar"; done
rm -rf "${LOGS:?}" "$WORK/results.tsv" "$WORK/results.json" "$WORK/checks.tsv" "$WORK/env.txt" \
       "$WORK/params.tsv" "$WORK/cases.tsv" "$WORK/figures.tsv" "$WORK/growth.tsv"
mkdir -p "$LOGS" "$RESULTS"

# --- helpers -------------------------------------------------------------------------------
# make_data CASE : WORKDIR/src-CASE, written when absent or when its stamp records other
# parameters; then read once (warm page cache).
make_data() {
  local c=$1 dir=$WORK/src-$1 stamp=$WORK/src-$1.stamp want iv
  want="scale.sh case=$c seed=$SEED files=${NFILES[$c]} bytes=${NBYTES[$c]} kind=${KIND[$c]}"
  if [[ -d "$dir" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "reusing $dir ($want)"
  else
    rm -rf "${dir:?}"
    echo incomplete >"$stamp"
    log "generating $dir: ${LAYOUT[$c]}"
    if [[ ${KIND[$c]} == small ]]; then
      python3 - "$dir" "${NFILES[$c]}" "$FILE_SIZE" "$PER_FOLDER" "$SEED-$c" <<'PY'
import os, random, sys
root, n, size, per, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rng = random.Random(seed)  # a str seed is hashed with SHA-512: the same bytes on every run
for i in range(n):
    k = i // per  # folder number
    d = os.path.join(root, f"d{k // 10:04d}", f"s{k % 10}")
    if i % per == 0:
        os.makedirs(d)
    with open(os.path.join(d, f"f{i:07d}.bin"), "wb") as f:
        f.write(rng.randbytes(size))
PY
    else
      mkdir -p "$dir"
      iv=$(printf '%s' "$SEED-$c" | sha256sum | cut -c1-32)
      head -c "${NBYTES[$c]}" /dev/zero \
        | openssl enc -aes-128-ctr -nosalt -K 0f1e2d3c4b5a69788796a5b4c3d2e1f0 -iv "$iv" >"$dir/big.bin"
    fi
    [[ "$(find "$dir" -type f | wc -l)" == "${NFILES[$c]}" && "$(tree_bytes "$dir")" == "${NBYTES[$c]}" ]] \
      || die "$dir does not hold ${NFILES[$c]} files and ${NBYTES[$c]} bytes"
    echo "$want" >"$stamp"
  fi
  log "warming the page cache: reading $dir"
  find "$dir" -type f -exec cat {} + >/dev/null
}

# reset_hwm : reset the server's peak RSS to its current RSS (HWM_RESET=0 once it fails).
HWM_RESET=1
reset_hwm() {
  ((HWM_RESET)) || return 0
  if ! { echo 5 >"/proc/$SERVER_PID/clear_refs"; } 2>/dev/null; then
    HWM_RESET=0
    log "warning: could not reset the server's VmHWM: its figures are cumulative over the round"
  fi
}

# step STEP ROUND BYTESKEY NOTEKEYS CMD... : reset the server's peak RSS, sync, run CMD
# timed; its bytes = BYTESKEY of CMD's JSON; the server's peak RSS goes to SRV[STEP:ROUND].
# When CMD fails: its figures are n/a, STEP_FAIL says why, FAILED_STEP[STEP]=1, status 1
# (the caller skips the rest of the round, and the exit status is 1 after the report).
step() {
  local s=$1 r=$2 key=$3 keys=$4 got why
  shift 4
  reset_hwm
  settle
  if ALLOW_FAIL=1 timed "$s.r$r" "$@"; then
    got=$(json_get "$LOGS/$s.r$r.out" "$key")
    [[ -n "$got" ]] || log "warning: no $key in the JSON of $s.r$r"
    # shellcheck disable=SC2086  # NOTEKEYS is a list of words
    run_row "$s" "$r" "${got:-n/a}" "$(json_note "$s.r$r" $keys)"
  else
    why=$(grep -m1 -E 'runtime failure|Fatal error|[Ee]rror' "$LOGS/$s.r$r.err" | cut -c1-200 || true)
    [[ -n "$why" ]] || why=$(grep -m1 -i 'terminated\|exit status' "$LOGS/$s.r$r.time" || true)
    STEP_FAIL="${S_OP[$s]} failed: ${why:-see the log} (logs/$s.r$r.err)"
    FAILED_STEP[$s]=1
    run_row "$s" "$r" "" "FAILED: $why"
  fi
  SRV[$s:$r]=$(server_hwm)
  tsv followup "server peak RSS during ${S_OP[$s]} (VmHWM)" "$r" "" "${SRV[$s:$r]}" "" "" "" ""
  [[ -z "$STEP_FAIL" ]]
}

# same_data SRC COPY OUT : "same" or "DIFFERENT" (with a warning; details in OUT): diff -r
# for up to DIFF_MAX_FILES files; above, every path and type and each file's size, plus cmp
# of SAMPLE_FILES files spread over the sorted list.
same_data() {
  local src=$1 copy=$2 out=$3 n every i=0 f bad=0
  n=$(find "$src" -type f | wc -l)
  if ((n <= DIFF_MAX_FILES)); then same_tree "$src" "$copy" "$out"; return; fi
  {
    echo "paths, types and file sizes (diff of the sorted lists):"
    diff <(cd "$src" && find . \( -type f -printf '%p f %s\n' \) -o -printf '%p %y\n' | LC_ALL=C sort) \
         <(cd "$copy" && find . \( -type f -printf '%p f %s\n' \) -o -printf '%p %y\n' | LC_ALL=C sort) || bad=1
    every=$(((n + SAMPLE_FILES - 1) / SAMPLE_FILES))
    echo "cmp of every ${every}th file:"
    while IFS= read -r f; do
      if ((i++ % every == 0)); then cmp -- "$src/$f" "$copy/$f" || bad=1; fi
    done < <(cd "$src" && find . -type f | LC_ALL=C sort)
  } >"$out" 2>&1
  if ((bad)); then log "warning: $copy differs from $src: $out"; echo DIFFERENT; else echo same; fi
}

# fmt DECIMALS EXPR : awk arithmetic, n/a when an operand is n/a.
fmt() { [[ "$2" == *n/a* ]] && { echo n/a; return; }; awk "BEGIN { printf \"%.$1f\", $2 }"; }

# wall_cell STEP : the range of a step's wall s; FAILED when it failed in every round.
wall_cell() {
  if [[ "${MW[$1]}" == n/a && -n "${FAILED_STEP[$1]:-}" ]]; then echo FAILED
  else range "${MW[$1]}" "${MWMIN[$1]}" "${MWMAX[$1]}"; fi
}

# rss_cell MED MIN MAX : the range of an RSS figure, bold with ✗ when its max is over the goal.
rss_cell() {
  local v
  v=$(range "$1" "$2" "$3")
  if [[ "$3" != n/a ]] && awk -v m="$3" -v g="$RSS_GOAL" 'BEGIN { exit !(m >= g) }'; then echo "**$v** ✗"
  else echo "$v"; fi
}

# --- steps: per-run figures keyed "STEP:ROUND" (run_row, medians in lib.sh) ---------------
# shellcheck disable=SC2034  # RW RR RU RS are read through namerefs (per_run, medians)
declare -A S_TOOL S_OP RW RR RU RS RB SRV TREE TARCHK NOOP_OK SKIP STORE_BYTES FAILED FAILED_STEP
OPS=(push pull noop export)
declare -A OP_NAME=([push]="push" [pull]="initial pull" [noop]="no-op pull" [export]="export")
STEPS=()
for c in "${CASES[@]}"; do
  for op in "${OPS[@]}"; do
    S_TOOL[$op-$c]=followup S_OP[$op-$c]="${OP_NAME[$op]}, $c"
    STEPS+=("$op-$c")
  done
done
tsv_header
CHECKS=()
FAILS=0
unset ALLOW_FAIL  # every timed step must succeed (see timed in lib.sh)

case "$DROP_CACHES" in
  1) CACHE_NOTE="dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before every timed step" ;;
  *) CACHE_NOTE="not dropped: each case's data is read once before its rounds, the server's packs and the pulled files were just written; every timed step follows a sync" ;;
esac
{
  machine
  echo "followup: $FU  config: ${CFG[1]:-built-in defaults}"
  echo "cases: ${CASES[*]}  scale factor: $FACTOR  seed: $SEED  runs: $RUNS per case  cleanup: $CLEANUP"
  for c in "${CASES[@]}"; do echo "case $c: ${LAYOUT[$c]}"; done
  echo "page cache: $CACHE_NOTE"
} >"$WORK/env.txt"
cat "$WORK/env.txt" >&2

# --- the cases ----------------------------------------------------------------------------
T0=$SECONDS
for c in "${CASES[@]}"; do
  SRC=$WORK/src-$c SERVER=$WORK/server-$c PULL=$WORK/pull-$c TAR=$WORK/export-$c.tar
  # Room for what is still to write: the source (when absent), the store, the pull and the
  # tar (one at a time with BENCH_CLEANUP=1: the pull is deleted before the export).
  room=$(((CLEANUP ? 2 : 3) * NBYTES[$c] + 268435456))
  [[ -f "$WORK/src-$c.stamp" && "$(cat "$WORK/src-$c.stamp")" == *"bytes=${NBYTES[$c]} "* ]] || room=$((room + NBYTES[$c]))
  avail=$(df -B1 --output=avail "$WORK" | tail -n 1 | tr -dc '0-9')
  if ((avail < room)); then
    SKIP[$c]="needs $room bytes free in WORKDIR, has $avail"
    log "case $c skipped: ${SKIP[$c]}"
    continue
  fi
  log "case $c: ${LAYOUT[$c]}"
  make_data "$c"
  for ((r = 1; r <= RUNS; r++)); do
    log "case $c, round $r/$RUNS"
    rm -rf "${SERVER:?}" "${PULL:?}" "${TAR:?}"
    start_server "$c.r$r"  # fresh storage, client, tokens and project; sets URL and the tokens

    # Each step runs only when the previous ones succeeded (STEP_FAIL empty).
    STEP_FAIL=""
    # 1. push
    step "push-$c" "$r" uploaded_bytes "files written uploaded_bytes deduplicated_bytes commit" \
      "$FU" push "$SRC" "$CLIENT/$PROJECT" --server "$URL" --token "$STAFF_TOKEN" --json || true
    STORE_BYTES[$c:$r]=$(dir_bytes "$SERVER")

    # 2. initial pull into an empty folder, then the tree check
    if [[ -z "$STEP_FAIL" ]]; then
      step "pull-$c" "$r" fetched_bytes "files_written files_deleted fetched_bytes transferred_bytes reused_bytes conflicts" \
        "$FU" pull "$PULL" --client "$CLIENT" --server "$URL" --token "$CLIENT_TOKEN" --json || true
    fi
    if [[ -z "$STEP_FAIL" ]]; then
      log "checking $PULL/$PROJECT against $SRC"
      TREE[$c:$r]=$(same_data "$SRC" "$PULL/$PROJECT" "$LOGS/diff-$c.r$r.out")
    fi

    # 3. no-op pull: nothing changed
    if [[ -z "$STEP_FAIL" ]]; then
      step "noop-$c" "$r" fetched_bytes "files_written files_deleted fetched_bytes transferred_bytes reused_bytes conflicts" \
        "$FU" pull "$PULL" --client "$CLIENT" --server "$URL" --token "$CLIENT_TOKEN" --json || true
    fi
    if [[ -z "$STEP_FAIL" ]]; then NOOP_OK[$c:$r]=$([[ "${RB[noop-$c:$r]}" == 0 ]] && echo yes || echo no); fi
    if ((CLEANUP)); then rm -rf "${PULL:?}"; fi

    # 4. export of the whole client to a tar on the same disk, then its check
    if [[ -z "$STEP_FAIL" ]]; then
      step "export-$c" "$r" bytes "file bytes position" \
        "$FU" export "$CLIENT" -o "$TAR" --server "$URL" --token "$CLIENT_TOKEN" --json || true
    fi
    if [[ -z "$STEP_FAIL" ]]; then
      size=$(stat -c %s "$TAR")
      [[ "${RB[export-$c:$r]}" == "$size" ]] || log "warning: $TAR has $size bytes, the JSON of export-$c.r$r says ${RB[export-$c:$r]}"
      RB[export-$c:$r]=$size
      entries=$(tar -tf "$TAR" | grep -c "^$PROJECT/.*[^/]\$" || true)
      TARCHK[$c:$r]="size=$size entries=$entries"
      if ((size >= NBYTES[$c] && entries == NFILES[$c])); then TARCHK[$c:$r]+=" ok"
      else TARCHK[$c:$r]+=" BAD"; log "warning: $TAR: $size bytes (data: ${NBYTES[$c]}), $entries files under $PROJECT/ (want ${NFILES[$c]})"; fi
    fi
    if [[ -n "$STEP_FAIL" ]]; then
      FAILED[$c:$r]=$STEP_FAIL
      log "case $c, round $r: $STEP_FAIL; the rest of the round is skipped"
    fi

    tsv followup "store bytes after the push and checks, $c" "$r" "" "" "" "" "${STORE_BYTES[$c:$r]}" \
      "tree=${TREE[$c:$r]:-n/a} no-op fetched 0: ${NOOP_OK[$c:$r]:-n/a}; tar: ${TARCHK[$c:$r]:-n/a}${FAILED[$c:$r]:+; FAILED: ${FAILED[$c:$r]}}"
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    if ((CLEANUP)); then rm -rf "${SERVER:?}" "${PULL:?}" "${TAR:?}"; fi
  done
done
ELAPSED=$((SECONDS - T0))

# --- medians and the per-case figures -----------------------------------------------------
medians "${STEPS[@]}"
declare -A FIG  # FIG[CASE:NAME] = the figures of the tables and of figures.tsv
printf 'case\tkind\tfiles\tbytes\tlayout\tskipped\tstore_bytes\n' >"$WORK/cases.tsv"
printf 'case\tstep\twall_s\twall_min\twall_max\tmb_s\tus_per_file\ts_per_gib\tmax_rss_mb\trss_min\trss_max\tuser_s\tsys_s\tbytes\tserver_rss_mb\tserver_rss_min\tserver_rss_max\n' >"$WORK/figures.tsv"
for c in "${CASES[@]}"; do
  stores=()
  for ((r = 1; r <= RUNS; r++)); do stores+=("${STORE_BYTES[$c:$r]:-n/a}"); done
  read -r store _ _ < <(stats 0 "${stores[@]}")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "${KIND[$c]}" "${NFILES[$c]}" "${NBYTES[$c]}" "${LAYOUT[$c]}" "${SKIP[$c]:-}" "$store" >>"$WORK/cases.tsv"
  # the server's peak RSS: per step over the rounds, and per round the largest of the steps
  case_srv=()
  for ((r = 1; r <= RUNS; r++)); do
    vals=()
    for op in "${OPS[@]}"; do vals+=("${SRV[$op-$c:$r]:-n/a}"); done
    read -r _ _ hi < <(stats 1 "${vals[@]}")
    case_srv+=("$hi")
  done
  read -r "FIG[$c:srv]" "FIG[$c:srvmin]" "FIG[$c:srvmax]" < <(stats 1 "${case_srv[@]}")
  tsv followup "server peak RSS, case $c (VmHWM, largest of the steps)" median "" "${FIG[$c:srv]}" "" "" "" \
    "median of $RUNS rounds; min=${FIG[$c:srvmin]} max=${FIG[$c:srvmax]}"
  for op in "${OPS[@]}"; do
    s=$op-$c
    vals=()
    for ((r = 1; r <= RUNS; r++)); do vals+=("${SRV[$s:$r]:-n/a}"); done
    read -r srv srvlo srvhi < <(stats 1 "${vals[@]}")
    read -r usr _ _ < <(step_stats RU "$s" 2)
    read -r sys _ _ < <(step_stats RS "$s" 2)
    w=${MW[$s]}
    FIG[$c:$op:mbs]=$(fmt 1 "${NBYTES[$c]} / $w / 1e6")
    [[ "$w" != n/a ]] && awk -v w="$w" 'BEGIN { exit !(w <= 0) }' && FIG[$c:$op:mbs]="n/a (0 s)"
    FIG[$c:$op:us]=$(fmt 1 "$w / ${NFILES[$c]} * 1e6")
    FIG[$c:$op:sgib]=$(fmt 3 "$w / (${NBYTES[$c]} / 1073741824)")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$op" \
      "$w" "${MWMIN[$s]}" "${MWMAX[$s]}" "${FIG[$c:$op:mbs]}" "${FIG[$c:$op:us]}" "${FIG[$c:$op:sgib]}" \
      "${MR[$s]}" "${MRMIN[$s]}" "${MRMAX[$s]}" "$usr" "$sys" "${MB[$s]}" "$srv" "$srvlo" "$srvhi" >>"$WORK/figures.tsv"
  done
done

# --- checks: steps, trees and tars (the exit status), no-op pulls, RSS per case -----------
# count_check NAME OK OUT_OF COUNTS : a CHECKS row "OK/OUT_OF", PASS when equal, n/a when
# OUT_OF is 0; with COUNTS=1 a FAIL adds to FAILS (the exit status).
count_check() {
  local v=n/a
  if (($3)); then if (($2 == $3)); then v=PASS; else v=FAIL; ((!$4)) || ((++FAILS)); fi; fi
  CHECKS+=("$(printf '%s\t%s\t%s\t%s' "$1" "$2/$3" "$3/$3" "$v")")
}
RSS_LINES=()
for c in "${CASES[@]}"; do
  if [[ -n "${SKIP[$c]:-}" ]]; then
    RSS_LINES+=("- RSS $c: n/a (skipped: ${SKIP[$c]})")
    continue
  fi
  ran=0 same=0 trees=0 tars=0 tarsok=0 noops=0 noopsok=0
  for ((r = 1; r <= RUNS; r++)); do
    [[ -z "${FAILED[$c:$r]:-}" ]] && ((++ran))
    [[ -n "${TREE[$c:$r]:-}" ]] && ((++trees))
    [[ "${TREE[$c:$r]:-}" == same ]] && ((++same))
    [[ -n "${TARCHK[$c:$r]:-}" ]] && ((++tars))
    [[ "${TARCHK[$c:$r]:-}" == *" ok" ]] && ((++tarsok))
    [[ -n "${NOOP_OK[$c:$r]:-}" ]] && ((++noops))
    [[ "${NOOP_OK[$c:$r]:-}" == yes ]] && ((++noopsok))
  done
  count_check "steps: the four steps of case $c succeeded, rounds" "$ran" "$RUNS" 1
  count_check "tree: pull-$c/$PROJECT = src-$c ($( ((NFILES[$c] <= DIFF_MAX_FILES)) && echo "diff -r" || echo "paths, sizes, cmp of $SAMPLE_FILES files")), rounds" "$same" "$trees" 1
  count_check "tar: export-$c.tar ≥ ${NBYTES[$c]} bytes and ${NFILES[$c]} files under $PROJECT/, rounds" "$tarsok" "$tars" 1
  count_check "no-op pull $c fetched 0 bytes, rounds (not in the exit status)" "$noopsok" "$noops" 0
  # RSS: the max over the rounds of every process (ceiling), against the goal
  parts="" worst=0 over=""
  for op in "${OPS[@]}"; do
    m=${MRMAX[$op-$c]}
    parts+="${OP_NAME[$op]} $m, "
    [[ "$m" != n/a ]] || continue
    awk -v a="$m" -v b="$worst" 'BEGIN { exit !(a > b) }' && worst=$m
    awk -v a="$m" -v g="$RSS_GOAL" 'BEGIN { exit !(a >= g) }' && over+="${OP_NAME[$op]} (client) $m MB, "
  done
  m=${FIG[$c:srvmax]}
  parts+="server ${m}"
  if [[ "$m" != n/a ]]; then
    awk -v a="$m" -v b="$worst" 'BEGIN { exit !(a > b) }' && worst=$m
    awk -v a="$m" -v g="$RSS_GOAL" 'BEGIN { exit !(a >= g) }' && over+="server $m MB, "
  fi
  add_check "rss: peak RSS MB of every process, case $c (max of the rounds)" "$worst" lt "$RSS_GOAL"
  partial=""
  ((ran == RUNS)) || partial=" — partial: a step failed, n/a = not measured"
  RSS_LINES+=("- RSS $c: **$VERDICT** — largest $worst MB < $RSS_GOAL MB? (${parts}; MB, max of the rounds)${over:+ — over the goal: ${over%, }}$partial")
done
write_checks

# --- how cost grows: the smallest and the largest case of each kind ------------------------
printf 'kind\tfrom\tto\tmetric\tfrom_value\tto_value\tratio\tideal\tfrom_per_unit\tto_per_unit\tunit\n' >"$WORK/growth.tsv"
GROWTH_MD=() RSS_GROWTH_MD=()
growth() {  # growth KIND : GROWTH_MD / RSS_GROWTH_MD tables between the extreme cases of KIND
  local kind=$1 a="" b="" c ideal unit per op s ra rb
  for c in "${CASES[@]}"; do
    [[ ${KIND[$c]} == "$kind" && -z "${SKIP[$c]:-}" ]] || continue
    if [[ -z "$a" ]] || ((NBYTES[$c] < NBYTES[$a])); then a=$c; fi
    if [[ -z "$b" ]] || ((NBYTES[$c] > NBYTES[$b])); then b=$c; fi
  done
  [[ -n "$a" && "$a" != "$b" ]] || return 0
  if [[ $kind == small ]]; then
    ideal=$(awk -v x="${NFILES[$b]}" -v y="${NFILES[$a]}" 'BEGIN { printf "%.4g", x / y }') unit="µs/file" per=us
  else
    ideal=$(awk -v x="${NBYTES[$b]}" -v y="${NBYTES[$a]}" 'BEGIN { printf "%.4g", x / y }') unit="s/GiB" per=sgib
  fi
  GROWTH_MD+=("" "| step | $a s | $b s | $b ÷ $a (ideal ≈ $ideal) | $unit, $a | $unit, $b |" "|---|---:|---:|---:|---:|---:|")
  RSS_GROWTH_MD+=("" "| process | $a MB | $b MB | $b ÷ $a (ideal ≈ 1) |" "|---|---:|---:|---:|")
  for op in "${OPS[@]}"; do
    s=${OP_NAME[$op]}
    ra=$(fmt 2 "$(ratio "${MW[$op-$b]}" "${MW[$op-$a]}")")
    GROWTH_MD+=("| $s | ${MW[$op-$a]} | ${MW[$op-$b]} | $ra | ${FIG[$a:$op:$per]} | ${FIG[$b:$op:$per]} |")
    summary_growth "$kind" "$a" "$b" "$s wall s" "${MW[$op-$a]}" "${MW[$op-$b]}" "$ra" "$ideal" "${FIG[$a:$op:$per]}" "${FIG[$b:$op:$per]}" "$unit"
    rb=$(fmt 2 "$(ratio "${MR[$op-$b]}" "${MR[$op-$a]}")")
    RSS_GROWTH_MD+=("| $s (client) | ${MR[$op-$a]} | ${MR[$op-$b]} | $rb |")
    summary_growth "$kind" "$a" "$b" "$s max RSS MB" "${MR[$op-$a]}" "${MR[$op-$b]}" "$rb" 1 "" "" ""
  done
  rb=$(fmt 2 "$(ratio "${FIG[$b:srv]}" "${FIG[$a:srv]}")")
  RSS_GROWTH_MD+=("| server (VmHWM) | ${FIG[$a:srv]} | ${FIG[$b:srv]} | $rb |")
  summary_growth "$kind" "$a" "$b" "server peak RSS MB" "${FIG[$a:srv]}" "${FIG[$b:srv]}" "$rb" 1 "" "" ""
}
summary_growth() { local IFS=$'\t'; echo "$*" >>"$WORK/growth.tsv"; }
growth small
growth big

# --- report (Markdown) -----------------------------------------------------------------------
report() {
  local c op s row
  echo
  echo "## Scaling run: followup push, pull and export as the data grows"
  echo
  echo "Cases: ${CASES[*]} (SCALE_FACTOR=$FACTOR, seed $SEED); $RUNS round$( ((RUNS == 1)) || echo s) per case, each on a fresh server; $( ((RUNS == 1)) && echo "one value per figure" || echo "median (min–max) over the rounds")."
  echo "MB/s = the case's data bytes ÷ wall s (1 MB = 10^6 bytes). RSS: peak of the client process (\`/usr/bin/time\`), and of the server (VmHWM, the largest of the four steps). RSS in **bold ✗**: max over the rounds ≥ $RSS_GOAL MB, over the goal. Page cache: $CACHE_NOTE."
  echo
  echo "| case | files | bytes | push s | push MB/s | push RSS MB | initial pull s | no-op pull s | no-op pull RSS MB | export s | export MB/s | export RSS MB | server RSS MB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for c in "${CASES[@]}"; do
    if [[ -n "${SKIP[$c]:-}" ]]; then
      echo "| $c | $(commas "${NFILES[$c]}") | $(commas "${NBYTES[$c]}") | skipped: ${SKIP[$c]} ||||||||||"
      continue
    fi
    row="| $c | $(commas "${NFILES[$c]}") | $(commas "${NBYTES[$c]}")"
    row+=" | $(wall_cell "push-$c") | ${FIG[$c:push:mbs]}"
    row+=" | $(rss_cell "${MR[push-$c]}" "${MRMIN[push-$c]}" "${MRMAX[push-$c]}")"
    row+=" | $(wall_cell "pull-$c")"
    row+=" | $(wall_cell "noop-$c")"
    row+=" | $(rss_cell "${MR[noop-$c]}" "${MRMIN[noop-$c]}" "${MRMAX[noop-$c]}")"
    row+=" | $(wall_cell "export-$c") | ${FIG[$c:export:mbs]}"
    row+=" | $(rss_cell "${MR[export-$c]}" "${MRMIN[export-$c]}" "${MRMAX[export-$c]}")"
    row+=" | $(rss_cell "${FIG[$c:srv]}" "${FIG[$c:srvmin]}" "${FIG[$c:srvmax]}") |"
    echo "$row"
  done
  [[ -z "${FAILED[*]:-}" ]] || echo
  for c in "${CASES[@]}"; do
    for ((r = 1; r <= RUNS; r++)); do
      [[ -z "${FAILED[$c:$r]:-}" ]] || echo "- **FAILED**: case $c, round $r: ${FAILED[$c:$r]}; the rest of the round was skipped"
    done
  done
  if ((${#GROWTH_MD[@]})); then
    echo
    echo "### How cost grows (wall s, medians)"
    echo
    echo "The largest case of each kind ÷ the smallest; ideal = the ratio of their files (small-file cases) or bytes (big-file cases), i.e. linear growth. Per unit: wall ÷ files in µs, or wall ÷ GiB in s: flat when the growth is linear."
    printf '%s\n' "${GROWTH_MD[@]}"
    echo
    echo "### How peak RSS grows (MB, medians; ideal ≈ 1: memory does not grow with the data)"
    printf '%s\n' "${RSS_GROWTH_MD[@]}"
  fi
  echo
  echo "### Peak RSS of every process (MB, max of the rounds) against the goal (< $RSS_GOAL MB)"
  echo
  echo "| case | push | initial pull | no-op pull | export | server (VmHWM) | verdict |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  for c in "${CASES[@]}"; do
    [[ -z "${SKIP[$c]:-}" ]] || continue
    row="| $c"
    for op in "${OPS[@]}"; do row+=" | $(rss_cell "${MRMAX[$op-$c]}" "${MRMAX[$op-$c]}" "${MRMAX[$op-$c]}")"; done
    row+=" | $(rss_cell "${FIG[$c:srvmax]}" "${FIG[$c:srvmax]}" "${FIG[$c:srvmax]}")"
    row+=" | $(awk -F'\t' -v k="rss: peak RSS MB of every process, case $c (max of the rounds)" '$1 == k { print $4 }' "$WORK/checks.tsv") |"
    echo "$row"
  done
  echo
  printf '%s\n' "${RSS_LINES[@]}"
  echo
  echo "### Checks"
  echo
  echo "| check | value | target | verdict |"
  echo "|---|---:|---:|---|"
  tail -n +2 "$WORK/checks.tsv" | awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }'
  echo
  for c in "${CASES[@]}"; do
    [[ -z "${SKIP[$c]:-}" ]] || continue
    for ((r = 1; r <= RUNS; r++)); do
      for op in "${OPS[@]}"; do
        s=$op-$c
        if [[ -z "${SRV[$s:$r]:-}" ]]; then printf -- '- %s, round %s, %s: not run\n' "$c" "$r" "${OP_NAME[$op]}"; continue; fi
        printf -- '- %s, round %s, %s: %s; server peak %s MB\n' "$c" "$r" "${OP_NAME[$op]}" \
          "$(awk -F'\t' -v op="${S_OP[$s]}" -v r="$r" '$1 == "followup" && $2 == op && $3 == r { print $9 }' "$WORK/results.tsv")" \
          "${SRV[$s:$r]}"
      done
      printf -- '- %s, round %s: store %s bytes after the push; tree %s; tar %s%s\n' "$c" "$r" \
        "$(commas "${STORE_BYTES[$c:$r]:-n/a}")" "${TREE[$c:$r]:-n/a}" "${TARCHK[$c:$r]:-n/a}" \
        "${FAILED[$c:$r]:+; **FAILED**: ${FAILED[$c:$r]}}"
    done
  done
  echo
  echo "Cases took $((ELAPSED / 60)) min $((ELAPSED % 60)) s (data generation included). Exit status: $( ((FAILS)) && echo 1 || echo 0)."
  echo "report: $OUT_BASE.md  all figures: $OUT_BASE.json  raw rows: $WORK/results.tsv  logs: $LOGS/"
}

# --- results JSON: parameters, git commit, every figure -------------------------------------
{
  printf 'key\tvalue\n'
  printf 'cases\t%s\nscale_factor\t%s\nseed\t%s\nruns\t%s\ncleanup\t%s\ndrop_caches\t%s\n' \
    "${CASES[*]}" "$FACTOR" "$SEED" "$RUNS" "$CLEANUP" "$DROP_CACHES"
  printf 'file_size\t%s\nfiles_per_folder\t%s\ndiff_max_files\t%s\nsample_files\t%s\nrss_goal_mb\t%s\n' \
    "$FILE_SIZE" "$PER_FOLDER" "$DIFF_MAX_FILES" "$SAMPLE_FILES" "$RSS_GOAL"
  printf 'server_hwm_reset\t%s\nelapsed_s\t%s\nexit_status\t%s\n' "$HWM_RESET" "$ELAPSED" "$( ((FAILS)) && echo 1 || echo 0)"
} >"$WORK/params.tsv"
python3 - "$WORK" "$OUT_BASE.json" "$STARTED" "$FU" "$ROOT" <<'PY'
import csv, json, os, subprocess, sys, time
work, out, started, fu, root = sys.argv[1:6]
TEXT = {"tool", "operation", "note", "case", "kind", "layout", "skipped", "step", "check", "target",
        "verdict", "from", "to", "metric", "unit", "key"}
def num(v):
    try:
        f = float(v)
        return int(f) if f.is_integer() and "." not in v and "e" not in v.lower() else f
    except (TypeError, ValueError):
        return None if v in ("", "n/a") else v
def rows(name):
    with open(os.path.join(work, name), encoding="utf-8", newline="") as f:
        return [{k: (v if k in TEXT else num(v)) for k, v in r.items()}
                for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
def git(*a):
    try:
        return subprocess.run(["git", "-C", root, *a], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
env = {}
with open(os.path.join(work, "env.txt"), encoding="utf-8") as f:
    for line in f:
        k, _, v = line.partition(":")
        env[k.strip()] = v.strip()
params = {r["key"]: r["value"] for r in rows("params.tsv")}
results = rows("results.tsv")
figures = rows("figures.tsv")
cases = rows("cases.tsv")
for c in cases:
    c["steps"] = {f["step"]: {k: v for k, v in f.items() if k not in ("case", "step")}
                  for f in figures if f["case"] == c["case"]}
doc = {
    "scale": {"started": started, "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "followup_bin": fu, "git_commit": git("rev-parse", "HEAD"),
              "git_dirty": bool(git("status", "--porcelain")), "workdir": work,
              "exit_status": params.pop("exit_status", None), "elapsed_s": params.pop("elapsed_s", None)},
    "params": params,
    "env": env,
    "cases": cases,
    "growth": rows("growth.tsv"),
    "checks": rows("checks.tsv"),
    "runs": [r for r in results if r["run"] != "median"],
    "medians": [r for r in results if r["run"] == "median"],
}
for path in (out, os.path.join(work, "results.json")):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
PY

report | tee "$OUT_BASE.md"

if ((FAILS)); then
  echo "scale.sh: $FAILS check(s) failed: a step failed, a pulled tree differs from its source or an export tar is short (see the Checks table, $LOGS/*.err and $LOGS/diff-*.out)" >&2
  exit 1
fi
exit 0
