package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/switchboardhq/switchboard/internal/cancellation"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/internal/timefmt"
	"github.com/switchboardhq/switchboard/jobs"
)

// The /v1 family is switchboard's own: successes are {"data": ...},
// errors {"error": {"code": ..., "message": ...}}.

type v1Envelope struct {
	Data any `json:"data"`
}

type v1Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func v1Fail(w http.ResponseWriter, status int, code, message string) {
	encode(w, status, struct {
		Error v1Error `json:"error"`
	}{v1Error{Code: code, Message: message}})
}

// jobData is a job record as GET /v1/jobs/{id} shows it. Records never
// hold credentials, so nothing is redacted.
type jobData struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	State    string          `json:"state"` // apiState
	OrgID    int64           `json:"org_id"`
	Numbers  []string        `json:"numbers"`
	Attempts int             `json:"attempts"`
	Error    *v1Error        `json:"error"`
	Result   json.RawMessage `json:"result"`
	Changes  json.RawMessage `json:"changes"`
	// CreatedAt and UpdatedAt are null while the job waits in the queue
	// and no worker has recorded it yet.
	CreatedAt  *string `json:"created_at"`
	UpdatedAt  *string `json:"updated_at"`
	FinishedAt *string `json:"finished_at"`
	// Cancel is the cancel request made on the job (POST
	// /v1/jobs/{id}/cancel or the admin dashboard); null if none.
	Cancel *cancelRef `json:"cancel_requested"`
	// Request is what the runs of one request share; Runs are those runs.
	Request string   `json:"request"`
	Runs    []runRef `json:"runs"`
}

// cancelRef is who asked a job to stop, and when.
type cancelRef struct {
	By string `json:"by"`
	At string `json:"at"`
}

// runRef is one run of a request, in a job's history.
type runRef struct {
	ID        string `json:"id"`
	State     string `json:"state"` // apiState
	CreatedAt string `json:"created_at"`
}

// maxRuns bounds the history shown with a job.
const maxRuns = 20

// withRuns fills in the request of d and its recorded runs.
func (s *server) withRuns(ctx context.Context, orgID int64, d jobData) (jobData, error) {
	d.Request, d.Runs = jobs.RequestOf(d.ID), []runRef{}
	recs, err := s.Store.ListJobs(ctx, store.JobFilter{OrgID: orgID, Request: d.Request, Limit: maxRuns})
	if err != nil {
		return d, err
	}
	for _, r := range recs {
		d.Runs = append(d.Runs, runRef{ID: r.ID, State: apiState(r.State), CreatedAt: formatTime(r.CreatedAt)})
	}
	return d, nil
}

func newJobData(j store.JobRecord) jobData {
	d := jobData{ID: j.ID, Type: j.Type, State: apiState(j.State), OrgID: j.OrgID, Numbers: j.Numbers, Attempts: j.Attempts,
		Result: timefmt.NormalizeJSON(nullIfEmpty(j.Result)), Changes: nullIfEmpty(j.Changes),
		CreatedAt: formatTimePtr(&j.CreatedAt), UpdatedAt: formatTimePtr(&j.UpdatedAt), FinishedAt: formatTimePtr(j.FinishedAt)}
	if d.Numbers == nil {
		d.Numbers = []string{}
	}
	if j.ErrorCode != "" {
		d.Error = &v1Error{Code: string(j.ErrorCode), Message: j.ErrorMessage}
	}
	if j.CancelRequestedAt != nil {
		d.Cancel = &cancelRef{By: j.CancelRequestedBy, At: formatTime(*j.CancelRequestedAt)}
	}
	return d
}

// The states GET /v1/jobs/{id} reports, as docs/api.md specifies them.
// jobs' own names for the first two (asynq's) stop at this edge.
const (
	stateQueued    = "queued"
	stateRunning   = "running"
	stateRetrying  = "retrying"
	stateSucceeded = "succeeded"
	stateFailed    = "failed"
)

// apiState is the API's name for a job state.
func apiState(st jobs.State) string {
	switch st {
	case jobs.StatePending:
		return stateQueued
	case jobs.StateActive:
		return stateRunning
	case jobs.StateRetrying:
		return stateRetrying
	case jobs.StateSucceeded:
		return stateSucceeded
	case jobs.StateFailed:
		return stateFailed
	}
	// A state a newer worker records: shown as is rather than hidden.
	return string(st)
}

func nullIfEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

// getJob is GET /v1/jobs/{id}: the durable record of one of the org's
// jobs. A job no worker has started yet has no record; with Params.Queue
// it is found in the queue instead and reported as queued.
func (s *server) getJob() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, id, ok := s.jobOfRequest(w, r)
		if !ok {
			return
		}
		rec, err := s.Store.GetJob(r.Context(), orgID, id)
		if err == nil {
			s.jobAnswer(w, r, orgID, newJobData(rec))
			return
		}
		if !errors.Is(err, store.ErrNotFound) {
			s.v1Internal(w, err)
			return
		}
		d, ok, err := s.queuedJob(orgID, id)
		if err != nil {
			s.v1Internal(w, err)
			return
		}
		if !ok {
			v1Fail(w, http.StatusNotFound, "not_found", "Job not found")
			return
		}
		s.jobAnswer(w, r, orgID, d)
	})
}

// jobOfRequest authenticates r and reads its job id, or answers 401 or
// 404 (an id no job can have).
func (s *server) jobOfRequest(w http.ResponseWriter, r *http.Request) (int64, string, bool) {
	orgID, err := authenticate(r.Context(), s.Store, r)
	if errors.Is(err, errUnauthorized) {
		v1Fail(w, http.StatusUnauthorized, "unauthorized", "Missing or invalid API key")
		return 0, "", false
	} else if err != nil {
		s.v1Internal(w, err)
		return 0, "", false
	}
	id := r.PathValue("id")
	if !plausibleID(id) {
		v1Fail(w, http.StatusNotFound, "not_found", "Job not found")
		return 0, "", false
	}
	return orgID, id, true
}

// jobAnswer answers 200 with d and its request's history.
func (s *server) jobAnswer(w http.ResponseWriter, r *http.Request, orgID int64, d jobData) {
	s.jobAnswerStatus(w, r, orgID, http.StatusOK, d)
}

func (s *server) jobAnswerStatus(w http.ResponseWriter, r *http.Request, orgID int64, status int, d jobData) {
	d, err := s.withRuns(r.Context(), orgID, d)
	if err != nil {
		s.v1Internal(w, err)
		return
	}
	encode(w, status, v1Envelope{Data: d})
}

// cancelJob is POST /v1/jobs/{id}/cancel: the org's job stops instead of
// retrying, through the dashboard's path (internal/cancellation). 202 with
// the job when the request is recorded (the job ends failed, code
// cancelled, at once, or when its running attempt fails; if that attempt
// succeeds the cancel came too late); 200 when it was already cancelled;
// 409 when it finished otherwise, changing nothing.
func (s *server) cancelJob() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, id, ok := s.jobOfRequest(w, r)
		if !ok {
			return
		}
		c := cancellation.Canceller{Store: s.Store, Queue: s.Queue, Now: s.Now}
		res, err := c.Cancel(context.WithoutCancel(r.Context()), orgID, id, "api")
		switch {
		case errors.Is(err, cancellation.ErrNotFound):
			v1Fail(w, http.StatusNotFound, "not_found", "Job not found")
			return
		case err != nil:
			s.v1Internal(w, err)
			return
		}
		s.Logger.Info("job cancel", "org_id", orgID, "job_id", id, "outcome", string(res.Outcome))
		switch res.Outcome {
		case cancellation.Requested, cancellation.WhileRunning:
			w.Header().Set("Location", "/v1/jobs/"+id)
			s.jobAnswerStatus(w, r, orgID, http.StatusAccepted, newJobData(res.Job))
		case cancellation.AlreadyCancelled:
			s.jobAnswer(w, r, orgID, newJobData(res.Job))
		default:
			msg := res.String()
			v1Fail(w, http.StatusConflict, "not_cancellable", strings.ToUpper(msg[:1])+msg[1:])
		}
	})
}

// queuedJob finds a task of the org that waits in a queue without a
// record. It reads only the payload's org and numbers, never its
// (sealed) credentials.
func (s *server) queuedJob(orgID int64, id string) (jobData, bool, error) {
	if s.Queue == nil {
		return jobData{}, false, nil
	}
	for _, q := range []string{jobs.QueueCritical, jobs.QueueDefault, jobs.QueueBulk} {
		info, err := s.Queue.GetTaskInfo(q, id)
		if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			return jobData{}, false, err
		}
		var p struct {
			OrgID       int64    `json:"org_id"`
			Numbers     []string `json:"numbers"`
			Number      string   `json:"number"`
			PhoneNumber string   `json:"phone_number"`
		}
		if json.Unmarshal(info.Payload, &p) != nil || p.OrgID != orgID {
			return jobData{}, false, nil
		}
		d := jobData{ID: info.ID, Type: info.Type, State: apiState(queuedState(info.State)), OrgID: orgID, Numbers: p.Numbers,
			Attempts: info.Retried, Result: json.RawMessage("null"), Changes: json.RawMessage("null")}
		for _, n := range []string{p.Number, p.PhoneNumber} {
			if n != "" {
				d.Numbers = append(d.Numbers, n)
			}
		}
		if d.Numbers == nil {
			d.Numbers = []string{}
		}
		return d, true, nil
	}
	return jobData{}, false, nil
}

// queuedState maps a task without a record to a job state. Workers record
// a job before running it, so this is nearly always pending (queued).
func queuedState(st asynq.TaskState) jobs.State {
	switch st {
	case asynq.TaskStateActive:
		return jobs.StateActive
	case asynq.TaskStateRetry:
		return jobs.StateRetrying
	case asynq.TaskStateArchived:
		return jobs.StateFailed
	case asynq.TaskStateCompleted:
		return jobs.StateSucceeded
	}
	return jobs.StatePending
}

func (s *server) v1Internal(w http.ResponseWriter, err error) {
	s.Logger.Error("request failed", "error", err)
	v1Fail(w, http.StatusInternalServerError, "internal", "Internal server error")
}
