package jobs_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/jobs"
)

// TestCredentialsNestedNeverPrintSecret: a request holding credentials,
// logged or encoded whole, does not reveal the secret.
func TestCredentialsNestedNeverPrintSecret(t *testing.T) {
	const secret = "s3cr3t-token-value"
	req := jobs.AddPhoneRequest{Credentials: jobs.Credentials{AccountID: "AC1", Secret: secret}}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "req", req)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "req", req)
	b, _ := json.Marshal(req)
	buf.Write(b)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
		fmt.Fprintf(&buf, verb+"\n", req)
		fmt.Fprintf(&buf, verb+"\n", req.Credentials)
	}
	if strings.Contains(buf.String(), secret) || strings.Contains(buf.String(), fmt.Sprintf("%x", secret)) {
		t.Errorf("secret printed:\n%s", buf.String())
	}
}

// TestCredentialsFormatByVerb: %#v prints the Go-syntax form, every other
// verb the redacted String, so a %d or %x of credentials reads the same as
// %v, and only %#v names the type.
func TestCredentialsFormatByVerb(t *testing.T) {
	c := jobs.Credentials{AccountID: "AC1", Secret: "s3cr3t"}
	if got, want := fmt.Sprintf("%#v", c), c.GoString(); got != want || !strings.HasPrefix(got, "jobs.Credentials") {
		t.Errorf("%%#v = %q, want %q", got, want)
	}
	for _, verb := range []string{"%v", "%+v", "%s", "%d", "%x", "%q"} {
		if got := fmt.Sprintf(verb, c); got != c.String() {
			t.Errorf("%s = %q, want the String %q", verb, got, c.String())
		}
	}
}
