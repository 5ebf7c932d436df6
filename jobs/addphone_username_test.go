package jobs_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/jobs"
)

// TestAddPhoneIDUsername: the API key SID (Credentials.Username) is part of
// the request key, so two requests that differ only in it are two jobs; and
// a request without one keeps the key it had before Username existed (the
// nine parts alone), so a request retried across an upgrade joins its job.
func TestAddPhoneIDUsername(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	r := addPhoneReq()
	plain := e.addPhone(t, r)
	want := "add-" + e.keys.Fingerprint(jobs.TypeAddPhone, "1", r.UserID, "12125551234", r.Provider,
		r.Credentials.AccountID, r.Credentials.Secret, "false", "")
	if plain.Request != want {
		t.Errorf("request key without a Username = %s, want %s (the key from before Username)", plain.Request, want)
	}

	a, b := addPhoneReq(), addPhoneReq()
	a.Credentials.Username, b.Credentials.Username = "SK0123456789abcdef0123456789abcdef", "SK0123456789abcdef0123456789abcdee"
	ja, jb := e.addPhone(t, a), e.addPhone(t, b)
	if ja.Request == jb.Request || jb.Existing || ja.Request == plain.Request || ja.Existing {
		t.Errorf("Usernames %s / %s / none: request keys %s, %s, %s (Existing %v, %v); want three keys, two new jobs",
			a.Credentials.Username, b.Credentials.Username, ja.Request, jb.Request, plain.Request, ja.Existing, jb.Existing)
	}
}
