#!/usr/bin/env bash
# bench/ingest.sh [WORKDIR] -- benchmark for "store ingest", against cp+sync and restic.
#
# On the bench/gen.py dataset (WORKDIR/data, generated if absent), BENCH_RUNS rounds of
# the three comparative steps, interleaved (cp, restic, followup, cp, restic, followup, ...)
# so that slow and fast periods of the disk hit all three tools alike:
#   a. cp -r data + sync                 (what the disk can do: the floor; fresh copy)
#   b. restic backup into a fresh repo   (the peer to beat; `restic init` untimed)
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
# raw rows (one per run, plus the medians): WORKDIR/results.tsv, checks:
# WORKDIR/checks.tsv, machine: WORKDIR/env.txt.
# Only known subpaths of WORKDIR are deleted; nothing outside WORKDIR is touched.
#
# Environment:
#   FOLLOWUP_BIN   use this binary instead of `swift build -c release --product followup`
#   BENCH_RUNS     rounds of the cp / restic / followup steps (default 5)
#   BIG_FILE_GIB   size of the single-file case in GiB (default 4; 0 skips it)
#   BENCH_SCALE    gen.py --scale (default 1)     BENCH_SEED  gen.py --seed (default 42)
#   BENCH_CLEANUP  1: also delete the restic repo and the stores at the end
set -euo pipefail

die() { echo "ingest.sh: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

case "${1:-}" in -h | --help)
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
  exit 0 ;;
esac
(($# <= 1)) || { echo "usage: $0 [WORKDIR]   (default: <project root>/bench-work)" >&2; exit 2; }

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
mkdir -p "${1:-$ROOT/bench-work}"
WORK=$(realpath -e "${1:-$ROOT/bench-work}")
case "$WORK" in
  / | "$ROOT" | "$BENCH_DIR" | "${HOME:-/}") die "refusing WORKDIR $WORK (use a dedicated directory)" ;;
esac

BIG_FILE_GIB=${BIG_FILE_GIB:-4}
[[ "$BIG_FILE_GIB" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "BIG_FILE_GIB must be a number of GiB, got '$BIG_FILE_GIB'"
BIG_BYTES=$(awk -v g="$BIG_FILE_GIB" 'BEGIN { printf "%.0f", g * 1073741824 }')
SCALE=$(awk -v s="${BENCH_SCALE:-1}" 'BEGIN { printf "%g", s }')
SEED=${BENCH_SEED:-42}
[[ "$SEED" =~ ^[0-9]+$ ]] || die "BENCH_SEED must be an integer"
RUNS=${BENCH_RUNS:-5}
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"

LOGS=$WORK/logs
DATA=$WORK/data
STORE=$WORK/store
BIG=$WORK/big
BIG_STORE=$WORK/big-store
CP_COPY=$WORK/cp-copy

# Scratch copies that must not outlive the run (also on failure or Ctrl-C).
cleanup() { rm -rf "${CP_COPY:?}" "${BIG:?}" "${BIG_STORE:?}"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools: install what is missing (one apt-get update, only if something is missing) --
need=()
command -v python3 >/dev/null || need+=(python3)
command -v restic >/dev/null || need+=(restic)
command -v openssl >/dev/null || need+=(openssl)
[[ -x /usr/bin/time ]] || need+=(time)
if ((${#need[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then command -v sudo >/dev/null || die "missing ${need[*]} and no sudo"; SUDO=sudo; fi
  log "installing: ${need[*]}"
  $SUDO apt-get update -qq >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${need[@]}" >&2
fi

# --- followup binary --------------------------------------------------------------------
if [[ -n "${FOLLOWUP_BIN:-}" ]]; then
  [[ -x "$FOLLOWUP_BIN" ]] || die "FOLLOWUP_BIN=$FOLLOWUP_BIN is not an executable file"
  FU=$(realpath -e "$FOLLOWUP_BIN")
else
  command -v swift >/dev/null || die "swift not found (or set FOLLOWUP_BIN)"
  log "building: swift build -c release --product followup (in $ROOT)"
  (cd "$ROOT" && swift build -c release --product followup) >&2
  FU="$(cd "$ROOT" && swift build -c release --show-bin-path)/followup"
  [[ -x "$FU" ]] || die "build did not produce $FU"
fi

# --- fresh per-run state (known subpaths of WORKDIR only) ------------------------------
cleanup
rm -rf "${LOGS:?}" "${STORE:?}" "$WORK/restic-repo" "$WORK/restic-cache" \
       "$WORK/results.tsv" "$WORK/checks.tsv" "$WORK/env.txt"
mkdir -p "$LOGS"

# --- dataset: WORKDIR/data, (re)generated when absent or made with other parameters ----
# WORKDIR/data.stamp records the gen.py parameters; no stamp = a dataset the user put there.
STAMP=$WORK/data.stamp
want="gen.py seed=$SEED scale=$SCALE"
if [[ -d "$DATA" && ! -f "$STAMP" ]]; then
  log "using existing $DATA as is (no data.stamp: not made by this script)"
elif [[ -d "$DATA" && "$(cat "$STAMP")" == "$want" ]]; then
  log "reusing dataset $DATA ($want)"
else
  rm -rf "${DATA:?}"
  echo "incomplete" >"$STAMP"
  log "generating dataset: $want -> $DATA"
  python3 "$BENCH_DIR/gen.py" "$DATA" --seed "$SEED" --scale "$SCALE" >"$LOGS/gen.out"
  echo "$want" >"$STAMP"
fi
DATA_FILES=$(find "$DATA" -type f | wc -l)
DATA_BYTES=$(find "$DATA" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }')
((DATA_FILES > 0)) || die "$DATA holds no files"
# Read the whole dataset once, so every tool starts with the same (warm) page cache.
log "warming the page cache: reading $DATA_FILES files, $DATA_BYTES bytes"
find "$DATA" -type f -exec cat {} + >/dev/null

{
  echo "date: $(date -u +%FT%TZ)  host: $(uname -srm)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs) x $(nproc)"
  echo "mem: $(free -m | awk '/^Mem:/ { print $2 " MiB" }')  fs(WORKDIR): $(df -T "$WORK" | awk 'NR == 2 { print $2 }')"
  echo "followup: $FU"
  echo "restic: $(restic version)  compression: ${RESTIC_COMPRESSION:-auto (default)}"
  echo "openssl: $(openssl version)"
  echo "dataset: $DATA  $([[ -f "$STAMP" ]] && cat "$STAMP")  files=$DATA_FILES bytes=$DATA_BYTES"
  echo "page cache: not dropped; the dataset is read once before the first step, so caches are warm for all tools alike"
  echo "runs: $RUNS rounds of cp+sync / restic backup / followup ingest, interleaved; medians reported"
} >"$WORK/env.txt"
cat "$WORK/env.txt" >&2

# --- helpers ---------------------------------------------------------------------------
# timed NAME CMD... : run CMD under /usr/bin/time (stdout/stderr -> logs/NAME.out/.err)
# and set WALL (s), RSS_MB (max RSS, 1 MB = 10^6 bytes), USR, SYS (s). A failing command
# stops the script, unless ALLOW_FAIL=1: then it returns 1 and leaves the figures "n/a".
timed() {
  local name=$1 rc=0 kib
  shift
  log "run: $name"
  /usr/bin/time -f '%e %M %U %S' -o "$LOGS/$name.time" "$@" \
    >"$LOGS/$name.out" 2>"$LOGS/$name.err" || rc=$?
  if ((rc != 0)); then
    tail -n 20 "$LOGS/$name.err" >&2
    WALL=n/a RSS_MB=n/a USR=n/a SYS=n/a
    [[ "${ALLOW_FAIL:-0}" == 1 ]] && { log "$name failed (rc=$rc); continuing"; return 1; }
    die "step $name failed (rc=$rc): $*"
  fi
  read -r WALL kib USR SYS < <(tail -n 1 "$LOGS/$name.time")
  RSS_MB=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }')
}

# untimed NAME CMD... : run a preparation step (logs/NAME.out/.err); stop if it fails.
untimed() {
  local name=$1
  shift
  log "run: $name (untimed)"
  "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err" \
    || { tail -n 20 "$LOGS/$name.err" >&2; die "step $name failed: $*"; }
}

# Table rows are kept in memory with US separators ("read" would merge empty fields
# between tabs): tool, operation, runs, wall (median), wall min, wall max, RSS (median), bytes.
ROWS=()
US=$'\x1f'
tsv() { local IFS=$'\t'; echo "$*" >>"$WORK/results.tsv"; }

# row TOOL OPERATION BYTES [NOTE] : a single-run step (figures of the last timed step)
row() {
  ROWS+=("$1$US$2${US}1$US$WALL$US-$US-$US$RSS_MB$US${3:-}")
  tsv "$1" "$2" 1 "$WALL" "$RSS_MB" "$USR" "$SYS" "${3:-}" "${4:-}"
}

# stats DECIMALS VALUE... : "median min max" of the values ("n/a" ones are ignored; all
# three are n/a when nothing is left). Median: the middle value of the sorted list, or the
# mean of the two middle values for an even count. The median is printed with DECIMALS
# decimals, plus one for an even count (the mean of two values may end in 5).
stats() {
  local dec=$1
  shift
  printf '%s\n' "$@" | awk -v dec="$dec" '$1 != "n/a" && $1 != "" { print }' | sort -g \
    | awk -v dec="$dec" '{ v[NR] = $1 } END {
        if (NR == 0) { print "n/a n/a n/a"; exit }
        if (NR % 2) m = v[(NR + 1) / 2]; else { m = (v[NR / 2] + v[NR / 2 + 1]) / 2; if (dec > 0) dec++ }
        printf "%." dec "f %s %s\n", m, v[1], v[NR] }'
}

# Per-run figures of the round-interleaved steps, keyed "STEP:ROUND".
STEPS=(cp restic followup)
declare -A S_TOOL=([cp]=cp [restic]=restic [followup]=followup)
declare -A S_OP=([cp]="cp -r + sync" [restic]="backup (fresh repo)" [followup]="store ingest (fresh store)")
declare -A RW RR RU RS RB
# run_row STEP ROUND BYTES NOTE : one row per individual run (figures of the last timed step)
run_row() {
  local k=$1:$2
  RW[$k]=$WALL RR[$k]=$RSS_MB RU[$k]=$USR RS[$k]=$SYS RB[$k]=$3
  tsv "${S_TOOL[$1]}" "${S_OP[$1]}" "$2" "$WALL" "$RSS_MB" "$USR" "$SYS" "$3" "$4"
}
# per_run ARRAYNAME STEP : the values of that step, round 1..RUNS, one per line
per_run() {
  local -n arr=$1
  local r
  for ((r = 1; r <= RUNS; r++)); do echo "${arr[$2:$r]:-n/a}"; done
}
# median_row STEP : the median row of a round-interleaved step (table and results.tsv);
# sets MED_WALL and MED_RSS.
median_row() {
  local w wmin wmax rss rmin rmax usr sys bytes
  read -r w wmin wmax < <(stats 2 $(per_run RW "$1"))
  read -r rss rmin rmax < <(stats 1 $(per_run RR "$1"))
  read -r usr _ _ < <(stats 2 $(per_run RU "$1"))
  read -r sys _ _ < <(stats 2 $(per_run RS "$1"))
  read -r bytes _ _ < <(stats 0 $(per_run RB "$1"))
  ROWS+=("${S_TOOL[$1]}$US${S_OP[$1]}$US$RUNS$US$w$US$wmin$US$wmax$US$rss$US$bytes")
  tsv "${S_TOOL[$1]}" "${S_OP[$1]}" median "$w" "$rss" "$usr" "$sys" "$bytes" \
    "median of $RUNS runs; wall_s min=$wmin max=$wmax; max_rss_mb min=$rmin max=$rmax"
  MED_WALL=$w MED_RSS=$rss
}

dir_bytes() { if [[ -e "$1" ]]; then du -sb "$1" | cut -f1; else echo 0; fi; }
tree_bytes() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }'; }

# json_get FILE KEY : a top-level field of the JSON object printed by a command (the whole
# output, or else the last line that parses as an object); empty when absent.
json_get() {
  python3 - "$1" "$2" <<'PY'
import json, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
obj = None
try:
    obj = json.loads(text)
except ValueError:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
                break
            except ValueError:
                pass
if isinstance(obj, dict) and obj.get(sys.argv[2]) is not None:
    v = obj[sys.argv[2]]
    print(json.dumps(v) if isinstance(v, (dict, list)) else v)
PY
}

# ingest_note LOGNAME : "files=… bytes=… new_bytes=… chunks=… seconds=…" from its JSON
ingest_note() {
  local k v out=""
  for k in files bytes new_bytes chunks seconds; do
    v=$(json_get "$LOGS/$1.out" "$k")
    out+="$k=${v:-n/a} "
  done
  echo "${out% }"
}

# calc EXPR : awk arithmetic on shell-substituted numbers; "n/a" if any operand is n/a.
calc() { [[ "$1" == *n/a* ]] && { echo n/a; return; }; awk "BEGIN { printf \"%.3f\", $1 }"; }
ratio() { if [[ "$1" == n/a || "$2" == n/a ]] || awk -v d="$2" 'BEGIN { exit !(d <= 0) }'; then echo n/a; else calc "$1 / $2"; fi; }
maxof() { if [[ "$1" == n/a ]]; then echo "$2"; elif [[ "$2" == n/a ]]; then echo "$1"; else awk -v a="$1" -v b="$2" 'BEGIN { print (a > b) ? a : b }'; fi; }

printf 'tool\toperation\trun\twall_s\tmax_rss_mb\tuser_s\tsys_s\tbytes\tnote\n' >"$WORK/results.tsv"

unset RESTIC_PASSWORD_FILE RESTIC_PASSWORD_COMMAND
export RESTIC_PASSWORD=bench
export RESTIC_REPOSITORY=$WORK/restic-repo RESTIC_CACHE_DIR=$WORK/restic-cache

# --- a-c. BENCH_RUNS rounds of cp+sync, restic backup, followup ingest, interleaved -----
# Each timed step starts from a fresh target and right after a `sync`, so that no tool
# pays for another's dirty pages. The disk's speed drifts a lot between runs on a VM;
# running the three tools one after another in every round exposes them to the same
# slow and fast periods, and the medians are taken over these same rounds.
for ((r = 1; r <= RUNS; r++)); do
  log "round $r/$RUNS"

  # a. cp -r + sync: the disk's own limit
  rm -rf "${CP_COPY:?}"
  sync
  timed "cp-sync.r$r" sh -c 'cp -r "$1" "$2" && sync' sh "$DATA" "$CP_COPY"
  run_row cp "$r" "$(tree_bytes "$CP_COPY")" "bytes = data copied"
  rm -rf "${CP_COPY:?}"

  # b. restic backup into a fresh repo (init untimed; fresh cache dir under WORKDIR)
  rm -rf "${RESTIC_REPOSITORY:?}" "${RESTIC_CACHE_DIR:?}"
  untimed "restic-init.r$r" restic init
  before=$(dir_bytes "$RESTIC_REPOSITORY")
  sync
  timed "restic-backup.r$r" restic backup "$DATA"
  run_row restic "$r" "$(($(dir_bytes "$RESTIC_REPOSITORY") - before))" \
    "bytes = repo growth (compression ${RESTIC_COMPRESSION:-auto})"

  # c. followup store ingest into a fresh store (admin init untimed)
  rm -rf "${STORE:?}"
  untimed "followup-admin-init.r$r" "$FU" admin init --storage "$STORE" --json
  before=$(dir_bytes "$STORE")
  sync
  timed "followup-ingest.r$r" "$FU" store ingest "$DATA" --storage "$STORE" --json
  run_row followup "$r" "$(($(dir_bytes "$STORE") - before))" "$(ingest_note "followup-ingest.r$r")"
  [[ -n "$(json_get "$LOGS/followup-ingest.r$r.out" files)" ]] \
    || log "warning: no JSON object with 'files' in followup-ingest.r$r output"
done
median_row cp;       CP_WALL=$MED_WALL
median_row restic;   RESTIC_WALL=$MED_WALL
median_row followup; FU_WALL=$MED_WALL
FU_RSS_MAX=$(per_run RR followup | sort -g | tail -n 1)

# --- d. the same data again, on the last round's store: nothing new to store -------------
sync
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
CHECKS=()
check() {  # check NAME VALUE OP TARGET  (OP: le, ge, lt)
  local verdict=n/a
  if [[ "$2" != n/a ]]; then
    verdict=$(awk -v v="$2" -v t="$4" -v op="$3" 'BEGIN {
      ok = (op == "le") ? v <= t : (op == "ge") ? v >= t : v < t
      print ok ? "PASS" : "FAIL" }')
  fi
  local sym
  case $3 in le) sym="<=" ;; ge) sym=">=" ;; lt) sym="<" ;; esac
  CHECKS+=("$(printf '%s\t%s\t%s %s\t%s' "$1" "$2" "$sym" "$4" "$verdict")")
}

check "median followup ingest / median restic backup" "$(ratio "$FU_WALL" "$RESTIC_WALL")" le 0.5
check "median followup ingest / median cp -r + sync" "$(ratio "$FU_WALL" "$CP_WALL")" le 1.3
check "chunk_hash_mb_s / openssl sha256 MB/s" "$(ratio "$CH_MBS" "$SSL_MBS")" ge 0.70
check "peak RSS MB, ingest of the dataset (all runs)" "$(maxof "$FU_RSS_MAX" "$FU2_RSS")" lt 100
check "peak RSS MB, ingest of one big file (${BIG_FILE_GIB} GiB)" "$BIG_RSS" lt 100
check "no-change ingest: new_bytes / bytes" "$(ratio "${NOCHANGE_NEW:-n/a}" "${NOCHANGE_ALL:-n/a}")" le 0.001
{
  printf 'check\tvalue\ttarget\tverdict\n'
  printf '%s\n' "${CHECKS[@]}"
} >"$WORK/checks.tsv"

# --- report -------------------------------------------------------------------------------
commas() { sed ':a; s/\([0-9]\)\([0-9]\{3\}\)\($\|[^0-9]\)/\1,\2\3/; ta' <<<"$1"; }
echo
echo "store ingest benchmark -- dataset: $DATA_FILES files, $(commas "$DATA_BYTES") bytes ($([[ -f "$STAMP" ]] && cat "$STAMP" || echo "user-provided"))"
echo "Page cache not dropped: the dataset is read once before the first step, so caches are warm for all tools alike."
echo "cp row includes a full sync; restic and followup flush what they write themselves. Every timed step follows a sync."
echo "cp, restic and followup ran $RUNS times, interleaved round by round; wall s and max RSS MB are medians over the runs."
echo
fmt='%-9s %-36s %4s %8s %7s %7s %11s %16s\n'
printf "$fmt" tool operation runs "wall s" min max "max RSS MB" bytes
printf "$fmt" --------- ------------------------------------ ---- -------- ------- ------- ----------- ----------------
for r in "${ROWS[@]}"; do
  IFS=$US read -r tool op n wall wmin wmax rss bytes <<<"$r"
  printf "$fmt" "$tool" "$op" "$n" "$wall" "$wmin" "$wmax" "$rss" "$(commas "$bytes")"
done
echo
echo "per round (wall s; ratios of the same round):"
rfmt='%-7s %10s %10s %11s %12s %16s\n'
printf "$rfmt" round "cp+sync" "restic" "followup" "followup/cp" "followup/restic"
printf "$rfmt" ------- ---------- ---------- ----------- ------------ ----------------
R_CP=() R_RE=()
for ((r = 1; r <= RUNS; r++)); do
  rc=$(ratio "${RW[followup:$r]}" "${RW[cp:$r]}")
  rr=$(ratio "${RW[followup:$r]}" "${RW[restic:$r]}")
  R_CP+=("$rc") R_RE+=("$rr")
  printf "$rfmt" "$r" "${RW[cp:$r]}" "${RW[restic:$r]}" "${RW[followup:$r]}" "$rc" "$rr"
done
printf "$rfmt" ------- ---------- ---------- ----------- ------------ ----------------
printf "$rfmt" median "$CP_WALL" "$RESTIC_WALL" "$FU_WALL" "$(ratio "$FU_WALL" "$CP_WALL")" "$(ratio "$FU_WALL" "$RESTIC_WALL")"
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
  printf '%-48s %9s %9s  %s\n' "$name" "$value" "$target" "$verdict"
done
echo
echo "raw rows: $WORK/results.tsv  checks: $WORK/checks.tsv  logs: $LOGS/"

if [[ "${BENCH_CLEANUP:-0}" == 1 ]]; then
  rm -rf "${STORE:?}" "$WORK/restic-repo" "$WORK/restic-cache"
fi
