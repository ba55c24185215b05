# shellcheck shell=bash
# More registry clients for e2e/run.sh (sourced by it; run inside its
# namespaces after crane pushed $H1/e2e/acct1:$TAG and $H2/e2e/acct2:$TAG):
# oras, regctl, helm (OCI charts: `helm registry login` fed by our `token`
# subcommand, and helm's fallback to the docker config's credHelpers) and
# buildah. Each gets its credentials only from the helper; the registry
# accepts only the fake ECR's password.

check_more_clients() {
  check_oras
  check_regctl
  check_helm_login
  check_helm_credhelper
  check_buildah
}

# oras: push a file artifact, resolve and pull it back, and resolve crane's image.
check_oras() {
  local name=oras d=$T/oras ref=$H1/e2e/oras:$TAG dig
  need $name oras || return 0
  needs_image $name "$D2" || return 0
  mkdir -p "$d/in" "$d/out"
  head -c 4096 /dev/urandom >"$d/in/blob.bin"
  local oras=(env SSL_CERT_FILE="$BUNDLE" oras)
  if ! run $name env -C "$d/in" "${oras[@]}" push --artifact-type application/vnd.ecr-login.e2e "$ref" blob.bin; then
    fail $name "oras push failed: $(why $name)" $name
    return 0
  fi
  if ! run $name "${oras[@]}" pull -o "$d/out" "$ref" || ! cmp -s "$d/in/blob.bin" "$d/out/blob.bin"; then
    fail $name "oras pull of $ref failed or returned other bytes: $(why $name)" $name
    return 0
  fi
  dig=$(capture $name "${oras[@]}" resolve "$H2/e2e/acct2:$TAG") || dig=""
  if [[ $dig != "$D2" ]]; then
    fail $name "oras resolve $H2/e2e/acct2:$TAG: '$dig', want $D2" $name
    return 0
  fi
  pass $name
}

# regctl: digest of crane's image, then a copy between repositories (pull+push).
check_regctl() {
  local name=regctl src=$H1/e2e/acct1:$TAG dst=$H1/e2e/regctl:$TAG dig
  need $name regctl || return 0
  needs_image $name "$D1" || return 0
  local regctl=(env SSL_CERT_FILE="$BUNDLE" regctl)
  dig=$(capture $name "${regctl[@]}" image digest "$src") || dig=""
  if [[ $dig != "$D1" ]]; then
    fail $name "regctl image digest $src: '$dig', want $D1" $name
    return 0
  fi
  if ! run $name "${regctl[@]}" image copy "$src" "$dst"; then
    fail $name "regctl image copy $src $dst failed: $(why $name)" $name
    return 0
  fi
  dig=$(capture $name "${regctl[@]}" image digest "$dst") || dig=""
  if [[ $dig != "$D1" ]]; then
    fail $name "regctl image digest $dst after the copy: '$dig', want $D1" $name
    return 0
  fi
  pass $name
}

# helm_env NAME: the helm command with private config/cache/data homes and
# the registry config file NAME.json under $T/helm.
HELM_CHART=""
helm_env() {
  local d=$T/helm
  mkdir -p "$d/cache" "$d/config" "$d/data"
  HELM=(env SSL_CERT_FILE="$BUNDLE" HELM_CACHE_HOME="$d/cache" HELM_CONFIG_HOME="$d/config"
    HELM_DATA_HOME="$d/data" HELM_REGISTRY_CONFIG="$d/$1.json" helm)
}

helm_chart() {
  local name=$1 d=$T/helm/chart/e2echart
  [[ -n $HELM_CHART ]] && return 0
  mkdir -p "$d/templates" "$T/helm/pkg"
  printf 'apiVersion: v2\nname: e2echart\nversion: 0.1.0\ndescription: ecr-login e2e %s\n' "$TAG" >"$d/Chart.yaml"
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: e2e\ndata:\n  tag: "%s"\n' "$TAG" >"$d/templates/cm.yaml"
  helm_env empty
  if ! run "$name" "${HELM[@]}" package "$d" -d "$T/helm/pkg"; then
    fail "$name" "helm package failed: $(why "$name")" "$name"
    return 1
  fi
  HELM_CHART=$T/helm/pkg/e2echart-0.1.0.tgz
}

# helm_push_pull NAME HOST: pushes the chart to oci://HOST/e2e/charts and pulls
# it back, byte for byte.
helm_push_pull() {
  local name=$1 h=$2 out=$T/helm/pulled-$1
  if ! run "$name" "${HELM[@]}" push "$HELM_CHART" "oci://$h/e2e/charts"; then
    fail "$name" "helm push to oci://$h/e2e/charts failed: $(why "$name")" "$name"
    return 1
  fi
  rm -rf "$out" && mkdir -p "$out"
  if ! run "$name" "${HELM[@]}" pull "oci://$h/e2e/charts/e2echart" --version 0.1.0 -d "$out" ||
    ! cmp -s "$HELM_CHART" "$out/e2echart-0.1.0.tgz"; then
    fail "$name" "helm pull of oci://$h/e2e/charts/e2echart failed or returned another chart: $(why "$name")" "$name"
    return 1
  fi
}

# helm registry login with the password from `docker-credential-ecr-login
# token`, then push and pull with only those stored credentials (no docker
# config to fall back on).
check_helm_login() {
  local name=helm-registry-login tok rc=0
  need $name helm || return 0
  helm_chart $name || return 0
  mkdir -p "$T/helm/nodocker" && echo '{}' >"$T/helm/nodocker/config.json"
  helm_env login
  HELM=(env DOCKER_CONFIG="$T/helm/nodocker" "${HELM[@]:1}")
  if ! tok=$(capture $name "$HELPER" token "$H1") || [[ $tok != "$PASSWORD" ]]; then
    fail $name "docker-credential-ecr-login token $H1 did not print the registry password" $name
    return 0
  fi
  printf '+ helm registry login %s --username AWS --password-stdin\n' "$H1" >>"$LOGDIR/$name.log"
  timeout -k 5 "$CMD_TIMEOUT" "${HELM[@]}" registry login "$H1" --username AWS --password-stdin \
    <<<"$tok" >>"$LOGDIR/$name.log" 2>&1 || rc=$?
  if ((rc)); then
    fail $name "helm registry login $H1 --password-stdin failed: $(why $name)" $name
    return 0
  fi
  helm_push_pull $name "$H1" || return 0
  pass $name
}

# helm with no registry login: it falls back to the docker config, whose
# credHelpers run the helper. Control first: with an empty docker config the
# registry refuses.
check_helm_credhelper() {
  local name=helm-credhelper
  need $name helm || return 0
  helm_chart $name || return 0
  echo '{}' >"$T/helm/empty.json"
  helm_env empty
  if run $name env DOCKER_CONFIG="$T/helm/nodocker" "${HELM[@]:1}" push "$HELM_CHART" "oci://$H2/e2e/control"; then
    fail $name "control: helm push to $H2 with no credentials anywhere succeeded" $name
    return 0
  fi
  if ! tail -n 1 "$LOGDIR/$name.log" | grep -qiE 'credential not found|401|unauthorized'; then
    fail $name "control: helm push with no credentials failed, but not for want of credentials: $(why $name)" $name
    return 0
  fi
  helm_push_pull $name "$H2" || return 0
  pass $name
}

# buildah (Debian's package, containers/image like podman) pulls with the
# docker config as its auth file.
check_buildah() {
  local name=buildah ref=$H2/e2e/acct2:$TAG d=$T/buildah dig
  need $name buildah || return 0
  needs_image $name "$D2" || return 0
  mkdir -p "$d/root" "$d/runroot"
  local buildah=(env CONTAINERS_CONF="$T/containers/containers.conf"
    CONTAINERS_STORAGE_CONF="$T/containers/storage.conf"
    CONTAINERS_REGISTRIES_CONF="$T/containers/registries.conf"
    buildah --root "$d/root" --runroot "$d/runroot" --storage-driver vfs)
  if ! run $name "${buildah[@]}" pull --authfile "$AUTHFILE" --cert-dir "$CERTDIR" "$ref"; then
    fail $name "buildah pull failed: $(why $name)" $name
    return 0
  fi
  dig=$(capture $name "${buildah[@]}" inspect --type image --format '{{.FromImageDigest}}' "$ref") || dig=""
  if [[ $dig == "$D2" ]]; then
    pass $name
  else
    fail $name "buildah image digest '$dig', want $D2" $name
  fi
}
