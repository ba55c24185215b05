package main

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	configv1 "k8s.io/kubelet/config/v1"
)

func TestServiceAccountInputsAsKubelet(t *testing.T) {
	f := false
	p := &configv1.CredentialProvider{Name: "p", APIVersion: "credentialprovider.kubelet.k8s.io/v1",
		TokenAttributes: &configv1.ServiceAccountTokenAttributes{ServiceAccountTokenAudience: "sts.amazonaws.com",
			CacheType: configv1.ServiceAccountServiceAccountTokenCacheType, RequireServiceAccount: &f,
			OptionalServiceAccountAnnotationKeys: []string{"a/role"}}}
	sa, err := parseServiceAccount("shop/cart", map[string]string{"a/role": "R", "other": "x"}, "https://iss")
	if err != nil {
		t.Fatal(err)
	}
	tok, ann, err := serviceAccountInputs(p, sa)
	if err != nil || len(ann) != 1 || ann["a/role"] != "R" {
		t.Fatalf("annotations %v, err %v: want only the listed key", ann, err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	var c struct {
		Sub string   `json:"sub"`
		Aud []string `json:"aud"`
	}
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Sub != "system:serviceaccount:shop:cart" || len(c.Aud) != 1 || c.Aud[0] != "sts.amazonaws.com" {
		t.Fatalf("claims %+v (%v)", c, err)
	}
	if tok2, _, _ := serviceAccountInputs(p, sa); tok2 == tok {
		t.Error("two token requests gave the same token")
	}
	if tok, ann, err := serviceAccountInputs(p, nil); tok != "" || ann != nil || err != nil {
		t.Errorf("no service account, not required: %q %v %v", tok, ann, err)
	}
	tr := true
	p.TokenAttributes.RequireServiceAccount = &tr
	if _, _, err := serviceAccountInputs(p, nil); err == nil {
		t.Error("required service account missing: no error")
	}
	p.TokenAttributes.RequiredServiceAccountAnnotationKeys = []string{"must"}
	if _, _, err := serviceAccountInputs(p, sa); err == nil || !strings.Contains(err.Error(), "must") {
		t.Errorf("required annotation missing: %v", err)
	}
	if tok, _, _ := serviceAccountInputs(&configv1.CredentialProvider{}, sa); tok != "" {
		t.Error("a token for a provider without tokenAttributes")
	}
	p.APIVersion = "credentialprovider.kubelet.k8s.io/v1beta1"
	if err := validateTokenAttributes("p", *p); err == nil {
		t.Error("tokenAttributes accepted for v1beta1")
	}
}
