package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// Every process Docker starts pays for the package initialisers of every
// package the helper links, cache hits included, before main runs. Time is
// too noisy to assert on (that is `make bench`'s job), but the bytes those
// initialisers allocate are the same on every run and follow their cost: the
// schema-based serialization of service/ecr v1.66.0+ and ecrpublic v1.44.0+
// added ~550 KB (1-3 ms per hit), a YAML library ~26 KB.
//
// The budget is the figure measured when it was set plus ~15% for Go and SDK
// patch releases. If this fails, the message names the heaviest packages:
// find which new import or dependency bump brought them (go.mod explains the
// pins) before raising the budget, and measure with `make bench`.
const initBudgetBytes = 900 << 10 // measured: 788,632 bytes (Go 1.26.8, Dec 2026)

// Packages a hit must never initialise: each one's cost is why it is pinned
// or replaced.
var initForbidden = []string{
	"github.com/aws/aws-sdk-go-v2/service/ecr/schemas",       // go.mod: ecr pinned before v1.66.0
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic/schemas", // go.mod: ecrpublic pinned before v1.44.0
	"go.yaml.in/yaml/v3", // ecr/yamlmini.go reads config.yaml
	"gopkg.in/yaml.v3",
	"sigs.k8s.io/yaml",
	"google.golang.org/grpc", // e2e tools only
	"k8s.io/apimachinery/pkg/runtime",
}

type initCost struct {
	pkg   string
	bytes int64
}

// parseInitTrace reads GODEBUG=inittrace=1 lines:
// "init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs".
func parseInitTrace(stderr string) ([]initCost, int64) {
	var costs []initCost
	var total int64
	for _, line := range strings.Split(stderr, "\n") {
		f := strings.Fields(line)
		if len(f) < 11 || f[0] != "init" || f[8] != "bytes," {
			continue
		}
		n, err := strconv.ParseInt(f[7], 10, 64)
		if err != nil {
			continue
		}
		costs = append(costs, initCost{f[1], n})
		total += n
	}
	sort.Slice(costs, func(i, j int) bool { return costs[i].bytes > costs[j].bytes })
	return costs, total
}

func TestCacheHitInitAllocationBudget(t *testing.T) {
	fake := ecrtest.NewServer()
	defer fake.Close()
	env := baseEnv(t, fake.URL())
	mustAnswer(t, runHelper(t, env, "get", hostA)) // fills the cache
	env["GODEBUG"] = "inittrace=1"
	r := runHelper(t, env, "get", hostA)
	mustAnswer(t, r)
	if fake.CallCount() != 1 {
		t.Fatalf("the traced get was not a cache hit: %d ECR calls", fake.CallCount())
	}
	costs, total := parseInitTrace(r.stderr)
	if len(costs) < 20 {
		t.Fatalf("GODEBUG=inittrace=1 printed %d init lines; stderr:\n%s", len(costs), r.stderr)
	}
	var top []string
	for _, c := range costs[:min(8, len(costs))] {
		top = append(top, fmt.Sprintf("%s %d", c.pkg, c.bytes))
	}
	t.Logf("init allocations of a cache hit: %d bytes in %d packages; heaviest: %s", total, len(costs), strings.Join(top, ", "))
	for _, c := range costs {
		for _, bad := range initForbidden {
			if c.pkg == bad || strings.HasPrefix(c.pkg, bad+"/") {
				t.Errorf("a cache hit initialises %s (%d bytes); see the comment in initbudget_test.go and go.mod", c.pkg, c.bytes)
			}
		}
	}
	if total > initBudgetBytes {
		t.Errorf("package initialisers of a cache hit allocate %d bytes, over the budget of %d; heaviest: %s",
			total, initBudgetBytes, strings.Join(top, ", "))
	}
}

func TestParseInitTrace(t *testing.T) {
	costs, total := parseInitTrace("init a @0.1 ms, 0.2 ms clock, 100 bytes, 2 allocs\nnoise\ninit b @1 ms, 0 ms clock, 300 bytes, 1 allocs\n")
	if total != 400 || len(costs) != 2 || costs[0].pkg != "b" {
		t.Fatalf("parseInitTrace = %v, %d", costs, total)
	}
}
