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

// ensureApplication returns the id of the application (of r's kind, see
// kindOf) named r.Name that routes calls to r.VoiceURL, creating it when
// there is none and updating it when its URLs drifted or it was
// deactivated. It reports whether it wrote anything.
//
// The create is the adapter's only non-idempotent call, so it is never
// repeated blindly: when it gets no usable answer (no response, 5xx, an
// unreadable 201) the application is looked for by name. Found, it is
// used; not found, the error is transient, and the worker's retry lists
// again before creating.
func (c *call) ensureApplication(r providers.Route) (string, bool, error) {
	k := kindOf(r)
	app, found, err := c.findApplication(k, r.Name)
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
		app, found, lerr = c.findApplication(k, r.Name)
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
	if k.routes(app, r) {
		return app.ID, wrote, nil
	}
	if err := c.updateApplication(k, app.ID, r); err != nil {
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
func (c *call) findApplication(k *appKind, name string) (application, bool, error) {
	var matches []application
	for page := 1; page <= maxPages; page++ {
		q := url.Values{
			k.nameFilter: {name},
			"page[size]": {strconv.Itoa(applicationPageSize)},
			// Oldest first keeps pages stable while applications are added.
			"sort": {"created_at"},
		}
		if page > 1 {
			q.Set("page[number]", strconv.Itoa(page))
		}
		var list applicationList
		if err := c.do(http.MethodGet, k.path, q, nil, &list); err != nil {
			return application{}, false, err
		}
		for _, app := range list.Data {
			if k.name(app) == name && app.ID != "" {
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
	var out applicationResponse
	if err := c.do(http.MethodPost, kindOf(r).path, nil, kindOf(r).create(r), &out); err != nil {
		return "", err
	}
	if out.Data.ID == "" {
		// Created, presumably, but with no id to use: as ambiguous as no answer.
		return "", &providers.Error{Kind: providers.KindTransient, Provider: Name, Op: c.op,
			Status: http.StatusCreated, Message: "the created application has no id"}
	}
	return out.Data.ID, nil
}

// updateApplication puts application id of kind k back on r (its URLs)
// and activates it.
func (c *call) updateApplication(k *appKind, id string, r providers.Route) error {
	var out applicationResponse
	return c.do(http.MethodPatch, k.path+"/"+url.PathEscape(id), nil, k.update(r), &out)
}
