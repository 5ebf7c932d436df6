package plivo_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/providers"
	"github.com/switchboardhq/switchboard/providers/plivo"
	pt "github.com/switchboardhq/switchboard/providers/plivo/plivotest"
)

// TestSimilarNameIsNotAdopted: a filter that matches partially returns
// applications whose names merely contain the route's (older, so with
// smaller ids, and already pointing at the right URLs). None is adopted:
// the adapter creates the application of the exact name and attaches the
// number to it.
func TestSimilarNameIsNotAdopted(t *testing.T) {
	e := newEnvWith(t, plivo.Options{Timeout: 5 * time.Second}, pt.WithAppNameContains())
	for _, name := range []string{route.Name + "-old", "x" + route.Name, route.Name + "2"} {
		_, err := e.sim.AddApplication(pt.SandboxAuthID, pt.Application{AppName: name, AnswerURL: route.VoiceURL, HangupURL: route.HangupURL})
		must(t, err)
	}
	e.sim.ResetCalls()
	ch := e.ensure(t, pt.SandboxNumber1, route)
	app, ok := e.sim.Application(pt.SandboxAuthID, ch.After.ApplicationID)
	if !ok || app.AppName != route.Name {
		t.Errorf("attached to %s named %q, want the one named %q", ch.After.ApplicationID, app.AppName, route.Name)
	}
	if n := e.sim.Calls()[pt.EndpointCreateApplication]; n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
	if n := e.sim.Applications(pt.SandboxAuthID, route.Name); n != 1 {
		t.Errorf("%d applications named %s", n, route.Name)
	}
	// And the next number finds that one by name, among the similar ones.
	e.sim.ResetCalls()
	if again := e.ensure(t, pt.SandboxNumber2, route); again.After.ApplicationID != ch.After.ApplicationID {
		t.Errorf("second number on %s, want %s", again.After.ApplicationID, ch.After.ApplicationID)
	}
	if n := e.sim.Calls()[pt.EndpointCreateApplication]; n != 0 {
		t.Errorf("%d creates for the second number", n)
	}
}

// TestEachDriftIsRepaired: any one of the four fields switchboard sets on
// its application drifting (in the console, say) is repaired, the others
// being right.
func TestEachDriftIsRepaired(t *testing.T) {
	for name, drift := range map[string]func(*pt.Application){
		"answer url":    func(a *pt.Application) { a.AnswerURL = "https://drift.example.com/answer" },
		"answer method": func(a *pt.Application) { a.AnswerMethod = "GET" },
		"hangup url":    func(a *pt.Application) { a.HangupURL = "https://drift.example.com/hangup" },
		"hangup method": func(a *pt.Application) { a.HangupMethod = "GET" },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			first := e.ensure(t, pt.SandboxNumber1, route)
			id := first.After.ApplicationID
			must(t, e.sim.UpdateApplication(pt.SandboxAuthID, id, drift))
			e.sim.ResetCalls()
			ch := e.ensure(t, pt.SandboxNumber1, route)
			if n := e.sim.Calls()[pt.EndpointUpdateApplication]; n != 1 || !ch.Changed {
				t.Errorf("%d application updates, changed %v; want 1, true", n, ch.Changed)
			}
			app, _ := e.sim.Application(pt.SandboxAuthID, id)
			got := [4]string{app.AnswerURL, app.AnswerMethod, app.HangupURL, app.HangupMethod}
			if diff := cmp.Diff([4]string{route.VoiceURL, "POST", route.HangupURL, "POST"}, got); diff != "" {
				t.Errorf("application [answer url, method, hangup url, method] (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCreateAnswersNotApplied: how the adapter reads the answer to a
// create that Plivo did not apply. A redirect or a 4xx refused it, and is
// reported as Plivo said it, without listing again; a 2xx without an
// app_id or a 5xx is ambiguous, so the adapter lists, finds nothing, and
// reports a transient error with the status Plivo answered.
func TestCreateAnswersNotApplied(t *testing.T) {
	noUsableAnswer := "creating application " + route.Name + " got no usable answer and it does not exist; retry"
	for _, tc := range []struct {
		name         string
		status       int
		body         string
		want         providers.Error
		wantListings int
	}{
		{"300 redirect", 300, `moved`,
			providers.Error{Kind: providers.KindTransient, Status: 300, Message: "unexpected redirect"}, 1},
		{"400 refused", 400, `{"api_id":"x","error":"answer_url must be an absolute http(s) URL"}`,
			providers.Error{Kind: providers.KindBadRequest, Status: 400, Message: "answer_url must be an absolute http(s) URL"}, 1},
		{"201 without app_id", 201, `{"api_id":"00000000-0000-4000-8000-000000000000","message":"created"}`,
			providers.Error{Kind: providers.KindTransient, Status: 201, Message: noUsableAnswer}, 2},
		{"502 without a body", 502, ``,
			providers.Error{Kind: providers.KindTransient, Status: 502, Message: noUsableAnswer}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if isCreate(r) {
					return &http.Response{StatusCode: tc.status, Header: http.Header{},
						Body: io.NopCloser(strings.NewReader(tc.body)), Request: r}, nil
				}
				return http.DefaultTransport.RoundTrip(r)
			})
			e := newEnv(t, rt)
			n := e.lookup(t, pt.SandboxNumber1)
			e.sim.ResetCalls()
			_, err := e.a.EnsureVoiceRoute(ctx(t), sandboxCreds, n, route)
			pe := wantKind(t, err, tc.want.Kind)
			got := providers.Error{Kind: pe.Kind, Status: pe.Status, Message: pe.Message}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if n := e.sim.Calls()[pt.EndpointListApplications]; n != tc.wantListings {
				t.Errorf("%d application listings, want %d", n, tc.wantListings)
			}
			if got := e.sim.VoiceURL(pt.SandboxAuthID, pt.SandboxNumber1); got != "" {
				t.Errorf("the number routes to %q after a failed create", got)
			}
		})
	}
}

// TestListingStopsAtTotalCount: once total_count applications have been
// read the walk ends, even should Plivo's meta still hold a next link (here
// added to every page): no further, empty page is requested.
func TestListingStopsAtTotalCount(t *testing.T) {
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil || r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/Application/") {
			return resp, err
		}
		defer resp.Body.Close()
		var page map[string]json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
			return nil, err
		}
		var meta map[string]any
		if err := json.Unmarshal(page["meta"], &meta); err != nil {
			return nil, err
		}
		if meta["next"] == nil {
			meta["next"] = r.URL.RequestURI()
		}
		if page["meta"], err = json.Marshal(meta); err != nil {
			return nil, err
		}
		b, err := json.Marshal(page)
		if err != nil {
			return nil, err
		}
		resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		resp.Header.Del("Content-Length")
		return resp, nil
	})
	attachAmong(t, newEnv(t, rt), 40, 2) // two full pages
}
