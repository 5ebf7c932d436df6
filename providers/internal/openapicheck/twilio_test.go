package openapicheck

import (
	"net/http"
	"testing"
)

// TestTwilioExamples checks Twilio's own 200 examples for the simulated
// operations against the patched schemas and the format validators, so
// the patches and validators accept what Twilio really sends and no more
// is relaxed than needed.
func TestTwilioExamples(t *testing.T) {
	spec, err := Twilio()
	if err != nil {
		t.Fatal(err)
	}
	ops := []struct{ path, method string }{
		{"/2010-04-01/Accounts/{Sid}.json", http.MethodGet},
		{"/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json", http.MethodGet},
		{"/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json", http.MethodGet},
		{"/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json", http.MethodPost},
	}
	for _, op := range ops {
		o := spec.Doc.Paths.Find(op.path).GetOperation(op.method)
		media := o.Responses.Status(200).Value.Content.Get("application/json")
		if len(media.Examples) == 0 {
			t.Errorf("%s %s: no examples", op.method, op.path)
		}
		for name, ex := range media.Examples {
			if err := media.Schema.Value.VisitJSON(ex.Value.Value, spec.Opts.SchemaValidationOptions...); err != nil {
				t.Errorf("%s %s example %s: %v", op.method, op.path, name, err)
			}
		}
	}

	// And the patch relaxes nothing but "".
	n := spec.Doc.Components.Schemas["api.v2010.account.incoming_phone_number"].Value
	for _, bad := range []any{
		map[string]any{"voice_application_sid": "AP123"},
		map[string]any{"date_created": "2015-07-30T23:19:04Z"},
		map[string]any{"voice_url": "not a url"},
		map[string]any{"phone_number": "call me"},
	} {
		if err := n.VisitJSON(bad, spec.Opts.SchemaValidationOptions...); err == nil {
			t.Errorf("%v passes the number schema", bad)
		}
	}
}
