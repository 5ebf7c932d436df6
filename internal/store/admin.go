package store

import (
	"context"
	"time"
)

// Reasons a job failed, in the words operators group failures by. The
// worker decides a record's reason when it categorizes the error (once,
// in internal/worker), next to its ErrorCode: the code is the API's
// contract, the reason the dashboard's grouping (a code such as
// provider_unavailable covers an outage, a rate limit and a timeout).
const (
	ReasonBadCredentials = "bad_credentials" // the provider refused the credentials
	ReasonNotOwned       = "not_owned"       // the provider account does not own the number
	ReasonConflict       = "conflict"        // the number is configured elsewhere (trunk, another target, another org)
	ReasonOutage         = "provider_outage" // the provider was down or answered 5xx
	ReasonRateLimited    = "rate_limited"    // the provider kept answering 429
	ReasonTimeout        = "timeout"         // an attempt ran out of time
	ReasonInvalid        = "invalid"         // the request cannot succeed as it is (bad input, unknown user or target)
	ReasonInternal       = "internal"        // switchboard's own infrastructure or a bug
	ReasonCancelled      = "cancelled"       // an operator or the API cancelled it (jobs.CodeCancelled)
)

// Reasons lists every reason, in the order the dashboard shows them.
var Reasons = []string{ReasonBadCredentials, ReasonNotOwned, ReasonConflict, ReasonOutage,
	ReasonRateLimited, ReasonTimeout, ReasonInvalid, ReasonInternal, ReasonCancelled}

// FailureCount is how many jobs failed for good with one reason, on one
// provider, in one org.
type FailureCount struct {
	Reason   string
	Provider string
	OrgID    int64
	Count    int
}

// AdminAction is one thing an admin did on the dashboard: who, when, what
// (the action and its target, e.g. "retry" of a job id or of a reason) and
// how many jobs it touched.
type AdminAction struct {
	ID     int64
	At     time.Time
	Actor  string // the admin user's name
	Action string
	Target string
	Count  int
	Detail string // what came of it, in words ("2 retried, 1 already succeeded")
}

// AdminLog records admin actions and lists them back.
type AdminLog interface {
	// RecordAdminAction stores a and returns it with its ID (and At, when
	// a.At is zero: now).
	RecordAdminAction(ctx context.Context, a AdminAction) (AdminAction, error)
	// ListAdminActions returns the newest actions first, at most limit
	// (default 50).
	ListAdminActions(ctx context.Context, limit int) ([]AdminAction, error)
}
