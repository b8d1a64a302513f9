#!/usr/bin/env bash
# bench/ingest.sh [WORKDIR] -- benchmark for "store ingest", against cp+sync, restic and borg.
#
# On the bench/gen.py dataset (WORKDIR/data, generated if absent), BENCH_RUNS rounds of
# the five comparative steps, interleaved (cp, restic, restic off, borg, followup, cp, ...)
# so that slow and fast periods of the disk hit all the tools alike:
#   a. cp -r data + sync                 (what the disk can do: the floor; fresh copy)
#   b. restic backup into a fresh repo   (the peer to beat; `restic init` untimed)
#   b2. the same with RESTIC_COMPRESSION=off (fresh repo; `restic init` untimed)
#   b3. borg create --compression none   (fresh unencrypted repo; `borg init` untimed)
#   c. followup store ingest             (fresh store; `admin init` untimed)
# then, once each:
#   d. followup store ingest again       (nothing changed: new_bytes should be ~0)
#   e. followup store ingest of one BIG_FILE_GIB GiB file (peak memory)
#   f. openssl speed sha256 and `followup store speed` (hashing ceiling vs. chunk+hash)
# then prints a table (median, min and max wall time, median max RSS), the per-round
# ratios and the issue's checks with PASS/FAIL; the wall-time ratios are computed from
# the medians. Exit status is 0 even when a target is missed; non-zero only when a
# command itself fails.
#
# Every timed step runs under /usr/bin/time -f '%e %M %U %S'. Logs: WORKDIR/logs/,
# raw rows (one per run, plus the medians): WORKDIR/results.tsv, the followup/peer pairs
# and the checks: WORKDIR/summary.tsv, checks: WORKDIR/checks.tsv, all of it:
# WORKDIR/results.json, machine: WORKDIR/env.txt.
# Only known subpaths of WORKDIR are deleted; nothing outside WORKDIR is touched.
#
# Environment:
#   FOLLOWUP_BIN   use this binary instead of `swift build -c release --product followup`
#   BENCH_RUNS     rounds of the cp / restic / borg / followup steps (default 5)
#   BIG_FILE_GIB   size of the single-file case in GiB (default 4; 0 skips it)
#   BENCH_SCALE    gen.py --scale (default 1)     BENCH_SEED  gen.py --seed (default 42)
#   BENCH_CLEANUP  1: also delete the restic and borg repos and the stores at the end
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$BENCH_DIR/lib.sh"  # sets ROOT, the project root

bench_args ingest.sh "<project root>/bench-work" "$@"
set_workdir "${1:-$ROOT/bench-work}" ""

BIG_FILE_GIB=${BIG_FILE_GIB:-4}
[[ "$BIG_FILE_GIB" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "BIG_FILE_GIB must be a number of GiB, got '$BIG_FILE_GIB'"
BIG_BYTES=$(awk -v g="$BIG_FILE_GIB" 'BEGIN { printf "%.0f", g * 1073741824 }')
bench_env 5

DATA=$WORK/data
# settle before each timed step: a sync, then the dataset read back into the page cache
# (borg create drops what it reads from it). The ingest never drops the cache.
DROP_CACHES=0
WARM=("$DATA")
STORE=$WORK/store
BIG=$WORK/big
BIG_STORE=$WORK/big-store
CP_COPY=$WORK/cp-copy

# Scratch copies that must not outlive the run (also on failure or Ctrl-C).
cleanup() { rm -rf "${CP_COPY:?}" "${BIG:?}" "${BIG_STORE:?}"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools (installed with apt-get when missing) and the followup binary ------------------
install_missing python3 restic openssl borg=borgbackup
find_followup

# --- fresh per-run state (known subpaths of WORKDIR only) ------------------------------
cleanup
rm -rf "${LOGS:?}" "${STORE:?}" "$WORK/restic-repo" "$WORK/restic-cache" "$WORK/borg-repo" "$WORK/borg-base" \
       "$WORK/results.tsv" "$WORK/results.json" "$WORK/summary.tsv" "$WORK/checks.tsv" "$WORK/env.txt"
mkdir -p "$LOGS"

# --- dataset: WORKDIR/data, (re)generated when absent or made with other parameters ----
# WORKDIR/data.stamp records the gen.py parameters; no stamp = a dataset the user put there.
STAMP=$WORK/data.stamp
dataset "$DATA" "$STAMP"

{
  machine
  echo "followup: $FU"
  echo "restic: $(restic version)  compression: ${RESTIC_COMPRESSION:-auto (default)}, and off (second restic step)"
  echo "borg: $(borg --version)  init --encryption=none, create --compression none"
  echo "openssl: $(openssl version)"
  echo "dataset: $DATA  $([[ -f "$STAMP" ]] && cat "$STAMP")  files=$DATA_FILES bytes=$DATA_BYTES"
  echo "page cache: not dropped; the dataset is read once before the first step, so caches are warm for all tools alike"
  echo "runs: $RUNS rounds of cp+sync / restic backup / restic backup (compression off) / borg create / followup ingest, interleaved; medians reported"
} >"$WORK/env.txt"
cat "$WORK/env.txt" >&2

# --- helpers (more in lib.sh) ---------------------------------------------------------
# Table rows are kept in memory with US separators ("read" would merge empty fields
# between tabs): tool, operation, runs, wall (median), wall min, wall max, RSS (median), bytes.
ROWS=()
US=$'\x1f'

# row TOOL OPERATION BYTES [NOTE] : a single-run step (figures of the last timed step)
row() {
  ROWS+=("$1$US$2${US}1$US$WALL$US-$US-$US$RSS_MB$US${3:-}")
  tsv "$1" "$2" 1 "$WALL" "$RSS_MB" "$USR" "$SYS" "${3:-}" "${4:-}"
}

# Per-run figures of the round-interleaved steps, keyed "STEP:ROUND".
# (run_row in lib.sh fills RW RR RU RS RB; per_run and step_stats read them by name.)
declare -A S_TOOL=([cp]=cp [restic]=restic [restic-off]=restic [borg]=borg [followup]=followup)
declare -A S_OP=([cp]="cp -r + sync" [restic]="backup (fresh repo)"
  [restic-off]="backup, RESTIC_COMPRESSION=off (fresh repo)"
  [borg]="create --compression none (fresh repo)" [followup]="store ingest (fresh store)")
STEP_ORDER=(cp restic restic-off borg followup)
# shellcheck disable=SC2034  # RR RU RS RB are read through namerefs (per_run)
declare -A RW RR RU RS RB
# median_row STEP : the median row of a round-interleaved step (medians in lib.sh: MW,
# MR, MB and their MIN/MAX, and the median row of results.tsv), then the table's row.
median_row() {
  medians "$1"
  ROWS+=("${S_TOOL[$1]}$US${S_OP[$1]}$US$RUNS$US${MW[$1]}$US${MWMIN[$1]}$US${MWMAX[$1]}$US${MR[$1]}$US${MB[$1]}")
}

# ingest_note LOGNAME : "files=… bytes=… new_bytes=… chunks=… seconds=…" from its JSON
ingest_note() { json_note "$1" files bytes new_bytes chunks seconds; }

# maxof A B : the larger of two numbers; the other one when one is n/a.
maxof() { if [[ "$1" == n/a ]]; then echo "$2"; elif [[ "$2" == n/a ]]; then echo "$1"; else awk -v a="$1" -v b="$2" 'BEGIN { print (a > b) ? a : b }'; fi; }

tsv_header
restic_env
borg_env

# --- a-c. BENCH_RUNS rounds of cp+sync, restic backup (twice), borg create, followup ingest,
# interleaved ---------------------------------------------------------------------------
# Each timed step starts from a fresh target and right after a `sync`, so that no tool
# pays for another's dirty pages. The disk's speed drifts a lot between runs on a VM;
# running the three tools one after another in every round exposes them to the same
# slow and fast periods, and the medians are taken over these same rounds.
for ((r = 1; r <= RUNS; r++)); do
  log "round $r/$RUNS"

  # a. cp -r + sync: the disk's own limit
  rm -rf "${CP_COPY:?}"
  settle
  # shellcheck disable=SC2016  # $1 and $2 are expanded by sh
  timed "cp-sync.r$r" sh -c 'cp -r "$1" "$2" && sync' sh "$DATA" "$CP_COPY"
  run_row cp "$r" "$(tree_bytes "$CP_COPY")" "bytes = data copied"
  rm -rf "${CP_COPY:?}"

  # b. restic backup into a fresh repo (init untimed; fresh cache dir under WORKDIR)
  rm -rf "${RESTIC_REPOSITORY:?}" "${RESTIC_CACHE_DIR:?}"
  untimed "restic-init.r$r" restic init
  before=$(dir_bytes "$RESTIC_REPOSITORY")
  settle
  timed "restic-backup.r$r" restic backup "$DATA"
  run_row restic "$r" "$(($(dir_bytes "$RESTIC_REPOSITORY") - before))" \
    "bytes = repo growth (compression ${RESTIC_COMPRESSION:-auto})"

  # b2. the same with RESTIC_COMPRESSION=off (a fresh repo again)
  rm -rf "${RESTIC_REPOSITORY:?}" "${RESTIC_CACHE_DIR:?}"
  untimed "restic-init-off.r$r" restic init
  before=$(dir_bytes "$RESTIC_REPOSITORY")
  settle
  timed "restic-backup-off.r$r" env RESTIC_COMPRESSION=off restic backup "$DATA"
  run_row restic-off "$r" "$(($(dir_bytes "$RESTIC_REPOSITORY") - before))" "bytes = repo growth (compression off)"

  # b3. borg create --compression none into a fresh unencrypted repo (init untimed)
  borg_fresh "borg-init.r$r"
  before=$(dir_bytes "$BORG_REPO")
  settle
  borg_create "borg-create.r$r" "$DATA"
  run_row borg "$r" "$(($(dir_bytes "$BORG_REPO") - before))" "bytes = repo growth (compression none)"

  # c. followup store ingest into a fresh store (admin init untimed)
  rm -rf "${STORE:?}"
  untimed "followup-admin-init.r$r" "$FU" admin init --storage "$STORE" --json
  before=$(dir_bytes "$STORE")
  settle
  timed "followup-ingest.r$r" "$FU" store ingest "$DATA" --storage "$STORE" --json
  run_row followup "$r" "$(($(dir_bytes "$STORE") - before))" "$(ingest_note "followup-ingest.r$r")"
  [[ -n "$(json_get "$LOGS/followup-ingest.r$r.out" files)" ]] \
    || log "warning: no JSON object with 'files' in followup-ingest.r$r output"
done
for s in "${STEP_ORDER[@]}"; do median_row "$s"; done
CP_WALL=${MW[cp]} RESTIC_WALL=${MW[restic]} FU_WALL=${MW[followup]}
FU_RSS_MAX=$(per_run RR followup | sort -g | tail -n 1)

# --- d. the same data again, on the last round's store: nothing new to store -------------
settle
before=$(dir_bytes "$STORE")
timed followup-ingest-again "$FU" store ingest "$DATA" --storage "$STORE" --json
row followup "store ingest again (no change)" "$(($(dir_bytes "$STORE") - before))" "$(ingest_note followup-ingest-again)"
FU2_RSS=$RSS_MB
NOCHANGE_NEW=$(json_get "$LOGS/followup-ingest-again.out" new_bytes)
NOCHANGE_ALL=$(json_get "$LOGS/followup-ingest-again.out" bytes)
sync

# --- e. one big file: peak memory must not grow with the file ---------------------------
BIG_RSS=n/a BIG_NOTE="skipped (BIG_FILE_GIB=0)"
if ((BIG_BYTES > 0)); then
  avail=$(df -B1 --output=avail "$WORK" | tail -n 1 | tr -dc '0-9')
  if ((avail < 2 * BIG_BYTES + 536870912)); then
    BIG_NOTE="skipped (needs $((2 * BIG_BYTES + 536870912)) bytes free in WORKDIR, have $avail)"
    log "big file: $BIG_NOTE"
  else
    mkdir -p "$BIG"
    log "writing $BIG/one.bin ($BIG_FILE_GIB GiB, AES-128-CTR keystream: deterministic, incompressible)"
    head -c "$BIG_BYTES" /dev/zero \
      | openssl enc -aes-128-ctr -nosalt -K 0f1e2d3c4b5a69788796a5b4c3d2e1f0 \
          -iv 00000000000000000000000000000000 >"$BIG/one.bin"
    [[ $(stat -c %s "$BIG/one.bin") == "$BIG_BYTES" ]] || die "$BIG/one.bin has the wrong size"
    untimed followup-admin-init-big "$FU" admin init --storage "$BIG_STORE" --json
    before=$(dir_bytes "$BIG_STORE")
    sync
    timed followup-ingest-big "$FU" store ingest "$BIG" --storage "$BIG_STORE" --json
    row followup "store ingest one ${BIG_FILE_GIB} GiB file" "$(($(dir_bytes "$BIG_STORE") - before))" "$(ingest_note followup-ingest-big)"
    BIG_RSS=$RSS_MB BIG_NOTE="one.bin = $BIG_BYTES bytes"
    rm -rf "${BIG:?}" "${BIG_STORE:?}"
    sync
  fi
fi

# --- f. hashing ceiling vs. chunk+hash in-process -------------------------------------
timed openssl-speed openssl speed -evp sha256 -bytes 1048576 -seconds 3
SSL_MBS=$(awk 'tolower($1) == "sha256" && $NF ~ /k$/ { v = $NF; sub(/k$/, "", v); printf "%.1f", v / 1000 }' \
  "$LOGS/openssl-speed.out")
[[ -n "$SSL_MBS" ]] || die "could not parse the 1048576-byte column of openssl speed (see $LOGS/openssl-speed.out)"
row openssl "speed -evp sha256, 1 MiB blocks" "" "sha256_mb_s=$SSL_MBS (one core)"

CH_MBS=n/a CK_MBS=n/a SH_MBS=n/a SPEED_BYTES=""
if ALLOW_FAIL=1 timed followup-speed "$FU" store speed --json; then
  CH_MBS=$(json_get "$LOGS/followup-speed.out" chunk_hash_mb_s)
  CK_MBS=$(json_get "$LOGS/followup-speed.out" chunk_mb_s)
  SH_MBS=$(json_get "$LOGS/followup-speed.out" sha256_mb_s)
  SPEED_BYTES=$(json_get "$LOGS/followup-speed.out" bytes)
  CH_MBS=${CH_MBS:-n/a} CK_MBS=${CK_MBS:-n/a} SH_MBS=${SH_MBS:-n/a}
fi
row followup "store speed (in memory, 1 core)" "$SPEED_BYTES" \
  "chunk_hash_mb_s=$CH_MBS chunk_mb_s=$CK_MBS sha256_mb_s=$SH_MBS"

# --- checks against the issue's targets -------------------------------------------------
# The pairs (pair in lib.sh) and the other checks also go to summary.tsv, one row each.
CHECKS=()
summary_header
pair wall "store ingest vs restic backup, wall s" "restic backup" followup restic \
  "median followup ingest / median restic backup" le 0.5
pair wall "store ingest vs cp -r + sync, wall s" "cp -r + sync" followup cp \
  "median followup ingest / median cp -r + sync" le 1.3
pair wall "store ingest vs restic backup (compression off), wall s" "restic backup, RESTIC_COMPRESSION=off" followup restic-off
pair wall "store ingest vs borg create --compression none, wall s" "borg create --compression none" followup borg
pair bytes "store ingest vs restic backup, bytes stored" "restic backup" followup restic
pair bytes "store ingest vs restic backup (compression off), bytes stored" "restic backup, RESTIC_COMPRESSION=off" followup restic-off
pair bytes "store ingest vs borg create --compression none, bytes stored" "borg create --compression none" followup borg
pair rss "store ingest vs restic backup, peak RSS MB" "restic backup" followup restic
pair rss "store ingest vs borg create --compression none, peak RSS MB" "borg create --compression none" followup borg
# other_check NAME VALUE OP TARGET : a check without a peer (add_check) and its summary row.
other_check() {
  add_check "$@"
  summary check "$1" "" "$2" "" "" "" "" "" "" "" "" "$(symbol "$3") $4" "$VERDICT"
}
other_check "chunk_hash_mb_s / openssl sha256 MB/s" "$(ratio "$CH_MBS" "$SSL_MBS")" ge 0.70
other_check "peak RSS MB, ingest of the dataset (all runs)" "$(maxof "$FU_RSS_MAX" "$FU2_RSS")" lt 100
other_check "peak RSS MB, ingest of one big file (${BIG_FILE_GIB} GiB)" "$BIG_RSS" lt 100
other_check "no-change ingest: new_bytes / bytes" "$(ratio "${NOCHANGE_NEW:-n/a}" "${NOCHANGE_ALL:-n/a}")" le 0.001
write_checks
write_results_json

# --- report -------------------------------------------------------------------------------
echo
echo "store ingest benchmark -- dataset: $DATA_FILES files, $(commas "$DATA_BYTES") bytes ($([[ -f "$STAMP" ]] && cat "$STAMP" || echo "user-provided"))"
echo "Page cache not dropped: the dataset is read back into it before every timed step (borg create drops what it reads from the cache), so caches are warm for all tools alike."
echo "cp row includes a full sync; restic and followup flush what they write themselves. Every timed step follows a sync."
echo "cp, restic (twice: default compression and off), borg and followup ran $RUNS times, interleaved round by round; wall s and max RSS MB are medians over the runs."
echo
trow() { printf '%-9s %-44s %4s %8s %7s %7s %11s %16s\n' "$@"; }
trow tool operation runs "wall s" min max "max RSS MB" bytes
trow --------- -------------------------------------------- ---- -------- ------- ------- ----------- ----------------
for r in "${ROWS[@]}"; do
  IFS=$US read -r tool op n wall wmin wmax rss bytes <<<"$r"
  trow "$tool" "$op" "$n" "$wall" "$wmin" "$wmax" "$rss" "$(commas "$bytes")"
done
echo
echo "per round (wall s; ratios of the same round):"
rrow() { printf '%-7s %10s %10s %10s %10s %11s %12s %16s %14s\n' "$@"; }
rrow round "cp+sync" "restic" "restic-off" "borg" "followup" "followup/cp" "followup/restic" "followup/borg"
rrow ------- ---------- ---------- ---------- ---------- ----------- ------------ ---------------- --------------
R_CP=() R_RE=()
for ((r = 1; r <= RUNS; r++)); do
  rc=$(ratio "${RW[followup:$r]}" "${RW[cp:$r]}")
  rr=$(ratio "${RW[followup:$r]}" "${RW[restic:$r]}")
  R_CP+=("$rc") R_RE+=("$rr")
  rrow "$r" "${RW[cp:$r]}" "${RW[restic:$r]}" "${RW[restic-off:$r]}" "${RW[borg:$r]}" "${RW[followup:$r]}" \
    "$rc" "$rr" "$(ratio "${RW[followup:$r]}" "${RW[borg:$r]}")"
done
rrow ------- ---------- ---------- ---------- ---------- ----------- ------------ ---------------- --------------
rrow median "$CP_WALL" "$RESTIC_WALL" "${MW[restic-off]}" "${MW[borg]}" "$FU_WALL" "$(ratio "$FU_WALL" "$CP_WALL")" \
  "$(ratio "$FU_WALL" "$RESTIC_WALL")" "$(ratio "$FU_WALL" "${MW[borg]}")"
read -r _ rcmin rcmax < <(stats 3 "${R_CP[@]}")
read -r _ rrmin rrmax < <(stats 3 "${R_RE[@]}")
echo "(the median line's ratios are median ÷ median, as in the checks; per-round followup/cp min $rcmin max $rcmax, followup/restic min $rrmin max $rrmax)"
echo
for ((r = 1; r <= RUNS; r++)); do
  printf '%-25s%s\n' "followup ingest (run $r):" "$(ingest_note "followup-ingest.r$r")"
done
printf '%-25s%s\n' "followup ingest (again):" "$(ingest_note followup-ingest-again)"
printf '%-25s%s\n' "big file:" "$BIG_NOTE"
echo "hashing: openssl sha256 $SSL_MBS MB/s; followup store speed: chunk+hash $CH_MBS, chunk $CK_MBS, sha256 $SH_MBS MB/s"
echo
printf '%-48s %9s %9s  %s\n' check value target verdict
printf '%-48s %9s %9s  %s\n' ------------------------------------------------ --------- --------- -------
for c in "${CHECKS[@]}"; do
  IFS=$'\t' read -r name value target verdict <<<"$c"
  target=${target/≤/<=} target=${target/≥/>=}  # ASCII here: printf pads by bytes
  printf '%-48s %9s %9s  %s\n' "$name" "$value" "$target" "$verdict"
done
echo
echo "raw rows: $WORK/results.tsv  table: $WORK/summary.tsv  checks: $WORK/checks.tsv  all: $WORK/results.json  logs: $LOGS/"

if [[ "${BENCH_CLEANUP:-0}" == 1 ]]; then
  rm -rf "${STORE:?}" "$WORK/restic-repo" "$WORK/restic-cache" "${BORG_REPO:?}" "${BORG_BASE_DIR:?}"
fi
