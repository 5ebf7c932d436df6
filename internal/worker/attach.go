package worker

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/phone"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// attach handles jobs.TypeAttach: link numbers to a target (an app or an
// agent) and point them at the target's answer URL.
//
// Validation is all-or-nothing: if any number is not in the inventory, is
// linked to another target or has no provider connection, no number is
// touched and the job fails with that number's reason. Provisioning is per
// number: each number is claimed in the database (a PENDING link, which the
// one-link-per-number constraint makes exclusive across workers), routed at
// its provider, then marked ACTIVE. A number whose provider refuses
// permanently is released and reported failed; the others stay linked, and
// the result lists every number's outcome. A transient failure retries the
// whole job, which skips over what is already done.
func (w *Worker) attach(ctx context.Context, t *asynq.Task, a *attempt) (any, error) {
	p, err := decodePayload[jobs.Attach](t)
	if err != nil {
		return nil, err
	}
	target, err := w.store.GetTarget(ctx, p.OrgID, p.TargetID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, permanent(jobs.CodeTargetNotFound, "target %s not found", p.TargetID)
	} else if err != nil {
		return nil, internalError(err)
	}
	if p.Provider != "" {
		if err := w.requireConnection(ctx, p.OrgID, p.Provider); err != nil {
			return nil, err
		}
	}

	res := jobs.AttachResult{TargetID: target.ID, Numbers: make([]jobs.NumberOutcome, len(p.Numbers))}
	numbers := make([]store.Number, len(p.Numbers))
	var first *jobError
	for i, raw := range p.Numbers {
		res.Numbers[i] = jobs.NumberOutcome{Number: raw, Status: jobs.NumberSkipped}
		n, err := w.attachable(ctx, p, target, raw)
		if err != nil {
			je := categorize(err)
			if !je.Permanent {
				return nil, je
			}
			res.Numbers[i] = failedOutcome(raw, je)
			if first == nil {
				first = je
			}
			continue
		}
		numbers[i] = n
		res.Numbers[i].Number, res.Numbers[i].Provider = n.E164, n.Provider
		a.rec.Numbers = append(a.rec.Numbers, n.E164)
	}
	if first != nil {
		return res, first
	}

	taskID, _ := asynq.GetTaskID(ctx)
	var changes []numberChange
	for i, n := range numbers {
		out, ch, err := w.attachOne(ctx, p, target, n, taskID)
		if err != nil {
			return nil, err // transient: the retry resumes from the claims
		}
		res.Numbers[i] = out
		if ch != nil {
			changes = append(changes, numberChange{Number: n.E164, Change: *ch})
		}
		if out.Status == jobs.NumberFailed && first == nil {
			first = &jobError{Code: out.Code, Message: out.Message, Permanent: true}
		}
	}
	a.rec.Changes = mustJSON(changes)
	if first != nil {
		return res, first
	}
	return res, nil
}

// attachable checks one number of an attach job without changing anything.
func (w *Worker) attachable(ctx context.Context, p jobs.Attach, target store.Target, raw string) (store.Number, error) {
	e164, err := phone.Strict().Normalize(raw)
	if err != nil {
		return store.Number{}, permanent(jobs.CodeInvalidInput, "%v", err)
	}
	n, err := w.store.GetNumber(ctx, p.OrgID, e164)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (n.State == store.NumberAdding || p.Provider != "" && n.Provider != p.Provider)) {
		return store.Number{}, permanent(jobs.CodeNumberNotFound, "%s is not in the organization's inventory%s", e164, onProvider(p.Provider))
	} else if err != nil {
		return store.Number{}, internalError(err)
	}
	l, err := w.store.GetLink(ctx, p.OrgID, n.ID)
	switch {
	case err == nil && l.TargetID != target.ID:
		return store.Number{}, permanent(jobs.CodeLinkedElsewhere, "%s is already linked to another target", e164)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return store.Number{}, internalError(err)
	}
	if _, ok := w.providers[n.Provider]; !ok || n.ConnectionID == "" {
		return store.Number{}, permanent(jobs.CodeProviderNotConfigured, "%s provider is not configured for %s", n.Provider, e164)
	}
	return n, nil
}

func onProvider(p string) string {
	if p == "" {
		return ""
	}
	return " as a " + p + " number"
}

// attachOne claims, routes and activates one number. It returns an error
// only for transient failures; permanent ones are the number's outcome.
func (w *Worker) attachOne(ctx context.Context, p jobs.Attach, target store.Target, n store.Number, taskID string) (jobs.NumberOutcome, *providers.Change, error) {
	out := jobs.NumberOutcome{Number: n.E164, Provider: n.Provider, Status: jobs.NumberLinked}
	link, err := w.store.CreateLink(ctx, store.Link{OrgID: p.OrgID, NumberID: n.ID, TargetID: target.ID, Status: store.LinkPending, JobID: taskID})
	if errors.Is(err, store.ErrConflict) {
		link, err = w.store.GetLink(ctx, p.OrgID, n.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return out, nil, internalError(errors.New("link vanished while claiming; retrying"))
		case err != nil:
			return out, nil, internalError(err)
		case link.TargetID != target.ID:
			// Another job claimed the number between validation and now.
			return failedOutcome(n.E164, permanent(jobs.CodeLinkedElsewhere, "%s is already linked to another target", n.E164)), nil, nil
		case link.Status == store.LinkActive && link.JobID != taskID:
			out.Status = jobs.NumberAlreadyLinked
		}
	} else if err != nil {
		return out, nil, internalError(err)
	}
	ours := link.JobID == taskID

	acct, err := w.accountFor(ctx, n)
	if err == nil {
		var ch providers.Change
		ch, err = w.route(ctx, acct, n, w.targetRoute(target, p.Override), false)
		if err == nil {
			if link.Status != store.LinkActive {
				if link, err = w.store.ActivateLink(ctx, p.OrgID, n.ID, target.ID); err != nil {
					return out, nil, internalError(err)
				}
			}
			out.LinkedAt = linkedAt(link)
			return out, &ch, nil
		}
	}
	je := categorize(err)
	if !je.Permanent {
		return out, nil, je
	}
	if ours && link.Status == store.LinkPending {
		// Release the claim so the number can be linked elsewhere.
		if err := w.store.DeleteLink(context.WithoutCancel(ctx), p.OrgID, n.ID, target.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return out, nil, internalError(err)
		}
	}
	return failedOutcome(n.E164, je), nil, nil
}

func linkedAt(l store.Link) time.Time {
	if l.UpdatedAt != nil {
		return *l.UpdatedAt
	}
	return l.CreatedAt
}

func failedOutcome(number string, je *jobError) jobs.NumberOutcome {
	return jobs.NumberOutcome{Number: number, Status: jobs.NumberFailed, Code: je.Code, Message: je.Message}
}

// requireConnection fails unless the org has a connection for provider.
func (w *Worker) requireConnection(ctx context.Context, orgID int64, provider string) error {
	conns, err := w.store.ListConnections(ctx, orgID)
	if err != nil {
		return internalError(err)
	}
	for _, c := range conns {
		if c.Provider == provider {
			return nil
		}
	}
	return permanent(jobs.CodeProviderNotConfigured, "provider %s is not configured for this organization", provider)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with plain data types
	}
	return b
}
