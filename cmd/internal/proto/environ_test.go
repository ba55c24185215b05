package proto

import "testing"

// TestEnvironCase: on Windows the SDK's os.Getenv finds aws_profile for
// AWS_PROFILE, so the snapshot the cache key is computed from must too;
// elsewhere names are case-sensitive, for the SDK and for us.
func TestEnvironCase(t *testing.T) {
	list := []string{"aws_profile=prod", "UserProfile=C:\\Users\\me", "AWS_REGION=x=y"}
	win := environ(list, true)
	if got := win("AWS_PROFILE"); got != "prod" {
		t.Errorf("windows: AWS_PROFILE = %q, want prod", got)
	}
	if got := win("USERPROFILE"); got != "C:\\Users\\me" {
		t.Errorf("windows: USERPROFILE = %q", got)
	}
	if got := win("AWS_REGION"); got != "x=y" {
		t.Errorf("windows: AWS_REGION = %q", got)
	}
	unix := environ(list, false)
	if got := unix("AWS_PROFILE"); got != "" {
		t.Errorf("unix: AWS_PROFILE = %q, want unset (names are case-sensitive)", got)
	}
	if got := unix("aws_profile"); got != "prod" {
		t.Errorf("unix: aws_profile = %q", got)
	}
}
