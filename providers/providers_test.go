package providers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

func TestCredentialsNeverPrintSecret(t *testing.T) {
	const secret = "s3cr3t-token-value"
	holder := struct{ Creds providers.Credentials }{providers.Credentials{AccountID: "AC1", Secret: secret}}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "h", holder, "c", holder.Creds)
	b, _ := json.Marshal(holder)
	buf.Write(b)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
		fmt.Fprintf(&buf, verb+"\n", holder)
	}
	if strings.Contains(buf.String(), secret) || strings.Contains(buf.String(), fmt.Sprintf("%x", secret)) {
		t.Errorf("secret printed:\n%s", buf.String())
	}
}

func TestRouteName(t *testing.T) {
	if got := providers.RouteName(42, "t/ab c"); got != "switchboard-org42-t_ab_c" || !providers.Managed(got) {
		t.Errorf("RouteName = %q", got)
	}
	if providers.Managed("acme-sip-trunk") {
		t.Error("a foreign name counts as managed")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{"": 0, "3": 3 * time.Second, "-1": 0, "soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second}
	for in, want := range cases {
		if got := providers.ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}
