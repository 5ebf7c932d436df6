// Package telnyx is switchboard's Telnyx adapter: it proves API keys, finds
// owned numbers and routes their inbound calls to switchboard by attaching
// them to a TeXML application (or, when a route asks, a Call Control
// application), with plain net/http against the v2 REST API (no Telnyx Go
// SDK is available) and as few API calls as possible.
//
// Telnyx numbers carry no voice URL: a number points at a connection
// (connection_id). A TeXML application fetches XML instructions from its
// voice_url when a call arrives, as Twilio and Plivo do, so it is the
// default (see kindOf); a Call Control application posts JSON events to a
// webhook and ignores the reply. The adapter keeps one application per org
// and route, named route.Name (create-or-reuse), and moves numbers onto it.
// Only connection_id is ever written on a number; messaging, tags and
// everything else are left alone.
//
// Foreign wiring: a number on a connection switchboard has no record of
// (a SIP trunk, someone's own application, another org's application on
// the same account, whatever its name) belongs to someone else, and is
// refused with providers.KindConflict unless the route says Override.
// Switchboard's records come with the route (Route.ApplicationID and
// Route.Ours), so the decision needs no extra call. Lookup reports the
// connection's name in VoiceConfig.ApplicationName (Telnyx's
// connection_name), for messages and restores.
package telnyx

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

// Name is the provider name the adapter answers to.
const Name = "telnyx"

// DefaultBaseURL is Telnyx's API host; request paths start with /v2.
const DefaultBaseURL = "https://api.telnyx.com"

// Options configure an Adapter. The zero value talks to api.telnyx.com.
type Options struct {
	// BaseURL replaces https://api.telnyx.com, e.g. a simulator's URL. It
	// names the host (and an optional path prefix, as in
	// http://127.0.0.1:8080/sandbox/telnyx), not the /v2 API root: the
	// adapter appends /v2/... itself.
	BaseURL string
	// Transport carries the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Timeout bounds each HTTP request, on top of the caller's context.
	// Default 15s.
	Timeout time.Duration
	// UserAgent is sent as User-Agent, e.g. "switchboard/1.2.0". Default
	// "switchboard".
	UserAgent string
}

// Adapter implements providers.Provider for Telnyx. It holds no state but
// its configuration, so it is safe for concurrent use.
type Adapter struct {
	base      *url.URL
	client    *http.Client
	userAgent string
}

var _ providers.Provider = (*Adapter)(nil)

// New returns an Adapter. It fails only on a malformed BaseURL.
func New(o Options) (*Adapter, error) {
	base, err := providers.ParseBaseURL(Name, cmp.Or(o.BaseURL, DefaultBaseURL))
	if err != nil {
		return nil, err
	}
	if base.RawQuery != "" {
		// The adapter appends /v2/... to the base: a query would end up in
		// the middle of every URL.
		return nil, fmt.Errorf("telnyx: base URL %q: want scheme://host[/prefix]", o.BaseURL)
	}
	return &Adapter{
		base:      base,
		userAgent: cmp.Or(o.UserAgent, providers.DefaultUserAgent),
		client: &http.Client{
			Transport: o.Transport,
			Timeout:   cmp.Or(o.Timeout, providers.DefaultTimeout),
			// A redirect is an answer, not a hop: following it could
			// replay a PATCH, or send the API key to another host.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// Name implements providers.Provider.
func (a *Adapter) Name() string { return Name }

// ValidateCredentials reads the account balance, the cheapest
// authenticated call: one GET. A refused key (401, code 10009) is
// KindInvalidCredentials. A 403 (code 10010) means Telnyx authenticated
// the key and its role may not read billing, which says nothing about
// numbers: the credentials are valid (Lookup then shows whether the key
// may read the number).
func (a *Adapter) ValidateCredentials(ctx context.Context, creds providers.Credentials) error {
	c, err := a.newCall(ctx, creds, "validate credentials")
	if err != nil {
		return err
	}
	var out balanceResponse
	err = c.do(http.MethodGet, "/v2/balance", nil, nil, &out)
	if statusOf(err) == http.StatusForbidden {
		return nil
	}
	return err
}

// lookupPageSize is the page size of ownership lookups. The filter matches
// substrings, so a full E.164 number matches a handful of numbers at most.
const lookupPageSize = 20

// maxPages bounds how far a lookup pages through partial matches: a filter
// on a full number matching more than a few pages means something is off,
// and paging forever would be worse than answering "not owned".
const maxPages = 10

// isE164 reports whether s is '+' and 3 to 15 digits, the first not 0:
// E.164, long enough for Telnyx's filter (which needs 3 digits).
func isE164(s string) bool {
	d, ok := strings.CutPrefix(s, "+")
	if !ok || len(d) < 3 || len(d) > 15 || d[0] == '0' {
		return false
	}
	return !strings.ContainsFunc(d, func(r rune) bool { return r < '0' || r > '9' })
}

// Lookup lists the account's numbers filtered by e164's digits (one GET,
// which also proves the key) and keeps the exact match: Telnyx's filter
// matches substrings, and yields nothing at all when sent the '+'.
//
// Only an "active" number can be routed. A number whose purchase or port
// failed, or that was deleted or ported out, is not the account's:
// KindNotOwned. One that is still being bought or ported in, is being
// ported out, or is emergency-only is the account's but cannot take calls
// now: KindBadRequest, permanent, so the user retries once it is active
// instead of the worker retrying for the days a port can take.
func (a *Adapter) Lookup(ctx context.Context, creds providers.Credentials, e164 string) (providers.Number, error) {
	const op = "lookup"
	c, err := a.newCall(ctx, creds, op)
	if err != nil {
		return providers.Number{}, err
	}
	if !isE164(e164) {
		return providers.Number{}, &providers.Error{Kind: providers.KindBadRequest, Provider: Name, Op: op,
			Message: fmt.Sprintf("%q is not an E.164 number", e164)}
	}
	for page := 1; page <= maxPages; page++ {
		q := url.Values{
			"filter[phone_number]": {e164[1:]},
			"page[size]":           {strconv.Itoa(lookupPageSize)},
		}
		if page > 1 {
			q.Set("page[number]", strconv.Itoa(page))
		}
		var list phoneNumberList
		if err := c.do(http.MethodGet, "/v2/phone_numbers", q, nil, &list); err != nil {
			return providers.Number{}, err
		}
		for _, n := range list.Data {
			if n.PhoneNumber == e164 {
				return n.toNumber(op)
			}
		}
		if len(list.Data) == 0 || page >= list.Meta.TotalPages {
			break
		}
	}
	return providers.Number{}, &providers.Error{Kind: providers.KindNotOwned, Provider: Name, Op: op,
		Message: fmt.Sprintf("the account does not own %s", e164)}
}

// toNumber converts a listed number, refusing one that is not active (see
// Lookup).
func (n phoneNumber) toNumber(op string) (providers.Number, error) {
	switch n.Status {
	case "active":
	case "deleted", "ported-out", "purchase-failed", "port-failed":
		return providers.Number{}, &providers.Error{Kind: providers.KindNotOwned, Provider: Name, Op: op,
			Message: fmt.Sprintf("%s is %s", n.PhoneNumber, n.Status)}
	default:
		return providers.Number{}, &providers.Error{Kind: providers.KindBadRequest, Provider: Name, Op: op,
			Message: fmt.Sprintf("%s is %s, not active: it cannot take calls yet", n.PhoneNumber, n.Status)}
	}
	return providers.Number{
		ID:   n.ID,
		E164: n.PhoneNumber,
		Voice: providers.VoiceConfig{
			ApplicationID:   n.ConnectionID,
			ApplicationName: n.ConnectionName,
		},
	}, nil
}
