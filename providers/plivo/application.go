package plivo

import (
	"errors"
	"fmt"
	"net/http"

	plivo "github.com/plivo/plivo-go/v7"

	"github.com/switchboardhq/switchboard/providers"
)

// Paging of the application list: Plivo serves at most 20 per page. Names
// are switchboard's own, so more than one page of them means duplicates
// made outside switchboard; maxPages bounds the walk through them.
const (
	pageSize = 20
	maxPages = 50
)

// appConfig is what a route's application must hold. Methods are always
// POST.
type appConfig struct {
	answerURL string
	hangupURL string
}

// configOf is the application configuration of a route. Plivo defaults
// hangup_url to answer_url; the adapter always sends it, so the comparison
// with what Plivo reports stays exact.
func configOf(r providers.Route) appConfig {
	c := appConfig{answerURL: r.VoiceURL, hangupURL: r.HangupURL}
	if c.hangupURL == "" {
		c.hangupURL = c.answerURL
	}
	return c
}

func (w appConfig) matches(app plivo.Application) bool {
	return app.AnswerURL == w.answerURL && app.AnswerMethod == http.MethodPost &&
		app.HangupURL == w.hangupURL && app.HangupMethod == http.MethodPost
}

// ensureApplication finds the application named name in the account sub
// (a subaccount's auth ID, or "" for the credentials' own account),
// updating it when its configuration differs from want, or creates it
// there. It returns the app_id and whether it wrote anything.
func (c *call) ensureApplication(name, sub string, want appConfig) (string, bool, error) {
	app, found, err := c.findApplication(name, sub)
	if err != nil {
		return "", false, err
	}
	if !found {
		created, definite, err := c.createApplication(name, sub, want)
		if err != nil || definite {
			return created.AppID, true, err
		}
		app = created // found by listing after an ambiguous create: check it as any other
	}
	if want.matches(app) {
		return app.AppID, false, nil
	}
	if err := c.updateApplication(app.AppID, sub, want); err != nil {
		return "", false, err
	}
	return app.AppID, true, nil
}

// findApplication lists the applications named name in the account sub.
// Plivo does not keep names unique, so there may be several (made in the
// console, or by a create whose answer was lost before this adapter
// guarded against resends): the one with the smallest app_id wins, so
// every worker picks the same one whatever order Plivo lists them in.
// Names are compared exactly, whatever they hold (console names may have
// spaces or dots), and an application whose sub_account names another
// account than sub is never taken, should Plivo list it.
func (c *call) findApplication(name, sub string) (plivo.Application, bool, error) {
	var best plivo.Application
	found := false
	offset := 0
	for range maxPages {
		var list applicationList
		if err := c.run(providers.KindTransient, func() error {
			list = applicationList{}
			return c.voice(http.MethodGet, plivo.ApplicationListParams{Subaccount: sub, AppName: name, Limit: pageSize, Offset: offset},
				&list, "Application")
		}); err != nil {
			return plivo.Application{}, false, err
		}
		if list.Objects == nil {
			// Plivo always sends "objects" (maybe empty). Without it the
			// answer says nothing, and taking it for "no application"
			// would create a duplicate.
			return plivo.Application{}, false, c.unreadable()
		}
		for _, app := range list.Objects {
			// Compare exactly: the filter is Plivo's, not a promise.
			owner, ok := subaccountID(app.SubAccount)
			mine := ok && (owner == "" || owner == sub)
			if mine && app.AppName == name && isDigits(app.AppID) && (!found || lessID(app.AppID, best.AppID)) {
				best, found = app.Application, true
			}
		}
		offset += len(list.Objects)
		if list.Meta.Next == nil || len(list.Objects) == 0 || int64(offset) >= list.Meta.TotalCount {
			break
		}
	}
	return best, found, nil
}

// lessID orders numeric app_ids by value.
func lessID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// createApplication creates the application named name. definite reports
// that Plivo answered the create itself; otherwise the create was
// ambiguous (a 5xx, no answer, or a 2xx without an app_id: it may or may
// not have been applied) and the application returned was found by
// listing. When listing does not find it either, nothing was created and
// the error is KindTransient: the worker retries, and the retry lists
// before it creates.
func (c *call) createApplication(name, sub string, want appConfig) (app plivo.Application, definite bool, err error) {
	params := plivo.ApplicationCreateParams{
		AppName:      name,
		AnswerURL:    want.answerURL,
		AnswerMethod: http.MethodPost,
		HangupURL:    want.hangupURL,
		HangupMethod: http.MethodPost,
		// Never DefaultNumberApp: that would capture every number
		// attached without an app_id.
	}
	var resp plivo.ApplicationCreateResponseBody
	err = c.run(providers.KindTransient, func() error {
		return c.voice(http.MethodPost, createParams{params, sub}, &resp, "Application")
	})
	if err == nil && resp.AppID != "" {
		return plivo.Application{AppID: resp.AppID, AppName: name, AnswerURL: want.answerURL,
			AnswerMethod: http.MethodPost, HangupURL: want.hangupURL, HangupMethod: http.MethodPost}, true, nil
	}
	// run already judged by the recorded status, so a 5xx the SDK turned
	// into a nil error (after its resends, which the edge refused) is an
	// error here; a nil error is a 2xx without an app_id.
	st := status(err)
	if err == nil {
		st, _ = c.ex.Last()
	}
	if errors.Is(err, errNotSent) || st >= 300 && st < 500 {
		return plivo.Application{}, false, err // refused, or never sent: nothing was created
	}
	app, found, lerr := c.findApplication(name, sub)
	if lerr != nil {
		return plivo.Application{}, false, lerr
	}
	if !found {
		return plivo.Application{}, false, &providers.Error{Kind: providers.KindTransient, Provider: Name, Op: c.op,
			Status: st, Message: fmt.Sprintf("creating application %s got no usable answer and it does not exist; retry", name)}
	}
	return app, false, nil
}

// updateApplication sets the URLs and methods of the application appID of
// the account sub. A 404 means it was deleted since it was listed:
// transient, the retry recreates it.
func (c *call) updateApplication(appID, sub string, want appConfig) error {
	return c.run(providers.KindTransient, func() error {
		var resp plivo.ApplicationUpdateResponse
		return c.voice(http.MethodPost, updateParams{plivo.ApplicationUpdateParams{
			AnswerURL:    want.answerURL,
			AnswerMethod: http.MethodPost,
			HangupURL:    want.hangupURL,
			HangupMethod: http.MethodPost,
		}, sub}, &resp, "Application/%s", appID)
	})
}

// attach attaches the number digits to the application appID. app_id is
// always sent: without it Plivo attaches the account's default
// application. A 404 (no such application, or the number is no longer
// rented) is transient: the caller falls back to the by-name path, and the
// worker's retry looks the number up first.
func (c *call) attach(digits, appID string) error {
	return c.run(providers.KindTransient, func() error {
		_, err := c.sdk.Numbers.Update(digits, plivo.NumberUpdateParams{AppID: appID})
		return err
	})
}
