# shellcheck shell=bash
# Helpers for e2e/run.sh: result counting, bounded waits, logged commands,
# background processes. Sourced, not executed.

E2E_PASSED=0
E2E_FAILED=0
E2E_SKIPPED=0
PIDS=()
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-120}   # seconds, for every single client command

# Each result line ends with the time since the previous result (or since
# clock_reset), which is the time the check took: checks run one after another.
E2E_CLOCK=${EPOCHREALTIME:-}
clock_reset() { E2E_CLOCK=${EPOCHREALTIME:-}; }
# took: sets TOOK to "(12.3s)", the time since the last result, and restarts
# the clock (no subshell, so the clock survives).
took() {
  local now=${EPOCHREALTIME:-} us
  TOOK='(?s)'
  if [[ $now =~ ^[0-9]+\.[0-9]{6}$ && $E2E_CLOCK =~ ^[0-9]+\.[0-9]{6}$ ]]; then
    us=$(( (10#${now%.*} - 10#${E2E_CLOCK%.*}) * 1000000 + 10#${now#*.} - 10#${E2E_CLOCK#*.} ))
    printf -v TOOK '(%d.%01ds)' $((us / 1000000)) $((us % 1000000 / 100000))
  fi
  E2E_CLOCK=$now
}

pass() { E2E_PASSED=$((E2E_PASSED + 1)); took; printf 'PASS %s %s\n' "$1" "$TOOK"; }
skip() { E2E_SKIPPED=$((E2E_SKIPPED + 1)); took; printf 'SKIP %s: %s %s\n' "$1" "$2" "$TOOK"; }
# fail NAME REASON [LOG]: counts a failure and shows the tail of LOG, if given.
fail() {
  E2E_FAILED=$((E2E_FAILED + 1))
  took
  printf 'FAIL %s: %s %s\n' "$1" "$2" "$TOOK"
  if [[ -n ${3:-} && -s ${LOGDIR:-/nonexistent}/$3.log ]]; then
    tail -n "${E2E_LOG_TAIL:-15}" "$LOGDIR/$3.log" | cut -c1-400 | sed 's/^/    | /'
  fi
}

summary() {
  local s="$E2E_PASSED passed, $E2E_FAILED failed"
  ((E2E_SKIPPED)) && s+=", $E2E_SKIPPED skipped"
  printf '%s\n' "$s"
  ((E2E_FAILED == 0))
}

# need CHECK TOOL...: true if every TOOL is on PATH; otherwise reports the
# check as SKIP (FAIL when CI=true) and returns 1.
need() {
  local check=$1 t
  shift
  for t in "$@"; do
    if ! command -v "$t" >/dev/null 2>&1; then
      if [[ ${CI:-} == true ]]; then
        fail "$check" "$t not installed (run .ci/install-e2e-deps.sh)"
      else
        skip "$check" "$t not installed (run .ci/install-e2e-deps.sh)"
      fi
      return 1
    fi
  done
}

# run LOG CMD...: runs CMD under a time limit, stdout+stderr appended to
# $LOGDIR/LOG.log. Returns CMD's status (124 on time-out).
run() {
  local log=$LOGDIR/$1.log
  shift
  printf '+ %s\n' "$*" >>"$log"
  timeout -k 5 "$CMD_TIMEOUT" "$@" >>"$log" 2>&1 </dev/null
}

# capture LOG CMD...: like run, but CMD's stdout is passed through (for $(...))
# and only stderr goes to the log.
capture() {
  local log=$LOGDIR/$1.log
  shift
  printf '+ %s\n' "$*" >>"$log"
  timeout -k 5 "$CMD_TIMEOUT" "$@" 2>>"$log" </dev/null
}

# why LOG: a one-line reason taken from the end of a log.
why() {
  local l
  l=$(grep -v '^[[:space:]]*$' "$LOGDIR/$1.log" 2>/dev/null | tail -n 1 | cut -c1-240)
  printf '%s' "${l:-see $1.log}"
}

# start_bg NAME CMD...: starts CMD in the background, output to
# $LOGDIR/NAME.log; sets BG_PID and remembers it for cleanup.
start_bg() {
  local name=$1
  shift
  printf '+ %s\n' "$*" >>"$LOGDIR/$name.log"
  "$@" >>"$LOGDIR/$name.log" 2>&1 </dev/null &
  BG_PID=$!
  PIDS+=("$BG_PID")
}

# wait_until PID TRIES SLEEP CMD...: polls CMD until it succeeds, at most
# TRIES times SLEEP seconds; gives up early if PID (when not empty) has died.
wait_until() {
  local pid=$1 tries=$2 nap=$3 i
  shift 3
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep "$nap"
  done
  return 1
}

# stop_all: TERM every process started with start_bg (newest first), wait up
# to 5 s each, then KILL. Only our own PIDs are signalled.
stop_all() {
  local i pid j
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[i]}" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for ((j = 0; j < 50; j++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}

# free_port: an unused TCP port on 127.0.0.1 (bounded number of tries).
free_port() {
  local i p
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % 40000))
    if [[ -z $(ss -Hltn "sport = :$p" 2>/dev/null) ]]; then
      printf '%s' "$p"
      return 0
    fi
  done
  return 1
}

# random_layer FILE: a tarball holding one file of random bytes.
random_layer() {
  local d
  d=$(mktemp -d "$TMPDIR/layer.XXXXXX")
  head -c 32768 /dev/urandom >"$d/random.bin"
  date +%s%N >"$d/made-at"
  tar -C "$d" -cf "$1" random.bin made-at
  rm -rf "$d"
}
