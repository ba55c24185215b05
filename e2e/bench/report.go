// The report: its data (also the -json format), the statistics over samples,
// the verdicts against the targets, the Markdown output and the machine line.

package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// --- report data (also the -json format) ---------------------------------------

type machine struct {
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	GoVersion string `json:"go_version"`
	Kernel    string `json:"kernel"`
	Date      string `json:"date"`
}

type stats struct {
	Runs   int     `json:"runs"`
	MinMS  float64 `json:"min_ms"`
	MedMS  float64 `json:"median_ms"`
	P90MS  float64 `json:"p90_ms"`
	MaxMS  float64 `json:"max_ms"`
	MeanMS float64 `json:"mean_ms"`
}

type series struct {
	Name    string  `json:"name"`
	Stats   stats   `json:"stats"`
	Samples []int64 `json:"samples_ns"`
	MaxRSS  int64   `json:"ru_maxrss_kib_max"` // polluted, see rss_linux.go
}

type concurrency struct {
	Procs      int     `json:"procs"`
	Calls      int     `json:"api_calls"`
	AllOK      bool    `json:"all_exit_0"`
	Failed     int     `json:"failed"`
	CacheValid bool    `json:"cache_file_valid"`
	Entries    int     `json:"cache_entries"`
	WallMS     float64 `json:"wall_ms"`
	SlowestMS  float64 `json:"slowest_ms"`
	MedianMS   float64 `json:"median_ms"`
}

type rssRow struct {
	Name      string  `json:"name"`
	Runs      int     `json:"runs"`
	HWMMaxKiB int64   `json:"vmhwm_max_kib"` // ptrace, VmHWM at exit: the child alone
	HWMMedKiB int64   `json:"vmhwm_median_kib"`
	RuMaxKiB  int64   `json:"ru_maxrss_max_kib"` // wait4 ru_maxrss, includes the parent's peak
	RuPlain   int64   `json:"ru_maxrss_plain_exec_max_kib"`
	HWMs      []int64 `json:"vmhwm_kib"`
	// Make-up of the resident set when the program exits (medians).
	AnonMedKiB int64 `json:"rss_anon_at_exit_median_kib"`
	FileMedKiB int64 `json:"rss_file_at_exit_median_kib"`
	anon, file []int64
}

type initRow struct {
	Pkg     string  `json:"pkg"`
	ClockMS float64 `json:"median_clock_ms"`
	Bytes   int64   `json:"median_bytes"`
	Allocs  int64   `json:"median_allocs"`
}

type initTrace struct {
	Name      string    `json:"name"`
	Runs      int       `json:"runs"`
	Packages  int       `json:"packages_with_init"`
	TotalMS   float64   `json:"median_total_clock_ms"`
	LastAtMS  float64   `json:"median_last_init_start_ms"`
	TotalKB   float64   `json:"median_total_kb"`
	TopByTime []initRow `json:"top"`
	ByPkg     []initRow `json:"all"`
}

type verdict struct {
	Target string `json:"target"`
	Value  string `json:"value"`
	Pass   bool   `json:"pass"`
	// Informational verdicts are reported but never make the bench fail.
	Informational bool `json:"informational,omitempty"`
}

type report struct {
	Machine     machine        `json:"machine"`
	Source      string         `json:"source"`
	Sizes       map[string]int `json:"binary_bytes"`
	BenchHWMKiB int64          `json:"bench_process_vmhwm_kib"`
	Hit         []series       `json:"hit"`
	Cold        series         `json:"cold"`
	PeerCold    series         `json:"awslabs_cold"`
	Provider    []series       `json:"provider"`
	HTTPS       httpsInfo      `json:"https"` // the network rows again, over TLS
	SlowWarmMS  float64        `json:"slow_profile_warmup_ms"`
	SlowCounter int            `json:"credential_process_runs"`
	Concurrency []concurrency  `json:"concurrency"`
	RSS         []rssRow       `json:"rss"`
	InitTrace   []initTrace    `json:"inittrace,omitempty"`
	Verdicts    []verdict      `json:"verdicts"`
	Failures    []string       `json:"failures"`
	TotalSec    float64        `json:"total_seconds"`
}

// --- statistics -----------------------------------------------------------------

func toSeries(name string, ss []sample) series {
	s := series{Name: name}
	walls := make([]time.Duration, 0, len(ss))
	for _, x := range ss {
		walls = append(walls, x.wall)
		s.Samples = append(s.Samples, int64(x.wall))
		s.MaxRSS = max(s.MaxRSS, x.maxrss)
	}
	s.Stats = summarize(walls)
	return s
}

func summarize(d []time.Duration) stats {
	if len(d) == 0 {
		return stats{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	var sum time.Duration
	for _, x := range s {
		sum += x
	}
	return stats{Runs: len(s), MinMS: ms(s[0]), MedMS: ms(pct(s, 0.5)), P90MS: ms(pct(s, 0.9)),
		MaxMS: ms(s[len(s)-1]), MeanMS: ms(sum / time.Duration(len(s)))}
}

// pct is the nearest-rank percentile of sorted s.
func pct(s []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// median is the lower median of v (0 for none).
func median[T cmp.Ordered](v []T) T {
	var zero T
	if len(v) == 0 {
		return zero
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// --- verdicts and output ------------------------------------------------------------

func (b *bench) hit(name string) stats {
	for _, s := range b.rep.Hit {
		if s.Name == name {
			return s.Stats
		}
	}
	return stats{}
}

func (b *bench) verdicts() {
	hit, slow, sdk := b.hit("helper hit"), b.hit("helper hit, 300 ms credential_process profile"), b.hit("sdkinit")
	ratio := hit.MedMS / sdk.MedMS
	v := []verdict{
		{Target: fmt.Sprintf("hit median ≤ %.2f× sdkinit median", hitVsSDKInit),
			Value: fmt.Sprintf("%.2f ms / %.2f ms = %.2f×", hit.MedMS, sdk.MedMS, ratio), Pass: ratio <= hitVsSDKInit},
		{Target: fmt.Sprintf("hit with the %s credential_process profile: median < %s", slowDelay, slowHitMedian),
			Value: fmt.Sprintf("%.2f ms (process ran %d time(s), the warm-up)", slow.MedMS, b.rep.SlowCounter), Pass: ms(slowHitMedian) > slow.MedMS && b.rep.SlowCounter == 1},
	}
	for _, c := range b.rep.Concurrency {
		if c.Procs == 64 {
			v = append(v, verdict{Target: fmt.Sprintf("%d API call for 64 concurrent cold gets", maxConcurCalls),
				Value: fmt.Sprintf("%d call(s), all exit 0: %v, cache valid: %v", c.Calls, c.AllOK, c.CacheValid), Pass: c.Calls <= maxConcurCalls && c.AllOK && c.CacheValid})
		}
	}
	for _, r := range b.rep.RSS {
		if strings.HasPrefix(r.Name, "helper") && rssSupported {
			v = append(v, verdict{Target: fmt.Sprintf("peak RSS of a %s < %d MiB", strings.TrimPrefix(r.Name, "helper "), rssLimitKiB>>10),
				Value: fmt.Sprintf("%s (VmHWM, max of %d)", mib(r.HWMMaxKiB), r.Runs), Pass: r.Runs > 0 && r.HWMMaxKiB < rssLimitKiB})
		}
	}
	b.rep.Verdicts = append(b.peerVerdicts(), v...)
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func (b *bench) print(w io.Writer) {
	m := b.rep.Machine
	fmt.Fprintf(w, "## docker-credential-ecr-login bench\n\n")
	fmt.Fprintf(w, "Machine: %s, %d cores, %s, Linux %s, %s\n\n", m.CPU, m.Cores, m.GoVersion, m.Kernel, m.Date)
	fmt.Fprintf(w, "Helper built from: %s\n\n", b.rep.Source)
	fmt.Fprintf(w, "Binaries (-trimpath -ldflags \"-s -w\", CGO_ENABLED=0): helper %.1f MB, floor %.1f MB, sdkinit %.1f MB, sdklinked %.1f MB\n\n",
		float64(b.rep.Sizes[helperName])/1e6, float64(b.rep.Sizes["floor"])/1e6, float64(b.rep.Sizes["sdkinit"])/1e6, float64(b.rep.Sizes["sdklinked"])/1e6)
	fmt.Fprintf(w, "floor: prints a constant; sdkinit: floor + blank imports of the SDK packages the helper links (their init cost);"+
		" sdklinked: sdkinit + the SDK calls of a miss behind a branch never taken (same inits, helper-sized binary).\n\n")

	b.printPeers(w)

	sdk := b.hit("sdkinit").MedMS
	floor := b.hit("floor").MedMS
	fmt.Fprintf(w, "### Cache-hit `get`, wall time per exec (cmd.Start → Wait), %d interleaved rounds\n\n", *flagN)
	fmt.Fprintln(w, "| binary | runs | median | p90 | min | median − floor | median / sdkinit |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, s := range b.rep.Hit {
		st := s.Stats
		fmt.Fprintf(w, "| %s | %d | %.2f ms | %.2f ms | %.2f ms | %+.2f ms | %.2f× |\n", s.Name, st.Runs, st.MedMS, st.P90MS, st.MinMS, st.MedMS-floor, st.MedMS/sdk)
	}
	fmt.Fprintf(w, "\nWarm-up get with the credential_process profile (runs the %s process, fetches): %.1f ms; process runs in all: %d\n\n", slowDelay, b.rep.SlowWarmMS, b.rep.SlowCounter)

	fmt.Fprintf(w, "### Cold `get` (fresh cache dir per run, static keys, fake ECR on loopback)\n\n")
	fmt.Fprintln(w, "| binary | runs | median | p90 | min | max |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, r := range []struct {
		name string
		s    series
	}{{"ours, HTTP", b.rep.Cold}, {"awslabs, HTTP", b.rep.PeerCold}, {"ours, HTTPS", b.rep.HTTPS.Cold}, {"awslabs, HTTPS", b.rep.HTTPS.PeerCold}} {
		c := r.s.Stats
		fmt.Fprintf(w, "| %s | %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms |\n", r.name, c.Runs, c.MedMS, c.P90MS, c.MinMS, c.MaxMS)
	}
	fmt.Fprintln(w)

	fmt.Fprintf(w, "### Concurrent cold `get`s (one identity and region, one empty cache dir, every API call stalled %s)\n\n", stall)
	fmt.Fprintln(w, "| processes | API calls | all exit 0 | cache file valid JSON | wall (all) | median per process | slowest |")
	fmt.Fprintln(w, "|---:|---:|:---:|:---:|---:|---:|---:|")
	for _, c := range b.rep.Concurrency {
		fmt.Fprintf(w, "| %d | %d | %s | %s | %.0f ms | %.0f ms | %.0f ms |\n", c.Procs, c.Calls, yes(c.AllOK), yes(c.CacheValid), c.WallMS, c.MedianMS, c.SlowestMS)
	}
	fmt.Fprintln(w)

	fmt.Fprintf(w, "### Peak RSS, %d runs each\n\n", *flagRSS)
	if rssSupported {
		fmt.Fprintln(w, "| binary | peak RSS (VmHWM), max | VmHWM, median | at exit: file-backed / anon (median) | ru_maxrss (wait4), max |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
		for _, r := range b.rep.RSS {
			fmt.Fprintf(w, "| %s | %s | %s | %s / %s | %s |\n", r.Name, mib(r.HWMMaxKiB), mib(r.HWMMedKiB), mib(r.FileMedKiB), mib(r.AnonMedKiB), mib(r.RuPlain))
		}
		fmt.Fprintf(w, "\nVmHWM is read under ptrace at the exit of the child: its own peak. ru_maxrss from cmd.ProcessState.SysUsage()"+
			" is max(child's peak, the bench's own peak at fork time, here ≈ %s), because os/exec forks with CLONE_VM|CLONE_VFORK"+
			" and execve carries the old mm's high-water mark into the child's rusage; it is shown for reference only.\n\n", mib(selfHWMKiB()))
	} else {
		fmt.Fprintln(w, "(not measured on this OS)")
		fmt.Fprintln(w)
	}

	if len(b.rep.InitTrace) > 0 {
		fmt.Fprintf(w, "### Package init (GODEBUG=inittrace=1, medians of %d runs)\n\n", *flagInit)
		fmt.Fprintln(w, "| binary | packages with init | Σ init clock | last init ends at | Σ init heap |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
		for _, it := range b.rep.InitTrace {
			fmt.Fprintf(w, "| %s | %d | %.2f ms | @%.2f ms | %.0f KiB |\n", it.Name, it.Packages, it.TotalMS, it.LastAtMS, it.TotalKB)
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "Costliest inits of the helper: ")
		var parts []string
		for _, r := range b.rep.InitTrace[0].TopByTime {
			parts = append(parts, fmt.Sprintf("%s %.3f ms/%d KiB", r.Pkg, r.ClockMS, r.Bytes>>10))
		}
		fmt.Fprintln(w, strings.Join(parts, ", "))
		fmt.Fprintln(w)
	}

	fmt.Fprintln(w, "### Verdict")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | measured | verdict |")
	fmt.Fprintln(w, "|---|---|:---:|")
	for _, v := range b.rep.Verdicts {
		res := "MISS"
		if v.Pass {
			res = "ok"
		}
		if v.Informational {
			res += " (not counted)"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", v.Target, v.Value, res)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, b.networkWhyNote())
	fmt.Fprintln(w)
	status := "all functional checks passed"
	if len(b.rep.Failures) > 0 {
		status = fmt.Sprintf("%d functional check(s) FAILED", len(b.rep.Failures))
	}
	fmt.Fprintf(w, "Functional checks: %s. Total bench time %.1f s.\n", status, b.rep.TotalSec)
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

func machineInfo() machine {
	m := machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), Date: time.Now().Format(time.RFC3339)}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if m.CPU == "" {
		m.CPU = runtime.GOARCH
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	return m
}
