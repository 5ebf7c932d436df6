package api

import (
	"errors"
	"net/http"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// The SFVoPI family (seeds 000-002): apps, the numbers linked to them and
// the org's available numbers. Successes are {"data": ..., "message":
// "success"}; errors are {"message": ...}.

type sfvopiEnvelope struct {
	Data    any    `json:"data"`
	Message string `json:"message"`
}

type sfvopiErrorBody struct {
	Message string `json:"message"`
}

const (
	msgSFVoPIUnauthorized = "UnAuthorized, Please Provide Valid API Key"
	msgInvalidBody        = "Invalid request body"
	msgAppNotFound        = "App not found"
)

func sfvopiOK(w http.ResponseWriter, status int, data any) {
	encode(w, status, sfvopiEnvelope{Data: data, Message: "success"})
}

func sfvopiError(w http.ResponseWriter, status int, message string) {
	encode(w, status, sfvopiErrorBody{Message: message})
}

// sfvopiAuth authenticates r, answering the family's 401 (or 500) itself
// when it fails.
func (s *server) sfvopiAuth(w http.ResponseWriter, r *http.Request) (int64, bool) {
	orgID, err := authenticate(r.Context(), s.Store, r)
	if errors.Is(err, errUnauthorized) {
		sfvopiError(w, http.StatusUnauthorized, msgSFVoPIUnauthorized)
		return 0, false
	}
	if err != nil {
		s.sfvopiInternal(w, "Failed to authenticate", err)
		return 0, false
	}
	return orgID, true
}

// sfvopiInternal logs err and answers 500 "<what>: internal error": the
// seeds' "Failed to ...: <error>" without the database's details.
func (s *server) sfvopiInternal(w http.ResponseWriter, what string, err error) {
	s.Logger.Error("request failed", "operation", what, "error", err)
	sfvopiError(w, http.StatusInternalServerError, what+": internal error")
}

// appData is an app as the API shows it.
type appData struct {
	AppID     string  `json:"app_id"`
	Name      string  `json:"name"`
	AnswerURL string  `json:"answer_url"`
	HangupURL *string `json:"hangup_url"`
	OrgID     int64   `json:"org_id"`
	CreatedAt string  `json:"created_at"`
}

func newAppData(t store.Target) appData {
	d := appData{AppID: t.ID, Name: t.Name, AnswerURL: t.AnswerURL, OrgID: t.OrgID, CreatedAt: formatTime(t.CreatedAt)}
	if t.HangupURL != "" {
		d.HangupURL = &t.HangupURL
	}
	return d
}

type createAppRequest struct {
	Name      string `json:"name"`
	AnswerURL string `json:"answer_url"`
	HangupURL string `json:"hangup_url"`
}

// createApp is POST /sfvopi/apps: 201 with the new app.
func (s *server) createApp() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, ok := s.sfvopiAuth(w, r)
		if !ok {
			return
		}
		var req createAppRequest
		if err := decode(r, &req); err != nil {
			sfvopiError(w, http.StatusBadRequest, invalidBodyMessage(err))
			return
		}
		if err := checkTarget(req.Name, req.AnswerURL, req.HangupURL, s.Callbacks); err != nil {
			sfvopiError(w, http.StatusBadRequest, msgInvalidBody+": "+err.Error())
			return
		}
		t, err := s.createTarget(r.Context(), orgID, store.TargetApp, req.Name, req.AnswerURL, req.HangupURL)
		if err != nil {
			s.sfvopiInternal(w, "Failed to create app", err)
			return
		}
		sfvopiOK(w, http.StatusCreated, newAppData(t))
	})
}

// getApp is GET /sfvopi/apps/{app_id}.
func (s *server) getApp() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, ok := s.sfvopiAuth(w, r)
		if !ok {
			return
		}
		t, err := s.getTarget(r.Context(), orgID, r.PathValue("app_id"), store.TargetApp)
		if errors.Is(err, store.ErrNotFound) {
			sfvopiError(w, http.StatusNotFound, msgAppNotFound)
			return
		} else if err != nil {
			s.sfvopiInternal(w, "Failed to get app", err)
			return
		}
		sfvopiOK(w, http.StatusOK, newAppData(t))
	})
}

// deleteApp is DELETE /sfvopi/apps/{app_id}: it enqueues one
// target:delete job, which unlinks every number of the app (each routed
// back to the default route) and then deletes the app, and waits for it:
// 200 {"deleted": true}, 404 when the app is gone meanwhile, 500 with the
// job's message when a number cannot be unlinked (the app then stays), or
// 202 with the job when it takes longer than the wait. As seed 002's
// unlink, it has no body: a callback URL comes as the callback_url query
// parameter.
func (s *server) deleteApp() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, ok := s.sfvopiAuth(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		const what = "Failed to delete app"
		callbackURL := r.URL.Query().Get("callback_url")
		if why := s.checkCallback(callbackURL); why != "" {
			sfvopiError(w, http.StatusBadRequest, msgInvalidCallback+": "+why)
			return
		}
		app, err := s.getTarget(ctx, orgID, r.PathValue("app_id"), store.TargetApp)
		if errors.Is(err, store.ErrNotFound) {
			sfvopiError(w, http.StatusNotFound, msgAppNotFound)
			return
		} else if err != nil {
			s.sfvopiInternal(w, what, err)
			return
		}
		job, err := s.Jobs.DeleteTarget(ctx, jobs.DeleteTarget{OrgID: orgID, TargetID: app.ID, CallbackURL: callbackURL})
		if err != nil {
			s.sfvopiInternal(w, what, err)
			return
		}
		out, done, err := s.await(r, job)
		switch {
		case err != nil:
			s.sfvopiInternal(w, what, err)
		case !done:
			encode(w, http.StatusAccepted, sfvopiEnvelope{Data: accepted(w, r, job), Message: "accepted"})
		case out.State == jobs.StateSucceeded:
			sfvopiOK(w, http.StatusOK, deletedData{Deleted: true})
		case out.Code == jobs.CodeTargetNotFound:
			sfvopiError(w, http.StatusNotFound, msgAppNotFound)
		case out.Code == jobs.CodeCancelled:
			sfvopiError(w, http.StatusConflict, msgJobCancelled)
		default:
			sfvopiError(w, http.StatusInternalServerError, what+": "+out.Message)
		}
	})
}

type deletedData struct {
	Deleted bool `json:"deleted"`
}
