# shellcheck shell=bash
# Per-pod identities for e2e/run.sh (sourced): ecr-credential-provider given
# a service account token and annotations the way kubelet 1.34+ passes them
# (kubeletsim reads the tokenAttributes `configure kubelet
# --service-account-tokens` printed), a CRI PullImage through the containerd
# that check_kubelet_cri started (KUBELET_CRI).
#
# A second fake-ecr trusts role $POD_ROLE for shop/cart only, and issues the
# registry's password ($PASSWORD) only to credentials of that assumed role;
# the node's identity gets a password the registry refuses. So a pull that
# works proves the token came from the role, and the node cannot stand in.

POD_ROLE=arn:aws:iam::123456789012:role/e2e-app-pull
KUBELET_CRI=""

# pod_fake_calls: "STS ECR" call counts of the pod fake.
pod_fake_calls() {
  curl -fsS --max-time 5 "$POD_FAKE/_fake/calls" 2>/dev/null | jq -er '"\(.sts_calls) \(.calls)"' 2>/dev/null
}

check_kubelet_pod_identity() {
  local name=kubelet-pod-identity ref=$H1/e2e/acct1:$TAG d=$T/pod
  needs_image $name "$D1" || return 0
  if [[ -z $KUBELET_CRI || -z $KUBELETSIM ]]; then
    fail $name "needs the containerd and kubeletsim of kubelet-cri-provider, which did not get that far"
    return 0
  fi
  mkdir -p "$d" && mkdir -m 700 "$d/cache"
  local ready=$d/fake.url
  start_bg pod-fake-ecr "$BIN/fake-ecr" -listen 127.0.0.1:0 -password "node-$(openssl rand -hex 8)" \
    -trust "$POD_ROLE=system:serviceaccount:shop:cart" -role-password "$POD_ROLE=$PASSWORD" -ready-file "$ready"
  if ! wait_until "$BG_PID" 600 0.1 test -s "$ready"; then
    fail $name "the pod fake-ecr did not start within 60s (does bin/fake-ecr know -trust? run make build)" pod-fake-ecr
    return 0
  fi
  POD_FAKE=$(<"$ready")

  # The config as `configure kubelet --service-account-tokens` prints it, plus env:.
  local cfg=$d/credential-provider-config.yaml
  if ! capture $name "$BIN/$HELPER" configure kubelet --service-account-tokens >"$cfg" ||
    ! grep -q '^    tokenAttributes:$' "$cfg"; then
    fail $name "'$HELPER configure kubelet --service-account-tokens' printed no tokenAttributes" $name
    return 0
  fi
  {
    echo "    env:"
    local kv
    for kv in "AWS_ENDPOINT_URL_ECR=$POD_FAKE" "AWS_ENDPOINT_URL_STS=$POD_FAKE" "AWS_ECR_CACHE_DIR=$d/cache" \
      "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID" "AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY" \
      "AWS_EC2_METADATA_DISABLED=true" "AWS_CONFIG_FILE=$AWS_CONFIG_FILE" \
      "AWS_SHARED_CREDENTIALS_FILE=$AWS_SHARED_CREDENTIALS_FILE"; do
      printf '      - name: %s\n        value: "%s"\n' "${kv%%=*}" "${kv#*=}"
    done
  } >>"$cfg"
  cat "$cfg" >>"$LOGDIR/$name.log"
  local kubelet=(-cri "$KUBELET_CRI" -config "$cfg" -bin-dir "$BIN" -verify)
  local ann=(-sa-annotation "eks.amazonaws.com/ecr-role-arn=$POD_ROLE")
  local sock=${KUBELET_CRI#unix://}
  unpull() { run $name ctr --address "$sock" -n k8s.io images rm "$ref" || true; }

  # (a) The trusted service account pulls as the role: 1 STS + 1 ECR call.
  unpull
  if ! sim $name "${kubelet[@]}" -service-account shop/cart "${ann[@]}" -image "$ref"; then
    fail $name "CRI pull of $ref for service account shop/cart (trusted by the role) failed: $(tail -n 1 <<<"$SIM_OUT" | cut -c1-200)" $name
    return 0
  fi
  if ! grep -q "^verified $ref .*repoDigests=.*@$D1" <<<"$SIM_OUT"; then
    fail $name "CRI ImageStatus of $ref does not show digest $D1" $name
    return 0
  fi
  local c1 c2 c3
  c1=$(pod_fake_calls) || c1=""
  if [[ $c1 != "1 1" ]]; then
    fail $name "the pod fake saw '${c1:-?}' STS/ECR calls for the first pull; want '1 1'" $name
    return 0
  fi

  # (b) Another pod of shop/cart (a new token), another provider process:
  # from the shared cache, no STS and no ECR call.
  unpull
  if ! sim $name "${kubelet[@]}" -service-account shop/cart "${ann[@]}" -image "$ref"; then
    fail $name "second pull for shop/cart failed: $(tail -n 1 <<<"$SIM_OUT" | cut -c1-200)" $name
    return 0
  fi
  c2=$(pod_fake_calls) || c2=""
  if [[ $c2 != "$c1" ]]; then
    fail $name "a new token of the same service account cost calls ('$c1' -> '${c2:-?}'); want none" $name
    return 0
  fi

  # (c) shop/billing names the same role but is not trusted: the provider
  # fails with the reason, and nothing is pulled (no fallback to the node).
  unpull
  if sim $name "${kubelet[@]}" -service-account shop/billing "${ann[@]}" -image "$ref"; then
    fail $name "service account shop/billing (not trusted by the role) pulled $ref" $name
    return 0
  fi
  if ! grep -q 'shop/billing' <<<"$SIM_OUT" || ! grep -q 'trust policy' <<<"$SIM_OUT"; then
    fail $name "the refusal for shop/billing does not name the service account and the trust policy: $(grep -m1 'error' <<<"$SIM_OUT" | cut -c1-200)" $name
    return 0
  fi
  c3=$(pod_fake_calls) || c3=""
  if [[ ${c3#* } != "${c2#* }" ]]; then
    fail $name "ECR was called after STS refused shop/billing ('$c2' -> '${c3:-?}'): a fallback" $name
    return 0
  fi

  # (d) Control: a service account without the annotation pulls as the
  # node, whose password the registry refuses.
  if sim $name "${kubelet[@]}" -service-account shop/plain -image "$ref"; then
    fail $name "a pull as the node's identity succeeded: the check cannot tell the role from the node" $name
    return 0
  fi
  if ! grep -qiE '401|unauthorized' <<<"$SIM_OUT"; then
    fail $name "the node-identity control failed, but not with 401: $(tail -n 1 <<<"$SIM_OUT" | cut -c1-200)" $name
    return 0
  fi
  pass $name
}
