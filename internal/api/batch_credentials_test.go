package api_test

import (
	"bytes"
	"context"
	"log/slog"
	"mime/multipart"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// syncBuffer is a log destination shared by goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// credentialsUpload is a multipart upload: the credentials part, then the file.
func credentialsUpload(t *testing.T, creds, file string) (string, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if creds != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="credentials"`)
		h.Set("Content-Type", "application/json")
		pw, err := mw.CreatePart(h)
		must(t, err)
		pw.Write([]byte(creds))
	}
	fw, err := mw.CreateFormFile("file", "numbers.csv")
	must(t, err)
	fw.Write([]byte(file))
	must(t, mw.Close())
	return mw.FormDataContentType(), body.String()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// redisDump is every value in the test's Redis database, as text.
func redisDump(t *testing.T, rdb redis.UniversalClient) string {
	t.Helper()
	ctx := context.Background()
	var out strings.Builder
	keys, err := rdb.Keys(ctx, "*").Result()
	must(t, err)
	for _, k := range keys {
		out.WriteString(k + "\n")
		switch typ, _ := rdb.Type(ctx, k).Result(); typ {
		case "string":
			v, _ := rdb.Get(ctx, k).Result()
			out.WriteString(v)
		case "hash":
			v, _ := rdb.HGetAll(ctx, k).Result()
			for f, x := range v {
				out.WriteString(f + "=" + x + "\n")
			}
		case "list":
			v, _ := rdb.LRange(ctx, k, 0, -1).Result()
			out.WriteString(strings.Join(v, "\n"))
		case "set":
			v, _ := rdb.SMembers(ctx, k).Result()
			out.WriteString(strings.Join(v, "\n"))
		case "zset":
			v, _ := rdb.ZRange(ctx, k, 0, -1).Result()
			out.WriteString(strings.Join(v, "\n"))
		}
		out.WriteString("\n")
	}
	return out.String()
}

// TestBatchCredentialsOnce: credentials given once in the upload's
// "credentials" part are checked at the provider, stored sealed as the
// org's connection, and used by every row; the secret is nowhere in
// clear: not in the batch, its rows, its failures CSV, the logs of the API
// and the worker, or Redis. Refused credentials record nothing.
func TestBatchCredentialsOnce(t *testing.T) {
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		ctx := context.Background()
		logs := &syncBuffer{}
		logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		env.Server.Shutdown()
		env.StartWorkerWith(t, func(p *worker.Params) { p.Logger = logger })
		bulk := jobs.NewClient(env.Redis, env.Keys, jobs.Options{Queue: jobs.QueueBulk})
		t.Cleanup(func() { bulk.Close() })
		e := startAPIWith(t, env, api.Params{Wait: time.Second, Bulk: bulk, Queue: asynq.NewInspectorFromRedisClient(env.Redis),
			Providers: env.Providers(), Keys: env.Keys, Logger: logger})
		secret := twiliotest.SandboxAuthToken

		// Refused: a wrong secret, and a part that is not JSON.
		ct, body := credentialsUpload(t, `{"provider":"twilio","account_id":"`+twiliotest.SandboxAccountSID+`","secret":"wrong-`+secret+`"}`, batchFile)
		r := e.upload(t, "/v1/batches", ct, body, nil)
		if r.status != 400 || !strings.Contains(string(r.body), "invalid_credentials") || strings.Contains(string(r.body), secret) {
			t.Errorf("wrong secret: %d %s", r.status, r.body)
		}
		ct, body = credentialsUpload(t, `{"secret":"`+secret+`",`, batchFile)
		r = e.upload(t, "/v1/batches", ct, body, nil)
		if r.status != 400 || !strings.Contains(string(r.body), "invalid_credentials") || strings.Contains(string(r.body), secret) {
			t.Errorf("bad JSON: %d %s", r.status, r.body)
		}
		if conns, _ := env.Store.ListConnections(ctx, env.OrgID); len(conns) != 0 {
			t.Errorf("refused credentials stored %d connections", len(conns))
		}
		if bs, _ := env.Store.ListBatches(ctx, 0); len(bs) != 0 {
			t.Errorf("refused credentials recorded %d batches", len(bs))
		}

		ct, body = credentialsUpload(t, `{"provider":"twilio","account_id":"`+twiliotest.SandboxAccountSID+`","secret":"`+secret+`"}`, batchFile)
		r = e.upload(t, "/v1/batches", ct, body, nil)
		if r.status != 202 {
			t.Fatalf("upload with credentials: %d %s", r.status, r.body)
		}
		id := str(dataOf(r.json(t)), "batch_id")
		var d map[string]any
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			d = e.batch(t, id)
			if c := counts(d); c["pending"]+c["queued"] == 0 || time.Now().After(deadline) {
				break
			}
		}
		// NYC, DC and SF are added; the trunked number is refused by the
		// worker; 555 is invalid; the repeat is skipped.
		if c := counts(d); c["succeeded"] != 3 || c["failed"] != 1 || c["invalid"] != 1 || c["skipped"] != 1 {
			t.Errorf("counts %v", c)
		}
		conns, err := env.Store.ListConnections(ctx, env.OrgID)
		must(t, err)
		if len(conns) != 1 || conns[0].AccountID != twiliotest.SandboxAccountSID || strings.Contains(string(conns[0].Credentials), secret) {
			t.Fatalf("connections %+v, want the sandbox account's, sealed", conns)
		}
		if got, err := env.Keys.OpenCredentials(conns[0].Credentials); err != nil || got.Secret != secret {
			t.Errorf("stored credentials do not open to the given ones: %v", err)
		}
		if d["account"] != twiliotest.SandboxAccountSID {
			t.Errorf("batch account %v, want the connection's", d["account"])
		}

		csv := e.send(t, "GET", "/v1/batches/"+id+"/failures.csv", xAPIKey(e.key), "")
		var rows strings.Builder
		page, err := env.Store.ListBatchRows(ctx, store.BatchRowFilter{OrgID: env.OrgID, BatchID: id, Limit: 1000})
		must(t, err)
		for _, row := range page {
			if row.Status == store.RowSucceeded && row.ConnectionID != conns[0].ID {
				t.Errorf("line %d uses connection %s, want %s", row.Line, row.ConnectionID, conns[0].ID)
			}
			rows.WriteString(strings.Join([]string{row.PhoneNumber, row.Provider, row.Account, row.UserID, row.TargetID, row.E164,
				row.ConnectionID, row.Column, row.Code, row.Reason, row.JobID}, ","))
		}
		for name, text := range map[string]string{"failures CSV": string(csv.body), "batch": string(r.body) + string(e.send(t, "GET", "/v1/batches/"+id, xAPIKey(e.key), "").body),
			"batch rows": rows.String(), "logs": logs.String(), "redis": redisDump(t, env.Redis)} {
			if strings.Contains(text, secret) {
				t.Errorf("the secret is in the %s", name)
			}
		}
		if !strings.Contains(string(csv.body), twiliotest.SandboxNumberTrunked) || !strings.Contains(redisDump(t, env.Redis), id) {
			t.Errorf("the scan looked at the wrong things: csv %q", csv.body)
		}
	})
}

// TestBatchCredentialsProviderDown: when the provider cannot answer the
// credentials check (every request a 500), the upload is refused with a
// 503 that says which provider to try again with, and nothing is recorded;
// the secret is not in the answer.
func TestBatchCredentialsProviderDown(t *testing.T) {
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		ctx := context.Background()
		bulk := jobs.NewClient(env.Redis, env.Keys, jobs.Options{Queue: jobs.QueueBulk})
		t.Cleanup(func() { bulk.Close() })
		e := startAPIWith(t, env, api.Params{Wait: time.Second, Bulk: bulk, Queue: asynq.NewInspectorFromRedisClient(env.Redis),
			Providers: env.Providers(), Keys: env.Keys})
		f := env.Twilio.Faults()
		f.ErrorRate = 1
		must(t, env.Twilio.SetFaults(f))
		secret := twiliotest.SandboxAuthToken
		ct, body := credentialsUpload(t, `{"provider":"Twilio","account_id":"`+twiliotest.SandboxAccountSID+`","secret":"`+secret+`"}`, batchFile)
		r := e.upload(t, "/v1/batches", ct, body, nil)
		const want = "The credentials could not be checked at twilio; try again"
		if r.status != 503 || !strings.Contains(string(r.body), "provider_unavailable") || !strings.Contains(string(r.body), want) || strings.Contains(string(r.body), secret) {
			t.Errorf("provider down: %d %s, want 503 provider_unavailable %q", r.status, r.body, want)
		}
		if conns, _ := env.Store.ListConnections(ctx, env.OrgID); len(conns) != 0 {
			t.Errorf("an unchecked upload stored %d connections", len(conns))
		}
		if bs, _ := env.Store.ListBatches(ctx, 0); len(bs) != 0 {
			t.Errorf("an unchecked upload recorded %d batches", len(bs))
		}
	})
}
