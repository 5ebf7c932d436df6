package worker

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/phone"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// unlink handles jobs.TypeUnlink: route the number back to the org's
// default route, then remove its link. The provider goes first so that a
// crash in between leaves the link in place and the retry finishes the
// job; the other order could leave calls reaching a target the number is
// no longer linked to. Targets deleted softly still unlink their numbers.
func (w *Worker) unlink(ctx context.Context, t *asynq.Task, a *attempt) (any, error) {
	var p jobs.Unlink
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return nil, permanent(jobs.CodeInvalidInput, "payload is not valid JSON")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	e164, err := phone.Strict().Normalize(p.Number)
	if err != nil {
		return nil, permanent(jobs.CodeInvalidInput, "%v", err)
	}
	a.rec.Numbers = []string{e164}
	notLinked := permanent(jobs.CodeNotLinked, "%s is not linked to target %s", e164, p.TargetID)
	n, err := w.store.GetNumber(ctx, p.OrgID, e164)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notLinked
	} else if err != nil {
		return nil, internalError(err)
	}
	l, err := w.store.GetLink(ctx, p.OrgID, n.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && l.TargetID != p.TargetID) {
		return nil, notLinked
	} else if err != nil {
		return nil, internalError(err)
	}

	acct, err := w.accountFor(ctx, n)
	if err != nil {
		return nil, err
	}
	ch, err := w.route(ctx, acct, n, w.defaultRoute(p.OrgID, false), true)
	if kind, _ := providers.KindOf(err); err != nil && kind != providers.KindNotOwned {
		return nil, err
	}
	// A number the account no longer owns routes nowhere we control:
	// removing the link is all that is left to do.
	if err == nil {
		a.rec.Changes = mustJSON([]numberChange{{Number: e164, Change: ch}})
	}
	if err := w.store.DeleteLink(ctx, p.OrgID, n.ID, p.TargetID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, internalError(err)
	}
	return jobs.UnlinkResult{TargetID: p.TargetID, Number: e164, Deleted: true}, nil
}
