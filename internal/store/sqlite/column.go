package sqlite

import (
	"encoding/json"
	"fmt"
	"time"
)

// timeFormat is RFC 3339 with a fixed nine-digit fraction. Fixed width, and
// always UTC, means text order is time order; time.RFC3339Nano trims
// trailing zeros and would not sort.
const timeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// timeValue is t as stored.
func timeValue(t time.Time) string {
	return t.UTC().Format(timeFormat)
}

// nullTimeValue is t as stored, NULL when t is nil.
func nullTimeValue(t *time.Time) any {
	if t == nil {
		return nil
	}
	return timeValue(*t)
}

// orNow is t, or the current time when t is zero: what a created_at or
// updated_at the caller left unset becomes.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t
}

// timeColumn scans a TEXT timestamp into a time.Time, in UTC.
type timeColumn struct{ t *time.Time }

func (c timeColumn) Scan(src any) error {
	s, ok := src.(string)
	if !ok {
		return fmt.Errorf("timestamp: want TEXT, got %T", src)
	}
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return err
	}
	*c.t = t.UTC()
	return nil
}

// nullTimeColumn scans a nullable TEXT timestamp; NULL becomes nil.
type nullTimeColumn struct{ t **time.Time }

func (c nullTimeColumn) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeColumn{&t}).Scan(src); err != nil {
		return err
	}
	*c.t = &t
	return nil
}

// jsonValue is m as stored: TEXT, or NULL when m is nil.
func jsonValue(m json.RawMessage) any {
	if m == nil {
		return nil
	}
	return string(m)
}

// jsonColumn scans a nullable TEXT JSON column; NULL becomes nil.
// database/sql will not scan TEXT into a json.RawMessage by itself.
type jsonColumn struct{ m *json.RawMessage }

func (c jsonColumn) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.m = nil
	case string:
		*c.m = json.RawMessage(v)
	case []byte:
		*c.m = append(json.RawMessage(nil), v...) // the driver may reuse v
	default:
		return fmt.Errorf("json: want TEXT, got %T", src)
	}
	return nil
}
