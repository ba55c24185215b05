package main

// Side by side with the programs ecr-login replaces. e2e/peers.sh builds
// them (cached in ${PEERS_DIR:-/tmp/ecr-login-peers}); the Makefile exports
// AWSLABS_HELPER and CPA_PROVIDER, and without them the bench runs the script.
//
// Pointing them at the fake: both build their clients with
// config.LoadDefaultConfig of aws-sdk-go-v2 (awslabs v0.12.0: config v1.32.10,
// api/factory.go; cloud-provider-aws v1.37.1: config v1.29.14,
// cmd/ecr-credential-provider/main.go defaultECRProvider), which reads
// AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL_ECR_PUBLIC / AWS_ENDPOINT_URL_STS,
// the same variables as ours. cloud-provider-aws' provider takes no flag for
// it, and it has no disk cache: every request it serves is a GetAuthorizationToken
// call (kubelet caches in memory for cacheDuration, which does not survive a
// kubelet restart or help a second node user). awslabs caches in
// AWS_ECR_CACHE_DIR like ours.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Targets against the peers, as ratios of medians in one interleaved run.
const (
	hitVsAwslabs       = 0.90 // cache hit (static keys, AWS_PROFILE)
	coldVsAwslabs      = 1.00 // cold get
	providerColdVsCPA  = 1.00 // first kubelet request
	providerRepeatGain = 5.0  // a repeated request: cloud-provider-aws / ours, at least
)

type peers struct {
	awslabs string // awslabs/amazon-ecr-credential-helper v0.12.0
	cpa     string // kubernetes/cloud-provider-aws v1.37.1 ecr-credential-provider
}

func (b *bench) findPeers(root string) error {
	b.peers = peers{awslabs: os.Getenv("AWSLABS_HELPER"), cpa: os.Getenv("CPA_PROVIDER")}
	if !isExecutable(b.peers.awslabs) || !isExecutable(b.peers.cpa) {
		b.logf("building the peers with e2e/peers.sh")
		cmd := exec.Command("bash", filepath.Join(root, "e2e", "peers.sh"))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("e2e/peers.sh: %w", err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			k, v, _ := strings.Cut(line, "=")
			switch k {
			case "AWSLABS_HELPER":
				b.peers.awslabs = v
			case "CPA_PROVIDER":
				b.peers.cpa = v
			}
		}
	}
	for name, p := range map[string]string{"AWSLABS_HELPER": b.peers.awslabs, "CPA_PROVIDER": b.peers.cpa} {
		if !isExecutable(p) {
			return fmt.Errorf("%s=%q is not an executable file; run e2e/peers.sh", name, p)
		}
	}
	for _, p := range []string{b.peers.awslabs, b.peers.cpa} {
		if st, err := os.Stat(p); err == nil {
			b.rep.Sizes[filepath.Base(filepath.Dir(p))] = int(st.Size())
		}
	}
	return nil
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return p != "" && err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// peerHitKinds are the hit rows added to the interleaved rounds: ours with
// AWS_PROFILE, and awslabs with static keys and with AWS_PROFILE. The profile
// holds static keys in the shared config file (no process to run), so that
// the row measures reading the profile, not a credential source.
func (b *bench) peerHitKinds() ([]kind, error) {
	cfg := filepath.Join(b.work, "profile-config")
	body := "[profile bench]\naws_access_key_id = AKIDBENCHPROFILE000\naws_secret_access_key = bench-profile-secret\nregion = us-east-1\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		return nil, err
	}
	profile := []string{"AWS_PROFILE=bench", "AWS_CONFIG_FILE=" + cfg}
	return []kind{
		{name: "helper hit, AWS_PROFILE", bin: b.bins[helperName], env: b.env(filepath.Join(b.work, "cache-profile"), profile...), check: b.checkHelper},
		{name: "awslabs hit", bin: b.peers.awslabs, env: b.env(filepath.Join(b.work, "cache-awslabs"), staticKeys...), check: b.checkHelper},
		{name: "awslabs hit, AWS_PROFILE", bin: b.peers.awslabs, env: b.env(filepath.Join(b.work, "cache-awslabs-profile"), profile...), check: b.checkHelper},
	}, nil
}

// --- the kubelet plugin -----------------------------------------------------------

func (b *bench) checkProvider(stdout []byte) error {
	var r struct {
		Kind string
		Auth map[string]struct{ Username, Password string }
	}
	if err := json.Unmarshal(stdout, &r); err != nil {
		return fmt.Errorf("answer is not JSON: %q", truncate(stdout))
	}
	if r.Kind != "CredentialProviderResponse" || len(r.Auth) != 1 {
		return fmt.Errorf("answer is not a response with one auth entry: %q", truncate(stdout))
	}
	for _, a := range r.Auth {
		if a.Username != "AWS" || a.Password != b.fake.Password() {
			return fmt.Errorf("answer has user %q and a password that is not the fake's", a.Username)
		}
	}
	return nil
}

// providerRequest is the kubelet's request for an image in registryHost.
const providerRequest = `{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"` + registryHost + `/app:1"}`

// measureProvider times, interleaved against n's fake: our provider with a
// fresh cache directory per request (a first request on the node), ours with
// a warm one (every later request, until the token nears expiry), and
// cloud-provider-aws', for which every request is a first one.
func (b *bench) measureProvider(n network) []series {
	b.logf("timing %d rounds of kubelet requests, %s", n.rounds, n.label)
	warm := filepath.Join(b.work, n.dir, "provider-warm")
	kinds := []kind{
		{name: "provider, first request (fresh cache dir)", bin: b.bins[providerName]},
		{name: "provider, repeated request (disk cache)", bin: b.bins[providerName], env: b.env(warm, n.env()...)},
		{name: "cloud-provider-aws, any request (no disk cache)", bin: b.peers.cpa, env: b.env(filepath.Join(b.work, n.dir, "cpa"), n.env()...)},
	}
	for i := range kinds {
		kinds[i].args, kinds[i].stdin, kinds[i].check = []string{}, []byte(providerRequest), b.checkProvider
	}
	n.fake.Reset()
	for _, k := range kinds[1:] {
		b.execChecked(k, "provider warm-up request, "+n.label)
	}
	if c := n.fake.CallCount(); c != 2 {
		b.fail("the warm-up requests of both providers, %s, made %d ECR calls, want 2", n.label, c)
	}
	n.fake.Reset()
	samples := make([][]sample, len(kinds))
	for i := range n.rounds {
		kinds[0].env = b.env(filepath.Join(b.work, n.dir, "provider-cold", strconv.Itoa(i)), n.env()...)
		for j := range kinds {
			x := (i + j) % len(kinds)
			if s := b.execChecked(kinds[x], kinds[x].name+", "+n.label); s.err == nil {
				samples[x] = append(samples[x], s)
			}
		}
	}
	if c := n.fake.CallCount(); c != 2*n.rounds {
		b.fail("%d rounds of provider requests, %s, made %d ECR calls, want %d (ours: one per fresh cache; cloud-provider-aws: one each)", n.rounds, n.label, c, 2*n.rounds)
	}
	var out []series
	for x, k := range kinds {
		out = append(out, toSeries(k.name, samples[x]))
	}
	return out
}

// --- verdicts and the side-by-side table ----------------------------------------------

// find is the stats of the first series in list named with prefix.
func find(list []series, prefix string) stats {
	for _, s := range list {
		if strings.HasPrefix(s.Name, prefix) {
			return s.Stats
		}
	}
	return stats{}
}

func (b *bench) rssMedian(name string) (int64, bool) {
	for _, r := range b.rep.RSS {
		if r.Name == name {
			return r.HWMMedKiB, r.Runs > 0
		}
	}
	return 0, false
}

func ratioVerdict(target, ours, peer string, o, p stats, limit float64) verdict {
	r := o.MedMS / p.MedMS
	return verdict{
		Target: fmt.Sprintf("%s: %s ≤ %.2f× %s", target, ours, limit, peer),
		Value:  fmt.Sprintf("%.2f ms / %.2f ms = %.2f×", o.MedMS, p.MedMS, r),
		Pass:   o.Runs > 0 && p.Runs > 0 && r <= limit,
	}
}

// repeatVerdict is the repeated kubelet request's target: ours with a warm
// cache against cloud-provider-aws, which has none.
func repeatVerdict(where string, rep, cpa stats) verdict {
	gain := cpa.MedMS / rep.MedMS
	return verdict{
		Target: fmt.Sprintf("kubelet plugin, repeated request %s: ≥ %.0f× faster than cloud-provider-aws", where, providerRepeatGain),
		Value:  fmt.Sprintf("%.2f ms / %.2f ms = %.1f× faster", cpa.MedMS, rep.MedMS, gain),
		Pass:   rep.Runs > 0 && cpa.Runs > 0 && gain >= providerRepeatGain,
	}
}

func (b *bench) peerVerdicts() []verdict {
	v := []verdict{
		ratioVerdict("cache hit, static keys", "ours", "awslabs", b.hit("helper hit"), b.hit("awslabs hit"), hitVsAwslabs),
		ratioVerdict("cache hit, AWS_PROFILE", "ours", "awslabs", b.hit("helper hit, AWS_PROFILE"), b.hit("awslabs hit, AWS_PROFILE"), hitVsAwslabs),
	}
	// The rows that call the fake count over HTTPS; over plain HTTP they are
	// reported, not counted (networkWhyNote says why).
	for _, plain := range []verdict{
		ratioVerdict("cold get over HTTP loopback", "ours", "awslabs", b.rep.Cold.Stats, b.rep.PeerCold.Stats, coldVsAwslabs),
		ratioVerdict("kubelet plugin, first request over HTTP loopback", "ours", "cloud-provider-aws", find(b.rep.Provider, "provider, first"), find(b.rep.Provider, "cloud-provider-aws"), providerColdVsCPA),
		repeatVerdict("over HTTP loopback", find(b.rep.Provider, "provider, repeated"), find(b.rep.Provider, "cloud-provider-aws")),
	} {
		plain.Informational = true
		v = append(v, plain)
	}
	v = append(v, b.httpsVerdicts()...)
	if rssSupported {
		ours, ok1 := b.rssMedian("helper hit")
		peer, ok2 := b.rssMedian("awslabs hit")
		v = append(v, verdict{
			Target: "peak RSS of a hit (VmHWM, median): ours ≤ awslabs",
			Value:  fmt.Sprintf("%s vs %s", mib(ours), mib(peer)),
			Pass:   ok1 && ok2 && ours <= peer,
		})
	}
	return v
}

// printPeers writes the side-by-side table (the one the README quotes).
func (b *bench) printPeers(w io.Writer) {
	fmt.Fprintf(w, "### Side by side (medians; ratio = ours / theirs)\n\n")
	fmt.Fprintf(w, "awslabs = %s, cloud-provider-aws = %s, built by e2e/peers.sh with the same flags as ours.\n\n",
		"awslabs/amazon-ecr-credential-helper v0.12.0", "kubernetes/cloud-provider-aws v1.37.1 ecr-credential-provider")
	row := func(path string, o, p stats) {
		fmt.Fprintf(w, "| %s | %.2f ms | %.2f ms | %.2f× |\n", path, o.MedMS, p.MedMS, o.MedMS/p.MedMS)
	}
	fmt.Fprintln(w, "| path | ours | theirs | ratio |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	row("`get`, cache hit, static keys (vs awslabs)", b.hit("helper hit"), b.hit("awslabs hit"))
	row("`get`, cache hit, AWS_PROFILE (vs awslabs)", b.hit("helper hit, AWS_PROFILE"), b.hit("awslabs hit, AWS_PROFILE"))
	const plain, tls = "fake ECR on loopback, HTTP", "fake ECR on loopback, HTTPS, system roots"
	h := b.rep.HTTPS
	row("`get`, cold, "+plain+" (vs awslabs)", b.rep.Cold.Stats, b.rep.PeerCold.Stats)
	row("`get`, cold, "+tls+" (vs awslabs)", h.Cold.Stats, h.PeerCold.Stats)
	for _, r := range []struct{ what, prefix string }{{"first request", "provider, first"}, {"repeated request", "provider, repeated"}} {
		row("kubelet plugin, "+r.what+", "+plain+" (vs cloud-provider-aws)", find(b.rep.Provider, r.prefix), find(b.rep.Provider, "cloud-provider-aws"))
		row("kubelet plugin, "+r.what+", "+tls+" (vs cloud-provider-aws)", find(h.Provider, r.prefix), find(h.Provider, "cloud-provider-aws"))
	}
	if rssSupported {
		ours, _ := b.rssMedian("helper hit")
		peer, _ := b.rssMedian("awslabs hit")
		fmt.Fprintf(w, "| peak RSS of a cache hit (VmHWM, median; vs awslabs) | %s | %s | %.2f× |\n", mib(ours), mib(peer), float64(ours)/float64(peer))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "HTTPS, system roots: the same fake over TLS (RSA-2048 leaf for 127.0.0.1, a CA of its own), trusted by each child as AWS is in production:"+
		" SSL_CERT_FILE holds %s (no AWS_CA_BUNDLE, no SSL_CERT_DIR); %d interleaved rounds. Without the CA, each of these failed and reached no handler: %s.\n\n",
		h.Roots, h.Rounds, strings.Join(h.Refused, "; "))
	var buf bytes.Buffer
	for _, n := range []struct {
		label  string
		rounds int
		list   []series
	}{{plain, *flagCold, b.rep.Provider}, {tls, h.Rounds, h.Provider}} {
		fmt.Fprintf(&buf, "Kubelet plugin rows, %s, %d interleaved rounds:\n\n", n.label, n.rounds)
		fmt.Fprintln(&buf, "| binary | runs | median | p90 | min |")
		fmt.Fprintln(&buf, "|---|---:|---:|---:|---:|")
		for _, s := range n.list {
			fmt.Fprintf(&buf, "| %s | %d | %.2f ms | %.2f ms | %.2f ms |\n", s.Name, s.Stats.Runs, s.Stats.MedMS, s.Stats.P90MS, s.Stats.MinMS)
		}
		fmt.Fprintln(&buf)
	}
	w.Write(buf.Bytes())
}
