package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/worker/workertest"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestAddPhoneTwilioAPIKeyAndSubaccount: Twilio numbers can be added with
// an API key (apiKey, apiSecret) instead of the auth token, and a
// subaccount's number (accSId the subaccount) with the parent's SID and
// token. The key travels sealed and is stored on the connection; the
// secret never appears in plain text.
func TestAddPhoneTwilioAPIKeyAndSubaccount(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPI(t, env, 20*time.Second, nil)
	auth := map[string]string{"Authorization": "Bearer " + e.key}
	for name, c := range map[string]struct {
		phone, accSID, key, secret string
	}{
		"API key":    {"+12025551234", twiliotest.SandboxAccountSID, twiliotest.SandboxAPIKeySID, twiliotest.SandboxAPIKeySecret},
		"subaccount": {twiliotest.SandboxNumberSubaccount, twiliotest.SandboxSubaccountSID, twiliotest.SandboxAccountSID, twiliotest.SandboxAuthToken},
	} {
		body := map[string]any{"userId": workertest.UserID, "phoneNumber": c.phone, "integration": "twilio",
			"accSId": c.accSID, "apiKey": c.key, "apiSecret": c.secret}
		if code, out := e.do(t, "POST", "/api/call/add-phone", auth, body); code != 201 {
			t.Fatalf("%s: %d %v", name, code, out)
		}
		n, _ := env.Twilio.Number(c.accSID, c.phone)
		if !strings.HasSuffix(n.VoiceURL, "/voice/inbound") {
			t.Errorf("%s: number routes to %q", name, n.VoiceURL)
		}
		conn, creds := storedConnection(t, env, c.phone)
		if creds != (jobs.Credentials{AccountID: c.accSID, Username: c.key, Secret: c.secret}) || strings.Contains(string(conn.Credentials), c.secret) {
			t.Errorf("%s: stored connection %s for account %s", name, creds, conn.AccountID)
		}
	}
}

// TestAddPhoneAPIKeyShapes: apiKey and apiSecret are refused with a 400,
// before anything is enqueued, when they cannot be Twilio key credentials.
func TestAddPhoneAPIKeyShapes(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPI(t, env, 20*time.Second, nil)
	auth := map[string]string{"Authorization": "Bearer " + e.key}
	with := func(integration, token, key, secret string) map[string]any {
		return map[string]any{"userId": workertest.UserID, "phoneNumber": "12025551234", "integration": integration,
			"accSId": twiliotest.SandboxAccountSID, "authToken": token, "apiKey": key, "apiSecret": secret}
	}
	for name, c := range map[string]struct {
		body   map[string]any
		detail string
	}{
		"not Twilio":       {with("plivo", "", twiliotest.SandboxAPIKeySID, "x"), "apiKey and apiSecret are for Twilio only"},
		"both":             {with("twilio", "tok", twiliotest.SandboxAPIKeySID, "x"), "send either authToken or apiKey"},
		"key alone":        {with("twilio", "", twiliotest.SandboxAPIKeySID, ""), "apiKey and apiSecret go together"},
		"secret alone":     {with("twilio", "", "", "x"), "apiKey and apiSecret go together"},
		"not a key SID":    {with("twilio", "", "SK123", "x"), "apiKey must be a Twilio API key SID"},
		"own account":      {with("twilio", "", twiliotest.SandboxAccountSID, "x"), "apiKey must be a Twilio API key SID"},
		"secret has space": {with("twilio", "", twiliotest.SandboxAPIKeySID, "a b"), "authToken must be at most 256"},
	} {
		code, body := e.do(t, "POST", "/api/call/add-phone", auth, c.body)
		detail, _ := body["errorMessage"].(string)
		if code != 400 || !strings.HasPrefix(detail, c.detail) {
			t.Errorf("%s: %d %v, want 400 with %q", name, code, body, c.detail)
		}
	}
}

// TestAddPhoneTwilioRegion: region names the Twilio Region of accSId. It
// travels sealed with the credentials, makes the account another
// connection than the same SID in US1 (Twilio's regions are isolated),
// and is refused with a 400 when unknown or not for Twilio.
func TestAddPhoneTwilioRegion(t *testing.T) {
	t.Parallel()
	env := workertest.Start(t, workertest.Backends()[0].Open(t))
	e := startAPI(t, env, 20*time.Second, nil)
	auth := map[string]string{"Authorization": "Bearer " + e.key}
	add := func(phone, region string) (int, map[string]any) {
		return e.do(t, "POST", "/api/call/add-phone", auth, map[string]any{"userId": workertest.UserID, "phoneNumber": phone,
			"integration": "twilio", "accSId": twiliotest.SandboxAccountSID, "authToken": twiliotest.SandboxAuthToken, "region": region})
	}
	if code, out := add(twiliotest.SandboxNumberDC, "ie1"); code != 201 {
		t.Fatalf("ie1: %d %v", code, out)
	}
	if code, out := add(twiliotest.SandboxNumberSF, "us1"); code != 201 {
		t.Fatalf("us1: %d %v", code, out)
	}
	ie, ieCreds := storedConnection(t, env, twiliotest.SandboxNumberDC)
	us, usCreds := storedConnection(t, env, twiliotest.SandboxNumberSF)
	if ie.AccountID != twiliotest.SandboxAccountSID+"@ie1" || ieCreds.Region != "ie1" {
		t.Errorf("IE1 connection %q, region %q", ie.AccountID, ieCreds.Region)
	}
	if us.AccountID != twiliotest.SandboxAccountSID || usCreds.Region != "" {
		t.Errorf("US1 connection %q, region %q", us.AccountID, usCreds.Region)
	}

	for name, c := range map[string]struct {
		integration, accSID, region, detail string
	}{
		"unknown":    {"twilio", twiliotest.SandboxAccountSID, "eu1", "region must be one of us1, au1, ie1, jp1"},
		"edge name":  {"twilio", twiliotest.SandboxAccountSID, "dublin", "region must be one of"},
		"not Twilio": {"telnyx", "", "ie1", "region is for Twilio only"},
	} {
		code, body := e.do(t, "POST", "/api/call/add-phone", auth, map[string]any{"userId": workertest.UserID, "phoneNumber": "+12025559999",
			"integration": c.integration, "accSId": c.accSID, "authToken": "tok", "region": c.region})
		detail, _ := body["errorMessage"].(string)
		if code != 400 || !strings.HasPrefix(detail, c.detail) {
			t.Errorf("%s: %d %v, want 400 with %q", name, code, body, c.detail)
		}
	}
}

// storedConnection returns the connection of the org's number phone, and
// its opened credentials.
func storedConnection(t *testing.T, env *workertest.Env, phone string) (store.Connection, jobs.Credentials) {
	t.Helper()
	row, err := env.Store.GetNumber(context.Background(), env.OrgID, phone)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := env.Store.GetConnection(context.Background(), env.OrgID, row.ConnectionID)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := env.Keys.OpenCredentials(conn.Credentials)
	if err != nil {
		t.Fatal(err)
	}
	return conn, creds
}
