// Command sdkinit links the same AWS SDK and credential-helper packages as
// docker-credential-ecr-login, runs their package initialisers, prints the
// same constant answer as ../floor and exits. Its time minus floor's is the
// cost of loading and initialising those packages, which a cache hit of the
// helper pays even though it never calls them.
package main

import (
	"os"

	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/service/ecr"
	_ "github.com/aws/aws-sdk-go-v2/service/ecrpublic"
	_ "github.com/docker/docker-credential-helpers/credentials"
)

func main() {
	os.Stdout.WriteString(`{"ServerURL":"floor","Username":"AWS","Secret":"floor"}` + "\n")
}
