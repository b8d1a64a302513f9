# shellcheck shell=bash
# bench/lib.sh -- helpers shared by bench/ingest.sh, bench/sync.sh and bench/export.sh.
# Sourced, not run, after the script has set BENCH_DIR (this folder); sets ROOT, the
# project root. The functions below use the script's globals WORK, LOGS, RUNS and, for
# run_row and medians, the arrays S_TOOL and S_OP; die uses BENCH_NAME, set by bench_args.

ROOT=$(dirname "$BENCH_DIR")

# die MESSAGE... : print "NAME: MESSAGE" on stderr and exit 1.
die() { echo "$BENCH_NAME: $*" >&2; exit 1; }

# log MESSAGE... : a progress message with the time, on stderr.
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# on_exit FUNC : run FUNC when the script ends, also on an error, Ctrl-C or TERM (exit
# status 130 and 143 for the signals).
on_exit() {
  # shellcheck disable=SC2064  # FUNC is the handler's name, expanded now on purpose
  trap "$1" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

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

# bench_env DEFAULT_RUNS [PORTVAR...] : SCALE, SEED and RUNS from BENCH_SCALE, BENCH_SEED
# (default 42) and BENCH_RUNS (default DEFAULT_RUNS); dies on a bad seed or run count, or
# when a variable PORTVAR is set to something else than a port number.
bench_env() {
  local v
  SCALE=$(awk -v s="${BENCH_SCALE:-1}" 'BEGIN { printf "%g", s }')
  SEED=${BENCH_SEED:-42}
  [[ "$SEED" =~ ^[0-9]+$ ]] || die "BENCH_SEED must be an integer"
  RUNS=${BENCH_RUNS:-$1}
  [[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"
  for v in "${@:2}"; do
    [[ -z "${!v:-}" || "${!v}" =~ ^[1-9][0-9]{0,4}$ ]] || die "$v must be a port number, got '${!v}'"
  done
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
    # As `make build` builds it: the Swift runtime and Foundation linked in.
    log "building: swift build -c release --product followup --static-swift-stdlib (in $ROOT)"
    (cd "$ROOT" && swift build -c release --product followup --static-swift-stdlib) >&2
    FU="$(cd "$ROOT" && swift build -c release --static-swift-stdlib --show-bin-path)/followup"
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

# borg_env : borg's repo (WORKDIR/borg-repo, unencrypted) and its cache, config and keys
# under WORKDIR/borg-base, whatever the caller set; no questions about unencrypted or moved
# repos.
borg_env() {
  unset BORG_PASSPHRASE BORG_PASSCOMMAND BORG_PASSPHRASE_FD BORG_CACHE_DIR BORG_CONFIG_DIR \
    BORG_KEYS_DIR BORG_SECURITY_DIR
  export BORG_REPO=$WORK/borg-repo BORG_BASE_DIR=$WORK/borg-base
  export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
}

# borg_fresh NAME : delete BORG_REPO and BORG_BASE_DIR (see borg_env), then an untimed
# `borg init --encryption=none` (logs/NAME.out/.err).
borg_fresh() {
  rm -rf "${BORG_REPO:?}" "${BORG_BASE_DIR:?}"
  untimed "$1" borg init --encryption=none "$BORG_REPO"
}

# borg_create NAME DIR [ARCHIVE] : `borg create --compression none BORG_REPO::ARCHIVE
# BASENAME` (ARCHIVE defaults to a), run in DIR's parent, so that the archive holds
# BASENAME/... as `tar -C PARENT BASENAME` would; timed (NAME.time) unless UNTIMED=1.
borg_create() {
  local how=timed
  [[ "${UNTIMED:-0}" == 1 ]] && how=untimed
  $how "$1" env -C "$(dirname "$2")" borg create --compression none "$BORG_REPO::${3:-a}" "$(basename "$2")"
}

# cache_policy : DROP_CACHES from BENCH_DROP_CACHES (default 0). 1 is kept only as root
# with a writable /proc/sys/vm/drop_caches; otherwise a message, and 0 (warm cache).
cache_policy() {
  DROP_CACHES=${BENCH_DROP_CACHES:-0}
  if [[ "$DROP_CACHES" == 1 ]] && ! { [[ $(id -u) -eq 0 ]] && sync && echo 3 2>/dev/null >/proc/sys/vm/drop_caches; }; then
    log "BENCH_DROP_CACHES=1 needs root and a writable /proc/sys/vm/drop_caches: the page cache stays warm"
    DROP_CACHES=0
  fi
}

# settle : flush dirty pages before a timed step; with DROP_CACHES=1 (see cache_policy)
# also drop the page cache, so that the step reads from disk; otherwise read the folders
# in WARM (an array the script sets) back into it (see warm_cache).
settle() {
  sync
  if [[ "$DROP_CACHES" == 1 ]]; then
    echo 3 >/proc/sys/vm/drop_caches || die "could not drop the page cache (BENCH_DROP_CACHES=1)"
  elif ((${#WARM[@]})); then
    warm_cache "${WARM[@]}"
  fi
}

# warm_cache DIR... : reads every file under each DIR, so that it is in the page cache.
# `borg create` drops the files it reads from the page cache (posix_fadvise DONTNEED):
# without this, the step after it read the dataset from the disk while every other
# tool read it from memory (followup's push took 1.18 s instead of 0.83 s after it).
warm_cache() {
  local dir
  for dir in "$@"; do find "$dir" -type f -exec cat {} + >/dev/null; done
}
WARM=()

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

# --- the followup server (sync.sh, export.sh) ----------------------------------------------
# followup_env : find_followup (FU); then drop the calling shell's FOLLOWUP_* variables
# (server, token, config, chunking, ...), so that only the project's configuration counts
# (servers and tokens are passed as flags), set CFG to `--config
# ROOT/config/followup.yaml` when that file exists, and XDG_CACHE_HOME to WORK/xdg-cache.
followup_env() {
  local v
  find_followup
  while read -r v; do unset "$v"; done < <(compgen -e | grep '^FOLLOWUP_' || true)
  CFG=()
  if [[ -f "$ROOT/config/followup.yaml" ]]; then CFG=(--config "$ROOT/config/followup.yaml"); fi
  # followup push remembers the files it hashed (its push cache) under XDG_CACHE_HOME:
  # one folder per WORKDIR, emptied with every fresh server (start_server), so that a
  # first push always reads and hashes everything and the pushes after it in the same
  # round may skip what they did not change, as borg does with its files cache.
  export XDG_CACHE_HOME="$WORK/xdg-cache"
}

# free_port : a TCP port of 127.0.0.1 that is free now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# stop_pid PID : stop a background process this script started (nothing when PID is empty
# or gone).
stop_pid() {
  if [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; then
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}

# start_server TAG : a fresh storage SERVER (admin init), `followup serve` on 127.0.0.1
# (port BENCH_PORT, or a free one) until GET /healthz answers, then the client CLIENT, a
# staff and a client token and the project CLIENT/PROJECT, all untimed. Log names end in
# .TAG (fu-admin-init.TAG.out, serve.TAG.err, ...; no suffix when TAG is empty). Uses FU
# and CFG; sets SERVER_PID, URL, ADMIN_TOKEN, STAFF_TOKEN and CLIENT_TOKEN.
start_server() {
  local t=${1:+.$1} port i
  rm -rf "${SERVER:?}" "${XDG_CACHE_HOME:?}"
  untimed "fu-admin-init$t" "$FU" admin init "${CFG[@]}" --storage "$SERVER" --json
  ADMIN_TOKEN=$(json_get "$LOGS/fu-admin-init$t.out" token)
  [[ -n "$ADMIN_TOKEN" ]] || die "no admin token in $LOGS/fu-admin-init$t.out"
  port=${BENCH_PORT:-$(free_port)}
  URL=http://127.0.0.1:$port
  log "starting followup serve on $URL"
  "$FU" serve "${CFG[@]}" --storage "$SERVER" --host 127.0.0.1 --port "$port" \
    >"$LOGS/serve$t.out" 2>"$LOGS/serve$t.err" &
  SERVER_PID=$!
  for ((i = 0; i < 300; i++)); do  # up to ~30 s
    kill -0 "$SERVER_PID" 2>/dev/null \
      || { tail -n 20 "$LOGS/serve$t.err" >&2; die "followup serve exited (port $port busy?): see $LOGS/serve$t.err"; }
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
      "$URL/healthz" 2>/dev/null && break
    sleep 0.1
  done
  ((i < 300)) || die "followup serve (pid $SERVER_PID) not answering on $URL/healthz"
  untimed "fu-client-add$t" "$FU" admin client add "$CLIENT" --name Bench \
    --server "$URL" --token "$ADMIN_TOKEN" --json
  untimed "fu-token-staff$t" "$FU" admin token create --name staff --role staff \
    "${CFG[@]}" --storage "$SERVER" --json
  STAFF_TOKEN=$(json_get "$LOGS/fu-token-staff$t.out" token)
  untimed "fu-token-client$t" "$FU" admin token create --name "$CLIENT" --role client --client "$CLIENT" \
    "${CFG[@]}" --storage "$SERVER" --json
  CLIENT_TOKEN=$(json_get "$LOGS/fu-token-client$t.out" token)
  [[ -n "$STAFF_TOKEN" && -n "$CLIENT_TOKEN" ]] || die "token create printed no token (see $LOGS/fu-token-*$t.out)"
  untimed "fu-project-create$t" "$FU" project create "$CLIENT/$PROJECT" --title Data \
    --server "$URL" --token "$STAFF_TOKEN" --json
}

# server_hwm : the server's peak RSS so far (VmHWM of SERVER_PID, decimal MB), or n/a.
server_hwm() {
  local hwm=""
  if [[ -n "$SERVER_PID" && -r /proc/$SERVER_PID/status ]]; then
    hwm=$(awk '/^VmHWM:/ { printf "%.1f", $2 * 1024 / 1e6 }' "/proc/$SERVER_PID/status")
  fi
  echo "${hwm:-n/a}"
}

# stop_server RUN OPERATION : HWM_MB = the server's peak RSS (server_hwm), also written to
# results.tsv as the row "followup OPERATION RUN"; then the server is stopped.
stop_server() {
  HWM_MB=$(server_hwm)
  stop_pid "$SERVER_PID"
  SERVER_PID=""
  tsv followup "$2" "$1" "" "$HWM_MB" "" "" "" "read from /proc before stopping the server"
}

# same_tree DIR COPY OUT : "same" when `diff -r` (contents, names, empty directories)
# finds COPY equal to DIR, else "DIFFERENT" and a warning; the differences go to OUT.
same_tree() {
  if diff -r -q "$1" "$2" >"$3" 2>&1; then echo same
  else log "warning: $2 differs from $1: $3"; echo DIFFERENT; fi
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

# medians STEP... : per step, "median min max" of the rounds' wall (MW MWMIN MWMAX), max RSS
# (MR MRMIN MRMAX) and bytes (MB MBMIN MBMAX), and a `median` row in results.tsv.
# shellcheck disable=SC2034  # MW ... MBMAX are read by the script and by pair
medians() {
  declare -gA MW MWMIN MWMAX MR MRMIN MRMAX MB MBMIN MBMAX
  local s med lo hi usr sys
  for s in "$@"; do
    read -r med lo hi < <(step_stats RW "$s" 2); MW[$s]=$med MWMIN[$s]=$lo MWMAX[$s]=$hi
    read -r med lo hi < <(step_stats RR "$s" 1); MR[$s]=$med MRMIN[$s]=$lo MRMAX[$s]=$hi
    read -r med lo hi < <(step_stats RB "$s" 0); MB[$s]=$med MBMIN[$s]=$lo MBMAX[$s]=$hi
    read -r usr _ _ < <(step_stats RU "$s" 2)
    read -r sys _ _ < <(step_stats RS "$s" 2)
    tsv "${S_TOOL[$s]}" "${S_OP[$s]}" median "${MW[$s]}" "${MR[$s]}" "$usr" "$sys" "${MB[$s]}" \
      "median of $RUNS runs; wall_s min=${MWMIN[$s]} max=${MWMAX[$s]}; max_rss_mb min=${MRMIN[$s]} max=${MRMAX[$s]}; bytes min=${MBMIN[$s]} max=${MBMAX[$s]}"
  done
}

# symbol OP : the sign of a check's operator (le, ge, lt).
symbol() { case $1 in le) echo "≤" ;; ge) echo "≥" ;; lt) echo "<" ;; *) echo "" ;; esac; }

# add_check NAME VALUE OP TARGET : a row of CHECKS (see write_checks); sets VERDICT.
add_check() {
  VERDICT=$(verdict "$2" "$3" "$4")
  CHECKS+=("$(printf '%s\t%s\t%s %s\t%s' "$1" "$2" "$(symbol "$3")" "$4" "$VERDICT")")
}

# range MED MIN MAX : "MED (MIN–MAX)"; "MED" when all three are equal; n/a.
range() {
  if [[ "$1" == n/a ]]; then echo n/a
  elif awk -v a="${1//,/}" -v b="${2//,/}" -v c="${3//,/}" 'BEGIN { exit !(a == b && b == c) }'; then echo "$1"
  else echo "$1 ($2–$3)"; fi
}

# round_ratios ARRAYNAME FU PEER : "min max" of the per-round ratios FU ÷ PEER.
round_ratios() {
  local -n a=$1
  local r ratios=() _m lo hi
  for ((r = 1; r <= RUNS; r++)); do ratios+=("$(ratio "${a[$2:$r]:-n/a}" "${a[$3:$r]:-n/a}")"); done
  read -r _m lo hi < <(stats 3 "${ratios[@]}")
  echo "$lo $hi"
}

# summary_header / summary FIELD... : WORKDIR/summary.tsv, the rows of the report's tables.
summary_header() {
  printf 'table\tstep\tpeer\tfollowup\tfollowup_min\tfollowup_max\tpeer_value\tpeer_min\tpeer_max\tratio\tratio_min\tratio_max\tgoal\tverdict\n' >"$WORK/summary.tsv"
}
summary() { local IFS=$'\t'; echo "$*" >>"$WORK/summary.tsv"; }

# pair TABLE LABEL PEER_NAME FU PEER [CHECK OP TARGET [VALUE [GOAL]]] : compares two steps
# (after medians) in TABLE = wall, bytes or rss: the median ratio FU ÷ PEER and the range
# of the per-round ratios. With CHECK, adds that check of VALUE (default: the ratio)
# against OP TARGET, shown as GOAL (default "OP TARGET"). Writes the summary.tsv row and
# sets PAIR_MD = "followup | peer | ratio | goal | verdict", cells of a Markdown row.
# shellcheck disable=SC2034  # PAIR_MD is read by the script
pair() {
  local table=$1 label=$2 peer_name=$3 fu=$4 peer=$5 x
  case $table in wall) x=W ;; bytes) x=B ;; rss) x=R ;; *) die "pair: unknown table $table" ;; esac
  local -n med=M$x lo=M${x}MIN hi=M${x}MAX
  local rt rlo rhi goal="—" v="" fmt=echo
  rt=$(ratio "${med[$fu]}" "${med[$peer]}")
  read -r rlo rhi < <(round_ratios "R$x" "$fu" "$peer")
  if (($# >= 8)); then
    goal=${10:-"$(symbol "$7") $8"}
    add_check "$6" "${9:-$rt}" "$7" "$8"
    v=$VERDICT
  fi
  summary "$table" "$label" "$peer_name" "${med[$fu]}" "${lo[$fu]}" "${hi[$fu]}" \
    "${med[$peer]}" "${lo[$peer]}" "${hi[$peer]}" "$rt" "$rlo" "$rhi" "$goal" "$v"
  [[ $table == bytes ]] && fmt=commas
  PAIR_MD="$(range "$($fmt "${med[$fu]}")" "$($fmt "${lo[$fu]}")" "$($fmt "${hi[$fu]}")") | $(range "$($fmt "${med[$peer]}")" "$($fmt "${lo[$peer]}")" "$($fmt "${hi[$peer]}")") | $(range "$rt" "$rlo" "$rhi") | $goal | $v"
}

# write_checks : the CHECKS rows (tab-separated) into WORKDIR/checks.tsv, with a header.
write_checks() {
  {
    printf 'check\tvalue\ttarget\tverdict\n'
    printf '%s\n' "${CHECKS[@]}"
  } >"$WORK/checks.tsv"
}

# write_results_json : WORKDIR/results.json, one object with the keys env (env.txt's
# "key: value" lines), runs and medians (results.tsv), summary (summary.tsv, when the
# script writes one) and checks (checks.tsv).
write_results_json() {
  python3 - "$WORK" <<'PY'
import csv, json, os, sys
work = sys.argv[1]
def rows(name):
    with open(os.path.join(work, name), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
def num(v):
    try:
        f = float(v)
        return int(f) if f.is_integer() and "." not in v else f
    except (TypeError, ValueError):
        return None if v in ("", "n/a") else v
def clean(r):
    return {k: (v if k in ("tool", "operation", "note", "step", "peer", "table", "goal", "verdict", "check", "target") else num(v))
            for k, v in r.items()}
results = [clean(r) for r in rows("results.tsv")]
env = {}
with open(os.path.join(work, "env.txt"), encoding="utf-8") as f:
    for line in f:
        k, _, v = line.partition(":")
        env[k.strip()] = v.strip()
out = {
    "env": env,
    "runs": [r for r in results if r["run"] != "median"],
    "medians": [r for r in results if r["run"] == "median"],
}
if os.path.exists(os.path.join(work, "summary.tsv")):
    out["summary"] = [clean(r) for r in rows("summary.tsv")]
out["checks"] = [clean(r) for r in rows("checks.tsv")]
with open(os.path.join(work, "results.json"), "w", encoding="utf-8") as f:
    json.dump(out, f, indent=2, ensure_ascii=False)
    f.write("\n")
PY
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
