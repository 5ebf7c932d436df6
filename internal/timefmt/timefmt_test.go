package timefmt

import (
	"encoding/json"
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02T03:04:05.000Z"},
		{time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.UTC), "2026-01-02T03:04:05.999Z"},
		{time.Date(2026, 1, 2, 8, 34, 5, 120000000, time.FixedZone("IST", 19800)), "2026-01-02T03:04:05.120Z"},
	} {
		if got := Format(c.in); got != c.want {
			t.Errorf("Format(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestNormalizeJSON(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"created_at":"2026-01-02T03:04:05.123456789Z"}`, `{"created_at":"2026-01-02T03:04:05.123Z"}`},
		{`[{"a":{"linked_at":"2026-01-02T03:04:05Z"}}]`, `[{"a":{"linked_at":"2026-01-02T03:04:05.000Z"}}]`},
		{`{"created":"2026-01-02T03:04:05.123456789Z","n":1e400}`, `{"created":"2026-01-02T03:04:05.123456789Z","n":1e400}`},
		{`{"x_at":7,"y_at":"soon"}`, `{"x_at":7,"y_at":"soon"}`},
		{`not json`, `not json`},
		{`null`, `null`},
	} {
		if got := string(NormalizeJSON(json.RawMessage(c.in))); got != c.want {
			t.Errorf("NormalizeJSON(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}
