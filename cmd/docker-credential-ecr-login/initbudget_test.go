package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
	"github.com/ecr-login/ecr-login/internal/testenv"
)

// Every process Docker starts pays for the initialisers of the packages it
// links before main runs. A cache hit is answered from a package init
// (cmd/internal/fast) before the AWS SDK's service packages initialise, so
// it must not initialise them (testenv.HitForbidden). Time is too noisy to
// assert on (that is `make bench`'s job), but the bytes the initialisers
// allocate are the same on every run and follow their cost.
//
// The budget is the figure measured when it was set plus ~15% for Go and SDK
// patch releases. If this fails, the message names the heaviest packages:
// find which new import or dependency bump brought them (go.mod explains the
// pins) before raising the budget, and measure with `make bench`. Before the
// fast path, a hit allocated 788,632 bytes.
const initBudgetBytes = 285 << 10 // measured: 247,040 bytes (Go 1.26.8, Dec 2026)

func TestCacheHitInitAllocationBudget(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	env["GODEBUG"] = "inittrace=1"
	miss := runHelper(t, env, "get", hostA) // fills the cache
	mustAnswer(t, miss)
	// The check below can fail: a miss runs the full path, SDK and all.
	if missCosts, _ := testenv.ParseInitTrace(miss.stderr); len(testenv.ForbiddenIn(missCosts)) == 0 {
		t.Fatalf("a miss initialised none of %v; is the trace parsed?\n%s", testenv.HitForbidden, miss.stderr)
	}
	r := runHelper(t, env, "get", hostA)
	mustAnswer(t, r)
	if fake.CallCount() != 1 {
		t.Fatalf("the traced get was not a cache hit: %d ECR calls", fake.CallCount())
	}
	costs, total := testenv.ParseInitTrace(r.stderr)
	if len(costs) < 20 {
		t.Fatalf("GODEBUG=inittrace=1 printed %d init lines; stderr:\n%s", len(costs), r.stderr)
	}
	var top []string
	for _, c := range testenv.Heaviest(costs)[:min(8, len(costs))] {
		top = append(top, fmt.Sprintf("%s %d", c.Pkg, c.Bytes))
	}
	t.Logf("init allocations of a cache hit: %d bytes in %d packages; heaviest: %s", total, len(costs), strings.Join(top, ", "))
	if bad := testenv.ForbiddenIn(costs); len(bad) > 0 {
		t.Errorf("a cache hit initialises %v: it was not answered before them (cmd/internal/fast), or they came back; see internal/testenv/inittrace.go", bad)
	}
	if total > initBudgetBytes {
		t.Errorf("package initialisers of a cache hit allocate %d bytes, over the budget of %d; heaviest: %s",
			total, initBudgetBytes, strings.Join(top, ", "))
	}
}

func TestParseInitTrace(t *testing.T) {
	costs, total := testenv.ParseInitTrace("init a @0.1 ms, 0.2 ms clock, 100 bytes, 2 allocs\nnoise\ninit b @1 ms, 0 ms clock, 300 bytes, 1 allocs\n")
	if total != 400 || len(costs) != 2 || costs[0].Pkg != "a" || testenv.Heaviest(costs)[0].Pkg != "b" {
		t.Fatalf("ParseInitTrace = %v, %d", costs, total)
	}
}
