package twiliotest_test

// These tests drive the simulator with the real twilio-go SDK, the way
// switchboard's adapter does, every exchange validated against Twilio's
// OpenAPI description.

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	tt "github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

func TestSDKFetchAccount(t *testing.T) {
	forEachMount(t, func(t *testing.T, prefix string) {
		e := serve(t, tt.NewSandbox(), prefix)
		rc, _ := e.sdk(t, tt.SandboxAccountSID, tt.SandboxAuthToken)

		acct, err := rc.Api.FetchAccount(tt.SandboxAccountSID)
		must(t, err)
		got := map[string]string{
			"sid": *acct.Sid, "status": *acct.Status, "auth_token": *acct.AuthToken,
			"friendly_name": *acct.FriendlyName, "type": *acct.Type, "owner": *acct.OwnerAccountSid,
			"uri": *acct.Uri,
		}
		want := map[string]string{
			"sid": tt.SandboxAccountSID, "status": "active", "auth_token": tt.SandboxAuthToken,
			"friendly_name": "Switchboard Sandbox", "type": "Full", "owner": tt.SandboxAccountSID,
			"uri": "/2010-04-01/Accounts/" + tt.SandboxAccountSID + ".json",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("account (-want +got):\n%s", diff)
		}

		must(t, e.srv.SetAccountStatus(tt.SandboxAccountSID, tt.StatusSuspended))
		acct, err = rc.Api.FetchAccount(tt.SandboxAccountSID)
		must(t, err)
		if *acct.Status != "suspended" {
			t.Errorf("status %q after suspension", *acct.Status)
		}
		if n := e.srv.Calls()[tt.EndpointFetchAccount]; n != 2 {
			t.Errorf("%d account fetches counted, want 2", n)
		}
	})
}

func phoneNumbers(ns []api.ApiV2010IncomingPhoneNumber) []string {
	var out []string
	for _, n := range ns {
		out = append(out, *n.PhoneNumber)
	}
	return out
}

func TestSDKListMatchesPartially(t *testing.T) {
	forEachMount(t, func(t *testing.T, prefix string) {
		e := serve(t, tt.NewSandbox(), prefix)
		rc, _ := e.sdk(t, tt.SandboxAccountSID, tt.SandboxAuthToken)
		list := func(filter string) []api.ApiV2010IncomingPhoneNumber {
			t.Helper()
			ns, err := rc.Api.ListIncomingPhoneNumber(&api.ListIncomingPhoneNumberParams{PhoneNumber: ptr(filter), Limit: ptr(20)})
			must(t, err)
			return ns
		}

		for filter, want := range map[string][]string{
			"+1415555":     {tt.SandboxNumberSF, tt.SandboxNumberTrunked},
			"+1":           {tt.SandboxNumberNYC, tt.SandboxNumberDC, tt.SandboxNumberSF, tt.SandboxNumberTrunked},
			"5551234":      {tt.SandboxNumberNYC, tt.SandboxNumberDC},
			"+1415555019*": {tt.SandboxNumberTrunked},
			"+14155550100": {tt.SandboxNumberSF},
			"+19995550000": nil, // not owned: an empty list, not a 404
		} {
			if diff := cmp.Diff(want, phoneNumbers(list(filter))); diff != "" {
				t.Errorf("PhoneNumber=%s (-want +got):\n%s", filter, diff)
			}
		}

		// The exact match carries the number's state.
		ns := list(tt.SandboxNumberTrunked)
		want, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberTrunked)
		got := ns[0]
		if *got.Sid != want.SID || *got.AccountSid != tt.SandboxAccountSID || got.TrunkSid == nil || *got.TrunkSid != tt.SandboxTrunkSID {
			t.Errorf("trunked number %+v, want sid %s and trunk %s", got, want.SID, tt.SandboxTrunkSID)
		}
		if got.VoiceUrl != nil || *got.Status != "in-use" || !got.Capabilities.Voice || *got.FriendlyName != "(415) 555-0199" {
			t.Errorf("trunked number %+v: want no voice_url, in-use, voice-capable, friendly name (415) 555-0199", got)
		}
	})
}

func TestSDKListFollowsPages(t *testing.T) {
	forEachMount(t, func(t *testing.T, prefix string) {
		srv := tt.NewSandbox()
		var want []string
		for i := range 7 {
			e164 := fmt.Sprintf("+1303555010%d", i)
			_, err := srv.AddNumber(tt.SandboxAccountSID, e164)
			must(t, err)
			want = append(want, e164)
		}
		e := serve(t, srv, prefix)
		rc, vt := e.sdk(t, tt.SandboxAccountSID, tt.SandboxAuthToken)

		// PageSize 2, no limit: the SDK follows next_page_uri to the end.
		ns, err := rc.Api.ListIncomingPhoneNumber(&api.ListIncomingPhoneNumberParams{PhoneNumber: ptr("+1303555"), PageSize: ptr(2)})
		must(t, err)
		if diff := cmp.Diff(want, phoneNumbers(ns)); diff != "" {
			t.Errorf("all pages (-want +got):\n%s", diff)
		}
		if n := srv.Calls()[tt.EndpointListNumbers]; n != 4 {
			t.Errorf("%d page requests, want 4", n)
		}
		for i, x := range vt.Exchanges() {
			if i > 0 && !strings.Contains(x.URL, fmt.Sprintf("Page=%d&PageToken=PAPN", i)) {
				t.Errorf("page %d fetched as %s, want the next_page_uri with a PageToken", i, x.URL)
			}
		}

		// Limit 5 stops after the page that holds the fifth.
		srv.ResetCalls()
		ns, err = rc.Api.ListIncomingPhoneNumber(&api.ListIncomingPhoneNumberParams{PhoneNumber: ptr("+1303555"), PageSize: ptr(2), Limit: ptr(5)})
		must(t, err)
		if diff := cmp.Diff(want[:5], phoneNumbers(ns)); diff != "" {
			t.Errorf("limited (-want +got):\n%s", diff)
		}
		if n := srv.Reads(); n != 3 {
			t.Errorf("%d page requests, want 3", n)
		}
	})
}

func TestSDKUpdateVoice(t *testing.T) {
	forEachMount(t, func(t *testing.T, prefix string) {
		e := serve(t, tt.NewSandbox(), prefix)
		rc, _ := e.sdk(t, tt.SandboxAccountSID, tt.SandboxAuthToken)
		before, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberNYC)

		got, err := rc.Api.UpdateIncomingPhoneNumber(before.SID, &api.UpdateIncomingPhoneNumberParams{
			VoiceUrl:             ptr("https://switchboard.example.com/v1/voice/abc"),
			VoiceMethod:          ptr("POST"),
			VoiceFallbackUrl:     ptr("https://switchboard.example.com/v1/fallback/abc"),
			StatusCallback:       ptr("https://switchboard.example.com/v1/status/abc"),
			StatusCallbackMethod: ptr("POST"),
		})
		must(t, err)
		if *got.VoiceUrl != "https://switchboard.example.com/v1/voice/abc" || *got.SmsUrl != tt.SandboxSMSURL {
			t.Errorf("response voice_url %q sms_url %q", *got.VoiceUrl, *got.SmsUrl)
		}

		after, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberNYC)
		want := before
		want.VoiceURL = "https://switchboard.example.com/v1/voice/abc"
		want.VoiceFallbackURL = "https://switchboard.example.com/v1/fallback/abc"
		want.StatusCallback = "https://switchboard.example.com/v1/status/abc"
		want.DateUpdated = after.DateUpdated
		if diff := cmp.Diff(want, after); diff != "" {
			t.Errorf("state after update (-want +got):\n%s", diff)
		}
		if e.srv.AppliedWrites() != 1 || e.srv.Writes() != 1 {
			t.Errorf("writes %d applied %d, want 1 and 1", e.srv.Writes(), e.srv.AppliedWrites())
		}

		// Sending the same values again changes nothing.
		_, err = rc.Api.UpdateIncomingPhoneNumber(before.SID, &api.UpdateIncomingPhoneNumberParams{VoiceUrl: ptr("https://switchboard.example.com/v1/voice/abc")})
		must(t, err)
		if e.srv.AppliedWrites() != 1 {
			t.Errorf("a no-op update counted as applied")
		}

		// VoiceApplicationSid= detaches an application.
		app := "AP" + strings.Repeat("ab", 16)
		must(t, e.srv.UpdateNumber(tt.SandboxAccountSID, tt.SandboxNumberNYC, func(n *tt.Number) { n.VoiceApplicationSID = app }))
		got, err = rc.Api.UpdateIncomingPhoneNumber(before.SID, &api.UpdateIncomingPhoneNumberParams{VoiceApplicationSid: ptr("")})
		must(t, err)
		if *got.VoiceApplicationSid != "" {
			t.Errorf("voice_application_sid %q after clearing", *got.VoiceApplicationSid)
		}
	})
}

func TestSDKErrors(t *testing.T) {
	forEachMount(t, func(t *testing.T, prefix string) {
		srv := tt.NewSandbox()
		other := "AC" + strings.Repeat("0", 31) + "2"
		must(t, srv.AddAccount(other, "othertoken"))
		e := serve(t, srv, prefix)

		t.Run("wrong token", func(t *testing.T) {
			rc, _ := e.sdk(t, tt.SandboxAccountSID, "wrongtoken")
			_, err := rc.Api.FetchAccount(tt.SandboxAccountSID)
			te := restError(t, err, 401, 20003)
			if te.Message != "Authenticate" || te.MoreInfo != "https://www.twilio.com/docs/errors/20003" {
				t.Errorf("401 %+v", te)
			}
			_, err = rc.Api.ListIncomingPhoneNumber(&api.ListIncomingPhoneNumberParams{PhoneNumber: ptr(tt.SandboxNumberSF)})
			restError(t, err, 401, 20003)
		})

		t.Run("unknown number", func(t *testing.T) {
			rc, _ := e.sdk(t, tt.SandboxAccountSID, tt.SandboxAuthToken)
			pn := "PN" + strings.Repeat("0", 32)
			_, err := rc.Api.FetchIncomingPhoneNumber(pn, nil)
			te := restError(t, err, 404, 20404)
			want := "The requested resource /2010-04-01/Accounts/" + tt.SandboxAccountSID + "/IncomingPhoneNumbers/" + pn + ".json was not found"
			if te.Message != want {
				t.Errorf("message %q, want %q", te.Message, want)
			}
			_, err = rc.Api.UpdateIncomingPhoneNumber(pn, &api.UpdateIncomingPhoneNumberParams{VoiceUrl: ptr("https://example.com/v")})
			restError(t, err, 404, 20404)
		})

		t.Run("another account's numbers", func(t *testing.T) {
			rc, _ := e.sdk(t, other, "othertoken")
			_, err := rc.Api.ListIncomingPhoneNumber(&api.ListIncomingPhoneNumberParams{PathAccountSid: ptr(tt.SandboxAccountSID)})
			restError(t, err, 404, 20404)
			_, err = rc.Api.FetchAccount(tt.SandboxAccountSID)
			restError(t, err, 404, 20404)
		})
	})
}

func TestSDKFaults(t *testing.T) {
	forEachMount(t, func(t *testing.T, prefix string) {
		e := serve(t, tt.NewSandbox(), prefix)
		rc, vt := e.sdk(t, tt.SandboxAccountSID, tt.SandboxAuthToken)
		sf, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberSF)

		t.Run("429 with Retry-After", func(t *testing.T) {
			setFaults(t, e.srv, tt.Faults{RateLimitNext: 1, RetryAfter: 3})
			_, err := rc.Api.FetchAccount(tt.SandboxAccountSID)
			te := restError(t, err, 429, 20429)
			if te.Message != "Too Many Requests" {
				t.Errorf("message %q", te.Message)
			}
			if ra := vt.Last(t).Header.Get("Retry-After"); ra != "3" {
				t.Errorf("Retry-After %q, want 3", ra)
			}
			_, err = rc.Api.FetchAccount(tt.SandboxAccountSID) // the burst is over
			must(t, err)
		})

		t.Run("500", func(t *testing.T) {
			setFaults(t, e.srv, tt.Faults{ErrorRate: 1})
			_, err := rc.Api.ListIncomingPhoneNumber(&api.ListIncomingPhoneNumberParams{PhoneNumber: ptr(tt.SandboxNumberSF)})
			restError(t, err, 500, 20500)
			setFaults(t, e.srv, tt.Faults{})
		})

		t.Run("ambiguous write", func(t *testing.T) {
			setFaults(t, e.srv, tt.Faults{AmbiguousWrites: 1})
			e.srv.ResetCalls()
			_, err := rc.Api.UpdateIncomingPhoneNumber(sf.SID, &api.UpdateIncomingPhoneNumberParams{VoiceUrl: ptr("https://switchboard.example.com/v1/voice/x")})
			restError(t, err, 500, 20500)
			n, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberSF)
			if n.VoiceURL != "https://switchboard.example.com/v1/voice/x" || e.srv.AppliedWrites() != 1 {
				t.Errorf("voice_url %q, applied %d: the write should have been applied", n.VoiceURL, e.srv.AppliedWrites())
			}
			ns, err := rc.Api.ListIncomingPhoneNumber(&api.ListIncomingPhoneNumberParams{PhoneNumber: ptr(tt.SandboxNumberSF)})
			must(t, err)
			if *ns[0].VoiceUrl != "https://switchboard.example.com/v1/voice/x" {
				t.Errorf("a re-read shows voice_url %q", *ns[0].VoiceUrl)
			}
		})

		t.Run("timeout", func(t *testing.T) {
			setFaults(t, e.srv, tt.Faults{TimeoutRate: 1})
			defer setFaults(t, e.srv, tt.Faults{})
			rc, _ := e.sdkWithTimeout(t, tt.SandboxAccountSID, tt.SandboxAuthToken, 100*time.Millisecond)
			start := time.Now()
			_, err := rc.Api.FetchAccount(tt.SandboxAccountSID)
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("error %v, want a client timeout", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	})
}

func TestSDKSendsOnlyWhatItIsGiven(t *testing.T) {
	// The adapter relies on unsent fields being left alone: check the SDK
	// sends only the parameters set, so the simulator's "only what was
	// sent" rule is exercised.
	e := serve(t, tt.NewSandbox(), "")
	rc, vt := e.sdk(t, tt.SandboxAccountSID, tt.SandboxAuthToken)
	n, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberNYC)
	_, err := rc.Api.UpdateIncomingPhoneNumber(n.SID, &api.UpdateIncomingPhoneNumberParams{VoiceUrl: ptr("https://example.com/v")})
	must(t, err)
	if got := vt.Last(t); got.Method != "POST" || got.Status != 200 {
		t.Errorf("last exchange %s %d", got.Method, got.Status)
	}
	after, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberNYC)
	if after.SMSURL != tt.SandboxSMSURL || after.VoiceMethod != "POST" || after.StatusCallback != "" {
		t.Errorf("unsent fields changed: %+v", after)
	}
}

// TestSDKUpdateRefusesForeignApplicationAndTrunk: through twilio-go, a
// VoiceApplicationSid that is nonexistent or another account's (malformed
// ones, which break the spec, are in TestUpdateValidation)
// is refused with Twilio's 22108 ("Invalid Application SID"); a TrunkSid
// likewise, with 20001 (Twilio documents no code of its own for it). The
// number is left alone. The account's own application and trunk are
// taken, and a suspended or closed account's numbers refuse updates with
// 20005.
func TestSDKUpdateRefusesForeignApplicationAndTrunk(t *testing.T) {
	e := serve(t, tt.NewSandbox(), "")
	rc, _ := e.sdk(t, tt.SandboxAccountSID, tt.SandboxAuthToken)
	own := "AP" + strings.Repeat("a", 32)
	subs := "AP" + strings.Repeat("b", 32) // the subaccount's
	subTrunk := "TK" + strings.Repeat("c", 32)
	must(t, e.srv.AddApplication(tt.SandboxAccountSID, own))
	must(t, e.srv.AddApplication(tt.SandboxSubaccountSID, subs))
	must(t, e.srv.AddTrunk(tt.SandboxSubaccountSID, subTrunk))
	dc, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberDC)
	update := func(p *api.UpdateIncomingPhoneNumberParams) error {
		_, err := rc.Api.UpdateIncomingPhoneNumber(dc.SID, p)
		return err
	}

	for _, c := range []struct {
		name   string
		params *api.UpdateIncomingPhoneNumberParams
		code   int
	}{
		{"nonexistent application", (&api.UpdateIncomingPhoneNumberParams{}).SetVoiceApplicationSid("AP" + strings.Repeat("f", 32)), 22108},
		{"another account's application", (&api.UpdateIncomingPhoneNumberParams{}).SetVoiceApplicationSid(subs), 22108},
		{"nonexistent trunk", (&api.UpdateIncomingPhoneNumberParams{}).SetTrunkSid("TK" + strings.Repeat("f", 32)), 20001},
		{"another account's trunk", (&api.UpdateIncomingPhoneNumberParams{}).SetTrunkSid(subTrunk), 20001},
	} {
		t.Run(c.name, func(t *testing.T) {
			te := restError(t, update(c.params), 400, c.code)
			if c.code == 22108 && !strings.Contains(te.Message, "Invalid Application SID") {
				t.Errorf("message %q", te.Message)
			}
			if after, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberDC); after != dc {
				t.Errorf("a refused update changed the number:\n%s", cmp.Diff(dc, after))
			}
		})
	}

	must(t, update((&api.UpdateIncomingPhoneNumberParams{}).SetVoiceApplicationSid(own)))
	if n, _ := e.srv.Number(tt.SandboxAccountSID, tt.SandboxNumberDC); n.VoiceApplicationSID != own {
		t.Errorf("own application not set: %q", n.VoiceApplicationSID)
	}
	// The subaccount's own application and trunk, reached with the
	// parent's credentials, are the subaccount number's to take.
	subRC, _ := e.sdk(t, tt.SandboxAccountSID, tt.SandboxAuthToken)
	sub, _ := e.srv.Number(tt.SandboxSubaccountSID, tt.SandboxNumberSubaccount)
	_, err := subRC.Api.UpdateIncomingPhoneNumber(sub.SID, (&api.UpdateIncomingPhoneNumberParams{}).SetPathAccountSid(tt.SandboxSubaccountSID).SetTrunkSid(subTrunk))
	must(t, err)

	for _, status := range []tt.AccountStatus{tt.StatusSuspended, tt.StatusClosed} {
		must(t, e.srv.SetAccountStatus(tt.SandboxAccountSID, status))
		restError(t, update((&api.UpdateIncomingPhoneNumberParams{}).SetVoiceUrl("https://example.com/v")), 401, 20005)
		_, err := subRC.Api.UpdateIncomingPhoneNumber(sub.SID, (&api.UpdateIncomingPhoneNumberParams{}).SetPathAccountSid(tt.SandboxSubaccountSID).SetVoiceUrl("https://example.com/v"))
		restError(t, err, 401, 20005)
	}
}
