package plivotest

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Paging limits documented by Plivo: 20 objects per page at most.
const (
	defaultLimit = 20
	maxLimit     = 20
)

// metaJSON is Plivo's paging block, in the recorded key order. next and
// previous are URIs relative to the API root, or null.
type metaJSON struct {
	Limit      int     `json:"limit"`
	Next       *string `json:"next"`
	Offset     int     `json:"offset"`
	Previous   *string `json:"previous"`
	TotalCount int     `json:"total_count"`
}

// applicationPageJSON is the Application list envelope.
type applicationPageJSON struct {
	APIID   string            `json:"api_id"`
	Meta    metaJSON          `json:"meta"`
	Objects []applicationJSON `json:"objects"`
}

// listQuery is a parsed Application list request.
type listQuery struct {
	name    string
	hasName bool
	limit   int
	offset  int
	sub     string // the subaccount whose applications are listed
}

func parseListQuery(q url.Values) (listQuery, string) {
	lq := listQuery{limit: defaultLimit}
	if v, ok := q["app_name"]; ok && len(v) > 0 {
		lq.name, lq.hasName = v[0], true
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return lq, "limit must be an integer from 1 to 20"
		}
		lq.limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return lq, "offset must be a non-negative integer"
		}
		lq.offset = n
	}
	lq.sub = q.Get("subaccount")
	return lq, ""
}

// uri is the list URI for another offset, relative to the API root.
func (lq *listQuery) uri(authID string, offset int) string {
	var b strings.Builder
	b.WriteString(apiRoot + authID + "/Application/?")
	if lq.hasName {
		b.WriteString("app_name=" + url.QueryEscape(lq.name) + "&")
	}
	b.WriteString("limit=" + strconv.Itoa(lq.limit) + "&offset=" + strconv.Itoa(offset))
	if lq.sub != "" {
		b.WriteString("&subaccount=" + url.QueryEscape(lq.sub))
	}
	return b.String()
}

// listApplications lists the account's applications, or those of the
// subaccount named by subaccount, newest first, app_name matching exactly
// (or as a substring, WithAppNameContains). Without subaccount a main
// account's list holds its own applications only, or its subaccounts' too
// with WithSubaccountApplicationsListed.
func (s *Server) listApplications(w http.ResponseWriter, r *http.Request, t target) {
	lq, msg := parseListQuery(r.URL.Query())
	if msg != "" {
		writeError(w, s.newAPIID(), http.StatusBadRequest, msg)
		return
	}
	s.mu.Lock()
	a, msg := s.subaccountOf(s.accounts[t.account], lq.sub)
	if msg != "" {
		s.mu.Unlock()
		writeError(w, s.newAPIID(), http.StatusBadRequest, msg)
		return
	}
	accounts := []*account{a}
	if lq.sub == "" && s.listSubaccountApps {
		accounts = s.family(a)
	}
	type owned struct {
		app   *Application
		owner *account
	}
	var matching []owned
	for _, o := range accounts {
		for i := len(o.apps) - 1; i >= 0; i-- {
			if app := o.apps[i]; !lq.hasName || app.AppName == lq.name || s.nameContains && strings.Contains(app.AppName, lq.name) {
				matching = append(matching, owned{app, o})
			}
		}
	}
	// Newest first across accounts: ids grow with time.
	slices.SortStableFunc(matching, func(x, y owned) int { return cmp.Compare(y.app.AppID, x.app.AppID) })
	start := min(lq.offset, len(matching))
	end := min(start+lq.limit, len(matching))
	body := applicationPageJSON{
		APIID: s.apiID(),
		Meta: metaJSON{
			Limit:      lq.limit,
			Offset:     lq.offset,
			TotalCount: len(matching),
		},
		Objects: make([]applicationJSON, 0, end-start),
	}
	for _, m := range matching[start:end] {
		body.Objects = append(body.Objects, m.app.wire(m.owner, ""))
	}
	s.mu.Unlock()
	if end < len(matching) {
		body.Meta.Next = new(lq.uri(t.account, end))
	}
	if lq.offset > 0 {
		body.Meta.Previous = new(lq.uri(t.account, max(0, lq.offset-lq.limit)))
	}
	writeJSON(w, http.StatusOK, body)
}
