package telnyx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboardhq/switchboard/providers"
	tt "github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
)

// TestSimilarNameIsNotAdopted: Telnyx's name filter matches substrings, so
// the listing also returns applications whose names contain the route's.
// Even the oldest of them, already on the right webhook, is not adopted:
// the application of the exact name is created and the number put on it.
func TestSimilarNameIsNotAdopted(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	e := newEnv(t, "")
	for i, name := range []string{defaultRoute.Name + "-old", "x" + defaultRoute.Name, strings.ToUpper(defaultRoute.Name)} {
		if _, err := e.sim.AddConnection(tt.SandboxAPIKey, tt.Connection{Name: name, Active: true,
			WebhookEventURL: defaultRoute.VoiceURL, CreatedAt: t0.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	e.sim.ResetCalls()
	ch := e.ensure(t, tt.SandboxNumberLondon, defaultRoute)
	app, ok := e.sim.Connection(tt.SandboxAPIKey, ch.After.ApplicationID)
	if !ok || app.Name != defaultRoute.Name {
		t.Errorf("number put on %s named %q, want one named %q", ch.After.ApplicationID, app.Name, defaultRoute.Name)
	}
	if n := e.sim.Calls()[tt.EndpointCreateApplication]; n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
	n, _ := e.sim.Number(tt.SandboxAPIKey, tt.SandboxNumberLondon)
	if n.ConnectionID != ch.After.ApplicationID {
		t.Errorf("number on %s, change says %s", n.ConnectionID, ch.After.ApplicationID)
	}
}

// TestBeforeOnEveryPath: Change.Before is the number's configuration as
// Lookup read it, on each way EnsureVoiceRoute can end well, so unlink can
// put the previous connection back.
func TestBeforeOnEveryPath(t *testing.T) {
	e := newEnv(t, "")
	first := e.ensure(t, tt.SandboxNumberLondon, defaultRoute) // by name, attach
	if first.Before != (providers.VoiceConfig{}) {
		t.Errorf("fresh number: Before %+v", first.Before)
	}
	onDefault := providers.VoiceConfig{ApplicationID: first.After.ApplicationID, ApplicationName: defaultRoute.Name}

	// By name, already attached: no attach.
	if ch := e.ensure(t, tt.SandboxNumberLondon, defaultRoute); ch.Before != onDefault || ch.Changed {
		t.Errorf("by name, already attached: %+v", ch)
	}
	// Hinted, already attached: no call at all.
	hinted := defaultRoute
	hinted.ApplicationID = first.After.ApplicationID
	if ch := e.ensure(t, tt.SandboxNumberLondon, hinted); ch.Before != onDefault || ch.Changed {
		t.Errorf("hinted, already attached: %+v", ch)
	}
	// Hinted, another number: one attach.
	if ch := e.ensure(t, tt.SandboxNumberSydney, hinted); ch.Before != (providers.VoiceConfig{}) || !ch.Changed {
		t.Errorf("hinted attach: %+v", ch)
	}
	// Moves from one managed application to another, by name and hinted.
	target := route("agent-7f3a", "https://agents.example.com/answer/7f3a")
	moved := e.ensure(t, tt.SandboxNumberLondon, target) // by name, attach
	if moved.Before != onDefault || !moved.Changed {
		t.Errorf("move by name: %+v", moved)
	}
	target.ApplicationID = moved.After.ApplicationID
	back := e.ensure(t, tt.SandboxNumberLondon, hinted)
	want := providers.Change{
		Before:  providers.VoiceConfig{ApplicationID: moved.After.ApplicationID, ApplicationName: target.Name},
		After:   providers.VoiceConfig{ApplicationID: first.After.ApplicationID, ApplicationName: defaultRoute.Name, VoiceURL: defaultRoute.VoiceURL},
		Changed: true,
	}
	if diff := cmp.Diff(want, back); diff != "" {
		t.Errorf("hinted move (-want +got):\n%s", diff)
	}
}

// TestAttachAnswerIsChecked: a PATCH answered 200 with another connection
// than the one sent did not move the number; reporting success would
// leave calls going to the old connection. Both the by-name and the
// hinted attach say so, and the retry moves it.
func TestAttachAnswerIsChecked(t *testing.T) {
	e := newEnv(t, "")
	first := e.ensure(t, tt.SandboxNumberSydney, defaultRoute)
	hinted := defaultRoute
	hinted.ApplicationID = first.After.ApplicationID
	for name, r := range map[string]providers.Route{"by name": defaultRoute, "hinted": hinted} {
		if err := e.sim.SetFaults(tt.Faults{IgnoredConnectionUpdates: 1}); err != nil {
			t.Fatal(err)
		}
		_, err := e.a.EnsureVoiceRoute(context.Background(), creds, e.lookup(t, tt.SandboxNumberLondon), r)
		if pe := wantKind(t, err, providers.KindTransient); !strings.Contains(pe.Message, first.After.ApplicationID) {
			t.Errorf("%s: message %q does not name the connection sent", name, pe.Message)
		}
		if got := e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon); got != "" {
			t.Errorf("%s: the number routes to %q", name, got)
		}
	}
	if ch := e.ensure(t, tt.SandboxNumberLondon, hinted); !ch.Changed || e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon) != defaultRoute.VoiceURL {
		t.Errorf("retry: %+v", ch)
	}
}

// TestLocalChecksKeepTheBoundaries: API keys of printable ASCII without
// spaces ('!' to '~') and E.164 numbers of 3 to 15 digits are sent;
// anything else is refused before a request.
func TestLocalChecksKeepTheBoundaries(t *testing.T) {
	for _, c := range []struct {
		key  string
		sent bool
	}{
		{"!", true}, {"~", true}, {"KEYazAZ09", true}, {"a!~b", true},
		{"", false}, {" ", false}, {"a b", false}, {"a\x1fb", false}, {"a\x7fb", false}, {"a\tb", false}, {"aé", false},
	} {
		t.Run("key "+c.key, func(t *testing.T) {
			e := newEnv(t, "")
			err := e.a.ValidateCredentials(context.Background(), providers.Credentials{Secret: c.key})
			wantKind(t, err, providers.KindInvalidCredentials) // unknown keys are refused by the simulator
			if sent := len(e.rec.requests()) > 0; sent != c.sent {
				t.Errorf("sent = %v, want %v (%v)", sent, c.sent, err)
			}
		})
	}
	for _, c := range []struct {
		e164 string
		sent bool
	}{
		{"+123", true}, {"+190", true}, {"+909", true}, {"+123456789012345", true}, {"+999999999999999", true},
		{"+12", false}, {"+1234567890123456", false}, {"+0123", false}, {"+12a4", false}, {"+12/4", false}, {"+12:4", false}, {"1234", false},
	} {
		t.Run("number "+c.e164, func(t *testing.T) {
			e := newEnv(t, "")
			_, err := e.a.Lookup(context.Background(), creds, c.e164)
			if c.sent {
				wantKind(t, err, providers.KindNotOwned)
			} else {
				wantKind(t, err, providers.KindBadRequest)
			}
			if sent := len(e.rec.requests()) > 0; sent != c.sent {
				t.Errorf("sent = %v, want %v (%v)", sent, c.sent, err)
			}
		})
	}
}

// errorAnswer is an error answer in Telnyx's envelope.
type errorAnswer struct {
	status                       int
	code, title, detail, pointer string
}

func (te errorAnswer) write(w http.ResponseWriter) {
	e := map[string]any{"code": te.code, "title": te.title, "detail": te.detail,
		"meta": map[string]string{"url": "https://developers.telnyx.com/docs/overview/errors/" + te.code}}
	if te.pointer != "" {
		e["source"] = map[string]string{"pointer": te.pointer}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(te.status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{e}})
}

// sentConnection is the connection_id a number update sends, "" for none;
// the body is left for the simulator to read.
func sentConnection(t *testing.T, r *http.Request) string {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Error(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	var u struct {
		ConnectionID string `json:"connection_id"`
	}
	_ = json.Unmarshal(b, &u)
	return u.ConnectionID
}

// endpoint names r as the simulator's Calls do ("PATCH
// /v2/phone_numbers/{id}"), so that requests answered by an intercept are
// counted too.
func endpoint(r *http.Request) string {
	segs := strings.Split(r.URL.Path, "/") // "", "v2", collection, id, ...
	if len(segs) > 3 {
		segs[3] = "{id}"
	}
	return r.Method + " " + strings.Join(segs, "/")
}

// callsSince counts, by endpoint, the requests sent after the first n.
func (e *env) callsSince(n int) map[string]int {
	calls := map[string]int{}
	for _, r := range e.rec.requests()[n:] {
		calls[endpoint(r)]++
	}
	return calls
}

// TestHintCheckedOnlyWhenRefusalMayBeAboutIt: the worker's hint (the
// route's application id) can be stale. When the attach to it is refused,
// the adapter tells a refusal about the hinted connection (a 422, or a
// 404 naming the connection) from one about the number (a plain 404),
// and checks the first kind with one GET of the hinted application: gone
// (404), refused (422) or of another name, the hint is dropped and the
// number routed by name; there with the route's name, the refusal is
// reported as it came; a failed check is reported, nothing else tried.
func TestHintCheckedOnlyWhenRefusalMayBeAboutIt(t *testing.T) {
	const (
		ours      = "the route's application"
		deleted   = "the route's application, deleted"
		otherName = "an application of another name"
	)
	pending := &errorAnswer{422, "10015", "Invalid value", "The phone number cannot be updated while an order on it is pending.", ""}
	connectionNotFound := &errorAnswer{404, "10005", "Resource not found", "Connection not found.", "/connection_id"}
	numberNotFound := &errorAnswer{404, "10005", "Resource not found", "The requested resource or URL could not be found.", ""}
	badID := &errorAnswer{422, "10015", "Bad request", "The id is invalid.", ""}
	unexpected := &errorAnswer{500, "10007", "Unexpected error", "An unexpected error occured.", ""}
	byName := map[string]int{tt.EndpointGetNumberVoice: 1, tt.EndpointUpdateNumber: 2, tt.EndpointGetApplication: 1,
		tt.EndpointListApplications: 1, tt.EndpointCreateApplication: 1}
	for _, c := range []struct {
		name   string
		hint   string
		attach *errorAnswer   // the answer to the attach to the hint; nil: the simulator's
		check  *errorAnswer   // the answer to the GET of the hint; nil: the simulator's
		routed bool           // by name, onto the route's application
		kind   providers.Kind // of the error, when not routed
		calls  map[string]int
	}{
		{name: "422 about something else, application there", hint: ours, attach: pending, kind: providers.KindBadRequest,
			calls: map[string]int{tt.EndpointGetNumberVoice: 1, tt.EndpointUpdateNumber: 1, tt.EndpointGetApplication: 1}},
		{name: "plain 404: the number's, not checked", hint: ours, attach: numberNotFound, kind: providers.KindNotOwned,
			calls: map[string]int{tt.EndpointGetNumberVoice: 1, tt.EndpointUpdateNumber: 1}},
		{name: "404 naming the connection, application gone", hint: deleted, attach: connectionNotFound, routed: true, calls: byName},
		{name: "422 (missing association), application gone", hint: deleted, routed: true, calls: byName},
		{name: "422, hint names another application", hint: otherName, attach: pending, routed: true, calls: byName},
		{name: "422, check of the hint refused with 422", hint: deleted, check: badID, routed: true, calls: byName},
		{name: "422, check of the hint fails", hint: deleted, check: unexpected, kind: providers.KindTransient,
			calls: map[string]int{tt.EndpointGetNumberVoice: 1, tt.EndpointUpdateNumber: 1, tt.EndpointGetApplication: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, "")
			name := defaultRoute.Name
			if c.hint == otherName {
				name = providers.RouteName(1, "other")
			}
			hint, err := e.sim.AddApplication(tt.SandboxAPIKey, name, defaultRoute.VoiceURL)
			if err != nil {
				t.Fatal(err)
			}
			if c.hint == deleted {
				if err := e.sim.DeleteConnection(tt.SandboxAPIKey, hint); err != nil {
					t.Fatal(err)
				}
			}
			e.interceptWith(func(w http.ResponseWriter, r *http.Request) bool {
				switch {
				case c.attach != nil && endpoint(r) == tt.EndpointUpdateNumber && sentConnection(t, r) == hint:
					c.attach.write(w)
				case c.check != nil && r.Method == http.MethodGet && r.URL.Path == "/v2/call_control_applications/"+hint:
					c.check.write(w)
				default:
					return false
				}
				return true
			})
			num := e.lookup(t, tt.SandboxNumberLondon)
			r := defaultRoute
			r.ApplicationID = hint
			sent := len(e.rec.requests())
			ch, err := e.a.EnsureVoiceRoute(context.Background(), creds, num, r)
			if c.routed {
				if err != nil {
					t.Fatalf("EnsureVoiceRoute: %v; want the number routed by name", err)
				}
				if app, _ := e.sim.Connection(tt.SandboxAPIKey, ch.After.ApplicationID); ch.After.ApplicationID == hint || app.Name != defaultRoute.Name || !ch.Changed {
					t.Errorf("change says application %q named %q, changed %v; want a new application named %s, not the hint %s",
						ch.After.ApplicationID, app.Name, ch.Changed, defaultRoute.Name, hint)
				}
				if got := e.sim.VoiceURL(tt.SandboxAPIKey, tt.SandboxNumberLondon); got != defaultRoute.VoiceURL {
					t.Errorf("calls go to %q, want %s", got, defaultRoute.VoiceURL)
				}
			} else {
				wantKind(t, err, c.kind)
				if n, _ := e.sim.Number(tt.SandboxAPIKey, tt.SandboxNumberLondon); n.ConnectionID != "" {
					t.Errorf("the number moved to %s", n.ConnectionID)
				}
			}
			if diff := cmp.Diff(c.calls, e.callsSince(sent)); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}
