package plivotest_test

// Subaccounts: a main account's credentials reach its subaccounts'
// numbers (sub_account set) and, with the subaccount parameter, their
// applications; a subaccount's credentials reach only its own resources.

import (
	"strings"
	"testing"
	"time"

	plivo "github.com/plivo/plivo-go/v7"

	pt "github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

func subURL(path string) string { return apiBase + pt.SandboxSubaccountAuthID + "/" + path }

func TestSubaccounts(t *testing.T) {
	e := serve(t, pt.NewSandbox(), sandboxPrefix)
	main, rt := e.sdk(t, pt.SandboxAuthID, pt.SandboxAuthToken)
	hc, _ := e.httpClient(10 * time.Second)
	subDigits := digits(pt.SandboxSubaccountNumber)
	subURI := "/v1/Account/" + pt.SandboxAuthID + "/Subaccount/" + pt.SandboxSubaccountAuthID + "/"
	last := func() int { return rt.log[len(rt.log)-1].Status }

	// The main account sees the subaccount's number, marked as such; its
	// own numbers have sub_account null.
	if n := get(t, hc, sandboxURL("Number/"+subDigits+"/")); n["sub_account"] != subURI || n["number"] != subDigits {
		t.Errorf("subaccount number seen by the main account: %v", n)
	}
	if n := get(t, hc, sandboxURL("Number/"+digits(pt.SandboxNumber1)+"/")); n["sub_account"] != nil {
		t.Errorf("main number: sub_account %v", n["sub_account"])
	}

	// An application created with subaccount belongs to the subaccount:
	// listed with subaccount, not without. plivo-go has no subaccount on
	// create, so this one is raw JSON, as the SDK would send it.
	status, _, body := call(t, hc, "POST", sandboxURL("Application/"), pt.SandboxAuthID, pt.SandboxAuthToken,
		map[string]any{"app_name": "switchboard-org1-default", "answer_url": "https://a.example.com/answer", "subaccount": pt.SandboxSubaccountAuthID})
	if status != 201 {
		t.Fatalf("create in the subaccount: %d %s", status, body)
	}
	subApp, _ := decode(t, body)["app_id"].(string)
	if _, ok := e.srv.Application(pt.SandboxSubaccountAuthID, subApp); !ok {
		t.Fatalf("application %s is not the subaccount's", subApp)
	}
	list, err := main.Applications.List(plivo.ApplicationListParams{Subaccount: pt.SandboxSubaccountAuthID, AppName: "switchboard-org1-default"})
	must(t, err)
	if len(list.Objects) != 1 || list.Objects[0].AppID != subApp {
		t.Errorf("subaccount list: %+v", list.Objects)
	}
	list, err = main.Applications.List(plivo.ApplicationListParams{AppName: "switchboard-org1-default"})
	must(t, err)
	if len(list.Objects) != 0 {
		t.Errorf("main list holds the subaccount's application: %+v", list.Objects)
	}
	if a := get(t, hc, sandboxURL("Application/"+subApp+"/")); a["sub_account"] != subURI {
		t.Errorf("subaccount application: %v", a)
	}

	// The number takes the subaccount's application, not the main
	// account's.
	mainApp, err := e.srv.AddApplication(pt.SandboxAuthID, pt.Application{AppName: "main", AnswerURL: "https://main.example.com/"})
	must(t, err)
	if _, err := main.Numbers.Update(subDigits, plivo.NumberUpdateParams{AppID: mainApp}); err == nil || last() != 404 {
		t.Errorf("attaching the main account's application: %v, %d", err, last())
	}
	if _, err := main.Numbers.Update(subDigits, plivo.NumberUpdateParams{AppID: subApp}); err != nil {
		t.Fatal(err)
	}
	for _, acct := range []string{pt.SandboxAuthID, pt.SandboxSubaccountAuthID} {
		if got := e.srv.VoiceURL(acct, pt.SandboxSubaccountNumber); got != "https://a.example.com/answer" {
			t.Errorf("VoiceURL as %s: %q", acct, got)
		}
	}
	if n, err := main.Numbers.Get(subDigits); err != nil || n.Application != "/v1/Account/"+pt.SandboxSubaccountAuthID+"/Application/"+subApp+"/" {
		t.Errorf("number: %+v %v", n, err)
	}

	// The subaccount's own credentials reach its number, not the main
	// account's, and may not name a subaccount.
	sub, srt := e.sdk(t, pt.SandboxSubaccountAuthID, pt.SandboxSubaccountAuthToken)
	if n, err := sub.Numbers.Get(subDigits); err != nil || n.Number != subDigits {
		t.Errorf("subaccount's own number: %+v %v", n, err)
	}
	if _, err := sub.Numbers.Get(digits(pt.SandboxNumber1)); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("main number seen by the subaccount: %v", err)
	}
	if _, err := sub.Applications.List(plivo.ApplicationListParams{Subaccount: pt.SandboxSubaccountAuthID}); err == nil || srt.log[len(srt.log)-1].Status != 400 {
		t.Errorf("subaccount naming a subaccount: %v", err)
	}
	if s, _, b := call(t, hc, "GET", subURL("Number/"+subDigits+"/"), pt.SandboxAuthID, pt.SandboxAuthToken, nil); s != 404 {
		t.Errorf("main credentials on the subaccount's path: %d %s", s, b)
	}

	// A subaccount that is not this account's is refused, and changes
	// nothing.
	if _, err := main.Numbers.Update(subDigits, plivo.NumberUpdateParams{AppID: subApp, Subaccount: "SA00000000000000NONE"}); err == nil || last() != 400 {
		t.Errorf("foreign subaccount: %v, %d", err, last())
	}
	// The main account moves one of its numbers into the subaccount.
	if _, err := main.Numbers.Update(digits(pt.SandboxNumber2), plivo.NumberUpdateParams{AppID: subApp, Subaccount: pt.SandboxSubaccountAuthID}); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.srv.Number(pt.SandboxSubaccountAuthID, pt.SandboxNumber2); !ok {
		t.Error("the number did not move to the subaccount")
	}
	if err := e.srv.AddNumber(pt.SandboxAuthID, pt.SandboxSubaccountNumber); err == nil {
		t.Error("the main account rented its subaccount's number again")
	}
}

// TestConsoleApplicationNames: applications named in Plivo's console may
// hold what the API refuses; they are listed like any other, and keep
// their names through updates.
func TestConsoleApplicationNames(t *testing.T) {
	e := serve(t, pt.NewSandbox(), "")
	c, _ := e.sdk(t, pt.SandboxAuthID, pt.SandboxAuthToken)
	for _, name := range []string{"Demo Speak", "0.8522478089992022", "switchboard-org1-default.old"} {
		id, err := e.srv.AddApplication(pt.SandboxAuthID, pt.Application{AppName: name, AnswerURL: "https://a.example.com/"})
		must(t, err)
		list, err := c.Applications.List(plivo.ApplicationListParams{AppName: name})
		must(t, err)
		if len(list.Objects) != 1 || list.Objects[0].AppName != name {
			t.Errorf("%q: %+v", name, list.Objects)
		}
		if _, err := c.Applications.Update(id, plivo.ApplicationUpdateParams{AnswerURL: "https://b.example.com/"}); err != nil {
			t.Errorf("%q: update: %v", name, err)
		}
		if _, err := c.Applications.Create(plivo.ApplicationCreateParams{AppName: name, AnswerURL: "https://a.example.com/"}); err == nil {
			t.Errorf("%q: the API created it", name)
		}
	}
	for _, name := range []string{"", "tab\tname"} {
		if _, err := e.srv.AddApplication(pt.SandboxAuthID, pt.Application{AppName: name, AnswerURL: "https://a.example.com/"}); err == nil {
			t.Errorf("%q: added", name)
		}
	}
}
