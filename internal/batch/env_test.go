package batch_test

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
)

// env is an org with a user, a target and a stored Twilio connection, on a
// store and a Redis, with an Importer on the bulk queue and no worker: the
// tests read what was enqueued from the queue itself.
type env struct {
	store  store.Store
	rdb    redis.UniversalClient
	keys   *jobs.KeyRing
	jobs   *jobs.Client
	insp   *asynq.Inspector
	im     *batch.Importer
	org    int64
	user   string
	target string
	conn   store.Connection
}

func eachBackend(t *testing.T, test func(t *testing.T, e *env)) {
	for _, b := range workertest.Backends() {
		t.Run(b.Name, func(t *testing.T) { test(t, newEnv(t, b.Open(t))) })
	}
}

func newEnv(t testing.TB, st store.Store) *env {
	t.Helper()
	ctx := context.Background()
	keys, err := jobs.ParseKeyRing(jobs.GenerateKey())
	must(t, err)
	rdb := redis.NewClient(testenv.Redis(t))
	t.Cleanup(func() { rdb.Close() })
	jc := jobs.NewClient(rdb, keys, jobs.Options{Queue: jobs.QueueBulk})
	t.Cleanup(func() { jc.Close() })
	org, err := st.CreateOrg(ctx, "acme")
	must(t, err)
	_, err = st.CreateUser(ctx, store.User{ID: workertest.UserID, OrgID: org.ID, Name: "Ada"})
	must(t, err)
	tg, err := st.CreateTarget(ctx, store.Target{ID: "app1", OrgID: org.ID, Kind: store.TargetApp, Name: "IVR", AnswerURL: "https://app.example/answer"})
	must(t, err)
	sealed, err := keys.SealCredentials(workertest.TwilioCreds)
	must(t, err)
	conn, err := st.UpsertConnection(ctx, store.Connection{ID: store.NewID(), OrgID: org.ID, Provider: jobs.ProviderTwilio,
		AccountID: workertest.TwilioCreds.AccountID, Credentials: sealed})
	must(t, err)
	return &env{store: st, rdb: rdb, keys: keys, jobs: jc, insp: asynq.NewInspectorFromRedisClient(rdb),
		im: &batch.Importer{Store: st, Jobs: jc}, org: org.ID, user: workertest.UserID, target: tg.ID, conn: conn}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// allRows reads every row of a batch.
func allRows(t testing.TB, e *env, batchID string) []store.BatchRow {
	t.Helper()
	var out []store.BatchRow
	after := 0
	for {
		page, err := e.store.ListBatchRows(context.Background(), store.BatchRowFilter{OrgID: e.org, BatchID: batchID, AfterLine: after, Limit: 1000})
		must(t, err)
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].Line
	}
}

func asynqPage(n int) asynq.ListOption { return asynq.PageSize(n) }
