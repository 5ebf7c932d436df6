package jobs_test

import (
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/jobs"
)

// TestCredentialsUsernameSealed: a Twilio API key SID (Username) is sealed
// and opened with the secret, and printed (it is not a secret); values
// sealed without it open with it empty.
func TestCredentialsUsernameSealed(t *testing.T) {
	kr := mustRing(t, "k1:"+stdKey(1))
	c := jobs.Credentials{AccountID: "AC1", Username: "SK1", Secret: "keysecret"}
	sealed, err := kr.SealCredentials(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := kr.OpenCredentials(sealed)
	if err != nil || got != c {
		t.Fatalf("opened %v (%v), want %v", got, err, c)
	}
	if s := c.String(); !strings.Contains(s, "SK1") || strings.Contains(s, "keysecret") {
		t.Errorf("String() = %q", s)
	}
	old, err := kr.SealCredentials(jobs.Credentials{AccountID: "AC1", Secret: "token"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := kr.OpenCredentials(old); err != nil || got.Username != "" || got.Secret != "token" {
		t.Errorf("opened %v (%v)", got, err)
	}
}
