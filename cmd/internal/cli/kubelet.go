package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ecr-login/ecr-login/cmd/internal/proto"
	"github.com/ecr-login/ecr-login/ecr"
)

// ProviderName is the kubelet image credential provider binary.
const ProviderName = proto.ProviderName

// RunProvider runs ecr-credential-provider: a CredentialProviderRequest on
// stdin, a CredentialProviderResponse on stdout in the request's apiVersion.
// Kubelet kills plugins after a minute; the default deadline leaves room.
func RunProvider(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string, opts ...ecr.Option) int {
	stderr = RedactingWriter(stderr) // nothing on stderr is ever a secret
	environ = proto.WithProviderTimeout(environ)
	if code, done := providerPreflight(args, stdout); done {
		return code
	}
	fail := func(format string, a ...any) int { return proto.ProviderFailed(stderr, fmt.Errorf(format, a...)) }
	h, logger, closeLog, err := newHelper(ctx, ProviderName, environ, stderr, opts...)
	if err != nil {
		return fail("%v", err)
	}
	defer closeLog()
	if len(args) > 0 {
		logger.Warn("ignoring arguments; settings come from the environment (env: in CredentialProviderConfig)", "args", strings.Join(args, " "))
	}

	req, err := proto.DecodeProviderRequest(stdin)
	if err != nil {
		return fail("%v", err)
	}
	pod, err := proto.PodIdentity(req, Environ(environ), logger)
	if err != nil {
		return fail("%v", err)
	}
	host := proto.ImageRegistry(req.Image)
	var c ecr.Credentials
	if pod != nil {
		c, err = h.PodCredentials(ctx, host, pod)
	} else {
		c, err = h.Credentials(ctx, host)
	}
	var resp proto.ProviderResponse
	switch {
	case errors.Is(err, ecr.ErrNotFound):
		// Not ECR, or ECR Public with no AWS credentials: nothing to offer,
		// kubelet pulls anonymously. Do not let kubelet cache the empty answer.
		logger.Info("no credentials for this image; kubelet will pull it anonymously", "image", req.Image)
		resp = proto.NewProviderResponse(req, host, nil, h.Now())
	case err != nil:
		// The helper logged the cause with detail; kubelet shows stderr.
		return 1
	default:
		resp = proto.NewProviderResponse(req, host, &c, h.Now())
	}
	if err := proto.WriteProviderResponse(stdout, resp); err != nil {
		return fail("%v", err)
	}
	return 0
}
