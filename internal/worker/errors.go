package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// jobError is a failure categorized for the job record and the retry
// policy. Message is safe to show and store.
type jobError struct {
	Code       jobs.Code
	Message    string
	Permanent  bool
	RetryAfter time.Duration // a provider's Retry-After, honoured by retryDelay
	RateLimit  bool          // does not consume the retry budget
	Err        error
}

func (e *jobError) Error() string {
	if e.Err != nil && e.Err.Error() != e.Message {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *jobError) Unwrap() error { return e.Err }

// permanent returns a failure that is recorded and not retried.
func permanent(code jobs.Code, format string, args ...any) *jobError {
	return &jobError{Code: code, Message: fmt.Sprintf(format, args...), Permanent: true}
}

// internalError is a retried failure of switchboard's own infrastructure
// (database, Redis) or a bug.
func internalError(err error) *jobError {
	return &jobError{Code: jobs.CodeInternal, Message: "internal error", Err: err}
}

// categorize turns any error a handler returns into a jobError. This is
// the one place that decides what is permanent and what is retried.
func categorize(err error) *jobError {
	var je *jobError
	if errors.As(err, &je) {
		return je
	}
	var pe *providers.Error
	if errors.As(err, &pe) {
		e := &jobError{Message: pe.Error(), Err: err}
		switch pe.Kind {
		case providers.KindInvalidCredentials:
			e.Code, e.Permanent = jobs.CodeInvalidCredentials, true
		case providers.KindNotOwned:
			e.Code, e.Permanent = jobs.CodeNotOwned, true
		case providers.KindConflict:
			e.Code, e.Permanent = jobs.CodeConflict, true
		case providers.KindBadRequest:
			e.Code, e.Permanent = jobs.CodeProviderRejected, true
		case providers.KindRateLimited:
			e.Code, e.RateLimit, e.RetryAfter = jobs.CodeProviderUnavailable, true, pe.RetryAfter
		default:
			e.Code = jobs.CodeProviderUnavailable
		}
		return e
	}
	if errors.Is(err, jobs.ErrInvalid) {
		return &jobError{Code: jobs.CodeInvalidInput, Message: err.Error(), Permanent: true, Err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &jobError{Code: jobs.CodeInternal, Message: "attempt timed out or was cancelled", Err: err}
	}
	return internalError(err)
}

// reason is the dashboard's word for why the job failed (store.Reason*):
// its code, told apart where one code covers several causes (a rate limit
// and an outage are both provider_unavailable; a timeout is internal).
func (e *jobError) reason() string {
	switch {
	case e.RateLimit:
		return store.ReasonRateLimited
	case errors.Is(e.Err, context.DeadlineExceeded):
		return store.ReasonTimeout
	}
	switch e.Code {
	case jobs.CodeInvalidCredentials:
		return store.ReasonBadCredentials
	case jobs.CodeNotOwned:
		return store.ReasonNotOwned
	case jobs.CodeConflict, jobs.CodeManagedElsewhere, jobs.CodeLinkedElsewhere, jobs.CodeDuplicate:
		return store.ReasonConflict
	case jobs.CodeProviderUnavailable:
		return store.ReasonOutage
	case jobs.CodeInternal:
		return store.ReasonInternal
	case jobs.CodeCancelled:
		return store.ReasonCancelled
	}
	return store.ReasonInvalid
}
