package batch_test

import (
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// TestStrict: one invalid row and nothing is enqueued; the good rows are
// recorded canceled. A valid file goes in whole.
func TestStrict(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		file := "phone_number,user_id\n+12125550001," + e.user + "\nbad," + e.user + "\n+12125550002," + e.user + "\n"
		r, err := batch.NewReader(strings.NewReader(file), batch.CSV)
		must(t, err)
		b, err := e.im.Import(ctx, store.Batch{ID: "bat_strict", OrgID: e.org, Provider: jobs.ProviderTwilio, Strict: true}, r)
		must(t, err)
		c, err := e.store.CountBatchRows(ctx, e.org, b.ID)
		must(t, err)
		if c.ByStatus[store.RowCanceled] != 2 || c.ByStatus[store.RowInvalid] != 1 || c.ByStatus[store.RowQueued]+c.ByStatus[store.RowPending] != 0 {
			t.Errorf("strict with a bad row: counts %v, want 2 canceled, 1 invalid", c.ByStatus)
		}
		if tasks, _ := e.insp.ListPendingTasks(jobs.QueueBulk); len(tasks) != 0 {
			t.Errorf("strict with a bad row enqueued %d tasks", len(tasks))
		}

		good := "phone_number,user_id\n+12125550003," + e.user + "\n+12125550004," + e.user + "\n"
		r, err = batch.NewReader(strings.NewReader(good), batch.CSV)
		must(t, err)
		b, err = e.im.Import(ctx, store.Batch{ID: "bat_strict_ok", OrgID: e.org, Provider: jobs.ProviderTwilio, Strict: true}, r)
		must(t, err)
		if c, _ := e.store.CountBatchRows(ctx, e.org, b.ID); c.ByStatus[store.RowQueued] != 2 {
			t.Errorf("strict valid file: counts %v, want 2 queued", c.ByStatus)
		}
	})
}
