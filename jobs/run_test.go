package jobs

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/testenv"
)

func TestRequestOf(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"add-0123abcd.9f8e7d6c5b4a": "add-0123abcd",
		"add-0123abcd":              "add-0123abcd", // an id from before runs had their own
		"a.b.c":                     "a.b",
		"":                          "",
		".x":                        "",
	}
	for id, want := range tests {
		if got := RequestOf(id); got != want {
			t.Errorf("RequestOf(%q) = %q, want %q", id, got, want)
		}
	}
	if run := newRunID("add-0123abcd"); RequestOf(run) != "add-0123abcd" || run == newRunID("add-0123abcd") {
		t.Errorf("newRunID: %q is not a fresh run of add-0123abcd", run)
	}
}

// TestEnqueueFinishesClaimedRun: a process that claimed a run id and died
// before enqueueing it leaves a claimed pointer; the next identical request
// enqueues that run under the claimed id, once.
func TestEnqueueFinishesClaimedRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb := redis.NewClient(testenv.Redis(t))
	t.Cleanup(func() { rdb.Close() })
	keys, err := ParseKeyRing("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(rdb, keys, Options{})
	t.Cleanup(func() { c.Close() })
	insp := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { insp.Close() })

	p := Unlink{OrgID: 1, TargetID: "app_3", Number: "+12125551234"}
	request := "unlink-" + keys.Fingerprint(TypeUnlink, "1", p.TargetID, p.Number, p.CallbackURL)
	claimed := newRunID(request)
	key := pointerKey(QueueCritical, request)
	if err := rdb.Set(ctx, key, pointerValue(pointerClaimed, claimed), DefaultRetention).Err(); err != nil {
		t.Fatal(err)
	}

	job, err := c.Unlink(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if job.ID != claimed || job.Existing {
		t.Errorf("Unlink = %+v, want to enqueue the claimed run %s", job, claimed)
	}
	info, err := insp.GetTaskInfo(QueueCritical, claimed)
	if err != nil {
		t.Fatalf("claimed run not enqueued: %v", err)
	}
	var got Unlink
	if err := json.Unmarshal(info.Payload, &got); err != nil || got != p {
		t.Errorf("payload = %+v, %v; want %+v", got, err, p)
	}
	if v := rdb.Get(ctx, key).Val(); v != pointerValue(pointerEnqueued, claimed) {
		t.Errorf("pointer = %q, want the run marked enqueued", v)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 || ttl > DefaultRetention {
		t.Errorf("pointer TTL = %v, want at most the retention %v", ttl, DefaultRetention)
	}
	if again, err := c.Unlink(ctx, p); err != nil || again.ID != claimed || !again.Existing {
		t.Errorf("second Unlink = %+v, %v; want to join %s", again, err, claimed)
	}
}

// TestListenerForgetsUnregisteredWaiters: a job id is in the listener's
// map only while it has waiters; unregistering twice is harmless. (A
// mutant that skipped the delete grew the map by every job ever waited
// for.)
func TestListenerForgetsUnregisteredWaiters(t *testing.T) {
	rdb := redis.NewClient(testenv.Redis(t))
	t.Cleanup(func() { rdb.Close() })
	l := newListener(rdb)
	defer l.close()
	_, first := l.register("job-1")
	_, second := l.register("job-1")
	first()
	first()
	l.mu.Lock()
	n := len(l.waiters["job-1"])
	l.mu.Unlock()
	if n != 1 {
		t.Fatalf("after one of two waiters unregistered (twice): %d waiters, want 1", n)
	}
	second()
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.waiters["job-1"]; ok || len(l.waiters) != 0 {
		t.Errorf("after every waiter unregistered: waiters %v, want none", l.waiters)
	}
}
