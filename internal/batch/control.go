package batch

import (
	"context"
	"errors"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// Retry gives every RowFailed row of b its next run and enqueues the
// batch's pending rows; it answers how many rows it gave a new run. Rows
// refused by validation are not retried: they must be fixed and imported.
func (im *Importer) Retry(ctx context.Context, b store.Batch) (int, error) {
	if b.State == store.BatchCanceled {
		return 0, ErrCanceled
	}
	retried, after := 0, 0
	for {
		rows, err := im.Store.ListBatchRows(ctx, store.BatchRowFilter{OrgID: b.OrgID, BatchID: b.ID,
			Statuses: []string{store.RowFailed}, AfterLine: after, Limit: pageSize})
		if err != nil {
			return retried, err
		}
		// The first page's rows go pending in the transaction that starts
		// the batch's next round, so the round cannot complete (and be
		// called back) before they finish, and a crash leaves both or
		// neither.
		first := after == 0
		err = im.Store.InTx(ctx, func(tx store.Store) error {
			n := 0
			for _, r := range rows {
				err := tx.RetryBatchRow(ctx, b.OrgID, b.ID, r.Line, r.Run+1, JobID(b.ID, r.Line, r.Run+1))
				switch {
				case errors.Is(err, store.ErrNotFound): // another retry came first
				case err != nil:
					return err
				default:
					n++
				}
			}
			if first && n > 0 {
				if _, err := tx.NextBatchRound(ctx, b.OrgID, b.ID); err != nil {
					return err
				}
			}
			retried += n
			return nil
		})
		if err != nil {
			return retried, err
		}
		if len(rows) < pageSize {
			break
		}
		after = rows[len(rows)-1].Line
	}
	if _, err := im.EnqueuePending(ctx, b); err != nil {
		return retried, err
	}
	_, err := Complete(ctx, im.Store, b, im.Jobs.EnqueueTask)
	return retried, err
}

// Cancel cancels b: no more of its rows are enqueued, and the jobs of its
// rows that have not started are deleted from the queue and their rows
// marked RowCanceled. Jobs already running finish, and their rows record
// their outcome. It answers how many rows it canceled.
func Cancel(ctx context.Context, st store.Store, q *asynq.Inspector, b store.Batch) (int, error) {
	err := st.SetBatchState(ctx, b.OrgID, b.ID, store.BatchCanceled, -1)
	if err != nil && !errors.Is(err, store.ErrFinished) {
		return 0, err
	}
	canceled, after := 0, 0
	for {
		rows, err := st.ListBatchRows(ctx, store.BatchRowFilter{OrgID: b.OrgID, BatchID: b.ID,
			Statuses: []string{store.RowPending, store.RowQueued}, AfterLine: after, Limit: pageSize})
		if err != nil {
			return canceled, err
		}
		var lines []int
		for _, r := range rows {
			err := q.DeleteTask(jobs.QueueBulk, r.JobID)
			switch {
			case err == nil:
			case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
				if r.Status == store.RowQueued {
					continue // it ran and finished; its outcome is on its way
				}
			default:
				continue // running: it finishes and records its outcome
			}
			lines = append(lines, r.Line)
		}
		if len(lines) > 0 {
			n, err := st.SetBatchRowsStatus(ctx, b.OrgID, b.ID, lines, []string{store.RowPending, store.RowQueued}, store.RowCanceled)
			if err != nil {
				return canceled, err
			}
			canceled += n
		}
		if len(rows) < pageSize {
			return canceled, nil
		}
		after = rows[len(rows)-1].Line
	}
}
