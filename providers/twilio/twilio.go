// Package twilio is switchboard's Twilio adapter: it proves credentials,
// finds owned numbers and points their voice webhooks at switchboard, with
// the official SDK (github.com/twilio/twilio-go) and as few API calls as
// possible. Only voice fields are ever written; SMS configuration is left
// alone.
package twilio

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	twclient "github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/switchboardhq/switchboard/providers"
)

// Name is the provider name the adapter answers to.
const Name = "twilio"

// Options configure an Adapter. The zero value talks to api.twilio.com.
type Options struct {
	// BaseURL replaces https://api.twilio.com, e.g. a simulator's URL
	// (a path prefix is kept: http://127.0.0.1:8080/sandbox/twilio).
	BaseURL string
	// Transport carries the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Timeout bounds each HTTP request. Default 15s.
	Timeout time.Duration
	// UserAgent is appended to the SDK's User-Agent, e.g. "switchboard/1.2.0".
	UserAgent string
}

// Adapter implements providers.Provider for Twilio.
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

// call is one adapter operation: an SDK service bound to ctx and creds,
// and the exchange that records what came back.
type call struct {
	api *api.ApiService
	ex  *providers.Exchange
	op  string
}

func (a *Adapter) newCall(ctx context.Context, creds providers.Credentials, op string) *call {
	ex := &providers.Exchange{Ctx: ctx, Base: a.transport, BaseURL: a.base}
	// As twilio.ClientParams{Username, Password, AccountSid} builds it; the
	// adapter builds the client itself to carry its transport.
	c := &twclient.Client{
		Credentials: twclient.NewCredentials(cmp.Or(creds.Username, creds.AccountID), creds.Secret),
		HTTPClient: &http.Client{
			Transport: ex,
			Timeout:   a.timeout,
			// Like the SDK's default client: a redirect is an answer, not a hop.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		UserAgentExtensions: []string{a.userAgent},
	}
	c.SetAccountSid(creds.AccountID)
	// The region and its edge are set explicitly, both empty for US1: the
	// SDK would otherwise take them from TWILIO_REGION and TWILIO_EDGE in
	// the worker's environment, for every connection alike.
	rh := twclient.NewRequestHandler(c)
	rh.Region, rh.Edge = creds.Region, regionEdges[creds.Region]
	return &call{api: api.NewApiService(rh), ex: ex, op: op}
}

// regionEdges are the Twilio Regions a connection may name, each with the
// edge location its API host needs: api.dublin.ie1.twilio.com, as Twilio
// requires region and edge together (the api.ie1.twilio.com form stopped
// working on 2026-04-28). See docs/providers.md for the sources.
var regionEdges = map[string]string{"": "", "ie1": "dublin", "au1": "sydney", "jp1": "tokyo"}

// Regions lists the Twilio Regions a connection may name besides US1 (the
// default, named by no region).
func Regions() []string { return []string{"au1", "ie1", "jp1"} }

// ValidateCredentials fetches the account: one GET. A suspended or closed
// account is unusable and reported as invalid credentials. The account body
// holds the auth token, so nothing of it but the status is kept.
//
// A standard API key may not fetch accounts, so credentials with a
// Username that is an API key are validated by listing one number instead
// (Twilio refuses a request for a suspended or closed account with code
// 20005, which is invalid credentials too).
func (a *Adapter) ValidateCredentials(ctx context.Context, creds providers.Credentials) error {
	if err := checkCreds(creds, "validate credentials"); err != nil {
		return err
	}
	c := a.newCall(ctx, creds, "validate credentials")
	if strings.HasPrefix(creds.Username, "SK") {
		one := 1
		_, err := c.api.PageIncomingPhoneNumber(&api.ListIncomingPhoneNumberParams{PageSize: &one}, "", "")
		if err != nil {
			return c.classify(err)
		}
		return nil
	}
	acct, err := c.api.FetchAccount(creds.AccountID)
	if err != nil {
		return c.classify(err)
	}
	if status := deref(acct.Status); status != "active" {
		return &providers.Error{Kind: providers.KindInvalidCredentials, Provider: Name, Op: c.op,
			Message: fmt.Sprintf("account is %s", status)}
	}
	return nil
}

// Lookup lists the account's numbers filtered by e164 (one GET, which also
// proves the credentials) and keeps the exact match: Twilio's filter
// matches partially.
func (a *Adapter) Lookup(ctx context.Context, creds providers.Credentials, e164 string) (providers.Number, error) {
	if err := checkCreds(creds, "lookup"); err != nil {
		return providers.Number{}, err
	}
	c := a.newCall(ctx, creds, "lookup")
	pageSize := 20
	list, err := c.api.ListIncomingPhoneNumber(&api.ListIncomingPhoneNumberParams{PhoneNumber: &e164, PageSize: &pageSize})
	if err != nil {
		return providers.Number{}, c.classify(err)
	}
	for _, n := range list {
		if deref(n.PhoneNumber) == e164 {
			return toNumber(n), nil
		}
	}
	return providers.Number{}, &providers.Error{Kind: providers.KindNotOwned, Provider: Name, Op: c.op,
		Message: fmt.Sprintf("account %s does not own %s", creds.AccountID, e164)}
}

// EnsureVoiceRoute compares num's voice configuration (as Lookup read it)
// with route and sends one POST with the fields that differ, or none.
//
// A number configured elsewhere is refused with KindConflict unless
// route.Override (see elsewhere): switchboard sets only the voice URL and
// the status callback, so a SIP trunk, a voice application, a fallback URL
// or the fax receive mode was put there by someone else, and each of them
// would keep calls away from switchboard (Twilio ignores voice_url while a
// trunk or an application is set; a fallback URL sends failed calls to the
// old system; a fax number answers as a fax machine). With Override they
// are cleared (receive mode back to voice). Change.Before keeps all of
// them, so they can be restored.
func (a *Adapter) EnsureVoiceRoute(ctx context.Context, creds providers.Credentials, num providers.Number, route providers.Route) (providers.Change, error) {
	const op = "configure voice"
	if err := checkCreds(creds, op); err != nil {
		return providers.Change{}, err
	}
	cur := num.Voice
	if what := elsewhere(cur); what != "" && !route.Override {
		return providers.Change{}, &providers.Error{Kind: providers.KindConflict, Provider: Name, Op: op,
			Message: fmt.Sprintf("%s is configured elsewhere (%s); set override to take it over", num.E164, what)}
	}
	want := providers.VoiceConfig{VoiceURL: route.VoiceURL, VoiceMethod: http.MethodPost, StatusCallback: route.StatusCallback}
	p := &api.UpdateIncomingPhoneNumberParams{}
	changed := false
	set := func(differs bool, field **string, v string) {
		if differs {
			*field = &v
			changed = true
		}
	}
	set(cur.VoiceURL != want.VoiceURL, &p.VoiceUrl, want.VoiceURL)
	set(cur.VoiceMethod != want.VoiceMethod, &p.VoiceMethod, want.VoiceMethod)
	set(cur.StatusCallback != want.StatusCallback, &p.StatusCallback, want.StatusCallback)
	if want.StatusCallback != "" && cur.StatusCallback != want.StatusCallback {
		set(true, &p.StatusCallbackMethod, http.MethodPost)
	}
	set(cur.ApplicationID != "", &p.VoiceApplicationSid, "")
	set(cur.TrunkID != "", &p.TrunkSid, "")
	set(cur.FallbackURL != "", &p.VoiceFallbackUrl, "")
	set(cur.ReceiveMode != "", &p.VoiceReceiveMode, receiveModeVoice)
	if !changed {
		return providers.Change{Before: cur, After: cur}, nil
	}
	c := a.newCall(ctx, creds, op)
	updated, err := c.api.UpdateIncomingPhoneNumber(num.ID, p)
	if err != nil {
		return providers.Change{}, c.classify(err)
	}
	return providers.Change{Before: cur, After: toNumber(*updated).Voice, Changed: true}, nil
}

// receiveModeVoice is the voice_receive_mode of a number that takes calls.
const receiveModeVoice = "voice"

// elsewhere describes the voice configuration of cur that switchboard never
// sets and that would keep calls from reaching its voice URL, or returns ""
// when there is none.
func elsewhere(cur providers.VoiceConfig) string {
	var what []string
	if cur.TrunkID != "" {
		what = append(what, "SIP trunk "+cur.TrunkID)
	}
	if cur.ApplicationID != "" {
		what = append(what, "voice application "+cur.ApplicationID)
	}
	if cur.FallbackURL != "" {
		what = append(what, "voice fallback URL "+cur.FallbackURL)
	}
	if cur.ReceiveMode != "" {
		what = append(what, "receive mode "+cur.ReceiveMode)
	}
	return strings.Join(what, ", ")
}

// ResetVoiceRoute points num back at the default route. What switchboard
// never sets (a trunk, an application, a fallback URL, fax) is refused as
// by EnsureVoiceRoute: someone configured it after switchboard did.
func (a *Adapter) ResetVoiceRoute(ctx context.Context, creds providers.Credentials, num providers.Number, def providers.Route) (providers.Change, error) {
	return a.EnsureVoiceRoute(ctx, creds, num, def)
}

func toNumber(n api.ApiV2010IncomingPhoneNumber) providers.Number {
	return providers.Number{
		ID:   deref(n.Sid),
		E164: deref(n.PhoneNumber),
		Voice: providers.VoiceConfig{
			VoiceURL:       deref(n.VoiceUrl),
			VoiceMethod:    deref(n.VoiceMethod),
			StatusCallback: deref(n.StatusCallback),
			ApplicationID:  deref(n.VoiceApplicationSid),
			TrunkID:        deref(n.TrunkSid),
			FallbackURL:    deref(n.VoiceFallbackUrl),
			ReceiveMode:    receiveMode(deref(n.VoiceReceiveMode)),
		},
	}
}

// receiveMode is the ReceiveMode of a number whose voice_receive_mode is m:
// empty for voice (and for a response without the field).
func receiveMode(m string) string {
	if m == receiveModeVoice {
		return ""
	}
	return m
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// checkCreds refuses credentials the SDK would refuse locally (it only
// accepts alphanumeric SIDs and tokens), before any request is made.
func checkCreds(c providers.Credentials, op string) error {
	if c.AccountID == "" || c.Secret == "" || !alnum(c.AccountID) || !alnum(c.Secret) || !alnum(c.Username) {
		return &providers.Error{Kind: providers.KindInvalidCredentials, Provider: Name, Op: op,
			Message: "account SID, API key and secret must be alphanumeric (SID and secret non-empty)"}
	}
	if _, ok := regionEdges[c.Region]; !ok {
		return &providers.Error{Kind: providers.KindBadRequest, Provider: Name, Op: op,
			Message: fmt.Sprintf("unknown Twilio region %q (want one of %s, or none for US1)", c.Region, strings.Join(Regions(), ", "))}
	}
	return nil
}

func alnum(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// classify turns what the SDK returned into a *providers.Error. The SDK
// decodes Twilio's error body into *TwilioRestError; when the body is not
// JSON (an empty 502 from a proxy) it returns a decode error, and the
// status comes from the exchange instead.
func (c *call) classify(err error) error {
	status, retryAfter := c.ex.Last()
	pe := &providers.Error{Provider: Name, Op: c.op, Status: status, RetryAfter: retryAfter, Err: err}
	var te *twclient.TwilioRestError
	switch {
	case errors.As(err, &te):
		if te.Status != 0 {
			pe.Status = te.Status
		}
		pe.Code = fmt.Sprint(te.Code)
		pe.Message = te.Message
		pe.Kind = kindFor(pe.Status, te.Code)
	case status != 0:
		pe.Kind = providers.KindForStatus(status)
		pe.Message = http.StatusText(status)
		if status < 400 {
			pe.Kind, pe.Message = providers.KindTransient, "unreadable response"
		}
	default:
		// No response: connection refused, reset, timeout, cancelled.
		pe.Kind = providers.KindTransient
		pe.Message = "no response"
		if errors.Is(err, context.DeadlineExceeded) {
			pe.Message = "timed out"
		}
	}
	return pe
}

// kindFor maps Twilio's status and error code to a Kind.
func kindFor(status, code int) providers.Kind {
	switch code {
	case 20003, 20005, 21222, 21224: // authenticate; account not active; SDK-side illegal characters
		return providers.KindInvalidCredentials
	case 20404:
		return providers.KindNotOwned
	case 20429:
		return providers.KindRateLimited
	}
	return providers.KindForStatus(status)
}
