#!/usr/bin/env bash
# Installs the client tools that e2e/run.sh drives, on Debian 12, as root.
# Idempotent: anything already present at the pinned version is skipped.
#
#   apt:  docker-registry skopeo podman containerd apache2-utils jq openssl
#         iproute2 util-linux ca-certificates curl
#   apt:  buildah wine64 (e2e/clients.sh; e2e/wine.sh runs the Windows binaries)
#   apt:  rpm unzip (release check), make gcc libc6-dev git (.ci/run itself)
#   go:   crane   (github.com/google/go-containerregistry/cmd/crane, pinned)
#         oras, regctl, helm (pinned go install; e2e/clients.sh)
#         nerdctl (github.com/containerd/nerdctl, built from the module cache:
#                  `go install nerdctl@version` is refused because its go.mod
#                  has replace directives, so the module is downloaded, copied
#                  to a writable temp dir and built there)
#
# Environment: E2E_TOOLS_BIN (default /usr/local/bin) is where crane and
# nerdctl go. The docker CLI comes with the machine image; only if it is
# missing is Debian's docker.io installed for it. moto_server (PyPI moto) is
# not installable here (no PyPI, no Debian package): the image has it.
set -euo pipefail

CRANE_VERSION=v0.22.1
NERDCTL_VERSION=v1.7.7
ORAS_VERSION=v1.3.6
REGCTL_VERSION=v0.11.7
HELM_VERSION=v3.22.0
BIN_DIR=${E2E_TOOLS_BIN:-/usr/local/bin}
APT_PKGS=(docker-registry skopeo podman containerd apache2-utils jq openssl
          iproute2 util-linux ca-certificates curl
          buildah wine64)
APT_PKGS+=(rpm unzip)  # .ci/release-check.sh: rpm -qlp, unzip -Z1
# .ci/run on a fresh Debian 12 with only Go: make for every step, gcc and the
# libc headers (not pulled in without recommends) for make test's -race, git
# for the release scripts' commit.
APT_PKGS+=(make gcc libc6-dev git)

log() { printf '[install-e2e-deps] %s\n' "$*"; }

if [[ $(id -u) -ne 0 ]]; then
  echo "install-e2e-deps: must run as root" >&2
  exit 1
fi

# --- Debian packages ---------------------------------------------------------
apt_updated=0
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if ((!apt_updated)); then
    apt-get update -q
    apt_updated=1
  fi
  # Recommends are not needed (no containers are run, only images pulled) and
  # would pull in e.g. fuse-overlayfs, slirp4netns, buildah.
  apt-get install -y -q --no-install-recommends "$@"
}

missing=()
for p in "${APT_PKGS[@]}"; do
  if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) != "install ok installed" ]]; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  apt_install "${missing[@]}"
else
  log "apt packages already installed"
fi
# The docker CLI normally comes with the machine image (/usr/local/bin/docker).
# Debian 12 has no client-only package, so fall back to docker.io (its daemon
# is neither needed nor started by e2e, which uses e2e/fakedockerd).
if ! command -v docker >/dev/null 2>&1; then
  log "docker CLI missing: apt-get install docker.io"
  apt_install docker.io
fi

# --- Go tools ----------------------------------------------------------------
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  export PATH=$PATH:/usr/local/go/bin
fi
command -v go >/dev/null 2>&1 || { echo "install-e2e-deps: go not found" >&2; exit 1; }
mkdir -p "$BIN_DIR"
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
# Run the go commands outside any module, and without a -mod flag from the
# caller's GOFLAGS (go install pkg@version rejects it).
export GOFLAGS=-buildvcs=false
export GO111MODULE=on

if [[ -x $BIN_DIR/crane && $("$BIN_DIR/crane" version 2>/dev/null || true) == "$CRANE_VERSION" ]]; then
  log "crane $CRANE_VERSION already installed"
else
  log "go install crane@$CRANE_VERSION"
  (cd "$work" && CGO_ENABLED=0 GOBIN="$BIN_DIR" \
    go install "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION")
fi

# go_tool NAME VERSION MODULE-PATH LDFLAGS VERSION-OUTPUT-CMD...: go install
# MODULE-PATH@VERSION into BIN_DIR unless NAME there already reports VERSION.
go_tool() {
  local name=$1 version=$2 pkg=$3 ldflags=$4
  shift 4
  if [[ -x $BIN_DIR/$name && $("$BIN_DIR/$name" "$@" 2>/dev/null || true) == *"${version#v}"* ]]; then
    log "$name $version already installed"
    return 0
  fi
  log "go install $pkg@$version"
  local s=$SECONDS
  (cd "$work" && CGO_ENABLED=0 GOBIN="$BIN_DIR" go install -trimpath -ldflags "-s -w $ldflags" "$pkg@$version")
  log "$name $version installed in $((SECONDS - s))s"
}
go_tool oras "$ORAS_VERSION" oras.land/oras/cmd/oras "" version
go_tool regctl "$REGCTL_VERSION" github.com/regclient/regclient/cmd/regctl "" version --format '{{.VCSTag}}'
# helm's own version string is only "v3.22" unless set at link time.
go_tool helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
  version --template '{{.Version}}'

if [[ -x $BIN_DIR/nerdctl && $("$BIN_DIR/nerdctl" --version 2>/dev/null || true) == "nerdctl version ${NERDCTL_VERSION#v}" ]]; then
  log "nerdctl $NERDCTL_VERSION already installed"
else
  log "building nerdctl $NERDCTL_VERSION from the module cache"
  dir=$(cd "$work" && go mod download -json "github.com/containerd/nerdctl@$NERDCTL_VERSION" | jq -r .Dir)
  [[ -d $dir ]] || { echo "install-e2e-deps: nerdctl module not downloaded" >&2; exit 1; }
  cp -r "$dir" "$work/nerdctl"
  chmod -R u+w "$work/nerdctl"
  (cd "$work/nerdctl" && GOFLAGS="-buildvcs=false -mod=mod" CGO_ENABLED=0 \
    go build -trimpath -o "$work/nerdctl.bin" \
      -ldflags "-s -w -X github.com/containerd/nerdctl/pkg/version.Version=$NERDCTL_VERSION -X github.com/containerd/nerdctl/pkg/version.Revision=module-cache" \
      ./cmd/nerdctl)
  install -m 0755 "$work/nerdctl.bin" "$BIN_DIR/nerdctl"
fi

# --- versions ----------------------------------------------------------------
log "versions:"
{
  echo "docker-registry: $(docker-registry --version 2>&1 | head -n1)"
  echo "skopeo:          $(skopeo --version 2>&1 | head -n1)"
  echo "podman:          $(podman --version 2>&1 | head -n1)"
  echo "containerd:      $(containerd --version 2>&1 | head -n1)"
  echo "crane:           $("$BIN_DIR/crane" version 2>&1 | head -n1)"
  echo "nerdctl:         $("$BIN_DIR/nerdctl" --version 2>&1 | head -n1)"
  echo "oras:            $("$BIN_DIR/oras" version 2>&1 | head -n1)"
  echo "regctl:          $("$BIN_DIR/regctl" version --format '{{.VCSTag}}' 2>&1 | head -n1)"
  echo "helm:            $("$BIN_DIR/helm" version --template '{{.Version}}' 2>&1 | head -n1)"
  echo "buildah:         $(buildah --version 2>&1 | head -n1)"
  echo "wine64:          $(/usr/lib/wine/wine64 --version 2>&1 | head -n1)"
  echo "docker (CLI):    $(docker --version 2>&1 | head -n1 || echo 'not installed')"
  echo "htpasswd:        $(dpkg-query -W -f='apache2-utils ${Version}' apache2-utils 2>&1)"
  echo "openssl:         $(openssl version 2>&1)"
  echo "jq:              $(jq --version 2>&1)"
  echo "curl:            $(curl --version 2>&1 | head -n1)"
  echo "moto_server:     $(command -v moto_server >/dev/null 2>&1 && (pip show moto 2>/dev/null | sed -n 's/^Version: /moto /p') || echo 'not installed (PyPI moto; needed by the moto-helper check)')"
  echo "unshare:         $(unshare --version 2>&1)"
} | sed 's/^/  /'
