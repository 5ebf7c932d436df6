package plivotest_test

// Fidelity: every answer of the simulator carries every field of the real
// Plivo response recorded for the same endpoint (plivo-go's fixtures,
// copied into testdata/ with their origin and licence), with the same JSON
// types.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
	"time"

	pt "github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

// nullable are the fields Plivo renders as null when unset: the recorded
// response may hold a string where the simulator holds null, or the other
// way round.
var nullable = map[string]bool{
	"alias": true, "application": true, "sub_account": true,
	"fallback_answer_url": true, "message_url": true,
	"next": true, "previous": true,
	// Only reported for US 10DLC and toll-free numbers; the sandbox's are
	// Indian local numbers.
	"tendlc_campaign_id": true, "tendlc_registration_status": true,
	"toll_free_sms_verification": true, "toll_free_sms_verification_id": true,
	"toll_free_sms_verification_order_status": true,
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// conforms reports every way got (the simulator's) falls short of want
// (the recording's) at path.
func conforms(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, want an object", path, got)}
		}
		var out []string
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, ok := g[k]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s.%s: missing", path, k))
			case w[k] == nil || gv == nil && nullable[k]:
				// Null in the recording says nothing of the type; null
				// in the simulator is fine where Plivo sends null.
			default:
				out = append(out, conforms(path+"."+k, w[k], gv)...)
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, want an array", path, got)}
		}
		if len(w) > 0 && len(g) == 0 {
			return []string{fmt.Sprintf("%s: empty, the recording is not", path)}
		}
		// Every simulated element must have the shape of every recorded
		// one (they differ only in which nullable fields are null).
		var out []string
		for i, ge := range g {
			for _, we := range w {
				out = append(out, conforms(fmt.Sprintf("%s[%d]", path, i), we, ge)...)
			}
		}
		return out
	default:
		if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
			return []string{fmt.Sprintf("%s: %T %v, want %T like %v", path, got, got, want, want)}
		}
		return nil
	}
}

func TestFidelity(t *testing.T) {
	srv := pt.NewSandbox(pt.WithClock(func() time.Time { return time.Date(2024, 2, 14, 10, 0, 0, 0, time.UTC) }))
	e := serve(t, srv, "")
	hc, _ := e.httpClient(10 * time.Second)
	// A second application, so the list has several objects, and one
	// marked as the account's default for numbers.
	_, err := srv.AddApplication(pt.SandboxAuthID, pt.Application{AppName: "Demo_Speak", AnswerURL: "https://s3.example.com/speak.xml",
		AnswerMethod: "GET", FallbackAnswerURL: "https://s3.example.com/fallback.xml", DefaultNumberApp: true})
	must(t, err)

	do := func(method, path string, body any, wantStatus int) map[string]any {
		t.Helper()
		status, _, b := call(t, hc, method, sandboxURL(path), pt.SandboxAuthID, pt.SandboxAuthToken, body)
		if status != wantStatus {
			t.Fatalf("%s %s: %d %s, want %d", method, path, status, b, wantStatus)
		}
		return decode(t, b)
	}
	created := do("POST", "Application/", map[string]any{"app_name": "switchboard-org1-default",
		"answer_url": "https://a.example.com/answer", "answer_method": "POST",
		"hangup_url": "https://a.example.com/hangup", "hangup_method": "POST"}, 201)
	appID, _ := created["app_id"].(string)
	subCreated := do("POST", "Application/", map[string]any{"app_name": "switchboard-org1-default",
		"answer_url": "https://a.example.com/answer", "subaccount": pt.SandboxSubaccountAuthID}, 201)
	subAppID, _ := subCreated["app_id"].(string)
	d := digits(pt.SandboxNumber1)

	cases := []struct {
		fixture string
		got     map[string]any
		message string // the value "message" must have, if any
	}{
		{"applicationCreateResponse.json", created, "created"},
		{"accountGetResponse.json", do("GET", "", nil, 200), ""},
		{"numberUpdateResponse.json", do("POST", "Number/"+d+"/", map[string]any{"app_id": appID}, 202), "changed"},
		{"numberGetResponse.json", do("GET", "Number/"+d+"/", nil, 200), ""},
		{"applicationGetResponse.json", do("GET", "Application/"+appID+"/", nil, 200), ""},
		{"applicationListResponse.json", do("GET", "Application/", nil, 200), ""},
		{"applicationModifyResponse.json", do("POST", "Application/"+appID+"/", map[string]any{"answer_url": "https://b.example.com/"}, 202), "changed"},
		// A subaccount's number and application, as the main account sees
		// them: sub_account is a string.
		{"numberGetResponse.json", do("GET", "Number/"+digits(pt.SandboxSubaccountNumber)+"/", nil, 200), ""},
		{"applicationGetResponse.json", do("GET", "Application/"+subAppID+"/", nil, 200), ""},
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.fixture] = true
		t.Run(tc.fixture, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.fixture))
			must(t, err)
			var want map[string]any
			must(t, json.Unmarshal(b, &want))
			for _, problem := range conforms("$", want, tc.got) {
				t.Error(problem)
			}
			if id, _ := tc.got["api_id"].(string); !uuidPattern.MatchString(id) {
				t.Errorf("api_id %q is not a UUID", id)
			}
			if tc.message != "" && tc.got["message"] != tc.message {
				t.Errorf("message %v, want %q", tc.got["message"], tc.message)
			}
		})
	}
	covered[errorsFixture] = true // by TestErrorFidelity
	// Every recording in testdata is compared.
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	must(t, err)
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("%s is compared with nothing", f)
		}
	}

	// The number's application URI has Plivo's form, and the dates theirs.
	num := cases[3].got
	if num["application"] != "/v1/Account/"+pt.SandboxAuthID+"/Application/"+appID+"/" ||
		num["added_on"] != "2024-02-14" || num["renewal_date"] != "2024-03-14" {
		t.Errorf("number %v", num)
	}
}

// errorsFixture holds Plivo's documented error answers: status, body and
// where each is documented.
const errorsFixture = "errors.json"

// TestErrorFidelity: the simulator's error answers have Plivo's status
// codes and bodies: exactly the documented keys ({"api_id","error"}, and
// no api_id on a 401), the same JSON types, and the same "error" string
// where Plivo's is fixed.
func TestErrorFidelity(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", errorsFixture))
	must(t, err)
	var recorded []struct {
		Name   string         `json:"name"`
		Status int            `json:"status"`
		Body   map[string]any `json:"body"`
		Exact  bool           `json:"exact"`
		Source string         `json:"source"`
	}
	must(t, json.Unmarshal(b, &recorded))

	srv := pt.NewSandbox()
	e := serve(t, srv, sandboxPrefix)
	hc, _ := e.httpClient(10 * time.Second)
	token := pt.SandboxAuthToken
	// Each provokes the error named in the fixture.
	provoke := map[string]func() (int, http.Header, string){
		"unauthorized": func() (int, http.Header, string) {
			return call(t, hc, "GET", sandboxURL(""), pt.SandboxAuthID, "wrongtoken", nil)
		},
		"number not found": func() (int, http.Header, string) {
			return call(t, hc, "GET", sandboxURL("Number/918000000099/"), pt.SandboxAuthID, token, nil)
		},
		"application not found": func() (int, http.Header, string) {
			return call(t, hc, "GET", sandboxURL("Application/99999999999999999/"), pt.SandboxAuthID, token, nil)
		},
		"invalid parameter": func() (int, http.Header, string) {
			return call(t, hc, "POST", sandboxURL("Application/"), pt.SandboxAuthID, token,
				map[string]any{"app_name": "Demo Speak", "answer_url": "https://a.example.com/"})
		},
		"rate limited": func() (int, http.Header, string) {
			must(t, srv.UpdateFaults(func(f *pt.Faults) { f.RateLimitNext = 1 }))
			return call(t, hc, "GET", sandboxURL(""), pt.SandboxAuthID, token, nil)
		},
		"server error": func() (int, http.Header, string) {
			must(t, srv.UpdateFaults(func(f *pt.Faults) { f.ErrorRate = 1 }))
			defer func() { must(t, srv.UpdateFaults(func(f *pt.Faults) { f.ErrorRate = 0 })) }()
			return call(t, hc, "GET", sandboxURL(""), pt.SandboxAuthID, token, nil)
		},
	}
	if len(recorded) != len(provoke) {
		t.Errorf("%d recorded errors, %d provoked", len(recorded), len(provoke))
	}
	for _, rec := range recorded {
		t.Run(rec.Name, func(t *testing.T) {
			if rec.Source == "" {
				t.Error("no source")
			}
			f, ok := provoke[rec.Name]
			if !ok {
				t.Fatal("nothing provokes it")
			}
			status, h, body := f()
			if status != rec.Status {
				t.Errorf("status %d, want %d (%s)", status, rec.Status, body)
			}
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			got := decode(t, body)
			for _, problem := range conforms("$", rec.Body, got) {
				t.Error(problem)
			}
			for k := range got {
				if _, ok := rec.Body[k]; !ok {
					t.Errorf("$.%s: not in Plivo's error body", k)
				}
			}
			if _, ok := rec.Body["api_id"]; ok {
				if id, _ := got["api_id"].(string); !uuidPattern.MatchString(id) {
					t.Errorf("api_id %q is not a UUID", id)
				}
			}
			if rec.Exact && got["error"] != rec.Body["error"] {
				t.Errorf("error %q, want %q", got["error"], rec.Body["error"])
			}
		})
	}
}

// TestConformsCatchesDrift keeps the comparison honest.
func TestConformsCatchesDrift(t *testing.T) {
	want := map[string]any{"a": "x", "n": 1.0, "o": map[string]any{"b": true}, "l": []any{map[string]any{"c": "y"}}, "alias": "z"}
	for _, tc := range []struct {
		got  map[string]any
		fail bool
	}{
		{map[string]any{"a": "x", "n": 2.0, "o": map[string]any{"b": false}, "l": []any{map[string]any{"c": ""}}, "alias": nil, "extra": 1.0}, false},
		{map[string]any{"n": 2.0, "o": map[string]any{"b": false}, "l": []any{map[string]any{"c": ""}}, "alias": nil}, true},            // a missing
		{map[string]any{"a": 1.0, "n": 2.0, "o": map[string]any{"b": false}, "l": []any{map[string]any{"c": ""}}, "alias": nil}, true},  // a's type
		{map[string]any{"a": "x", "n": 2.0, "o": map[string]any{}, "l": []any{map[string]any{"c": ""}}, "alias": nil}, true},            // o.b missing
		{map[string]any{"a": "x", "n": 2.0, "o": map[string]any{"b": false}, "l": []any{}, "alias": nil}, true},                         // l empty
		{map[string]any{"a": "x", "n": 2.0, "o": map[string]any{"b": false}, "l": []any{map[string]any{"c": nil}}, "alias": nil}, true}, // c not nullable
	} {
		if got := len(conforms("$", want, tc.got)) > 0; got != tc.fail {
			t.Errorf("conforms(%v) failed = %v, want %v", tc.got, got, tc.fail)
		}
	}
}
