package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/phone"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// addPhone handles jobs.TypeAddPhone: normalize the number, prove the
// credentials and the account's ownership in one provider call, point the
// number's voice webhook at the org's default route (only if it differs),
// store the org's sealed connection, and save the number.
//
// The number row is written last and carries the job's RequestID, so a retry after
// a crash at any step converges: before the insert every step is
// idempotent, and after it the retry finds its own row and succeeds.
func (w *Worker) addPhone(ctx context.Context, t *asynq.Task, rec *store.JobRecord) (any, error) {
	var p jobs.AddPhone
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return nil, permanent(jobs.CodeInvalidInput, "payload is not valid JSON")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	e164, err := phone.PlusOptional().Normalize(p.PhoneNumber)
	if err != nil {
		return nil, permanent(jobs.CodeInvalidInput, "%v", err)
	}
	rec.Numbers = []string{e164}
	prov, ok := w.providers[p.Provider]
	if !ok {
		return nil, permanent(jobs.CodeUnsupportedProvider, "provider %q is not enabled", p.Provider)
	}
	if _, err := w.store.GetUser(ctx, p.OrgID, p.UserID); errors.Is(err, store.ErrNotFound) {
		return nil, permanent(jobs.CodeUserNotFound, "user %s not found", p.UserID)
	} else if err != nil {
		return nil, internalError(err)
	}
	if done, err := w.ownRow(ctx, p, e164); done != nil || err != nil {
		return done, err
	}

	creds, err := w.keys.OpenCredentials(p.Credentials)
	if err != nil {
		// A key missing from the ring does not come back by retrying.
		return nil, permanent(jobs.CodeInternal, "credentials do not open with this worker's keys (key %q)", p.Credentials.KeyID())
	}
	pc := providers.Credentials{AccountID: creds.AccountID, Secret: creds.Secret}
	num, err := prov.Lookup(ctx, pc, e164)
	if err != nil {
		return nil, err
	}
	route := w.defaultRoute(p.OrgID, p.Override)
	var change providers.Change
	err = w.withRouteLock(ctx, p.Provider, pc, route.Name, func() (err error) {
		change, err = prov.EnsureVoiceRoute(ctx, pc, num, route)
		return err
	})
	if err != nil {
		return nil, err
	}
	if change.Changed {
		w.metrics.Reconfigured(p.Provider)
	}
	if rec.Changes, err = json.Marshal([]numberChange{{Number: e164, Change: change}}); err != nil {
		return nil, internalError(err)
	}

	conn, err := w.store.UpsertConnection(ctx, store.Connection{
		ID: store.NewID(), OrgID: p.OrgID, Provider: p.Provider, AccountID: creds.AccountID, Credentials: p.Credentials,
	})
	if err != nil {
		return nil, internalError(fmt.Errorf("save connection: %w", err))
	}
	if err := w.rememberApplication(ctx, conn.ID, route, change); err != nil {
		return nil, err
	}
	voice, _ := json.Marshal(change.After)
	original, _ := json.Marshal(change.Before)
	n, err := w.store.CreateNumber(ctx, store.Number{
		ID: store.NewID(), OrgID: p.OrgID, UserID: p.UserID, E164: e164, Provider: p.Provider,
		ConnectionID: conn.ID, ProviderRef: num.ID, Voice: voice, Original: original, JobID: p.RequestID,
	})
	if errors.Is(err, store.ErrConflict) {
		// Another job added it between our check and our insert.
		if done, err := w.ownRow(ctx, p, e164); done != nil || err != nil {
			return done, err
		}
		return nil, internalError(err)
	}
	if err != nil {
		return nil, internalError(fmt.Errorf("save number: %w", err))
	}
	return addPhoneResult(n, false), nil
}

// ownRow looks for the number in the org. A row tagged with this job's
// RequestID is a finished earlier attempt: the job succeeds with it. Anyone else's row
// makes the job a duplicate. No row: (nil, nil).
func (w *Worker) ownRow(ctx context.Context, p jobs.AddPhone, e164 string) (any, error) {
	n, err := w.store.GetNumber(ctx, p.OrgID, e164)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, internalError(err)
	case n.JobID == p.RequestID:
		return addPhoneResult(n, true), nil
	case n.UserID == p.UserID:
		return nil, permanent(jobs.CodeDuplicate, "phone number %s already exists for this user", e164)
	default:
		return nil, permanent(jobs.CodeDuplicate, "phone number %s is already in this organization's inventory", e164)
	}
}

func addPhoneResult(n store.Number, existing bool) jobs.AddPhoneResult {
	return jobs.AddPhoneResult{NumberID: n.ID, UserID: n.UserID, PhoneNumber: n.E164, Provider: n.Provider, CreatedAt: n.CreatedAt, Existing: existing}
}

// numberChange is one entry of a job record's provider changes.
type numberChange struct {
	Number string `json:"number"`
	providers.Change
}
