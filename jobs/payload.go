package jobs

import (
	"errors"
	"fmt"
	"strings"
)

// AddPhone is the payload of TypeAddPhone: add PhoneNumber, owned by the
// provider account behind Credentials, to UserID's inventory in OrgID.
type AddPhone struct {
	OrgID  int64  `json:"org_id"`
	UserID string `json:"user_id"`
	// PhoneNumber is digits with country code; the leading + is optional
	// ("12125551234" and "+12125551234" are the same number).
	PhoneNumber string `json:"phone_number"`
	// Provider is one of ProviderTwilio, ProviderPlivo, ProviderTelnyx.
	Provider string `json:"provider"`
	// Credentials are sealed by Client.AddPhone; workers open them.
	Credentials Sealed `json:"credentials"`
	// Override lets switchboard take over a number that is wired elsewhere
	// (a Twilio SIP trunk, a foreign Telnyx connection). Off by default.
	Override bool `json:"override,omitempty"`
	// CallbackURL, when set, receives a signed JSON event when the job
	// reaches a terminal state (see docs/callbacks.md).
	CallbackURL string `json:"callback_url,omitempty"`
	// RequestID names the run: Client sets it to the run's task id
	// (Job.ID), shared by the task's retries and never by another run. The
	// worker tags the number row with it, so a retry after a crash finds
	// its own row and completes, while a later run for the same number is a
	// duplicate.
	RequestID string `json:"request_id"`
	// BatchID, set for a row of a batch import, tells the worker to record
	// the job's outcome on the batch's row (the row whose current run is
	// RequestID) together with the job record. See EnqueueAddPhone.
	BatchID string `json:"batch_id,omitempty"`
	// TargetID, when set, links the number to that target (an app or an
	// agent) once it is added, in the same job and as an attach job links
	// it: the number is activated on the default route first, then linked
	// and routed to the target. A link that fails leaves the number added
	// and fails the job; see docs/jobs.md.
	TargetID string `json:"target_id,omitempty"`
}

// Attach is the payload of TypeAttach: link Numbers to TargetID.
type Attach struct {
	OrgID    int64  `json:"org_id"`
	TargetID string `json:"target_id"`
	// Provider, when set, requires every number to be on that provider.
	Provider string   `json:"provider,omitempty"`
	Numbers  []string `json:"numbers"` // E.164
	Override bool     `json:"override,omitempty"`
	// CallbackURL, when set, receives a signed JSON event when the job
	// reaches a terminal state (see docs/callbacks.md).
	CallbackURL string `json:"callback_url,omitempty"`
}

// Unlink is the payload of TypeUnlink: remove Number's link to TargetID.
type Unlink struct {
	OrgID    int64  `json:"org_id"`
	TargetID string `json:"target_id"`
	Number   string `json:"number"` // E.164
	// CallbackURL, when set, receives a signed JSON event when the job
	// reaches a terminal state (see docs/callbacks.md).
	CallbackURL string `json:"callback_url,omitempty"`
}

// DeleteTarget is the payload of TypeDeleteTarget: unlink every number of
// TargetID, then delete it.
type DeleteTarget struct {
	OrgID    int64  `json:"org_id"`
	TargetID string `json:"target_id"`
	// CallbackURL, when set, receives a signed JSON event when the job
	// reaches a terminal state (see docs/callbacks.md).
	CallbackURL string `json:"callback_url,omitempty"`
}

// Reconcile is the payload of TypeReconcile.
type Reconcile struct {
	OrgID  int64  `json:"org_id"`
	Number string `json:"number"` // E.164
}

// Validate reports the first missing field.
func (p Reconcile) Validate() error {
	switch {
	case p.OrgID <= 0:
		return invalid("org_id is required")
	case blank(p.Number):
		return invalid("number is required")
	}
	return nil
}

// ErrInvalid is wrapped by every Validate error.
var ErrInvalid = errors.New("invalid job payload")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// MaxNumbersPerAttach bounds one attach job; larger sets go through a batch.
const MaxNumbersPerAttach = 100

// Validate reports the first missing or malformed field. It checks shape
// only; the worker normalizes and checks the number itself.
func (p AddPhone) Validate() error {
	switch {
	case p.OrgID <= 0:
		return invalid("org_id is required")
	case blank(p.UserID):
		return invalid("user_id is required")
	case blank(p.PhoneNumber):
		return invalid("phone_number is required")
	case !KnownProvider(p.Provider):
		return invalid("provider %q is not one of twilio, plivo, telnyx", p.Provider)
	case p.Credentials == "":
		return invalid("credentials are required")
	case blank(p.RequestID):
		return invalid("request_id is required")
	}
	return nil
}

// Validate reports the first missing or malformed field.
func (p Attach) Validate() error {
	switch {
	case p.OrgID <= 0:
		return invalid("org_id is required")
	case blank(p.TargetID):
		return invalid("target_id is required")
	case len(p.Numbers) == 0:
		return invalid("numbers are required")
	case len(p.Numbers) > MaxNumbersPerAttach:
		return invalid("at most %d numbers per attach job", MaxNumbersPerAttach)
	}
	for i, n := range p.Numbers {
		if blank(n) {
			return invalid("numbers[%d] is empty", i)
		}
	}
	return nil
}

// Validate reports the first missing or malformed field.
func (p Unlink) Validate() error {
	switch {
	case p.OrgID <= 0:
		return invalid("org_id is required")
	case blank(p.TargetID):
		return invalid("target_id is required")
	case blank(p.Number):
		return invalid("number is required")
	}
	return nil
}

// Validate reports the first missing field.
func (p DeleteTarget) Validate() error {
	switch {
	case p.OrgID <= 0:
		return invalid("org_id is required")
	case blank(p.TargetID):
		return invalid("target_id is required")
	}
	return nil
}

// KnownProvider reports whether switchboard has an adapter for name.
func KnownProvider(name string) bool {
	switch name {
	case ProviderTwilio, ProviderPlivo, ProviderTelnyx:
		return true
	}
	return false
}
