package chaos_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

var (
	rateLimitNumbers = flag.Int("ratelimit.numbers", 5000, "numbers BenchmarkRateLimit imports (make bench runs 5000)")
	memoryRows       = flag.Int("memory.rows", 100000, "rows BenchmarkWorkerMemory imports (make bench runs 100000)")
)

// benchUser is the user every benchmark row belongs to.
const benchUser = "64e5f12345abcdef12345601"

// startBenchSystem is the whole system with workers worker processes, an
// org with benchUser, and the org's connection to provider, made by one
// add-phone of the provider's first sandbox number (which
// also creates the org's application on Plivo).
func startBenchSystem(b *testing.B, workers int, provider string) *system {
	s := startSystem(b, workers)
	s.mustDo(newRequest("POST", "/api/users", map[string]any{"name": "bench", "id": benchUser}), 201)
	first := number{provider: provider, user: benchUser, e164: twiliotest.SandboxNumberNYC}
	if provider == "plivo" {
		first.e164 = plivotest.SandboxNumber1
	}
	job := s.mustDo(newRequest("POST", "/api/call/add-phone", addPhoneBody(first)), 202).jobID
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		state, _ := s.mustDo(newRequest("GET", "/v1/jobs/"+job, nil), 200).data["state"].(string)
		if state == "succeeded" {
			return s
		}
		if state == "failed" || time.Now().After(deadline) {
			b.Fatalf("the first add-phone: %s", state)
		}
	}
}

// writeCSV writes an import file of the numbers, all benchUser's.
func writeCSV(b *testing.B, nums []string) string {
	path := filepath.Join(b.TempDir(), "numbers.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "phone_number,user_id")
	for _, n := range nums {
		fmt.Fprintf(w, "%s,%s\n", n, benchUser)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkRateLimit imports -ratelimit.numbers fresh Plivo numbers of one
// account across 2 worker processes (10 slots each) with switchboard's
// default limits, against the zero-latency Plivo simulator enforcing
// Plivo's 300 requests / 5 s per account. The baseline is the theoretical
// minimum: the provider requests the import needed (those the simulator
// did not answer 429) at 300 / 5 s. Wall runs from the start of
// `switchboard import --wait` to its end, every job finished. Target:
// wall ≤ 1.15 × minimum, and under 1% of requests answered 429 (counted
// at the simulator).
func BenchmarkRateLimit(b *testing.B) {
	n := *rateLimitNumbers
	s := startBenchSystem(b, 2, "plivo")
	const allowed = float64(plivotest.DefaultRateLimit) / 5 // requests per second (DefaultRateWindow)
	var wall, minimum time.Duration
	var requests, tooMany int64
	for i := range b.N {
		nums := make([]string, n)
		for j := range nums {
			nums[j] = fmt.Sprintf("+9180%03d%05d", 100+i, j)
			if err := s.pl.AddNumber(plivotest.SandboxAuthID, nums[j]); err != nil {
				b.Fatal(err)
			}
		}
		path := writeCSV(b, nums)
		// Let the set-up's requests leave the simulator's window.
		time.Sleep(plivotest.DefaultRateWindow)
		s.pl.ResetCalls()
		before := s.tooMany["plivo"].Load()
		start := time.Now()
		out, err := s.command("import", "--org", "chaos", "--provider", "plivo", "--wait", path).CombinedOutput()
		elapsed := time.Since(start)
		if err != nil {
			b.Fatalf("import: %v\n%s", err, tail(string(out), 4000))
		}
		if !strings.Contains(string(out), fmt.Sprintf("succeeded %d, failed 0", n)) {
			b.Fatalf("import did not provision every number:\n%s", tail(string(out), 4000))
		}
		var calls int64
		for _, c := range s.pl.Calls() {
			calls += int64(c)
		}
		refused := s.tooMany["plivo"].Load() - before
		wall += elapsed
		minimum += time.Duration(float64(calls-refused) / allowed * float64(time.Second))
		requests += calls
		tooMany += refused
	}
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall_s")
	b.ReportMetric(minimum.Seconds()/float64(b.N), "min_s")
	b.ReportMetric(wall.Seconds()/minimum.Seconds(), "ratio")
	b.ReportMetric(float64(requests-tooMany)/float64(n*b.N), "calls/number")
	b.ReportMetric(100*float64(tooMany)/float64(requests), "429_%")
}

// BenchmarkWorkerMemory imports -memory.rows Twilio rows with `switchboard
// import` while one worker process (10 slots, zero-latency simulator)
// works through the bulk queue, and reports the worker's peak resident
// set (VmHWM in /proc/<pid>/status) by the end of the import, against its
// peak before the import (after one add-phone) as the baseline, and the
// importer process's peak (its rusage maxrss). Target: the worker under
// 128 MiB.
func BenchmarkWorkerMemory(b *testing.B) {
	n := *memoryRows
	s := startBenchSystem(b, 1, "twilio")
	w := s.workers[0]
	idle := vmHWM(b, w.pid())
	var peak, importer int64
	var secs float64
	for i := range b.N {
		nums := make([]string, n)
		for j := range nums {
			nums[j] = fmt.Sprintf("+1%03d%07d", 300+i, j)
			if _, err := s.tw.AddNumber(twiliotest.SandboxAccountSID, nums[j]); err != nil {
				b.Fatal(err)
			}
		}
		path := writeCSV(b, nums)
		cmd := s.command("import", "--org", "chaos", "--provider", "twilio", path)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("import: %v\n%s", err, tail(string(out), 4000))
		}
		secs += time.Since(start).Seconds()
		peak = max(peak, vmHWM(b, w.pid()))
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			importer = max(importer, ru.Maxrss<<10) // KiB on Linux
		}
	}
	mib := func(v int64) float64 { return float64(v) / (1 << 20) }
	b.ReportMetric(mib(peak), "worker_peak_MiB")
	b.ReportMetric(mib(idle), "worker_idle_MiB")
	b.ReportMetric(float64(peak)/float64(idle), "ratio")
	b.ReportMetric(mib(importer), "importer_peak_MiB")
	b.ReportMetric(float64(n*b.N)/secs, "rows/s")
}

// vmHWM is the peak resident set of process pid, in bytes.
func vmHWM(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}
