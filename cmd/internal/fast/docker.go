package fast

import (
	"bytes"
	"errors"
	"io"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/ecr-login/ecr-login/cmd/internal/proto"
	"github.com/ecr-login/ecr-login/ecr/local"
)

// serveDocker answers `get` from the cache on stdout and says so, or writes
// nothing and returns false.
func serveDocker(args []string, stdin io.Reader, stdout io.Writer, environ []string, now func() time.Time) bool {
	if len(args) != 1 || args[0] != credentials.ActionGet {
		return false
	}
	cfg, err := proto.LoadConfig(proto.Environ(environ))
	if err != nil {
		return false
	}
	tc := tokens(cfg, now)
	if tc == nil {
		return false
	}
	data := readStdin(stdin)
	if data == nil {
		return false
	}
	in, err := proto.ReadDockerInput(bytes.NewReader(data), credentials.ActionGet)
	if err != nil {
		return false
	}
	var out bytes.Buffer
	if err := credentials.Get(cachedOnly{cfg, tc}, in, &out); err != nil {
		return false
	}
	// As credentials.Get itself, a failed write of the answer is not
	// retried: the full path would fail the same way.
	stdout.Write(out.Bytes())
	return true
}

// errMiss makes credentials.Get write nothing: the full path takes over.
var errMiss = errors.New("not a cache hit")

// cachedOnly is a credentials.Helper that only knows the cache.
type cachedOnly struct {
	cfg proto.Config
	tc  *local.TokenCache
}

func (c cachedOnly) Get(serverURL string) (string, string, error) {
	if cr, ok := hit(c.cfg, c.tc, serverURL, nil); ok {
		return cr.Username, cr.Password, nil
	}
	warm(c.cfg, serverURL, nil)
	return "", "", errMiss
}

func (cachedOnly) Add(*credentials.Credentials) error { return errMiss }
func (cachedOnly) Delete(string) error                { return errMiss }
func (cachedOnly) List() (map[string]string, error)   { return nil, errMiss }
