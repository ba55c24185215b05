#!/usr/bin/env bash
# Builds a reproducible release into dist/ (`make release VERSION=vX.Y.Z`):
#
#   ecr-login_X.Y.Z_<os>_<arch>.tar.gz (.zip for windows)  both binaries, README.md, LICENSE
#   <binary>_X.Y.Z_<os>_<arch>.cdx.json                    CycloneDX SBOM of each binary (from its Go build info)
#   ecr-login_X.Y.Z_<arch>.deb, ecr-login-X.Y.Z-1.<arch>.rpm  linux packages: /usr/bin/<binaries>,
#                                                          /usr/share/doc/ecr-login/{README.md,LICENSE,examples/}
#   SHA256SUMS                                             of every file above (sha256sum -c SHA256SUMS)
#
# Reproducible: the same commit, VERSION and Go toolchain give the same bytes
# (-trimpath, -buildvcs=false, CGO_ENABLED=0, every file time = SOURCE_DATE_EPOCH
# = the commit's time, archive entries sorted, owned by root, modes 0755/0644,
# gzip without name or time). .ci/release-check.sh checks that.
#
# Environment (all optional):
#   PLATFORMS          space-separated os/arch list (default: the six below)
#   DIST               output directory (default: dist); emptied first
#   SOURCE_DATE_EPOCH  file time (default: the commit time of HEAD)
#   COMMIT             commit shown by `version` (default: HEAD, 12 hex digits);
#                      with SOURCE_DATE_EPOCH, lets the script run outside git
#   RELEASE_TOOLS_DIR  where the pinned tools are installed
#                      (default: ${XDG_CACHE_HOME:-~/.cache}/ecr-login-release-tools)
#   RELEASE_ALLOW_DIRTY=1  build although tracked files have uncommitted changes
set -euo pipefail
cd "$(dirname "$0")/.."

# --- the pinned tools (the one place their versions are written) -------------
NFPM_MODULE=github.com/goreleaser/nfpm/v2/cmd/nfpm
NFPM_VERSION=v2.45.2
CYCLONEDX_MODULE=github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod
CYCLONEDX_VERSION=v1.10.0

NAME=ecr-login
BINARIES=(docker-credential-ecr-login ecr-credential-provider)
MODULE=github.com/ecr-login/ecr-login
HOMEPAGE=https://github.com/ecr-login/ecr-login
PLATFORMS=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}
DIST=${DIST:-dist}

die() { echo "release: $*" >&2; exit 1; }
log() { echo "release: $*" >&2; }

VERSION=${1:-${VERSION:-}}
[[ $VERSION =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]] ||
  die "VERSION must look like v1.2.3 or v1.2.3-rc.1, got '${VERSION}' (make release VERSION=v1.2.3)"
V=${VERSION#v}

# --- what is being built -----------------------------------------------------
if [[ -z ${COMMIT:-} || -z ${SOURCE_DATE_EPOCH:-} ]]; then
  git rev-parse --git-dir >/dev/null 2>&1 ||
    die "not a git checkout: set COMMIT and SOURCE_DATE_EPOCH"
  head=$(git rev-parse HEAD)
  if tagged=$(git rev-parse -q --verify "refs/tags/$VERSION^{commit}"); then
    [[ $tagged == "$head" ]] ||
      die "tag $VERSION is commit $tagged but HEAD is $head: check out the tag (git checkout $VERSION)"
  else
    log "no tag $VERSION here: building HEAD ($head) as $VERSION"
  fi
  if [[ ${RELEASE_ALLOW_DIRTY:-} != 1 && -n $(git status --porcelain --untracked-files=no) ]]; then
    die "tracked files have uncommitted changes (commit them, or RELEASE_ALLOW_DIRTY=1 for a trial build)"
  fi
  COMMIT=${COMMIT:-${head:0:12}}
  SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct HEAD)}
fi
[[ $SOURCE_DATE_EPOCH =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH must be seconds since the epoch"
export SOURCE_DATE_EPOCH
for f in README.md LICENSE; do
  [[ -f $f ]] || die "$f is missing: every archive and package ships it"
done

# Nothing from the caller's Go environment that changes the code generated.
unset GOAMD64 GOARM64 GOARM GO386 GOEXPERIMENT GOFIPS140
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GO111MODULE=on
command -v go >/dev/null || die "go not found"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- pinned tools, each `go install`ed once into its own versioned directory --
TOOLS_DIR=${RELEASE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ecr-login-release-tools}
tool() { # tool NAME MODULE VERSION -> prints the binary's path
  local dir=$TOOLS_DIR/$1@$3
  if [[ ! -x $dir/$1 ]]; then
    log "go install $2@$3"
    (cd "$work" && GOBIN=$dir go install "$2@$3") >&2 || die "could not install $2@$3"
  fi
  echo "$dir/$1"
}
nfpm=$(tool nfpm "$NFPM_MODULE" "$NFPM_VERSION")
cyclonedx=$(tool cyclonedx-gomod "$CYCLONEDX_MODULE" "$CYCLONEDX_VERSION")

rm -rf "$DIST"
mkdir -p "$DIST"
ldflags="-s -w -X $MODULE/cmd/internal/cli.version=$VERSION -X $MODULE/cmd/internal/cli.commit=$COMMIT"

# The kubelet config example the README shows, for the packages' doc directory,
# with the packages' binary directory.
go run ./cmd/docker-credential-ecr-login configure kubelet |
  sed 's#/usr/local/bin#/usr/bin#g' >"$work/ecr-credential-provider.yaml"
[[ -s $work/ecr-credential-provider.yaml ]] || die "configure kubelet printed nothing"

for p in $PLATFORMS; do
  os=${p%/*} arch=${p#*/}
  base=${NAME}_${V}_${os}_${arch}
  stage=$work/$base
  log "build $os/$arch"
  mkdir -p "$stage"
  GOOS=$os GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "$stage/" \
    "${BINARIES[@]/#/./cmd/}"
  cp README.md LICENSE "$stage/"

  ext=.tar.gz
  [[ $os == windows ]] && ext=.zip
  go run ./scripts/mkarchive -o "$DIST/$base$ext" -mtime "$SOURCE_DATE_EPOCH" -prefix "$base" "$stage"

  for b in "${BINARIES[@]}"; do
    exe=$stage/$b
    [[ $os == windows ]] && exe=$stage/$b.exe
    "$cyclonedx" bin -json -noserial -notimestamp -version "$VERSION" \
      -output "$DIST/${b}_${V}_${os}_${arch}.cdx.json" "$exe" >&2
  done

  [[ $os == linux ]] || continue
  for b in "${BINARIES[@]}"; do chmod 0755 "$stage/$b"; done
  cat >"$work/nfpm-$arch.yaml" <<EOF
name: $NAME
arch: $arch
platform: linux
version: $V
release: 1
section: admin
priority: optional
maintainer: ecr-login project <$HOMEPAGE>
description: |-
  Amazon ECR credentials for Docker-compatible clients and kubelet.
  docker-credential-ecr-login is a Docker credential helper (a drop-in for
  amazon-ecr-credential-helper); ecr-credential-provider is a kubelet image
  credential provider (a drop-in for cloud-provider-aws's). Both share one
  on-disk token cache.
vendor: ecr-login project
homepage: $HOMEPAGE
license: Apache-2.0
conflicts: [amazon-ecr-credential-helper]
replaces: [amazon-ecr-credential-helper]
rpm:
  buildhost: reproducible   # default: this machine's name
contents:
  - {src: $stage/docker-credential-ecr-login, dst: /usr/bin/docker-credential-ecr-login, file_info: {mode: 0755, owner: root, group: root}}
  - {src: $stage/ecr-credential-provider, dst: /usr/bin/ecr-credential-provider, file_info: {mode: 0755, owner: root, group: root}}
  - {src: $stage/README.md, dst: /usr/share/doc/$NAME/README.md, file_info: {mode: 0644, owner: root, group: root}}
  - {src: $stage/LICENSE, dst: /usr/share/doc/$NAME/LICENSE, file_info: {mode: 0644, owner: root, group: root}}
  - {src: $work/ecr-credential-provider.yaml, dst: /usr/share/doc/$NAME/examples/ecr-credential-provider.yaml, file_info: {mode: 0644, owner: root, group: root}}
EOF
  rpmarch=$arch
  case $arch in amd64) rpmarch=x86_64 ;; arm64) rpmarch=aarch64 ;; esac
  "$nfpm" package --config "$work/nfpm-$arch.yaml" --packager deb --target "$DIST/${NAME}_${V}_${arch}.deb" >&2
  "$nfpm" package --config "$work/nfpm-$arch.yaml" --packager rpm --target "$DIST/${NAME}-${V}-1.${rpmarch}.rpm" >&2
done

(cd "$DIST" && LC_ALL=C sha256sum -- $(LC_ALL=C ls) >SHA256SUMS)
log "done: $DIST/ ($(ls "$DIST" | wc -l) files) for $VERSION, commit $COMMIT, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH, $(go env GOVERSION)"
