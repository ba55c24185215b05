package testenv

import (
	"sort"
	"strconv"
	"strings"
)

// InitCost is one package initialiser's allocations, from GODEBUG=inittrace=1.
type InitCost struct {
	Pkg   string
	Bytes int64
}

// ParseInitTrace reads GODEBUG=inittrace=1 lines
// ("init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs"), in
// the order the packages initialised, and their total bytes.
func ParseInitTrace(stderr string) ([]InitCost, int64) {
	var costs []InitCost
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
		costs = append(costs, InitCost{f[1], n})
		total += n
	}
	return costs, total
}

// Heaviest is costs sorted by bytes, heaviest first.
func Heaviest(costs []InitCost) []InitCost {
	s := append([]InitCost(nil), costs...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].Bytes > s[j].Bytes })
	return s
}

// HitForbidden are packages a cache hit must not initialise, and why.
// cmd/internal/fast answers hits before the AWS SDK's service clients,
// their endpoint resolvers and net/http initialise; the schema packages of
// service/ecr v1.66.0+ and ecrpublic v1.44.0+ (go.mod pins the versions
// before them, for misses) and a YAML library are listed on their own so
// that the message names them.
var HitForbidden = []string{
	"github.com/aws/aws-sdk-go-v2/service/ecr/schemas",
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic/schemas",
	"github.com/aws/aws-sdk-go-v2/service/ecr",
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic",
	"github.com/aws/aws-sdk-go-v2/service/sts",
	"github.com/aws/aws-sdk-go-v2/config",
	"net/http",
	"go.yaml.in/yaml/v3", // ecr/local/yamlmini.go reads config.yaml
	"gopkg.in/yaml.v3",
	"sigs.k8s.io/yaml",
	"google.golang.org/grpc", // e2e tools only
	"k8s.io/apimachinery/pkg/runtime",
}

// ForbiddenIn lists the packages of costs that HitForbidden names (a
// package or one under it).
func ForbiddenIn(costs []InitCost) []string {
	var bad []string
	for _, c := range costs {
		for _, f := range HitForbidden {
			if c.Pkg == f || strings.HasPrefix(c.Pkg, f+"/") {
				bad = append(bad, c.Pkg)
				break
			}
		}
	}
	return bad
}
