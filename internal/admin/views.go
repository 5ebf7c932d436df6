package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/phone"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// window is a recent stretch of time failures are counted and listed over.
type window struct {
	Key   string
	Label string
	D     time.Duration
}

var windows = []window{{"1h", "last hour", time.Hour}, {"24h", "last day", 24 * time.Hour}, {"7d", "last week", 7 * 24 * time.Hour}}

func windowOf(key string) (window, bool) {
	for _, w := range windows {
		if w.Key == key {
			return w, true
		}
	}
	return window{}, false
}

func (w window) since(now time.Time) time.Time {
	if w.D == 0 {
		return time.Time{}
	}
	return now.Add(-w.D)
}

var funcs = template.FuncMap{
	"reasonTitle":   reasonTitle,
	"reasonExplain": reasonExplain,
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"timePtr": func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"pretty": func(raw json.RawMessage) string { return redactJSON(raw) },
	"join":   strings.Join,
	"query":  queryURL,
}

// queryURL is a query string of key, value pairs, leaving out empty values
// (and 0, an org id not given).
func queryURL(kv ...any) template.URL {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if s := fmt.Sprint(kv[i+1]); s != "" && s != "0" {
			v.Set(fmt.Sprint(kv[i]), s)
		}
	}
	return template.URL(v.Encode())
}

// parsePages parses every page with the layout; a page named "x" is
// templates/x.html, and fragments are its templates too.
func parsePages() map[string]*template.Template {
	pages := map[string]*template.Template{}
	names, _ := fsGlob("templates/*.html")
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
	}
	return pages
}

// render executes page into a buffer first, so a template error is a
// clean 500 and not half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, data map[string]any) {
	h.renderTemplate(w, r, status, page, "layout", data)
}

func (h *Handler) renderTemplate(w http.ResponseWriter, r *http.Request, status int, page, tmpl string, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	data["Session"] = sessionOf(r.Context())
	data["Operator"] = sessionOf(r.Context()).Role == RoleOperator
	data["Page"] = page
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, tmpl, data); err != nil {
		h.fail(w, r, fmt.Errorf("render %s: %w", page, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func badRequest(w http.ResponseWriter, format string, args ...any) {
	http.Error(w, fmt.Sprintf(format, args...), http.StatusBadRequest)
}

// queueRow is one queue's counts by state.
type queueRow struct {
	Name                                                   string
	Pending, Active, Scheduled, Retry, Archived, Completed int
	Paused                                                 bool
}

// group is a count of failures with a link to them.
type group struct {
	Label string
	Count int
	Query template.URL
}

type failureSummary struct {
	Window     window
	Total      int
	ByReason   []group
	ByProvider []group
	ByOrg      []group
}

func (h *Handler) overviewData(r *http.Request) (map[string]any, error) {
	ctx := r.Context()
	var queues []queueRow
	names, err := h.insp.Queues()
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	sort.Strings(names)
	var total queueRow
	total.Name = "all queues"
	for _, n := range names {
		qi, err := h.insp.GetQueueInfo(n)
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", n, err)
		}
		row := queueRow{Name: n, Pending: qi.Pending, Active: qi.Active, Scheduled: qi.Scheduled, Retry: qi.Retry,
			Archived: qi.Archived, Completed: qi.Completed, Paused: qi.Paused}
		queues = append(queues, row)
		total.Pending += row.Pending
		total.Active += row.Active
		total.Scheduled += row.Scheduled
		total.Retry += row.Retry
		total.Archived += row.Archived
		total.Completed += row.Completed
	}
	orgNames := map[int64]string{}
	var sums []failureSummary
	for _, win := range windows[:2] {
		counts, err := h.store.CountFailures(ctx, win.since(h.now()))
		if err != nil {
			return nil, fmt.Errorf("count failures: %w", err)
		}
		s := failureSummary{Window: win}
		byReason, byProvider, byOrg := map[string]int{}, map[string]int{}, map[int64]int{}
		for _, c := range counts {
			s.Total += c.Count
			byReason[c.Reason] += c.Count
			byProvider[c.Provider] += c.Count
			byOrg[c.OrgID] += c.Count
		}
		for reason, n := range byReason {
			s.ByReason = append(s.ByReason, group{reasonTitle(reason), n, queryURL("state", "failed", "reason", reason, "since", win.Key)})
		}
		for p, n := range byProvider {
			label := p
			if label == "" {
				label = "(none)"
			}
			s.ByProvider = append(s.ByProvider, group{label, n, queryURL("state", "failed", "provider", p, "since", win.Key)})
		}
		for org, n := range byOrg {
			if _, ok := orgNames[org]; !ok {
				orgNames[org] = fmt.Sprint(org)
				if o, err := h.store.GetOrg(ctx, org); err == nil {
					orgNames[org] = fmt.Sprintf("%s (%d)", o.Name, org)
				}
			}
			s.ByOrg = append(s.ByOrg, group{orgNames[org], n, queryURL("state", "failed", "org", org, "since", win.Key)})
		}
		for _, g := range [][]group{s.ByReason, s.ByProvider, s.ByOrg} {
			sort.Slice(g, func(i, j int) bool {
				return g[i].Count > g[j].Count || g[i].Count == g[j].Count && g[i].Label < g[j].Label
			})
		}
		sums = append(sums, s)
	}
	return map[string]any{"Queues": queues, "Total": total, "Failures": sums, "Updated": h.now()}, nil
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request) {
	data, err := h.overviewData(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "overview", data)
}

// overviewFragment is the live part of the overview, polled by admin.js.
func (h *Handler) overviewFragment(w http.ResponseWriter, r *http.Request) {
	data, err := h.overviewData(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderTemplate(w, r, http.StatusOK, "overview", "live", data)
}

// jobFilterOf reads the job table's filters from the query string.
func (h *Handler) jobFilterOf(q url.Values) (store.JobFilter, map[string]string, error) {
	f := store.JobFilter{Limit: 50}
	vals := map[string]string{}
	for _, k := range []string{"state", "reason", "provider", "org", "number", "since", "before"} {
		vals[k] = strings.TrimSpace(q.Get(k))
	}
	if s := vals["state"]; s != "" {
		st := jobs.State(s)
		switch st {
		case jobs.StatePending, jobs.StateActive, jobs.StateRetrying, jobs.StateSucceeded, jobs.StateFailed:
			f.State = st
		default:
			return f, vals, fmt.Errorf("state %q is not pending, active, retrying, succeeded or failed", s)
		}
	}
	if s := vals["reason"]; s != "" {
		if _, ok := reasonWords[s]; !ok {
			return f, vals, fmt.Errorf("reason %q is not one of %s", s, strings.Join(store.Reasons, ", "))
		}
		f.Reason = s
	}
	if s := vals["provider"]; s != "" {
		if s != jobs.ProviderTwilio && s != jobs.ProviderPlivo && s != jobs.ProviderTelnyx {
			return f, vals, fmt.Errorf("provider %q is not twilio, plivo or telnyx", s)
		}
		f.Provider = s
	}
	if s := vals["org"]; s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return f, vals, fmt.Errorf("org %q is not an org id", s)
		}
		f.OrgID = id
	}
	if s := vals["number"]; s != "" {
		e164, err := normalize(s)
		if err != nil {
			return f, vals, err
		}
		f.Number, vals["number"] = e164, e164
	}
	if s := vals["since"]; s != "" {
		win, ok := windowOf(s)
		if !ok {
			return f, vals, fmt.Errorf("since %q is not 1h, 24h or 7d", s)
		}
		f.Since = win.since(h.now())
	}
	if s := vals["before"]; s != "" {
		ns, id, ok := strings.Cut(s, "_")
		n, err := strconv.ParseInt(ns, 10, 64)
		if !ok || err != nil || id == "" {
			return f, vals, fmt.Errorf("before %q is not a page position", s)
		}
		f.Before = &store.JobCursor{CreatedAt: time.Unix(0, n).UTC(), ID: id}
	}
	return f, vals, nil
}

// normalize reads a phone number in any common format (+1 212-555-1234,
// 0044 20..., 12125551234) as E.164.
func normalize(s string) (string, error) {
	p, err := phone.Lenient("US")
	if err != nil {
		return "", err
	}
	e164, err := p.Normalize(s)
	if err != nil {
		return "", fmt.Errorf("number %q: %w", s, err)
	}
	return e164, nil
}

func (h *Handler) jobList(w http.ResponseWriter, r *http.Request) {
	f, vals, err := h.jobFilterOf(r.URL.Query())
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	recs, err := h.store.ListJobs(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := map[string]any{"Jobs": recs, "F": vals, "Reasons": store.Reasons, "Windows": windows,
		"States":    []jobs.State{jobs.StatePending, jobs.StateActive, jobs.StateRetrying, jobs.StateSucceeded, jobs.StateFailed},
		"Providers": []string{jobs.ProviderTwilio, jobs.ProviderPlivo, jobs.ProviderTelnyx}}
	if len(recs) == f.Limit {
		last := recs[len(recs)-1]
		next := r.URL.Query()
		next.Set("before", fmt.Sprintf("%d_%s", last.CreatedAt.UnixNano(), last.ID))
		data["Next"] = template.URL(next.Encode())
	}
	if f.State == jobs.StateFailed && f.Reason != "" {
		data["RetryQuery"] = queryURL("reason", f.Reason, "provider", f.Provider, "org", f.OrgID, "since", or(vals["since"], "24h"))
	}
	h.render(w, r, http.StatusOK, "jobs", data)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// jobOf reads the {org} and {id} of a job's path and its record.
func (h *Handler) jobOf(w http.ResponseWriter, r *http.Request) (store.JobRecord, bool) {
	org, err := strconv.ParseInt(r.PathValue("org"), 10, 64)
	if err != nil || org <= 0 {
		badRequest(w, "%q is not an org id", r.PathValue("org"))
		return store.JobRecord{}, false
	}
	rec, err := h.store.GetJob(r.Context(), org, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "no such job", http.StatusNotFound)
		return rec, false
	}
	if err != nil {
		h.fail(w, r, err)
		return rec, false
	}
	return rec, true
}

// findTask is the task with id in any queue, nil when asynq has none.
func (h *Handler) findTask(id string) *asynq.TaskInfo {
	names, _ := h.insp.Queues()
	for _, q := range names {
		if info, err := h.insp.GetTaskInfo(q, id); err == nil {
			return info
		}
	}
	return nil
}

func (h *Handler) jobPage(w http.ResponseWriter, r *http.Request) {
	rec, ok := h.jobOf(w, r)
	if !ok {
		return
	}
	runs, err := h.store.ListJobs(r.Context(), store.JobFilter{OrgID: rec.OrgID, Request: rec.Request, Limit: maxRuns})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := map[string]any{"Job": rec, "Runs": runs, "Message": r.URL.Query().Get("msg")}
	if task := h.findTask(rec.ID); task != nil {
		data["Task"] = task
		data["Payload"] = redactJSON(task.Payload)
	}
	cbID := fmt.Sprintf("callback-%s-%d", rec.ID, rec.CreatedAt.UnixNano())
	if cb, err := h.insp.GetTaskInfo(jobs.QueueDefault, cbID); err == nil {
		data["Callback"] = cb
	}
	h.render(w, r, http.StatusOK, "job", data)
}

func (h *Handler) retryJob(w http.ResponseWriter, r *http.Request) {
	rec, ok := h.jobOf(w, r)
	if !ok {
		return
	}
	res, err := h.retry(r.Context(), rec)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n := 0
	if res.Outcome == retried {
		n = 1
	}
	h.record(r.Context(), "retry job", rec.ID, n, res.String())
	http.Redirect(w, r, fmt.Sprintf("/admin/jobs/%d/%s?%s", rec.OrgID, url.PathEscape(rec.ID), url.Values{"msg": {"Retry: " + res.String()}}.Encode()), http.StatusSeeOther)
}

// cancelJob cancels a job that has not finished, through the HTTP API's
// path (internal/cancellation). A job that finished meanwhile is left as
// it is, and the answer says so.
func (h *Handler) cancelJob(w http.ResponseWriter, r *http.Request) {
	rec, ok := h.jobOf(w, r)
	if !ok {
		return
	}
	res, err := h.canceller.Cancel(r.Context(), rec.OrgID, rec.ID, sessionOf(r.Context()).User)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n := 0
	if res.Changed() {
		n = 1
	}
	h.record(r.Context(), "cancel job", rec.ID, n, res.String())
	http.Redirect(w, r, fmt.Sprintf("/admin/jobs/%d/%s?%s", rec.OrgID, url.PathEscape(rec.ID), url.Values{"msg": {"Cancel: " + res.String()}}.Encode()), http.StatusSeeOther)
}

// failureFilterOf reads a group of failures from a form or query.
func (h *Handler) failureFilterOf(r *http.Request) (failureFilter, error) {
	q := url.Values{}
	for _, k := range []string{"reason", "provider", "org", "since"} {
		q.Set(k, r.FormValue(k))
	}
	q.Set("state", string(jobs.StateFailed))
	if q.Get("since") == "" {
		q.Set("since", "24h")
	}
	f, _, err := h.jobFilterOf(q)
	if err != nil {
		return failureFilter{}, err
	}
	if f.Reason == "" {
		return failureFilter{}, errors.New("reason is required: retry failures of one kind at a time")
	}
	win, _ := windowOf(q.Get("since"))
	return failureFilter{Reason: f.Reason, Provider: f.Provider, OrgID: f.OrgID, Window: win}, nil
}

// confirmRetryFailures shows how many requests a retry-all would touch and
// asks for confirmation.
func (h *Handler) confirmRetryFailures(w http.ResponseWriter, r *http.Request) {
	f, err := h.failureFilterOf(r)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	recs, err := h.failures(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "confirm", map[string]any{"F": f, "Jobs": recs, "Count": len(recs)})
}

func (h *Handler) retryFailures(w http.ResponseWriter, r *http.Request) {
	f, err := h.failureFilterOf(r)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		badRequest(w, "retrying many jobs needs confirmation (confirm=yes)")
		return
	}
	counts, err := h.retryAll(r.Context(), f)
	text := countsText(counts)
	h.record(r.Context(), "retry failures", f.String(), counts[retried], text)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "done", map[string]any{"Title": "Retried failures: " + f.String(), "Text": text, "Retried": counts[retried]})
}

func (h *Handler) numbers(w http.ResponseWriter, r *http.Request) {
	data := map[string]any{"Q": r.URL.Query().Get("q")}
	if q := strings.TrimSpace(r.URL.Query().Get("q")); q != "" {
		e164, err := normalize(q)
		if err != nil {
			data["Error"] = err.Error()
			h.render(w, r, http.StatusBadRequest, "numbers", data)
			return
		}
		data["E164"] = e164
		recs, err := h.store.ListJobs(r.Context(), store.JobFilter{Number: e164, Limit: 100})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data["Jobs"] = recs
		type owned struct {
			Number store.Number
			Link   *store.Link
		}
		var found []owned
		seen := map[int64]bool{}
		for _, rec := range recs {
			if seen[rec.OrgID] {
				continue
			}
			seen[rec.OrgID] = true
			n, err := h.store.GetNumber(r.Context(), rec.OrgID, e164)
			if err != nil {
				continue
			}
			o := owned{Number: n}
			if l, err := h.store.GetLink(r.Context(), rec.OrgID, n.ID); err == nil {
				o.Link = &l
			}
			found = append(found, o)
		}
		data["Owned"] = found
	}
	h.render(w, r, http.StatusOK, "numbers", data)
}

func (h *Handler) actions(w http.ResponseWriter, r *http.Request) {
	as, err := h.store.ListAdminActions(r.Context(), 200)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "actions", map[string]any{"Actions": as})
}
