package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/providers"
)

// defaultRoute is where an org's numbers send calls when they are not
// linked to a target: the platform's own webhooks under WebhookBaseURL.
// Its name is deterministic per org, so providers that need an application
// create one per org and reuse it forever after.
func (w *Worker) defaultRoute(orgID int64, override bool) providers.Route {
	base := w.webhooks.String()
	return providers.Route{
		Name:           providers.RouteName(orgID, "default"),
		VoiceURL:       base + "/voice/inbound",
		StatusCallback: base + "/voice/status",
		HangupURL:      base + "/voice/hangup",
		Override:       override,
	}
}

// targetRoute sends calls to a target's answer URL. Targets with the same
// answer and hangup URLs share one route (and one provider application);
// status callbacks still reach the platform.
func (w *Worker) targetRoute(t store.Target, override bool) providers.Route {
	def := w.defaultRoute(t.OrgID, override)
	hangup := t.HangupURL
	if hangup == "" {
		hangup = def.HangupURL
	}
	sum := sha256.Sum256([]byte(t.AnswerURL + "\n" + hangup))
	return providers.Route{
		Name:           providers.RouteName(t.OrgID, "t"+hex.EncodeToString(sum[:6])),
		VoiceURL:       t.AnswerURL,
		StatusCallback: def.StatusCallback,
		HangupURL:      hangup,
		Override:       override,
	}
}

// configure runs op, an adapter's EnsureVoiceRoute or ResetVoiceRoute, to
// put num, a number of connection connID, on route r. The application id
// recorded for the route spares the adapter a list call; the number's
// current application goes in r.Ours when switchboard recorded it on the
// connection, which is all that makes it switchboard's to replace. A Plivo
// subaccount's numbers (num.Account), reached with the main account's
// credentials, have the route's application in the subaccount, so it is
// recorded (and created under the lock) apart from the main account's.
// Only a route of a provider that creates applications, and whose
// application switchboard does not know yet, runs under the route lock
// (see lock.go), and so does recording a replacement for a known
// application that turned out gone; everything else runs without one,
// side by side with the account's other jobs.
func (w *Worker) configure(ctx context.Context, provider string, creds providers.Credentials, connID string, num providers.Number, r providers.Route,
	op func(context.Context, providers.Route) (providers.Change, error)) (providers.Change, error) {
	if !providers.CreatesApplications(provider) {
		return op(ctx, r) // nothing to look up, create or remember
	}
	key := r.Name
	if num.Account != "" {
		key += "@" + num.Account
	}
	r, err := w.withKnownApplication(ctx, connID, key, r)
	if err != nil {
		return providers.Change{}, err
	}
	if r, err = w.withOurs(ctx, connID, num, r); err != nil {
		return providers.Change{}, err
	}
	if r.ApplicationID != "" {
		ch, err := op(ctx, r)
		if err != nil || ch.After.ApplicationID == "" || ch.After.ApplicationID == r.ApplicationID {
			return ch, err
		}
		// The recorded application was gone and the adapter found or
		// created another. The stale record was saved under the lock, so
		// only a save with a newer fence replaces it; another holder may
		// have replaced it already, and that one stands.
		return ch, w.withRouteLock(ctx, provider, creds, key, func(ctx context.Context, fence int64) error {
			if cur, err := w.withKnownApplication(ctx, connID, key, r); err != nil || cur.ApplicationID != r.ApplicationID {
				return err
			}
			return w.rememberApplication(ctx, connID, key, r, ch, fence)
		})
	}
	var ch providers.Change
	err = w.withRouteLock(ctx, provider, creds, key, func(ctx context.Context, fence int64) error {
		// The previous holder may have just created and recorded it.
		r, err := w.withKnownApplication(ctx, connID, key, r)
		if err != nil {
			return err
		}
		if ch, err = op(ctx, r); err != nil {
			return err
		}
		return w.rememberApplication(ctx, connID, key, r, ch, fence)
	})
	return ch, err
}

// withKnownApplication fills in the application id switchboard recorded
// for the route on the connection under key, sparing the adapter a list
// call.
func (w *Worker) withKnownApplication(ctx context.Context, connID, key string, r providers.Route) (providers.Route, error) {
	if connID == "" {
		return r, nil
	}
	id, err := w.store.GetApplication(ctx, connID, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return r, nil
	case err != nil:
		return r, internalError(err)
	}
	r.ApplicationID = id
	return r, nil
}

// withOurs adds num's current application to r.Ours when switchboard
// recorded it on the connection: an application of an earlier route, or
// one replaced since. Any other, however it is named (another org's on the
// same provider account, a user's), is left for the adapter to refuse.
func (w *Worker) withOurs(ctx context.Context, connID string, num providers.Number, r providers.Route) (providers.Route, error) {
	cur := num.Voice.ApplicationID
	if connID == "" || cur == "" || cur == r.ApplicationID {
		return r, nil
	}
	ok, err := w.store.ApplicationRecorded(ctx, connID, cur)
	if err != nil {
		return r, internalError(err)
	}
	if ok {
		r.Ours = append(r.Ours, cur)
	}
	return r, nil
}

// rememberApplication records the application a route ended up on, with
// the route lock's fencing token (0 outside the lock). A save refused as
// stale means a later lock holder recorded its own: that one stands.
func (w *Worker) rememberApplication(ctx context.Context, connID, key string, r providers.Route, ch providers.Change, fence int64) error {
	id := ch.After.ApplicationID
	if id == "" || id == r.ApplicationID {
		return nil
	}
	err := w.store.SaveApplication(ctx, connID, key, id, fence)
	if err != nil && !errors.Is(err, store.ErrStale) {
		return internalError(err)
	}
	return nil
}
