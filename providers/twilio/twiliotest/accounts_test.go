package twiliotest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	tt "github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestAccountsAndKeys pins who reaches what: an API key its account's
// numbers but not the account fetch, a main account its subaccount, a
// subaccount not its parent, nobody a suspended account's numbers; and
// PageSize above the spec's maximum of 1000 is refused.
func TestAccountsAndKeys(t *testing.T) {
	sim := tt.NewSandbox()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	get := func(user, pass, path string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	numbers := func(sid string) string { return "/2010-04-01/Accounts/" + sid + "/IncomingPhoneNumbers.json" }
	account := func(sid string) string { return "/2010-04-01/Accounts/" + sid + ".json" }
	for _, c := range []struct {
		name, user, pass, path string
		want                   int
	}{
		{"key, its numbers", tt.SandboxAPIKeySID, tt.SandboxAPIKeySecret, numbers(tt.SandboxAccountSID), 200},
		{"key, wrong secret", tt.SandboxAPIKeySID, "nope", numbers(tt.SandboxAccountSID), 401},
		{"key, account fetch", tt.SandboxAPIKeySID, tt.SandboxAPIKeySecret, account(tt.SandboxAccountSID), 401},
		{"key, subaccount", tt.SandboxAPIKeySID, tt.SandboxAPIKeySecret, numbers(tt.SandboxSubaccountSID), 404},
		{"parent, subaccount", tt.SandboxAccountSID, tt.SandboxAuthToken, numbers(tt.SandboxSubaccountSID), 200},
		{"subaccount, parent", tt.SandboxSubaccountSID, tt.SandboxSubaccountAuthToken, numbers(tt.SandboxAccountSID), 404},
		{"page size 1000", tt.SandboxAccountSID, tt.SandboxAuthToken, numbers(tt.SandboxAccountSID) + "?PageSize=1000", 200},
		{"page size 1001", tt.SandboxAccountSID, tt.SandboxAuthToken, numbers(tt.SandboxAccountSID) + "?PageSize=1001", 400},
	} {
		if got := get(c.user, c.pass, c.path); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if err := sim.SetAccountStatus(tt.SandboxAccountSID, tt.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"numbers": numbers(tt.SandboxAccountSID), "subaccount's numbers": numbers(tt.SandboxSubaccountSID)} {
		if got := get(tt.SandboxAccountSID, tt.SandboxAuthToken, path); got != 401 {
			t.Errorf("suspended, %s: %d, want 401 (20005)", name, got)
		}
	}
	if got := get(tt.SandboxAccountSID, tt.SandboxAuthToken, account(tt.SandboxAccountSID)); got != 200 {
		t.Errorf("suspended, account fetch: %d, want 200 (it reports the status)", got)
	}
}
