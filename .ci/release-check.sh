#!/usr/bin/env bash
# Checks `make release` end to end, as root on Debian (CI calls it from .ci/run):
#
#  1. builds a release of HEAD for every platform into dist/;
#  2. rebuilds linux/amd64 from a copy of the tree at another path with an
#     empty Go build cache, and compares every file byte for byte;
#  3. verifies SHA256SUMS (sha256sum -c) and that it lists every file;
#  4. checks each archive's entries, and each SBOM names its binary and version;
#  5. installs the .deb for this machine with dpkg -i, checks dpkg -L, runs the
#     installed binaries (version; a get and a kubelet request against the fake
#     ECR, the second answered from the cache the first wrote), purges the
#     package and checks that none of its files is left;
#  6. lists the .rpm files with rpm -qlp and compares their digests.
#
# Refuses to start if an ecr-login package or /usr/bin/<binary> is already on
# the machine. Uses only a temporary directory and loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=v0.0.0-ci.1
V=${VERSION#v}
NAME=ecr-login
BINARIES=(docker-credential-ecr-login ecr-credential-provider)
PLATFORMS="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"
REGISTRY=123456789012.dkr.ecr.us-east-1.amazonaws.com

start=$(date +%s)
step() { printf '[release-check] (%ss) %s\n' "$(($(date +%s) - start))" "$*"; }
fail() { echo "release-check: FAIL: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "must run as root (dpkg -i)"
for c in dpkg rpm jq sha256sum tar unzip cmp; do
  command -v $c >/dev/null || fail "$c not found (bash .ci/install-e2e-deps.sh installs it)"
done
deb_arch=$(dpkg --print-architecture)
[[ $deb_arch == amd64 || $deb_arch == arm64 ]] || fail "no .deb is built for $deb_arch"
if dpkg-query -W "$NAME" >/dev/null 2>&1; then
  fail "package $NAME is installed already: dpkg --purge $NAME first"
fi
for b in "${BINARIES[@]}"; do
  [[ ! -e /usr/bin/$b ]] || fail "/usr/bin/$b exists already ($(dpkg -S /usr/bin/$b 2>/dev/null || echo 'no package'))"
done

tmp=$(mktemp -d)
fake_pid=
installed=0
cleanup() {
  [[ -n $fake_pid ]] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
  ((installed)) && dpkg --purge "$NAME" >/dev/null 2>&1
  chmod -R u+w "$tmp" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- 1. the release ------------------------------------------------------------
step "make release VERSION=$VERSION (all platforms)"
commit=$(git rev-parse HEAD)
export SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct HEAD)
PLATFORMS=$PLATFORMS bash scripts/release.sh "$VERSION"
[[ -f dist/SHA256SUMS ]] || fail "no dist/SHA256SUMS"

# --- 2. reproducible: same bytes from another path and an empty build cache ----
step "rebuild linux/amd64 from a copy of the tree at $tmp/src, empty GOCACHE"
mkdir -p "$tmp/src"
git archive HEAD | tar -x -C "$tmp/src"
(cd "$tmp/src" && GOCACHE=$tmp/gocache COMMIT=${commit:0:12} DIST=$tmp/dist2 \
  PLATFORMS=linux/amd64 bash scripts/release.sh "$VERSION")
n=0
for f in "$tmp"/dist2/*; do
  [[ $(basename "$f") == SHA256SUMS ]] && continue
  cmp "$f" "dist/$(basename "$f")" || fail "$(basename "$f") differs between the two builds"
  n=$((n + 1))
done
((n == 5)) || fail "the rebuild made $n files, want 5 (archive, 2 SBOMs, deb, rpm)"
step "the $n linux/amd64 files are byte-identical"

# --- 3. checksums ----------------------------------------------------------------
(cd dist && sha256sum --strict -c SHA256SUMS >/dev/null) || fail "sha256sum -c SHA256SUMS"
listed=$(awk '{print $2}' dist/SHA256SUMS | LC_ALL=C sort)
present=$(cd dist && LC_ALL=C ls | grep -vx SHA256SUMS)
[[ $listed == "$present" ]] || fail "SHA256SUMS does not list exactly the files in dist/"
nfiles=$(wc -l <<<"$present")
((nfiles == 6 + 12 + 4)) || fail "dist/ has $nfiles files, want 22 (6 archives, 12 SBOMs, 2 debs, 2 rpms)"
step "sha256sum -c SHA256SUMS: $nfiles files OK"

# --- 4. archives and SBOMs ----------------------------------------------------------
for p in $PLATFORMS; do
  os=${p%/*} arch=${p#*/} exe=
  base=${NAME}_${V}_${os}_${arch}
  if [[ $os == windows ]]; then
    exe=.exe
    got=$(unzip -Z1 "dist/$base.zip")
  else
    got=$(tar -tzf "dist/$base.tar.gz")
  fi
  want=$(printf '%s\n' "$base/" "$base/LICENSE" "$base/README.md" "$base/${BINARIES[0]}$exe" "$base/${BINARIES[1]}$exe")
  [[ $got == "$want" ]] || fail "$base: entries"$'\n'"$got"$'\n'"want"$'\n'"$want"
  for b in "${BINARIES[@]}"; do
    sbom=dist/${b}_${V}_${os}_${arch}.cdx.json
    jq -e --arg v "$VERSION" --arg b "$b" '
      .bomFormat == "CycloneDX"
      and (.metadata.component.version == $v)
      and (.metadata.component.purl | endswith("#cmd/" + $b))
      and ([.components[].name] | index("github.com/aws/aws-sdk-go-v2") != null)' "$sbom" >/dev/null ||
      fail "$sbom does not describe $b $VERSION with its dependencies"
  done
done
mkdir -p "$tmp/x"
tar -xzf "dist/${NAME}_${V}_linux_${deb_arch}.tar.gz" -C "$tmp/x"
step "archive entries and SBOMs OK"

# --- 5. the .deb: install, run, purge ------------------------------------------------
deb=dist/${NAME}_${V}_${deb_arch}.deb
step "dpkg -i $deb"
installed=1
dpkg -i "$deb" >/dev/null
want_files="/usr/bin/docker-credential-ecr-login
/usr/bin/ecr-credential-provider
/usr/share/doc/$NAME/LICENSE
/usr/share/doc/$NAME/README.md
/usr/share/doc/$NAME/examples/ecr-credential-provider.yaml"
owned=$(dpkg -L "$NAME" | LC_ALL=C sort)
files=$(while read -r f; do if [[ -f $f ]]; then echo "$f"; fi; done <<<"$owned")
[[ $files == "$want_files" ]] || fail "dpkg -L $NAME files:"$'\n'"$files"$'\n'"want"$'\n'"$want_files"
for b in "${BINARIES[@]}"; do
  cmp "/usr/bin/$b" "$tmp/x/${NAME}_${V}_linux_${deb_arch}/$b" || fail "/usr/bin/$b is not the archive's binary"
  out=$("/usr/bin/$b" version)
  [[ $out == "$b ($(go list -m)) $VERSION commit ${commit:0:12}" ]] || fail "/usr/bin/$b version printed: $out"
done
grep -q '^      - "\*.dkr.ecr.\*.amazonaws.com"$' "/usr/share/doc/$NAME/examples/ecr-credential-provider.yaml" ||
  fail "the kubelet example does not match ECR hosts"
grep -q -- '--image-credential-provider-bin-dir=/usr/bin$' "/usr/share/doc/$NAME/examples/ecr-credential-provider.yaml" ||
  fail "the kubelet example does not point at /usr/bin"

step "run the installed binaries against the fake ECR"
go build -o "$tmp/fake-ecr" ./e2e/fake-ecr
password=release-check-$RANDOM$RANDOM
"$tmp/fake-ecr" -password "$password" -ready-file "$tmp/fake.url" 2>"$tmp/fake.log" &
fake_pid=$!
for _ in $(seq 100); do [[ -s $tmp/fake.url ]] && break; sleep 0.1; done
[[ -s $tmp/fake.url ]] || fail "fake-ecr did not start: $(cat "$tmp/fake.log")"
url=$(cat "$tmp/fake.url")
mkdir -p "$tmp/home"
run() { # a clean environment: static keys, the fake endpoint, a private home and cache
  env -i PATH=/usr/bin:/bin HOME="$tmp/home" AWS_EC2_METADATA_DISABLED=true \
    AWS_ACCESS_KEY_ID=AKIDRELEASECHECK AWS_SECRET_ACCESS_KEY=release-check-secret \
    AWS_ENDPOINT_URL_ECR="$url" AWS_ECR_CACHE_DIR="$tmp/cache" "$@"
}
calls() { curl -fsS "$url/_fake/calls" | jq -r .calls; }
got=$(echo "$REGISTRY" | run /usr/bin/docker-credential-ecr-login get) || fail "installed helper get failed"
jq -e --arg p "$password" --arg h "$REGISTRY" '.Username == "AWS" and .Secret == $p and (.ServerURL | contains($h))' \
  <<<"$got" >/dev/null || fail "installed helper get did not answer the fake ECR's credentials"
[[ $(calls) == 1 ]] || fail "helper get made $(calls) API calls, want 1"
req='{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"'$REGISTRY'/app:1"}'
got=$(run /usr/bin/ecr-credential-provider <<<"$req") || fail "installed provider failed"
jq -e --arg p "$password" --arg h "$REGISTRY" '.kind == "CredentialProviderResponse" and .auth[$h].password == $p' \
  <<<"$got" >/dev/null || fail "installed provider did not answer the fake ECR's credentials"
[[ $(calls) == 1 ]] || fail "the provider made an API call; it should have used the helper's cache"
kill "$fake_pid" && wait "$fake_pid" || true
fake_pid=

step "dpkg --purge $NAME"
dpkg --purge "$NAME" >/dev/null
installed=0
! dpkg-query -W "$NAME" >/dev/null 2>&1 || fail "$NAME is still known to dpkg"
left=$(while read -r f; do
  case $f in /. | /usr | /usr/bin | /usr/share | /usr/share/doc) continue ;; esac
  if [[ -e $f || -L $f ]]; then echo "$f"; fi
done <<<"$owned")
[[ -z $left ]] || fail "left behind after purge:"$'\n'"$left"
step "purged: none of its $(wc -l <<<"$owned") paths is left"

# --- 6. the .rpm ---------------------------------------------------------------------
for arch in amd64 arm64; do
  rpmarch=x86_64
  [[ $arch == arm64 ]] && rpmarch=aarch64
  rpmf=dist/${NAME}-${V}-1.$rpmarch.rpm
  got=$(rpm -qlp "$rpmf" 2>/dev/null | LC_ALL=C sort)
  [[ $got == "$want_files" ]] || fail "rpm -qlp $rpmf:"$'\n'"$got"$'\n'"want"$'\n'"$want_files"
  info=$(rpm -qp --queryformat '%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{LICENSE}' "$rpmf" 2>/dev/null)
  # nfpm writes a semver pre-release as X.Y.Z~pre, which rpm sorts before X.Y.Z.
  [[ $info == "$NAME ${V/-/\~} 1 $rpmarch Apache-2.0" ]] || fail "rpm -qp $rpmf: $info"
  if [[ $arch == "$deb_arch" ]]; then
    for b in "${BINARIES[@]}"; do
      sum=$(sha256sum <"$tmp/x/${NAME}_${V}_linux_${arch}/$b" | cut -d' ' -f1)
      dump=$(rpm -qp --dump "$rpmf" 2>/dev/null) # not piped into grep -q: pipefail would see rpm's SIGPIPE
      grep -q "^/usr/bin/$b [0-9]* [0-9]* $sum 0100755 root root " <<<"$dump" ||
        fail "$rpmf: /usr/bin/$b is not the archive's binary (mode 0755 root:root)"
    done
  fi
done
step "rpm -qlp: both rpms hold exactly the 5 files; binaries match the archive"
step "release check passed"
