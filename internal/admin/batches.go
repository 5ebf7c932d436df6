package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/store"
)

// Batch imports (internal/batch): the newest batches with their progress,
// a page per batch with its failed rows, and a retry of those rows through
// batch.Importer.Retry, the code path of POST /v1/batches/{id}/retry.

// maxBatches is how many batches the list shows, newest first.
const maxBatches = 100

// failedRowsPage is how many failed rows a batch page shows at a time.
const failedRowsPage = 50

// rowStatuses are the row statuses in the order the pages show them.
var rowStatuses = []string{store.RowPending, store.RowQueued, store.RowSucceeded, store.RowFailed,
	store.RowInvalid, store.RowSkipped, store.RowCanceled}

// count is one labelled number of a batch's rows.
type count struct {
	Label string
	N     int
}

// batchView is a batch with its rows counted.
type batchView struct {
	store.Batch
	Done     int // rows with a final outcome
	ByStatus []count
	ByCode   []count // failed and invalid rows by code, most first
	Failed   int
}

func (h *Handler) batchView(ctx context.Context, b store.Batch) (batchView, error) {
	c, err := h.store.CountBatchRows(ctx, b.OrgID, b.ID)
	if err != nil {
		return batchView{}, fmt.Errorf("count rows of batch %s: %w", b.ID, err)
	}
	v := batchView{Batch: b, Failed: c.ByStatus[store.RowFailed]}
	for _, s := range rowStatuses {
		v.ByStatus = append(v.ByStatus, count{s, c.ByStatus[s]})
		if s != store.RowPending && s != store.RowQueued {
			v.Done += c.ByStatus[s]
		}
	}
	for code, n := range c.ByCode {
		v.ByCode = append(v.ByCode, count{code, n})
	}
	sort.Slice(v.ByCode, func(i, j int) bool {
		return v.ByCode[i].N > v.ByCode[j].N || v.ByCode[i].N == v.ByCode[j].N && v.ByCode[i].Label < v.ByCode[j].Label
	})
	return v, nil
}

func (h *Handler) batches(w http.ResponseWriter, r *http.Request) {
	bs, err := h.store.ListBatches(r.Context(), maxBatches)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	views := make([]batchView, 0, len(bs))
	for _, b := range bs {
		v, err := h.batchView(r.Context(), b)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		views = append(views, v)
	}
	h.render(w, r, http.StatusOK, "batches", map[string]any{"Batches": views, "Max": maxBatches, "Statuses": rowStatuses})
}

// batchOf reads the {org} and {id} of a batch's path and the batch.
func (h *Handler) batchOf(w http.ResponseWriter, r *http.Request) (store.Batch, bool) {
	org, err := strconv.ParseInt(r.PathValue("org"), 10, 64)
	if err != nil || org <= 0 {
		badRequest(w, "%q is not an org id", r.PathValue("org"))
		return store.Batch{}, false
	}
	b, err := h.store.GetBatch(r.Context(), org, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "no such batch", http.StatusNotFound)
		return b, false
	}
	if err != nil {
		h.fail(w, r, err)
		return b, false
	}
	return b, true
}

func batchPath(b store.Batch) string {
	return fmt.Sprintf("/admin/batches/%d/%s", b.OrgID, url.PathEscape(b.ID))
}

// batchPage is a batch's progress and its failed rows, failedRowsPage at
// a time after the line ?after=.
func (h *Handler) batchPage(w http.ResponseWriter, r *http.Request) {
	b, ok := h.batchOf(w, r)
	if !ok {
		return
	}
	after := 0
	if s := r.URL.Query().Get("after"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			badRequest(w, "after %q is not a line number", s)
			return
		}
		after = n
	}
	v, err := h.batchView(r.Context(), b)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rows, err := h.store.ListBatchRows(r.Context(), store.BatchRowFilter{OrgID: b.OrgID, BatchID: b.ID,
		Statuses: []string{store.RowFailed}, AfterLine: after, Limit: failedRowsPage})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := map[string]any{"B": v, "Rows": rows, "Path": batchPath(b), "CanRetry": h.bulk != nil, "Message": r.URL.Query().Get("msg")}
	if len(rows) == failedRowsPage {
		data["Next"] = rows[len(rows)-1].Line
	}
	h.render(w, r, http.StatusOK, "batch", data)
}

// confirmRetryBatch asks for confirmation before retrying a batch's
// failed rows (it touches more than one job).
func (h *Handler) confirmRetryBatch(w http.ResponseWriter, r *http.Request) {
	b, ok := h.batchOf(w, r)
	if !ok {
		return
	}
	v, err := h.batchView(r.Context(), b)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "batchretry", map[string]any{"B": v, "Path": batchPath(b)})
}

// retryBatch gives every failed row of the batch its next run, as POST
// /v1/batches/{id}/retry does, and records how many.
func (h *Handler) retryBatch(w http.ResponseWriter, r *http.Request) {
	b, ok := h.batchOf(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		badRequest(w, "retrying a batch's failed rows needs confirmation (confirm=yes)")
		return
	}
	if h.bulk == nil {
		http.Error(w, "batch imports are not configured on this dashboard", http.StatusServiceUnavailable)
		return
	}
	im := &batch.Importer{Store: h.store, Jobs: h.bulk}
	n, err := im.Retry(context.WithoutCancel(r.Context()), b)
	target := fmt.Sprintf("batch %s (org %d)", b.ID, b.OrgID)
	if errors.Is(err, batch.ErrCanceled) {
		http.Error(w, "the batch is canceled: its rows are not retried", http.StatusConflict)
		return
	}
	text := fmt.Sprintf("%d failed row(s) retried", n)
	h.record(r.Context(), "retry batch", target, n, text)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "done", map[string]any{"Title": "Retried the failed rows of " + target, "Text": text, "Retried": n})
}
