package chaos_test

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
	"github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

var chaosNumbers = flag.Int("chaos.numbers", 2000, "numbers TestChaos provisions (make chaos runs 10000)")

// number is one provisioned number of the scenario.
type number struct {
	provider string
	e164     string
	user     string
}

// numberSet gives each provider a third of n numbers, in ranges no
// sandbox fixture uses, owned by the providers' sandbox accounts.
func numberSet(t *testing.T, s *system, n int, users []string) []number {
	t.Helper()
	var out []number
	for i := range n {
		var nb number
		var err error
		switch i % 3 {
		case 0:
			nb = number{provider: "twilio", e164: fmt.Sprintf("+1646200%04d", i/3)}
			_, err = s.tw.AddNumber(twiliotest.SandboxAccountSID, nb.e164)
		case 1:
			nb = number{provider: "plivo", e164: fmt.Sprintf("+9180001%05d", i/3)}
			err = s.pl.AddNumber(plivotest.SandboxAuthID, nb.e164)
		case 2:
			nb = number{provider: "telnyx", e164: fmt.Sprintf("+442079%06d", i/3)}
			_, err = s.tx.AddNumber(telnyxtest.SandboxAPIKey, nb.e164)
		}
		if err != nil {
			t.Fatal(err)
		}
		nb.user = users[i%len(users)]
		out = append(out, nb)
	}
	return out
}

func addPhoneBody(n number) map[string]any {
	b := map[string]any{"userId": n.user, "phoneNumber": strings.TrimPrefix(n.e164, "+"), "integration": n.provider}
	switch n.provider {
	case "twilio":
		b["authToken"], b["accSId"] = twiliotest.SandboxAuthToken, twiliotest.SandboxAccountSID
	case "plivo":
		b["authToken"], b["accSId"] = plivotest.SandboxAuthToken, plivotest.SandboxAuthID
	case "telnyx":
		b["authToken"] = telnyxtest.SandboxAPIKey
	}
	return b
}

// storm makes the three simulators misbehave until ctx ends, changing the
// weather every half second: always 20% of requests answered 5xx and 5%
// left hanging (cut off by the workers' 2 s provider timeout), and in turn
// bursts of 429s with and without Retry-After, 300 ms latency spikes, and
// writes that are applied but answered 500.
func storm(ctx context.Context, t *testing.T, s *system) {
	for tick := 0; ; tick++ {
		tw := twiliotest.Faults{ErrorRate: 0.2, TimeoutRate: 0.05}
		pl := plivotest.Faults{ErrorRate: 0.2, TimeoutRate: 0.05}
		tx := telnyxtest.Faults{ErrorRate: 0.2, TimeoutRate: 0.05}
		if tick%4 == 0 {
			ra := tick / 4 % 2 // every other burst without Retry-After
			tw.RateLimitNext, tw.RetryAfter = 10, ra
			pl.RateLimitNext, pl.RetryAfter = 10, ra
			tx.RateLimitNext, tx.RetryAfter = 10, ra
		}
		if tick%4 == 1 {
			tw.Latency, pl.Latency, tx.Latency = 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
		}
		if tick%5 == 2 {
			tw.AmbiguousWrites = 5
			pl.AmbiguousCreates, tx.AmbiguousCreates = 1, 1
		}
		for _, err := range []error{s.tw.SetFaults(tw), s.pl.SetFaults(pl), s.tx.SetFaults(tx)} {
			if err != nil {
				t.Error(err)
			}
		}
		select {
		case <-ctx.Done():
			for _, err := range []error{s.tw.SetFaults(twiliotest.Faults{}), s.pl.SetFaults(plivotest.Faults{}), s.tx.SetFaults(telnyxtest.Faults{})} {
				if err != nil {
					t.Error(err)
				}
			}
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// TestChaos provisions numbers (add-phone, then attach half of them and
// unlink half of those) through the HTTP API while the providers storm,
// a worker process is SIGKILLed twice, PostgreSQL's connections are cut
// once and Redis is restarted once; then checks that nothing was lost,
// duplicated or left wrong, and that no credential leaked.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole system")
	}
	n := *chaosNumbers
	s := startSystem(t, 2)
	ctx := context.Background()
	// A pool, which replaces the connections cutDatabase terminates.
	db, err := pgxpool.New(ctx, s.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// Set-up, in calm weather: users, apps and agents.
	var users []string
	for i := range 4 {
		id := fmt.Sprintf("64e5f12345abcdef123456%02d", i)
		s.mustDo(newRequest("POST", "/api/users", map[string]any{"name": fmt.Sprintf("user %d", i), "id": id}), 201)
		users = append(users, id)
	}
	var apps, agents []string
	for i := range 6 {
		a := s.mustDo(newRequest("POST", "/sfvopi/apps", map[string]any{"name": fmt.Sprintf("app %d", i),
			"answer_url": fmt.Sprintf("https://apps.example.com/%d/answer", i)}), 201)
		apps = append(apps, a.data["app_id"].(string))
		g := s.mustDo(newRequest("POST", "/api/agent", map[string]any{"name": fmt.Sprintf("agent %d", i),
			"answer_url": fmt.Sprintf("https://agents.example.com/%d/answer", i)}), 201)
		agents = append(agents, g.data["agent_id"].(string))
	}
	nums := numberSet(t, s, n, users)

	// The requests of the three phases; i%4 == 0 numbers go to apps (and
	// every other one of those is unlinked again), i%4 == 2 ones to agents
	// in groups of five of one provider.
	adds := make([]request, len(nums))
	for i, nb := range nums {
		adds[i] = newRequest("POST", "/api/call/add-phone", addPhoneBody(nb))
	}
	var attaches, unlinks []request
	groups := map[string][]string{}
	flush := func(p string) {
		if len(groups[p]) > 0 {
			attaches = append(attaches, newRequest("POST", "/api/agent/attach-phone-number",
				map[string]any{"agent_id": agents[len(attaches)%len(agents)], "provider": p, "numbers": groups[p]}))
			groups[p] = nil
		}
	}
	for i, nb := range nums {
		switch i % 4 {
		case 0:
			app := apps[(i/4)%len(apps)]
			attaches = append(attaches, newRequest("POST", "/sfvopi/apps/"+app+"/numbers", map[string]any{"voip_number": nb.e164}))
			if i%8 == 0 {
				unlinks = append(unlinks, newRequest("DELETE", "/sfvopi/apps/"+app+"/numbers/"+url.PathEscape(nb.e164), nil))
			}
		case 2:
			groups[nb.provider] = append(groups[nb.provider], nb.e164)
			if len(groups[nb.provider]) == 5 {
				flush(nb.provider)
			}
		}
	}
	for _, p := range []string{"twilio", "plivo", "telnyx"} {
		flush(p)
	}
	total := len(adds) + len(attaches) + len(unlinks)
	t.Logf("%d numbers: %d add-phone, %d attach and %d unlink requests", n, len(adds), len(attaches), len(unlinks))

	// The crashes, at fixed points of the run's progress.
	var done atomic.Int64
	eventsDone := make(chan struct{})
	go func() {
		defer close(eventsDone)
		events := []struct {
			at   float64
			name string
			do   func()
		}{
			{0.10, "SIGKILL worker0", func() { s.restartWorker(0) }},
			{0.30, "terminate PostgreSQL connections", func() {
				n, err := s.cutDatabase(ctx)
				t.Logf("terminated %d PostgreSQL connections (%v)", n, err)
			}},
			{0.50, "restart Redis", func() { s.redis.restart(t) }},
			{0.75, "SIGKILL worker0 again", func() { s.restartWorker(0) }},
		}
		for _, e := range events {
			for float64(done.Load()) < e.at*float64(total) {
				time.Sleep(50 * time.Millisecond)
			}
			t.Logf("%d/%d jobs done: %s", done.Load(), total, e.name)
			e.do()
		}
	}()

	var accepted []string // every job id the API answered with
	var acceptedMu sync.Mutex
	// Each phase starts in a storm, which passes after stormFor or once
	// 80% of the phase's jobs are done: jobs that failed in it are
	// retried with exponential backoff, and the phase waits for them.
	const stormFor = 20 * time.Second
	phase := func(name string, reqs []request) {
		start := time.Now()
		stormCtx, calm := context.WithTimeout(ctx, stormFor)
		stormDone := make(chan struct{})
		go func() { defer close(stormDone); storm(stormCtx, t, s) }()
		defer func() { calm(); <-stormDone }()
		var ids []string
		var mu sync.Mutex
		var wg sync.WaitGroup
		work := make(chan request)
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range work {
					a, err := s.do(r)
					if err != nil {
						t.Errorf("%s: %v", name, err)
						continue
					}
					if a.status != 202 || a.jobID == "" {
						t.Errorf("%s %s %v: %d %s, want 202 with a job", r.method, r.path, r.body, a.status, a.body)
						continue
					}
					mu.Lock()
					ids = append(ids, a.jobID)
					mu.Unlock()
				}
			}()
		}
		for _, r := range reqs {
			work <- r
		}
		close(work)
		wg.Wait()
		acceptedMu.Lock()
		accepted = append(accepted, ids...)
		acceptedMu.Unlock()
		base := done.Load()
		waitTerminal(t, s, db, ids, func(k int) {
			done.Store(base + int64(k))
			if k >= len(ids)*8/10 {
				calm()
			}
		})
		t.Logf("%s: %d jobs finished in %v", name, len(ids), time.Since(start).Round(time.Millisecond))
	}
	phase("add-phone", adds)
	phase("attach", attaches)
	phase("unlink", unlinks)
	select {
	case <-eventsDone:
	case <-time.After(time.Minute):
		t.Fatal("the crash schedule did not finish")
	}

	checkJobs(t, s, db, accepted)
	checkQueuesEmpty(t, s)
	checkNumbers(t, s, db, nums, countEvery(len(nums), 0)-len(unlinks)+countEvery(len(nums), 2))
	checkApplications(t, s, db)
	reportWrites(t, s, nums)
	scanLogs(t, s.procs()...)
	scanSecrets(t, s, db)
}

// countEvery counts the i < n with i%4 == rem.
func countEvery(n, rem int) int {
	k := 0
	for i := range n {
		if i%4 == rem {
			k++
		}
	}
	return k
}

// waitTerminal waits until every job in ids has a final record, telling
// progress how many have.
func waitTerminal(t *testing.T, s *system, db *pgxpool.Pool, ids []string, progress func(int)) {
	t.Helper()
	ids = slices.Compact(slices.Sorted(slices.Values(ids))) // identical requests share a job
	deadline := time.Now().Add(10 * time.Minute)
	if d, ok := t.Deadline(); ok && time.Until(d) < 11*time.Minute {
		deadline = d.Add(-time.Minute)
	}
	for {
		var k int
		err := db.QueryRow(context.Background(),
			`SELECT count(*) FROM jobs WHERE id = ANY($1) AND state IN ('succeeded', 'failed')`, ids).Scan(&k)
		if err == nil {
			progress(k)
			if k == len(ids) {
				return
			}
		}
		if time.Now().After(deadline) {
			var final []string
			db.QueryRow(context.Background(), `SELECT array_agg(id) FROM jobs WHERE id = ANY($1) AND state IN ('succeeded', 'failed')`, ids).Scan(&final)
			shown := 0
			for _, id := range ids {
				if !slices.Contains(final, id) && shown < 10 {
					shown++
					a, err := s.do(request{method: "GET", path: "/v1/jobs/" + id})
					t.Logf("not final: %s: %d %s %v", id, a.status, a.body, err)
				}
			}
			t.Fatalf("%d of %d jobs final in time (%v)", k, len(ids), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkJobs: every accepted job succeeded, each logical request has one
// succeeded run, and GET /v1/jobs/{id} says so too.
func checkJobs(t *testing.T, s *system, db *pgxpool.Pool, ids []string) {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT id, state, error_code, error_message FROM jobs WHERE id = ANY($1) AND state <> 'succeeded'`, ids)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, state, code, msg string
		if err := rows.Scan(&id, &state, &code, &msg); err != nil {
			t.Fatal(err)
		}
		t.Errorf("job %s: %s %s %s, want succeeded", id, state, code, msg)
	}
	rows.Close()
	var dup int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM (SELECT request FROM jobs WHERE state = 'succeeded'
		GROUP BY request HAVING count(*) > 1) d`).Scan(&dup); err != nil || dup != 0 {
		t.Errorf("%d requests with more than one succeeded run (%v), want 0", dup, err)
	}
	for _, id := range ids {
		a, err := s.do(request{method: "GET", path: "/v1/jobs/" + id})
		if err != nil || a.status != 200 || a.data["state"] != "succeeded" {
			t.Errorf("GET /v1/jobs/%s: %d %s (%v), want 200 succeeded", id, a.status, a.body, err)
		}
	}
}

// checkQueuesEmpty: nothing is left waiting, retrying or archived.
func checkQueuesEmpty(t *testing.T, s *system) {
	t.Helper()
	in := asynq.NewInspector(asynq.RedisClientOpt{Addr: fmt.Sprintf("127.0.0.1:%d", s.redis.port)})
	defer in.Close()
	queues, err := in.Queues()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queues {
		info, err := in.GetQueueInfo(q)
		if err != nil {
			t.Fatal(err)
		}
		if left := info.Pending + info.Active + info.Scheduled + info.Retry + info.Archived; left != 0 {
			t.Errorf("queue %s: %d pending, %d active, %d scheduled, %d retry, %d archived; want none",
				q, info.Pending, info.Active, info.Scheduled, info.Retry, info.Archived)
		}
	}
}

// checkNumbers: one row per number, all ACTIVE, no pending link, linked
// ones as many as attached and not unlinked, and every number configured
// at its provider exactly as the database says.
func checkNumbers(t *testing.T, s *system, db *pgxpool.Pool, nums []number, wantLinked int) {
	t.Helper()
	ctx := context.Background()
	var rowsN, active, dups, pending, linked int
	if err := db.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE state = 'ACTIVE') FROM numbers`).Scan(&rowsN, &active); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FROM (SELECT provider, e164 FROM numbers GROUP BY 1, 2 HAVING count(*) > 1) d`).Scan(&dups); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status <> 'ACTIVE'), count(*) FILTER (WHERE status = 'ACTIVE') FROM links`).Scan(&pending, &linked); err != nil {
		t.Fatal(err)
	}
	if rowsN != len(nums) || active != len(nums) || dups != 0 || pending != 0 || linked != wantLinked {
		t.Errorf("numbers: %d rows, %d active, %d duplicated; links: %d pending, %d active; want %d, %d, 0; 0, %d",
			rowsN, active, dups, pending, linked, len(nums), len(nums), wantLinked)
	}
	rows, err := db.Query(ctx, `SELECT n.provider, n.e164, coalesce(t.answer_url, '')
		FROM numbers n LEFT JOIN links l ON l.number_id = n.id AND l.status = 'ACTIVE' LEFT JOIN targets t ON t.id = l.target_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	wrong := 0
	for rows.Next() {
		var provider, e164, want string
		if err := rows.Scan(&provider, &e164, &want); err != nil {
			t.Fatal(err)
		}
		if want == "" {
			want = webhookBase + "/voice/inbound"
		}
		var got string
		switch provider {
		case "twilio":
			n, _ := s.tw.Number(twiliotest.SandboxAccountSID, e164)
			got = n.VoiceURL
			if n.VoiceApplicationSID != "" {
				got += " (with voice application " + n.VoiceApplicationSID + ")"
			}
		case "plivo":
			got = s.pl.VoiceURL(plivotest.SandboxAuthID, e164)
		case "telnyx":
			got = s.tx.VoiceURL(telnyxtest.SandboxAPIKey, e164)
		}
		if got != want {
			if wrong++; wrong <= 20 {
				t.Errorf("%s %s routes calls to %q, the database says %q", provider, e164, got, want)
			}
		}
	}
	if wrong > 20 {
		t.Errorf("... %d numbers configured otherwise than the database says", wrong)
	}
}

// checkApplications: each application switchboard recorded exists once
// at its provider, never twice under one name.
func checkApplications(t *testing.T, s *system, db *pgxpool.Pool) {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT c.provider, a.name FROM applications a JOIN connections c ON c.id = a.connection_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var provider, name string
		if err := rows.Scan(&provider, &name); err != nil {
			t.Fatal(err)
		}
		var k int
		switch provider {
		case "plivo":
			k = s.pl.Applications(plivotest.SandboxAuthID, name)
		case "telnyx":
			k = s.tx.Applications(telnyxtest.SandboxAPIKey, name)
		default:
			continue
		}
		if k != 1 {
			t.Errorf("%s application %q exists %d times at the provider, want once", provider, name, k)
		}
	}
}

// reportWrites logs the providers' write calls per number, from the
// simulators' counters (applied writes are those that changed state).
func reportWrites(t *testing.T, s *system, nums []number) {
	per := map[string]int{}
	for _, n := range nums {
		per[n.provider]++
	}
	counters := map[string][2]int{
		"twilio": {s.tw.Writes(), s.tw.AppliedWrites()},
		"plivo":  {s.pl.Writes(), s.pl.AppliedWrites()},
		"telnyx": {s.tx.Writes(), s.tx.AppliedWrites()},
	}
	names := []string{"twilio", "plivo", "telnyx"}
	sort.Strings(names)
	for _, p := range names {
		c := counters[p]
		t.Logf("%s: %d numbers, %d write calls (%.2f per number), %d applied (%.2f per number)",
			p, per[p], c[0], float64(c[0])/float64(per[p]), c[1], float64(c[1])/float64(per[p]))
	}
}
