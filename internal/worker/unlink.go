package worker

import (
	"context"
	"errors"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/phone"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// unlink handles jobs.TypeUnlink: unlinkNumber, for one number.
func (w *Worker) unlink(ctx context.Context, t *asynq.Task, a *attempt) (any, error) {
	p, err := decodePayload[jobs.Unlink](t)
	if err != nil {
		return nil, err
	}
	e164, err := phone.Strict().Normalize(p.Number)
	if err != nil {
		return nil, permanent(jobs.CodeInvalidInput, "%v", err)
	}
	a.rec.Numbers = []string{e164}
	ch, err := w.unlinkNumber(ctx, p.OrgID, p.TargetID, e164)
	if err != nil {
		return nil, err
	}
	if ch != nil {
		a.rec.Changes = mustJSON([]numberChange{{Number: e164, Change: *ch}})
	}
	return jobs.UnlinkResult{TargetID: p.TargetID, Number: e164, Deleted: true}, nil
}

// unlinkNumber routes e164 back to the org's default route, then removes
// its link to targetID. The provider goes first so that a crash in between
// leaves the link in place and the retry finishes the job; the other order
// could leave calls reaching a target the number is no longer linked to.
// Targets deleted softly still unlink their numbers. It fails with
// jobs.CodeNotLinked when the number is not linked to targetID, and returns
// the provider change it made (nil when the account no longer owns the
// number: removing the link is all there is left to do).
func (w *Worker) unlinkNumber(ctx context.Context, orgID int64, targetID, e164 string) (*providers.Change, error) {
	notLinked := permanent(jobs.CodeNotLinked, "%s is not linked to target %s", e164, targetID)
	n, err := w.store.GetNumber(ctx, orgID, e164)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notLinked
	} else if err != nil {
		return nil, internalError(err)
	}
	l, err := w.store.GetLink(ctx, orgID, n.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && l.TargetID != targetID) {
		return nil, notLinked
	} else if err != nil {
		return nil, internalError(err)
	}

	acct, err := w.accountFor(ctx, n)
	if err != nil {
		return nil, err
	}
	var changed *providers.Change
	ch, err := w.route(ctx, acct, n, w.defaultRoute(orgID, false), true)
	if kind, _ := providers.KindOf(err); err != nil && kind != providers.KindNotOwned {
		return nil, err
	} else if err == nil {
		changed = &ch
	}
	if err := w.store.DeleteLink(ctx, orgID, n.ID, targetID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, internalError(err)
	}
	return changed, nil
}
