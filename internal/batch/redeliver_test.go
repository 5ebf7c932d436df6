package batch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// stoppedEnv is a back end whose worker is stopped, so the test imports
// a batch (its rows' jobs wait in the bulk queue) before any row runs, and
// then starts a worker of its own: the worker's finish, not the import's
// last step, completes the batch.
func stoppedEnv(t *testing.T, st store.Store, n int) (*workertest.Env, *batch.Importer, []string) {
	t.Helper()
	env := workertest.Start(t, st)
	env.Server.Shutdown()
	sealed, err := env.Keys.SealCredentials(workertest.TwilioCreds)
	must(t, err)
	_, err = st.UpsertConnection(t.Context(), store.Connection{ID: store.NewID(), OrgID: env.OrgID, Provider: jobs.ProviderTwilio,
		AccountID: workertest.TwilioCreds.AccountID, Credentials: sealed})
	must(t, err)
	bulk := jobs.NewClient(env.Redis, env.Keys, jobs.Options{Queue: jobs.QueueBulk})
	t.Cleanup(func() { bulk.Close() })
	var nums []string
	for i := range n {
		num := fmt.Sprintf("+1646556%04d", i)
		_, err := env.Twilio.AddNumber(twiliotest.SandboxAccountSID, num)
		must(t, err)
		nums = append(nums, num)
	}
	return env, &batch.Importer{Store: st, Jobs: bulk}, nums
}

func importFile(t *testing.T, im *batch.Importer, b store.Batch, file string) {
	t.Helper()
	r, err := batch.NewReader(strings.NewReader(file), batch.CSV)
	must(t, err)
	got, err := im.Import(t.Context(), b, r)
	must(t, err)
	if got.NotifiedRound != -1 {
		t.Fatalf("batch completed by the import (notified round %d): the test needs a worker to complete it", got.NotifiedRound)
	}
}

// TestBatchCallbackSurvivesFailedEnqueue: the enqueue of a batch's
// completion callback, after the worker's transaction completed the
// batch, fails once (the Redis command fails). The job's retry finds its
// record finished and replays it, which enqueues the callback again: it
// is delivered exactly once, signed, with the batch's counters.
func TestBatchCallbackSurvivesFailedEnqueue(t *testing.T) {
	for _, b := range workertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			env, im, nums := stoppedEnv(t, b.Open(t), 1)
			rc := &receiver{}
			hooks := httptest.NewServer(rc)
			t.Cleanup(hooks.Close)
			bt := store.Batch{ID: "bat_blip", OrgID: env.OrgID, Provider: jobs.ProviderTwilio, CallbackURL: hooks.URL + "/batch"}
			importFile(t, im, bt, "phone_number,user_id\n"+nums[0]+","+workertest.UserID+"\nbad,"+workertest.UserID+"\n")

			blip := &workertest.FailFirst{Names: workertest.Scripts, Key: "callback-" + bt.ID + "-round0"}
			rdb := env.RedisWith(t, blip)
			env.StartWorkerWith(t, func(p *worker.Params) { p.Redis = rdb })

			evs := rc.waitEvents(t, 1)
			if !blip.Fired() {
				t.Fatal("the callback's enqueue was never attempted")
			}
			if len(evs) != 1 {
				t.Fatalf("%d callbacks, want exactly 1: %+v", len(evs), evs)
			}
			d := completion(t, evs[0])
			if evs[0].ID != "evt_callback-bat_blip-round0" || evs[0].Type != "batch:completed" || evs[0].BatchID != bt.ID || d.Round != 0 ||
				d.Rows != 2 || d.Counts[store.RowSucceeded] != 1 || d.Counts[store.RowInvalid] != 1 || d.Counts[store.RowFailed] != 0 {
				t.Errorf("callback %+v data %+v", evs[0], d)
			}
			// The job ended once, by its replay.
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			out, err := env.Jobs.Wait(ctx, jobs.Job{ID: batch.JobID(bt.ID, 2, 0), Queue: jobs.QueueBulk})
			must(t, err)
			if out.State != jobs.StateSucceeded {
				t.Errorf("row job %+v", out)
			}
		})
	}
}

// TestReplayOfIncompleteBatchSendsNothing: a row's job delivered again
// after it finished, while another row of its batch is still queued,
// enqueues no callback; once the last row finishes, exactly one is sent,
// and a replay after that sends no second one.
func TestReplayOfIncompleteBatchSendsNothing(t *testing.T) {
	for _, b := range workertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			env, im, nums := stoppedEnv(t, b.Open(t), 2)
			rc := &receiver{}
			hooks := httptest.NewServer(rc)
			t.Cleanup(hooks.Close)
			bt := store.Batch{ID: "bat_half", OrgID: env.OrgID, Provider: jobs.ProviderTwilio, CallbackURL: hooks.URL + "/batch"}
			importFile(t, im, bt, "phone_number,user_id\n"+nums[0]+","+workertest.UserID+"\n"+nums[1]+","+workertest.UserID+"\n")

			// The second row's job is held back: its row stays queued.
			insp := asynq.NewInspectorFromRedisClient(env.Redis)
			first, last := batch.JobID(bt.ID, 2, 0), batch.JobID(bt.ID, 3, 0)
			held, err := insp.GetTaskInfo(jobs.QueueBulk, last)
			must(t, err)
			must(t, insp.DeleteTask(jobs.QueueBulk, last))
			env.StartWorker(t, time.Second)
			wait := func(id string) {
				t.Helper()
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				out, err := env.Jobs.Wait(ctx, jobs.Job{ID: id, Queue: jobs.QueueBulk})
				must(t, err)
				if out.State != jobs.StateSucceeded {
					t.Fatalf("job %s: %+v", id, out)
				}
			}
			wait(first)

			// completed takes a finished task out of asynq (its outcome is
			// written just before asynq marks it completed) and answers it.
			completed := func(id string) *asynq.TaskInfo {
				t.Helper()
				for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
					ti, err := insp.GetTaskInfo(jobs.QueueBulk, id)
					must(t, err)
					if ti.State == asynq.TaskStateCompleted {
						must(t, insp.DeleteTask(jobs.QueueBulk, id))
						return ti
					}
				}
				t.Fatalf("task %s not completed in 20s", id)
				return nil
			}

			// Deliver the finished first job again: it replays.
			task := completed(first)
			redeliver := func(ti *asynq.TaskInfo) {
				t.Helper()
				_, err := asynq.NewClientFromRedisClient(env.Redis).Enqueue(asynq.NewTask(ti.Type, ti.Payload),
					asynq.TaskID(ti.ID), asynq.Queue(jobs.QueueBulk), asynq.Retention(time.Hour))
				must(t, err)
			}
			redeliver(task)
			wait(first)
			if _, err := insp.GetTaskInfo(jobs.QueueDefault, "callback-"+bt.ID+"-round0"); !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) {
				t.Fatalf("a callback task for the incomplete batch: %v", err)
			}
			if evs, _ := rc.get(); len(evs) != 0 {
				t.Fatalf("callbacks for an incomplete batch: %+v", evs)
			}

			redeliver(held)
			wait(last)
			evs := rc.waitEvents(t, 1)
			if len(evs) != 1 {
				t.Fatalf("%d callbacks, want exactly 1", len(evs))
			}
			if d := completion(t, evs[0]); d.Counts[store.RowSucceeded] != 2 || d.Rows != 2 {
				t.Errorf("callback data %+v", d)
			}

			// A replay of a complete batch's row enqueues the callback
			// again under its task id: asynq keeps the delivered task, so
			// it is not sent twice.
			redeliver(completed(last))
			wait(last)
			for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				if evs, _ := rc.get(); len(evs) != 1 {
					t.Fatalf("%d callbacks after a replay of a complete batch, want 1", len(evs))
				}
			}
		})
	}
}

// TestImportCallbackSurvivesFailedEnqueue: a file whose every row is
// refused is complete when the importer marks it imported, so the
// importer completes it and enqueues its callback; that enqueue fails once
// (a Redis blip), and the import answers the error. Importing the file
// again enqueues the callback again: it is delivered exactly once.
func TestImportCallbackSurvivesFailedEnqueue(t *testing.T) {
	for _, b := range workertest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			env, _, _ := stoppedEnv(t, b.Open(t), 0)
			env.StartWorker(t, time.Second) // delivers the callback
			rc := &receiver{}
			hooks := httptest.NewServer(rc)
			t.Cleanup(hooks.Close)
			bt := store.Batch{ID: "bat_refused", OrgID: env.OrgID, Provider: jobs.ProviderTwilio, CallbackURL: hooks.URL + "/batch"}
			blip := &workertest.FailFirst{Names: workertest.Scripts, Key: "callback-" + bt.ID + "-round0"}
			rdb := env.RedisWith(t, blip)
			bulk := jobs.NewClient(rdb, env.Keys, jobs.Options{Queue: jobs.QueueBulk})
			t.Cleanup(func() { bulk.Close() })
			im := &batch.Importer{Store: env.Store, Jobs: bulk}
			file := "phone_number,user_id\nbad," + workertest.UserID + "\n555," + workertest.UserID + "\n"

			r, err := batch.NewReader(strings.NewReader(file), batch.CSV)
			must(t, err)
			if _, err := im.Import(t.Context(), bt, r); err == nil || !blip.Fired() {
				t.Fatalf("first import: %v (blip fired: %v), want the failed enqueue's error", err, blip.Fired())
			}
			if evs, _ := rc.get(); len(evs) != 0 {
				t.Fatalf("callbacks after the failed enqueue: %+v", evs)
			}
			r, err = batch.NewReader(strings.NewReader(file), batch.CSV)
			must(t, err)
			_, err = im.Import(t.Context(), bt, r)
			must(t, err)
			evs := rc.waitEvents(t, 1)
			if len(evs) != 1 {
				t.Fatalf("%d callbacks, want exactly 1: %+v", len(evs), evs)
			}
			if d := completion(t, evs[0]); d.Rows != 2 || d.Counts[store.RowInvalid] != 2 {
				t.Errorf("callback data %+v", d)
			}
			// A third import changes nothing and sends nothing more.
			r, err = batch.NewReader(strings.NewReader(file), batch.CSV)
			must(t, err)
			_, err = im.Import(t.Context(), bt, r)
			must(t, err)
			time.Sleep(time.Second)
			if evs, _ := rc.get(); len(evs) != 1 {
				t.Fatalf("%d callbacks after importing a third time, want 1", len(evs))
			}
		})
	}
}
