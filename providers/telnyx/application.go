package telnyx

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/providers"
)

// applicationPageSize is Telnyx's maximum page size: the name filter
// matches substrings, and one page almost always holds every match.
const applicationPageSize = 250

// ensureApplication returns the id of the Call Control application named
// r.Name with webhook r.VoiceURL, creating it when there is none and
// updating it when its webhook drifted or it was deactivated. It reports
// whether it wrote anything.
//
// The create is the adapter's only non-idempotent call, so it is never
// repeated blindly: when it gets no usable answer (no response, 5xx, an
// unreadable 201) the application is looked for by name. Found, it is
// used; not found, the error is transient, and the worker's retry lists
// again before creating.
func (c *call) ensureApplication(r providers.Route) (string, bool, error) {
	app, found, err := c.findApplication(r.Name)
	if err != nil {
		return "", false, err
	}
	wrote := false
	if !found {
		id, err := c.createApplication(r)
		if err == nil {
			return id, true, nil
		}
		if k, _ := providers.KindOf(err); k != providers.KindTransient {
			return "", false, err // refused or rate limited: nothing was created
		}
		var lerr error
		app, found, lerr = c.findApplication(r.Name)
		if lerr != nil {
			return "", false, lerr
		}
		if !found {
			return "", false, &providers.Error{Kind: providers.KindTransient, Provider: Name, Op: c.op,
				Status: statusOf(err), Err: err,
				Message: fmt.Sprintf("creating application %s got no answer, and it is not listed: retry", r.Name)}
		}
		wrote = true
	}
	if app.WebhookEventURL == r.VoiceURL && (app.Active == nil || *app.Active) {
		return app.ID, wrote, nil
	}
	if err := c.updateApplication(app.ID, r); err != nil {
		if statusOf(err) == http.StatusNotFound {
			// Deleted between the list and the update. Not the number's
			// "not owned": list (and create) again on the retry.
			return "", false, &providers.Error{Kind: providers.KindTransient, Provider: Name, Op: c.op,
				Status: http.StatusNotFound, Err: err,
				Message: fmt.Sprintf("application %s (%s) disappeared while being updated: retry", r.Name, app.ID)}
		}
		return "", false, err
	}
	return app.ID, true, nil
}

// findApplication lists the applications whose name contains name (Telnyx
// matches case-insensitively, and substrings) and keeps those named
// exactly name. Names are not unique at Telnyx: two workers racing past an
// empty list can create two. The oldest (then the smallest id) wins, so
// every later run converges on the same one.
func (c *call) findApplication(name string) (application, bool, error) {
	var matches []application
	for page := 1; page <= maxPages; page++ {
		q := url.Values{
			"filter[application_name][contains]": {name},
			"page[size]":                         {strconv.Itoa(applicationPageSize)},
			// Oldest first keeps pages stable while applications are added.
			"sort": {"created_at"},
		}
		if page > 1 {
			q.Set("page[number]", strconv.Itoa(page))
		}
		var list applicationList
		if err := c.do(http.MethodGet, "/v2/call_control_applications", q, nil, &list); err != nil {
			return application{}, false, err
		}
		for _, app := range list.Data {
			if app.ApplicationName == name && app.ID != "" {
				matches = append(matches, app)
			}
		}
		if len(list.Data) == 0 || page >= list.Meta.TotalPages {
			break
		}
	}
	if len(matches) == 0 {
		return application{}, false, nil
	}
	return slices.MinFunc(matches, compareApplications), true, nil
}

// compareApplications orders by created_at, then by id as a number (ids
// are decimal int64s, so a shorter id is smaller). An unreadable
// created_at sorts last.
func compareApplications(a, b application) int {
	ta, errA := time.Parse(time.RFC3339Nano, a.CreatedAt)
	tb, errB := time.Parse(time.RFC3339Nano, b.CreatedAt)
	switch {
	case errA != nil && errB == nil:
		return 1
	case errA == nil && errB != nil:
		return -1
	case errA == nil && errB == nil:
		if c := ta.Compare(tb); c != 0 {
			return c
		}
	}
	if c := len(a.ID) - len(b.ID); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// webhookTimeoutSecs is how long Telnyx waits for switchboard's webhook.
const webhookTimeoutSecs = 25

// createApplication creates r's application, active, and returns its id.
func (c *call) createApplication(r providers.Route) (string, error) {
	body := applicationCreate{
		ApplicationName:         r.Name,
		WebhookEventURL:         r.VoiceURL,
		WebhookEventFailoverURL: "",
		WebhookAPIVersion:       "2",
		WebhookTimeoutSecs:      webhookTimeoutSecs,
		Active:                  true,
	}
	var out applicationResponse
	if err := c.do(http.MethodPost, "/v2/call_control_applications", nil, body, &out); err != nil {
		return "", err
	}
	if out.Data.ID == "" {
		// Created, presumably, but with no id to use: as ambiguous as no answer.
		return "", &providers.Error{Kind: providers.KindTransient, Provider: Name, Op: c.op,
			Status: http.StatusCreated, Message: "the created application has no id"}
	}
	return out.Data.ID, nil
}

// updateApplication points application id's webhook at r.VoiceURL and
// activates it.
func (c *call) updateApplication(id string, r providers.Route) error {
	body := applicationUpdate{ApplicationName: r.Name, WebhookEventURL: r.VoiceURL, Active: true}
	var out applicationResponse
	return c.do(http.MethodPatch, "/v2/call_control_applications/"+url.PathEscape(id), nil, body, &out)
}
