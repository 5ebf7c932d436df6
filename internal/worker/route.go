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

// withKnownApplication fills in the application id switchboard recorded for
// the route on the connection, sparing the adapter a list call.
func (w *Worker) withKnownApplication(ctx context.Context, connID string, r providers.Route) (providers.Route, error) {
	id, err := w.store.GetApplication(ctx, connID, r.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return r, nil
	case err != nil:
		return r, internalError(err)
	}
	r.ApplicationID = id
	return r, nil
}

// rememberApplication records the application a route ended up on.
func (w *Worker) rememberApplication(ctx context.Context, connID string, r providers.Route, ch providers.Change) error {
	id := ch.After.ApplicationID
	if id == "" || id == r.ApplicationID {
		return nil
	}
	if err := w.store.SaveApplication(ctx, connID, r.Name, id, 0); err != nil {
		return internalError(err)
	}
	return nil
}
