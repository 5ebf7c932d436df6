// Package timefmt is switchboard's one precision for timestamps on the
// wire: ISO 8601 in UTC with milliseconds, "2025-05-15T10:30:00.000Z", as
// the seeds show them. The HTTP API and callback events both write every
// time this way; workers keep Go's full precision in what they store.
package timefmt

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// Layout is the format of every timestamp switchboard shows.
const Layout = "2006-01-02T15:04:05.000Z07:00"

// Format writes t in Layout, in UTC (truncated to the millisecond).
func Format(t time.Time) string { return t.UTC().Format(Layout) }

// NormalizeJSON rewrites the timestamps inside raw, a job's result data,
// in Layout. Workers store Go's RFC 3339 with nanoseconds; a member named
// "*_at" whose value parses as RFC 3339 is a timestamp, at any depth.
// Anything that does not decode is returned as it is, and so are numbers
// (json.Number keeps their digits).
func NormalizeJSON(raw json.RawMessage) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return raw
	}
	out, err := json.Marshal(normalize(v))
	if err != nil {
		return raw
	}
	return out
}

func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && strings.HasSuffix(k, "_at") {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					v[k] = Format(t)
					continue
				}
			}
			v[k] = normalize(x)
		}
	case []any:
		for i, x := range v {
			v[i] = normalize(x)
		}
	}
	return v
}
