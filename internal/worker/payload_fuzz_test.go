package worker

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/jobs"
)

// FuzzDecodePayload feeds arbitrary payloads to the decoding of every job
// type a handler runs. Properties: it never panics; a payload it refuses is
// a permanent invalid_input failure (never retried, like a 4xx); one it
// accepts validates, and survives a round trip through JSON unchanged.
func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{
		`{"org_id":1,"user_id":"u","phone_number":"+12125551234","provider":"twilio","credentials":"sealed","request_id":"r"}`,
		`{"org_id":1,"target_id":"app_1","numbers":["+12125551234","+12025551234"],"override":true,"callback_url":"https://example.com/h"}`,
		`{"org_id":1,"target_id":"app_1","number":"+12125551234"}`,
		`{"org_id":1,"target_id":"app_1","callback_url":"https://example.com/h"}`,
		`{"org_id":1,"number":"+12125551234"}`,
		`{"org_id":-1}`, `{"org_id":1e400}`, `{"org_id":"1"}`, `{"numbers":null}`, `{"numbers":[""]}`,
		`null`, `[]`, `""`, ``, `{`, `{"org_id":1}{}`, "{\"user_id\":\"\xff\"}", `{"target_id":" "}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		task := asynq.NewTask("fuzz", raw)
		check(t, raw, decodePayload[jobs.AddPhone], task)
		check(t, raw, decodePayload[jobs.Attach], task)
		check(t, raw, decodePayload[jobs.Unlink], task)
		check(t, raw, decodePayload[jobs.DeleteTarget], task)
		check(t, raw, decodePayload[jobs.Reconcile], task)
	})
}

func check[P interface{ Validate() error }](t *testing.T, raw []byte, decode func(*asynq.Task) (P, error), task *asynq.Task) {
	t.Helper()
	p, err := decode(task)
	if err != nil {
		if je := categorize(err); !je.Permanent || je.Code != jobs.CodeInvalidInput {
			t.Fatalf("%T: payload %q refused with %+v, want a permanent %s", p, raw, je, jobs.CodeInvalidInput)
		}
		return
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("%T: payload %q accepted but does not validate: %v", p, raw, err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("%T: accepted payload %q does not encode: %v", p, raw, err)
	}
	again, err := decode(asynq.NewTask("fuzz", b))
	if err != nil || !reflect.DeepEqual(again, p) {
		t.Fatalf("%T: round trip of %q: %+v, %v; want %+v", p, raw, again, err, p)
	}
}
