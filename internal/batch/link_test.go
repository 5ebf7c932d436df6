package batch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/twilio"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// linkEnv is a running back end (workertest) whose worker talks to the
// Twilio simulator through refusingTransport, an Importer on the bulk
// queue, a stored connection to the sandbox account and two targets.
type linkEnv struct {
	*workertest.Env
	im      *batch.Importer
	refuse  *refusingTransport
	app     store.Target
	agent   store.Target
	numbers []string
}

// refusingTransport, while on, changes a request routing a number to
// refuseURL into one routing it to a host Twilio refuses, so the
// simulator itself answers with Twilio's 400 (21502, invalid URL): a
// provider refusing a link, which the test can switch off to fix it.
type refusingTransport struct {
	next      http.RoundTripper
	on        atomic.Bool
	refuseURL string
}

func (rt *refusingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !rt.on.Load() || r.Method != http.MethodPost || r.Body == nil {
		return rt.next.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	if form, err := url.ParseQuery(string(body)); err == nil && form.Get("VoiceUrl") == rt.refuseURL {
		form.Set("VoiceUrl", "https://refused_host.example/answer")
		body = []byte(form.Encode())
	}
	r = r.Clone(r.Context())
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	return rt.next.RoundTrip(r)
}

func newLinkEnv(t *testing.T, st store.Store, n int) *linkEnv {
	t.Helper()
	ctx := context.Background()
	env := workertest.Start(t, st)
	env.Server.Shutdown() // replaced by a worker whose Twilio adapter goes through refuse
	rt := &refusingTransport{next: ratelimit.Transport(nil), refuseURL: "https://app.example/answer"}
	sim := env.Twilio
	srv := newSimServer(t, sim)
	tw, err := twilio.New(twilio.Options{BaseURL: srv, Transport: rt, Timeout: 2 * time.Second})
	must(t, err)
	env.StartWorkerWith(t, func(p *worker.Params) {
		ps := []providers.Provider{tw}
		for _, pr := range p.Providers {
			if pr.Name() != jobs.ProviderTwilio {
				ps = append(ps, pr)
			}
		}
		p.Providers = ps
	})
	sealed, err := env.Keys.SealCredentials(workertest.TwilioCreds)
	must(t, err)
	_, err = st.UpsertConnection(ctx, store.Connection{ID: store.NewID(), OrgID: env.OrgID, Provider: jobs.ProviderTwilio,
		AccountID: workertest.TwilioCreds.AccountID, Credentials: sealed})
	must(t, err)
	app, err := st.CreateTarget(ctx, store.Target{ID: "app1", OrgID: env.OrgID, Kind: store.TargetApp, Name: "IVR", AnswerURL: rt.refuseURL})
	must(t, err)
	agent, err := st.CreateTarget(ctx, store.Target{ID: "agent1", OrgID: env.OrgID, Kind: store.TargetAgent, Name: "Bot", AnswerURL: "https://agent.example/answer"})
	must(t, err)
	bulk := jobs.NewClient(env.Redis, env.Keys, jobs.Options{Queue: jobs.QueueBulk})
	t.Cleanup(func() { bulk.Close() })
	e := &linkEnv{Env: env, im: &batch.Importer{Store: st, Jobs: bulk}, refuse: rt, app: app, agent: agent}
	for i := range n {
		num := fmt.Sprintf("+1646555%04d", i)
		_, err := sim.AddNumber(twiliotest.SandboxAccountSID, num)
		must(t, err)
		e.numbers = append(e.numbers, num)
	}
	return e
}

// newSimServer serves sim over HTTP for the test's own adapter.
func newSimServer(t *testing.T, sim http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return srv.URL
}

// importAndWait imports file and waits until no row is pending or queued.
func (e *linkEnv) importAndWait(t *testing.T, b store.Batch, file string) store.BatchCounts {
	t.Helper()
	r, err := batch.NewReader(strings.NewReader(file), batch.CSV)
	must(t, err)
	_, err = e.im.Import(t.Context(), b, r)
	must(t, err)
	return e.wait(t, b.ID)
}

func (e *linkEnv) wait(t *testing.T, batchID string) store.BatchCounts {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := e.Store.CountBatchRows(t.Context(), e.OrgID, batchID)
		must(t, err)
		if c.ByStatus[store.RowPending]+c.ByStatus[store.RowQueued] == 0 {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch %s not finished in 30s: %v", batchID, c.ByStatus)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// linkOf answers the target and status of number's link ("" when none).
func (e *linkEnv) linkOf(t *testing.T, number string) (string, string) {
	t.Helper()
	n, err := e.Store.GetNumber(t.Context(), e.OrgID, number)
	must(t, err)
	l, err := e.Store.GetLink(t.Context(), e.OrgID, n.ID)
	if err != nil {
		return "", ""
	}
	return l.TargetID, l.Status
}

// TestImportLinksTargets: every good row of an import with a target ends
// with its number added, linked to the row's target (its target_id column,
// or the file's) and routed to the target's answer URL.
func TestImportLinksTargets(t *testing.T) {
	for _, b := range workertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newLinkEnv(t, b.Open(t), 6)
			var file strings.Builder
			file.WriteString("phone_number,user_id,target_id\n")
			for i, num := range e.numbers {
				target := "" // the file's target: app1
				if i%3 == 0 {
					target = e.agent.ID
				}
				fmt.Fprintf(&file, "%s,%s,%s\n", num, workertest.UserID, target)
			}
			file.WriteString("+16465559999," + workertest.UserID + ",nope\n") // unknown target: refused, not enqueued
			c := e.importAndWait(t, store.Batch{ID: "bat_link", OrgID: e.OrgID, Provider: jobs.ProviderTwilio, TargetID: e.app.ID}, file.String())
			if c.ByStatus[store.RowSucceeded] != len(e.numbers) || c.ByStatus[store.RowInvalid] != 1 || c.ByCode[batch.CodeUnknownTarget] != 1 {
				t.Fatalf("counts %v %v, want %d succeeded and 1 unknown target", c.ByStatus, c.ByCode, len(e.numbers))
			}
			for i, num := range e.numbers {
				want := e.app
				if i%3 == 0 {
					want = e.agent
				}
				if tg, st := e.linkOf(t, num); tg != want.ID || st != store.LinkActive {
					t.Errorf("%s: link %q %q, want ACTIVE to %s", num, tg, st, want.ID)
				}
				if n, ok := e.Twilio.Number(twiliotest.SandboxAccountSID, num); !ok || n.VoiceURL != want.AnswerURL {
					t.Errorf("%s routes to %q, want %s", num, n.VoiceURL, want.AnswerURL)
				}
			}
		})
	}
}

// TestImportLinkFailureIsRetryable: a row whose number is added but whose
// link the provider refuses fails with link_failed and a reason that says
// the number was added; the number stays in the inventory on the default
// route, unlinked. Once the cause is gone, retrying the batch links it
// without adding it again.
func TestImportLinkFailureIsRetryable(t *testing.T) {
	for _, b := range workertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newLinkEnv(t, b.Open(t), 2)
			e.refuse.on.Store(true)
			file := "phone_number,user_id\n" + e.numbers[0] + "," + workertest.UserID + "\n" + e.numbers[1] + "," + workertest.UserID + "\n"
			bt := store.Batch{ID: "bat_linkfail", OrgID: e.OrgID, Provider: jobs.ProviderTwilio, TargetID: e.app.ID}
			c := e.importAndWait(t, bt, file)
			if c.ByStatus[store.RowFailed] != 2 || c.ByCode[store.CodeLinkFailed] != 2 {
				t.Fatalf("counts %v %v, want 2 failed link_failed", c.ByStatus, c.ByCode)
			}
			rows := allRows(t, e.envForRows(), bt.ID)
			for _, r := range rows {
				if r.Status != store.RowFailed || r.Code != store.CodeLinkFailed ||
					!strings.Contains(r.Reason, "added, but the link failed ("+string(jobs.CodeProviderRejected)+")") ||
					!strings.Contains(r.Reason, "not linked to target app1") {
					t.Errorf("line %d: %s %s %q, want failed link_failed saying the number was added", r.Line, r.Status, r.Code, r.Reason)
				}
			}
			for _, num := range e.numbers {
				n, err := e.Store.GetNumber(t.Context(), e.OrgID, num)
				if err != nil || n.State != store.NumberActive {
					t.Errorf("%s after a failed link: %+v %v, want ACTIVE in the inventory", num, n, err)
				}
				if tg, _ := e.linkOf(t, num); tg != "" {
					t.Errorf("%s linked to %q after a failed link", num, tg)
				}
				if sn, _ := e.Twilio.Number(twiliotest.SandboxAccountSID, num); sn.VoiceURL != workertest.WebhookBase+"/voice/inbound" {
					t.Errorf("%s routes to %q, want the default route", num, sn.VoiceURL)
				}
			}

			e.refuse.on.Store(false)
			got, err := e.Store.GetBatch(t.Context(), e.OrgID, bt.ID)
			must(t, err)
			n, err := e.im.Retry(t.Context(), got)
			must(t, err)
			if n != 2 {
				t.Fatalf("retried %d rows, want 2", n)
			}
			c = e.wait(t, bt.ID)
			if c.ByStatus[store.RowSucceeded] != 2 {
				t.Fatalf("after the retry: %v %v, want 2 succeeded", c.ByStatus, c.ByCode)
			}
			for _, num := range e.numbers {
				if tg, st := e.linkOf(t, num); tg != e.app.ID || st != store.LinkActive {
					t.Errorf("%s after the retry: link %q %q, want ACTIVE to app1", num, tg, st)
				}
			}
			for _, r := range allRows(t, e.envForRows(), bt.ID) {
				rec, err := e.Store.GetJob(t.Context(), e.OrgID, r.JobID)
				must(t, err)
				var res jobs.AddPhoneResult
				_ = json.Unmarshal(rec.Result, &res)
				if r.Run != 1 || !res.Existing || res.Link == nil || res.Link.Status != jobs.NumberLinked {
					t.Errorf("line %d: run %d, result %s; want run 1 finding the number added", r.Line, r.Run, rec.Result)
				}
			}
		})
	}
}

// envForRows lets allRows read the link env's store.
func (e *linkEnv) envForRows() *env { return &env{store: e.Store, org: e.OrgID} }
