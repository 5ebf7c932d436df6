package worker

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// account is a number's provider with the credentials to act on it.
type account struct {
	provider providers.Provider
	creds    providers.Credentials
	connID   string
}

// accountFor opens the sealed credentials of the connection the number was
// added with.
func (w *Worker) accountFor(ctx context.Context, n store.Number) (account, error) {
	prov, ok := w.providers[n.Provider]
	if !ok {
		return account{}, permanent(jobs.CodeUnsupportedProvider, "provider %q is not enabled", n.Provider)
	}
	conn, err := w.store.GetConnection(ctx, n.OrgID, n.ConnectionID)
	if errors.Is(err, store.ErrNotFound) {
		return account{}, permanent(jobs.CodeProviderNotConfigured, "no %s connection for %s", n.Provider, n.E164)
	}
	if err != nil {
		return account{}, internalError(err)
	}
	creds, err := w.keys.OpenCredentials(conn.Credentials)
	if err != nil {
		return account{}, permanent(jobs.CodeInternal, "credentials do not open with this worker's keys (key %q)", conn.Credentials.KeyID())
	}
	return account{provider: prov, creds: providerCredentials(creds), connID: conn.ID}, nil
}

// providerCredentials are the adapters' form of opened credentials.
func providerCredentials(c jobs.Credentials) providers.Credentials {
	return providers.Credentials{AccountID: c.AccountID, Secret: c.Secret, Username: c.Username, Region: c.Region}
}

// route points the number at r on its provider: lookup, then read-diff-write
// (see configure), recording the configuration set.
func (w *Worker) route(ctx context.Context, a account, n store.Number, r providers.Route, reset bool) (providers.Change, error) {
	num, err := a.provider.Lookup(ctx, a.creds, n.E164)
	if err != nil {
		return providers.Change{}, err
	}
	op := a.provider.EnsureVoiceRoute
	if reset {
		op = a.provider.ResetVoiceRoute
	}
	ch, err := w.configure(ctx, n.Provider, a.creds, a.connID, num, r, func(ctx context.Context, r providers.Route) (providers.Change, error) {
		return op(ctx, a.creds, num, r)
	})
	if err != nil {
		return ch, err
	}
	if ch.Changed {
		w.metrics.Reconfigured(n.Provider)
	}
	if recordedVoice(n) == ch.After {
		return ch, nil // no write for what the row already says
	}
	if err := w.store.UpdateNumberVoice(ctx, n.OrgID, n.ID, mustJSON(ch.After)); err != nil {
		return ch, internalError(err)
	}
	return ch, nil
}

// recordedVoice is the voice configuration the number's row says
// switchboard set (zero when unreadable, which then differs and is
// rewritten).
func recordedVoice(n store.Number) providers.VoiceConfig {
	var v providers.VoiceConfig
	_ = json.Unmarshal(n.Voice, &v)
	return v
}
