package plivotest_test

// These tests drive the simulator with the real plivo-go SDK, the way
// switchboard's adapter does, for every simulated endpoint.

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	plivo "github.com/plivo/plivo-go/v7"

	pt "github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

var appIDPattern = regexp.MustCompile(`^[0-9]{17}$`)

func TestSDKAccount(t *testing.T) {
	forEachMount(t, func(t *testing.T, prefix string) {
		e := serve(t, pt.NewSandbox(), prefix)
		c, rt := e.sdk(t, pt.SandboxAuthID, pt.SandboxAuthToken)
		acct, err := c.Accounts.Get()
		must(t, err)
		got := map[string]string{"auth_id": acct.AuthID, "name": acct.Name, "type": acct.AccountType,
			"billing": acct.BillingMode, "credits": acct.CashCredits, "uri": acct.ResourceURI}
		want := map[string]string{"auth_id": pt.SandboxAuthID, "name": "Switchboard Sandbox", "type": "standard",
			"billing": "prepaid", "credits": "100.00000", "uri": "/v1/Account/" + pt.SandboxAuthID + "/"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("account (-want +got):\n%s", diff)
		}
		// plivo-go formats the account path with a doubled slash.
		if p := rt.log[0].Path; p != "/v1/Account/"+pt.SandboxAuthID+"//" {
			t.Errorf("the SDK sent %s", p)
		}

		bad, _ := e.sdk(t, pt.SandboxAuthID, "wrong")
		_, err = bad.Accounts.Get()
		if err == nil || err.Error() != `{"error":"authentication credentials were not provided"}` {
			t.Errorf("wrong token: %v", err)
		}
		if n := e.srv.Calls()[pt.EndpointGetAccount]; n != 2 {
			t.Errorf("%d account fetches counted", n)
		}
	})
}

func TestSDKNumber(t *testing.T) {
	forEachMount(t, func(t *testing.T, prefix string) {
		e := serve(t, pt.NewSandbox(), prefix)
		c, rt := e.sdk(t, pt.SandboxAuthID, pt.SandboxAuthToken)
		d := digits(pt.SandboxNumber3)
		n, err := c.Numbers.Get(d)
		must(t, err)
		if n.Number != d || !n.VoiceEnabled || !n.SMSEnabled || n.Application != "" || n.NumberType != "local" ||
			n.ResourceURI != "/v1/Account/"+pt.SandboxAuthID+"/Number/"+d+"/" {
			t.Errorf("number %+v", n)
		}

		appID, err := e.srv.AddApplication(pt.SandboxAuthID, pt.Application{AppName: "a", AnswerURL: "https://a.example.com/"})
		must(t, err)
		up, err := c.Numbers.Update(d, plivo.NumberUpdateParams{AppID: appID, Alias: "front desk"})
		must(t, err)
		if up.Message != "changed" || rt.log[len(rt.log)-1].Status != 202 {
			t.Errorf("update: %+v, status %d", up, rt.log[len(rt.log)-1].Status)
		}
		n, err = c.Numbers.Get(d)
		must(t, err)
		if n.Application != "/v1/Account/"+pt.SandboxAuthID+"/Application/"+appID+"/" || n.Alias != "front desk" {
			t.Errorf("after update: application %q alias %q", n.Application, n.Alias)
		}
		if got := e.srv.VoiceURL(pt.SandboxAuthID, pt.SandboxNumber3); got != "https://a.example.com/" {
			t.Errorf("VoiceURL %q", got)
		}

		// An unknown application, a number not rented.
		if _, err := c.Numbers.Update(d, plivo.NumberUpdateParams{AppID: "99999999999999999"}); err == nil || !strings.Contains(err.Error(), `"error":"not found"`) {
			t.Errorf("unknown app_id: %v", err)
		}
		if _, err := c.Numbers.Get("918000000099"); err == nil || !strings.Contains(err.Error(), `"error":"not found"`) {
			t.Errorf("number not rented: %v", err)
		}
		if s := rt.log[len(rt.log)-1].Status; s != 404 {
			t.Errorf("status %d", s)
		}
	})
}

func TestSDKApplications(t *testing.T) {
	forEachMount(t, func(t *testing.T, prefix string) {
		e := serve(t, pt.NewSandbox(), prefix)
		c, rt := e.sdk(t, pt.SandboxAuthID, pt.SandboxAuthToken)

		created, err := c.Applications.Create(plivo.ApplicationCreateParams{
			AppName: "switchboard-org1-default", AnswerURL: "https://a.example.com/answer", AnswerMethod: "POST",
			HangupURL: "https://a.example.com/hangup", HangupMethod: "POST",
		})
		must(t, err)
		if !appIDPattern.MatchString(created.AppID) || created.Message != "created" || rt.log[0].Status != 201 {
			t.Fatalf("create: %+v, status %d", created, rt.log[0].Status)
		}

		app, err := c.Applications.Get(created.AppID)
		must(t, err)
		want := plivo.Application{AppID: created.AppID, AppName: "switchboard-org1-default",
			AnswerURL: "https://a.example.com/answer", AnswerMethod: "POST",
			HangupURL: "https://a.example.com/hangup", HangupMethod: "POST",
			FallbackMethod: "POST", MessageMethod: "POST", ApiID: app.ApiID,
			ResourceURI: "/v1/Account/" + pt.SandboxAuthID + "/Application/" + created.AppID + "/"}
		if diff := cmp.Diff(want, *app); diff != "" {
			t.Errorf("get (-want +got):\n%s", diff)
		}

		// The name filter is exact.
		for name, n := range map[string]int{"switchboard-org1-default": 1, "switchboard-org1": 0, "switchboard-org1-defaultx": 0} {
			list, err := c.Applications.List(plivo.ApplicationListParams{AppName: name, Limit: 20})
			must(t, err)
			if len(list.Objects) != n || list.Meta.TotalCount != int64(n) {
				t.Errorf("app_name=%s: %d objects, total %d; want %d", name, len(list.Objects), list.Meta.TotalCount, n)
			}
		}

		up, err := c.Applications.Update(created.AppID, plivo.ApplicationUpdateParams{AnswerURL: "https://b.example.com/answer"})
		must(t, err)
		if up.Message != "changed" || rt.log[len(rt.log)-1].Status != 202 {
			t.Errorf("update: %+v", up)
		}
		got, _ := e.srv.Application(pt.SandboxAuthID, created.AppID)
		if got.AnswerURL != "https://b.example.com/answer" || got.HangupURL != "https://a.example.com/hangup" {
			t.Errorf("after update: %+v", got)
		}
		if _, err := c.Applications.Update("99999999999999999", plivo.ApplicationUpdateParams{AnswerURL: "https://b.example.com/"}); err == nil {
			t.Error("updating an unknown application succeeded")
		}
		if _, err := c.Applications.Get("99999999999999999"); err == nil {
			t.Error("fetching an unknown application succeeded")
		}

		// Names are not unique, as on Plivo.
		_, err = c.Applications.Create(plivo.ApplicationCreateParams{AppName: "switchboard-org1-default", AnswerURL: "https://a.example.com/answer"})
		must(t, err)
		if n := e.srv.Applications(pt.SandboxAuthID, "switchboard-org1-default"); n != 2 {
			t.Errorf("%d applications with the name", n)
		}
		// Validation: a name Plivo refuses.
		_, err = c.Applications.Create(plivo.ApplicationCreateParams{AppName: "bad name", AnswerURL: "https://a.example.com/"})
		if err == nil || rt.log[len(rt.log)-1].Status != 400 {
			t.Errorf("invalid name: %v", err)
		}
	})
}

func TestSDKApplicationPaging(t *testing.T) {
	e := serve(t, pt.NewSandbox(), sandboxPrefix)
	c, _ := e.sdk(t, pt.SandboxAuthID, pt.SandboxAuthToken)
	var ids []string
	for range 25 {
		id, err := e.srv.AddApplication(pt.SandboxAuthID, pt.Application{AppName: "dup", AnswerURL: "https://a.example.com/"})
		must(t, err)
		ids = append(ids, id)
	}
	_, err := e.srv.AddApplication(pt.SandboxAuthID, pt.Application{AppName: "other", AnswerURL: "https://a.example.com/"})
	must(t, err)

	var seen []string
	first, err := c.Applications.List(plivo.ApplicationListParams{AppName: "dup", Limit: 20})
	must(t, err)
	second, err := c.Applications.List(plivo.ApplicationListParams{AppName: "dup", Limit: 20, Offset: 20})
	must(t, err)
	for _, l := range []*plivo.ApplicationList{first, second} {
		for _, a := range l.Objects {
			seen = append(seen, a.AppID)
		}
	}
	// Newest first.
	var want []string
	for i := len(ids) - 1; i >= 0; i-- {
		want = append(want, ids[i])
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("ids over two pages (-want +got):\n%s", diff)
	}
	root := "/v1/Account/" + pt.SandboxAuthID + "/Application/"
	if first.Meta.Next == nil || *first.Meta.Next != root+"?app_name=dup&limit=20&offset=20" || first.Meta.Previous != nil || first.Meta.TotalCount != 25 {
		t.Errorf("first page meta %+v", first.Meta)
	}
	if second.Meta.Next != nil || second.Meta.Previous == nil || *second.Meta.Previous != root+"?app_name=dup&limit=20&offset=0" || second.Meta.Offset != 20 {
		t.Errorf("second page meta %+v", second.Meta)
	}
}

// TestSDKDefects shows the plivo-go defects the simulator reproduces and
// the adapter must contain (providers/plivo's edge_test.go).
func TestSDKDefects(t *testing.T) {
	t.Run("empty error body is a success", func(t *testing.T) {
		e := serve(t, pt.NewSandbox(), "")
		c, rt := e.sdk(t, pt.SandboxAuthID, pt.SandboxAuthToken)
		setFaults(t, e.srv, pt.Faults{ErrorRate: 1, EmptyErrorBody: true})
		acct, err := c.Accounts.Get()
		if err != nil || acct.AuthID != "" || rt.log[0].Status != 500 || rt.log[0].Body != "" {
			t.Errorf("got %+v, %v after an empty 500; the SDK should report neither", acct, err)
		}
	})
	t.Run("status is dropped", func(t *testing.T) {
		e := serve(t, pt.NewSandbox(), "")
		c, _ := e.sdk(t, pt.SandboxAuthID, pt.SandboxAuthToken)
		setFaults(t, e.srv, pt.Faults{RateLimitNext: 1, RetryAfter: 3})
		_, err := c.Numbers.Get(digits(pt.SandboxNumber1))
		if err == nil || !regexp.MustCompile(`^\{"api_id":"[0-9a-f-]{36}","error":"too many requests"\}$`).MatchString(err.Error()) {
			t.Errorf("429: %v; want the bare body", err)
		}
	})
	t.Run("application creates are resent after a 5xx", func(t *testing.T) {
		e := serve(t, pt.NewSandbox(), "")
		c, rt := e.sdk(t, pt.SandboxAuthID, pt.SandboxAuthToken)
		setFaults(t, e.srv, pt.Faults{AmbiguousCreates: 3})
		resp, err := c.Applications.Create(plivo.ApplicationCreateParams{AppName: "dup", AnswerURL: "https://a.example.com/"})
		if err != nil || resp.AppID != "" {
			t.Errorf("create: %+v, %v; want no error and no app_id", resp, err)
		}
		if n := e.srv.Applications(pt.SandboxAuthID, "dup"); n != 3 || len(rt.log) != 3 {
			t.Errorf("%d applications from %d requests; want 3 and 3", n, len(rt.log))
		}
	})
}
