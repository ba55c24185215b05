#!/usr/bin/env bash
# Per-pod identities side by side: cloud-provider-aws's ecr-credential-provider
# vs ours, N pods of one service account (a new token each), then a service
# account the role does not trust, against bin/fake-ecr on loopback.
#
#   make build
#   d=$(mktemp -d); cp -r "$(go mod download -json k8s.io/cloud-provider-aws@v1.37.1 | jq -r .Dir)" "$d/src"
#   chmod -R u+w "$d/src"; (cd "$d/src" && go build -o "$d/anchor" ./cmd/ecr-credential-provider)
#   N=20 bash e2e/pod-compare.sh bin/ecr-credential-provider "$d/anchor" bin/fake-ecr
#
# Prints per-run wall times (noisy: use the call counts) and the fake's STS
# and ECR call counts per provider.
set -u
OURS=$(realpath "$1") ANCHOR=$(realpath "$2") FAKEBIN=$(realpath "$3") N=${N:-10}
T=$(mktemp -d)
ROLE=arn:aws:iam::123456789012:role/app-pull
"$FAKEBIN" -listen 127.0.0.1:0 -password node-pw -trust "$ROLE=system:serviceaccount:shop:cart" -role-password "$ROLE=role-pw" -ready-file "$T/url" 2>"$T/fake.log" &
FPID=$!
for i in $(seq 50); do [[ -s $T/url ]] && break; sleep 0.1; done
URL=$(<"$T/url")
tok() { python3 - "$1" <<'PY'
import base64,json,sys,time,os
e=lambda b: base64.urlsafe_b64encode(b).rstrip(b'=').decode()
ns,name=sys.argv[1].split('/')
now=int(time.time())
c={"iss":"https://oidc.example/id/X","sub":f"system:serviceaccount:{ns}:{name}","aud":["sts.amazonaws.com"],"exp":now+3600,"iat":now,"jti":os.urandom(8).hex()}
print(e(b'{"alg":"RS256"}')+"."+e(json.dumps(c).encode())+"."+e(os.urandom(64)))
PY
}
req() { printf '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1","serviceAccountToken":"%s","serviceAccountAnnotations":{"eks.amazonaws.com/ecr-role-arn":"%s"}}' "$(tok "$1")" "$ROLE"; }
ENV=(env -i PATH=/usr/bin:/bin HOME=$T/home AWS_ACCESS_KEY_ID=AKIDNODE AWS_SECRET_ACCESS_KEY=nodesecret AWS_REGION=us-east-1
  AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_ECR=$URL AWS_ENDPOINT_URL_STS=$URL AWS_ECR_CACHE_DIR=$T/cache
  AWS_CONFIG_FILE=$T/none AWS_SHARED_CREDENTIALS_FILE=$T/none)
mkdir -p "$T/home"
for b in "$ANCHOR" "$OURS"; do
  curl -fsS -X POST "$URL/_fake/reset" >/dev/null; rm -rf "$T/cache"
  times=()
  for i in $(seq "$N"); do
    r=$(req shop/cart)
    s=$(date +%s%N); out=$("${ENV[@]}" "$b" <<<"$r" 2>"$T/err"); rc=$?; e=$(date +%s%N)
    times+=($(( (e - s) / 1000000 )))
    [[ $i == 1 ]] && echo "$b: first answer: rc=$rc $(jq -c '{cacheDuration, pw: .auth[].password}' <<<"$out" 2>/dev/null)"
  done
  calls=$(curl -fsS "$URL/_fake/calls" | jq -c '{sts: .sts_calls, ecr: .calls}')
  echo "  $N pods of shop/cart (new token each): ms per run: ${times[*]}; fake saw $calls"
  "${ENV[@]}" "$b" <<<"$(req shop/billing)" >/dev/null 2>"$T/err"; echo "  untrusted shop/billing: rc=$? stderr: $(tail -c 700 "$T/err" | tr '\n' ' ')"
done
kill $FPID; wait $FPID 2>/dev/null; rm -rf "$T"
