#!/usr/bin/env bash
# peers.sh builds the two programs ecr-login replaces, at the versions it is a
# drop-in for, so that `make bench` can measure against them side by side:
#   - awslabs/amazon-ecr-credential-helper v0.12.0 (docker-credential-ecr-login)
#   - kubernetes/cloud-provider-aws v1.37.1 (ecr-credential-provider)
# into ${PEERS_DIR:-/tmp/ecr-login-peers}/<name>-<version>/, never into the
# repository. A peer already built at its pinned version is not rebuilt.
# Prints two lines, NAME=PATH, for the Makefile and e2e/bench:
#   AWSLABS_HELPER=/tmp/ecr-login-peers/awslabs-v0.12.0/docker-credential-ecr-login
#   CPA_PROVIDER=/tmp/ecr-login-peers/cloud-provider-aws-v1.37.1/ecr-credential-provider
# Build output goes to stderr. Needs Go and the Go module proxy.
set -euo pipefail

AWSLABS_VERSION=v0.12.0
CPA_VERSION=v1.37.1
PEERS_DIR=${PEERS_DIR:-/tmp/ecr-login-peers}
GO=${GO:-go}

log() { echo "peers: $*" >&2; }

# Temp dirs of a build that fails half-way are removed; a peer is only ever
# moved into place once built.
tmps=()
trap 'rm -rf "${tmps[@]}"' EXIT

mkdir -p "$PEERS_DIR"

# Built like our release binaries (-trimpath, -s -w, no cgo), so that the
# comparison is of the code, not of the build flags.
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -trimpath"

awslabs_dir=$PEERS_DIR/awslabs-$AWSLABS_VERSION
awslabs_bin=$awslabs_dir/docker-credential-ecr-login
if [ ! -x "$awslabs_bin" ]; then
  log "building awslabs/amazon-ecr-credential-helper $AWSLABS_VERSION"
  tmp=$(mktemp -d "$PEERS_DIR/.awslabs.XXXXXX")
  tmps+=("$tmp")
  GOBIN=$tmp "$GO" install -ldflags '-s -w' \
    "github.com/awslabs/amazon-ecr-credential-helper/ecr-login/cli/docker-credential-ecr-login@$AWSLABS_VERSION" >&2
  mkdir -p "$awslabs_dir"
  mv "$tmp/docker-credential-ecr-login" "$awslabs_bin"
fi

cpa_dir=$PEERS_DIR/cloud-provider-aws-$CPA_VERSION
cpa_bin=$cpa_dir/ecr-credential-provider
if [ ! -x "$cpa_bin" ]; then
  log "building kubernetes/cloud-provider-aws $CPA_VERSION ecr-credential-provider"
  # The module has replace directives, so `go install mod@version` refuses it:
  # build from a writable copy of the downloaded module instead.
  src=$(cd "$PEERS_DIR" && GOFLAGS=-mod=mod "$GO" mod download -json "k8s.io/cloud-provider-aws@$CPA_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { log "go mod download gave no directory for k8s.io/cloud-provider-aws@$CPA_VERSION"; exit 1; }
  work=$(mktemp -d "$PEERS_DIR/.cpa.XXXXXX")
  tmps+=("$work")
  cp -R "$src/." "$work/"
  chmod -R u+w "$work"
  (cd "$work" && GOFLAGS="-mod=mod -trimpath" "$GO" build -ldflags '-s -w' -o "$work/ecr-credential-provider" ./cmd/ecr-credential-provider) >&2
  mkdir -p "$cpa_dir"
  mv "$work/ecr-credential-provider" "$cpa_bin"
fi

echo "AWSLABS_HELPER=$awslabs_bin"
echo "CPA_PROVIDER=$cpa_bin"
