package jobs

import (
	"encoding/json"
	"time"
)

// State is where a job is in its life, as recorded by the worker in the
// durable job record.
type State string

const (
	StatePending   State = "pending"   // enqueued, not yet picked up
	StateActive    State = "active"    // a worker is running it
	StateRetrying  State = "retrying"  // the last attempt failed transiently; it will run again
	StateSucceeded State = "succeeded" // terminal
	StateFailed    State = "failed"    // terminal: a permanent error, retries exhausted, or cancelled (CodeCancelled)
)

// Terminal reports whether s is a final state.
func (s State) Terminal() bool { return s == StateSucceeded || s == StateFailed }

// Code classifies why a job failed. Codes are stable and safe to show:
// the messages that accompany them never contain credentials.
type Code string

const (
	CodeInvalidInput        Code = "invalid_input"        // the payload or a number in it is malformed
	CodeUnsupportedProvider Code = "unsupported_provider" // no adapter for the provider
	CodeUserNotFound        Code = "user_not_found"       // the user does not exist in the org
	CodeDuplicate           Code = "duplicate"            // the number is already in the user's inventory
	CodeInvalidCredentials  Code = "invalid_credentials"  // the provider rejected the credentials
	CodeNotOwned            Code = "not_owned"            // the provider account does not own the number
	CodeConflict            Code = "conflict"             // the number is wired elsewhere (trunk, foreign connection, another target)
	CodeManagedElsewhere    Code = "managed_elsewhere"    // another org manages the number at the provider
	CodeProviderRejected    Code = "provider_rejected"    // the provider refused a request permanently
	CodeProviderUnavailable Code = "provider_unavailable" // retries exhausted on outages or rate limits
	CodeInternal            Code = "internal"             // a bug or an infrastructure failure
	CodeCancelled           Code = "cancelled"            // an operator (or the API) cancelled the job before it finished

	CodeTargetNotFound        Code = "target_not_found"        // the app or agent does not exist in the org
	CodeNumberNotFound        Code = "number_not_found"        // the number is not in the org's inventory
	CodeLinkedElsewhere       Code = "linked_elsewhere"        // the number is linked to another target
	CodeNotLinked             Code = "not_linked"              // the number is not linked to that target
	CodeProviderNotConfigured Code = "provider_not_configured" // the org has no connection for the provider
)

// Outcome is what a finished job reports: workers write it as the asynq
// task's result when the job reaches a terminal state, and Client.Wait
// reads it back.
type Outcome struct {
	State   State           `json:"state"`
	Code    Code            `json:"code,omitempty"`    // set when State is StateFailed
	Message string          `json:"message,omitempty"` // safe to show; never holds secrets
	Data    json.RawMessage `json:"data,omitempty"`    // the job type's result, e.g. AddPhoneResult
}

// AddPhoneResult is the Data of a succeeded TypeAddPhone job.
type AddPhoneResult struct {
	NumberID    string    `json:"number_id"`
	UserID      string    `json:"user_id"`
	PhoneNumber string    `json:"phone_number"` // E.164
	Provider    string    `json:"provider"`
	CreatedAt   time.Time `json:"created_at"`
	// Existing is true when the job found the number already added by an
	// earlier run of itself (a retry after a crash), or by an earlier run of
	// its batch row (a retry of a row whose link failed).
	Existing bool `json:"existing,omitempty"`
	// TargetID and Link, for a job with AddPhone.TargetID, are the target
	// and how linking the added number to it went (the outcome an attach
	// job reports for the number; a failed job's Data has it too).
	TargetID string         `json:"target_id,omitempty"`
	Link     *NumberOutcome `json:"link,omitempty"`
}

// AttachResult is the Data of a TypeAttach job, succeeded or failed: one
// outcome per number, in the payload's order.
type AttachResult struct {
	TargetID string          `json:"target_id"`
	Numbers  []NumberOutcome `json:"numbers"`
}

// Per-number outcomes of an attach job.
const (
	NumberLinked        = "linked"         // linked by this job
	NumberAlreadyLinked = "already_linked" // was already linked to the target
	NumberFailed        = "failed"         // see Code and Message
	NumberSkipped       = "skipped"        // not attempted: another number failed validation
)

// NumberOutcome is what happened to one number of a job.
type NumberOutcome struct {
	Number   string    `json:"number"` // E.164
	Status   string    `json:"status"`
	Provider string    `json:"provider,omitempty"`
	LinkedAt time.Time `json:"linked_at,omitzero"`
	Code     Code      `json:"code,omitempty"`
	Message  string    `json:"message,omitempty"`
}

// UnlinkResult is the Data of a succeeded TypeUnlink job.
type UnlinkResult struct {
	TargetID string `json:"target_id"`
	Number   string `json:"number"`
	Deleted  bool   `json:"deleted"`
}

// DeleteTargetResult is the Data of a succeeded TypeDeleteTarget job.
type DeleteTargetResult struct {
	TargetID string `json:"target_id"`
	// Numbers are the numbers the job unlinked (E.164), in link order;
	// empty when the target had none.
	Numbers []string `json:"numbers"`
	Deleted bool     `json:"deleted"`
}

// ReconcileResult is the Data of a succeeded TypeReconcile job.
type ReconcileResult struct {
	Number   string `json:"number"`
	Route    string `json:"route"`             // the route the number should have
	Repaired bool   `json:"repaired"`          // the provider had drifted and was put back
	Skipped  string `json:"skipped,omitempty"` // why nothing was checked, e.g. a link in progress
}
