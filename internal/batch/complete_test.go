package batch_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
)

// TestCompleteBatchOnceWhenLastRowsFinishTogether: two transactions
// finishing a batch's last two rows at the same moment (as two workers
// do) complete it exactly once between them, on every backend (on
// PostgreSQL the two run truly concurrently).
func TestCompleteBatchOnceWhenLastRowsFinishTogether(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		const batches = 40
		for i := range batches {
			id := fmt.Sprintf("bat_race%d", i)
			_, _, err := e.store.CreateBatch(ctx, store.Batch{ID: id, OrgID: e.org, Provider: jobs.ProviderTwilio, CallbackURL: "https://hooks.example/batch"})
			must(t, err)
			var rows []store.BatchRow
			for line := 2; line <= 3; line++ {
				rows = append(rows, store.BatchRow{OrgID: e.org, BatchID: id, Line: line, PhoneNumber: "x", UserID: e.user,
					Status: store.RowQueued, JobID: batch.JobID(id, line, 0)})
			}
			_, err = e.store.AddBatchRows(ctx, rows)
			must(t, err)
			must(t, e.store.SetBatchState(ctx, e.org, id, store.BatchImported, 2))

			var wg sync.WaitGroup
			start := make(chan struct{})
			fired := make([]bool, 2)
			for k := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					err := e.store.InTx(ctx, func(tx store.Store) error {
						if _, err := tx.FinishBatchRows(ctx, e.org, batch.JobID(id, k+2, 0), store.RowSucceeded, "", ""); err != nil {
							return err
						}
						_, ok, err := tx.CompleteBatch(ctx, e.org, id)
						fired[k] = ok
						return err
					})
					if err != nil {
						t.Error(err)
					}
				}()
			}
			close(start)
			wg.Wait()
			if fired[0] == fired[1] {
				t.Fatalf("batch %d: completed by %v, want exactly one of the two", i, fired)
			}
			// Nothing left to complete until a new round.
			if _, ok, err := e.store.CompleteBatch(ctx, e.org, id); ok || err != nil {
				t.Fatalf("batch %d completed twice: %v", i, err)
			}
		}
	})
}

// receiver records the verified callbacks it is sent.
type receiver struct {
	mu     sync.Mutex
	events []callback.Event
	bad    []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := callback.Verify([]byte(workertest.CallbackSecret), r.Header.Get("Switchboard-Signature"), body, time.Now(), 5*time.Minute); err != nil {
		rc.bad = append(rc.bad, err.Error())
		w.WriteHeader(400)
		return
	}
	var ev callback.Event
	_ = json.Unmarshal(body, &ev)
	rc.events = append(rc.events, ev)
}

func (rc *receiver) get() ([]callback.Event, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]callback.Event(nil), rc.events...), rc.bad
}

// waitEvents waits for n events, then a little more for any extra one.
func (rc *receiver) waitEvents(t *testing.T, n int) []callback.Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		evs, bad := rc.get()
		if len(bad) > 0 {
			t.Fatalf("callbacks that do not verify: %v", bad)
		}
		if len(evs) >= n || time.Now().After(deadline) {
			time.Sleep(300 * time.Millisecond)
			evs, _ = rc.get()
			return evs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func completion(t *testing.T, ev callback.Event) batch.CompletionData {
	t.Helper()
	var d batch.CompletionData
	must(t, json.Unmarshal(ev.Data, &d))
	return d
}

// TestBatchCompletionCallback: a batch with a callback URL is called back
// once, signed, with its counters, when every row is finished; after a
// retry of its failed rows completes, once more, with the new counters.
func TestBatchCompletionCallback(t *testing.T) {
	for _, b := range workertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newLinkEnv(t, b.Open(t), 3)
			rc := &receiver{}
			hooks := httptest.NewServer(rc)
			t.Cleanup(hooks.Close)
			e.refuse.on.Store(true) // the app1 rows' links fail
			file := "phone_number,user_id,target_id\n" + e.numbers[0] + "," + workertest.UserID + ",agent1\n" +
				e.numbers[1] + "," + workertest.UserID + ",agent1\n" + e.numbers[2] + "," + workertest.UserID + ",app1\nbad," + workertest.UserID + ",\n"
			bt := store.Batch{ID: "bat_cb", OrgID: e.OrgID, Provider: jobs.ProviderTwilio, CallbackURL: hooks.URL + "/batch"}
			e.importAndWait(t, bt, file)
			evs := rc.waitEvents(t, 1)
			if len(evs) != 1 {
				t.Fatalf("%d callbacks, want 1: %+v", len(evs), evs)
			}
			d := completion(t, evs[0])
			if evs[0].Type != callback.TypeBatchCompleted || evs[0].BatchID != bt.ID || evs[0].OrgID != e.OrgID || d.Round != 0 ||
				d.Counts[store.RowSucceeded] != 2 || d.Counts[store.RowFailed] != 1 || d.Counts[store.RowInvalid] != 1 ||
				d.ByCode[store.CodeLinkFailed] != 1 || d.Rows != 4 {
				t.Errorf("callback %+v data %+v", evs[0], d)
			}

			e.refuse.on.Store(false)
			got, err := e.Store.GetBatch(t.Context(), e.OrgID, bt.ID)
			must(t, err)
			if _, err := e.im.Retry(t.Context(), got); err != nil {
				t.Fatal(err)
			}
			e.wait(t, bt.ID)
			evs = rc.waitEvents(t, 2)
			if len(evs) != 2 {
				t.Fatalf("%d callbacks after the retry, want 2", len(evs))
			}
			d = completion(t, evs[1])
			if d.Round != 1 || d.Counts[store.RowSucceeded] != 3 || d.Counts[store.RowFailed] != 0 || evs[1].ID == evs[0].ID {
				t.Errorf("callback after the retry %+v data %+v", evs[1], d)
			}
			if !strings.HasPrefix(evs[1].ID, "evt_") {
				t.Errorf("event id %q", evs[1].ID)
			}
		})
	}
}
