// Package plivo is switchboard's Plivo adapter: it proves credentials,
// finds rented numbers and routes their inbound calls to switchboard, with
// the official SDK (github.com/plivo/plivo-go/v7) and as few API calls as
// possible.
//
// On Plivo a number does not carry webhook URLs itself: it is attached to
// an application, which holds the answer and hangup URLs. The adapter
// keeps one application per org and route, named by providers.RouteName,
// created when missing and reused afterwards, and attaches numbers to it.
// Plivo has no notion of foreign wiring here: another application on the
// number is replaced (it is kept in Change.Before so it can be restored),
// and Route.Override is irrelevant.
//
// A main account's credentials reach its subaccounts' numbers: Lookup
// reports the subaccount renting one in Number.Account, and
// EnsureVoiceRoute then finds or creates the route's application in that
// subaccount (see subaccount.go).
//
// plivo-go has defects that the adapter contains at its edge (see
// PROVIDERS.md and call.go): it drops status codes, reports some failed
// answers as successes, retries application POSTs on 5xx (which can create
// duplicate applications), forces api.plivo.com for application calls,
// and falls back to environment variables for empty credentials.
package plivo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

// Name is the provider name the adapter answers to.
const Name = "plivo"

// Options configure an Adapter. The zero value talks to api.plivo.com.
type Options struct {
	// BaseURL replaces https://api.plivo.com, e.g. a simulator's URL (a
	// path prefix is kept: http://127.0.0.1:8080/sandbox/plivo).
	BaseURL string
	// Transport carries the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Timeout bounds each HTTP request. Default 15s.
	Timeout time.Duration
	// UserAgent is appended to the SDK's User-Agent, e.g.
	// "switchboard/1.2.0". Default "switchboard".
	UserAgent string
}

// Adapter implements providers.Provider for Plivo.
type Adapter struct {
	base      *url.URL
	transport http.RoundTripper
	timeout   time.Duration
	userAgent string
}

var _ providers.Provider = (*Adapter)(nil)

// New returns an Adapter. It fails only on a malformed BaseURL.
func New(o Options) (*Adapter, error) {
	base, err := providers.ParseBaseURL(Name, o.BaseURL)
	if err != nil {
		return nil, err
	}
	return &Adapter{
		base:      base,
		transport: o.Transport,
		timeout:   cmp.Or(o.Timeout, providers.DefaultTimeout),
		userAgent: cmp.Or(o.UserAgent, providers.DefaultUserAgent),
	}, nil
}

// Name implements providers.Provider.
func (a *Adapter) Name() string { return Name }

// ValidateCredentials fetches the account: one GET.
func (a *Adapter) ValidateCredentials(ctx context.Context, creds providers.Credentials) error {
	const op = "validate credentials"
	if err := checkCreds(creds, op); err != nil {
		return err
	}
	c := a.newCall(ctx, creds, op)
	// A 404 on the account's own path means the auth ID is not an account.
	return c.run(providers.KindInvalidCredentials, func() error {
		_, err := c.sdk.Accounts.Get()
		return err
	})
}

// Lookup fetches the number (one GET, which also proves the credentials).
// A number of a subaccount, reached with the main account's credentials,
// has the subaccount's auth ID in Account.
// A number rented without voice cannot be routed: that is KindBadRequest,
// not KindNotOwned, since the account does own it and the fix (enabling
// voice, or renting another number) is the user's.
func (a *Adapter) Lookup(ctx context.Context, creds providers.Credentials, e164 string) (providers.Number, error) {
	const op = "lookup"
	if err := checkCreds(creds, op); err != nil {
		return providers.Number{}, err
	}
	digits, ok := digitsOf(e164)
	if !ok {
		return providers.Number{}, &providers.Error{Kind: providers.KindBadRequest, Provider: Name, Op: op,
			Message: fmt.Sprintf("%q is not an E.164 number", e164)}
	}
	c := a.newCall(ctx, creds, op)
	n, err := c.getNumber(digits)
	if err != nil {
		var pe *providers.Error
		if errors.As(err, &pe) && pe.Kind == providers.KindNotOwned {
			pe.Message = fmt.Sprintf("account %s does not rent %s", creds.AccountID, e164)
		}
		return providers.Number{}, err
	}
	if n.Number == "" {
		// A 2xx without a body (plivo-go decodes nothing and says
		// nothing): not an answer about ownership.
		return providers.Number{}, c.unreadable()
	}
	if n.Number != digits {
		return providers.Number{}, &providers.Error{Kind: providers.KindNotOwned, Provider: Name, Op: op,
			Message: fmt.Sprintf("account %s does not rent %s", creds.AccountID, e164)}
	}
	if !n.VoiceEnabled {
		return providers.Number{}, &providers.Error{Kind: providers.KindBadRequest, Provider: Name, Op: op,
			Message: fmt.Sprintf("%s is rented without voice; enable voice on it at Plivo", e164)}
	}
	sub, ok := subaccountID(n.SubAccount)
	if !ok {
		return providers.Number{}, c.unreadable()
	}
	if sub == creds.AccountID {
		sub = "" // a subaccount's own number, seen with its own credentials
	}
	return providers.Number{
		ID:      digits,
		E164:    e164,
		Voice:   providers.VoiceConfig{ApplicationID: appIDOf(deref(n.Application))},
		Account: sub,
	}, nil
}

// EnsureVoiceRoute attaches num to the route's application, creating or
// updating the application when needed, in the account that rents num
// (num.Account, a subaccount, when it is not the credentials' own). With route.ApplicationID (the id
// from an earlier Change.After) it trusts that application: no call at all
// when num is already attached to it, one attach otherwise, and the
// by-name path only when Plivo no longer knows the id. The by-name path
// lists the applications named route.Name, updates the one found when its
// URLs differ, creates it when there is none, then attaches num unless it
// already is.
func (a *Adapter) EnsureVoiceRoute(ctx context.Context, creds providers.Credentials, num providers.Number, route providers.Route) (providers.Change, error) {
	const op = "configure voice"
	if err := checkCreds(creds, op); err != nil {
		return providers.Change{}, err
	}
	if err := checkRoute(num, route, op); err != nil {
		return providers.Change{}, err
	}
	if num.Account != "" && (num.Account == creds.AccountID || !isSubaccountID(num.Account)) {
		return providers.Change{}, &providers.Error{Kind: providers.KindBadRequest, Provider: Name, Op: op,
			Message: fmt.Sprintf("number %s: account %q is not a subaccount auth ID", num.E164, num.Account)}
	}
	want := configOf(route)
	before := num.Voice
	change := func(appID string, changed bool) providers.Change {
		after := providers.VoiceConfig{ApplicationID: appID, VoiceURL: want.answerURL,
			HangupURL: want.hangupURL, VoiceMethod: http.MethodPost}
		return providers.Change{Before: before, After: after, Changed: changed}
	}

	if route.ApplicationID != "" && before.ApplicationID == route.ApplicationID {
		return change(route.ApplicationID, false), nil
	}
	c := a.newCall(ctx, creds, op)
	if route.ApplicationID != "" {
		err := c.attach(num.ID, route.ApplicationID)
		if err == nil {
			return change(route.ApplicationID, true), nil
		}
		if status(err) != http.StatusNotFound {
			return providers.Change{}, err
		}
		// Plivo no longer knows the hinted application (deleted in the
		// console, say), or it belongs to another account than num (the
		// hint is per route, and a main account's and a subaccount's
		// numbers need one application each): find or create it by name.
	}
	appID, changed, err := c.ensureApplication(route.Name, num.Account, want)
	if err != nil {
		return providers.Change{}, err
	}
	if before.ApplicationID != appID {
		if err := c.attach(num.ID, appID); err != nil {
			return providers.Change{}, err
		}
		changed = true
	}
	return change(appID, changed), nil
}

// ResetVoiceRoute attaches num to the default route's application, exactly
// as EnsureVoiceRoute does: on Plivo nothing is ever refused.
func (a *Adapter) ResetVoiceRoute(ctx context.Context, creds providers.Credentials, num providers.Number, def providers.Route) (providers.Change, error) {
	return a.EnsureVoiceRoute(ctx, creds, num, def)
}

// checkCreds refuses empty or malformed credentials before the SDK sees
// them: plivo-go silently replaces an empty auth ID or token with
// $PLIVO_AUTH_ID or $PLIVO_AUTH_TOKEN, and the auth ID goes into every
// path.
func checkCreds(c providers.Credentials, op string) error {
	if c.AccountID == "" || c.Secret == "" || !alnum(c.AccountID) {
		return &providers.Error{Kind: providers.KindInvalidCredentials, Provider: Name, Op: op,
			Message: "auth ID must be non-empty and alphanumeric, auth token non-empty"}
	}
	return nil
}

// checkRoute refuses what Plivo would refuse (or what would reach a wrong
// path) without a call.
func checkRoute(num providers.Number, r providers.Route, op string) error {
	bad := func(msg string) error {
		return &providers.Error{Kind: providers.KindBadRequest, Provider: Name, Op: op, Message: msg}
	}
	switch {
	case !isDigits(num.ID):
		return bad(fmt.Sprintf("number %q has no Plivo id: look it up first", num.E164))
	case r.Name == "" || strings.Trim(r.Name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "":
		return bad(fmt.Sprintf("application name %q: Plivo accepts only letters, digits, '_' and '-'", r.Name))
	case r.VoiceURL == "":
		return bad("the route has no voice URL")
	case r.ApplicationID != "" && !isDigits(r.ApplicationID):
		return bad(fmt.Sprintf("application id %q is not a Plivo app_id", r.ApplicationID))
	}
	return nil
}

// digitsOf turns an E.164 number into the digits Plivo's paths use.
func digitsOf(e164 string) (string, bool) {
	d, ok := strings.CutPrefix(e164, "+")
	if !ok || len(d) < 2 || len(d) > 15 || d[0] == '0' || !isDigits(d) {
		return "", false
	}
	return d, true
}

// appIDOf parses the app_id out of a number's application URI
// ("/v1/Account/MA.../Application/29986316244302815/"); "" when the number
// has no application.
func appIDOf(uri string) string {
	const seg = "/Application/"
	i := strings.LastIndex(uri, seg)
	if i < 0 {
		return ""
	}
	id := strings.TrimSuffix(uri[i+len(seg):], "/")
	if strings.Contains(id, "/") {
		return ""
	}
	return id
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func alnum(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
