package store

import (
	"context"
	"time"
)

// Batches persists batch imports (internal/batch): a batch, and one row per
// line of its file with that line's outcome. Store embeds this interface.
//
// A batch's counters are never kept as numbers that could drift: they are
// counted from its rows (CountBatchRows), and each row's status changes by
// conditional updates only, so a row is counted once whatever crashes and
// replays happen. The worker moves a row to its terminal status in the
// transaction that records its job's outcome (FinishBatchRows).
type Batches interface {
	// CreateBatch inserts b and answers it and true; when the org already
	// has a batch with b.ID it answers that batch, unchanged, and false (an
	// import resumed). ErrConflict when another org's batch has the id.
	CreateBatch(ctx context.Context, b Batch) (Batch, bool, error)
	GetBatch(ctx context.Context, orgID int64, id string) (Batch, error)
	// ListBatches answers the n newest batches of every org (n <= 0: 50),
	// newest first, for the admin dashboard. Batches are one per imported
	// file, so the table is small and this reads it without an index.
	ListBatches(ctx context.Context, n int) ([]Batch, error)
	// SetBatchState sets the batch's state and the number of rows read
	// (when rows >= 0), and updated_at. A canceled batch stays canceled:
	// ErrFinished. ErrNotFound for an unknown batch.
	SetBatchState(ctx context.Context, orgID int64, id, state string, rows int) error

	// AddBatchRows inserts rows that are not recorded yet; a row whose
	// (batch, line) is recorded is left as it is, so reading a file again
	// changes no outcome. It answers the lines it inserted, ascending.
	AddBatchRows(ctx context.Context, rows []BatchRow) ([]int, error)
	// ListBatchRows pages through a batch's rows by line.
	ListBatchRows(ctx context.Context, f BatchRowFilter) ([]BatchRow, error)
	// SetBatchRowsStatus moves the batch's rows at lines whose status is
	// one of from to status to, and answers how many moved.
	SetBatchRowsStatus(ctx context.Context, orgID int64, batchID string, lines []int, from []string, to string) (int, error)
	// RetryBatchRow gives a RowFailed row its next run: status RowPending,
	// run and jobID as given. ErrNotFound unless the row is RowFailed with
	// run run-1.
	RetryBatchRow(ctx context.Context, orgID int64, batchID string, line, run int, jobID string) error
	// FinishBatchRows records a job's terminal outcome on the rows whose
	// current run it is, while they are RowPending or RowQueued: status is
	// RowSucceeded or RowFailed, code and reason say why a row failed. It
	// answers how many rows changed (0 for a job no batch row runs).
	FinishBatchRows(ctx context.Context, orgID int64, jobID, status, code, reason string) (int, error)
	// CountBatchRows counts the batch's rows by status and, for rows
	// RowInvalid or RowFailed, by code.
	CountBatchRows(ctx context.Context, orgID int64, batchID string) (BatchCounts, error)
	// NumbersInUse answers which of e164s the org already has, as a
	// number (any state) or as a row RowPending or RowQueued of a batch
	// other than batchID: for each, where it is.
	NumbersInUse(ctx context.Context, orgID int64, batchID string, e164s []string) (map[string]NumberUse, error)

	// NextBatchRound starts the batch's next round (a retry of its failed
	// rows) and answers it: its completion is called back again.
	NextBatchRound(ctx context.Context, orgID int64, id string) (int, error)
	// CompleteBatch, run in a transaction (InTx), marks the batch's current
	// round called back and answers it with the batch's counters, when the
	// batch has a CallbackURL, is BatchImported, has no row RowPending or
	// RowQueued and its round is not called back yet; otherwise false. Of
	// any number of transactions racing to finish a batch's last rows,
	// exactly one answers true (the callback's exactly-once decision): the
	// worker calls it in the transaction that finishes a row, the importer
	// after marking the batch imported.
	CompleteBatch(ctx context.Context, orgID int64, id string) (BatchCompletion, bool, error)
}

// BatchCompletion is a batch round's completion: what its callback reports.
type BatchCompletion struct {
	Round  int
	Counts BatchCounts
}

// Batch states. A batch is importing while its file is read and its rows
// enqueued, imported once every good row is enqueued, canceled when a user
// canceled it.
const (
	BatchImporting = "importing"
	BatchImported  = "imported"
	BatchCanceled  = "canceled"
)

// Batch is one import of a file.
type Batch struct {
	ID    string
	OrgID int64
	State string
	// The defaults of the file's rows: a row's empty provider, account or
	// target takes them.
	Provider string
	Account  string
	TargetID string
	Strict   bool
	// Rows is how many data rows the file had, once read; 0 before.
	Rows int
	// CallbackURL, when set, is called once when every row is terminal,
	// and again when each retry round (Round) completes; NotifiedRound is
	// the last round called back (-1: none).
	CallbackURL   string
	Round         int
	NotifiedRound int
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Batch row statuses. invalid and skipped are decided by validation and
// final; pending rows wait to be enqueued, queued ones have a job that has
// not finished; succeeded and failed are their job's outcome.
const (
	RowInvalid   = "invalid"   // refused by validation: Column, Code, Reason say why
	RowSkipped   = "skipped"   // the same row as an earlier line (Reason names it)
	RowPending   = "pending"   // valid, its job not enqueued yet
	RowQueued    = "queued"    // its job (JobID) is enqueued or running
	RowSucceeded = "succeeded" // its job succeeded
	RowFailed    = "failed"    // its job failed (Code, Reason)
	RowCanceled  = "canceled"  // the batch was canceled before its job started
)

// CodeLinkFailed is the code of a failed row whose number was added but
// could not be linked to the row's target: the number is in the inventory,
// on the default route; Reason says why the link failed, and a retry of
// the row links it (the add is not repeated).
const CodeLinkFailed = "link_failed"

// BatchRow is one data line of a batch's file, with the values it gave (so
// a failed row can be written back out and fixed) and its outcome.
type BatchRow struct {
	OrgID       int64
	BatchID     string
	Line        int // the line number in the file (the header is line 1 of a CSV file)
	PhoneNumber string
	Provider    string
	Account     string
	UserID      string
	TargetID    string
	// E164 and ConnectionID are what validation resolved the row to; empty
	// for an invalid row.
	E164         string
	ConnectionID string
	Status       string
	Column       string // the column an invalid row is refused for
	Code         string
	Reason       string
	// Run counts the row's runs from 0; JobID is the current run's task id.
	Run   int
	JobID string
}

// BatchRowFilter selects rows for ListBatchRows.
type BatchRowFilter struct {
	OrgID     int64
	BatchID   string
	Statuses  []string // nil: any
	AfterLine int      // rows after this line
	Limit     int      // default 100
}

// BatchCounts are a batch's rows counted.
type BatchCounts struct {
	ByStatus map[string]int
	// ByCode counts the invalid and failed rows by their code.
	ByCode map[string]int
}

// NumberUse says where a number is already: in the org's inventory, or in
// another batch's row that is pending or queued.
type NumberUse struct {
	BatchID string // "" for the inventory
	Line    int
}
