package local

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// ErrBadServiceAccountToken means a service account token's claims could
// not be read.
var ErrBadServiceAccountToken = errors.New("unreadable service account token")

// WebIdentity is a pod's identity for one pull: the role its service account
// names and the service account token kubelet passed. The token is a
// secret: it is kept unexported, is never part of a cache key, and every
// way of printing a WebIdentity (fmt verbs, slog) shows only the role and
// the service account.
type WebIdentity struct {
	RoleARN string
	// Claims read (not verified: that is kubelet's and STS's business)
	// from the token.
	Issuer    string
	Subject   string // system:serviceaccount:NAMESPACE:NAME
	Audience  []string
	ExpiresAt time.Time

	token string
}

// NewWebIdentity reads the claims of a service account token (a compact
// JWS) for role roleARN. A token whose claims cannot be read is an error
// (ErrBadServiceAccountToken) that never quotes the token.
func NewWebIdentity(roleARN, token string) (*WebIdentity, error) {
	if !strings.HasPrefix(roleARN, "arn:") || !strings.Contains(roleARN, ":role/") {
		return nil, fmt.Errorf("%q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", roleARN)
	}
	bad := func(why string) error {
		return fmt.Errorf("%w (%d bytes): %s", ErrBadServiceAccountToken, len(token), why)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, bad(fmt.Sprintf("not a JWT: %d dot-separated parts, want 3", len(parts)))
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, bad("the claims part is not base64url")
	}
	var c struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp *json.Number    `json:"exp"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, bad("the claims are not a JSON object")
	}
	w := &WebIdentity{RoleARN: roleARN, Issuer: c.Iss, Subject: c.Sub, token: token}
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		w.Audience = []string{one}
	} else {
		json.Unmarshal(c.Aud, &w.Audience)
	}
	switch {
	case c.Iss == "":
		return nil, bad("no iss claim")
	case c.Sub == "":
		return nil, bad("no sub claim")
	case c.Exp == nil:
		return nil, bad("no exp claim")
	}
	exp, err := c.Exp.Float64()
	if err != nil || exp <= 0 {
		return nil, bad("the exp claim is not a time")
	}
	w.ExpiresAt = time.Unix(int64(exp), 0).UTC()
	return w, nil
}

// Token is the service account token, for the one call that sends it
// (AssumeRoleWithWebIdentity) and for scrubbing it from errors. Never log it.
func (w *WebIdentity) Token() string { return w.token }

// ServiceAccount is "NAMESPACE/NAME" from a Kubernetes subject, else the
// subject itself.
func (w *WebIdentity) ServiceAccount() string {
	if rest, ok := strings.CutPrefix(w.Subject, "system:serviceaccount:"); ok {
		if ns, name, ok := strings.Cut(rest, ":"); ok {
			return ns + "/" + name
		}
	}
	return w.Subject
}

// String names the service account and the role, never the token.
func (w *WebIdentity) String() string {
	if w == nil {
		return "<no pod identity>"
	}
	return "service account " + w.ServiceAccount() + " (role " + w.RoleARN + ")"
}

// GoString keeps %#v from printing the token.
func (w *WebIdentity) GoString() string { return w.String() }

// LogValue keeps slog from printing the token.
func (w *WebIdentity) LogValue() slog.Value { return slog.StringValue(w.String()) }

// Format keeps every fmt verb, and values embedded in other structs, from
// printing the token.
func (w WebIdentity) Format(f fmt.State, _ rune) { fmt.Fprint(f, w.String()) }

var (
	_ fmt.Formatter  = WebIdentity{}
	_ slog.LogValuer = (*WebIdentity)(nil)
)

// Identity keys a pod's tokens: role, issuer and subject (so two service
// accounts naming one role never share an entry, and a new token of the same
// service account hits), plus everything that keys the node's own identity:
// the SDK config the pod's STS and ECR clients are built from (endpoint
// overrides from the environment and from shared-config [services]
// sections, the config files, ...). Never the token.
func (w *WebIdentity) Identity(env Getenv) (Identity, error) {
	node, err := resolveIdentity(env, "")
	if err != nil {
		return Identity{}, err
	}
	sum := sha256.Sum256([]byte("web-identity\nrole=" + w.RoleARN + "\niss=" + w.Issuer + "\nsub=" + w.Subject +
		"\nnode=" + node.ID))
	return Identity{ID: hex.EncodeToString(sum[:16]), Source: SourceWebIdentity,
		Description: "role " + w.RoleARN + " assumed with the token of service account " + w.ServiceAccount()}, nil
}
