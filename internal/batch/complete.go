package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/callback"
	"github.com/switchboardhq/switchboard/internal/store"
)

// A batch with a callback URL is called back once when every row is
// terminal (none pending or queued) and the file is imported, and once more
// after each retry round completes. The decision is the store's
// (store.Batches.CompleteBatch): made in the transaction that finishes a
// row, in the worker, or after the importer marks the batch imported, so
// exactly one of the transactions finishing the last rows makes it. The
// delivery is a job:callback task like a job's, signed and retried the
// same way, under a task id per batch and round, so enqueueing it again is
// a no-op while asynq keeps the task (callback.Enqueue).
//
// The decision commits before the task is enqueued, so an enqueue that
// fails (or a worker that dies in between) would lose the event: the
// worker's retry of that row's job finds its record finished and replays
// it, and the replay calls Redeliver, which enqueues the task of the
// current round again when that round is already called back; when the
// importer itself completed the batch (every row was refused, or the
// workers were faster) and its enqueue failed, the import fails, and
// importing the file again calls Redeliver the same way. Delivery is
// therefore at least once, deduplicated by the task id while asynq keeps
// it (24 hours after delivery), and never for a round not complete.

// CompletionData is the Data of a batch's completion event.
type CompletionData struct {
	BatchID string         `json:"batch_id"`
	Round   int            `json:"round"`
	Rows    int            `json:"rows"`
	Counts  map[string]int `json:"counts"`
	ByCode  map[string]int `json:"failures_by_code"`
}

// Statuses are the row statuses a batch's counters list, in order.
var Statuses = []string{store.RowPending, store.RowQueued, store.RowSucceeded, store.RowFailed, store.RowInvalid, store.RowSkipped, store.RowCanceled}

// CompletionTask is the callback task of batch b's completion c: its task
// id and payload.
func CompletionTask(b store.Batch, c store.BatchCompletion, now time.Time) (string, callback.Task) {
	id := fmt.Sprintf("callback-%s-round%d", b.ID, c.Round)
	d := CompletionData{BatchID: b.ID, Round: c.Round, Rows: b.Rows, Counts: map[string]int{}, ByCode: c.Counts.ByCode}
	if d.ByCode == nil {
		d.ByCode = map[string]int{}
	}
	for _, st := range Statuses {
		d.Counts[st] = c.Counts.ByStatus[st]
	}
	raw, _ := json.Marshal(d) // plain maps and strings
	return id, callback.Task{URL: b.CallbackURL, Event: callback.Event{ID: "evt_" + id, BatchID: b.ID, Type: callback.TypeBatchCompleted,
		OrgID: b.OrgID, State: "completed", Data: raw, OccurredAt: now}}
}

// Complete completes b's current round if it is complete (CompleteBatch,
// in a transaction of its own) and enqueues its callback with enqueue. It
// answers whether this call completed it.
func Complete(ctx context.Context, st store.Store, b store.Batch, enqueue func(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error)) (bool, error) {
	var c store.BatchCompletion
	var ok bool
	err := st.InTx(ctx, func(tx store.Store) (err error) {
		c, ok, err = tx.CompleteBatch(ctx, b.OrgID, b.ID)
		return err
	})
	if err != nil || !ok {
		return false, err
	}
	return true, EnqueueCompletion(ctx, st, b, c, enqueue)
}

// EnqueueCompletion enqueues the callback of b's completion c, reading
// the batch again for its URL and row count.
func EnqueueCompletion(ctx context.Context, st store.Store, b store.Batch, c store.BatchCompletion, enqueue func(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error)) error {
	b, err := st.GetBatch(ctx, b.OrgID, b.ID)
	if err != nil {
		return err
	}
	id, task := CompletionTask(b, c, time.Now().UTC())
	return callback.Enqueue(ctx, enqueue, id, task)
}

// Redeliver enqueues again the callback of the batch's current round when
// that round is already called back (NotifiedRound == Round), in case the
// enqueue after its completion was lost; otherwise it does nothing. The
// counters are read again: a complete round's rows do not change until
// the next round starts, and a round that started while they were read
// (the batch read again answers a new round) is left to its own
// completion.
func Redeliver(ctx context.Context, st store.Store, orgID int64, id string, enqueue func(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error)) error {
	b, err := st.GetBatch(ctx, orgID, id)
	if err != nil || b.CallbackURL == "" || b.NotifiedRound != b.Round {
		return err
	}
	counts, err := st.CountBatchRows(ctx, orgID, id)
	if err != nil {
		return err
	}
	again, err := st.GetBatch(ctx, orgID, id)
	if err != nil || again.Round != b.Round {
		return err
	}
	taskID, task := CompletionTask(b, store.BatchCompletion{Round: b.Round, Counts: counts}, time.Now().UTC())
	return callback.Enqueue(ctx, enqueue, taskID, task)
}
