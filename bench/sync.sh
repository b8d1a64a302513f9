#!/usr/bin/env bash
# bench/sync.sh [WORKDIR] -- benchmark of `followup push` and `followup pull` against
# restic and borg (push) and an rsync daemon on 127.0.0.1 (pull), in the same run.
#
# The bench/gen.py dataset is generated once into WORKDIR/pristine. Each of BENCH_RUNS
# rounds then works on a fresh copy of it, WORKDIR/data (`cp -a`, untimed): the staff
# folder that `followup push` uploads and that the rsync daemon serves as module `data`.
# One round, every timed step right after a `sync` (peer first, then followup):
#   1. cp -r data + sync into WORKDIR/cp-copy (the disk's limit), restic backup of data into a fresh repo with RESTIC_COMPRESSION=off, then into
#      another fresh repo with restic's default compression (`restic init` untimed; this
#      second repo is the one of steps 4 and 5), borg create --compression none into a
#      fresh unencrypted repo (`borg init` untimed),
#      followup push of data into a fresh server (storage, client, tokens, project untimed)
#   2. initial pull into empty folders: rsync -a --delete --stats rsync://.../data/ vs
#      followup pull --client bench; then both trees are compared with data (diff -r);
#      then rsync again into a third empty folder, followed by `sync`, timed together:
#      what rsync takes to leave the files on disk, as a followup pull does (informative
#      row, no goal)
#   3. no-op pull: the same two commands again, nothing changed
#   4. bench/mutate.py on data (untimed); restic backup (same repo), borg create (same
#      repo, archive m) and followup push again; rsync and followup pull again; trees compared
#   5. bench/rename.py on data (untimed); restic backup, borg create (archive n) and
#      followup push again; rsync and followup pull again; trees compared
# then prints Markdown tables (median (min-max) wall time, bytes and peak RSS per step,
# ratios followup/peer and the issue's goals with PASS/FAIL). Ratios are median ÷ median;
# the range after them is the per-round ratios'. Exit status is 0 even when a goal is
# missed; 1 when a pulled tree differs from data (after printing the report); other
# non-zero values when a command itself fails.
#
# Every timed step runs under /usr/bin/time -f '%e %M %U %S' (client process only: the
# followup server's peak RSS is read from /proc at the end of each round). Logs:
# WORKDIR/logs/, one row per run plus medians: WORKDIR/results.tsv, the tables' rows:
# WORKDIR/summary.tsv, checks: WORKDIR/checks.tsv, all of it: WORKDIR/results.json,
# machine: WORKDIR/env.txt. Only known subpaths of WORKDIR are deleted.
#
# Environment:
#   FOLLOWUP_BIN      use this binary instead of `swift build -c release --product followup`
#   BENCH_RUNS        rounds (default 3)
#   BENCH_SCALE       gen.py --scale (default 1)     BENCH_SEED  gen.py --seed (default 42)
#   BENCH_PORT        followup server port (default: a free port, new each round)
#   BENCH_RSYNC_PORT  rsync daemon port (default: a free port)
#   BENCH_DROP_CACHES 1: also drop the page cache before every timed step (root only)
#   BENCH_CLEANUP     1: delete the copies, pulls, server storage, restic and borg repos at the end
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$BENCH_DIR/lib.sh"  # sets ROOT, the project root

bench_args sync.sh "<project root>/bench-work/sync" "$@"
set_workdir "${1:-$ROOT/bench-work/sync}" "; $ROOT/bench-work and $ROOT/bench-work/export belong to ingest.sh and export.sh" \
  "$ROOT/bench-work" "$ROOT/bench-work/export"

bench_env 3 BENCH_PORT BENCH_RSYNC_PORT  # also checks the port variables
cache_policy  # DROP_CACHES, for settle

PRISTINE=$WORK/pristine
STAMP=$WORK/pristine.stamp
DATA=$WORK/data
WARM=("$DATA")  # read back into the page cache before each timed step (see warm_cache)
SERVER=$WORK/server
PULL_FU=$WORK/pull-fu
PULL_RS=$WORK/pull-rsync
PULL_RS_SYNC=$WORK/pull-rsync-sync  # rsync again, then sync: durable on disk as a followup pull is
CP_COPY=$WORK/cp-copy   # cp -r + sync writes here (removed with the round's other trees)
PROJECT=data          # followup pull writes the project into PULL_FU/$PROJECT
CLIENT=bench

# --- background processes: started by this script, stopped by their PID (stop_pid) -------
SERVER_PID="" RSYNCD_PID=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() { stop_pid "$SERVER_PID"; SERVER_PID=""; stop_pid "$RSYNCD_PID"; RSYNCD_PID=""; }
on_exit cleanup

# --- tools (installed with apt-get when missing) and the followup binary ------------------
install_missing python3 rsync restic diff=diffutils borg=borgbackup
followup_env  # FU (FOLLOWUP_BIN or a build); drops FOLLOWUP_* of the calling shell; CFG
# A binary without `pull` (still being written) runs everything else; its pull rows are n/a.
HAVE_PULL=0
[[ "$("$FU" pull --help 2>/dev/null || true)" == *"USAGE: followup pull"* ]] && HAVE_PULL=1

# --- fresh per-run state (known subpaths of WORKDIR only) ------------------------------
rm -rf "${LOGS:?}" "${DATA:?}" "${SERVER:?}" "${PULL_FU:?}" "${PULL_RS:?}" "${PULL_RS_SYNC:?}" "${CP_COPY:?}" \
       "$WORK/restic-repo" "$WORK/restic-cache" "$WORK/borg-repo" "$WORK/borg-base" "$WORK/rsyncd.conf" \
       "$WORK/results.tsv" "$WORK/results.json" "$WORK/summary.tsv" "$WORK/checks.tsv" "$WORK/env.txt"
mkdir -p "$LOGS"

# --- dataset: WORKDIR/pristine, (re)generated when absent or made with other parameters --
# WORKDIR/pristine.stamp records the gen.py parameters; no stamp = a tree the user put
# there (it must look like a gen.py tree for mutate.py and rename.py).
dataset "$PRISTINE" "$STAMP"

# --- helpers (more in lib.sh: settle, start_server, pair, ...) ---------------------------
# rsync_stat LOGNAME LABEL : a number from rsync --stats ("Total bytes received: 1,234")
rsync_stat() { sed -n "s/^$2: *\([0-9,.]*\).*/\1/p" "$LOGS/$1.out" | tr -dc '0-9'; }

# --- steps: per-run figures keyed "STEP:ROUND" ------------------------------------------
declare -A S_TOOL=(
  [cp-sync]=cp [restic-backup]=restic [restic-off]=restic [borg-create]=borg [fu-push]=followup
  [borg-mutate]=borg [borg-rename]=borg
  [rsync-pull]=rsync [fu-pull]=followup [rsync-pull-sync]=rsync
  [rsync-noop]=rsync [fu-noop]=followup
  [restic-mutate]=restic [fu-push-mutate]=followup
  [rsync-mutate]=rsync [fu-mutate]=followup
  [restic-rename]=restic [fu-push-rename]=followup
  [rsync-rename]=rsync [fu-rename]=followup)
declare -A S_OP=(
  [cp-sync]="cp -r + sync (fresh copy)" [borg-mutate]="create after mutate.py (same repo)"
  [borg-rename]="create after rename.py (same repo)"
  [restic-backup]="backup (fresh repo)" [restic-off]="backup, RESTIC_COMPRESSION=off (fresh repo)"
  [borg-create]="create --compression none (fresh repo)" [fu-push]="push (fresh server)"
  [rsync-pull]="daemon pull, initial" [fu-pull]="pull, initial" [rsync-pull-sync]="daemon pull, initial, then sync"
  [rsync-noop]="daemon pull, no-op" [fu-noop]="pull, no-op"
  [restic-mutate]="backup after mutate.py" [fu-push-mutate]="push after mutate.py"
  [rsync-mutate]="daemon pull after mutate.py" [fu-mutate]="pull after mutate.py"
  [restic-rename]="backup after rename.py" [fu-push-rename]="push after rename.py"
  [rsync-rename]="daemon pull after rename.py" [fu-rename]="pull after rename.py")
STEP_ORDER=(cp-sync restic-backup restic-off borg-create fu-push rsync-pull fu-pull rsync-pull-sync rsync-noop fu-noop restic-mutate
            borg-mutate fu-push-mutate rsync-mutate fu-mutate restic-rename borg-rename fu-push-rename rsync-rename fu-rename)
declare -A RW RR RU RS RB TREE SERVER_HWM
HWM_OP="server peak RSS over the round (VmHWM)"

tsv_header

# skip_row STEP ROUND WHY : a step that could not run (followup without `pull`)
# shellcheck disable=SC2034  # RW ... RB are read through namerefs (per_run, round_ratios)
skip_row() {
  local k=$1:$2
  RW[$k]=n/a RR[$k]=n/a RU[$k]=n/a RS[$k]=n/a RB[$k]=n/a
  tsv "${S_TOOL[$1]}" "${S_OP[$1]}" "$2" n/a n/a n/a n/a "" "$3"
}

# --- step bodies ------------------------------------------------------------------------
restic_env
borg_env
unset ALLOW_FAIL  # every timed step must succeed here (see timed in lib.sh)

restic_step() {  # restic_step STEP ROUND : restic backup of data; bytes = repo growth
  local before
  before=$(dir_bytes "$RESTIC_REPOSITORY")
  settle
  timed "$1.r$2" restic backup "$DATA"
  run_row "$1" "$2" "$(($(dir_bytes "$RESTIC_REPOSITORY") - before))" \
    "bytes = repo growth (compression ${RESTIC_COMPRESSION:-auto})"
}

borg_step() {  # borg_step STEP ROUND ARCHIVE : borg create of data into the round's repo; bytes = repo growth
  local before
  before=$(dir_bytes "$BORG_REPO")
  settle
  borg_create "$1.r$2" "$DATA" "$3"
  run_row "$1" "$2" "$(($(dir_bytes "$BORG_REPO") - before))" "bytes = repo growth (compression none)"
}

push_step() {  # push_step STEP ROUND : followup push of data; bytes = uploaded_bytes
  settle
  timed "$1.r$2" "$FU" push "$DATA" "$CLIENT/$PROJECT" --server "$URL" --token "$STAFF_TOKEN" --json
  local up
  up=$(json_get "$LOGS/$1.r$2.out" uploaded_bytes)
  [[ -n "$up" ]] || log "warning: no uploaded_bytes in the JSON of $1.r$2"
  run_row "$1" "$2" "${up:-n/a}" \
    "$(json_note "$1.r$2" files written deleted unchanged uploaded_bytes deduplicated_bytes commit)"
}

rsync_step() {  # rsync_step STEP ROUND : rsync daemon pull; bytes = Total bytes received
  settle
  timed "$1.r$2" rsync -a --delete --stats "rsync://127.0.0.1:$RSYNC_PORT/data/" "$PULL_RS/"
  local got sent files
  got=$(rsync_stat "$1.r$2" "Total bytes received")
  sent=$(rsync_stat "$1.r$2" "Total bytes sent")
  files=$(rsync_stat "$1.r$2" "Number of regular files transferred")
  [[ -n "$got" ]] || die "no 'Total bytes received' in $LOGS/$1.r$2.out"
  run_row "$1" "$2" "$got" "received=$got sent=${sent:-n/a} files_transferred=${files:-n/a}"
}

rsync_sync_step() {  # rsync_sync_step STEP ROUND : rsync daemon pull into another empty folder, then sync
  settle
  # shellcheck disable=SC2016  # $1 and $2 are expanded by sh -c
  timed "$1.r$2" sh -c 'rsync -a --delete --stats "$1" "$2" && sync' sh "rsync://127.0.0.1:$RSYNC_PORT/data/" "$PULL_RS_SYNC/"
  local got
  got=$(rsync_stat "$1.r$2" "Total bytes received")
  [[ -n "$got" ]] || die "no 'Total bytes received' in $LOGS/$1.r$2.out"
  run_row "$1" "$2" "$got" "received=$got; then sync"
}

pull_step() {  # pull_step STEP ROUND : followup pull; bytes = fetched_bytes
  if ((!HAVE_PULL)); then skip_row "$1" "$2" "followup pull: not in this binary"; return; fi
  settle
  timed "$1.r$2" "$FU" pull "$PULL_FU" --client "$CLIENT" --server "$URL" --token "$CLIENT_TOKEN" --json
  local got
  got=$(json_get "$LOGS/$1.r$2.out" fetched_bytes)
  [[ -n "$got" ]] || log "warning: no fetched_bytes in the JSON of $1.r$2"
  run_row "$1" "$2" "${got:-n/a}" \
    "$(json_note "$1.r$2" files_written files_deleted fetched_bytes transferred_bytes reused_bytes conflicts cursor)"
}

# trees STAGE ROUND : compare both pulled trees with data (diff -r: contents, names,
# empty directories); results in TREE[rsync|followup:STAGE:ROUND] = same | DIFFERENT | n/a
trees() {
  TREE[rsync:$1:$2]=$(same_tree "$DATA" "$PULL_RS" "$LOGS/diff-rsync-$1.r$2.out")
  if ((!HAVE_PULL)); then TREE[followup:$1:$2]=n/a; return; fi
  TREE[followup:$1:$2]=$(same_tree "$DATA" "$PULL_FU/$PROJECT" "$LOGS/diff-followup-$1.r$2.out")
}

# --- rsync daemon on 127.0.0.1: module `data` = WORKDIR/data, read only, current user --
RSYNC_PORT=${BENCH_RSYNC_PORT:-$(free_port)}
cat >"$WORK/rsyncd.conf" <<EOF
# written by bench/sync.sh
address = 127.0.0.1
port = $RSYNC_PORT
use chroot = no
uid = $(id -u)
gid = $(id -g)
log file = $LOGS/rsyncd.log
[data]
    path = $DATA
    read only = yes
    numeric ids = yes
EOF
mkdir -p "$DATA"  # the module's path must exist when the daemon starts; refilled each round
rsync --daemon --no-detach --config="$WORK/rsyncd.conf" --port="$RSYNC_PORT" \
  >"$LOGS/rsyncd.out" 2>&1 &
RSYNCD_PID=$!
for ((i = 0; i < 100; i++)); do  # up to ~20 s
  kill -0 "$RSYNCD_PID" 2>/dev/null || die "rsync daemon exited (port $RSYNC_PORT busy?): see $LOGS/rsyncd.log"
  rsync --list-only "rsync://127.0.0.1:$RSYNC_PORT/" >/dev/null 2>&1 && break
  sleep 0.2
done
((i < 100)) || die "rsync daemon (pid $RSYNCD_PID) not answering on port $RSYNC_PORT"
log "rsync daemon pid $RSYNCD_PID on 127.0.0.1:$RSYNC_PORT"

case "$DROP_CACHES" in
  1) CACHE_NOTE="dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before every timed step" ;;
  *) CACHE_NOTE="not dropped: every timed step follows a sync, and the round's copy of the dataset is read back into the page cache before it (borg create drops what it reads from the cache), so all tools read from a warm cache" ;;
esac
{
  machine
  echo "followup: $FU  (pull: $( ((HAVE_PULL)) && echo yes || echo 'no: pull rows are n/a'))  config: ${CFG[1]:-built-in defaults}"
  echo "restic: $(restic version)  compression: ${RESTIC_COMPRESSION:-auto (default)}, and off (first push step)"
  echo "borg: $(borg --version)  init --encryption=none, create --compression none (first push step)"
  echo "rsync: $(rsync --version | head -n 1)  daemon on 127.0.0.1:$RSYNC_PORT"
  echo "dataset: $PRISTINE  $([[ -f "$STAMP" ]] && cat "$STAMP")  files=$DATA_FILES bytes=$DATA_BYTES"
  echo "page cache: $CACHE_NOTE"
  echo "runs: $RUNS rounds; in each, peer then followup for every step; medians reported"
} >"$WORK/env.txt"
cat "$WORK/env.txt" >&2
((HAVE_PULL)) || log "warning: $FU has no 'pull' command: the followup pull steps are skipped (n/a)"

# --- the rounds -------------------------------------------------------------------------
for ((r = 1; r <= RUNS; r++)); do
  log "round $r/$RUNS"
  rm -rf "${DATA:?}" "${PULL_FU:?}" "${PULL_RS:?}" "${PULL_RS_SYNC:?}" "${CP_COPY:?}"
  untimed "copy.r$r" cp -a "$PRISTINE" "$DATA"
  mkdir -p "$PULL_FU" "$PULL_RS" "$PULL_RS_SYNC"

  # 1. backup / push of the whole folder into fresh targets, and the disk's limit
  settle
  # shellcheck disable=SC2016  # $1 and $2 are expanded by sh -c
  timed "cp-sync.r$r" sh -c 'cp -r "$1" "$2" && sync' sh "$DATA" "$CP_COPY"
  run_row cp-sync "$r" "$(dir_bytes "$CP_COPY")" "bytes = size of the copy"
  rm -rf "${RESTIC_REPOSITORY:?}" "${RESTIC_CACHE_DIR:?}"
  untimed "restic-init-off.r$r" restic init
  RESTIC_COMPRESSION=off restic_step restic-off "$r"
  rm -rf "${RESTIC_REPOSITORY:?}" "${RESTIC_CACHE_DIR:?}"
  untimed "restic-init.r$r" restic init
  restic_step restic-backup "$r"
  borg_fresh "borg-init.r$r"
  before=$(dir_bytes "$BORG_REPO")
  settle
  borg_create "borg-create.r$r" "$DATA"
  run_row borg-create "$r" "$(($(dir_bytes "$BORG_REPO") - before))" "bytes = repo growth (compression none)"
  start_server "r$r"  # fresh storage, client, tokens and project; sets URL and the tokens
  push_step fu-push "$r"

  # 2. initial pull into empty folders
  rsync_step rsync-pull "$r"
  pull_step fu-pull "$r"
  trees initial "$r"
  rsync_sync_step rsync-pull-sync "$r"

  # 3. nothing changed
  rsync_step rsync-noop "$r"
  pull_step fu-noop "$r"

  # 4. edits (mutate.py), then backup / push, then pulls
  untimed "mutate.r$r" python3 "$BENCH_DIR/mutate.py" "$DATA" --seed 7
  restic_step restic-mutate "$r"
  borg_step borg-mutate "$r" m
  push_step fu-push-mutate "$r"
  rsync_step rsync-mutate "$r"
  pull_step fu-mutate "$r"
  trees mutate "$r"

  # 5. renames and moves (rename.py), then backup / push, then pulls
  untimed "rename.r$r" python3 "$BENCH_DIR/rename.py" "$DATA" --seed 9 --files 200
  restic_step restic-rename "$r"
  borg_step borg-rename "$r" n
  push_step fu-push-rename "$r"
  rsync_step rsync-rename "$r"
  pull_step fu-rename "$r"
  trees rename "$r"

  stop_server "$r" "$HWM_OP"  # the server's peak RSS over the round (VmHWM)
  SERVER_HWM[$r]=$HWM_MB
done
stop_pid "$RSYNCD_PID"
RSYNCD_PID=""
MUTATED=$(sed -n 's/^bytes_changed=//p' "$LOGS/mutate.r1.out")
RENAMED=$(sed -n 's/.*files_with_new_path=\([0-9]*\) bytes_with_new_path=\([0-9]*\).*/\1 files, \2 bytes/p' "$LOGS/rename.r1.out")

# --- medians (MW, MR, MB and their MIN/MAX; see lib.sh) ------------------------------------
medians "${STEP_ORDER[@]}"
read -r HWM HWMMIN HWMMAX < <(stats 1 "${SERVER_HWM[@]}")
tsv followup "$HWM_OP" median "" "$HWM" "" "" "" "median of $RUNS rounds; min=$HWMMIN max=$HWMMAX"

# --- the tables' rows (summary.tsv) and the checks (checks.tsv) --------------------------
# A pair: label | followup step | peer step | peer | wall goal (op target) | bytes goal | bytes meaning
PAIRS=(
  "push into a fresh server|fu-push|restic-backup|restic backup, fresh repo|le 0.5||uploaded_bytes vs repo growth"
  "push into a fresh server|fu-push|restic-off|restic backup, RESTIC_COMPRESSION=off, fresh repo|||uploaded_bytes vs restic repo growth (compression off)"
  "push into a fresh server|fu-push|borg-create|borg create --compression none, fresh repo|||uploaded_bytes vs borg repo growth"
  "push into a fresh server|fu-push|cp-sync|cp -r + sync (the disk's limit)|le 1.3||uploaded_bytes vs size of the copy"
  "initial pull, empty folder|fu-pull|rsync-pull|rsync daemon pull|le 1.0||fetched_bytes vs bytes received"
  "initial pull, empty folder|fu-pull|rsync-pull-sync|rsync daemon pull, then sync (on disk, as followup pull leaves it)|||fetched_bytes vs bytes received"
  "no-op pull|fu-noop|rsync-noop|rsync daemon pull|le 0.2||fetched_bytes vs bytes received"
  "push after mutate.py|fu-push-mutate|restic-mutate|restic backup, same repo|||uploaded_bytes vs repo growth"
  "push after mutate.py|fu-push-mutate|borg-mutate|borg create, same repo|||uploaded_bytes vs repo growth"
  "pull after mutate.py|fu-mutate|rsync-mutate|rsync daemon pull|le 1.0|le 2.0|fetched_bytes vs bytes received"
  "push after rename.py|fu-push-rename|restic-rename|restic backup, same repo|||uploaded_bytes vs repo growth"
  "push after rename.py|fu-push-rename|borg-rename|borg create, same repo|||uploaded_bytes vs repo growth"
  "pull after rename.py|fu-rename|rsync-rename|rsync daemon pull||le 0.05|fetched_bytes vs bytes received"
)
CHECKS=()
summary_header
WALL_MD=() BYTES_MD=() RSS_MD=()
for p in "${PAIRS[@]}"; do
  IFS='|' read -r label fu peer peer_name wgoal bgoal bmeaning <<<"$p"
  # wall time and bytes: medians, ratios, goals and checks (pair in lib.sh)
  if [[ -n "$wgoal" ]]; then
    read -r op target <<<"$wgoal"
    pair wall "$label" "$peer_name" "$fu" "$peer" "wall: $label, followup / $peer_name" "$op" "$target"
  else
    pair wall "$label" "$peer_name" "$fu" "$peer"
  fi
  WALL_MD+=("| $label | $peer_name | $PAIR_MD |")
  if [[ "$peer" == rsync-pull-sync ]]; then
    :  # the same bytes as rsync-pull's row
  elif [[ -n "$bgoal" ]]; then
    read -r op target <<<"$bgoal"
    pair bytes "$label" "$peer_name" "$fu" "$peer" "bytes: $label, followup / $peer_name" "$op" "$target"
  elif [[ "$fu" == fu-noop ]]; then  # extra: a no-op pull fetches nothing
    pair bytes "$label" "$peer_name" "$fu" "$peer" "bytes: no-op pull, followup fetched_bytes (max of the rounds)" \
      le 0 "${MBMAX[$fu]}" "fetched = 0"
  else
    pair bytes "$label" "$peer_name" "$fu" "$peer"
  fi
  [[ "$peer" == rsync-pull-sync ]] || BYTES_MD+=("| $label | $bmeaning | $PAIR_MD |")
  # peak RSS (client processes)
  summary rss "$label" "$peer_name" "${MR[$fu]}" "${MRMIN[$fu]}" "${MRMAX[$fu]}" \
    "${MR[$peer]}" "${MRMIN[$peer]}" "${MRMAX[$peer]}" "" "" "" "" ""
  RSS_MD+=("| $label | $peer_name | $(range "${MR[$fu]}" "${MRMIN[$fu]}" "${MRMAX[$fu]}") | $(range "${MR[$peer]}" "${MRMIN[$peer]}" "${MRMAX[$peer]}") |")
done
summary rss "followup server, whole round (VmHWM)" "" "$HWM" "$HWMMIN" "$HWMMAX" "" "" "" "" "" "" "" ""

# trees: every stage of every round must give data's tree
TREE_MD=() TREE_FAILS=0
for tool in rsync followup; do
  for stage in initial mutate rename; do
    same=0 na=0
    for ((r = 1; r <= RUNS; r++)); do
      case "${TREE[$tool:$stage:$r]:-n/a}" in same) ((++same)) ;; n/a) ((++na)) ;; esac
    done
    if ((na == RUNS)); then value=n/a v=n/a
    else
      value="$same/$RUNS"
      if ((same == RUNS)); then v=PASS; else v=FAIL; ((++TREE_FAILS)); fi
    fi
    CHECKS+=("$(printf '%s\t%s\t%s\t%s' "tree: $tool pull after $stage = data (diff -r)" "$value" "$RUNS/$RUNS" "$v")")
    summary tree "$tool pull after $stage" "" "$value" "" "" "" "" "" "" "" "" "$RUNS/$RUNS identical" "$v"
    TREE_MD+=("| $tool | $stage | $value | $v |")
  done
done
write_checks

# --- results.json: env, per-run rows, medians, tables, checks -----------------------------
write_results_json

# --- report (Markdown) ----------------------------------------------------------------------
echo
echo "## sync benchmark: followup vs restic and borg (push) and an rsync daemon (pull)"
echo
echo "Dataset: $DATA_FILES files, $(commas "$DATA_BYTES") bytes ($([[ -f "$STAMP" ]] && cat "$STAMP" || echo "user-provided")); mutate.py: $(commas "${MUTATED:-n/a}") bytes changed; rename.py: $(commas "${RENAMED:-n/a}") with a new path."
echo "$RUNS round$( ((RUNS == 1)) || echo s), each on a fresh copy, fresh restic and borg repos and a fresh followup server; median (min–max) over the rounds."
echo "Ratios are followup ÷ peer of the medians, with the per-round ratios' range. Page cache: $CACHE_NOTE."
((HAVE_PULL)) || echo "**followup pull is not in this binary ($FU): its rows are n/a.**"
echo
echo "### Wall time (s)"
echo
echo "| step | peer | followup s | peer s | ratio | goal | verdict |"
echo "|---|---|---:|---:|---:|---|---|"
printf '%s\n' "${WALL_MD[@]}"
echo
echo "### Bytes"
echo
echo "push: followup \`uploaded_bytes\` vs growth of the restic or borg repo on disk; pull: followup \`fetched_bytes\` (chunk payload) vs rsync \`Total bytes received\` (everything on the wire, protocol included)."
echo
echo "| step | followup vs peer | followup bytes | peer bytes | ratio | goal | verdict |"
echo "|---|---|---:|---:|---:|---|---|"
printf '%s\n' "${BYTES_MD[@]}"
echo
echo "### Peak RSS (MB, client process)"
echo
echo "| step | peer | followup MB | peer MB |"
echo "|---|---|---:|---:|"
printf '%s\n' "${RSS_MD[@]}"
echo "| followup server, whole round (VmHWM) | | $(range "$HWM" "$HWMMIN" "$HWMMAX") | |"
echo
echo "### Trees (diff -r against data; rounds identical)"
echo
echo "| tool | after | identical | verdict |"
echo "|---|---|---:|---|"
printf '%s\n' "${TREE_MD[@]}"
echo
for ((r = 1; r <= RUNS; r++)); do
  for s in fu-push fu-pull fu-noop fu-push-mutate fu-mutate fu-push-rename fu-rename; do
    note=$(awk -F'\t' -v op="${S_OP[$s]}" -v r="$r" '$1 == "followup" && $2 == op && $3 == r { print $9 }' "$WORK/results.tsv")
    printf -- '- round %s, followup %s: %s\n' "$r" "${S_OP[$s]}" "${note:-n/a}"
  done
done
echo
echo "raw rows: $WORK/results.tsv  tables: $WORK/summary.tsv  checks: $WORK/checks.tsv  all: $WORK/results.json  logs: $LOGS/"

if [[ "${BENCH_CLEANUP:-0}" == 1 ]]; then
  rm -rf "${DATA:?}" "${PULL_FU:?}" "${PULL_RS:?}" "${PULL_RS_SYNC:?}" "${CP_COPY:?}" "${SERVER:?}" "$WORK/restic-repo" "$WORK/restic-cache" \
    "${BORG_REPO:?}" "${BORG_BASE_DIR:?}"
fi
if ((TREE_FAILS)); then
  echo "sync.sh: $TREE_FAILS tree check(s) failed: a pulled tree differs from data (see $LOGS/diff-*.out)" >&2
  exit 1
fi
exit 0
