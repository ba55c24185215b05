package fast

import (
	"bytes"
	"io"
	"log/slog"
	"time"

	"github.com/ecr-login/ecr-login/cmd/internal/proto"
)

// serveProvider answers kubelet's CredentialProviderRequest from the cache
// on stdout and says so, with the error of writing it; or writes nothing and
// returns false. Arguments are
// left to the full path (it warns that it ignores them).
func serveProvider(args []string, stdin io.Reader, stdout io.Writer, environ []string, now func() time.Time) (bool, error) {
	if len(args) != 0 {
		return false, nil
	}
	env := proto.Environ(proto.WithProviderTimeout(environ))
	cfg, err := proto.LoadConfig(env)
	if err != nil {
		return false, nil
	}
	tc := tokens(cfg, now)
	if tc == nil {
		return false, nil
	}
	data := readStdin(stdin)
	if data == nil {
		return false, nil
	}
	req, err := proto.DecodeProviderRequest(bytes.NewReader(data))
	if err != nil {
		return false, nil
	}
	// Its log lines are debug lines, and debug logging never gets here.
	pod, err := proto.PodIdentity(req, env, slog.New(slog.DiscardHandler))
	if err != nil {
		return false, nil
	}
	host := proto.ImageRegistry(req.Image)
	c, ok := hit(cfg, tc, host, pod)
	if !ok {
		warm(cfg, host, pod)
		return false, nil
	}
	return true, proto.WriteProviderResponse(stdout, proto.NewProviderResponse(req, host, &c, now()))
}
