# shellcheck shell=bash
# bench/lib.sh -- helpers shared by bench/ingest.sh and bench/sync.sh. Sourced, not run,
# after the script has set BENCH_DIR (this folder); sets ROOT, the project root. The
# functions below use the script's globals WORK, LOGS, RUNS and, for run_row, the arrays
# S_TOOL and S_OP; die uses BENCH_NAME, set by bench_args.

ROOT=$(dirname "$BENCH_DIR")

# die MESSAGE... : print "NAME: MESSAGE" on stderr and exit 1.
die() { echo "$BENCH_NAME: $*" >&2; exit 1; }

# log MESSAGE... : a progress message with the time, on stderr.
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# bench_args NAME DEFAULT_WORKDIR ARG... : set BENCH_NAME (the script's name in messages);
# -h/--help prints the calling script's header comment (line 2 up to `set -euo pipefail`)
# and exits 0; more than one argument exits 2.
bench_args() {
  BENCH_NAME=$1
  local default=$2
  shift 2
  case "${1:-}" in -h | --help)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[-1]}" | sed '$d; s/^# \{0,1\}//'
    exit 0 ;;
  esac
  (($# <= 1)) || { echo "usage: $0 [WORKDIR]   (default: $default)" >&2; exit 2; }
}

# set_workdir DIR HINT [REFUSED...] : create DIR, set WORK to its real path and LOGS to
# WORK/logs. /, the project root, bench/, $HOME and every REFUSED path are refused with
# "(use a dedicated directory HINT)".
set_workdir() {
  local dir=$1 hint=$2 p
  shift 2
  mkdir -p "$dir"
  WORK=$(realpath -e "$dir")
  for p in / "$ROOT" "$BENCH_DIR" "${HOME:-/}" "$@"; do
    [[ "$WORK" != "$p" ]] || die "refusing WORKDIR $WORK (use a dedicated directory$hint)"
  done
  LOGS=$WORK/logs
}

# bench_env DEFAULT_RUNS : SCALE, SEED and RUNS from BENCH_SCALE, BENCH_SEED (default 42)
# and BENCH_RUNS (default DEFAULT_RUNS); dies on a bad seed or run count.
bench_env() {
  SCALE=$(awk -v s="${BENCH_SCALE:-1}" 'BEGIN { printf "%g", s }')
  SEED=${BENCH_SEED:-42}
  [[ "$SEED" =~ ^[0-9]+$ ]] || die "BENCH_SEED must be an integer"
  RUNS=${BENCH_RUNS:-$1}
  [[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"
}

# install_missing COMMAND[=PACKAGE]... : apt-get install the packages of the commands that
# are missing, and `time` when /usr/bin/time is; one apt-get update first, and only then;
# through sudo when not root.
install_missing() {
  local need=() c sudo=""
  for c in "$@"; do
    command -v "${c%%=*}" >/dev/null || need+=("${c#*=}")
  done
  [[ -x /usr/bin/time ]] || need+=(time)
  ((${#need[@]})) || return 0
  if [[ $(id -u) -ne 0 ]]; then command -v sudo >/dev/null || die "missing ${need[*]} and no sudo"; sudo=sudo; fi
  log "installing: ${need[*]}"
  $sudo apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${need[@]}" >&2
}

# find_followup : set FU to FOLLOWUP_BIN, or else build the release binary in ROOT.
find_followup() {
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
}

# dataset DIR STAMP : DIR holds the gen.py tree of SEED and SCALE, (re)generated when
# absent or when STAMP records other parameters; a DIR without STAMP is the user's and is
# used as it is. Then reads it once; sets DATA_FILES and DATA_BYTES.
dataset() {
  local dir=$1 stamp=$2 want="gen.py seed=$SEED scale=$SCALE"
  if [[ -d "$dir" && ! -f "$stamp" ]]; then
    log "using existing $dir as is (no ${stamp##*/}: not made by this script)"
  elif [[ -d "$dir" && "$(cat "$stamp")" == "$want" ]]; then
    log "reusing dataset $dir ($want)"
  else
    rm -rf "${dir:?}"
    echo "incomplete" >"$stamp"
    log "generating dataset: $want -> $dir"
    python3 "$BENCH_DIR/gen.py" "$dir" --seed "$SEED" --scale "$SCALE" >"$LOGS/gen.out"
    echo "$want" >"$stamp"
  fi
  DATA_FILES=$(find "$dir" -type f | wc -l)
  DATA_BYTES=$(tree_bytes "$dir")
  ((DATA_FILES > 0)) || die "$dir holds no files"
  # Read the whole dataset once, so every tool starts with the same (warm) page cache.
  log "warming the page cache: reading $DATA_FILES files, $DATA_BYTES bytes"
  find "$dir" -type f -exec cat {} + >/dev/null
}

# machine : the date, host, CPU, memory and WORKDIR's file system (lines of env.txt).
machine() {
  echo "date: $(date -u +%FT%TZ)  host: $(uname -srm)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs) x $(nproc)"
  echo "mem: $(free -m | awk '/^Mem:/ { print $2 " MiB" }')  fs(WORKDIR): $(df -T "$WORK" | awk 'NR == 2 { print $2 }')"
}

# restic_env : restic's password and WORKDIR's repo and cache, whatever the caller set.
restic_env() {
  unset RESTIC_PASSWORD_FILE RESTIC_PASSWORD_COMMAND
  export RESTIC_PASSWORD=bench
  export RESTIC_REPOSITORY=$WORK/restic-repo RESTIC_CACHE_DIR=$WORK/restic-cache
}

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

# tsv_header : start WORKDIR/results.tsv with its column names.
tsv_header() { printf 'tool\toperation\trun\twall_s\tmax_rss_mb\tuser_s\tsys_s\tbytes\tnote\n' >"$WORK/results.tsv"; }

# tsv FIELD... : append a row to WORKDIR/results.tsv.
tsv() { local IFS=$'\t'; echo "$*" >>"$WORK/results.tsv"; }

# run_row STEP ROUND BYTES NOTE : one row per individual run (figures of the last timed
# step), kept in RW RR RU RS RB[STEP:ROUND] and written to results.tsv.
# shellcheck disable=SC2004,SC2034  # associative arrays, declared and read by the script
run_row() {
  local k=$1:$2
  RW[$k]=$WALL RR[$k]=$RSS_MB RU[$k]=$USR RS[$k]=$SYS RB[$k]=${3:-n/a}
  tsv "${S_TOOL[$1]}" "${S_OP[$1]}" "$2" "$WALL" "$RSS_MB" "$USR" "$SYS" "${3:-}" "$4"
}

# per_run ARRAYNAME STEP : the values of that step, round 1..RUNS, one per line.
per_run() {
  local -n arr=$1
  local r
  for ((r = 1; r <= RUNS; r++)); do echo "${arr[$2:$r]:-n/a}"; done
}

# stats DECIMALS VALUE... : "median min max" of the values ("n/a" ones are ignored; all
# three are n/a when nothing is left). Median: the middle value of the sorted list, or the
# mean of the two middle values for an even count. The median is printed with DECIMALS
# decimals, plus one for an even count (the mean of two values may end in 5).
stats() {
  local dec=$1
  shift
  printf '%s\n' "$@" | awk '$1 != "n/a" && $1 != "" { print }' | sort -g \
    | awk -v dec="$dec" '{ v[NR] = $1 } END {
        if (NR == 0) { print "n/a n/a n/a"; exit }
        if (NR % 2) m = v[(NR + 1) / 2]; else { m = (v[NR / 2] + v[NR / 2 + 1]) / 2; if (dec > 0) dec++ }
        printf "%." dec "f %s %s\n", m, v[1], v[NR] }'
}

# step_stats ARRAYNAME STEP DECIMALS : "median min max" of a step's per-round values.
step_stats() {
  local vals
  mapfile -t vals < <(per_run "$1" "$2")
  stats "$3" "${vals[@]}"
}

# calc EXPR : awk arithmetic on shell-substituted numbers; "n/a" if any operand is n/a.
calc() { [[ "$1" == *n/a* ]] && { echo n/a; return; }; awk "BEGIN { printf \"%.3f\", $1 }"; }

# ratio A B : A / B with 3 decimals; n/a when either is n/a or B <= 0.
ratio() { if [[ "$1" == n/a || "$2" == n/a ]] || awk -v d="$2" 'BEGIN { exit !(d <= 0) }'; then echo n/a; else calc "$1 / $2"; fi; }

# verdict VALUE OP TARGET : PASS, FAIL or n/a (OP: le, ge, lt).
verdict() {
  [[ "$1" == n/a || -z "$3" ]] && { echo n/a; return; }
  awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {
    ok = (op == "le") ? v <= t : (op == "ge") ? v >= t : v < t
    print ok ? "PASS" : "FAIL" }'
}

# write_checks : the CHECKS rows (tab-separated) into WORKDIR/checks.tsv, with a header.
write_checks() {
  {
    printf 'check\tvalue\ttarget\tverdict\n'
    printf '%s\n' "${CHECKS[@]}"
  } >"$WORK/checks.tsv"
}

# commas NUMBER : thousands separators ("1234567" -> "1,234,567"), also inside a text.
commas() { sed ':a; s/\([0-9]\)\([0-9]\{3\}\)\($\|[^0-9]\)/\1,\2\3/; ta' <<<"$1"; }

# dir_bytes PATH : disk usage of PATH in bytes (du -sb); 0 when it does not exist.
dir_bytes() { if [[ -e "$1" ]]; then du -sb "$1" | cut -f1; else echo 0; fi; }

# tree_bytes DIR : the sum of the sizes of the files under DIR.
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

# json_note LOGNAME KEY... : "key=value ..." from the JSON a step printed (n/a if absent).
json_note() {
  local f=$LOGS/$1.out k v out=""
  shift
  for k in "$@"; do
    v=$(json_get "$f" "$k")
    out+="$k=${v:-n/a} "
  done
  echo "${out% }"
}
