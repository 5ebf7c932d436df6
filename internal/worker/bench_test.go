package worker_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// BenchmarkAddPhone measures number:add end to end (enqueue, a worker
// runs it against the Twilio simulator, the outcome is read back) on the
// each backend (PostgreSQL skips without SWITCHBOARD_TEST_DATABASE_URL).
// Run against real services:
//
//	SWITCHBOARD_TEST_REDIS_URL=redis://127.0.0.1:6379/0 \
//	SWITCHBOARD_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' \
//	go test -run '^$' -bench AddPhone ./internal/worker/
func BenchmarkAddPhone(b *testing.B) {
	for _, be := range workertest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			env := workertest.Start(b, be.Open(b))
			// Rate limits are the providers' business; measure switchboard.
			var seq atomic.Int64
			next := func() string {
				n := fmt.Sprintf("+1646%07d", seq.Add(1))
				if _, err := env.Twilio.AddNumber(twiliotest.SandboxAccountSID, n); err != nil {
					b.Fatal(err)
				}
				return n
			}
			b.SetParallelism(8) // 16 callers on 2 CPUs: keep the 4 worker slots busy
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					num := next()
					job, err := env.Jobs.AddPhone(context.Background(), jobs.AddPhoneRequest{OrgID: env.OrgID, UserID: workertest.UserID,
						PhoneNumber: num, Provider: jobs.ProviderTwilio, Credentials: workertest.TwilioCreds})
					if err != nil {
						b.Error(err)
						return
					}
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					out, err := env.Jobs.Wait(ctx, job)
					cancel()
					if err != nil || out.State != jobs.StateSucceeded {
						b.Errorf("%s: %+v %v", num, out, err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
		})
	}
}
