package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/internal/batch"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// Batch imports (/v1/batches), in the /v1 envelope. A POST streams the
// file through the importer: rows are read, validated, recorded and
// enqueued as they arrive, so memory does not grow with the file, and the
// 202 comes once every good row is enqueued (its jobs run in the worker).
//
// POST /v1/batches does not go through the idempotency layer, which
// buffers a body to fingerprint it: the Idempotency-Key names the batch
// instead (its id is derived from the org and the key), so a request
// repeated with the key resumes the same batch, enqueues nothing twice and
// answers the same batch_id. docs/api.md says so.

// maxBatchBody bounds an uploaded file: 100,000 rows are a few MiB.
const maxBatchBody = 256 << 20

// batchUploadTimeout bounds reading and importing one upload.
const batchUploadTimeout = time.Hour

// batchAccepted is the 202 of POST /v1/batches and of a retry.
type batchAccepted struct {
	BatchID   string `json:"batch_id"`
	StatusURL string `json:"status_url"`
	Retried   *int   `json:"retried,omitempty"`
}

func batchURL(id string) string { return "/v1/batches/" + id }

// v1Auth authenticates a /v1 request, answering 401 or 500 itself.
func (s *server) v1Auth(w http.ResponseWriter, r *http.Request) (int64, bool) {
	orgID, err := authenticate(r.Context(), s.Store, r)
	switch {
	case errors.Is(err, errUnauthorized):
		v1Fail(w, http.StatusUnauthorized, "unauthorized", "Missing or invalid API key")
		return 0, false
	case err != nil:
		s.v1Internal(w, err)
		return 0, false
	}
	return orgID, true
}

// importer is the batch importer on the bulk queue; without one (no
// Params.Bulk, or no Params.Queue to cancel with) it answers 503 itself.
func (s *server) importer(w http.ResponseWriter) (*batch.Importer, bool) {
	if s.Bulk == nil || s.Queue == nil {
		v1Fail(w, http.StatusServiceUnavailable, "unavailable", "Batch imports are not configured on this server")
		return nil, false
	}
	return &batch.Importer{Store: s.Store, Jobs: s.Bulk, Providers: s.Providers, Keys: s.Keys, Pace: s.waiters.yield}, true
}

func (s *server) createBatch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, ok := s.v1Auth(w, r)
		if !ok {
			return
		}
		im, ok := s.importer(w)
		if !ok {
			return
		}
		q := r.URL.Query()
		b := store.Batch{OrgID: orgID, Provider: q.Get("provider"), Account: q.Get("account"), TargetID: q.Get("target"), CallbackURL: q.Get("callback_url")}
		if why := s.checkCallback(b.CallbackURL); why != "" {
			v1Fail(w, http.StatusBadRequest, "invalid_callback_url", msgInvalidCallback+": "+why)
			return
		}
		if v := q.Get("strict"); v != "" {
			strict, err := strconv.ParseBool(v)
			if err != nil {
				v1Fail(w, http.StatusBadRequest, "invalid_request", "strict must be true or false")
				return
			}
			b.Strict = strict
		}
		keys := r.Header.Values(headerIdempotencyKey)
		switch {
		case len(keys) > 1 || len(keys) == 1 && !validKey(keys[0]):
			v1Fail(w, http.StatusBadRequest, "invalid_idempotency_key",
				"Invalid Idempotency-Key: it must be one header of 1-255 printable ASCII characters")
			return
		case len(keys) == 1:
			b.ID = keyBatchID(orgID, keys[0])
		default:
			b.ID = "bat_" + store.NewID()
		}
		// An upload outlasts the server's per-request timeouts, which are
		// sized for 1 MiB bodies; the caller is authenticated.
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(batchUploadTimeout))
		_ = rc.SetWriteDeadline(time.Now().Add(batchUploadTimeout + time.Minute))
		body, format, creds, err := batchFile(r)
		var bad badCredentials
		switch {
		case errors.As(err, &bad):
			v1Fail(w, http.StatusBadRequest, "invalid_credentials", string(bad))
			return
		case err != nil:
			v1Fail(w, http.StatusUnsupportedMediaType, "unsupported_media_type", err.Error())
			return
		}
		if creds != nil && !s.useCredentials(w, r, &b, *creds) {
			return
		}
		body = http.MaxBytesReader(w, body, maxBatchBody)
		rows, err := batch.NewReader(body, format)
		if err != nil {
			s.batchReadError(w, err)
			return
		}
		if existing, err := s.Store.GetBatch(r.Context(), orgID, b.ID); err == nil && existing.State == store.BatchCanceled {
			v1Fail(w, http.StatusConflict, "batch_canceled", "The batch of this Idempotency-Key is canceled")
			return
		}
		// The import goes on if the client hangs up: what it read is
		// recorded and enqueued, and the same key resumes it.
		b, err = im.Import(context.WithoutCancel(r.Context()), b, rows)
		switch {
		case errors.Is(err, batch.ErrCanceled):
			v1Fail(w, http.StatusConflict, "batch_canceled", "The batch was canceled")
			return
		case errors.Is(err, batch.ErrUnknownTarget):
			v1Fail(w, http.StatusBadRequest, "unknown_target", fmt.Sprintf("Unknown target %q: not an app or agent of this organization", b.TargetID))
			return
		case err != nil:
			s.batchReadError(w, err)
			return
		}
		w.Header().Set("Location", batchURL(b.ID))
		encode(w, http.StatusAccepted, v1Envelope{Data: batchAccepted{BatchID: b.ID, StatusURL: batchURL(b.ID)}})
	})
}

// batchReadError answers a file that cannot be read with 400 (413 when
// too large), and anything else with 500.
func (s *server) batchReadError(w http.ResponseWriter, err error) {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		v1Fail(w, http.StatusRequestEntityTooLarge, "file_too_large", fmt.Sprintf("The file is larger than %d MiB", maxBatchBody>>20))
	case errors.Is(err, batch.ErrFile):
		v1Fail(w, http.StatusBadRequest, "invalid_file", err.Error())
	default:
		s.v1Internal(w, err)
	}
}

// keyBatchID derives a batch's id from its Idempotency-Key.
func keyBatchID(orgID int64, key string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("switchboard batch v1\x00%d\x00%s", orgID, key)))
	return "bat_" + hex.EncodeToString(sum[:12])
}

// batchFile is the uploaded file and its format: the body itself (text/csv,
// application/x-ndjson), or the part named "file" of a multipart upload,
// whose own type or file name says its format. A multipart upload may give
// credentials once for the file in a part named "credentials" before the
// file (JSON: provider, account_id, secret, username), so that the secret
// is in neither the URL nor the file; a malformed one is badCredentials.
func batchFile(r *http.Request) (io.ReadCloser, batch.Format, *batch.Credentials, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, "", nil, errors.New("Content-Type must be text/csv, application/x-ndjson or multipart/form-data")
	}
	if f, ok := mediaFormat(mt, ""); ok {
		return r.Body, f, nil, nil
	}
	if mt != "multipart/form-data" {
		return nil, "", nil, fmt.Errorf("Content-Type %s is not text/csv, application/x-ndjson or multipart/form-data", mt)
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var creds *batch.Credentials
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, "", nil, errors.New(`the multipart upload has no part named "file"`)
		}
		switch part.FormName() {
		case "credentials":
			var c struct {
				Provider  string `json:"provider"`
				AccountID string `json:"account_id"`
				Secret    string `json:"secret"`
				Username  string `json:"username"`
			}
			dec := json.NewDecoder(io.LimitReader(part, maxCredentialsPart))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&c); err != nil {
				// The decoder's message may quote the part: not repeated.
				return nil, "", nil, badCredentials(`the "credentials" part must be a JSON object with provider, account_id, secret and, for Twilio API keys, username`)
			}
			creds = &batch.Credentials{Provider: c.Provider, Credentials: jobs.Credentials{AccountID: c.AccountID, Secret: c.Secret, Username: c.Username}}
		case "file":
			pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
			f, ok := mediaFormat(pt, part.FileName())
			if !ok {
				return nil, "", nil, errors.New(`the "file" part must be text/csv or application/x-ndjson (or be named *.csv or *.jsonl)`)
			}
			return part, f, creds, nil
		}
	}
}

// maxCredentialsPart bounds the "credentials" part of an upload.
const maxCredentialsPart = 8 << 10

// badCredentials is a "credentials" part that cannot be read.
type badCredentials string

func (b badCredentials) Error() string { return string(b) }

// useCredentials checks and stores credentials given once for the file
// (batch.Importer.StoreCredentials) and points the batch's rows at the
// connection; it answers the errors itself. The provider is the part's,
// or the provider query parameter.
func (s *server) useCredentials(w http.ResponseWriter, r *http.Request, b *store.Batch, c batch.Credentials) bool {
	switch {
	case c.Provider == "":
		c.Provider = b.Provider
	case b.Provider != "" && !strings.EqualFold(b.Provider, c.Provider):
		v1Fail(w, http.StatusBadRequest, "invalid_credentials", "The credentials are for "+c.Provider+" but provider is "+b.Provider)
		return false
	}
	c.Provider = strings.ToLower(c.Provider)
	if len(s.Providers) == 0 || s.Keys == nil {
		v1Fail(w, http.StatusServiceUnavailable, "unavailable", "Credentials for a batch are not accepted on this server")
		return false
	}
	im := &batch.Importer{Store: s.Store, Providers: s.Providers, Keys: s.Keys}
	conn, err := im.StoreCredentials(r.Context(), b.OrgID, c)
	switch {
	case errors.Is(err, batch.ErrCredentials):
		v1Fail(w, http.StatusBadRequest, "invalid_credentials", err.Error())
		return false
	case err != nil:
		s.Logger.Warn("check batch credentials", "provider", c.Provider, "error", err)
		v1Fail(w, http.StatusServiceUnavailable, "provider_unavailable", "The credentials could not be checked at "+c.Provider+"; try again")
		return false
	}
	b.Provider, b.Account = c.Provider, conn.AccountID
	return true
}

func mediaFormat(mt, name string) (batch.Format, bool) {
	switch mt {
	case "text/csv":
		return batch.CSV, true
	case "application/x-ndjson", "application/jsonl", "application/jsonlines":
		return batch.JSONLines, true
	}
	switch n := strings.ToLower(name); {
	case strings.HasSuffix(n, ".csv"):
		return batch.CSV, true
	case strings.HasSuffix(n, ".jsonl"), strings.HasSuffix(n, ".ndjson"):
		return batch.JSONLines, true
	}
	return "", false
}

// batchData is a batch as GET /v1/batches/{id} shows it.
type batchData struct {
	ID        string         `json:"id"`
	State     string         `json:"state"`
	Provider  string         `json:"provider"`
	Account   string         `json:"account"`
	TargetID  string         `json:"target_id"`
	Strict    bool           `json:"strict"`
	Callback  string         `json:"callback_url,omitempty"`
	Round     int            `json:"round"`
	Rows      int            `json:"rows"`
	Counts    map[string]int `json:"counts"`
	ByCode    map[string]int `json:"failures_by_code"`
	Failures  []failureData  `json:"failures"`
	NextAfter *int           `json:"next_after"`
	CreatedAt string         `json:"created_at"`
	UpdatedAt string         `json:"updated_at"`
}

// failureData is one refused, failed or canceled row.
type failureData struct {
	Line        int    `json:"line"`
	Status      string `json:"status"`
	Column      string `json:"column"`
	Code        string `json:"code"`
	Reason      string `json:"reason"`
	PhoneNumber string `json:"phone_number"`
	JobID       string `json:"job_id"`
}

// maxFailuresPage bounds one page of failures.
const maxFailuresPage = 500

// lookupBatch authenticates and reads the batch of the path, answering the
// errors itself.
func (s *server) lookupBatch(w http.ResponseWriter, r *http.Request) (store.Batch, bool) {
	orgID, ok := s.v1Auth(w, r)
	if !ok {
		return store.Batch{}, false
	}
	id := r.PathValue("id")
	if !plausibleID(id) {
		v1Fail(w, http.StatusNotFound, "not_found", "Batch not found")
		return store.Batch{}, false
	}
	b, err := s.Store.GetBatch(r.Context(), orgID, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		v1Fail(w, http.StatusNotFound, "not_found", "Batch not found")
		return b, false
	case err != nil:
		s.v1Internal(w, err)
		return b, false
	}
	return b, true
}

func (s *server) getBatch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := s.lookupBatch(w, r)
		if !ok {
			return
		}
		after, limit, err := failurePage(r)
		if err != nil {
			v1Fail(w, http.StatusBadRequest, "invalid_request", err.Error())
			return
		}
		d, err := s.batchData(r.Context(), b, after, limit)
		if err != nil {
			s.v1Internal(w, err)
			return
		}
		encode(w, http.StatusOK, v1Envelope{Data: d})
	})
}

// failurePage reads ?after= (a line) and ?limit= (1-500, default 100).
func failurePage(r *http.Request) (after, limit int, err error) {
	q := r.URL.Query()
	limit = 100
	if v := q.Get("after"); v != "" {
		if after, err = strconv.Atoi(v); err != nil || after < 0 {
			return 0, 0, errors.New("after must be a line number")
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxFailuresPage {
			return 0, 0, fmt.Errorf("limit must be 1 to %d", maxFailuresPage)
		}
	}
	return after, limit, nil
}

func (s *server) batchData(ctx context.Context, b store.Batch, after, limit int) (batchData, error) {
	counts, err := s.Store.CountBatchRows(ctx, b.OrgID, b.ID)
	if err != nil {
		return batchData{}, err
	}
	d := batchData{ID: b.ID, State: b.State, Provider: b.Provider, Account: b.Account, TargetID: b.TargetID, Strict: b.Strict,
		Callback: b.CallbackURL, Round: b.Round,
		Rows: b.Rows, Counts: map[string]int{}, ByCode: counts.ByCode, Failures: []failureData{},
		CreatedAt: formatTime(b.CreatedAt), UpdatedAt: formatTime(b.UpdatedAt)}
	for _, st := range batch.Statuses {
		d.Counts[st] = counts.ByStatus[st]
	}
	rows, err := s.Store.ListBatchRows(ctx, store.BatchRowFilter{OrgID: b.OrgID, BatchID: b.ID, Statuses: batch.Failures, AfterLine: after, Limit: limit + 1})
	if err != nil {
		return batchData{}, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		next := rows[limit-1].Line
		d.NextAfter = &next
	}
	for _, r := range rows {
		d.Failures = append(d.Failures, failureData{Line: r.Line, Status: r.Status, Column: r.Column, Code: r.Code, Reason: r.Reason,
			PhoneNumber: r.PhoneNumber, JobID: r.JobID})
	}
	return d, nil
}

func (s *server) batchFailuresCSV() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := s.lookupBatch(w, r)
		if !ok {
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+b.ID+`.failures.csv"`)
		if err := batch.WriteFailures(r.Context(), s.Store, b.OrgID, b.ID, batch.NewFailureWriter(w)); err != nil {
			// The status is sent; a cut-off file is all a client can see.
			s.Logger.Error("write batch failures", "batch_id", b.ID, "error", err)
		}
	})
}

func (s *server) retryBatch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := s.lookupBatch(w, r)
		if !ok {
			return
		}
		im, ok := s.importer(w)
		if !ok {
			return
		}
		n, err := im.Retry(context.WithoutCancel(r.Context()), b)
		switch {
		case errors.Is(err, batch.ErrCanceled):
			v1Fail(w, http.StatusConflict, "batch_canceled", "The batch is canceled")
			return
		case err != nil:
			s.v1Internal(w, err)
			return
		}
		w.Header().Set("Location", batchURL(b.ID))
		encode(w, http.StatusAccepted, v1Envelope{Data: batchAccepted{BatchID: b.ID, StatusURL: batchURL(b.ID), Retried: &n}})
	})
}

func (s *server) cancelBatch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := s.lookupBatch(w, r)
		if !ok {
			return
		}
		if _, ok := s.importer(w); !ok {
			return
		}
		if _, err := batch.Cancel(r.Context(), s.Store, s.Queue, b); err != nil {
			s.v1Internal(w, err)
			return
		}
		if b, err := s.Store.GetBatch(r.Context(), b.OrgID, b.ID); err != nil {
			s.v1Internal(w, err)
		} else if d, err := s.batchData(r.Context(), b, 0, 100); err != nil {
			s.v1Internal(w, err)
		} else {
			encode(w, http.StatusOK, v1Envelope{Data: d})
		}
	})
}
