package twiliotest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/providers"
	tw "github.com/switchboardhq/switchboard/providers/twilio"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestAdapterSpeaksTwiliosAPI runs switchboard's Twilio adapter through
// every operation and failure it handles, with each request it sends and
// each response it gets validated against Twilio's OpenAPI description.
func TestAdapterSpeaksTwiliosAPI(t *testing.T) {
	e := serve(t, twiliotest.NewSandbox(), "")
	vt := newValidatingTransport(t, &rewriteTransport{base: e.base, next: http.DefaultTransport})
	a, err := tw.New(tw.Options{Transport: vt, UserAgent: "switchboard/test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	creds := providers.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: twiliotest.SandboxAuthToken}
	bad := providers.Credentials{AccountID: twiliotest.SandboxAccountSID, Secret: "wrongtoken"}
	route := providers.Route{Name: "switchboard-org1-default", VoiceURL: "https://platform.example.com/voice/inbound", StatusCallback: "https://platform.example.com/voice/status"}

	if err := a.ValidateCredentials(ctx, creds); err != nil {
		t.Fatal(err)
	}
	if k, _ := providers.KindOf(a.ValidateCredentials(ctx, bad)); k != providers.KindInvalidCredentials {
		t.Errorf("bad credentials: kind %v", k)
	}
	num, err := a.Lookup(ctx, creds, twiliotest.SandboxNumberNYC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.EnsureVoiceRoute(ctx, creds, num, route); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Lookup(ctx, creds, "+12125550000"); err == nil {
		t.Error("lookup of a number not owned succeeded")
	}
	trunked, err := a.Lookup(ctx, creds, twiliotest.SandboxNumberTrunked)
	if err != nil {
		t.Fatal(err)
	}
	route.Override = true
	if _, err := a.EnsureVoiceRoute(ctx, creds, trunked, route); err != nil {
		t.Fatal(err)
	}
	setFaults(t, e.srv, twiliotest.Faults{RateLimitNext: 1, RetryAfter: 2})
	if _, err := a.Lookup(ctx, creds, twiliotest.SandboxNumberNYC); err == nil {
		t.Error("rate-limited lookup succeeded")
	}

	log := vt.Exchanges()
	var posts int
	for _, x := range log {
		if x.Method == http.MethodPost {
			posts++
		}
	}
	if len(log) < 7 || posts != 2 {
		t.Errorf("validated %d exchanges with %d updates; want every operation covered", len(log), posts)
	}
	for _, x := range log {
		if !strings.Contains(x.URL, "/2010-04-01/Accounts/"+twiliotest.SandboxAccountSID) {
			t.Errorf("unexpected request %s %s", x.Method, x.URL)
		}
	}
}
