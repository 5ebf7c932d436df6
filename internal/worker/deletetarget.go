package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// maxSweeps bounds how often one attempt of a target delete re-reads the
// target's links: links made while it runs (an attach already under way
// when the delete was asked for) are swept up by the next round.
const maxSweeps = 3

// deleteTarget handles jobs.TypeDeleteTarget: unlink every number of the
// target, each as an unlink job does (unlinkNumber: the default route
// first, then the link), then delete the target. The delete is committed
// in the transaction that records the job's success (attempt.commit), and
// only when the target has no link left, so the target is never gone while
// a number still routes to it. Every step is idempotent: a retry after a
// crash finds the numbers already unlinked gone from the target's links
// and unlinks the rest.
//
// A number that cannot be unlinked for good (its provider credentials were
// revoked, say) fails the job with that number's reason once the others
// are unlinked. The target stays, with that number's link, so the request
// can be repeated once the cause is fixed.
func (w *Worker) deleteTarget(ctx context.Context, t *asynq.Task, a *attempt) (any, error) {
	p, err := decodePayload[jobs.DeleteTarget](t)
	if err != nil {
		return nil, err
	}
	if _, err := w.store.GetTarget(ctx, p.OrgID, p.TargetID); errors.Is(err, store.ErrNotFound) {
		return nil, permanent(jobs.CodeTargetNotFound, "target %s not found", p.TargetID)
	} else if err != nil {
		return nil, internalError(err)
	}

	res := jobs.DeleteTargetResult{TargetID: p.TargetID, Numbers: []string{}}
	var changes []numberChange
	var first *jobError
	failed := map[string]bool{}
	for sweep := 0; ; sweep++ {
		links, err := w.store.ListLinks(ctx, p.OrgID, p.TargetID, "")
		if err != nil {
			return nil, internalError(err)
		}
		var todo []store.LinkedNumber
		for _, l := range links {
			if !failed[l.NumberID] {
				todo = append(todo, l)
			}
		}
		if len(todo) == 0 {
			break
		}
		if sweep == maxSweeps {
			return nil, internalError(fmt.Errorf("target %s gained links while being deleted", p.TargetID))
		}
		for _, l := range todo {
			ch, err := w.unlinkNumber(ctx, p.OrgID, p.TargetID, l.E164)
			je := categorize(err)
			switch {
			case err == nil:
				res.Numbers = append(res.Numbers, l.E164)
				if ch != nil {
					changes = append(changes, numberChange{Number: l.E164, Change: *ch})
				}
			case je.Code == jobs.CodeNotLinked:
				// Unlinked since the list was read.
			case !je.Permanent:
				return nil, je // the retry resumes with the links left
			default:
				failed[l.NumberID] = true
				if first == nil {
					first = &jobError{Code: je.Code, Message: l.E164 + ": " + je.Message, Permanent: true, Err: je}
				}
			}
		}
	}
	a.rec.Numbers, a.rec.Changes = res.Numbers, mustJSON(changes)
	if first != nil {
		return res, first
	}
	a.commit = func(tx store.Store) error {
		links, err := tx.ListLinks(ctx, p.OrgID, p.TargetID, "")
		if err != nil {
			return err
		}
		if len(links) > 0 {
			return fmt.Errorf("target %s gained %d links while being deleted", p.TargetID, len(links))
		}
		if err := tx.DeleteTarget(ctx, p.OrgID, p.TargetID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	}
	res.Deleted = true
	return res, nil
}
