package store

import (
	"encoding/json"
	"fmt"
)

// AttemptLogJSON is log as the stores keep it: a JSON array, [] when
// empty, its times in UTC.
func AttemptLogJSON(log []JobAttempt) ([]byte, error) {
	if len(log) == 0 {
		return []byte("[]"), nil
	}
	out := make([]JobAttempt, len(log))
	for i, a := range log {
		a.StartedAt, a.EndedAt = a.StartedAt.UTC(), a.EndedAt.UTC()
		out[i] = a
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("attempt log: %w", err)
	}
	return b, nil
}

// ParseAttemptLog reads a stored attempt log; an empty one is nil.
func ParseAttemptLog(b []byte) ([]JobAttempt, error) {
	var log []JobAttempt
	if err := json.Unmarshal(b, &log); err != nil {
		return nil, fmt.Errorf("attempt log: %w", err)
	}
	if len(log) == 0 {
		return nil, nil
	}
	return log, nil
}
