package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// answer is one HTTP answer, read in a goroutine and checked afterwards.
type answer struct {
	code int
	body map[string]any
	err  error
}

// post sends body as JSON without touching t, so goroutines may call it.
func (e *apiEnv) post(path string, headers map[string]string, body any) answer {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", e.url+path, bytes.NewReader(raw))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	a := answer{code: resp.StatusCode, err: err}
	if err == nil {
		a.err = json.Unmarshal(b, &a.body)
	}
	return a
}

// TestIdenticalAddPhoneRequests reproduces a client retrying hard: 40
// identical add-phone requests spread over 1.5 s. Requests that arrive
// while the job runs share it and all get its 201; requests after it
// finished get the seed's duplicate error. Never a 500, one number, and
// the first run's record stays as it was.
func TestIdenticalAddPhoneRequests(t *testing.T) {
	t.Parallel()
	workertest.Each(t, func(t *testing.T, env *workertest.Env) {
		e := startAPI(t, env, 20*time.Second, nil)
		f := env.Twilio.Faults()
		f.Latency = 100 * time.Millisecond // the job runs long enough to be shared
		if err := env.Twilio.SetFaults(f); err != nil {
			t.Fatal(err)
		}
		const n = 40
		answers := make([]answer, n)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(i) * 1500 * time.Millisecond / n)
				answers[i] = e.post("/api/call/add-phone", map[string]string{"Authorization": "Bearer " + e.key},
					addPhoneBody("12125551234", twiliotest.SandboxAuthToken))
			}()
		}
		wg.Wait()
		created, dup := 0, 0
		ids := map[string]bool{}
		for i, a := range answers {
			switch {
			case a.err != nil:
				t.Errorf("request %d: %v", i, a.err)
			case a.code == http.StatusCreated:
				created++
				data, _ := a.body["data"].(map[string]any)
				ids[data["_id"].(string)] = true
			case a.code == http.StatusBadRequest && a.body["message"] == "Phone number already exists for this user":
				dup++
			default:
				t.Errorf("request %d: %d %v", i, a.code, a.body)
			}
		}
		if created == 0 || created+dup != n || len(ids) != 1 {
			t.Errorf("%d × 201 (numbers %v), %d × duplicate; want at least one 201, one number, the rest duplicates", created, ids, dup)
		}
		nums, err := env.Store.ListNumbers(context.Background(), store.NumberFilter{OrgID: env.OrgID})
		if err != nil || len(nums) != 1 {
			t.Fatalf("numbers %v, %v: want one", nums, err)
		}
		recs, err := env.Store.ListJobs(context.Background(), store.JobFilter{OrgID: env.OrgID})
		if err != nil {
			t.Fatal(err)
		}
		succeeded := 0
		for _, r := range recs {
			if r.State == "succeeded" {
				succeeded++
				if r.ID != nums[0].JobID {
					t.Errorf("succeeded run %s, but the number was added by %s", r.ID, nums[0].JobID)
				}
			}
		}
		if succeeded != 1 {
			t.Errorf("%d succeeded runs recorded, want 1 (never overwritten by a later run)", succeeded)
		}
	})
}
