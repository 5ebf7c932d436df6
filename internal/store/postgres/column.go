package postgres

import (
	"encoding/json"
	"time"
)

// Timestamps the caller leaves zero are filled by the database:
// statements write COALESCE($n, now()), and timeArg turns the zero time
// into the NULL that selects now(). Within one statement now() is one
// instant, so an unset created_at and updated_at come out equal.
func timeArg(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// numbersArg is a job's numbers as the JSON array the jsonb column holds;
// nil is stored as [].
func numbersArg(numbers []string) (json.RawMessage, error) {
	if numbers == nil {
		return json.RawMessage("[]"), nil
	}
	return json.Marshal(numbers)
}
