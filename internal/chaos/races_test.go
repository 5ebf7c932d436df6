package chaos_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// race sends every request at once and returns the answers in order.
func race(t *testing.T, s *system, reqs []request) []answer {
	t.Helper()
	out := make([]answer, len(reqs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			a, err := s.do(r)
			if err != nil {
				t.Error(err)
			}
			out[i] = a
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// raceBacklog is race with the jobs' queue paused until every request is
// answered: the jobs wait as a backlog (workers restarting, a burst), and
// the workers then take up to their concurrency of them at once, so their
// checks and claims run side by side rather than one after the other.
func raceBacklog(t *testing.T, s *system, reqs []request) []answer {
	t.Helper()
	in := asynq.NewInspector(asynq.RedisClientOpt{Addr: fmt.Sprintf("127.0.0.1:%d", s.redis.port)})
	defer in.Close()
	if err := in.PauseQueue(jobs.QueueCritical); err != nil {
		t.Fatal(err)
	}
	out := race(t, s, reqs)
	if err := in.UnpauseQueue(jobs.QueueCritical); err != nil {
		t.Fatal(err)
	}
	return out
}

// holdClaims locks the links table against writes (SHARE mode: reads go
// through) and returns the function that releases it, once the jobs'
// claims are queued behind the lock and no more have joined for a second.
// Every job then checks the number before any claims it, the interleaving
// in which only the links table's key keeps two claims apart.
func holdClaims(t *testing.T, db *pgxpool.Pool) (release func()) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(ctx) }) // also when the test stops before release
	if _, err := tx.Exec(ctx, `LOCK TABLE links IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		defer tx.Rollback(ctx)
		last, since := 0, time.Now()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			var n int
			if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'links'::regclass
				AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != last {
				last, since = n, time.Now()
			}
			if n > 1 && time.Since(since) > time.Second {
				t.Logf("%d claims waited behind the lock", n)
				return
			}
		}
		t.Errorf("%d claims waiting behind the lock after 30 s, want more than one", last)
	}
}

// outcomes waits for the jobs the answers named and returns each job's
// final state and error code, keyed by job id.
func outcomes(t *testing.T, s *system, db *pgxpool.Pool, answers []answer) map[string]string {
	t.Helper()
	var ids []string
	for _, a := range answers {
		if a.jobID != "" {
			ids = append(ids, a.jobID)
		}
	}
	waitTerminal(t, s, db, ids, func(int) {})
	out := map[string]string{}
	rows, err := db.Query(context.Background(), `SELECT id, state, error_code FROM jobs WHERE id = ANY($1)`, ids)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, state, code string
		rows.Scan(&id, &state, &code)
		out[id] = strings.TrimSuffix(state+" "+code, " ")
	}
	return out
}

// TestRaces runs, against three worker processes of the real binary,
// the races production meets: one number attached to 50 targets at once,
// one number added by two orgs at once, and unlinks racing links. After
// each, the database holds one consistent answer and the provider routes
// the number as the database says.
func TestRaces(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole system")
	}
	s := startSystem(t, 3)
	ctx := context.Background()
	db, err := pgxpool.New(ctx, s.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other := s.newOrg("other")
	const user, otherUser = "64e5f12345abcdef12345678", "64e5f12345abcdef12345679"
	s.mustDo(newRequest("POST", "/api/users", map[string]any{"name": "ada", "id": user}), 201)
	r := newRequest("POST", "/api/users", map[string]any{"name": "bob", "id": otherUser})
	r.apiKey = other
	s.mustDo(r, 201)
	add := func(e164, user, apiKey string) request {
		r := newRequest("POST", "/api/call/add-phone", map[string]any{"userId": user, "phoneNumber": strings.TrimPrefix(e164, "+"),
			"integration": "twilio", "authToken": twiliotest.SandboxAuthToken, "accSId": twiliotest.SandboxAccountSID})
		r.apiKey = apiKey
		return r
	}
	routesTo := func(e164 string) string {
		n, _ := s.tw.Number(twiliotest.SandboxAccountSID, e164)
		return n.VoiceURL
	}
	var apps []string
	answerURL := func(i int) string { return fmt.Sprintf("https://apps.example.com/race/%d", i) }
	for i := range 50 {
		a := s.mustDo(newRequest("POST", "/sfvopi/apps", map[string]any{"name": fmt.Sprintf("race %d", i), "answer_url": answerURL(i)}), 201)
		apps = append(apps, a.data["app_id"].(string))
	}

	t.Run("one number, two orgs", func(t *testing.T) {
		const e164 = "+16463000001"
		if _, err := s.tw.AddNumber(twiliotest.SandboxAccountSID, e164); err != nil {
			t.Fatal(err)
		}
		// Five users in each org, each asking twice: identical requests
		// share a job, so ten jobs race, five in each org.
		var reqs []request
		for i := range 20 {
			u, key := fmt.Sprintf("64e5f12345abcdef1234%04x", i%10), ""
			if i%2 == 1 {
				key = other
			}
			if i < 10 {
				r := newRequest("POST", "/api/users", map[string]any{"name": "u" + u, "id": u})
				r.apiKey = key
				s.mustDo(r, 201)
			}
			reqs = append(reqs, add(e164, u, key))
		}
		answers := raceBacklog(t, s, reqs)
		got := outcomes(t, s, db, answers)
		var orgs []int64
		if err := db.QueryRow(ctx, `SELECT array_agg(org_id) FROM numbers WHERE e164 = $1`, e164).Scan(&orgs); err != nil || len(orgs) != 1 {
			t.Fatalf("rows for %s in orgs %v (%v), want exactly one", e164, orgs, err)
		}
		// One job of the org that holds the row (even i: the system's
		// first org; odd i: the other) succeeds and the org's others fail
		// as duplicates; the other org's fail as managed elsewhere.
		var owner int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM numbers n JOIN users u ON u.org_id = n.org_id AND u.id = $2 WHERE n.e164 = $1`, e164, otherUser).Scan(&owner); err != nil {
			t.Fatal(err)
		}
		succeeded := map[string]bool{}
		for i, a := range answers {
			o, ours := got[a.jobID], i%2 == owner
			switch {
			case o == "succeeded" && ours:
				succeeded[a.jobID] = true
			case o == "failed duplicate" && ours:
			case o == "failed managed_elsewhere" && !ours:
			default:
				t.Errorf("add-phone %d (owner's org: %t): %d %s (job %s), want succeeded or failed duplicate in the owner's org, failed managed_elsewhere in the other",
					i, ours, a.status, got[a.jobID], a.jobID)
			}
		}
		if len(succeeded) != 1 {
			t.Errorf("%d add-phone jobs succeeded, want exactly one: %v", len(succeeded), got)
		}
		if u := routesTo(e164); u != webhookBase+"/voice/inbound" {
			t.Errorf("%s routes to %q, want the default route", e164, u)
		}
	})

	const shared = "+16463000002"
	if _, err := s.tw.AddNumber(twiliotest.SandboxAccountSID, shared); err != nil {
		t.Fatal(err)
	}
	if a := s.mustDo(add(shared, user, ""), 202); a.jobID != "" {
		outcomes(t, s, db, []answer{a})
	}
	link := func(app int) request {
		return newRequest("POST", "/sfvopi/apps/"+apps[app]+"/numbers", map[string]any{"voip_number": shared})
	}
	unlink := func(app int) request {
		return newRequest("DELETE", "/sfvopi/apps/"+apps[app]+"/numbers/"+url.PathEscape(shared), nil)
	}
	// linkedTo says which app the database links shared to (-1: none),
	// failing on a pending link or a provider routing elsewhere.
	linkedTo := func(t *testing.T) int {
		t.Helper()
		var target, status string
		err := db.QueryRow(ctx, `SELECT l.target_id, l.status FROM links l JOIN numbers n ON n.id = l.number_id WHERE n.e164 = $1`, shared).Scan(&target, &status)
		want, app := webhookBase+"/voice/inbound", -1
		if err == nil {
			if status != "ACTIVE" {
				t.Errorf("link of %s is %s after every job finished", shared, status)
			}
			for i, id := range apps {
				if id == target {
					app, want = i, answerURL(i)
				}
			}
		}
		if got := routesTo(shared); got != want {
			t.Errorf("%s routes to %q, the database says %q", shared, got, want)
		}
		return app
	}

	t.Run("50 attaches of one number", func(t *testing.T) {
		var reqs []request
		for i := range apps {
			reqs = append(reqs, link(i))
		}
		release := holdClaims(t, db)
		answers := raceBacklog(t, s, reqs)
		release()
		got := outcomes(t, s, db, answers)
		succeeded := 0
		for i, a := range answers {
			switch {
			case a.jobID != "" && got[a.jobID] == "succeeded":
				succeeded++
			case a.jobID != "" && got[a.jobID] == "failed linked_elsewhere":
			case a.jobID == "" && a.status == 409:
			default:
				t.Errorf("link to app %d: %d %s (job %s)", i, a.status, a.body, got[a.jobID])
			}
		}
		if app := linkedTo(t); succeeded != 1 || app < 0 {
			t.Errorf("%d attaches succeeded, linked to app %d; want exactly one, linked", succeeded, app)
		}
	})

	// linkedFirst is the app the shared number is linked to, after
	// linking it to app 0 if it is linked to none.
	linkedFirst := func(t *testing.T) int {
		if from := linkedTo(t); from >= 0 {
			return from
		}
		outcomes(t, s, db, []answer{s.mustDo(link(0), 202)})
		return 0
	}
	t.Run("unlink racing link", func(t *testing.T) {
		for round := range 10 {
			from := linkedFirst(t)
			to := (from + 1 + round) % len(apps)
			answers := race(t, s, []request{unlink(from), link(to)})
			outcomes(t, s, db, answers)
			linkedTo(t) // consistent, whichever won
			if t.Failed() {
				t.Fatalf("round %d: %d %s / %d %s", round, answers[0].status, answers[0].body, answers[1].status, answers[1].body)
			}
		}
	})

	// An unlink routes the number back to the default before it frees the
	// link, so a link made the moment the database shows the number free
	// cannot have its route overwritten by the unlink still under way.
	// Twilio answers with up to 800 ms of random delay, so the two jobs'
	// writes could land in either order if the unlink freed the number
	// first.
	t.Run("link the moment the unlink frees the number", func(t *testing.T) {
		f := s.tw.Faults()
		slow := f
		slow.Jitter = 800 * time.Millisecond
		if err := s.tw.SetFaults(slow); err != nil {
			t.Fatal(err)
		}
		defer s.tw.SetFaults(f)
		linked := func() bool {
			var n int
			if err := db.QueryRow(ctx, `SELECT count(*) FROM links l JOIN numbers n ON n.id = l.number_id WHERE n.e164 = $1`, shared).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n > 0
		}
		for round := range 10 {
			from := linkedFirst(t)
			to := (from + 1 + round) % len(apps)
			unlinked := make(chan answer, 1)
			go func() {
				a, err := s.do(unlink(from))
				if err != nil {
					t.Error(err)
				}
				unlinked <- a
			}()
			for deadline := time.Now().Add(30 * time.Second); linked(); time.Sleep(2 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("round %d: %s still linked 30 s after the unlink", round, shared)
				}
			}
			answers := []answer{<-unlinked, s.mustDo(link(to), 202)}
			got := outcomes(t, s, db, answers)
			if app := linkedTo(t); app != to {
				t.Errorf("round %d: linked to app %d, want %d: the link came after the unlink freed the number", round, app, to)
			}
			for i, a := range answers {
				if got[a.jobID] != "succeeded" {
					t.Errorf("round %d: job %d (%s): %s", round, i, a.jobID, got[a.jobID])
				}
			}
			if t.Failed() {
				t.FailNow()
			}
		}
	})

	// Plivo routes a number through an application, which switchboard
	// creates once per route under the route's lock (internal/worker
	// lock.go): ten numbers added at once share the org's default route,
	// then, linked at once, one app's route. Each route has one
	// application at Plivo.
	t.Run("ten Plivo numbers on one route", func(t *testing.T) {
		f := s.pl.Faults()
		slow := f
		slow.Latency = 30 * time.Millisecond // widen the window between listing and creating
		if err := s.pl.SetFaults(slow); err != nil {
			t.Fatal(err)
		}
		defer s.pl.SetFaults(f)
		const plivoAnswer = "https://apps.example.com/race/plivo"
		app := s.mustDo(newRequest("POST", "/sfvopi/apps", map[string]any{"name": "race plivo", "answer_url": plivoAnswer}), 201).data["app_id"].(string)
		var adds, links []request
		var numbers []string
		for i := range 10 {
			e164 := fmt.Sprintf("+9180003%05d", i)
			if err := s.pl.AddNumber(plivotest.SandboxAuthID, e164); err != nil {
				t.Fatal(err)
			}
			numbers = append(numbers, e164)
			adds = append(adds, newRequest("POST", "/api/call/add-phone", map[string]any{"userId": user, "phoneNumber": strings.TrimPrefix(e164, "+"),
				"integration": "plivo", "authToken": plivotest.SandboxAuthToken, "accSId": plivotest.SandboxAuthID}))
			links = append(links, newRequest("POST", "/sfvopi/apps/"+app+"/numbers", map[string]any{"voip_number": e164}))
		}
		for _, reqs := range [][]request{adds, links} {
			answers := race(t, s, reqs)
			got := outcomes(t, s, db, answers)
			for i, a := range answers {
				if got[a.jobID] != "succeeded" {
					t.Errorf("%s %s: %d %s (job %s)", reqs[i].method, reqs[i].path, a.status, got[a.jobID], a.jobID)
				}
			}
		}
		for _, e164 := range numbers {
			if u := s.pl.VoiceURL(plivotest.SandboxAuthID, e164); u != plivoAnswer {
				t.Errorf("%s routes to %q, want %q", e164, u, plivoAnswer)
			}
		}
		var recorded int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM applications a JOIN connections c ON c.id = a.connection_id WHERE c.provider = 'plivo'`).Scan(&recorded); err != nil || recorded != 2 {
			t.Errorf("%d Plivo applications recorded (%v), want 2: the default route's and the app's", recorded, err)
		}
		checkApplications(t, s, db)
	})
	scanLogs(t, s.procs()...)
}
