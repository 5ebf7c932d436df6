package batch_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/internal/batch"
)

// FuzzReader reads arbitrary files as CSV and as JSON Lines: reading never
// panics and ends, every row and every LineError has a line, lines only go
// forward, and values are trimmed. The corpus is in testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	f.Add("phone_number,user_id\n+12125551234,u1\n", false)
	f.Add("\xef\xbb\xbfphone_number,provider\n\"+1 212\n555\",twilio\n", false)
	f.Add(`{"phone_number": 12125551234, "user_id": "u"}`+"\n[]\n", true)
	f.Fuzz(func(t *testing.T, file string, jsonl bool) {
		format := batch.CSV
		if jsonl {
			format = batch.JSONLines
		}
		r, err := batch.NewReader(strings.NewReader(file), format)
		if err != nil {
			if !errors.Is(err, batch.ErrFile) {
				t.Fatalf("NewReader: %v does not wrap ErrFile", err)
			}
			return
		}
		last := 0
		for range len(file) + 2 {
			row, err := r.Next()
			var le *batch.LineError
			line := row.Line
			switch {
			case err == io.EOF:
				return
			case errors.As(err, &le):
				line = le.Line
			case err != nil:
				if !errors.Is(err, batch.ErrFile) {
					t.Fatalf("Next: %v", err)
				}
				return
			default:
				for _, v := range []string{row.PhoneNumber, row.Provider, row.Account, row.UserID, row.TargetID} {
					if v != strings.TrimSpace(v) {
						t.Errorf("line %d: value %q is not trimmed", row.Line, v)
					}
				}
			}
			if line <= last {
				t.Fatalf("line %d after line %d", line, last)
			}
			last = line
		}
		t.Fatalf("reading did not end after %d rows", len(file)+2)
	})
}
