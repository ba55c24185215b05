package ecr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/ecr/local"
)

// A credential_process whose output is not valid JSON (cut short, a
// trailing comma, a stray line before it) still has its secret fields
// registered one by one, so its stderr (relayed after the output is read)
// and any error quoting a single field never carry them. Registering only
// the whole output redacts the SDK's quote of it, not the field alone.
func TestRememberProcessOutputMalformedJSON(t *testing.T) {
	for i, shape := range []string{
		`{"Version":1,"AccessKeyId":"ASIAPROCESS0000002","SecretAccessKey":"SECRET","SessionToken":"TOKEN"`,
		`{"Version":1,"AccessKeyId":"ASIAPROCESS0000002","SecretAccessKey":"SECRET","SessionToken":"TOKEN",}`,
		"debug: starting\n" + `{"Version":1, "AccessKeyId" : "ASIAPROCESS0000002", "SecretAccessKey": "SECRET", "SessionToken":"TOKEN"}`,
	} {
		secret := fmt.Sprintf("SENTINEL-malformed-secret-%d-4c1d", i)
		token := fmt.Sprintf("SENTINEL-malformed-token-%d-4c1d", i)
		out := strings.NewReplacer("SECRET", secret, "TOKEN", token).Replace(shape)
		local.RememberProcessOutput([]byte(out))
		got := Redact("stderr says " + secret + " and " + token + " for ASIAPROCESS0000002")
		if strings.Contains(got, "SENTINEL") {
			t.Fatalf("output %q: a field survived: %q", out, got)
		}
		if !strings.Contains(got, "ASIAPROCESS0000002") {
			t.Fatalf("the access key id was redacted: %q", got)
		}
	}
}
