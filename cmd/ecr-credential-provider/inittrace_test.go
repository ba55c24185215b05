package main

import (
	"testing"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
	"github.com/ecr-login/ecr-login/internal/testenv"
)

// A repeated request is answered from the cache before the AWS SDK's
// service packages initialise (cmd/internal/fast), as the helper's hits are
// (see initbudget_test.go in cmd/docker-credential-ecr-login).
func TestRepeatRequestInitialisesNoSDKService(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := append(providerEnv(t, fake.URL()), "GODEBUG=inittrace=1")
	req := request("credentialprovider.kubelet.k8s.io/v1", host+"/app:1")
	code, out, missTrace := runProvider(t, env, req)
	if code != 0 {
		t.Fatalf("first request: exit %d, %s", code, missTrace)
	}
	if costs, _ := testenv.ParseInitTrace(missTrace); len(testenv.ForbiddenIn(costs)) == 0 {
		t.Fatalf("the first request initialised none of %v; is the trace parsed?", testenv.HitForbidden)
	}
	code, again, hitTrace := runProvider(t, env, req)
	if code != 0 || string(again) != string(out) || fake.CallCount() != 1 {
		t.Fatalf("repeat: exit %d, %d ECR calls, answer %s, first answer %s", code, fake.CallCount(), again, out)
	}
	costs, _ := testenv.ParseInitTrace(hitTrace)
	if len(costs) < 20 {
		t.Fatalf("GODEBUG=inittrace=1 printed %d init lines", len(costs))
	}
	if bad := testenv.ForbiddenIn(costs); len(bad) > 0 {
		t.Errorf("a repeated request initialises %v: it was not answered before them (cmd/internal/fast)", bad)
	}
}
