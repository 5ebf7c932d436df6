package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/internal/worker"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
	"github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// The benchmarks here measure switchboard's own engine, so none runs
// behind a rate limit (Params.Limits is empty: no limits), and each says
// what it compares itself with in the same run. Run them against the real
// services, as docs/benchmarks.md does:
//
//	SWITCHBOARD_TEST_REDIS_URL=redis://127.0.0.1:6379/0 \
//	SWITCHBOARD_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' \
//	go test -run '^$' -bench . -benchtime 3x ./internal/worker/

// noLimits switches rate limiting off.
func noLimits(p *worker.Params) { p.Limits = map[string]ratelimit.Limit{} }

// drain starts a server with w's configuration, runs handler until n
// tasks succeeded, and returns the time from start to the last one and the
// machine's busy CPU time meanwhile (0 where /proc/stat cannot be read).
func drain(b *testing.B, w *worker.Worker, handler asynq.Handler, n int) (time.Duration, time.Duration) {
	b.Helper()
	var done atomic.Int64
	all := make(chan struct{})
	counted := asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		err := handler.ProcessTask(ctx, t)
		if err == nil && done.Add(1) == int64(n) {
			close(all)
		}
		return err
	})
	srv := w.Server()
	cpu := busyCPU()
	start := time.Now()
	if err := srv.Start(counted); err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	select {
	case <-all:
	case <-time.After(2 * time.Minute):
		b.Fatalf("%d of %d tasks done after 2 minutes", done.Load(), n)
	}
	return time.Since(start), busyCPU() - cpu
}

// busyCPU is the time every CPU of the machine has spent busy since boot
// (user, nice, system, irq, softirq and steal of /proc/stat), 0 where it cannot
// be read. The drain benchmark's processes, PostgreSQL's backends and
// Redis share the machine's cores: this says how much of them a job takes.
func busyCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var ticks int64
	fields := strings.Fields(line)
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // not idle, iowait, nor guest (counted in user)
		if i < len(fields) {
			v, _ := strconv.ParseInt(fields[i], 10, 64)
			ticks += v
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// BenchmarkAddPhoneDrain measures how fast 10 worker slots drain a queue
// of number:add jobs (Twilio, zero-latency simulator, no rate limits),
// against three baselines drained by the same asynq server configuration in
// the same run:
//
//   - minimal: a handler making the same two provider calls through the
//     same adapter (lookup, configure) and one INSERT of the number: what
//     any handler doing this job must do;
//
//   - noop: a handler doing nothing, asynq's own cost.
//
//   - durable: minimal with the two commits switchboard's guarantees take,
//     the number's claim before the provider write and its activation
//     after (durableAddPhone);
//
// An untimed warm-up drain and an ANALYZE come first, so that every
// handler runs on tables with planner statistics, as production's are.
//
// ratio-vs-minimal is switchboard's throughput over the minimal handler's
// (the target is at least 0.7), ratio-vs-durable over the durable one's:
// what switchboard's engine costs beyond its guarantees. Each handler's
// machine CPU per job (all cores, every process: PostgreSQL and Redis
// included) tells a CPU-bound run from one waiting on the disk.
func BenchmarkAddPhoneDrain(b *testing.B) {
	const batch = 200
	for _, be := range workertest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			env := workertest.Start(b, be.Open(b))
			env.Server.Shutdown() // the benchmark runs its own servers
			p := env.WorkerParams()
			p.Concurrency = 10
			noLimits(&p)
			w, err := worker.New(p)
			mustOK(b, err)
			tw := env.Providers()[0]
			q := asynq.NewClientFromRedisClient(env.Redis)
			seq := 0
			fresh := func() []string {
				nums := make([]string, batch)
				for i := range nums {
					seq++
					nums[i] = fmt.Sprintf("+1646%07d", seq)
					_, err := env.Twilio.AddNumber(twiliotest.SandboxAccountSID, nums[i])
					mustOK(b, err)
				}
				return nums
			}
			enqueue := func(typ string, payloads []string) {
				for _, pl := range payloads {
					_, err := q.Enqueue(asynq.NewTask(typ, []byte(pl)), asynq.Queue(jobs.QueueCritical), asynq.Retention(time.Hour))
					mustOK(b, err)
				}
			}
			addPhones := func() {
				for _, n := range fresh() {
					_, err := env.Jobs.AddPhone(context.Background(), jobs.AddPhoneRequest{OrgID: env.OrgID, UserID: workertest.UserID,
						PhoneNumber: n, Provider: jobs.ProviderTwilio, Credentials: workertest.TwilioCreds})
					mustOK(b, err)
				}
			}
			// Warm-up, untimed: the tables get their first rows and, on
			// PostgreSQL, their statistics, as autovacuum gives them within
			// a minute in production. Without them the plans the pool's
			// connections cache on the new tables read every number of the
			// org a job (docs/benchmarks.md, "Planner statistics").
			addPhones()
			drain(b, w, w.Handler(), batch)
			settle(b, env.Store)
			b.ResetTimer()
			// Wall time and machine CPU of each handler's drains.
			var tSwitchboard, tMinimal, tDurable, tNoop, cSwitchboard, cMinimal, cDurable, cNoop time.Duration
			add := func(t, c *time.Duration) func(time.Duration, time.Duration) {
				return func(dt, dc time.Duration) { *t += dt; *c += dc }
			}
			for i := 0; i < b.N; i++ {
				addPhones()
				add(&tSwitchboard, &cSwitchboard)(drain(b, w, w.Handler(), batch))

				enqueue("bench:minimal", fresh())
				add(&tMinimal, &cMinimal)(drain(b, w, minimalAddPhone(env, tw), batch))

				enqueue("bench:durable", fresh())
				add(&tDurable, &cDurable)(drain(b, w, durableAddPhone(env, tw), batch))

				enqueue("bench:noop", make([]string, batch))
				add(&tNoop, &cNoop)(drain(b, w, asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil }), batch))
			}
			total := float64(b.N * batch)
			b.ReportMetric(total/tSwitchboard.Seconds(), "switchboard-jobs/s")
			b.ReportMetric(total/tMinimal.Seconds(), "minimal-jobs/s")
			b.ReportMetric(total/tDurable.Seconds(), "durable-jobs/s")
			b.ReportMetric(total/tNoop.Seconds(), "noop-jobs/s")
			b.ReportMetric(tMinimal.Seconds()/tSwitchboard.Seconds(), "ratio-vs-minimal")
			b.ReportMetric(tDurable.Seconds()/tSwitchboard.Seconds(), "ratio-vs-durable")
			b.ReportMetric(tNoop.Seconds()/tSwitchboard.Seconds(), "ratio-vs-noop")
			b.ReportMetric(tNoop.Seconds()/tMinimal.Seconds(), "minimal-vs-noop")
			if cSwitchboard > 0 {
				perJob := func(c time.Duration) float64 { return float64(c) / float64(time.Millisecond) / total }
				b.ReportMetric(perJob(cSwitchboard), "switchboard-cpu-ms/job")
				b.ReportMetric(perJob(cMinimal), "minimal-cpu-ms/job")
				b.ReportMetric(perJob(cDurable), "durable-cpu-ms/job")
				b.ReportMetric(perJob(cNoop), "noop-cpu-ms/job")
			}
		})
	}
}

// settle gives a PostgreSQL store's tables their planner statistics, as
// autovacuum does soon after their first rows; other stores need none.
func settle(b *testing.B, st store.Store) {
	if a, ok := st.(interface{ Analyze(context.Context) error }); ok {
		mustOK(b, a.Analyze(context.Background()))
	}
}

// benchAccount is the sandbox Twilio account the baselines use, and the
// org's default route as switchboard would configure it.
func benchAccount(env *workertest.Env) (providers.Credentials, providers.Route) {
	return providers.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: twiliotest.SandboxAuthToken},
		providers.Route{Name: providers.RouteName(env.OrgID, "default"), VoiceURL: webhookBase + "/voice/inbound",
			StatusCallback: webhookBase + "/voice/status", HangupURL: webhookBase + "/voice/hangup"}
}

// minimalAddPhone is the least a handler adding a Twilio number can do:
// look it up, point it at the default route, insert it.
func minimalAddPhone(env *workertest.Env, tw providers.Provider) asynq.Handler {
	creds, route := benchAccount(env)
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		e164 := string(t.Payload())
		n, err := tw.Lookup(ctx, creds, e164)
		if err != nil {
			return err
		}
		if _, err := tw.EnsureVoiceRoute(ctx, creds, n, route); err != nil {
			return err
		}
		_, err = env.Store.CreateNumber(ctx, store.Number{ID: store.NewID(), OrgID: env.OrgID, UserID: workertest.UserID,
			E164: e164, Provider: jobs.ProviderTwilio, ProviderRef: n.ID, JobID: "bench"})
		return err
	})
}

// durableAddPhone is minimalAddPhone with the two commits switchboard's
// guarantees take (docs/jobs.md): the number's row, holding its
// configuration as the provider had it, committed before the provider is
// written, so that a crash never loses what to restore; and its activation
// committed after. It keeps no job record and writes no outcome to Redis:
// what is left between it and switchboard is switchboard's own overhead.
func durableAddPhone(env *workertest.Env, tw providers.Provider) asynq.Handler {
	creds, route := benchAccount(env)
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		e164 := string(t.Payload())
		n, err := tw.Lookup(ctx, creds, e164)
		if err != nil {
			return err
		}
		before, _ := json.Marshal(n.Voice)
		row, err := env.Store.CreateNumber(ctx, store.Number{ID: store.NewID(), OrgID: env.OrgID, UserID: workertest.UserID,
			E164: e164, Provider: jobs.ProviderTwilio, ProviderRef: n.ID, State: store.NumberAdding, Original: before, JobID: "bench"})
		if err != nil {
			return err
		}
		ch, err := tw.EnsureVoiceRoute(ctx, creds, n, route)
		if err != nil {
			return err
		}
		after, _ := json.Marshal(ch.After)
		return env.Store.ActivateNumber(ctx, env.OrgID, row.ID, after)
	})
}

// BenchmarkBusyAccount measures one big customer: 200 number:add jobs for
// one org on one provider account, every provider call taking 250 ms, 10
// worker slots, no rate limits. Nothing but the slots should bound it: the
// bound is jobs × provider calls per job × latency / slots, and
// wall/bound says how close switchboard comes (the target is at most 1.3).
// Plivo and Telnyx are measured once their route's application exists
// (one add before the clock starts), as a busy account's always does.
// One iteration takes over 10 s: run it with -benchtime 1x.
func BenchmarkBusyAccount(b *testing.B) {
	const n, latency, slots = 200, 250 * time.Millisecond, 10
	be := workertest.Backends()[1] // PostgreSQL, as production
	if !testenv.RealPostgres() {
		be = workertest.Backends()[0]
	}
	for _, prov := range []string{jobs.ProviderTwilio, jobs.ProviderPlivo, jobs.ProviderTelnyx} {
		b.Run(prov+"/"+be.Name, func(b *testing.B) {
			env := workertest.Start(b, be.Open(b))
			env.Server.Shutdown()
			env.StartWorkerWith(b, func(p *worker.Params) { p.Concurrency = slots; noLimits(p) })
			acct := busyAccounts[prov]
			var wall time.Duration
			calls := 0
			for i := 0; i < b.N; i++ {
				nums := make([]string, n+1)
				for j := range nums {
					nums[j] = fmt.Sprintf(acct.format, i*(n+1)+j)
					mustOK(b, acct.add(env, nums[j]))
				}
				if i == 0 { // the route's application, created once
					if out := busyAdd(b, env, prov, nums[0]); out.State != jobs.StateSucceeded {
						b.Fatalf("first add: %+v", out)
					}
				}
				acct.latency(env, latency)
				acct.reset(env)
				start := time.Now()
				var wg sync.WaitGroup
				for _, num := range nums[1:] {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if out := busyAdd(b, env, prov, num); out.State != jobs.StateSucceeded {
							b.Errorf("add %s: %+v", num, out)
						}
					}()
				}
				wg.Wait()
				wall += time.Since(start)
				calls += acct.calls(env)
				acct.latency(env, 0)
			}
			perJob := float64(calls) / float64(b.N*n)
			bound := time.Duration(float64(n) * perJob * float64(latency) / slots)
			perRun := wall / time.Duration(b.N)
			b.ReportMetric(perRun.Seconds(), "wall-s")
			b.ReportMetric(bound.Seconds(), "bound-s")
			b.ReportMetric(perJob, "calls/job")
			b.ReportMetric(perRun.Seconds()/bound.Seconds(), "wall/bound")
		})
	}
}

func busyAdd(b *testing.B, env *workertest.Env, prov, num string) jobs.Outcome {
	creds := map[string]jobs.Credentials{jobs.ProviderTwilio: workertest.TwilioCreds, jobs.ProviderPlivo: workertest.PlivoCreds, jobs.ProviderTelnyx: workertest.TelnyxCreds}[prov]
	job, err := env.Jobs.AddPhone(context.Background(), jobs.AddPhoneRequest{OrgID: env.OrgID, UserID: workertest.UserID,
		PhoneNumber: num, Provider: prov, Credentials: creds})
	if err != nil {
		b.Error(err)
		return jobs.Outcome{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := env.Jobs.Wait(ctx, job)
	if err != nil {
		b.Error(err)
	}
	return out
}

// busyAccount drives one provider's simulator for BenchmarkBusyAccount.
type busyAccount struct {
	format  string
	add     func(env *workertest.Env, e164 string) error
	latency func(env *workertest.Env, d time.Duration)
	reset   func(env *workertest.Env)
	calls   func(env *workertest.Env) int
}

var busyAccounts = map[string]busyAccount{
	jobs.ProviderTwilio: {
		format: "+1646%07d",
		add: func(env *workertest.Env, n string) error {
			_, err := env.Twilio.AddNumber(twiliotest.SandboxAccountSID, n)
			return err
		},
		latency: func(env *workertest.Env, d time.Duration) {
			f := env.Twilio.Faults()
			f.Latency = d
			_ = env.Twilio.SetFaults(f)
		},
		reset: func(env *workertest.Env) { env.Twilio.ResetCalls() },
		calls: func(env *workertest.Env) int { return env.Twilio.Reads() + env.Twilio.Writes() },
	},
	jobs.ProviderPlivo: {
		format: "+9180700%05d",
		add:    func(env *workertest.Env, n string) error { return env.Plivo.AddNumber(plivotest.SandboxAuthID, n) },
		latency: func(env *workertest.Env, d time.Duration) {
			_ = env.Plivo.UpdateFaults(func(f *plivotest.Faults) { f.Latency = d })
		},
		reset: func(env *workertest.Env) { env.Plivo.ResetCalls() },
		calls: func(env *workertest.Env) int { return env.Plivo.Reads() + env.Plivo.Writes() },
	},
	jobs.ProviderTelnyx: {
		format: "+4420700%05d",
		add: func(env *workertest.Env, n string) error {
			_, err := env.Telnyx.AddNumber(telnyxtest.SandboxAPIKey, n)
			return err
		},
		latency: func(env *workertest.Env, d time.Duration) {
			f := env.Telnyx.Faults()
			f.Latency = d
			_ = env.Telnyx.SetFaults(f)
		},
		reset: func(env *workertest.Env) { env.Telnyx.ResetCalls() },
		calls: func(env *workertest.Env) int { return env.Telnyx.Reads() + env.Telnyx.Writes() },
	},
}
