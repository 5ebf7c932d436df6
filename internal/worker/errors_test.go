package worker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/internal/ratelimit"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers"
)

// decision is what the retry policy reads from a categorized error.
type decision struct {
	Code       jobs.Code
	Permanent  bool
	RateLimit  bool
	RetryAfter time.Duration
	Reason     string // the dashboard's grouping
}

// TestCategorize: each kind of failure a handler can return is turned into
// the job error code and retry decision the jobs contract documents
// (docs/jobs.md, "Retries, rate limits and deadlines").
func TestCategorize(t *testing.T) {
	t.Parallel()
	provider := func(k providers.Kind) *providers.Error {
		return &providers.Error{Kind: k, Provider: "twilio", Op: "lookup", Message: k.String()}
	}
	rateLimited := provider(providers.KindRateLimited)
	rateLimited.Status, rateLimited.RetryAfter = 429, 7*time.Second
	for _, tt := range []struct {
		name string
		err  error
		want decision
	}{
		{"invalid credentials", provider(providers.KindInvalidCredentials), decision{Code: jobs.CodeInvalidCredentials, Permanent: true, Reason: store.ReasonBadCredentials}},
		{"not owned", provider(providers.KindNotOwned), decision{Code: jobs.CodeNotOwned, Permanent: true, Reason: store.ReasonNotOwned}},
		{"conflict", provider(providers.KindConflict), decision{Code: jobs.CodeConflict, Permanent: true, Reason: store.ReasonConflict}},
		{"bad request", provider(providers.KindBadRequest), decision{Code: jobs.CodeProviderRejected, Permanent: true, Reason: store.ReasonInvalid}},
		{"rate limited", rateLimited, decision{Code: jobs.CodeProviderUnavailable, RateLimit: true, RetryAfter: 7 * time.Second, Reason: store.ReasonRateLimited}},
		{"rate limited, wrapped", fmt.Errorf("route +12125551234: %w", rateLimited),
			decision{Code: jobs.CodeProviderUnavailable, RateLimit: true, RetryAfter: 7 * time.Second, Reason: store.ReasonRateLimited}},
		{"switchboard's limiter", &providers.Error{Kind: providers.KindRateLimited, RetryAfter: time.Second, Err: ratelimit.ErrLimited},
			decision{Code: jobs.CodeProviderUnavailable, RateLimit: true, RetryAfter: time.Second, Reason: store.ReasonRateLimited}},
		{"transient", provider(providers.KindTransient), decision{Code: jobs.CodeProviderUnavailable, Reason: store.ReasonOutage}},
		{"unknown kind", provider(providers.Kind(99)), decision{Code: jobs.CodeProviderUnavailable, Reason: store.ReasonOutage}},
		{"invalid input", fmt.Errorf("phone number: %w", jobs.ErrInvalid), decision{Code: jobs.CodeInvalidInput, Permanent: true, Reason: store.ReasonInvalid}},
		{"deadline", fmt.Errorf("lookup: %w", context.DeadlineExceeded), decision{Code: jobs.CodeInternal, Reason: store.ReasonTimeout}},
		{"cancelled", context.Canceled, decision{Code: jobs.CodeInternal, Reason: store.ReasonInternal}},
		{"anything else", errors.New("disk full"), decision{Code: jobs.CodeInternal, Reason: store.ReasonInternal}},
		{"already categorized", fmt.Errorf("attach: %w", permanent(jobs.CodeDuplicate, "dup")), decision{Code: jobs.CodeDuplicate, Permanent: true, Reason: store.ReasonConflict}},
		{"internal", internalError(errors.New("db down")), decision{Code: jobs.CodeInternal, Reason: store.ReasonInternal}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			je := categorize(tt.err)
			got := decision{Code: je.Code, Permanent: je.Permanent, RateLimit: je.RateLimit, RetryAfter: je.RetryAfter, Reason: je.reason()}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("categorize(%v) (-want +got):\n%s", tt.err, diff)
			}
			if je.Permanent && je.RateLimit {
				t.Errorf("categorize(%v) is both permanent and a rate limit", tt.err)
			}
		})
	}
}

// TestCategorizeKeepsTheCause: the categorized error still matches what it
// was made from, so callers can errors.Is / errors.As through it.
func TestCategorizeKeepsTheCause(t *testing.T) {
	t.Parallel()
	pe := &providers.Error{Kind: providers.KindRateLimited, Err: ratelimit.ErrLimited}
	je := categorize(fmt.Errorf("lookup: %w", pe))
	var got *providers.Error
	if !errors.As(je, &got) || got != pe {
		t.Errorf("categorize(...) = %v, does not unwrap to the provider error", je)
	}
	if !errors.Is(je, ratelimit.ErrLimited) {
		t.Errorf("categorize(...) = %v, does not match ratelimit.ErrLimited", je)
	}
	if je := categorize(context.DeadlineExceeded); !errors.Is(je, context.DeadlineExceeded) {
		t.Errorf("categorize(DeadlineExceeded) = %v, does not match it", je)
	}
}
