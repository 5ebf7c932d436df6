package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/jobs"
)

const testSecret = "auth-token-7c1f0e9b2d"

// env is one test's Redis with a jobs.Client and an inspector on it.
type env struct {
	rdb    *redis.Client
	keys   *jobs.KeyRing
	client *jobs.Client
	insp   *asynq.Inspector
}

func newEnv(t testing.TB, opts jobs.Options) *env {
	t.Helper()
	rdb := redis.NewClient(testenv.Redis(t))
	t.Cleanup(func() { rdb.Close() })
	keys := mustRing(t, "k1:"+stdKey(1))
	c := jobs.NewClient(rdb, keys, opts)
	t.Cleanup(func() { c.Close() })
	insp := asynq.NewInspectorFromRedisClient(rdb)
	t.Cleanup(func() { insp.Close() })
	return &env{rdb: rdb, keys: keys, client: c, insp: insp}
}

func addPhoneReq() jobs.AddPhoneRequest {
	return jobs.AddPhoneRequest{
		OrgID: 1, UserID: "64e5f12345abcdef12345678", PhoneNumber: "+12125551234",
		Provider: jobs.ProviderTwilio, Credentials: jobs.Credentials{AccountID: "AC0123456789", Secret: testSecret},
	}
}

func (e *env) addPhone(t *testing.T, r jobs.AddPhoneRequest) jobs.Job {
	t.Helper()
	job, err := e.client.AddPhone(context.Background(), r)
	if err != nil {
		t.Fatalf("AddPhone: %v", err)
	}
	return job
}

func (e *env) task(t *testing.T, job jobs.Job) *asynq.TaskInfo {
	t.Helper()
	info, err := e.insp.GetTaskInfo(job.Queue, job.ID)
	if err != nil {
		t.Fatalf("GetTaskInfo(%s, %s): %v", job.Queue, job.ID, err)
	}
	return info
}

func (e *env) addPhonePayload(t *testing.T, job jobs.Job) jobs.AddPhone {
	t.Helper()
	var p jobs.AddPhone
	if err := json.Unmarshal(e.task(t, job).Payload, &p); err != nil {
		t.Fatalf("payload: %v", err)
	}
	return p
}

// taskCount counts the tasks of every state in queue.
func (e *env) taskCount(t *testing.T, queue string) int {
	t.Helper()
	qi, err := e.insp.GetQueueInfo(queue)
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return 0
	}
	if err != nil {
		t.Fatalf("GetQueueInfo(%s): %v", queue, err)
	}
	return qi.Size // every state, completed included
}

// taskFacts are the enqueue settings of a task that the Client decides.
type taskFacts struct {
	ID, Queue, Type string
	State           asynq.TaskState
	MaxRetry        int
	Timeout         time.Duration
	Retention       time.Duration
}

func factsOf(info *asynq.TaskInfo) taskFacts {
	return taskFacts{ID: info.ID, Queue: info.Queue, Type: info.Type, State: info.State,
		MaxRetry: info.MaxRetry, Timeout: info.Timeout, Retention: info.Retention}
}

// runIDRE matches a run's task id: a request key and a run suffix.
var runIDRE = regexp.MustCompile(`^(add|attach|unlink|delete)-[0-9a-f]{32}\.[0-9a-f]{12}$`)

// assertRun fails unless job names a run of a request in the right form.
func assertRun(t *testing.T, job jobs.Job) {
	t.Helper()
	if !runIDRE.MatchString(job.ID) {
		t.Errorf("Job.ID = %q, want <type>-<32 hex>.<12 hex>", job.ID)
	}
	if job.Request != jobs.RequestOf(job.ID) || !strings.HasPrefix(job.ID, job.Request+".") {
		t.Errorf("Job.Request = %q, want the request key of %q", job.Request, job.ID)
	}
}

func TestAddPhoneEnqueues(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	req := addPhoneReq()
	req.Override = true
	job := e.addPhone(t, req)

	if diff := cmp.Diff(jobs.Job{Type: jobs.TypeAddPhone, Queue: jobs.QueueCritical}, job, cmpopts.IgnoreFields(jobs.Job{}, "ID", "Request")); diff != "" {
		t.Errorf("Job (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(job.ID, "add-") {
		t.Errorf("Job.ID = %q, want an add- prefix", job.ID)
	}
	assertRun(t, job)
	info := e.task(t, job)
	want := taskFacts{ID: job.ID, Queue: jobs.QueueCritical, Type: jobs.TypeAddPhone, State: asynq.TaskStatePending,
		MaxRetry: jobs.DefaultMaxRetry, Timeout: jobs.DefaultTimeout, Retention: jobs.DefaultRetention}
	if diff := cmp.Diff(want, factsOf(info)); diff != "" {
		t.Errorf("task (-want +got):\n%s", diff)
	}
	if n := e.taskCount(t, jobs.QueueCritical); n != 1 {
		t.Errorf("critical queue holds %d tasks, want 1", n)
	}

	if strings.Contains(string(info.Payload), testSecret) {
		t.Fatalf("payload contains the secret: %s", info.Payload)
	}
	p := e.addPhonePayload(t, job)
	wantP := jobs.AddPhone{OrgID: req.OrgID, UserID: req.UserID, PhoneNumber: req.PhoneNumber, Provider: req.Provider, Override: true}
	if diff := cmp.Diff(wantP, p, cmpopts.IgnoreFields(jobs.AddPhone{}, "Credentials", "RequestID")); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
	if p.RequestID != job.ID {
		t.Errorf("request_id = %q, want the run's task id %q", p.RequestID, job.ID)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("enqueued payload does not validate: %v", err)
	}
	if got := p.Credentials.KeyID(); got != "k1" {
		t.Errorf("credentials sealed with key %q, want k1", got)
	}
	creds, err := e.keys.OpenCredentials(p.Credentials)
	if err != nil {
		t.Fatalf("OpenCredentials: %v", err)
	}
	if diff := cmp.Diff(req.Credentials, creds); diff != "" {
		t.Errorf("opened credentials (-want +got):\n%s", diff)
	}
}

// redisContents reads every key in the database and returns, per key, the
// strings stored under it (values, hash fields and values, members).
func redisContents(t *testing.T, rdb *redis.Client) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	iter := rdb.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		typ, err := rdb.Type(ctx, key).Result()
		if err != nil {
			t.Fatalf("TYPE %s: %v", key, err)
		}
		var vals []string
		switch typ {
		case "string":
			v, err := rdb.Get(ctx, key).Result()
			if err != nil {
				t.Fatalf("GET %s: %v", key, err)
			}
			vals = []string{v}
		case "hash":
			m, err := rdb.HGetAll(ctx, key).Result()
			if err != nil {
				t.Fatalf("HGETALL %s: %v", key, err)
			}
			for f, v := range m {
				vals = append(vals, f, v)
			}
		case "list":
			vals, err = rdb.LRange(ctx, key, 0, -1).Result()
		case "set":
			vals, err = rdb.SMembers(ctx, key).Result()
		case "zset":
			vals, err = rdb.ZRange(ctx, key, 0, -1).Result()
		case "none":
			continue // expired between SCAN and TYPE
		default:
			t.Fatalf("key %s has type %s, which this test cannot read", key, typ)
		}
		if err != nil {
			t.Fatalf("read %s (%s): %v", key, typ, err)
		}
		out[key] = vals
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN: %v", err)
	}
	return out
}

// keysContaining lists the keys whose name or contents contain s.
func keysContaining(contents map[string][]string, s string) []string {
	var hits []string
	for k, vals := range contents {
		found := strings.Contains(k, s)
		for _, v := range vals {
			found = found || strings.Contains(v, s)
		}
		if found {
			hits = append(hits, k)
		}
	}
	return hits
}

func TestAddPhoneSecretNotInRedis(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	job := e.addPhone(t, addPhoneReq())
	sealed := e.addPhonePayload(t, job).Credentials
	// Enqueue a duplicate, a new run after archiving, and a second
	// number, so every path that writes to Redis has run.
	e.addPhone(t, addPhoneReq())
	if err := e.insp.ArchiveTask(job.Queue, job.ID); err != nil {
		t.Fatal(err)
	}
	rerun := e.addPhone(t, addPhoneReq())
	other := addPhoneReq()
	other.PhoneNumber = "+12125559876"
	e.addPhone(t, other)

	contents := redisContents(t, e.rdb)
	// The scan must see the task itself, or finding no secret means nothing.
	if len(keysContaining(contents, job.ID)) == 0 {
		t.Fatalf("no Redis key mentions task %s; keys: %v", job.ID, contents)
	}
	if len(keysContaining(contents, string(e.addPhonePayload(t, job).Credentials))) == 0 {
		t.Fatalf("the scan does not reach the task payload (sealed credentials not found)")
	}
	if sealed == e.addPhonePayload(t, rerun).Credentials {
		t.Errorf("the new run reuses the old sealed credentials")
	}
	if hits := keysContaining(contents, testSecret); len(hits) > 0 {
		t.Errorf("the secret is stored in plain text under %v", hits)
	}
}

func TestAddPhoneDedupesWhilePending(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	first := e.addPhone(t, addPhoneReq())
	p1 := e.addPhonePayload(t, first)

	second := e.addPhone(t, addPhoneReq())
	want := first
	want.Existing = true
	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("second AddPhone (-want +got):\n%s", diff)
	}
	if n := e.taskCount(t, jobs.QueueCritical); n != 1 {
		t.Errorf("critical queue holds %d tasks, want 1", n)
	}
	if diff := cmp.Diff(p1, e.addPhonePayload(t, first)); diff != "" {
		t.Errorf("the duplicate changed the pending payload (-want +got):\n%s", diff)
	}
}

func TestAddPhoneDedupesConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	const n = 40
	var wg sync.WaitGroup
	jobsOut := make([]jobs.Job, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			jobsOut[i], errs[i] = e.client.AddPhone(context.Background(), addPhoneReq())
		})
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("AddPhone %d: %v", i, errs[i])
		}
		if jobsOut[i].ID != jobsOut[0].ID {
			t.Errorf("AddPhone %d: ID %q, want %q", i, jobsOut[i].ID, jobsOut[0].ID)
		}
		if !jobsOut[i].Existing {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d of %d concurrent calls report a new job, want 1", fresh, n)
	}
	if got := e.taskCount(t, jobs.QueueCritical); got != 1 {
		t.Errorf("critical queue holds %d tasks, want 1", got)
	}
	assertRun(t, jobsOut[0])
	if p := e.addPhonePayload(t, jobsOut[0]); p.RequestID != jobsOut[0].ID {
		t.Errorf("request_id = %q, want the run's task id %q", p.RequestID, jobsOut[0].ID)
	}
}

func TestAddPhoneID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	base := e.addPhone(t, addPhoneReq())

	same := map[string]func(*jobs.AddPhoneRequest){
		"without plus":    func(r *jobs.AddPhoneRequest) { r.PhoneNumber = "12125551234" },
		"with separators": func(r *jobs.AddPhoneRequest) { r.PhoneNumber = "+1 (212) 555-1234" },
	}
	for name, mod := range same {
		r := addPhoneReq()
		mod(&r)
		job := e.addPhone(t, r)
		if job.ID != base.ID || !job.Existing {
			t.Errorf("%s: got %+v, want the existing job %s", name, job, base.ID)
		}
	}

	different := map[string]func(*jobs.AddPhoneRequest){
		"secret":     func(r *jobs.AddPhoneRequest) { r.Credentials.Secret += "x" },
		"account id": func(r *jobs.AddPhoneRequest) { r.Credentials.AccountID = "AC999" },
		"user":       func(r *jobs.AddPhoneRequest) { r.UserID = "64e5f12345abcdef12345679" },
		"org":        func(r *jobs.AddPhoneRequest) { r.OrgID = 2 },
		"number":     func(r *jobs.AddPhoneRequest) { r.PhoneNumber = "+12125551235" },
		"provider":   func(r *jobs.AddPhoneRequest) { r.Provider = jobs.ProviderPlivo },
		"override":   func(r *jobs.AddPhoneRequest) { r.Override = true },
	}
	// Run ids differ anyway; the request keys must.
	seen := map[string]string{base.Request: "base"}
	for name, mod := range different {
		r := addPhoneReq()
		mod(&r)
		job := e.addPhone(t, r)
		if prev, ok := seen[job.Request]; ok {
			t.Errorf("%s: same request key %s as %s", name, job.Request, prev)
		}
		seen[job.Request] = name
		if job.Existing {
			t.Errorf("%s: Existing = true, want a new job", name)
		}
		if strings.Contains(job.ID, r.Credentials.Secret) || strings.Contains(job.ID, r.UserID) {
			t.Errorf("%s: id %q reveals the request", name, job.ID)
		}
	}
	if got, want := e.taskCount(t, jobs.QueueCritical), 1+len(different); got != want {
		t.Errorf("critical queue holds %d tasks, want %d", got, want)
	}
}

// TestAddPhoneIDKeepsEveryDigit: numbers that differ only in where their
// 0s or 9s are are different numbers, so different requests; dropping a
// digit from the id would make the second join the first one's job.
func TestAddPhoneIDKeepsEveryDigit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	for _, pair := range [][2]string{
		{"+12125550123", "+12125551023"},
		{"+12125559123", "+12125551923"},
		{"+12125550000", "+12125551111"},
		{"+12125559999", "+12125551111"},
	} {
		a, b := addPhoneReq(), addPhoneReq()
		a.PhoneNumber, b.PhoneNumber = pair[0], pair[1]
		ja, jb := e.addPhone(t, a), e.addPhone(t, b)
		if jobs.RequestOf(ja.ID) == jobs.RequestOf(jb.ID) || jb.Existing && jb.ID == ja.ID {
			t.Errorf("%s and %s share request key %s (second %+v)", pair[0], pair[1], jobs.RequestOf(ja.ID), jb)
		}
	}
}

func TestAddPhoneIDDependsOnKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	other := jobs.NewClient(e.rdb, mustRing(t, "k2:"+stdKey(2)), jobs.Options{})
	defer other.Close()
	a := e.addPhone(t, addPhoneReq())
	b, err := other.AddPhone(context.Background(), addPhoneReq())
	if err != nil {
		t.Fatal(err)
	}
	if a.Request == b.Request {
		t.Errorf("two keys give the same request key %s", a.Request)
	}
}

func TestAddPhoneNewRunAfterArchived(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	first := e.addPhone(t, addPhoneReq())
	p1 := e.addPhonePayload(t, first)
	if err := e.insp.ArchiveTask(first.Queue, first.ID); err != nil {
		t.Fatalf("ArchiveTask: %v", err)
	}

	again := e.addPhone(t, addPhoneReq())
	assertRun(t, again)
	if again.ID == first.ID || again.Request != first.Request || again.Existing {
		t.Errorf("AddPhone after archive = %+v, want a new run of request %s", again, first.Request)
	}
	if st := e.task(t, again).State; st != asynq.TaskStatePending {
		t.Errorf("new run: state = %v, want pending", st)
	}
	if p2 := e.addPhonePayload(t, again); p2.RequestID != again.ID {
		t.Errorf("new run: request_id = %q, want %q", p2.RequestID, again.ID)
	}
	// The archived run is left as it was.
	if st := e.task(t, first).State; st != asynq.TaskStateArchived {
		t.Errorf("first run: state = %v, want archived", st)
	}
	if diff := cmp.Diff(p1, e.addPhonePayload(t, first)); diff != "" {
		t.Errorf("first run's payload changed (-want +got):\n%s", diff)
	}
	if n := e.taskCount(t, jobs.QueueCritical); n != 2 {
		t.Errorf("critical queue holds %d tasks, want 2", n)
	}

	// And the new run dedupes like any pending task.
	if dup := e.addPhone(t, addPhoneReq()); dup.ID != again.ID || !dup.Existing {
		t.Errorf("AddPhone while the new run is pending = %+v, want to join %s", dup, again.ID)
	}
}

// TestAddPhoneNewRunAfterCompleted repeats a request after its run
// completed, from many goroutines at once: they start one new run between
// them, and the first run's task and outcome stay.
func TestAddPhoneNewRunAfterCompleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	srv := startServer(t, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		return writeOutcome(task, jobs.Outcome{State: jobs.StateSucceeded, Message: task.ResultWriter().TaskID()})
	}))
	first := e.addPhone(t, addPhoneReq())
	waitState(t, e.insp, first, asynq.TaskStateCompleted)
	srv.stop() // so the new run stays pending
	firstResult := e.task(t, first).Result

	const n = 20
	var wg sync.WaitGroup
	out := make([]jobs.Job, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { out[i], errs[i] = e.client.AddPhone(context.Background(), addPhoneReq()) })
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("AddPhone %d: %v", i, errs[i])
		}
		if out[i].ID != out[0].ID {
			t.Errorf("AddPhone %d: ID %q, want %q like the first", i, out[i].ID, out[0].ID)
		}
		if !out[i].Existing {
			fresh++
		}
	}
	second := out[0]
	assertRun(t, second)
	if fresh != 1 {
		t.Errorf("%d of %d concurrent calls report a new job, want 1", fresh, n)
	}
	if second.ID == first.ID {
		t.Fatalf("the repeated request reuses the finished run's id %s", first.ID)
	}
	if jobs.RequestOf(second.ID) != jobs.RequestOf(first.ID) || second.Request != first.Request {
		t.Errorf("runs %s and %s are not of the same request", first.ID, second.ID)
	}
	info := e.task(t, second)
	if info.State != asynq.TaskStatePending || len(info.Result) != 0 {
		t.Errorf("new run: state %v, result %q; want pending without a result", info.State, info.Result)
	}
	if p := e.addPhonePayload(t, second); p.RequestID != second.ID {
		t.Errorf("new run: request_id = %q, want %q", p.RequestID, second.ID)
	}
	// The first run is still there, with its outcome.
	if got := e.task(t, first); got.State != asynq.TaskStateCompleted || string(got.Result) != string(firstResult) {
		t.Errorf("first run: state %v, result %q; want completed with %q", got.State, got.Result, firstResult)
	}
	if n := e.taskCount(t, jobs.QueueCritical); n != 2 {
		t.Errorf("critical queue holds %d tasks, want 2", n)
	}
}

// TestAddPhoneNewRunAfterDeleted: a run whose task an operator deleted is
// over; the id is not enqueued again.
func TestAddPhoneNewRunAfterDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	first := e.addPhone(t, addPhoneReq())
	if err := e.insp.DeleteTask(first.Queue, first.ID); err != nil {
		t.Fatal(err)
	}
	again := e.addPhone(t, addPhoneReq())
	if again.ID == first.ID || again.Existing || again.Request != first.Request {
		t.Errorf("AddPhone after the task was deleted = %+v, want a new run of %s", again, first.Request)
	}
	if _, err := e.insp.GetTaskInfo(first.Queue, first.ID); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Errorf("deleted run %s: GetTaskInfo err = %v, want not found", first.ID, err)
	}
}

// TestRunsOfEveryType: Attach, Unlink and DeleteTarget share AddPhone's runs: a repeat
// joins the run in flight, a repeat after it finished starts a new run.
func TestRunsOfEveryType(t *testing.T) {
	t.Parallel()
	enqueue := map[string]func(*jobs.Client) (jobs.Job, error){
		jobs.TypeAddPhone: func(c *jobs.Client) (jobs.Job, error) { return c.AddPhone(context.Background(), addPhoneReq()) },
		jobs.TypeAttach: func(c *jobs.Client) (jobs.Job, error) {
			return c.Attach(context.Background(), jobs.Attach{OrgID: 1, TargetID: "agent_7", Numbers: []string{"+12125551234"}})
		},
		jobs.TypeUnlink: func(c *jobs.Client) (jobs.Job, error) {
			return c.Unlink(context.Background(), jobs.Unlink{OrgID: 1, TargetID: "agent_7", Number: "+12125551234"})
		},
		jobs.TypeDeleteTarget: func(c *jobs.Client) (jobs.Job, error) {
			return c.DeleteTarget(context.Background(), jobs.DeleteTarget{OrgID: 1, TargetID: "agent_7"})
		},
	}
	for typ, enq := range enqueue {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, jobs.Options{})
			must := func() jobs.Job {
				t.Helper()
				job, err := enq(e.client)
				if err != nil {
					t.Fatal(err)
				}
				return job
			}
			first := must()
			assertRun(t, first)
			if first.Type != typ || first.Existing {
				t.Errorf("first = %+v", first)
			}
			if dup := must(); dup.ID != first.ID || !dup.Existing {
				t.Errorf("repeat while pending = %+v, want to join %s", dup, first.ID)
			}
			if err := e.insp.ArchiveTask(first.Queue, first.ID); err != nil {
				t.Fatal(err)
			}
			again := must()
			if again.ID == first.ID || again.Request != first.Request || again.Existing {
				t.Errorf("repeat after archive = %+v, want a new run of %s", again, first.Request)
			}
			if n := e.taskCount(t, jobs.QueueCritical); n != 2 {
				t.Errorf("critical queue holds %d tasks, want 2", n)
			}
		})
	}
}

// TestAddPhoneRepeatedWhileWorkerRuns is the double-submit storm: identical
// requests keep arriving while a worker finishes runs. Every caller waits
// for the job it was given and must get that run's outcome, and no run is
// executed twice.
func TestAddPhoneRepeatedWhileWorkerRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	var mu sync.Mutex
	handled := map[string]int{}
	startServer(t, e.rdb, asynq.HandlerFunc(func(ctx context.Context, task *asynq.Task) error {
		mu.Lock()
		handled[task.ResultWriter().TaskID()]++
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		return finish(ctx, e.rdb, task, runOutcome(task))
	}))

	const n = 40
	var wg sync.WaitGroup
	got := make([]jobs.Outcome, n)
	ids := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 15 * time.Millisecond) // spread over 600 ms
			job, err := e.client.AddPhone(context.Background(), addPhoneReq())
			if err != nil {
				errs[i] = err
				return
			}
			ids[i] = job.ID
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			got[i], errs[i] = e.client.Wait(ctx, job)
		})
	}
	wg.Wait()
	runs := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Errorf("request %d (job %s): %v", i, ids[i], errs[i])
			continue
		}
		runs[ids[i]] = true
		if got[i].Message != ids[i] {
			t.Errorf("request %d waited on %s and got the outcome of %s", i, ids[i], got[i].Message)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for id, times := range handled {
		if times != 1 {
			t.Errorf("run %s was executed %d times, want once", id, times)
		}
	}
	if len(runs) < 2 {
		t.Errorf("%d runs for requests spread over 600 ms of 20 ms runs; want a new run after each finished one", len(runs))
	}
	t.Logf("%d requests, %d runs", n, len(runs))
}

func TestAddPhoneInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mod  func(*jobs.AddPhoneRequest)
	}{
		{"missing secret", func(r *jobs.AddPhoneRequest) { r.Credentials.Secret = "" }},
		{"blank secret", func(r *jobs.AddPhoneRequest) { r.Credentials.Secret = "  " }},
		{"no credentials", func(r *jobs.AddPhoneRequest) { r.Credentials = jobs.Credentials{} }},
		{"unknown provider", func(r *jobs.AddPhoneRequest) { r.Provider = "vonage" }},
		{"missing provider", func(r *jobs.AddPhoneRequest) { r.Provider = "" }},
		{"missing user id", func(r *jobs.AddPhoneRequest) { r.UserID = "" }},
		{"org id 0", func(r *jobs.AddPhoneRequest) { r.OrgID = 0 }},
		{"missing number", func(r *jobs.AddPhoneRequest) { r.PhoneNumber = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, jobs.Options{})
			r := addPhoneReq()
			tt.mod(&r)
			job, err := e.client.AddPhone(context.Background(), r)
			if !errors.Is(err, jobs.ErrInvalid) {
				t.Errorf("AddPhone: err = %v, want ErrInvalid", err)
			}
			if job != (jobs.Job{}) {
				t.Errorf("AddPhone returned %+v with an error", job)
			}
			if err != nil && r.Credentials.Secret != "" && strings.Contains(err.Error(), r.Credentials.Secret) {
				t.Errorf("error %q contains the secret", err)
			}
			assertEmpty(t, e.rdb)
		})
	}
}

// assertEmpty fails unless the Redis database holds no keys at all.
func assertEmpty(t *testing.T, rdb *redis.Client) {
	t.Helper()
	n, err := rdb.DBSize(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("Redis holds %d keys, want none: %v", n, rdb.Keys(context.Background(), "*").Val())
	}
}

func TestAttach(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	ctx := context.Background()
	p := jobs.Attach{OrgID: 1, TargetID: "agent_7", Provider: jobs.ProviderTelnyx, Numbers: []string{"+12125551234", "+12125555678"}}

	first, err := e.client.Attach(ctx, p)
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	if first.Type != jobs.TypeAttach || first.Queue != jobs.QueueCritical || first.Existing || !strings.HasPrefix(first.ID, "attach-") {
		t.Errorf("Attach = %+v", first)
	}
	assertRun(t, first)
	info := e.task(t, first)
	want := taskFacts{ID: first.ID, Queue: jobs.QueueCritical, Type: jobs.TypeAttach, State: asynq.TaskStatePending,
		MaxRetry: jobs.DefaultMaxRetry, Timeout: jobs.DefaultTimeout, Retention: jobs.DefaultRetention}
	if diff := cmp.Diff(want, factsOf(info)); diff != "" {
		t.Errorf("task (-want +got):\n%s", diff)
	}
	var got jobs.Attach
	if err := json.Unmarshal(info.Payload, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}

	second, err := e.client.Attach(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID || !second.Existing {
		t.Errorf("second Attach = %+v, want the existing job %s", second, first.ID)
	}

	// Requests that differ get their own job.
	variants := map[string]jobs.Attach{
		"other target":   {OrgID: 1, TargetID: "agent_8", Provider: p.Provider, Numbers: p.Numbers},
		"other org":      {OrgID: 2, TargetID: p.TargetID, Provider: p.Provider, Numbers: p.Numbers},
		"no provider":    {OrgID: 1, TargetID: p.TargetID, Numbers: p.Numbers},
		"override":       {OrgID: 1, TargetID: p.TargetID, Provider: p.Provider, Numbers: p.Numbers, Override: true},
		"fewer numbers":  {OrgID: 1, TargetID: p.TargetID, Provider: p.Provider, Numbers: p.Numbers[:1]},
		"joined numbers": {OrgID: 1, TargetID: p.TargetID, Provider: p.Provider, Numbers: []string{strings.Join(p.Numbers, ",")}},
	}
	seen := map[string]string{first.Request: "base"}
	for name, v := range variants {
		job, err := e.client.Attach(ctx, v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if prev, ok := seen[job.Request]; ok || job.Existing {
			t.Errorf("%s: Attach = %+v, same request as %q", name, job, prev)
		}
		seen[job.Request] = name
	}
	if n := e.taskCount(t, jobs.QueueCritical); n != 1+len(variants) {
		t.Errorf("critical queue holds %d tasks, want %d", n, 1+len(variants))
	}
}

func TestUnlink(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	ctx := context.Background()
	p := jobs.Unlink{OrgID: 1, TargetID: "app_3", Number: "+12125551234"}

	first, err := e.client.Unlink(ctx, p)
	if err != nil {
		t.Fatalf("Unlink: %v", err)
	}
	if first.Type != jobs.TypeUnlink || first.Queue != jobs.QueueCritical || first.Existing || !strings.HasPrefix(first.ID, "unlink-") {
		t.Errorf("Unlink = %+v", first)
	}
	assertRun(t, first)
	info := e.task(t, first)
	want := taskFacts{ID: first.ID, Queue: jobs.QueueCritical, Type: jobs.TypeUnlink, State: asynq.TaskStatePending,
		MaxRetry: jobs.DefaultMaxRetry, Timeout: jobs.DefaultTimeout, Retention: jobs.DefaultRetention}
	if diff := cmp.Diff(want, factsOf(info)); diff != "" {
		t.Errorf("task (-want +got):\n%s", diff)
	}
	var got jobs.Unlink
	if err := json.Unmarshal(info.Payload, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}

	second, err := e.client.Unlink(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID || !second.Existing {
		t.Errorf("second Unlink = %+v, want the existing job %s", second, first.ID)
	}
	other, err := e.client.Unlink(ctx, jobs.Unlink{OrgID: 1, TargetID: "app_3", Number: "+12125559999"})
	if err != nil {
		t.Fatal(err)
	}
	if other.Request == first.Request || other.Existing {
		t.Errorf("Unlink of another number = %+v, want a new job", other)
	}

	// Unlink and attach of the same number never share an id.
	att, err := e.client.Attach(ctx, jobs.Attach{OrgID: 1, TargetID: "app_3", Numbers: []string{p.Number}})
	if err != nil {
		t.Fatal(err)
	}
	if att.Request == first.Request || att.Existing {
		t.Errorf("Attach = %+v, collides with unlink %s", att, first.ID)
	}
}

func TestAttachUnlinkInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	ctx := context.Background()
	attaches := map[string]jobs.Attach{
		"org 0":      {TargetID: "a", Numbers: []string{"+12125551234"}},
		"no target":  {OrgID: 1, Numbers: []string{"+12125551234"}},
		"no numbers": {OrgID: 1, TargetID: "a"},
		"blank one":  {OrgID: 1, TargetID: "a", Numbers: []string{"+12125551234", " "}},
	}
	for name, p := range attaches {
		if job, err := e.client.Attach(ctx, p); !errors.Is(err, jobs.ErrInvalid) || job != (jobs.Job{}) {
			t.Errorf("Attach %s = %+v, %v; want ErrInvalid", name, job, err)
		}
	}
	unlinks := map[string]jobs.Unlink{
		"org 0":     {TargetID: "a", Number: "+12125551234"},
		"no target": {OrgID: 1, Number: "+12125551234"},
		"no number": {OrgID: 1, TargetID: "a"},
	}
	for name, p := range unlinks {
		if job, err := e.client.Unlink(ctx, p); !errors.Is(err, jobs.ErrInvalid) || job != (jobs.Job{}) {
			t.Errorf("Unlink %s = %+v, %v; want ErrInvalid", name, job, err)
		}
	}
	assertEmpty(t, e.rdb)
}

func TestOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts jobs.Options
		want taskFacts
	}{
		{"zero", jobs.Options{},
			taskFacts{Queue: jobs.QueueCritical, MaxRetry: jobs.DefaultMaxRetry, Timeout: jobs.DefaultTimeout, Retention: jobs.DefaultRetention}},
		{"all set", jobs.Options{Queue: jobs.QueueBulk, MaxRetry: 3, Timeout: 30 * time.Second, Retention: time.Hour},
			taskFacts{Queue: jobs.QueueBulk, MaxRetry: 3, Timeout: 30 * time.Second, Retention: time.Hour}},
		{"queue only", jobs.Options{Queue: jobs.QueueDefault},
			taskFacts{Queue: jobs.QueueDefault, MaxRetry: jobs.DefaultMaxRetry, Timeout: jobs.DefaultTimeout, Retention: jobs.DefaultRetention}},
		{"retry only", jobs.Options{MaxRetry: 1},
			taskFacts{Queue: jobs.QueueCritical, MaxRetry: 1, Timeout: jobs.DefaultTimeout, Retention: jobs.DefaultRetention}},
		{"timeout and retention", jobs.Options{Timeout: time.Minute, Retention: 2 * time.Hour},
			taskFacts{Queue: jobs.QueueCritical, MaxRetry: jobs.DefaultMaxRetry, Timeout: time.Minute, Retention: 2 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tt.opts)
			ctx := context.Background()
			add := e.addPhone(t, addPhoneReq())
			att, err := e.client.Attach(ctx, jobs.Attach{OrgID: 1, TargetID: "a", Numbers: []string{"+12125551234"}})
			if err != nil {
				t.Fatal(err)
			}
			unl, err := e.client.Unlink(ctx, jobs.Unlink{OrgID: 1, TargetID: "a", Number: "+12125551234"})
			if err != nil {
				t.Fatal(err)
			}
			for _, job := range []jobs.Job{add, att, unl} {
				if job.Queue != tt.want.Queue {
					t.Errorf("%s: Job.Queue = %q, want %q", job.Type, job.Queue, tt.want.Queue)
				}
				want := tt.want
				want.ID, want.Type, want.State = job.ID, job.Type, asynq.TaskStatePending
				if diff := cmp.Diff(want, factsOf(e.task(t, job))); diff != "" {
					t.Errorf("%s task (-want +got):\n%s", job.Type, diff)
				}
			}
		})
	}
}
