// The measurements, in the order the report lists them: cache hits (with and
// without a slow credential_process), cold gets, concurrent cold gets against a
// stalled fake, peak RSS, and the init trace.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ecr-login/ecr-login/cache"
	"github.com/ecr-login/ecr-login/ecr/ecrtest"
)

// --- 1 + 2: cache hits ----------------------------------------------------------

func (b *bench) slowCreds() (script, counter string, err error) {
	counter = filepath.Join(b.work, "slow-creds.count")
	script = filepath.Join(b.work, "slow-creds")
	body := fmt.Sprintf("#!/bin/sh\necho run >> '%s'\nsleep %.3f\nprintf '%%s\\n' '{\"Version\":1,\"AccessKeyId\":\"AKIDSLOW\",\"SecretAccessKey\":\"x\"}'\n",
		counter, slowDelay.Seconds())
	return script, counter, os.WriteFile(script, []byte(body), 0o755)
}

func countLines(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(data, []byte("\n"))
}

func (b *bench) measureHits() error {
	script, counter, err := b.slowCreds()
	if err != nil {
		return err
	}
	slowCfg := filepath.Join(b.work, "slow-config")
	if err := os.WriteFile(slowCfg, []byte("[profile slow]\ncredential_process = "+script+"\n"), 0o600); err != nil {
		return err
	}
	hitCache := filepath.Join(b.work, "cache-hit")
	slowCache := filepath.Join(b.work, "cache-slow")
	kinds := []kind{
		{name: "helper hit", bin: b.bins[helperName], env: b.env(hitCache, staticKeys...), check: b.checkHelper},
		{name: "helper hit, 300 ms credential_process profile", bin: b.bins[helperName],
			env: b.env(slowCache, "AWS_PROFILE=slow", "AWS_CONFIG_FILE="+slowCfg), check: b.checkHelper},
		{name: "floor", bin: b.bins["floor"], env: b.env(hitCache, staticKeys...), check: checkFloor},
		{name: "sdkinit", bin: b.bins["sdkinit"], env: b.env(hitCache, staticKeys...), check: checkFloor},
		{name: "sdklinked", bin: b.bins["sdklinked"], env: b.env(hitCache, staticKeys...), check: checkFloor},
	}
	peerKinds, err := b.peerHitKinds()
	if err != nil {
		return err
	}
	for _, k := range peerKinds {
		b.execChecked(k, "warm-up get") // fills each one's cache
	}
	kinds = append(kinds, peerKinds...)

	// Warm both caches: one API call each; the slow one runs the process once.
	b.fake.Reset()
	b.execChecked(kinds[0], "warm-up get")
	if n := b.fake.CallCount(); n != 1 {
		b.fail("warm-up get made %d ECR calls, want 1", n)
	}
	b.fake.Reset()
	w := b.execChecked(kinds[1], "warm-up get with the credential_process profile")
	b.rep.SlowWarmMS = ms(w.wall)
	calls := b.fake.Calls()
	if len(calls) != 1 || calls[0].AccessKeyID != "AKIDSLOW" {
		b.fail("warm-up get with the credential_process profile made %d ECR calls (want 1, signed with AKIDSLOW)", len(calls))
	}
	if w.err == nil && w.wall < slowDelay {
		b.fail("warm-up get with the credential_process profile took %s, less than the process's %s: it did not run it", w.wall, slowDelay)
	}
	if n := countLines(counter); n != 1 {
		b.fail("credential_process ran %d times during the warm-up, want 1", n)
	}

	// A few untimed rounds to settle the page cache and CPU clocks.
	for range 5 {
		for _, k := range kinds {
			b.execChecked(k, "settling run")
		}
	}
	b.fake.Reset()
	b.logf("timing %d rounds of %d binaries", *flagN, len(kinds))
	samples := make([][]sample, len(kinds))
	failed := make([]int, len(kinds))
	for i := range *flagN {
		for j := range kinds {
			x := (i + j) % len(kinds) // rotate the order each round
			s := b.exec(kinds[x])
			if s.err != nil {
				failed[x]++
				if failed[x] <= 3 {
					b.fail("%s: %v; stderr %q", kinds[x].name, s.err, truncate(s.stderr))
				}
				continue
			}
			samples[x] = append(samples[x], s)
		}
	}
	for x, k := range kinds {
		if failed[x] > 3 {
			b.fail("%s: %d of %d runs failed", k.name, failed[x], *flagN)
		}
		b.rep.Hit = append(b.rep.Hit, toSeries(k.name, samples[x]))
	}
	if n := b.fake.CallCount(); n != 0 {
		b.fail("cache hits made %d ECR API calls, want 0", n)
	}
	b.rep.SlowCounter = countLines(counter)
	if b.rep.SlowCounter != 1 {
		b.fail("credential_process ran %d times in all; want 1 (the warm-up): a cache hit ran it", b.rep.SlowCounter)
	}
	return nil
}

// --- 3: cold gets -----------------------------------------------------------------

// measureCold times ours and awslabs, each with a fresh cache directory per
// get, interleaved in alternating order, against n's fake.
func (b *bench) measureCold(n network) (ours, peer series) {
	n.fake.Reset()
	b.logf("timing %d cold gets, %s", n.rounds, n.label)
	var ss, ps []sample
	for i := range n.rounds {
		k := kind{name: "helper cold get (fresh cache dir)", bin: b.bins[helperName],
			env: b.env(filepath.Join(b.work, n.dir, "cold", strconv.Itoa(i)), n.env()...), check: b.checkHelper}
		p := kind{name: "awslabs cold get (fresh cache dir)", bin: b.peers.awslabs,
			env: b.env(filepath.Join(b.work, n.dir, "cold-awslabs", strconv.Itoa(i)), n.env()...), check: b.checkHelper}
		for j := range 2 {
			if (i+j)%2 == 0 {
				if s := b.execChecked(k, fmt.Sprintf("cold get %d, %s", i, n.label)); s.err == nil {
					ss = append(ss, s)
				}
			} else if s := b.execChecked(p, fmt.Sprintf("awslabs cold get %d, %s", i, n.label)); s.err == nil {
				ps = append(ps, s)
			}
		}
	}
	if c := n.fake.CallCount(); c != 2*n.rounds {
		b.fail("%d cold gets of each helper, %s, made %d ECR calls, want one each", n.rounds, n.label, c)
	}
	return toSeries("helper cold get (fresh cache dir)", ss), toSeries("awslabs cold get (fresh cache dir)", ps)
}

// --- 4: concurrent cold gets ------------------------------------------------------

func (b *bench) measureConcurrency(n int) {
	b.logf("%d concurrent cold gets", n)
	dir := filepath.Join(b.work, fmt.Sprintf("concurrent-%d", n))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.fail("%v", err)
		return
	}
	b.fake.SetFault(ecrtest.Fault{Kind: ecrtest.FaultStall, Duration: stall})
	defer b.fake.SetFault(ecrtest.Fault{})
	b.fake.Reset()
	k := kind{name: "concurrent", bin: b.bins[helperName], env: b.env(dir, staticKeys...), check: b.checkHelper}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	gate := make(chan struct{})
	results := make([]sample, n)
	var wg sync.WaitGroup
	for i := range n {
		cmd := exec.CommandContext(ctx, k.bin, "get")
		cmd.Env = k.env
		cmd.Stdin = bytes.NewReader(b.stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			start := time.Now()
			if err := cmd.Start(); err != nil {
				results[i] = sample{err: err, code: -1}
				return
			}
			err := cmd.Wait()
			s := sample{wall: time.Since(start), stdout: out.Bytes(), stderr: errb.Bytes(), code: cmd.ProcessState.ExitCode()}
			if err == nil {
				err = k.check(s.stdout)
			}
			s.err = err
			results[i] = s
		}()
	}
	start := time.Now()
	close(gate)
	wg.Wait()
	c := concurrency{Procs: n, WallMS: ms(time.Since(start)), Calls: b.fake.CallCount(), AllOK: true}
	var walls []time.Duration
	for i, s := range results {
		if s.err != nil {
			c.AllOK = false
			c.Failed++
			if c.Failed <= 3 {
				b.fail("concurrent get %d of %d: %v; stderr %q", i, n, s.err, truncate(s.stderr))
			}
			continue
		}
		walls = append(walls, s.wall)
	}
	if c.Failed > 0 {
		b.fail("%d of %d concurrent gets failed", c.Failed, n)
	}
	if len(walls) > 0 {
		st := summarize(walls)
		c.SlowestMS, c.MedianMS = st.MaxMS, st.MedMS
	}
	data, err := os.ReadFile(filepath.Join(dir, cache.FileName))
	var f cache.File
	switch {
	case err != nil:
		b.fail("after %d concurrent gets: reading the cache file: %v", n, err)
	case json.Unmarshal(data, &f) != nil || f.Version != cache.FormatVersion:
		b.fail("after %d concurrent gets: the cache file is not valid (version %d): %q", n, f.Version, truncate(data))
	case len(f.Entries) != 1:
		b.fail("after %d concurrent gets: the cache file has %d entries, want 1", n, len(f.Entries))
	default:
		c.CacheValid = true
	}
	c.Entries = len(f.Entries)
	b.rep.Concurrency = append(b.rep.Concurrency, c)
}

// --- 5: peak RSS --------------------------------------------------------------

func (b *bench) measureRSS() {
	b.logf("peak RSS, %d runs each", *flagRSS)
	hitCache := filepath.Join(b.work, "cache-hit") // warmed by measureHits
	kinds := []kind{
		{name: "helper hit", bin: b.bins[helperName], env: b.env(hitCache, staticKeys...), check: b.checkHelper},
		{name: "helper miss (cold get)", bin: b.bins[helperName], check: b.checkHelper},
		{name: "floor", bin: b.bins["floor"], env: b.env(hitCache, staticKeys...), check: checkFloor},
		{name: "sdkinit", bin: b.bins["sdkinit"], env: b.env(hitCache, staticKeys...), check: checkFloor},
		{name: "sdklinked", bin: b.bins["sdklinked"], env: b.env(hitCache, staticKeys...), check: checkFloor},
		{name: "awslabs hit", bin: b.peers.awslabs, env: b.env(filepath.Join(b.work, "cache-awslabs"), staticKeys...), check: b.checkHelper},
	}
	rows := make([]rssRow, len(kinds))
	for i := range rows {
		rows[i].Name = kinds[i].name
	}
	for r := range *flagRSS {
		for i, k := range kinds {
			if i == 1 { // a miss needs a fresh cache every time, for both runs
				k.env = b.env(filepath.Join(b.work, "rss-miss", strconv.Itoa(r), "plain"), staticKeys...)
			}
			s := b.execChecked(k, "RSS run (plain exec)")
			rows[i].RuPlain = max(rows[i].RuPlain, s.maxrss)
			if !rssSupported {
				continue
			}
			if i == 1 {
				k.env = b.env(filepath.Join(b.work, "rss-miss", strconv.Itoa(r), "traced"), staticKeys...)
			}
			m, out, code, err := peakRSS(k.bin, k.argv(), k.env, b.stdin)
			hwm, ru := m.HWM, m.RuMaxRSS
			if err == nil && code != 0 {
				err = fmt.Errorf("exit status %d", code)
			}
			if err == nil {
				err = k.check(out)
			}
			if err != nil {
				b.fail("RSS run (traced) of %s: %v", k.name, err)
				continue
			}
			if hwm == 0 {
				b.fail("RSS run (traced) of %s: no VmHWM read at exit", k.name)
				continue
			}
			rows[i].Runs++
			rows[i].HWMs = append(rows[i].HWMs, hwm)
			rows[i].HWMMaxKiB = max(rows[i].HWMMaxKiB, hwm)
			rows[i].RuMaxKiB = max(rows[i].RuMaxKiB, ru)
			rows[i].anon = append(rows[i].anon, m.RssAnon)
			rows[i].file = append(rows[i].file, m.RssFile)
		}
	}
	for i := range rows {
		if len(rows[i].HWMs) > 0 {
			s := slices.Clone(rows[i].HWMs)
			slices.Sort(s)
			rows[i].HWMMedKiB = s[(len(s)-1)/2]
		}
		rows[i].AnonMedKiB, rows[i].FileMedKiB = median(rows[i].anon), median(rows[i].file)
	}
	b.rep.RSS = rows
}

// --- init trace -----------------------------------------------------------------

func (b *bench) measureInit() {
	b.logf("GODEBUG=inittrace=1, %d runs each", *flagInit)
	hitCache := filepath.Join(b.work, "cache-hit")
	for _, k := range []kind{
		{name: "helper hit", bin: b.bins[helperName], env: b.env(hitCache, append(slices.Clone(staticKeys), "GODEBUG=inittrace=1")...), check: b.checkHelper},
		{name: "sdkinit", bin: b.bins["sdkinit"], env: b.env(hitCache, append(slices.Clone(staticKeys), "GODEBUG=inittrace=1")...), check: checkFloor},
	} {
		type acc struct {
			clock         []float64
			bytes, allocs []int64
		}
		per := map[string]*acc{}
		var totals, lastAt, kbs []float64
		runs := 0
		for range *flagInit {
			s := b.execChecked(k, "inittrace run")
			if s.err != nil {
				continue
			}
			runs++
			var total, last, kb float64
			for _, line := range strings.Split(string(s.stderr), "\n") {
				// init internal/bytealg @0.008 ms, 0 ms clock, 0 bytes, 0 allocs
				f := strings.Fields(line)
				if len(f) < 11 || f[0] != "init" {
					continue
				}
				at, _ := strconv.ParseFloat(strings.TrimPrefix(f[2], "@"), 64)
				clk, _ := strconv.ParseFloat(f[4], 64)
				by, _ := strconv.ParseInt(f[7], 10, 64)
				al, _ := strconv.ParseInt(f[9], 10, 64)
				a := per[f[1]]
				if a == nil {
					a = &acc{}
					per[f[1]] = a
				}
				a.clock = append(a.clock, clk)
				a.bytes = append(a.bytes, by)
				a.allocs = append(a.allocs, al)
				total += clk
				last = max(last, at+clk)
				kb += float64(by) / 1024
			}
			totals, lastAt, kbs = append(totals, total), append(lastAt, last), append(kbs, kb)
		}
		it := initTrace{Name: k.name, Runs: runs, Packages: len(per), TotalMS: median(totals), LastAtMS: median(lastAt), TotalKB: median(kbs)}
		for pkg, a := range per {
			it.ByPkg = append(it.ByPkg, initRow{Pkg: pkg, ClockMS: median(a.clock), Bytes: median(a.bytes), Allocs: median(a.allocs)})
		}
		sort.Slice(it.ByPkg, func(i, j int) bool {
			if it.ByPkg[i].ClockMS != it.ByPkg[j].ClockMS {
				return it.ByPkg[i].ClockMS > it.ByPkg[j].ClockMS
			}
			return it.ByPkg[i].Bytes > it.ByPkg[j].Bytes
		})
		it.TopByTime = it.ByPkg[:min(8, len(it.ByPkg))]
		b.rep.InitTrace = append(b.rep.InitTrace, it)
	}
}
