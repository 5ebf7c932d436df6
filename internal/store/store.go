// Package store defines switchboard's inventory: orgs and their API keys,
// users, provider connections, numbers, link targets (apps and agents),
// links, and the durable record of every job. Store is the one interface
// the worker and the API persist through; store/postgres and store/sqlite
// implement it, and store/storetest holds the conformance suite both pass.
//
// Invariants are kept by the database, not by checks in Go. Constraints: a
// number appears once per org, a number at a provider (its provider and
// provider_ref) is in one org's inventory at most, and a number has at
// most one link. Conditional upserts, one statement each: a finished job
// record is never rewritten, and an application id is never replaced by a
// save with a lower fence.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/switchboardhq/switchboard/jobs"
)

// ErrNotFound means no row matched (or it belongs to another org).
var ErrNotFound = errors.New("not found")

// ErrConflict means a uniqueness constraint refused the write: the number is
// already in the org's inventory, already linked, or the id is taken.
var ErrConflict = errors.New("conflict")

// ErrFinished means SaveJob found the record already finished (its stored
// state succeeded or failed) and left it as it was.
var ErrFinished = errors.New("the job record is finished")

// ErrStale means SaveApplication found a save with a higher fence already
// made, and changed nothing.
var ErrStale = errors.New("stale: a save with a higher fence came first")

// ErrManagedElsewhere means the number at the provider (its provider and
// ProviderRef) is already in another org's inventory. It is not an
// ErrConflict: that is the org's own duplicate.
var ErrManagedElsewhere = errors.New("the number is managed by another organization")

// Store persists the inventory. Every method that takes an orgID only sees
// that org's rows: another org's id answers ErrNotFound.
type Store interface {
	// InTx runs fn in one database transaction and commits it when fn
	// returns nil (rolls back otherwise, returning fn's error as is). The
	// Store fn gets is bound to the transaction: every method on it runs
	// inside it. Calling InTx on that Store runs fn directly inside the
	// same transaction (no nesting): its error is fn's error, and the
	// outermost InTx decides. A panic in fn rolls back and goes on.
	//
	// fn should return the errors it gets from tx, except those that only
	// say no row matched (ErrNotFound from a Get, an update or a delete,
	// ErrFinished, ErrStale). After any other, ErrConflict in particular, the
	// transaction may be over: PostgreSQL aborts a transaction at its
	// first failed statement, and the SQLite store does the same, so later
	// calls on tx fail and InTx rolls back and answers an error even if fn
	// returns nil.
	//
	// Isolation is PostgreSQL's READ COMMITTED (SQLite, with its one
	// writer, gives more): a row read inside fn may change before fn
	// writes, so constraints and conditional writes, not reads, must keep
	// concurrent transactions apart. tx is for one goroutine at a time (a
	// PostgreSQL transaction is one connection), and Close on it closes
	// nothing and answers an error. fn must read and write through tx, not
	// the Store InTx was called on: on SQLite the transaction holds the one
	// writer connection, so a write through the outer Store waits for it
	// until ctx ends. Keep transactions short and never wait on a provider
	// inside one: on SQLite every other write waits for the transaction.
	InTx(ctx context.Context, fn func(tx Store) error) error

	CreateOrg(ctx context.Context, name string) (Org, error)
	GetOrg(ctx context.Context, id int64) (Org, error)
	GetOrgByName(ctx context.Context, name string) (Org, error)

	// CreateAPIKey stores a key's hash; ErrConflict when k.ID is taken.
	CreateAPIKey(ctx context.Context, k APIKey) error
	// GetAPIKey finds a key by its public id (the caller compares hashes).
	GetAPIKey(ctx context.Context, id string) (APIKey, error)
	// ListAPIKeys returns the org's keys (their ids and hashes), oldest
	// first.
	ListAPIKeys(ctx context.Context, orgID int64) ([]APIKey, error)
	// DeleteAPIKey removes a key by its public id, so it authenticates no
	// more; ErrNotFound when there is no such key.
	DeleteAPIKey(ctx context.Context, id string) error

	// CreateUser adds a user; ErrConflict when u.ID is taken.
	CreateUser(ctx context.Context, u User) (User, error)
	GetUser(ctx context.Context, orgID int64, id string) (User, error)

	// UpsertConnection stores the org's credentials for one provider account,
	// replacing the sealed credentials of an existing (org, provider,
	// account) connection. It returns the stored row.
	UpsertConnection(ctx context.Context, c Connection) (Connection, error)
	GetConnection(ctx context.Context, orgID int64, id string) (Connection, error)
	// GetConnectionByAccount finds the org's connection to one provider
	// account; ErrNotFound when there is none.
	GetConnectionByAccount(ctx context.Context, orgID int64, provider, accountID string) (Connection, error)
	// ListConnections returns the org's connections, oldest first.
	ListConnections(ctx context.Context, orgID int64) ([]Connection, error)
	// ResealConnections walks every org's connections, a page at a time in
	// id order, and offers each to reseal (key rotation). When reseal
	// answers (sealed, true, nil) the connection's credentials become sealed
	// and its updated_at now, but only if its credentials are still those
	// reseal was given: a connection an UpsertConnection replaced meanwhile
	// keeps the new value. It returns how many connections it changed. An
	// error from reseal stops the walk and is returned as is. No read or
	// transaction is open while reseal runs, so reseal may use the store.
	// (On a transaction's Store the walk runs in that transaction, and
	// reseal may use only that Store.)
	ResealConnections(ctx context.Context, reseal func(Connection) (jobs.Sealed, bool, error)) (int, error)

	// CreateNumber adds a number in state n.State ("" is NumberActive).
	// ErrConflict when the org already has the number (its E.164) or n.ID
	// is taken; otherwise ErrManagedElsewhere when a number with the same
	// Provider and ProviderRef exists, in practice another org's (an empty
	// ProviderRef never collides). A number refused for both reasons is
	// ErrConflict. ErrNotFound when the user or the connection is not the
	// org's. Neither conflict ends a transaction the call runs in.
	CreateNumber(ctx context.Context, n Number) (Number, error)
	// GetNumber finds the org's number by E.164, in any state.
	GetNumber(ctx context.Context, orgID int64, e164 string) (Number, error)
	// UpdateNumberVoice records the voice configuration switchboard set
	// last; ErrNotFound for an unknown number. The state stays as it is.
	UpdateNumberVoice(ctx context.Context, orgID int64, numberID string, voice json.RawMessage) error
	// ActivateNumber sets the number's voice configuration and state
	// NumberActive, and updated_at; ErrNotFound for an unknown number.
	ActivateNumber(ctx context.Context, orgID int64, numberID string, voice json.RawMessage) error
	// DeleteNumber removes a number that has no link, only if its JobID is
	// jobID (a job releasing its own claim); ErrNotFound when no such row.
	DeleteNumber(ctx context.Context, orgID int64, numberID, jobID string) error
	// ListNumbers pages through numbers by id (ascending), across all orgs
	// when f.OrgID is 0 (the reconciler), in every state, with or without
	// a link.
	ListNumbers(ctx context.Context, f NumberFilter) ([]Number, error)

	// CreateTarget adds an app or an agent; ErrConflict when t.ID is taken.
	CreateTarget(ctx context.Context, t Target) (Target, error)
	// GetTarget finds a target that is not deleted.
	GetTarget(ctx context.Context, orgID int64, id string) (Target, error)
	// DeleteTarget marks a target deleted (Get no longer finds it; its
	// links stay until unlink jobs remove them). ErrNotFound when it does
	// not exist or is already deleted.
	DeleteTarget(ctx context.Context, orgID int64, id string) error

	// CreateLink links a number to a target; ErrConflict when the number
	// already has a link (to this target or another). Workers create a
	// link as LinkPending to claim the number before touching the provider.
	CreateLink(ctx context.Context, l Link) (Link, error)
	// GetLink returns the number's link, whatever its target.
	GetLink(ctx context.Context, orgID int64, numberID string) (Link, error)
	// SetLinkStatus changes a link's status and sets UpdatedAt; ErrNotFound
	// when the number has no link to targetID.
	SetLinkStatus(ctx context.Context, orgID int64, numberID, targetID, status string) (Link, error)
	// ActivateLink marks the number's LinkPending link to targetID
	// LinkActive. Activating the claim completes the link's creation, so
	// UpdatedAt stays as it was (nil for a new link: "null if never
	// updated", seed 000). An active link answers as it is; ErrNotFound
	// when the number has no link to targetID.
	ActivateLink(ctx context.Context, orgID int64, numberID, targetID string) (Link, error)
	// DeleteLink removes the number's link to targetID; ErrNotFound when the
	// number is not linked to that target.
	DeleteLink(ctx context.Context, orgID int64, numberID, targetID string) error
	// ListLinks returns a target's links with their numbers, oldest first;
	// only links of status when status is not "".
	ListLinks(ctx context.Context, orgID int64, targetID, status string) ([]LinkedNumber, error)
	// ListAvailableNumbers returns the org's NumberActive numbers that have
	// no link, ordered by E.164.
	ListAvailableNumbers(ctx context.Context, orgID int64) ([]Number, error)

	// GetApplication returns the provider's id of the application named
	// name that switchboard uses on connectionID; ErrNotFound if unknown.
	GetApplication(ctx context.Context, connectionID, name string) (string, error)
	// SaveApplication records (or replaces) the application id, unless a
	// save with a higher fence already happened: a save with fence lower
	// than the stored one changes nothing and returns ErrStale. fence 0
	// always loses to a positive stored fence and wins over 0; an equal
	// fence replaces. ErrNotFound for an unknown connection. Stale or not,
	// the id is kept for good among the connection's recorded applications
	// (ApplicationRecorded).
	SaveApplication(ctx context.Context, connectionID, name, appID string, fence int64) error
	// ApplicationRecorded reports whether appID was ever saved on
	// connectionID (under any name, replaced since or not): an application
	// switchboard put the connection's numbers on. An application of the
	// provider account that is not recorded is someone else's, whatever its
	// name: another org's on the same account, or the user's own.
	ApplicationRecorded(ctx context.Context, connectionID, appID string) (bool, error)

	// SaveJob inserts the record with j.ID, or replaces it while it is not
	// finished, keeping its created_at. Once the stored state is terminal
	// (jobs.StateSucceeded or jobs.StateFailed) a save changes nothing and
	// answers ErrFinished: a late or repeated run cannot rewrite an
	// outcome. A retry of the run reuses its record; another run of the
	// same request has a record of its own, with the same Request.
	SaveJob(ctx context.Context, j JobRecord) error
	GetJob(ctx context.Context, orgID int64, id string) (JobRecord, error)
	// ListJobs returns job records, newest first, filtered by f.
	ListJobs(ctx context.Context, f JobFilter) ([]JobRecord, error)
	// RequestCancel asks the run j.ID of org j.OrgID to stop: it records
	// by and at as the record's cancel request, unless the record is
	// finished, and returns the record. A run that has no record yet (no
	// attempt has ended) gets j, which must then describe it (state
	// pending), with the request. A second request keeps the first one's
	// by and at. A finished record is returned unchanged with ErrFinished.
	// SaveJob never changes a cancel request.
	RequestCancel(ctx context.Context, j JobRecord, by string, at time.Time) (JobRecord, error)
	// CountFailures counts the records of every org that failed for good
	// (their last save, updated_at) at or after since, by reason, provider
	// and org. Groups come ordered by count, largest first.
	CountFailures(ctx context.Context, since time.Time) ([]FailureCount, error)

	// ReadAddPhone reads what an add-phone attempt needs before it acts,
	// in one round trip where the database allows it: GetJob(orgID,
	// jobID), GetNumber(orgID, e164) and GetConnectionByAccount(orgID,
	// provider, accountID), each answer with its own error.
	ReadAddPhone(ctx context.Context, q AddPhoneQuery) AddPhoneReads

	// The admin dashboard's record of what admins did (admin.go).
	AdminLog

	// The HTTP API's idempotency keys (idempotency.go).
	IdempotencyKeys

	// Batch imports and their rows (batch.go).
	Batches

	// Ping checks the database is reachable.
	Ping(ctx context.Context) error
	Close() error
}

// AddPhoneQuery names the rows ReadAddPhone reads.
type AddPhoneQuery struct {
	OrgID               int64
	JobID               string // the run's job record
	E164                string // the org's number
	Provider, AccountID string // the org's connection
}

// AddPhoneReads are ReadAddPhone's answers; each error is what the
// single read would have answered (ErrNotFound when there is no row).
type AddPhoneReads struct {
	Job           JobRecord
	JobErr        error
	Number        Number
	NumberErr     error
	Connection    Connection
	ConnectionErr error
}

// Org is a tenant. API keys, users, numbers and targets belong to one.
type Org struct {
	ID        int64
	Name      string // unique
	CreatedAt time.Time
}

// APIKey is an org's key to the HTTP API. Only a hash of the secret part is
// stored; the key itself is shown once, at creation.
type APIKey struct {
	ID        string // public part of the key, used to find the row
	OrgID     int64
	Hash      []byte // SHA-256 of the whole key
	CreatedAt time.Time
}

// User owns numbers inside an org (seed 004 userId).
type User struct {
	ID        string // 24 hex characters
	OrgID     int64
	Name      string
	CreatedAt time.Time
}

// Connection is an org's credentials for one provider account, sealed.
// (org, provider, account) is unique.
type Connection struct {
	ID          string
	OrgID       int64
	Provider    string
	AccountID   string // Twilio Account SID, Plivo Auth ID; Telnyx: "key-" and a keyed fingerprint of the API key
	Credentials jobs.Sealed
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Number states. An add job inserts its number as NumberAdding to claim it
// before it touches the provider, and activates it when the provider
// routes the number; a job that fails for good deletes its claim.
const (
	NumberAdding = "ADDING" // claimed by an add job that has not finished configuring the provider
	NumberActive = "ACTIVE"
)

// Number is an owned number in an org's inventory. (org, e164) is unique,
// and so is (provider, provider_ref) across orgs when ProviderRef is set.
type Number struct {
	ID           string // 24 hex characters
	OrgID        int64
	UserID       string
	E164         string
	Provider     string
	ConnectionID string
	ProviderRef  string // the provider's id for the number
	// Voice is the configuration switchboard set; Original is what the
	// number had before, kept so unlinking or removal can restore it.
	Voice    json.RawMessage
	Original json.RawMessage
	// JobID is the RequestID of the job run that added the number: a retry
	// of that run finds its own row and completes instead of reporting a
	// duplicate, while a new request for the number is a duplicate.
	JobID     string
	State     string // NumberAdding or NumberActive
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Target kinds.
const (
	TargetApp   = "app"
	TargetAgent = "agent"
)

// Target is something a number can be linked to: an app (seeds 000-002)
// or a voice agent (seed 003).
type Target struct {
	ID        string
	OrgID     int64
	Kind      string // TargetApp or TargetAgent
	Name      string
	AnswerURL string
	HangupURL string
	CreatedAt time.Time
	DeletedAt *time.Time
}

// Link statuses. A pending link claims the number while the worker
// reconfigures the provider; it becomes active when the provider routes
// calls to the target.
const (
	LinkPending = "PENDING"
	LinkActive  = "ACTIVE"
)

// Link routes a number to a target. A number has at most one link.
type Link struct {
	OrgID     int64
	NumberID  string
	TargetID  string
	Status    string
	JobID     string
	CreatedAt time.Time
	UpdatedAt *time.Time
}

// JobRecord is the durable outcome of one run of a job: asynq forgets
// finished tasks, this table does not. Messages never contain credentials.
type JobRecord struct {
	ID       string // the asynq task id
	OrgID    int64
	Type     string
	Request  string // the request the run belongs to, shared by its runs; "" if none
	Numbers  []string
	State    jobs.State
	Attempts int
	// AttemptLog is the run's attempts that ended, oldest first, at most
	// MaxAttemptLog (the newest). Attempts also counts attempts cut off
	// by a crash, which left no entry.
	AttemptLog   []JobAttempt
	ErrorCode    jobs.Code
	ErrorMessage string
	Reason       string          // why it failed (a Reason* constant); "" while nothing failed
	Provider     string          // the provider it works on; "" if none (or not known yet)
	Result       json.RawMessage // the outcome data, for succeeded jobs
	Changes      json.RawMessage // provider configuration before/after
	CreatedAt    time.Time
	UpdatedAt    time.Time
	FinishedAt   *time.Time
	// CancelRequestedBy and CancelRequestedAt say who asked the run to
	// stop (an admin user, or "api") and when; "" and nil if nobody did.
	// The worker honours the request at the run's next attempt.
	CancelRequestedBy string
	CancelRequestedAt *time.Time
}

// JobAttempt is one ended attempt of a run: when it ran and how it ended
// (Code and Message empty for the attempt that succeeded).
type JobAttempt struct {
	N         int       `json:"n"` // the attempt's number in the run, from 1
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	Code      jobs.Code `json:"code,omitempty"`
	Message   string    `json:"message,omitempty"`
}

// MaxAttemptLog bounds JobRecord.AttemptLog, so a run that retries for a
// day keeps a small record.
const MaxAttemptLog = 50

// LinkedNumber is a link with its number's E.164 form.
type LinkedNumber struct {
	Link
	E164     string
	Provider string
}

// NumberFilter selects numbers for ListNumbers.
type NumberFilter struct {
	OrgID   int64  // 0: every org
	AfterID string // page after this id ("" from the start)
	Limit   int    // default 100
}

// JobFilter selects job records for ListJobs.
type JobFilter struct {
	OrgID int64      // 0: every org (the admin dashboard)
	State jobs.State // "": any
	Type  string     // "": any
	// Request selects the runs of one request, its history ("": any).
	Request  string
	Reason   string // "": any
	Provider string // "": any
	Number   string // records whose numbers hold this E.164 ("": any)
	// Since keeps the records saved last (updated_at) at or after it; for
	// a finished record, when it finished. Zero: any time.
	Since time.Time
	// Before pages backwards: records created before this one (by
	// created_at, then id). Zero value: the newest.
	Before *JobCursor
	Limit  int // default 50
}

// JobCursor is the position of a job record in ListJobs order.
type JobCursor struct {
	CreatedAt time.Time
	ID        string
}
