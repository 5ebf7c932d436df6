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
// credentials and the account's ownership in one provider call (a read),
// claim the number in the database, point its voice webhook at the org's
// default route (only if it differs), then mark it active.
//
// The claim comes before any provider write (in one transaction with the
// org's connection when that is new): a row in state ADDING,
// tagged with the run's RequestID, holding the provider's configuration as
// it was (numbers.original), so unlinking can always restore the
// customer's real previous configuration, even after a crash between the
// provider write and the activation. The database's constraints make the
// claim exclusive: the org's (org, number) for duplicates, the provider's
// (provider, provider id) for another org managing the same number. A
// retry after a crash finds its own claim and resumes; a permanent failure
// releases it; activation commits with the outcome.
func (w *Worker) addPhone(ctx context.Context, t *asynq.Task, a *attempt) (any, error) {
	p, err := decodePayload[jobs.AddPhone](t)
	if err != nil {
		return nil, err
	}
	e164, err := phone.PlusOptional().Normalize(p.PhoneNumber)
	if err != nil {
		return nil, permanent(jobs.CodeInvalidInput, "%v", err)
	}
	a.rec.Numbers = []string{e164}
	prov, ok := w.providers[p.Provider]
	if !ok {
		return nil, permanent(jobs.CodeUnsupportedProvider, "provider %q is not enabled", p.Provider)
	}
	// A target is read up front: a job whose target is gone adds nothing.
	var target *store.Target
	if p.TargetID != "" {
		tg, err := w.store.GetTarget(ctx, p.OrgID, p.TargetID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, permanent(jobs.CodeTargetNotFound, "target %s not found", p.TargetID)
		} else if err != nil {
			return nil, internalError(err)
		}
		target = &tg
	}
	// The number's row and the org's connection for the account were read
	// with the job record, in one round trip (addPhoneReads), unless the
	// credentials do not open. The user is not read up front: the claim's
	// foreign key refuses an unknown one (the API checks it before
	// enqueueing, too).
	reads := a.addPhone
	if reads == nil {
		n, err := w.store.GetNumber(ctx, p.OrgID, e164)
		reads = &store.AddPhoneReads{Number: n, NumberErr: err}
	}
	claim, done, err := w.existingRow(ctx, p, e164, reads.Number, reads.NumberErr)
	if err != nil {
		return nil, err
	}
	if done != nil {
		return w.added(ctx, a, p, *done, true, target)
	}

	creds, err := w.keys.OpenCredentials(p.Credentials)
	if err != nil {
		// A key missing from the ring does not come back by retrying.
		return nil, permanent(jobs.CodeInternal, "credentials do not open with this worker's keys (key %q)", p.Credentials.KeyID())
	}
	pc := providerCredentials(creds)
	num, err := prov.Lookup(ctx, pc, e164)
	if err != nil {
		return nil, err
	}
	if claim == nil {
		c := connectionRead{reads.Connection, reads.ConnectionErr}
		if a.addPhone == nil {
			c.conn, c.err = w.store.GetConnectionByAccount(ctx, p.OrgID, p.Provider, w.accountIdentity(p.Provider, creds))
		}
		if claim, err = w.claimNumber(ctx, p, creds, e164, num, c); claim == nil || err != nil {
			return nil, err
		}
	}
	n := *claim
	a.release = func(tx store.Store) error {
		err := tx.DeleteNumber(ctx, n.OrgID, n.ID, p.RequestID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}

	change, err := w.configure(ctx, p.Provider, pc, n.ConnectionID, num, w.defaultRoute(p.OrgID, p.Override),
		func(ctx context.Context, r providers.Route) (providers.Change, error) {
			return prov.EnsureVoiceRoute(ctx, pc, num, r)
		})
	if err != nil {
		return nil, err
	}
	if change.Changed {
		w.metrics.Reconfigured(p.Provider)
	}
	a.rec.Changes = mustJSON([]numberChange{{Number: e164, Change: change}})
	if target == nil {
		a.commit = func(tx store.Store) error {
			return tx.ActivateNumber(ctx, n.OrgID, n.ID, mustJSON(change.After))
		}
		n.State = store.NumberActive
		return addPhoneResult(n, false), nil
	}
	// With a target the number is activated now, on its own: linking needs
	// an active number, and a link that fails must leave it added. A retry
	// from here on finds it active (existingRow) and only links.
	if err := w.store.ActivateNumber(ctx, n.OrgID, n.ID, mustJSON(change.After)); err != nil {
		return nil, internalError(err)
	}
	a.release = nil
	n.State = store.NumberActive
	return w.added(ctx, a, p, n, false, target)
}

// added answers an add-phone job whose number n is active: without a
// target that is the result; with one, the number is linked to it by the
// attach job's own step (attachOne: a PENDING link claimed under this
// run's id, the provider routed to the target, the link activated), so a
// retry of the run resumes its own claim. A link that fails for good
// fails the job, and the number stays added on the default route.
func (w *Worker) added(ctx context.Context, a *attempt, p jobs.AddPhone, n store.Number, existing bool, target *store.Target) (any, error) {
	res := addPhoneResult(n, existing)
	if target == nil {
		return res, nil
	}
	a.linking = true
	res.TargetID = target.ID
	taskID, _ := asynq.GetTaskID(ctx)
	out, ch, err := w.attachOne(ctx, jobs.Attach{OrgID: p.OrgID, TargetID: target.ID, Override: p.Override}, *target, n, taskID)
	if err != nil {
		return res, err // transient: the retry resumes from the claim
	}
	res.Link = &out
	if ch != nil {
		var changes []numberChange
		_ = json.Unmarshal(a.rec.Changes, &changes)
		a.rec.Changes = mustJSON(append(changes, numberChange{Number: n.E164, Change: *ch}))
	}
	if out.Status == jobs.NumberFailed {
		return res, &jobError{Code: out.Code, Permanent: true,
			Message: fmt.Sprintf("%s was added but not linked to target %s: %s", n.E164, target.ID, out.Message)}
	}
	return res, nil
}

// addPhoneReads reads an add-phone attempt's job record with the number's
// row and the org's connection for the account (store.ReadAddPhone), and
// keeps the two for addPhone. A payload that does not read, or whose
// credentials do not open, gets its job record alone: addPhone reports it.
func (w *Worker) addPhoneReads(ctx context.Context, t *asynq.Task, orgID int64, id string, a *attempt) (store.JobRecord, error) {
	p, err := decodePayload[jobs.AddPhone](t)
	if err != nil {
		return w.store.GetJob(ctx, orgID, id)
	}
	e164, err := phone.PlusOptional().Normalize(p.PhoneNumber)
	if err != nil {
		return w.store.GetJob(ctx, orgID, id)
	}
	creds, err := w.keys.OpenCredentials(p.Credentials)
	if err != nil {
		return w.store.GetJob(ctx, orgID, id)
	}
	r := w.store.ReadAddPhone(ctx, store.AddPhoneQuery{OrgID: orgID, JobID: id, E164: e164,
		Provider: p.Provider, AccountID: w.accountIdentity(p.Provider, creds)})
	a.addPhone = &r
	return r.Job, r.JobErr
}

// existingRow decides from the number's row in the org (n, or err as
// GetNumber answered) before anything is done.
// It returns the run's own claim to resume (a retry after a crash), the
// number when the run already added it (its own active row, or, for a
// batch row, the active row an earlier run of that row added: a retry of
// a row whose link failed), or the duplicate error when anyone else holds
// the number. A claim left by a run that failed for good is released, and
// the number is free again.
func (w *Worker) existingRow(ctx context.Context, p jobs.AddPhone, e164 string, n store.Number, err error) (claim, done *store.Number, _ error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil, nil
	case err != nil:
		return nil, nil, internalError(err)
	case n.JobID == p.RequestID && n.State == store.NumberAdding:
		return &n, nil, nil
	case n.JobID == p.RequestID:
		return nil, &n, nil
	case p.BatchID != "" && n.State == store.NumberActive && jobs.RequestOf(n.JobID) == jobs.RequestOf(p.RequestID):
		// Runs of one batch row share their request ("<batch>-<line>").
		return nil, &n, nil
	case n.State == store.NumberAdding:
		if released, err := w.releaseDeadClaim(ctx, n); released || err != nil {
			return nil, nil, err
		}
	}
	return nil, nil, duplicate(p, n, e164)
}

// releaseDeadClaim deletes an ADDING row whose job has failed for good.
func (w *Worker) releaseDeadClaim(ctx context.Context, n store.Number) (bool, error) {
	rec, err := w.store.GetJob(ctx, n.OrgID, n.JobID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, internalError(err)
	case rec.State != jobs.StateFailed:
		return false, nil
	}
	if err := w.store.DeleteNumber(ctx, n.OrgID, n.ID, n.JobID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, internalError(err)
	}
	w.log.Warn("released a number claim left by a failed job", "number_id", n.ID, "job_id", n.JobID)
	return true, nil
}

func duplicate(p jobs.AddPhone, n store.Number, e164 string) error {
	if n.UserID == p.UserID {
		return permanent(jobs.CodeDuplicate, "phone number %s already exists for this user", e164)
	}
	return permanent(jobs.CodeDuplicate, "phone number %s is already in this organization's inventory", e164)
}

// connectionRead is the org's connection for an account, as
// GetConnectionByAccount answered.
type connectionRead struct {
	conn store.Connection
	err  error
}

// claimNumber inserts the ADDING row with the number's configuration as
// the provider reports it now, in one transaction with the connection when
// that is new or its credentials changed (one statement otherwise); read is
// the org's connection for the account as it was read. It returns nil and
// the job's answer when someone else holds the number.
func (w *Worker) claimNumber(ctx context.Context, p jobs.AddPhone, creds jobs.Credentials, e164 string, num providers.Number, read connectionRead) (*store.Number, error) {
	conn, err := read.conn, read.err
	accountID := w.accountIdentity(p.Provider, creds)
	fresh := errors.Is(err, store.ErrNotFound)
	if err != nil && !fresh {
		return nil, internalError(err)
	}
	if !fresh {
		old, oerr := w.keys.OpenCredentials(conn.Credentials)
		fresh = oerr != nil || old != creds
	}
	var n store.Number
	insert := func(st store.Store) (err error) {
		n, err = st.CreateNumber(ctx, store.Number{
			ID: store.NewID(), OrgID: p.OrgID, UserID: p.UserID, E164: e164, Provider: p.Provider, State: store.NumberAdding,
			ConnectionID: conn.ID, ProviderRef: num.ID, Original: mustJSON(num.Voice), JobID: p.RequestID,
		})
		return err
	}
	if fresh {
		err = w.store.InTx(ctx, func(tx store.Store) error {
			c, err := tx.UpsertConnection(ctx, store.Connection{
				ID: store.NewID(), OrgID: p.OrgID, Provider: p.Provider, AccountID: accountID, Credentials: p.Credentials,
			})
			if err != nil {
				return fmt.Errorf("save connection: %w", err)
			}
			conn = c
			return insert(tx)
		})
	} else {
		err = insert(w.store)
	}
	switch {
	case errors.Is(err, store.ErrNotFound): // the users foreign key
		return nil, permanent(jobs.CodeUserNotFound, "user %s not found", p.UserID)
	case errors.Is(err, store.ErrManagedElsewhere):
		return nil, permanent(jobs.CodeManagedElsewhere, "phone number %s is managed by another organization", e164)
	case errors.Is(err, store.ErrConflict):
		// Another run added it between our check and our insert.
		n, err := w.store.GetNumber(ctx, p.OrgID, e164)
		if _, _, err := w.existingRow(ctx, p, e164, n, err); err != nil {
			return nil, err
		}
		return nil, internalError(errors.New("number row changed while claiming; retrying"))
	case err != nil:
		return nil, internalError(err)
	}
	return &n, nil
}

// accountIdentity is the account id a connection is stored under
// (jobs.KeyRing.ConnectionAccount).
func (w *Worker) accountIdentity(provider string, creds jobs.Credentials) string {
	return w.keys.ConnectionAccount(provider, creds)
}

func addPhoneResult(n store.Number, existing bool) jobs.AddPhoneResult {
	return jobs.AddPhoneResult{NumberID: n.ID, UserID: n.UserID, PhoneNumber: n.E164, Provider: n.Provider, CreatedAt: n.CreatedAt, Existing: existing}
}

// numberChange is one entry of a job record's provider changes.
type numberChange struct {
	Number string `json:"number"`
	providers.Change
}
