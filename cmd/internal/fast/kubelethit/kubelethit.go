// Package kubelethit answers ecr-credential-provider's cache hits from its
// init, before the AWS SDK's packages initialise (see package fast). Only
// that main imports it.
package kubelethit

import "github.com/ecr-login/ecr-login/cmd/internal/fast"

func init() { fast.Provider() }
