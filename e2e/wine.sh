#!/usr/bin/env bash
# Runs the windows/amd64 docker-credential-ecr-login.exe and
# ecr-credential-provider.exe under Wine against bin/fake-ecr (a Linux process
# on 127.0.0.1): get (miss, then hit), list, configure docker on a config with
# other keys, cache list|clear, 8 concurrent cold gets making one API call (the
# LockFileEx lock), and gets while another Windows process holds the cache file
# open. Paths are the Windows defaults: %USERPROFILE%\.ecr and
# %USERPROFILE%\.docker\config.json.
#
#   make build && bash e2e/wine.sh          # any user; needs wine64 (apt)
#
# Where Wine is not Windows (each is also said where it matters below):
#   - Wine 8.0 (Debian 12) has no bcryptprimitives.dll, which every Go >= 1.22
#     Windows program loads before main (Windows 10/11 have it). The prefix
#     gets a code-free forwarder DLL (e2e/wine/prngshim) that sends ProcessPrng
#     to advapi32.SystemFunction036 (RtlGenRandom).
#   - File sharing and rename semantics are Wine's emulation of NTFS on a Linux
#     file system; see check_held_open.
#
# Environment:
#   CI=true              no Wine is a FAIL instead of a SKIP
#   E2E_BIN_DIR          where fake-ecr is (default <repo>/bin)
#   E2E_KEEP=1           keep the temp dir (prefix, logs)
#   E2E_CMD_TIMEOUT      time limit of each command, seconds (120)
#   E2E_WINE_TIMEOUT     time limit of the whole script, seconds (600)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=e2e/lib.sh
source "$ROOT/e2e/lib.sh"

H1=123456789012.dkr.ecr.us-east-1.amazonaws.com # key: identity + us-east-1
H3=123456789012.dkr.ecr.eu-west-1.amazonaws.com # another region: another key
HELPER=docker-credential-ecr-login

find_wine() {
  local w
  for w in "$(command -v wine64 2>/dev/null || true)" /usr/lib/wine/wine64 "$(command -v wine 2>/dev/null || true)"; do
    [[ -n $w && -x $w ]] && { printf '%s' "$w"; return 0; }
  done
  return 1
}

main() {
  if [[ $(uname -s) != Linux ]]; then
    echo "SKIP e2e-windows: runs Windows binaries under Wine on Linux; this is $(uname -s)"
    exit 0
  fi
  local bin=${E2E_BIN_DIR:-$ROOT/bin}
  if [[ ! -x $bin/fake-ecr ]]; then
    echo "FAIL e2e-windows: missing $bin/fake-ecr (run make build first)"
    exit 1
  fi
  for t in go jq curl timeout; do
    command -v "$t" >/dev/null 2>&1 || { echo "FAIL e2e-windows: $t not installed"; exit 1; }
  done
  if ! WINE=$(find_wine); then
    if [[ ${CI:-} == true ]]; then
      echo "FAIL e2e-windows: wine64 not installed (run .ci/install-e2e-deps.sh)"
      exit 1
    fi
    echo "SKIP e2e-windows: wine64 not installed (apt-get install wine64)"
    exit 0
  fi
  WINESERVER=$(dirname "$WINE")/wineserver
  [[ -x $WINESERVER ]] || WINESERVER=$(command -v wineserver 2>/dev/null || echo wineserver)
  FAKE_ECR=$bin/fake-ecr

  local base=${TMPDIR:-/tmp}
  T=$(mktemp -d "$base/ecr-wine.XXXXXX")
  export LOGDIR=$T/logs
  mkdir -p "$LOGDIR" "$T/home" "$T/win" "$T/sig"
  trap cleanup EXIT
  trap 'interrupted 130' INT
  trap 'interrupted 143' TERM

  echo "e2e-windows: temp dir $T, $("$WINE" --version 2>/dev/null || echo wine)"
  if setup; then
    clock_reset # per-check times start here
    check_version
    check_get
    check_list
    check_configure_docker
    check_cache_cmds
    check_concurrent
    check_held_open
    check_held_briefly
    check_provider
  fi
  summary
}

SUMMARY_DONE=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # wineserver -k ends the Windows processes of this prefix only (ours).
  if [[ -n ${WENV:-} ]]; then
    timeout 30 env "${WENV[@]}" "$WINESERVER" -k >/dev/null 2>&1 || true
  fi
  stop_all
  if [[ ${E2E_KEEP:-0} == 1 ]]; then
    echo "e2e-windows: kept $T (logs in $T/logs)" >&2
  else
    rm -rf "$T"
  fi
  exit "$rc"
}

interrupted() {
  trap - INT TERM
  fail e2e-windows "interrupted (time limit E2E_WINE_TIMEOUT=${E2E_WINE_TIMEOUT:-600}s or a signal)"
  summary || true
  exit "$1"
}

# secs CMD...: runs CMD and prints how long it took (for the log and README).
secs() {
  local s e
  s=$(date +%s.%N)
  "$@"
  local rc=$?
  e=$(date +%s.%N)
  SECS=$(awk -v s="$s" -v e="$e" 'BEGIN{printf "%.1f", e-s}')
  return "$rc"
}

setup() {
  # Build the Windows binaries as `make cross` does, and the test programs.
  local flags=(-trimpath -ldflags "-s -w")
  if ! secs run build env GOOS=windows GOARCH=amd64 CGO_ENABLED=0 \
    go -C "$ROOT" build "${flags[@]}" -o "$T/win/" "./cmd/$HELPER" ./cmd/ecr-credential-provider ./e2e/wine/holdopen; then
    fail setup "building the windows/amd64 binaries failed: $(why build)" build
    return 1
  fi
  echo "  built the windows/amd64 binaries in ${SECS}s"
  if ! run build env CGO_ENABLED=0 go -C "$ROOT" build -o "$T/prngshim" ./e2e/wine/prngshim; then
    fail setup "building e2e/wine/prngshim failed: $(why build)" build
    return 1
  fi

  # A clean environment for Wine and the Windows programs (Wine passes Unix
  # variables through, except HOME and a few others it translates).
  PASSWORD=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  WENV=(-i PATH=/usr/bin:/bin HOME="$T/home" USER="$(id -un)" LANG=C.UTF-8
    WINEPREFIX="$T/prefix" WINEDEBUG=-all DISPLAY= WINEDLLOVERRIDES="mscoree,mshtml="
    AWS_ACCESS_KEY_ID=AKIDWINEEXAMPLE00000 AWS_SECRET_ACCESS_KEY=wine-dummy-secret-access-key
    AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true)

  # Wine's first start creates the prefix (wineboot): the slow part.
  if ! secs run wineboot env "${WENV[@]}" "$WINE" wineboot --init; then
    fail setup "wineboot --init failed: $(why wineboot)" wineboot
    return 1
  fi
  echo "  wineboot --init (new prefix) took ${SECS}s"
  # One wineserver for the whole run (instead of one per burst of processes).
  env "${WENV[@]}" "$WINESERVER" -p >>"$LOGDIR/wineserver.log" 2>&1 </dev/null || true
  local sys32=$T/prefix/drive_c/windows/system32
  if [[ ! -e $sys32/bcryptprimitives.dll ]]; then
    # Wine < 9 (see the header): Go's runtime needs ProcessPrng.
    "$T/prngshim" -o "$sys32/bcryptprimitives.dll" || { fail setup "prngshim failed"; return 1; }
    echo "  this Wine has no bcryptprimitives.dll: installed the ProcessPrng forwarder (Wine-only; Windows 10+ has it)"
  fi

  # %USERPROFILE% as the Windows programs see it, and where that is here.
  local up
  up=$(capture setup env "${WENV[@]}" "$WINE" cmd /c 'echo %USERPROFILE%' | tr -d '\r') || up=""
  UP_WIN=$up
  UP=$(capture setup env "${WENV[@]}" "$WINE" winepath -u "$up" | tr -d '\r') || UP=""
  UP=${UP%/}
  if [[ $UP_WIN != [A-Za-z]:\\* || ! -d $UP ]]; then
    fail setup "cannot find %USERPROFILE% in the prefix (got '$UP_WIN' -> '$UP')" setup
    return 1
  fi
  CACHE=$UP/.ecr/ecr-login-cache.json
  echo "  %USERPROFILE% is $UP_WIN ($UP)"

  local ready=$T/fake-ecr.url
  start_bg fake-ecr "$FAKE_ECR" -listen 127.0.0.1:0 -password "$PASSWORD" -lifetime 12h \
    -account 123456789012 -ready-file "$ready"
  if ! wait_until "$BG_PID" 100 0.1 test -s "$ready"; then
    fail setup "fake-ecr did not become ready within 10s" fake-ecr
    return 1
  fi
  FAKE=$(<"$ready")
  WENV+=(AWS_ENDPOINT_URL="$FAKE" AWS_ENDPOINT_URL_ECR="$FAKE" AWS_ENDPOINT_URL_ECR_PUBLIC="$FAKE"
    AWS_ENDPOINT_URL_STS="$FAKE")
}

# win LOG EXE ARGS...: runs $T/win/EXE under Wine with stdin from $WIN_IN
# (default none); stdout to the caller, stderr to LOG (and $T/last.stderr).
WIN_IN=/dev/null
win() {
  local log=$LOGDIR/$1.log exe=$T/win/$2
  shift 2
  printf '+ %s %s\n' "${exe##*/}" "$*" >>"$log"
  timeout -k 5 "$CMD_TIMEOUT" env "${WENV[@]}" "$WINE" "$exe" "$@" <"$WIN_IN" 2>"$T/last.stderr"
  local rc=$?
  cat "$T/last.stderr" >>"$log"
  return "$rc"
}

# get LOG HOST: the helper's get for HOST; the answer in OUT.
get() {
  local rc=0
  printf '%s' "$2" >"$T/get.in"
  OUT=$(WIN_IN=$T/get.in win "$1" "$HELPER.exe" get) || rc=$?
  return "$rc"
}

fake_calls() { curl -fsS --max-time 5 "$FAKE/_fake/calls" | jq -er .calls; }
fake_reset() { curl -fsS --max-time 5 -X POST "$FAKE/_fake/reset" >/dev/null; }

# right_answer HOST: OUT is the get answer for HOST with the fake's password.
right_answer() {
  jq -e --arg p "$PASSWORD" --arg h "$1" '.Username == "AWS" and .Secret == $p and (.ServerURL | contains($h))' \
    >/dev/null 2>&1 <<<"$OUT"
}
redacted() { jq -c '.Secret |= "<redacted>"' <<<"$OUT" 2>/dev/null || echo "non-JSON: ${OUT:0:80}"; }

check_version() {
  local name=win-version out
  if out=$(win $name "$HELPER.exe" version) && [[ $out == *docker-credential-ecr-login* ]]; then
    pass $name
  else
    fail $name "$HELPER.exe version printed '${out:0:120}'" $name
  fi
}

check_get() {
  local name=win-get-miss-hit c0 c1 c2
  c0=$(fake_calls) || { fail $name "cannot read the fake's call counter"; return 0; }
  if ! get $name "$H1" || ! right_answer "$H1"; then
    fail $name "get $H1 (miss): $(redacted)" $name
    return 0
  fi
  c1=$(fake_calls)
  if [[ $c1 != $((c0 + 1)) ]]; then
    fail $name "the miss made $((c1 - c0)) GetAuthorizationToken calls, want 1" $name
    return 0
  fi
  if [[ ! -s $CACHE ]] || ! jq -e '.version == 1 and (.entries | length == 1)' "$CACHE" >/dev/null 2>&1; then
    fail $name "no cache file with one entry at %USERPROFILE%\\.ecr\\ecr-login-cache.json ($CACHE)" $name
    return 0
  fi
  if ! get $name "$H1" || ! right_answer "$H1"; then
    fail $name "get $H1 (hit): $(redacted)" $name
    return 0
  fi
  c2=$(fake_calls)
  if [[ $c2 != "$c1" ]]; then
    fail $name "the second get called the fake ($c1 -> $c2 calls): not served from the cache" $name
    return 0
  fi
  pass $name
}

check_list() {
  local name=win-list out
  if ! out=$(win $name "$HELPER.exe" list); then
    fail $name "list failed: $(why $name)" $name
  elif ! jq -e --arg u "https://$H1" '.[$u] == "AWS" and length == 1' >/dev/null 2>&1 <<<"$out"; then
    fail $name "list printed '${out:0:200}', want {\"https://$H1\": \"AWS\"}" $name
  else
    pass $name
  fi
}

check_configure_docker() {
  local name=win-configure-docker cfg=$UP/.docker/config.json out
  mkdir -p "$UP/.docker"
  cat >"$cfg" <<'EOF'
{
  "auths": {"registry.example.com": {"auth": "dXNlcjpub3QtYS1yZWFsLXBhc3N3b3Jk"}},
  "credHelpers": {"gcr.io": "gcloud"},
  "psFormat": "table {{.ID}}\t{{.Names}}",
  "proxies": {"default": {"noProxy": "*.internal"}}
}
EOF
  cp "$cfg" "$T/config.before.json"
  if ! out=$(win $name "$HELPER.exe" configure docker "$H1" 2>&1); then
    fail $name "configure docker $H1 failed: $(why $name)" $name
    return 0
  fi
  echo "$out" >>"$LOGDIR/$name.log"
  if ! jq -e --arg h "$H1" --slurpfile b "$T/config.before.json" '
      .credHelpers[$h] == "ecr-login" and .credHelpers["gcr.io"] == "gcloud" and
      .auths == $b[0].auths and .psFormat == $b[0].psFormat and .proxies == $b[0].proxies and
      (del(.credHelpers) | keys) == ($b[0] | del(.credHelpers) | keys)' "$cfg" >/dev/null 2>&1; then
    fail $name "%USERPROFILE%\\.docker\\config.json after configure docker: $(jq -c 'del(.auths)' "$cfg" 2>&1 | cut -c1-200)" $name
    return 0
  fi
  # The path it names is the Windows one.
  if ! grep -qiF '.docker\config.json' <<<"$out"; then
    fail $name "configure docker did not name %USERPROFILE%\\.docker\\config.json: ${out:0:200}" $name
    return 0
  fi
  pass $name
}

check_cache_cmds() {
  local name=win-cache-list-clear out c0 c1
  if ! out=$(win $name "$HELPER.exe" cache list --json); then
    fail $name "cache list --json failed: $(why $name)" $name
    return 0
  fi
  echo "$out" >>"$LOGDIR/$name.log"
  if ! jq -e 'length == 1 and .[0].region == "us-east-1" and .[0].state == "fresh"' >/dev/null 2>&1 <<<"$out"; then
    fail $name "cache list --json printed '${out:0:300}', want one fresh us-east-1 entry" $name
    return 0
  fi
  if ! out=$(win $name "$HELPER.exe" cache list) || [[ $out != *us-east-1* ]]; then
    fail $name "cache list (table) printed '${out:0:200}'" $name
    return 0
  fi
  if ! win $name "$HELPER.exe" cache clear >>"$LOGDIR/$name.log"; then
    fail $name "cache clear failed: $(why $name)" $name
    return 0
  fi
  if ! out=$(win $name "$HELPER.exe" cache list --json) || ! jq -e 'length == 0' >/dev/null 2>&1 <<<"$out"; then
    fail $name "cache list --json after cache clear printed '${out:0:200}', want []" $name
    return 0
  fi
  c0=$(fake_calls)
  if ! get $name "$H1" || ! right_answer "$H1"; then
    fail $name "get after cache clear: $(redacted)" $name
    return 0
  fi
  c1=$(fake_calls)
  if [[ $c1 != $((c0 + 1)) ]]; then
    fail $name "get after cache clear made $((c1 - c0)) calls, want 1 (the cleared token must not be served)" $name
    return 0
  fi
  pass $name
}

# Eight cold gets at once, eight Windows processes: the per-key LockFileEx
# lock lets one fetch and the others read what it stored.
check_concurrent() {
  local name=win-concurrent-cold-gets i pids=() rc bad=0 calls
  if ! win $name "$HELPER.exe" cache clear >>"$LOGDIR/$name.log" || ! fake_reset; then
    fail $name "cache clear / fake reset failed: $(why $name)" $name
    return 0
  fi
  printf '%s' "$H1" >"$T/get.in"
  for i in 1 2 3 4 5 6 7 8; do
    timeout -k 5 "$CMD_TIMEOUT" env "${WENV[@]}" "$WINE" "$T/win/$HELPER.exe" get \
      <"$T/get.in" >"$T/conc.$i.out" 2>"$T/conc.$i.err" &
    pids+=("$!")
  done
  for i in "${!pids[@]}"; do
    rc=0
    wait "${pids[i]}" || rc=$?
    OUT=$(<"$T/conc.$((i + 1)).out")
    { echo "--- get #$((i + 1)) exit $rc"; cat "$T/conc.$((i + 1)).err"; } >>"$LOGDIR/$name.log"
    if ((rc != 0)) || ! right_answer "$H1"; then
      echo "get #$((i + 1)): exit $rc, $(redacted)" >>"$LOGDIR/$name.log"
      bad=$((bad + 1))
    fi
  done
  calls=$(fake_calls)
  if ((bad)); then
    fail $name "$bad of 8 concurrent gets failed or answered wrongly" $name
  elif [[ $calls != 1 ]]; then
    fail $name "8 concurrent cold gets made $calls GetAuthorizationToken calls, want 1 (the cross-process lock)" $name
  else
    pass $name
  fi
}

# hold SHARE [UNTIL]: starts holdopen.exe on the cache file with that share
# mode and waits until it has the file open; it lets go when a file matching
# the Windows path pattern UNTIL exists (default: release was called).
# release: lets it go and waits for it.
HOLD_PID=""
hold() {
  rm -f "$T/sig/ready" "$T/sig/release"
  local ready_w until_w=${2:-}
  ready_w=$(env "${WENV[@]}" "$WINE" winepath -w "$T/sig/ready" 2>/dev/null | tr -d '\r')
  [[ -n $until_w ]] || until_w=$(env "${WENV[@]}" "$WINE" winepath -w "$T/sig/release" 2>/dev/null | tr -d '\r')
  start_bg holdopen timeout -k 5 "$CMD_TIMEOUT" env "${WENV[@]}" "$WINE" "$T/win/holdopen.exe" \
    -file "$UP_WIN\\.ecr\\ecr-login-cache.json" -share "$1" -ready "$ready_w" -until "$until_w" -timeout 90s
  HOLD_PID=$BG_PID
  wait_until "$HOLD_PID" 300 0.1 test -e "$T/sig/ready"
}
release() {
  : >"$T/sig/release"
  local rc=0
  wait "$HOLD_PID" || rc=$?
  HOLD_PID=""
  return "$rc"
}

# Gets while another Windows process has the cache file open. A hit only
# reads; a miss must replace the file (write a temp file, rename it over the
# cache file) while the other handle is open.
#   share rw  (FILE_SHARE_READ|WRITE, e.g. Go's os.Open, an editor): Windows
#             refuses to replace a file opened without FILE_SHARE_DELETE. The
#             get must still answer with the token, say on stderr that it could
#             not save it, lose no other entry and leave no temp file.
#   share rwd (FILE_SHARE_DELETE too: how the helper's own cache reads open
#             the file): on Windows 10 1809+ NTFS the helper's POSIX-semantics
#             rename replaces the file and the token is saved. Wine 8 refuses
#             to replace a file that is open even with FILE_SHARE_DELETE, so
#             here it behaves like rw; the check accepts either and logs which.
check_held_open() {
  local name share c0 c1 want_saved
  for share in rw rwd; do
    name=win-get-while-held-$share
    # Start from one cached us-east-1 entry.
    win $name "$HELPER.exe" cache clear >>"$LOGDIR/$name.log" || true
    get $name "$H1" >/dev/null || true
    if ! jq -e '.entries | length == 1' "$CACHE" >/dev/null 2>&1; then
      fail $name "could not prepare a cache with one entry" $name
      continue
    fi
    if ! hold "$share"; then
      fail $name "holdopen.exe did not open the cache file" holdopen
      release || true
      continue
    fi
    c0=$(fake_calls)
    # A hit while held: read only, no call.
    if ! get $name "$H1" || ! right_answer "$H1"; then
      fail $name "get $H1 (hit) while the cache file is held open: $(redacted)" $name
      release || true
      continue
    fi
    # A miss while held: a call, an answer, and a write attempt.
    if ! get $name "$H3" || ! right_answer "$H3"; then
      fail $name "get $H3 (miss) while the cache file is held open: $(redacted)" $name
      release || true
      continue
    fi
    cp "$T/last.stderr" "$T/held.stderr"
    c1=$(fake_calls)
    if ! release; then
      fail $name "holdopen.exe did not finish cleanly" holdopen
      continue
    fi
    if [[ $c1 != $((c0 + 1)) ]]; then
      fail $name "hit + miss while held made $((c1 - c0)) calls, want 1" $name
      continue
    fi
    if compgen -G "$UP/.ecr/.ecr-login-cache.json.*.tmp" >/dev/null; then
      fail $name "a temp file was left in %USERPROFILE%\\.ecr: $(cd "$UP/.ecr" && ls -a | tr '\n' ' ')" $name
      continue
    fi
    if ! jq -e '.entries | map(select(.region == "us-east-1")) | length == 1' "$CACHE" >/dev/null 2>&1; then
      fail $name "the us-east-1 entry was lost while the file was held open" $name
      continue
    fi
    if jq -e '.entries | length == 2' "$CACHE" >/dev/null 2>&1; then
      echo "note: share $share: the eu-west-1 token was saved while the file was held open" >>"$LOGDIR/$name.log"
    elif ! grep -q 'could not save the token in the cache' "$T/held.stderr"; then
      fail $name "the token was not saved and stderr does not say so" $name
      continue
    else
      echo "note: share $share: the token could not be saved while the file was held open (said on stderr)" >>"$LOGDIR/$name.log"
    fi
    # Released: the next miss saves it.
    if ! get $name "$H3" || ! right_answer "$H3" || ! jq -e '.entries | length == 2' "$CACHE" >/dev/null 2>&1; then
      fail $name "after the file was released, get $H3 did not answer and save the token" $name
      continue
    fi
    pass $name
  done
}

# A program that holds the cache file only briefly (an antivirus scan, a
# backup agent) must not cost the token. holdopen.exe lets go as soon as the
# helper's temp file appears, i.e. while the helper writes it or retries the
# rename (it retries a sharing violation for up to a second); the token must
# then be saved with no warning. Which of the two it hits is up to timing, so
# this does not prove the retry: cache's TestRetryBusy does.
check_held_briefly() {
  local name=win-get-while-held-briefly
  win $name "$HELPER.exe" cache clear >>"$LOGDIR/$name.log" || true
  get $name "$H1" >/dev/null || true
  if ! jq -e '.entries | length == 1' "$CACHE" >/dev/null 2>&1; then
    fail $name "could not prepare a cache with one entry" $name
    return 0
  fi
  if ! hold rw "$UP_WIN\\.ecr\\.ecr-login-cache.json.*.tmp"; then
    fail $name "holdopen.exe did not open the cache file" holdopen
    release || true
    return 0
  fi
  if ! get $name "$H3" || ! right_answer "$H3"; then
    fail $name "get $H3 (miss) while the cache file is held: $(redacted)" $name
    release || true
    return 0
  fi
  if ! release || ! grep -q '^released: .*\.tmp' "$LOGDIR/holdopen.log"; then
    fail $name "holdopen.exe did not see the helper's temp file and let go" holdopen
    return 0
  fi
  if grep -q 'could not save the token' "$T/last.stderr" || ! jq -e '.entries | length == 2' "$CACHE" >/dev/null 2>&1; then
    fail $name "the token was not saved after the other program let go of the file: $(why $name)" $name
    return 0
  fi
  pass $name
}

# ecr-credential-provider.exe the way kubelet on a Windows node runs it.
check_provider() {
  local name=win-credential-provider out
  printf '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"%s/app:1"}' \
    "$H1" >"$T/provider.in"
  if ! out=$(WIN_IN=$T/provider.in win $name ecr-credential-provider.exe); then
    fail $name "ecr-credential-provider.exe failed: $(why $name)" $name
    return 0
  fi
  if jq -e --arg p "$PASSWORD" --arg h "$H1" \
    '.kind == "CredentialProviderResponse" and .auth[$h].username == "AWS" and .auth[$h].password == $p' \
    >/dev/null 2>&1 <<<"$out"; then
    pass $name
  else
    fail $name "response: $(jq -c '.auth[]?.password |= "<redacted>"' <<<"$out" 2>/dev/null | cut -c1-200)" $name
  fi
}

# The whole run is bounded: timeout TERMs the inner part (whose trap stops
# wineserver and fake-ecr) after E2E_WINE_TIMEOUT seconds.
if [[ ${1:-} == --inner ]]; then
  main
else
  rc=0
  timeout -k 30 "${E2E_WINE_TIMEOUT:-600}" bash "${BASH_SOURCE[0]}" --inner || rc=$?
  ((rc != 124)) || echo "e2e-windows: hit its time limit of ${E2E_WINE_TIMEOUT:-600}s" >&2
  exit "$rc"
fi
