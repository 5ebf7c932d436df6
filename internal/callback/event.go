package callback

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/switchboardhq/switchboard/internal/timefmt"
)

// Event is the body of a callback: a job reached a terminal state, or
// every row of a batch did.
type Event struct {
	// ID identifies the event; receivers deduplicate on it (NewEventID).
	ID string `json:"id"`
	// JobID is the job the event is about; BatchID the batch, for a
	// batch's completion (Type TypeBatchCompleted). One of them is set.
	JobID   string `json:"job_id,omitempty"`
	BatchID string `json:"batch_id,omitempty"`
	// Type is the job's type, e.g. "number:add", or TypeBatchCompleted.
	Type  string `json:"type"`
	OrgID int64  `json:"org_id"`
	// State is the job's terminal state: "succeeded" or "failed".
	State string `json:"state"`
	// Code and Message say why a job failed; both are safe to show.
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Data is the job type's result, as the API reports it.
	Data       json.RawMessage `json:"data,omitempty"`
	OccurredAt time.Time       `json:"occurred_at"`
}

// MarshalJSON writes the event with every timestamp in timefmt's one
// precision, as the HTTP API shows them: occurred_at, and the "*_at"
// members of Data (the worker records them with nanoseconds).
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event // without this method
	if len(e.Data) > 0 {
		e.Data = timefmt.NormalizeJSON(e.Data)
	}
	return json.Marshal(struct {
		plain
		OccurredAt string `json:"occurred_at"`
	}{plain(e), timefmt.Format(e.OccurredAt)})
}

// NewEventID returns a random event id: "evt_" and 24 hex characters.
func NewEventID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "evt_" + hex.EncodeToString(b)
}

// TypeBatchCompleted is the Type of a batch's completion event.
const TypeBatchCompleted = "batch:completed"

// Task is the payload of a jobs.TypeCallback task: deliver Event to URL.
type Task struct {
	URL   string `json:"url"`
	Event Event  `json:"event"`
}
