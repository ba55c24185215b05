package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/ecr-login/ecr-login/ecr"
)

// ProviderName is the kubelet image credential provider binary.
const ProviderName = "ecr-credential-provider"

// Kubelet credential provider API versions this provider answers in.
var providerAPIVersions = map[string]bool{
	"credentialprovider.kubelet.k8s.io/v1":       true,
	"credentialprovider.kubelet.k8s.io/v1beta1":  true,
	"credentialprovider.kubelet.k8s.io/v1alpha1": true,
}

// providerRequest is CredentialProviderRequest, the fields we read. Fields
// kubelet may add later are accepted and ignored. The service account token
// (Kubernetes 1.34+, tokenAttributes) is a secret: see podIdentity.
type providerRequest struct {
	APIVersion                string            `json:"apiVersion"`
	Kind                      string            `json:"kind"`
	Image                     string            `json:"image"`
	ServiceAccountToken       string            `json:"serviceAccountToken,omitempty"`
	ServiceAccountAnnotations map[string]string `json:"serviceAccountAnnotations,omitempty"`
}

// providerResponse is CredentialProviderResponse.
type providerResponse struct {
	APIVersion    string                  `json:"apiVersion"`
	Kind          string                  `json:"kind"`
	CacheKeyType  string                  `json:"cacheKeyType"`
	CacheDuration string                  `json:"cacheDuration,omitempty"`
	Auth          map[string]providerAuth `json:"auth"`
}

type providerAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// RunProvider runs ecr-credential-provider: a CredentialProviderRequest on
// stdin, a CredentialProviderResponse on stdout in the request's apiVersion.
// Kubelet kills plugins after a minute; the default deadline leaves room.
func RunProvider(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string, opts ...ecr.Option) int {
	stderr = RedactingWriter(stderr) // nothing on stderr is ever a secret
	environ = withProviderTimeout(environ)
	if code, done := providerPreflight(args, stdout); done {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "%s: error: %s\n", ProviderName, fmt.Sprintf(format, a...))
		return 1
	}
	h, logger, closeLog, err := newHelper(ctx, ProviderName, environ, stderr, opts...)
	if err != nil {
		return fail("%v", err)
	}
	defer closeLog()
	if len(args) > 0 {
		logger.Warn("ignoring arguments; settings come from the environment (env: in CredentialProviderConfig)", "args", strings.Join(args, " "))
	}

	req, err := decodeProviderRequest(stdin)
	if err != nil {
		return fail("%v", err)
	}
	pod, err := podIdentity(req, Environ(environ), logger)
	if err != nil {
		return fail("%v", err)
	}
	resp := providerResponse{APIVersion: req.APIVersion, Kind: "CredentialProviderResponse",
		CacheKeyType: "Registry", Auth: map[string]providerAuth{}}
	host := imageRegistry(req.Image)
	var c ecr.Credentials
	if pod != nil {
		c, err = h.PodCredentials(ctx, host, pod)
	} else {
		c, err = h.Credentials(ctx, host)
	}
	switch {
	case credentials.IsErrCredentialsNotFound(err):
		// Not ECR, or ECR Public with no AWS credentials: nothing to offer,
		// kubelet pulls anonymously. Do not let kubelet cache the empty answer.
		logger.Info("no credentials for this image; kubelet will pull it anonymously", "image", req.Image)
		resp.CacheDuration = "0s"
	case err != nil:
		// The helper logged the cause with detail; kubelet shows stderr.
		return 1
	default:
		resp.Auth[host] = providerAuth{Username: c.Username, Password: c.Password}
		resp.CacheDuration = cacheDuration(c.RefreshAt, h.Now())
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	if err := enc.Encode(resp); err != nil {
		return fail("encoding response: %v", err)
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return fail("writing response: %v", err)
	}
	return 0
}

// decodeProviderRequest reads and checks a CredentialProviderRequest.
func decodeProviderRequest(r io.Reader) (providerRequest, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxStdin+1))
	if err != nil {
		return providerRequest{}, fmt.Errorf("reading the request on stdin: %w", err)
	}
	if len(data) > maxStdin {
		return providerRequest{}, errors.New("the request on stdin is larger than 1 MiB")
	}
	var req providerRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return providerRequest{}, fmt.Errorf("stdin is not a CredentialProviderRequest: %v", err)
	}
	if !providerAPIVersions[req.APIVersion] {
		return providerRequest{}, fmt.Errorf("unsupported apiVersion %q: want credentialprovider.kubelet.k8s.io/v1, v1beta1 or v1alpha1", req.APIVersion)
	}
	if req.Kind != "" && req.Kind != "CredentialProviderRequest" {
		return providerRequest{}, fmt.Errorf("unexpected kind %q: want CredentialProviderRequest", req.Kind)
	}
	if strings.TrimSpace(req.Image) == "" {
		return providerRequest{}, errors.New("the request has no image")
	}
	return req, nil
}

// imageRegistry is the registry host of an image reference, the way kubelet
// keys Registry-cached credentials: everything before the first "/". An image
// without one ("nginx") is on Docker Hub.
func imageRegistry(image string) string {
	image = strings.TrimSpace(image)
	host, _, found := strings.Cut(image, "/")
	if !found {
		return "docker.io"
	}
	return host
}

// cacheDuration tells kubelet to keep the token no longer than our cache
// would serve it, in whole seconds, rounded down.
func cacheDuration(refreshAt, now time.Time) string {
	d := refreshAt.Sub(now).Truncate(time.Second)
	if d < 0 {
		d = 0
	}
	return d.String()
}
