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
