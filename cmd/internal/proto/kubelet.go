package proto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/ecr-login/ecr-login/ecr/local"
)

// ProviderName is the kubelet image credential provider binary.
const ProviderName = "ecr-credential-provider"

// ProviderAPIVersions are the kubelet credential provider API versions this
// provider answers in.
var ProviderAPIVersions = map[string]bool{
	"credentialprovider.kubelet.k8s.io/v1":       true,
	"credentialprovider.kubelet.k8s.io/v1beta1":  true,
	"credentialprovider.kubelet.k8s.io/v1alpha1": true,
}

// ProviderRequest is CredentialProviderRequest, the fields we read. Fields
// kubelet may add later are accepted and ignored. The service account token
// (Kubernetes 1.34+, tokenAttributes) is a secret: see PodIdentity.
type ProviderRequest struct {
	APIVersion                string            `json:"apiVersion"`
	Kind                      string            `json:"kind"`
	Image                     string            `json:"image"`
	ServiceAccountToken       string            `json:"serviceAccountToken,omitempty"`
	ServiceAccountAnnotations map[string]string `json:"serviceAccountAnnotations,omitempty"`
}

// ProviderResponse is CredentialProviderResponse.
type ProviderResponse struct {
	APIVersion    string                  `json:"apiVersion"`
	Kind          string                  `json:"kind"`
	CacheKeyType  string                  `json:"cacheKeyType"`
	CacheDuration string                  `json:"cacheDuration,omitempty"`
	Auth          map[string]ProviderAuth `json:"auth"`
}

type ProviderAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// ProviderTimeout is ecr-credential-provider's deadline when AWS_ECR_TIMEOUT
// is not set: inside the minute kubelet gives an exec plugin, with room for
// the process to start and answer, and long enough for a throttled fleet's
// jittered retries (retry.go in package ecr).
const ProviderTimeout = 45 * time.Second

// WithProviderTimeout sets AWS_ECR_TIMEOUT to ProviderTimeout unless the
// environment (CredentialProviderConfig env:) sets it.
func WithProviderTimeout(environ []string) []string {
	if Environ(environ)(EnvTimeout) != "" {
		return environ
	}
	return append(append([]string(nil), environ...), EnvTimeout+"="+ProviderTimeout.String())
}

// Per-pod identities (Kubernetes 1.34+): kubelet passes the pod's service
// account token and the annotations named in tokenAttributes.
const (
	// AnnotationECRRole names the role a service account pulls images as
	// (as in cloud-provider-aws's ecr-credential-provider).
	AnnotationECRRole = "eks.amazonaws.com/ecr-role-arn"
	// AnnotationIRSARole is the IRSA annotation; used only when
	// EnvAcceptIRSAAnnotation is true.
	AnnotationIRSARole = "eks.amazonaws.com/role-arn"
	// EnvECRRoleARN is the provider's default role for pods whose service
	// account names none (cloud-provider-aws's name).
	EnvECRRoleARN = "AWS_ECR_ROLE_ARN"
	// EnvAcceptIRSAAnnotation=true makes AnnotationIRSARole name the role
	// when AnnotationECRRole is absent.
	EnvAcceptIRSAAnnotation = "AWS_ECR_ACCEPT_IRSA_ANNOTATION"
	// ServiceAccountTokenAudience is the audience STS accepts.
	ServiceAccountTokenAudience = "sts.amazonaws.com"
)

// PodIdentity returns the pod's role and token when the request carries a
// service account token and a role is named (annotation, else
// AWS_ECR_ROLE_ARN), nil otherwise: then the node's identity is used,
// exactly as without a token. Errors never quote the token.
func PodIdentity(req ProviderRequest, env local.Getenv, logger *slog.Logger) (*local.WebIdentity, error) {
	irsa, err := BoolSetting(env, EnvAcceptIRSAAnnotation)
	if err != nil {
		return nil, err
	}
	if req.ServiceAccountToken == "" {
		return nil, nil
	}
	role, from := roleFor(req.ServiceAccountAnnotations, env, irsa)
	if role == "" {
		logger.Debug("a service account token was passed but no role is named (annotation " + AnnotationECRRole +
			" or " + EnvECRRoleARN + "): pulling as the node")
		return nil, nil
	}
	pod, err := local.NewWebIdentity(role, req.ServiceAccountToken)
	if err != nil {
		return nil, fmt.Errorf("the role from %s: %v", from, err)
	}
	logger.Debug("pulling as the pod's role", "pod", pod, "role_from", from)
	return pod, nil
}

// roleFor picks the role: the ECR annotation (present but empty opts out of
// the default, as in cloud-provider-aws), then the IRSA annotation if
// enabled, then AWS_ECR_ROLE_ARN. from says where it came from.
func roleFor(annotations map[string]string, env local.Getenv, irsa bool) (role, from string) {
	if v, ok := annotations[AnnotationECRRole]; ok {
		return strings.TrimSpace(v), "annotation " + AnnotationECRRole
	}
	if v := strings.TrimSpace(annotations[AnnotationIRSARole]); irsa && v != "" {
		return v, "annotation " + AnnotationIRSARole + " (" + EnvAcceptIRSAAnnotation + "=true)"
	}
	return strings.TrimSpace(env(EnvECRRoleARN)), EnvECRRoleARN
}

// BoolSetting reads an on/off variable; anything else is an error.
func BoolSetting(env local.Getenv, name string) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(env(name))); v {
	case "", "0", "false", "no", "off":
		return false, nil
	case "1", "true", "yes", "on":
		return true, nil
	}
	return false, fmt.Errorf("%s=%q: want true or false", name, env(name))
}

// DecodeProviderRequest reads and checks a CredentialProviderRequest.
func DecodeProviderRequest(r io.Reader) (ProviderRequest, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxStdin+1))
	if err != nil {
		return ProviderRequest{}, fmt.Errorf("reading the request on stdin: %w", err)
	}
	if len(data) > MaxStdin {
		return ProviderRequest{}, errors.New("the request on stdin is larger than 1 MiB")
	}
	var req ProviderRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return ProviderRequest{}, fmt.Errorf("stdin is not a CredentialProviderRequest: %v", err)
	}
	if !ProviderAPIVersions[req.APIVersion] {
		return ProviderRequest{}, fmt.Errorf("unsupported apiVersion %q: want credentialprovider.kubelet.k8s.io/v1, v1beta1 or v1alpha1", req.APIVersion)
	}
	if req.Kind != "" && req.Kind != "CredentialProviderRequest" {
		return ProviderRequest{}, fmt.Errorf("unexpected kind %q: want CredentialProviderRequest", req.Kind)
	}
	if strings.TrimSpace(req.Image) == "" {
		return ProviderRequest{}, errors.New("the request has no image")
	}
	return req, nil
}

// ImageRegistry is the registry host of an image reference, the way kubelet
// keys Registry-cached credentials: everything before the first "/". An image
// without one ("nginx") is on Docker Hub.
func ImageRegistry(image string) string {
	image = strings.TrimSpace(image)
	host, _, found := strings.Cut(image, "/")
	if !found {
		return "docker.io"
	}
	return host
}

// CacheDuration tells kubelet to keep the token no longer than our cache
// would serve it, in whole seconds, rounded down.
func CacheDuration(refreshAt, now time.Time) string {
	d := refreshAt.Sub(now).Truncate(time.Second)
	if d < 0 {
		d = 0
	}
	return d.String()
}

// NewProviderResponse is the response to req: auth for host when c is not
// nil, kept by kubelet no longer than our cache would serve it (now is the
// clock's time); else no auth, not to be cached.
func NewProviderResponse(req ProviderRequest, host string, c *local.Credentials, now time.Time) ProviderResponse {
	resp := ProviderResponse{APIVersion: req.APIVersion, Kind: "CredentialProviderResponse",
		CacheKeyType: "Registry", Auth: map[string]ProviderAuth{}, CacheDuration: "0s"}
	if c != nil {
		resp.Auth[host] = ProviderAuth{Username: c.Username, Password: c.Password}
		resp.CacheDuration = CacheDuration(c.RefreshAt, now)
	}
	return resp
}

// WriteProviderResponse writes resp as one line of JSON, in one write.
func WriteProviderResponse(w io.Writer, resp ProviderResponse) error {
	var out bytes.Buffer
	if err := json.NewEncoder(&out).Encode(resp); err != nil {
		return fmt.Errorf("encoding response: %v", err)
	}
	if _, err := w.Write(out.Bytes()); err != nil {
		return fmt.Errorf("writing response: %v", err)
	}
	return nil
}

// ProviderFailed writes err as ecr-credential-provider's error line on
// stderr, redacted, and returns the exit code 1.
func ProviderFailed(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "%s: error: %s\n", ProviderName, local.Redact(err.Error()))
	return 1
}
