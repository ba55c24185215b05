package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker-credential-helpers/credentials"

	"github.com/ecr-login/ecr-login/ecr"
)

// ProviderTimeout is ecr-credential-provider's deadline when AWS_ECR_TIMEOUT
// is not set: inside the minute kubelet gives an exec plugin, with room for
// the process to start and answer, and long enough for a throttled fleet's
// jittered retries (retry.go in package ecr).
const ProviderTimeout = 45 * time.Second

// withProviderTimeout sets AWS_ECR_TIMEOUT to ProviderTimeout unless the
// environment (CredentialProviderConfig env:) sets it.
func withProviderTimeout(environ []string) []string {
	if Environ(environ)(EnvTimeout) != "" {
		return environ
	}
	return append(append([]string(nil), environ...), EnvTimeout+"="+ProviderTimeout.String())
}

// notFoundReason says which not-found case err is (not ECR, or ECR Public
// without credentials).
func notFoundReason(err error, input string) string {
	var nf *ecr.NotFoundError
	if errors.As(err, &nf) {
		return nf.Reason()
	}
	return fmt.Sprintf("%q is not an Amazon ECR registry", input)
}

// checkStoreInput reads store's stdin the way credentials.Store does (lines
// joined, one JSON value) and says in a sentence what is wrong with it. It
// never quotes the input: it holds a password.
func checkStoreInput(data []byte) error {
	var joined bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		joined.Write(sc.Bytes())
	}
	if strings.TrimSpace(joined.String()) == "" {
		return errors.New(`store: stdin is empty; expected the JSON credentials docker sends ({"ServerURL":…,"Username":…,"Secret":…}); nothing was saved`)
	}
	var c credentials.Credentials
	if err := json.NewDecoder(&joined).Decode(&c); err != nil {
		return errors.New(`store: stdin is not the JSON credentials docker sends ({"ServerURL":…,"Username":…,"Secret":…}); nothing was saved`)
	}
	if strings.TrimSpace(c.ServerURL) == "" {
		return errors.New("store: the credentials on stdin name no ServerURL; nothing was saved")
	}
	return nil
}
