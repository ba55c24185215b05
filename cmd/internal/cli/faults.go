package cli

import (
	"errors"
	"fmt"

	"github.com/ecr-login/ecr-login/ecr"
)

// notFoundReason says which not-found case err is (not ECR, or ECR Public
// without credentials).
func notFoundReason(err error, input string) string {
	var nf *ecr.NotFoundError
	if errors.As(err, &nf) {
		return nf.Reason()
	}
	return fmt.Sprintf("%q is not an Amazon ECR registry", input)
}
