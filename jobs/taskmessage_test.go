package jobs

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"
)

// TestTaskMessageLeavesZeroValuesOut: as proto.Marshal writes asynq's
// TaskMessage, a field whose value is empty or zero is left out, not
// written as a field of length or value 0 (asynq's own bytes, which
// TestEnqueueAddPhonesAsAsynq compares with, never have an empty field).
func TestTaskMessageLeavesZeroValuesOut(t *testing.T) {
	t.Parallel()
	fields := func(b []byte) []protowire.Number {
		var out []protowire.Number
		for len(b) > 0 {
			num, typ, n := protowire.ConsumeTag(b)
			if n < 0 {
				t.Fatalf("malformed tag: %v", protowire.ParseError(n))
			}
			b = b[n:]
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				t.Fatalf("malformed field %d: %v", num, protowire.ParseError(n))
			}
			b = b[n:]
			out = append(out, num)
		}
		return out
	}
	for _, c := range []struct {
		name    string
		payload []byte
		opts    Options
		want    []protowire.Number
	}{
		{"every field", []byte(`{}`), Options{Queue: "q", MaxRetry: 3, Timeout: time.Minute, Retention: time.Hour}, []protowire.Number{1, 2, 3, 4, 5, 8, 12}},
		{"no payload, no retries", nil, Options{Queue: "q", Timeout: time.Minute}, []protowire.Number{1, 3, 4, 8}},
		{"no queue, no timeout", []byte(`{}`), Options{MaxRetry: 1, Retention: time.Hour}, []protowire.Number{1, 2, 3, 5, 12}},
	} {
		if diff := cmp.Diff(c.want, fields(taskMessage("add_phone", c.payload, "add-1", c.opts))); diff != "" {
			t.Errorf("%s: fields written (-want +got):\n%s", c.name, diff)
		}
	}
}
