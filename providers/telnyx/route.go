package telnyx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/switchboardhq/switchboard/providers"
)

// EnsureVoiceRoute attaches num to the Call Control application named
// route.Name, whose webhook is route.VoiceURL, creating or fixing the
// application when needed. Its cost in calls, after Lookup:
//
//   - route.ApplicationID set and num already on it: none. The hint is
//     trusted to name route.Name's application with route.VoiceURL (the
//     worker drops it when the route's URL changes); a run without it
//     re-checks the application.
//   - route.ApplicationID set: one PATCH of the number. When the
//     application no longer exists, it falls back to the name, below.
//   - otherwise: one GET listing applications by name, then a POST when
//     none exists (or a PATCH when its webhook drifted), then a PATCH of
//     the number unless it is already there.
//
// A number on a connection that is neither route.ApplicationID nor in
// route.Ours (applications switchboard recorded for the account), whatever
// its name, is wired by someone else: refused with KindConflict, with no
// write, unless route.Override. Change.Before is
// num.Voice (the old connection's id and name, for restoring it);
// Change.After names the application and its webhook URL.
func (a *Adapter) EnsureVoiceRoute(ctx context.Context, creds providers.Credentials, num providers.Number, route providers.Route) (providers.Change, error) {
	return a.route(ctx, creds, num, route, "configure voice")
}

// ResetVoiceRoute puts num back on the org's default route def, exactly as
// EnsureVoiceRoute routes it: a connection switchboard manages (any
// route's application) is always replaced, and a foreign one is refused
// unless def.Override.
func (a *Adapter) ResetVoiceRoute(ctx context.Context, creds providers.Credentials, num providers.Number, def providers.Route) (providers.Change, error) {
	return a.route(ctx, creds, num, def, "reset voice")
}

func (a *Adapter) route(ctx context.Context, creds providers.Credentials, num providers.Number, r providers.Route, op string) (providers.Change, error) {
	c, err := a.newCall(ctx, creds, op)
	if err != nil {
		return providers.Change{}, err
	}
	if err := checkRoute(num, r, op); err != nil {
		return providers.Change{}, err
	}
	cur := num.Voice
	if foreign(cur, r) && !r.Override {
		name := cur.ApplicationName
		if name == "" {
			name = "unnamed"
		}
		return providers.Change{}, &providers.Error{Kind: providers.KindConflict, Provider: Name, Op: op,
			Message: fmt.Sprintf("%s is on connection %s (%s), which switchboard has no record of creating for this account; set override to take it over",
				num.E164, cur.ApplicationID, name)}
	}

	if r.ApplicationID != "" && cur.ApplicationID == r.ApplicationID {
		return providers.Change{Before: cur, After: after(r, r.ApplicationID)}, nil
	}
	// A number about to be moved is checked for forwarding first, so a
	// refusal writes nothing. One already on the route's application was
	// checked when it was moved there.
	if cur.ApplicationName != r.Name || cur.ApplicationID == "" {
		fwd, err := c.forwardsAlways(num.ID)
		if err != nil {
			return providers.Change{}, err
		}
		if fwd != "" && !r.Override {
			return providers.Change{}, &providers.Error{Kind: providers.KindConflict, Provider: Name, Op: op,
				Message: fmt.Sprintf("%s forwards every call to %s (call forwarding \"always\"); set override to take it over", num.E164, fwd)}
		}
		if fwd != "" {
			if err := c.stopForwarding(num.ID); err != nil {
				return providers.Change{}, err
			}
			cur.ForwardsTo = fwd
		}
	}

	if r.ApplicationID != "" {
		err := c.attach(num.ID, r.ApplicationID)
		if err == nil {
			return providers.Change{Before: cur, After: after(r, r.ApplicationID), Changed: true}, nil
		}
		if gone, err := c.hintGone(err, r); !gone {
			return providers.Change{}, err
		}
	}

	appID, wrote, err := c.ensureApplication(r)
	if err != nil {
		return providers.Change{}, err
	}
	if cur.ApplicationID == appID {
		return providers.Change{Before: cur, After: after(r, appID), Changed: wrote || cur.ForwardsTo != ""}, nil
	}
	if err := c.attach(num.ID, appID); err != nil {
		return providers.Change{}, err
	}
	return providers.Change{Before: cur, After: after(r, appID), Changed: true}, nil
}

// forwardsAlways reads num's voice settings (one GET) and returns where it
// forwards every call, or "" when it does not: call forwarding of type
// "always" diverts calls whatever the number's connection says, so a
// number with it is configured elsewhere. "on-failure" forwarding only
// catches calls switchboard's route fails to answer, and is left alone.
func (c *call) forwardsAlways(numberID string) (string, error) {
	var out voiceSettingsResponse
	if err := c.do(http.MethodGet, "/v2/phone_numbers/"+url.PathEscape(numberID)+"/voice", nil, nil, &out); err != nil {
		return "", err
	}
	f := out.Data.CallForwarding
	if f.Enabled != nil && !*f.Enabled || f.Type != "always" || f.To == "" {
		return "", nil
	}
	return f.To, nil
}

// stopForwarding turns num's call forwarding off (override), so calls
// reach its connection: PATCH call_forwarding and nothing else.
func (c *call) stopForwarding(numberID string) error {
	var out voiceSettingsResponse
	body := voiceSettingsUpdate{CallForwarding: callForwarding{Enabled: new(bool)}}
	return c.do(http.MethodPatch, "/v2/phone_numbers/"+url.PathEscape(numberID)+"/voice", nil, body, &out)
}

// checkRoute refuses, before any call, what cannot end well: a number not
// from Lookup, and a route not named as switchboard names its applications
// (NamePrefix) or that sends calls nowhere.
func checkRoute(num providers.Number, r providers.Route, op string) error {
	var msg string
	switch {
	case num.ID == "":
		msg = "the number has no Telnyx id: look it up first"
	case !providers.Managed(r.Name):
		msg = fmt.Sprintf("route name %q does not start with %q", r.Name, providers.NamePrefix)
	case r.VoiceURL == "":
		msg = "the route has no voice URL"
	default:
		return nil
	}
	return &providers.Error{Kind: providers.KindBadRequest, Provider: Name, Op: op, Message: msg}
}

// foreign reports whether cur's connection belongs to someone else: set,
// and neither the route's known application nor one switchboard recorded
// (r.Ours). Its name says nothing: another org's application on the same
// account is named switchboard-org<other>-..., and anyone may name an
// application switchboard-anything. Refusing is recoverable (Override),
// overwriting is not.
func foreign(cur providers.VoiceConfig, r providers.Route) bool {
	return cur.ApplicationID != "" && cur.ApplicationID != r.ApplicationID && !slices.Contains(r.Ours, cur.ApplicationID)
}

// after is the configuration a number has once on application appID.
func after(r providers.Route, appID string) providers.VoiceConfig {
	v := providers.VoiceConfig{VoiceURL: r.VoiceURL, ApplicationID: appID, ApplicationName: r.Name}
	if kindOf(r) == texmlKind {
		v.VoiceMethod, v.StatusCallback = http.MethodPost, statusCallback(r)
	}
	return v
}

// attach moves number numberID onto connection appID: PATCH connection_id
// and nothing else.
func (c *call) attach(numberID, appID string) error {
	var out phoneNumberResponse
	if err := c.do(http.MethodPatch, "/v2/phone_numbers/"+url.PathEscape(numberID), nil, numberUpdate{ConnectionID: appID}, &out); err != nil {
		return err
	}
	if out.Data.ID != "" && out.Data.ConnectionID != appID {
		return &providers.Error{Kind: providers.KindTransient, Provider: Name, Op: c.op, Status: http.StatusOK,
			Message: fmt.Sprintf("Telnyx answered the update with connection %q, not %q", out.Data.ConnectionID, appID)}
	}
	return nil
}

// hintGone decides, after attaching to the hinted application failed with
// err, whether the hint is stale (true: find the application by name) or
// err stands (false, and the error to report). Only an answer that may be
// about the connection (422, or a 404 naming it; a plain 404 is the
// number) is checked, with one GET of the hinted application.
func (c *call) hintGone(err error, r providers.Route) (bool, error) {
	var re *responseError
	if !errors.As(err, &re) {
		return false, err
	}
	if re.Status != http.StatusUnprocessableEntity && (re.Status != http.StatusNotFound || !re.mentions("connection")) {
		return false, err
	}
	var out applicationResponse
	k := kindOf(r)
	gerr := c.do(http.MethodGet, k.path+"/"+url.PathEscape(r.ApplicationID), nil, nil, &out)
	switch s := statusOf(gerr); {
	case gerr == nil && k.name(out.Data) == r.Name:
		return false, err // the application is there: the refusal is about something else
	case gerr == nil, s == http.StatusNotFound, s == http.StatusUnprocessableEntity:
		return true, nil // gone, or the hint names another application
	default:
		return false, gerr
	}
}
