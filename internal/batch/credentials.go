package batch

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// ErrCredentials is credentials given for a file that cannot be used:
// missing, for no known provider, or refused by the provider. Its
// messages never carry the secret.
var ErrCredentials = errors.New("credentials")

// Credentials are a provider account's credentials given once for a whole
// file (the CLI's --credentials-file, the upload's "credentials" part).
type Credentials struct {
	Provider string
	jobs.Credentials
}

// StoreCredentials checks c once at the provider (its cheapest
// authenticated call), seals them and stores them as the org's connection
// for the account, as an add-phone job stores its credentials; it answers
// the connection. Give the file's rows that connection's account
// (store.Batch.Account): every row then uses it, and no row, job payload
// or log carries the credentials in clear. Needs Providers and Keys.
func (im *Importer) StoreCredentials(ctx context.Context, orgID int64, c Credentials) (store.Connection, error) {
	if !jobs.KnownProvider(c.Provider) {
		return store.Connection{}, fmt.Errorf("%w: provider %q is not twilio, plivo or telnyx", ErrCredentials, c.Provider)
	}
	if c.Secret == "" || c.Provider != jobs.ProviderTelnyx && c.AccountID == "" {
		return store.Connection{}, fmt.Errorf("%w: %s credentials need account_id and secret (Telnyx: secret, the API key)", ErrCredentials, c.Provider)
	}
	var prov providers.Provider
	for _, p := range im.Providers {
		if p.Name() == c.Provider {
			prov = p
		}
	}
	if prov == nil || im.Keys == nil {
		return store.Connection{}, errors.New("batch: StoreCredentials needs Providers and Keys")
	}
	err := prov.ValidateCredentials(ctx, providers.Credentials{AccountID: c.AccountID, Secret: c.Secret, Username: c.Username})
	if pe := (*providers.Error)(nil); errors.As(err, &pe) && pe.Kind == providers.KindInvalidCredentials {
		return store.Connection{}, fmt.Errorf("%w: %s refused the credentials", ErrCredentials, c.Provider)
	} else if err != nil {
		return store.Connection{}, fmt.Errorf("check %s credentials: %w", c.Provider, err)
	}
	sealed, err := im.Keys.SealCredentials(c.Credentials)
	if err != nil {
		return store.Connection{}, err
	}
	return im.Store.UpsertConnection(ctx, store.Connection{ID: store.NewID(), OrgID: orgID, Provider: c.Provider,
		AccountID: im.Keys.ConnectionAccount(c.Provider, c.Credentials), Credentials: sealed})
}
