package cli

import (
	"errors"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/ecr-login/ecr-login/ecr"
)

// dockerHelper adapts an ecr.Helper to docker-credential-helpers'
// credentials.Helper: the one place the Docker protocol meets package ecr.
type dockerHelper struct{ h *ecr.Helper }

var _ credentials.Helper = dockerHelper{}

// Get answers the protocol's not-found, in its exact text, when ecr has no
// token for the host (ecr.ErrNotFound).
func (d dockerHelper) Get(serverURL string) (string, string, error) {
	user, secret, err := d.h.Get(serverURL)
	if errors.Is(err, ecr.ErrNotFound) {
		return "", "", credentials.NewErrCredentialsNotFound()
	}
	return user, secret, err
}

func (d dockerHelper) Add(c *credentials.Credentials) error { return d.h.Store(c.ServerURL) }

func (d dockerHelper) Delete(serverURL string) error { return d.h.Delete(serverURL) }

func (d dockerHelper) List() (map[string]string, error) { return d.h.List() }
