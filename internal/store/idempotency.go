package store

import (
	"context"
	"time"
)

// IdempotencyKeys persists the HTTP API's idempotency keys: for each (org,
// key), the request that first used it (a hash, never the request itself),
// and its response once it has one. A record is running while the first
// request executes and completed once its response is stored. Store embeds
// this interface.
type IdempotencyKeys interface {
	// BeginIdempotent claims c.Key for c.OrgID, atomically, in one
	// statement: it inserts a running record, or takes over a record that
	// has expired (ExpiresAt) or a running one whose lease has run out
	// (LeaseUntil) because the request holding it died, and answers the
	// new record and true. Otherwise it answers the record that holds the
	// key, running or completed, and false; the caller compares its
	// Fingerprint with its own.
	BeginIdempotent(ctx context.Context, c IdempotencyClaim) (IdempotencyRecord, bool, error)
	// CompleteIdempotent stores the response of the running claim with
	// token. ErrNotFound when that claim no longer holds the key: it was
	// released, or taken over after its lease ran out.
	CompleteIdempotent(ctx context.Context, orgID int64, key, token string, resp IdempotentResponse) error
	// ReleaseIdempotent deletes the running claim with token, so that the
	// next request with the key executes afresh. ErrNotFound when that
	// claim no longer holds the key, or already has a response.
	ReleaseIdempotent(ctx context.Context, orgID int64, key, token string) error
	// PurgeIdempotent deletes at most limit records (100 when limit is not
	// positive), of any org, that expired at or before before, oldest
	// first, and answers how many it deleted.
	PurgeIdempotent(ctx context.Context, before time.Time, limit int) (int, error)
}

// IdempotencyClaim is a request's claim on an idempotency key. The store
// takes every time from the caller, so that all the API's processes judge
// leases and expiry by the same rules, and tests can move the clock.
type IdempotencyClaim struct {
	OrgID int64
	Key   string
	// Fingerprint identifies the request (a hash of its method, path and
	// body): a later request with the key and another fingerprint is a
	// different request.
	Fingerprint []byte
	// Token identifies this claim to CompleteIdempotent and
	// ReleaseIdempotent, so that a request whose lease ran out cannot
	// overwrite the claim that took the key over.
	Token string
	// Now is when the request began; records that expired at or before Now,
	// and running claims whose lease ended at or before Now, are taken over.
	Now time.Time
	// LeaseUntil is when this claim may be taken over if it has no
	// response by then.
	LeaseUntil time.Time
	// ExpiresAt is when the record stops counting: from then on the key is
	// free again and the record may be purged.
	ExpiresAt time.Time
}

// IdempotencyRecord is what an idempotency key holds.
type IdempotencyRecord struct {
	OrgID       int64
	Key         string
	Fingerprint []byte
	Token       string
	// Response is nil while the first request runs.
	Response   *IdempotentResponse
	CreatedAt  time.Time // when the claim now holding the key began
	LeaseUntil time.Time
	ExpiresAt  time.Time
}

// IdempotentResponse is a stored response, replayed byte for byte.
type IdempotentResponse struct {
	Status int
	// Header holds the headers the handler set (Content-Type, Location),
	// in net/http's canonical form.
	Header map[string][]string
	Body   []byte
}
