package providers

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies a provider failure once, at the adapter edge.
type Kind int

const (
	KindTransient          Kind = iota // 5xx, timeouts, connection errors: retry
	KindInvalidCredentials             // 401/403, or an unusable account: permanent
	KindNotOwned                       // the account does not own the number: permanent
	KindRateLimited                    // 429: retry after RetryAfter (or a backoff)
	KindConflict                       // wired elsewhere (trunk, foreign connection): permanent
	KindBadRequest                     // the provider refused the request as invalid: permanent
)

func (k Kind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindInvalidCredentials:
		return "invalid credentials"
	case KindNotOwned:
		return "not owned"
	case KindRateLimited:
		return "rate limited"
	case KindConflict:
		return "conflict"
	case KindBadRequest:
		return "bad request"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a categorized provider failure. Message is safe to show to users
// and to log: adapters never put credentials or response bodies holding
// secrets into it.
type Error struct {
	Kind       Kind
	Provider   string
	Op         string        // the adapter operation, e.g. "lookup"
	Status     int           // HTTP status, 0 when no response arrived
	Code       string        // the provider's error code, when it sent one
	Message    string        // what went wrong, in words
	RetryAfter time.Duration // from a Retry-After header; 0 when absent
	Err        error         // the underlying error, if any
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s %s: %s", e.Provider, e.Op, e.Kind)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d", e.Status)
		if e.Code != "" {
			s += ", code " + e.Code
		}
		s += ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the first *Error in err's chain, and false when
// there is none (an error that did not come from an adapter).
func KindOf(err error) (Kind, bool) {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Kind, true
	}
	return 0, false
}

// KindForStatus maps an HTTP status to a Kind, for adapters whose provider
// has no finer codes. 404 is KindNotOwned: every lookup here is by number.
func KindForStatus(status int) Kind {
	switch {
	case status == 401 || status == 403:
		return KindInvalidCredentials
	case status == 404:
		return KindNotOwned
	case status == 429:
		return KindRateLimited
	case status == 408 || status == 409 || status >= 500:
		return KindTransient
	case status >= 400:
		return KindBadRequest
	}
	return KindTransient
}
