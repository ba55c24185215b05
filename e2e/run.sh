#!/usr/bin/env bash
# End-to-end suite for docker-credential-ecr-login: real registry clients
# (crane, skopeo, podman, nerdctl+containerd, the docker CLI) pull and push
# through a real registry (Debian's docker-registry, htpasswd auth, TLS on
# 127.0.0.1:443) whose credentials they get only by running the helper via
# credHelpers / credential-helpers, with the helper talking to bin/fake-ecr
# (and, once, to moto) instead of AWS. ecr-credential-provider is driven the
# way kubelet drives it (e2e/kubeletsim) and its token used by containerd's
# CRI ImageService.PullImage.
#
#   make build && bash e2e/run.sh          # as root, on Linux
#
# Everything runs on loopback inside a private mount namespace (so /etc/hosts
# can be replaced by a bind mount that maps the ECR host names to 127.0.0.1)
# and, where the kernel allows, a private network namespace (so 443 is free
# and nothing can leave the machine). All state lives under one mktemp -d.
#
# Environment:
#   CI=true            a missing client tool is a FAIL instead of a SKIP
#   E2E_BIN_DIR        where docker-credential-ecr-login and fake-ecr are
#                      (default: <repo>/bin)
#   E2E_KEEP=1         keep the temp dir (logs, configs) and print its path
#   E2E_NETNS=0        do not use a network namespace (then 127.0.0.1:443
#                      must be free)
#   E2E_CMD_TIMEOUT    time limit of each client command, seconds (120)
#   E2E_TIMEOUT        time limit of the whole suite, seconds (600)
#   E2E_HELPER_LOG_LEVEL  passed to the helper as AWS_ECR_LOG_LEVEL
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF=$ROOT/e2e/run.sh
# shellcheck source=e2e/lib.sh
source "$ROOT/e2e/lib.sh"
# shellcheck source=e2e/pod.sh
source "$ROOT/e2e/pod.sh"
# shellcheck source=e2e/clients.sh
source "$ROOT/e2e/clients.sh"

H1=123456789012.dkr.ecr.us-east-1.amazonaws.com   # first account
H2=210987654321.dkr.ecr.us-east-1.amazonaws.com   # second account, same region
HP=public.ecr.aws                                 # ECR Public stand-in
HELPER=docker-credential-ecr-login

# ---------------------------------------------------------------------------
# Outer part: platform checks, temp dir, build fakedockerd, enter namespaces.
# ---------------------------------------------------------------------------
outer() {
  if [[ $(uname -s) != Linux ]]; then
    echo "SKIP e2e: needs Linux (mount/network namespaces, docker-registry); this is $(uname -s)"
    exit 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP e2e: needs root (binds 127.0.0.1:443, bind-mounts /etc/hosts in a private mount namespace); run it as root"
    exit 0
  fi

  local bin=${E2E_BIN_DIR:-$ROOT/bin} t missing=()
  for t in "$HELPER" fake-ecr; do
    [[ -x $bin/$t ]] || missing+=("$bin/$t")
  done
  if ((${#missing[@]})); then
    fail e2e "missing ${missing[*]} (run make build first)"
    summary || exit 1
  fi

  # Tools without which no check can run at all.
  for t in unshare mount ip ss openssl curl jq htpasswd docker-registry go timeout; do
    if ! command -v "$t" >/dev/null 2>&1; then
      if [[ ${CI:-} == true ]]; then
        fail e2e "$t not installed (run .ci/install-e2e-deps.sh)"
      else
        skip e2e "$t not installed (run .ci/install-e2e-deps.sh)"
      fi
      summary && exit 0 || exit 1
    fi
  done

  local tmp rc=0
  # Unix socket paths (containerd, fakedockerd) must stay short: ignore a long
  # TMPDIR.
  local base=${TMPDIR:-/tmp}
  ((${#base} <= 40)) || base=/tmp
  tmp=$(mktemp -d "$base/ecr-e2e.XXXXXX")
  # shellcheck disable=SC2064
  trap "outer_cleanup '$tmp'" EXIT
  mkdir -p "$tmp/logs" "$tmp/bin"
  export LOGDIR=$tmp/logs

  # fakedockerd is part of this suite (stdlib only): build it here, outside
  # the network namespace.
  local fakedockerd=$tmp/bin/fakedockerd
  if ! (cd "$ROOT" && run build go build -o "$fakedockerd" ./e2e/fakedockerd); then
    echo "warning: could not build e2e/fakedockerd: $(why build)" >&2
    fakedockerd=
  fi
  # Likewise kubeletsim, the kubelet stand-in (CRI client + provider exec).
  local kubeletsim=$tmp/bin/kubeletsim
  if ! (cd "$ROOT" && run build go build -o "$kubeletsim" ./e2e/kubeletsim); then
    echo "warning: could not build e2e/kubeletsim: $(why build)" >&2
    kubeletsim=
  fi

  # moto_server may be a pyenv shim, which needs the real HOME; resolve it now.
  local moto
  moto=$(command -v moto_server 2>/dev/null || true)
  if [[ $moto == */shims/* ]] && command -v pyenv >/dev/null 2>&1; then
    moto=$(pyenv which moto_server 2>/dev/null || printf '%s' "$moto")
  fi

  local ns=(--mount --propagation private) netns=0
  if [[ ${E2E_NETNS:-1} != 0 ]] && unshare --mount --net true 2>/dev/null; then
    ns+=(--net)
    netns=1
  fi

  # timeout runs the inner part in its own process group; on INT/TERM we hand
  # a TERM to timeout, which passes it to that whole group (and only to it).
  E2E_TMP=$tmp E2E_BIN=$bin E2E_FAKEDOCKERD=$fakedockerd E2E_KUBELETSIM=$kubeletsim E2E_MOTO=$moto E2E_IN_NETNS=$netns \
    timeout -k 30 "${E2E_TIMEOUT:-600}" unshare "${ns[@]}" bash "$SELF" --inner &
  local child=$!
  # shellcheck disable=SC2064
  trap "kill -TERM $child 2>/dev/null || true" INT TERM
  wait "$child" || rc=$?
  while kill -0 "$child" 2>/dev/null; do # wait was interrupted by a signal
    rc=0
    wait "$child" || rc=$?
  done
  trap - INT TERM
  if ((rc == 124)); then
    echo "e2e: the suite hit its time limit of ${E2E_TIMEOUT:-600}s" >&2
  fi
  exit "$rc"
}

outer_cleanup() {
  local tmp=$1
  if [[ ${E2E_KEEP:-0} == 1 ]]; then
    echo "e2e: kept $tmp (logs in $tmp/logs)" >&2
  else
    rm -rf "$tmp"
  fi
}

# ---------------------------------------------------------------------------
# Inner part: runs inside the private mount (+network) namespace.
# ---------------------------------------------------------------------------
inner_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((!SUMMARY_DONE)); then # set -e stopped the suite somewhere unexpected
    fail e2e "aborted with status $rc before all checks ran (see the logs; E2E_KEEP=1 keeps them)"
    summary || true
    ((rc)) || rc=1
  fi
  stop_all
  exit "$rc"
}

interrupted() {
  trap - INT TERM
  fail e2e "interrupted (suite time limit E2E_TIMEOUT or a signal)"
  summary || true
  SUMMARY_DONE=1
  exit "$1"
}

setup_env() {
  # Start from a clean slate: nothing from the caller's AWS, docker, podman,
  # proxy or TLS settings may leak into the clients or the helper.
  local v
  for v in $(compgen -e); do
    case $v in
      AWS_* | DOCKER_* | REGISTRY_* | CONTAINERS_* | CONTAINERD_* | NERDCTL_* | BUILDKIT_* | SSL_CERT_* | XDG_* | \
        http_proxy | https_proxy | no_proxy | HTTP_PROXY | HTTPS_PROXY | NO_PROXY | ALL_PROXY | all_proxy)
        unset "$v" ;;
    esac
  done
  export HOME=$T/home TMPDIR=$T/tmp XDG_RUNTIME_DIR=$T/run XDG_CONFIG_HOME=$T/home/.config
  mkdir -p "$HOME" "$TMPDIR" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME"
  chmod 700 "$XDG_RUNTIME_DIR"
  export PATH=$BIN:$PATH

  # Helper environment, exported so every client passes it to the helper.
  export AWS_ACCESS_KEY_ID=AKIDE2EEXAMPLE000000
  export AWS_SECRET_ACCESS_KEY=e2e-dummy-secret-access-key
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true
  export AWS_CONFIG_FILE=$T/aws/config AWS_SHARED_CREDENTIALS_FILE=$T/aws/credentials
  mkdir -p "$T/aws" && : >"$AWS_CONFIG_FILE" && : >"$AWS_SHARED_CREDENTIALS_FILE"
  export AWS_ECR_CACHE_DIR=$T/cache
  mkdir -m 700 "$AWS_ECR_CACHE_DIR"
  if [[ -n ${E2E_HELPER_LOG_LEVEL:-} ]]; then export AWS_ECR_LOG_LEVEL=$E2E_HELPER_LOG_LEVEL; fi

  # One docker config for every client that reads credHelpers.
  export DOCKER_CONFIG=$T/docker
  mkdir -p "$DOCKER_CONFIG"
  jq -n --arg h1 "$H1" --arg h2 "$H2" --arg hp "$HP" \
    '{credHelpers: {($h1): "ecr-login", ($h2): "ecr-login", ($hp): "ecr-login"}}' >"$DOCKER_CONFIG/config.json"
  # containers-auth.json(5) understands the same credHelpers map.
  AUTHFILE=$DOCKER_CONFIG/config.json
}

# point_aws_at URL: every AWS endpoint the helper could use goes to URL.
point_aws_at() {
  export AWS_ENDPOINT_URL=$1 AWS_ENDPOINT_URL_ECR=$1 AWS_ENDPOINT_URL_ECR_PUBLIC=$1 AWS_ENDPOINT_URL_STS=$1
}

setup_mounts() {
  if [[ $E2E_IN_NETNS == 1 ]]; then
    ip link set lo up || { fail setup "cannot bring up lo in the network namespace"; return 1; }
  fi
  cat >"$T/hosts" <<EOF
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
127.0.0.1 $H1 $H2 $HP
EOF
  mount --bind "$T/hosts" /etc/hosts || { fail setup "cannot bind-mount $T/hosts on /etc/hosts"; return 1; }
  # skopeo (containers/image as root) keeps a blob-info cache in the fixed path
  # /var/lib/containers/cache, with no flag or variable to move it: give it a
  # private directory so nothing is written outside $T.
  if ! { mkdir -p /var/lib/containers/cache "$T/containers-cache" &&
    mount --bind "$T/containers-cache" /var/lib/containers/cache; }; then
    fail setup "cannot bind-mount a private /var/lib/containers/cache"
    return 1
  fi
  local h
  for h in "$H1" "$H2" "$HP"; do
    # (not ahostsv4: in a fresh network namespace AI_ADDRCONFIG hides 127.0.0.1)
    if [[ $(getent hosts "$h" | awk 'NR==1{print $1}') != 127.0.0.1 ]]; then
      fail setup "$h does not resolve to 127.0.0.1 after bind-mounting /etc/hosts"
      return 1
    fi
  done
}

setup_tls() {
  local d=$T/tls
  mkdir -p "$d"
  {
    openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
      -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 -subj "/CN=ecr-login e2e throw-away CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
      -keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=$H1"
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" \
      "subjectAltName=DNS:$H1,DNS:$H2,DNS:$HP,DNS:localhost,IP:127.0.0.1" >"$d/server.ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
      -out "$d/server.crt" -days 2 -extfile "$d/server.ext"
  } >>"$LOGDIR/tls.log" 2>&1 || { fail setup "openssl: $(why tls)" tls; return 1; }
  CA=$d/ca.crt
  if ! openssl verify -CAfile "$CA" "$d/server.crt" >>"$LOGDIR/tls.log" 2>&1; then
    fail setup "the server certificate does not verify against the throw-away CA" tls
    return 1
  fi
  # crane (and any Go client given SSL_CERT_FILE): system roots + our CA.
  BUNDLE=$d/bundle.pem
  cat /etc/ssl/certs/ca-certificates.crt "$CA" >"$BUNDLE" 2>/dev/null || cp "$CA" "$BUNDLE"
  # skopeo/podman: a --cert-dir holding only the CA.
  CERTDIR=$T/certs
  mkdir -p "$CERTDIR" && cp "$CA" "$CERTDIR/ca.crt"
  # containerd/nerdctl: hosts.toml per registry host.
  local h
  for h in "$H1" "$H2" "$HP"; do
    mkdir -p "$T/hosts.d/$h"
    cat >"$T/hosts.d/$h/hosts.toml" <<EOF
server = "https://$h"

[host."https://$h"]
  capabilities = ["pull", "resolve"]
  ca = "$CA"
EOF
  done
}

start_fake_ecr() {
  PASSWORD=$(openssl rand -hex 16)
  local ready=$T/fake-ecr.url
  start_bg fake-ecr "$BIN/fake-ecr" -listen 127.0.0.1:0 -password "$PASSWORD" -lifetime 12h \
    -account 123456789012 -ready-file "$ready"
  local pid=$BG_PID
  if ! wait_until "$pid" 600 0.1 test -s "$ready"; then
    fail setup "fake-ecr did not become ready (no URL in -ready-file within 60s)" fake-ecr
    return 1
  fi
  FAKE=$(<"$ready")
  if ! wait_until "$pid" 300 0.1 curl -fsS "$FAKE/_fake/calls"; then
    fail setup "fake-ecr at $FAKE does not answer /_fake/calls" fake-ecr
    return 1
  fi
  point_aws_at "$FAKE"
}

start_registry() {
  local d=$T/registry
  mkdir -p "$d/data"
  htpasswd -Bbn AWS "$PASSWORD" >"$d/htpasswd" || { fail setup "htpasswd -B failed"; return 1; }
  cat >"$d/config.yml" <<EOF
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $d/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:443
  secret: $(openssl rand -hex 16)
  tls:
    certificate: $T/tls/server.crt
    key: $T/tls/server.key
auth:
  htpasswd:
    realm: ecr-e2e
    path: $d/htpasswd
EOF
  if [[ $E2E_IN_NETNS != 1 && -n $(ss -Hltn 'sport = :443' 2>/dev/null) ]]; then
    fail setup "127.0.0.1:443 is taken and no network namespace is available"
    return 1
  fi
  start_bg registry docker-registry serve "$d/config.yml"
  if ! wait_until "$BG_PID" 300 0.2 registry_answers "$H1"; then
    fail setup "docker-registry did not come up on https://$H1:443 within 60s" registry
    return 1
  fi
}

# registry_answers HOST: the registry answers /v2/ over TLS trusted via our CA.
registry_answers() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$CA" "https://$1/v2/") || true
  [[ $code == 401 || $code == 200 ]]
}

http_code() { # HOST [curl args...]
  local h=$1
  shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$CA" "$@" "https://$h/v2/" || true
}

# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------
check_registry_auth() {
  local name=registry-auth h code
  for h in "$H1" "$H2" "$HP"; do
    code=$(http_code "$h")
    [[ $code == 401 ]] || { fail $name "anonymous GET https://$h/v2/ answered $code, want 401"; return; }
  done
  code=$(http_code "$H1" -u "AWS:$PASSWORD")
  [[ $code == 200 ]] || { fail $name "GET /v2/ as AWS:<password> answered $code, want 200" registry; return; }
  code=$(http_code "$H1" -u "AWS:wrong-$PASSWORD")
  [[ $code == 401 ]] || { fail $name "GET /v2/ with a wrong password answered $code, want 401"; return; }
  pass $name
}

# crane_push_pull NAME REF: pushes a new random image to REF with crane, pulls
# it back as an OCI layout and compares digests. Sets DIGEST.
crane_push_pull() {
  local name=$1 ref=$2 layer out pushed remote pulled
  layer=$T/layers/$name.tar
  mkdir -p "$T/layers" && random_layer "$layer"
  out=$(capture "$name" env SSL_CERT_FILE="$BUNDLE" crane append -f "$layer" -t "$ref") \
    || { fail "$name" "crane append (push) failed: $(why "$name")" "$name"; return 1; }
  echo "$out" >>"$LOGDIR/$name.log"
  pushed=${out##*@}
  remote=$(capture "$name" env SSL_CERT_FILE="$BUNDLE" crane digest "$ref") \
    || { fail "$name" "crane digest failed: $(why "$name")" "$name"; return 1; }
  rm -rf "$T/pulled/$name"
  run "$name" env SSL_CERT_FILE="$BUNDLE" crane pull --format oci "$ref" "$T/pulled/$name" \
    || { fail "$name" "crane pull failed: $(why "$name")" "$name"; return 1; }
  pulled=$(jq -r '.manifests[0].digest' "$T/pulled/$name/index.json" 2>/dev/null || true)
  if [[ $pushed != sha256:* || $remote != "$pushed" || $pulled != "$pushed" ]]; then
    fail "$name" "digests differ: pushed=$pushed registry=$remote pulled=$pulled" "$name"
    return 1
  fi
  DIGEST=$pushed
}

TAG=t$(date +%s)-$RANDOM
D1="" D2="" DP=""

# One registry serves all three host names, so every host gets its own
# repository name (the host part is not part of the registry's storage key).
check_crane() {
  if ! need crane-account1 crane; then
    need crane-account2 crane || true
    need crane-public crane || true
    CRANE_MISSING=1
    return 0
  fi
  if crane_push_pull crane-account1 "$H1/e2e/acct1:$TAG"; then D1=$DIGEST; pass crane-account1; fi
  if crane_push_pull crane-account2 "$H2/e2e/acct2:$TAG"; then D2=$DIGEST; pass crane-account2; fi
  if crane_push_pull crane-public "$HP/e2e/public:$TAG"; then DP=$DIGEST; pass crane-public; fi
}

SKOPEO_POLICY=""
containers_setup() {
  mkdir -p "$T/containers"
  SKOPEO_POLICY=$T/containers/policy.json
  echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$SKOPEO_POLICY"
  # Default credential lookup (auth files only): used with --authfile.
  printf '%s\n' 'unqualified-search-registries = []' >"$T/containers/registries.conf"
  # Credential helper configured in registries.conf instead of an auth file.
  printf '%s\n' 'unqualified-search-registries = []' 'credential-helpers = ["ecr-login"]' \
    >"$T/containers/registries-credhelper.conf"
  # Negative control: auth files only, and the auth file is empty.
  printf '%s\n' 'unqualified-search-registries = []' 'credential-helpers = ["containers-auth.json"]' \
    >"$T/containers/registries-authfile-only.conf"
  echo '{"auths":{}}' >"$T/containers/empty-auth.json"
  printf '[storage]\ndriver = "vfs"\nrunroot = "%s"\ngraphroot = "%s"\n' \
    "$T/podman/runroot" "$T/podman/root" >"$T/containers/storage.conf"
  : >"$T/containers/containers.conf"
}

# needs_image CHECK DIGEST: the check depends on an image pushed by crane.
# Without crane (already reported) it is skipped; if crane failed, it fails.
CRANE_MISSING=0
needs_image() {
  [[ -n $2 ]] && return 0
  if ((CRANE_MISSING)); then
    skip "$1" "needs the image that crane pushes, and crane is not installed"
  else
    fail "$1" "no image to pull: the crane push it depends on did not pass"
  fi
  return 1
}

# skopeo_inspect_more NAME: skopeo inspect --authfile of the second account's
# and the ECR Public images, when crane pushed them.
skopeo_inspect_more() {
  local name=$1 ref want dig
  for ref in "$H2/e2e/acct2:$TAG=$D2" "$HP/e2e/public:$TAG=$DP"; do
    want=${ref#*=}
    ref=${ref%=*}
    [[ -n $want ]] || continue
    dig=$(capture "$name" skopeo --registries-conf "$T/containers/registries.conf" --policy "$SKOPEO_POLICY" \
      inspect --authfile "$AUTHFILE" --cert-dir "$CERTDIR" "docker://$ref" | jq -r .Digest) || dig=""
    if [[ $dig != "$want" ]]; then
      fail "$name" "skopeo inspect --authfile $ref: digest '$dig', want $want" "$name"
      return 1
    fi
  done
}

check_skopeo() {
  local name=skopeo-authfile ref=$H1/e2e/acct1:$TAG dig
  if need $name skopeo && needs_image $name "$D1"; then
    dig=$(capture $name skopeo --registries-conf "$T/containers/registries.conf" --policy "$SKOPEO_POLICY" \
      inspect --authfile "$AUTHFILE" --cert-dir "$CERTDIR" "docker://$ref" | jq -r .Digest) || dig=""
    if [[ $dig != "$D1" ]]; then
      fail $name "skopeo inspect --authfile: digest '$dig', want $D1" $name
    elif ! run $name skopeo --registries-conf "$T/containers/registries.conf" --policy "$SKOPEO_POLICY" \
      copy --authfile "$AUTHFILE" --src-cert-dir "$CERTDIR" "docker://$ref" "dir:$T/skopeo-copy"; then
      fail $name "skopeo copy --authfile failed: $(why $name)" $name
    elif [[ sha256:$(sha256sum <"$T/skopeo-copy/manifest.json" | cut -d' ' -f1) != "$D1" ]]; then
      fail $name "skopeo copy: manifest.json digest differs from $D1" $name
    elif ! skopeo_inspect_more $name; then
      :
    else
      pass $name
    fi
  fi

  # Same, but the helper is named in registries.conf (credential-helpers,
  # containers-registries.conf(5) of Debian 12's containers/image has it) and
  # no auth file or docker config holds anything.
  name=skopeo-registries-conf
  if need $name skopeo && needs_image $name "$D2"; then
    ref=$H2/e2e/acct2:$TAG
    # Whole man page into a variable first: `zcat | grep -q` under pipefail
    # fails when grep quits early and zcat dies of SIGPIPE.
    local man
    man=$(zcat /usr/share/man/man5/containers-registries.conf.5.gz 2>/dev/null) || man=""
    if [[ $man != *credential-helpers* ]]; then
      skip $name "this containers/image has no credential-helpers in containers-registries.conf(5)"
      return 0
    fi
    # Negative control first: without the helper the registry must refuse.
    if run $name env -u DOCKER_CONFIG REGISTRY_AUTH_FILE="$T/containers/empty-auth.json" \
      skopeo --registries-conf "$T/containers/registries-authfile-only.conf" --policy "$SKOPEO_POLICY" \
      inspect --cert-dir "$CERTDIR" "docker://$ref"; then
      fail $name "control without credential helper unexpectedly got access to $ref" $name
      return 0
    fi
    dig=$(capture $name env -u DOCKER_CONFIG REGISTRY_AUTH_FILE="$T/containers/empty-auth.json" \
      skopeo --registries-conf "$T/containers/registries-credhelper.conf" --policy "$SKOPEO_POLICY" \
      inspect --cert-dir "$CERTDIR" "docker://$ref" | jq -r .Digest) || dig=""
    if [[ $dig == "$D2" ]]; then
      pass $name
    else
      fail $name "skopeo inspect with credential-helpers=[\"ecr-login\"]: digest '$dig', want $D2" $name
    fi
  fi
}

check_podman() {
  local name=podman-authfile ref=$H1/e2e/acct1:$TAG dig
  need $name podman || return 0
  needs_image $name "$D1" || return 0
  mkdir -p "$T/podman/root" "$T/podman/runroot" "$T/podman/tmp"
  local podman=(env CONTAINERS_CONF="$T/containers/containers.conf"
    CONTAINERS_STORAGE_CONF="$T/containers/storage.conf"
    CONTAINERS_REGISTRIES_CONF="$T/containers/registries.conf"
    podman --root "$T/podman/root" --runroot "$T/podman/runroot" --tmpdir "$T/podman/tmp"
    --storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
  if ! run $name "${podman[@]}" pull --authfile "$AUTHFILE" --cert-dir "$CERTDIR" "$ref"; then
    fail $name "podman pull failed: $(why $name)" $name
    return 0
  fi
  dig=$(capture $name "${podman[@]}" image inspect --format '{{.Digest}}' "$ref") || dig=""
  if [[ $dig == "$D1" ]]; then
    pass $name
  else
    fail $name "podman image digest '$dig', want $D1" $name
  fi
}

check_nerdctl() {
  local name=nerdctl-containerd ref=$H2/e2e/acct2:$TAG d=$T/containerd
  need $name containerd nerdctl || return 0
  needs_image $name "$D2" || return 0
  mkdir -p "$d" "$T/nerdctl/data"
  : >"$T/nerdctl/nerdctl.toml"
  cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
# CRI and the snapshotters that probe the host are not needed for pulls.
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.overlayfs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$d/c.sock"

[ttrpc]
  address = "$d/c.sock.ttrpc"

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$d/opt"
EOF
  start_bg containerd containerd --config "$d/config.toml" --log-level info
  local nerdctl=(env NERDCTL_TOML="$T/nerdctl/nerdctl.toml" nerdctl --address "unix://$d/c.sock" --namespace e2e
    --snapshotter native --data-root "$T/nerdctl/data" --hosts-dir "$T/hosts.d")
  if ! wait_until "$BG_PID" 300 0.2 "${nerdctl[@]}" version; then
    fail $name "containerd did not answer on $d/c.sock within 60s" containerd
    return 0
  fi
  if ! run $name "${nerdctl[@]}" pull "$ref"; then
    fail $name "nerdctl pull failed: $(why $name)" $name
    return 0
  fi
  local dig
  dig=$(capture $name "${nerdctl[@]}" image inspect --format '{{index .RepoDigests 0}}' "$ref") || dig=""
  if [[ ${dig##*@} == "$D2" ]]; then
    pass $name
  else
    fail $name "nerdctl image repo digest '$dig', want …@$D2" $name
  fi
}

check_docker_cli() {
  local name=docker-cli sock=$T/docker.sock rec=$T/docker-pulls.jsonl h n
  need $name docker || return 0
  if [[ -z $FAKEDOCKERD ]]; then
    fail $name "e2e/fakedockerd did not build" build
    return 0
  fi
  start_bg fakedockerd "$FAKEDOCKERD" -socket "$sock" -record "$rec"
  if ! wait_until "$BG_PID" 300 0.1 curl -fsS --max-time 2 --unix-socket "$sock" http://docker/_ping; then
    fail $name "fakedockerd did not answer /_ping on $sock within 30s" fakedockerd
    return 0
  fi
  for h in "$H1" "$H2" "$HP"; do
    if ! run $name env DOCKER_HOST="unix://$sock" docker pull "$h/e2e/docker:$TAG"; then
      fail $name "docker pull $h/e2e/docker:$TAG failed: $(why $name)" $name
      return 0
    fi
    n=$(jq -c --arg img "$h/e2e/docker" --arg tag "$TAG" --arg pw "$PASSWORD" --arg h "$h" \
      'select(.fromImage == $img and .tag == $tag and .username == "AWS" and .password == $pw and .serveraddress == $h)' \
      "$rec" 2>/dev/null | wc -l)
    if ((n != 1)); then
      local got
      got=$(jq -c --arg img "$h/e2e/docker" --arg p "$PASSWORD" \
        'select(.fromImage == $img) | .password |= (if . == $p then "<P>" elif . == "" then "" else "<other>" end)' \
        "$rec" 2>/dev/null | tail -n 1)
      fail $name "docker pull $h/e2e/docker: X-Registry-Auth is not {username AWS, password P, serveraddress $h}; recorded: ${got:-nothing}" fakedockerd
      return 0
    fi
  done
  pass $name
}

# fake_calls: fake-ecr's GetAuthorizationToken call count so far.
fake_calls() {
  curl -fsS --max-time 5 "$FAKE/_fake/calls" 2>/dev/null | jq -er .calls 2>/dev/null
}

# sim LOG ARGS...: runs kubeletsim ARGS... the way kubelet would run: with
# none of the suite's AWS_* settings in its environment, so the provider gets
# them only from the env: list of the CredentialProviderConfig. Its stdout and
# stderr go to the log and into SIM_OUT.
SIM_OUT=""
sim() {
  local log=$LOGDIR/$1.log rc=0
  shift
  printf '+ kubeletsim %s\n' "$*" >>"$log"
  SIM_OUT=$(timeout -k 5 "$CMD_TIMEOUT" env -i PATH="$PATH" HOME="$HOME" TMPDIR="$TMPDIR" \
    "$KUBELETSIM" "$@" 2>&1 </dev/null) || rc=$?
  printf '%s\n' "$SIM_OUT" >>"$log"
  return "$rc"
}

# kubelet_provider_config FILE CACHE: a kubelet CredentialProviderConfig from
# `configure kubelet`, with an env: list pointing the provider at fake-ecr.
# Falls back to a minimal hand-written one (and says so in the log) when the
# subcommand is missing or prints something else. Sets KCFG_SOURCE.
kubelet_provider_config() {
  local cfg=$1 cache=$2 log=$LOGDIR/kubelet-cri-provider.log
  if capture kubelet-cri-provider "$BIN/$HELPER" configure kubelet >"$cfg" &&
    grep -q '^kind: CredentialProviderConfig' "$cfg" &&
    grep -q '^    apiVersion: credentialprovider.kubelet.k8s.io/v1$' "$cfg" &&
    grep -q '"\*\.dkr\.ecr\.\*\.amazonaws\.com"' "$cfg"; then
    KCFG_SOURCE="$HELPER configure kubelet"
  else
    echo "note: '$HELPER configure kubelet' failed or printed no usable config; using a minimal one" >>"$log"
    KCFG_SOURCE="a minimal hand-written config (configure kubelet unusable)"
    cat >"$cfg" <<'EOF'
apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: ecr-credential-provider
    matchImages:
      - "*.dkr.ecr.*.amazonaws.com"
      - "public.ecr.aws"
    defaultCacheDuration: "12h"
    apiVersion: credentialprovider.kubelet.k8s.io/v1
EOF
  fi
  # The provider is the last (only) list item: its env: goes at the end.
  {
    echo "    env:"
    local kv
    for kv in "AWS_ENDPOINT_URL_ECR=$FAKE" "AWS_ECR_CACHE_DIR=$cache" \
      "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID" "AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY" \
      "AWS_EC2_METADATA_DISABLED=true" "AWS_CONFIG_FILE=$AWS_CONFIG_FILE" \
      "AWS_SHARED_CREDENTIALS_FILE=$AWS_SHARED_CREDENTIALS_FILE" \
      ${AWS_ECR_LOG_LEVEL:+"AWS_ECR_LOG_LEVEL=$AWS_ECR_LOG_LEVEL"}; do
      printf '      - name: %s\n        value: "%s"\n' "${kv%%=*}" "${kv#*=}"
    done
  } >>"$cfg"
  printf -- '--- %s (from %s):\n' "$cfg" "$KCFG_SOURCE" >>"$log"
  cat "$cfg" >>"$log"
}

# kubelet-cri-provider: ecr-credential-provider run by a kubelet stand-in,
# its token used by a real containerd through CRI (a second containerd with
# the CRI plugin on, its own root, state and socket).
check_kubelet_cri() {
  local name=kubelet-cri-provider d=$T/cri ref1=$H1/e2e/acct1:$TAG ref2=$H2/e2e/acct2:$TAG
  need $name containerd ctr || return 0
  needs_image $name "${D1:+$D2}" || return 0
  if [[ -z $KUBELETSIM ]]; then
    fail $name "e2e/kubeletsim did not build" build
    return 0
  fi
  if [[ ! -x $BIN/ecr-credential-provider ]]; then
    fail $name "missing $BIN/ecr-credential-provider (run make build)"
    return 0
  fi
  mkdir -p "$d/cni/conf" "$d/cni/bin" "$d/opt"
  cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
# Only what CRI image pulls need: the CRI plugin and the native snapshotter.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.overlayfs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$d/c.sock"

[ttrpc]
  address = "$d/c.sock.ttrpc"

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$d/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.6"
    disable_apparmor = true
    enable_selinux = false
    restrict_oom_score_adj = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "native"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "$d/cni/bin"
      conf_dir = "$d/cni/conf"
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "$T/hosts.d"
EOF
  start_bg containerd-cri containerd --config "$d/config.toml" --log-level info
  local cri=unix://$d/c.sock
  if ! wait_until "$BG_PID" 300 0.2 "$KUBELETSIM" -cri "$cri" -ping -timeout 2s; then
    fail $name "containerd's CRI did not answer on $d/c.sock within 60s" containerd-cri
    return 0
  fi
  run $name "$KUBELETSIM" -cri "$cri" -ping -timeout 5s || true
  KUBELET_CRI=$cri # for check_kubelet_pod_identity (e2e/pod.sh)

  local cfg=$T/kubelet/credential-provider-config.yaml cache=$T/cache-kubelet
  mkdir -p "$T/kubelet" && mkdir -m 700 "$cache"
  kubelet_provider_config "$cfg" "$cache"
  local kubelet=(-cri "$cri" -config "$cfg" -bin-dir "$BIN" -verify)

  # (a) Without the provider containerd pulls anonymously: the registry says no.
  if sim $name -cri "$cri" -no-provider -image "$ref1"; then
    fail $name "anonymous CRI pull of $ref1 succeeded: the registry does not check auth" $name
    return 0
  fi
  if ! grep -qiE '401|unauthorized' <<<"$SIM_OUT"; then
    fail $name "anonymous CRI pull of $ref1 failed, but not with 401/unauthorized: $(tail -n 1 <<<"$SIM_OUT" | cut -c1-200)" $name
    return 0
  fi

  # (b) With the provider (fresh token cache: one GetAuthorizationToken call).
  local c0 c1 c2
  c0=$(fake_calls) || { fail $name "cannot read $FAKE/_fake/calls"; return 0; }
  if ! sim $name "${kubelet[@]}" -image "$ref1"; then
    fail $name "pull of $ref1 through CRI with the provider (config from $KCFG_SOURCE) failed: $(tail -n 1 <<<"$SIM_OUT" | cut -c1-200)" $name
    return 0
  fi
  if ! grep -q "^verified $ref1 .*repoDigests=.*@$D1" <<<"$SIM_OUT"; then
    fail $name "CRI ImageStatus of $ref1 does not show digest $D1" $name
    return 0
  fi
  # Output into a variable first: `ctr | grep -q` under pipefail fails when
  # grep quits at the first match and ctr dies of SIGPIPE.
  local listed
  listed=$(capture $name ctr --address "$d/c.sock" -n k8s.io images ls -q) || listed=""
  if ! grep -qxF "$ref1" <<<"$listed"; then
    printf 'ctr images ls -q:\n%s\n' "$listed" >>"$LOGDIR/$name.log"
    fail $name "ctr -n k8s.io images ls does not list $ref1 after the CRI pull" $name
    return 0
  fi
  c1=$(fake_calls) || c1=""
  if [[ $c1 != $((c0 + 1)) ]]; then
    fail $name "fake-ecr calls went from $c0 to ${c1:-?} for the first provider run with an empty cache; want exactly 1 more" $name
    return 0
  fi

  # (c) Second account, same region: served from the provider's shared cache.
  if ! sim $name "${kubelet[@]}" -image "$ref2"; then
    fail $name "pull of $ref2 through CRI with the provider failed: $(tail -n 1 <<<"$SIM_OUT" | cut -c1-200)" $name
    return 0
  fi
  if ! grep -q "^verified $ref2 .*repoDigests=.*@$D2" <<<"$SIM_OUT"; then
    fail $name "CRI ImageStatus of $ref2 does not show digest $D2" $name
    return 0
  fi
  c2=$(fake_calls) || c2=""
  if [[ $c2 != "$c1" ]]; then
    fail $name "the provider called fake-ecr again for $H2 (calls $c1 -> ${c2:-?}); want the cached same-region token" $name
    return 0
  fi
  pass $name
}

check_single_call() {
  local name=single-api-call ref=$H1/e2e/once:$TAG cache=$T/cache-once calls dig
  need $name crane skopeo || return 0
  mkdir -m 700 "$cache"
  if ! curl -fsS -X POST "$FAKE/_fake/reset" >>"$LOGDIR/$name.log" 2>&1; then
    fail $name "POST $FAKE/_fake/reset failed" $name
    return 0
  fi
  local layer=$T/layers/once.tar once=(env AWS_ECR_CACHE_DIR="$cache")
  random_layer "$layer"
  if ! dig=$(capture $name "${once[@]}" SSL_CERT_FILE="$BUNDLE" crane append -f "$layer" -t "$ref"); then
    fail $name "crane append failed: $(why $name)" $name
    return 0
  fi
  dig=${dig##*@}
  if ! run $name "${once[@]}" SSL_CERT_FILE="$BUNDLE" crane pull --format oci "$ref" "$T/pulled/once"; then
    fail $name "crane pull failed: $(why $name)" $name
    return 0
  fi
  local sdig
  sdig=$(capture $name "${once[@]}" skopeo --registries-conf "$T/containers/registries.conf" --policy "$SKOPEO_POLICY" \
    inspect --authfile "$AUTHFILE" --cert-dir "$CERTDIR" "docker://$ref" | jq -r .Digest) || sdig=""
  if [[ $sdig != "$dig" ]]; then
    fail $name "skopeo inspect digest '$sdig', want $dig" $name
    return 0
  fi
  calls=$(curl -fsS "$FAKE/_fake/calls" 2>>"$LOGDIR/$name.log") || calls=""
  echo "calls: $calls" >>"$LOGDIR/$name.log"
  if [[ $(jq -r .calls <<<"$calls" 2>/dev/null) == 1 ]]; then
    pass $name
  else
    fail $name "fake-ecr saw $(jq -r '"\(.calls) GetAuthorizationToken call(s), \(.throttled) throttled"' <<<"$calls" 2>/dev/null || echo "'$calls'") for crane push + crane pull + skopeo inspect sharing one cache; want exactly 1"
  fi
}

check_moto() {
  local name=moto-helper port url out i
  if [[ -z $MOTO ]]; then
    need $name moto_server || return 0
    MOTO=$(command -v moto_server)
  fi
  port=$(free_port) || { fail $name "no free port"; return 0; }
  url=http://127.0.0.1:$port
  start_bg moto "$MOTO" -H 127.0.0.1 -p "$port"
  if ! wait_until "$BG_PID" 240 0.25 curl -fsS -o /dev/null --max-time 2 "$url/moto-api/"; then
    fail $name "moto_server did not answer on $url within 60s" moto
    return 0
  fi
  mkdir -m 700 "$T/cache-moto"
  for i in 1 2; do
    out=$(printf '%s' "$H1" | env AWS_ENDPOINT_URL="$url" AWS_ENDPOINT_URL_ECR="$url" AWS_ENDPOINT_URL_ECR_PUBLIC="$url" \
      AWS_ENDPOINT_URL_STS="$url" AWS_ECR_CACHE_DIR="$T/cache-moto" \
      timeout -k 5 "$CMD_TIMEOUT" "$HELPER" get 2>>"$LOGDIR/$name.log") \
      || { fail $name "get #$i against moto exited non-zero: $(why $name)" $name; return 0; }
    if ! jq -e '.Username == "AWS" and (.Secret | type == "string" and length > 0)' >/dev/null 2>&1 <<<"$out"; then
      fail $name "get #$i against moto printed $(jq -c '.Secret |= (if . then "<redacted>" else . end)' <<<"$out" 2>/dev/null || echo 'non-JSON output'), want Username AWS and a Secret" $name
      return 0
    fi
  done
  # moto's expiresAt is in 2015: the helper must not have cached that token,
  # so each get reached moto (werkzeug logs one line per request).
  local posts=0
  # werkzeug logs a request before it sends the answer, so both lines should
  # be there; poll for up to 10 s anyway in case the log write lags.
  for ((i = 0; i < 100; i++)); do
    posts=$(grep -c '"POST / HTTP' "$LOGDIR/moto.log" || true)
    ((posts >= 2)) && break
    sleep 0.1
  done
  if ((posts != 2)); then
    fail $name "moto served $posts GetAuthorizationToken call(s) for 2 gets; an already-expired token must not be cached" $name
    return 0
  fi
  pass $name
}

# A full file system under the cache directory: get still answers with the
# right password, says on stderr that it could not cache the token, and leaves
# no partial cache file or temp file behind. The tmpfs lives in the suite's
# private mount namespace.
check_full_filesystem() {
  local name=full-filesystem mnt out rc c0 c1 i
  local errf=$T/$name.stderr
  if [[ $(id -u) -ne 0 ]]; then
    skip $name "needs root (mounts a tmpfs)"
    return 0
  fi
  mnt=$(mktemp -d "$T/fullfs.XXXXXX")
  if ! run $name mount -t tmpfs -o size=64k,mode=0700 tmpfs "$mnt"; then
    fail $name "cannot mount a 64k tmpfs at $mnt: $(why $name)" $name
    return 0
  fi
  # Fill it: dd stops at ENOSPC.
  run $name dd if=/dev/zero of="$mnt/fill" bs=4k || true
  if printf x 2>/dev/null >"$mnt/probe"; then
    fail $name "the tmpfs at $mnt still takes data after dd filled it" $name
    umount "$mnt" 2>/dev/null || true
    return 0
  fi
  rm -f "$mnt/probe"
  c0=$(fake_calls) || { fail $name "cannot read $FAKE/_fake/calls"; umount "$mnt" 2>/dev/null || true; return 0; }
  for i in 1 2; do
    rc=0
    out=$(printf '%s' "$H1" | env AWS_ECR_CACHE_DIR="$mnt" timeout -k 5 "$CMD_TIMEOUT" "$HELPER" get 2>"$errf") || rc=$?
    { printf '+ get #%d on a full file system: exit %d\n' "$i" "$rc"; cat "$errf"; } >>"$LOGDIR/$name.log"
    if ((rc != 0)); then
      fail $name "get #$i with a full cache file system exited $rc: $(why $name)" $name
      umount "$mnt" 2>/dev/null || true
      return 0
    fi
    if ! jq -e --arg p "$PASSWORD" '.Username == "AWS" and .Secret == $p' >/dev/null 2>&1 <<<"$out"; then
      fail $name "get #$i printed $(jq -c '.Secret |= "<redacted>"' <<<"$out" 2>/dev/null || echo 'non-JSON output'), want Username AWS and the fake's password" $name
      umount "$mnt" 2>/dev/null || true
      return 0
    fi
    if ! grep -q 'could not save the token in the cache' "$errf" || ! grep -q 'no space left on device' "$errf"; then
      fail $name "get #$i did not say on stderr that it could not cache the token (no space left on device)" $name
      umount "$mnt" 2>/dev/null || true
      return 0
    fi
  done
  c1=$(fake_calls) || c1=""
  local left
  left=$(find "$mnt" -mindepth 1 \( -name '*.tmp' -o -name 'ecr-login-cache.json' \) -printf '%f ' 2>/dev/null)
  ls -la "$mnt" >>"$LOGDIR/$name.log" 2>&1 || true
  umount "$mnt" 2>/dev/null || true
  if [[ -n $left ]]; then
    fail $name "a failed cache write left $left behind" $name
    return 0
  fi
  if [[ $c1 != $((c0 + 2)) ]]; then
    fail $name "fake-ecr calls went $c0 -> ${c1:-?} for two gets; with nothing cached each must ask ECR" $name
    return 0
  fi
  pass $name
}

SUMMARY_DONE=0
inner() {
  T=$E2E_TMP
  BIN=$E2E_BIN
  FAKEDOCKERD=$E2E_FAKEDOCKERD
  KUBELETSIM=$E2E_KUBELETSIM
  MOTO=$E2E_MOTO
  export LOGDIR=$T/logs
  trap inner_cleanup EXIT
  trap 'interrupted 130' INT
  trap 'interrupted 143' TERM

  echo "e2e: temp dir $T, network namespace: $([[ $E2E_IN_NETNS == 1 ]] && echo yes || echo no)"
  setup_env
  if setup_mounts && setup_tls && start_fake_ecr && start_registry; then
    clock_reset # per-check times start here, not at the setup
    containers_setup
    check_registry_auth
    check_crane
    check_skopeo
    check_podman
    check_nerdctl
    check_docker_cli
    check_more_clients
    check_kubelet_cri
    check_kubelet_pod_identity
    check_single_call
    check_full_filesystem
    check_moto
  fi
  local rc=0
  summary || rc=1
  SUMMARY_DONE=1
  return "$rc"
}

if [[ ${1:-} == --inner ]]; then
  inner
else
  outer
fi
