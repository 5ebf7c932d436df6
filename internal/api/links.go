package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// Linking numbers to SFVoPI apps (seeds 000-002), in the SFVoPI envelope
// of apps.go.

const (
	msgNumberNotOwned  = "Number not found or not owned by organization"
	msgAppLinkedOther  = "Number already linked to another app"
	msgNotLinkedToApp  = "Number not linked to this app"
	failedToLinkNumber = "Failed to link number"
	failedToUnlink     = "Failed to unlink number"
	// msgJobCancelled answers a request waiting on a job an operator (or
	// POST /v1/jobs/{id}/cancel) cancelled: 409, as the seeds have no answer
	// of their own for it and nothing was done that the caller asked for.
	msgJobCancelled = "The request was cancelled by an operator before it finished"
)

// linkData is a link as seeds 000 and 001 show it.
type linkData struct {
	AppID      string  `json:"app_id"`
	VoipNumber string  `json:"voip_number"`
	OrgID      int64   `json:"org_id"`
	Status     string  `json:"status"`
	CreatedAt  string  `json:"created_at"`
	UpdatedAt  *string `json:"updated_at"`
}

func newLinkData(l store.Link, e164 string) linkData {
	return linkData{AppID: l.TargetID, VoipNumber: e164, OrgID: l.OrgID, Status: l.Status,
		CreatedAt: formatTime(l.CreatedAt), UpdatedAt: formatTimePtr(l.UpdatedAt)}
}

// linkFailure is the one table from a failed attach job's code to seed
// 000's status and message; "" means 500 "Failed to link number: <the
// job's message>".
func linkFailure(code jobs.Code) (int, string) {
	switch code {
	case jobs.CodeLinkedElsewhere:
		return http.StatusConflict, msgAppLinkedOther
	case jobs.CodeNumberNotFound:
		return http.StatusBadRequest, msgNumberNotOwned
	case jobs.CodeTargetNotFound:
		return http.StatusNotFound, msgAppNotFound
	case jobs.CodeCancelled:
		return http.StatusConflict, msgJobCancelled
	}
	return http.StatusInternalServerError, ""
}

type linkNumberRequest struct {
	VoipNumber string `json:"voip_number"`
	// CallbackURL receives the job's completion event (docs/callbacks.md).
	CallbackURL string `json:"callback_url"`
}

// linkNumber is seed 000's POST /sfvopi/apps/{app_id}/numbers. It checks
// the request against the store (answering the seed's errors, or the
// existing link, without a job), then enqueues an attach job and waits for
// it: 200 with the link, the seed's errors for a failed job, or 202 with
// the job id when it takes longer than Params.Wait.
func (s *server) linkNumber() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, ok := s.sfvopiAuth(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		var req linkNumberRequest
		if err := decode(r, &req); err != nil {
			sfvopiError(w, http.StatusBadRequest, invalidBodyMessage(err))
			return
		}
		e164, err := s.lenient.Normalize(req.VoipNumber)
		if err != nil {
			sfvopiError(w, http.StatusBadRequest, msgInvalidBody)
			return
		}
		if why := s.checkCallback(req.CallbackURL); why != "" {
			sfvopiError(w, http.StatusBadRequest, msgInvalidCallback+": "+why)
			return
		}
		app, err := s.getTarget(ctx, orgID, r.PathValue("app_id"), store.TargetApp)
		if errors.Is(err, store.ErrNotFound) {
			sfvopiError(w, http.StatusNotFound, msgAppNotFound)
			return
		} else if err != nil {
			s.sfvopiInternal(w, failedToLinkNumber, err)
			return
		}
		ns, err := s.lookupNumber(ctx, orgID, e164)
		switch {
		case errors.Is(err, errNumberNotFound):
			sfvopiError(w, http.StatusBadRequest, msgNumberNotOwned)
			return
		case err != nil:
			s.sfvopiInternal(w, failedToLinkNumber, err)
			return
		case ns.Link != nil && ns.Link.TargetID != app.ID:
			sfvopiError(w, http.StatusConflict, msgAppLinkedOther)
			return
		case ns.Link != nil && ns.Link.Status == store.LinkActive:
			sfvopiOK(w, http.StatusOK, newLinkData(*ns.Link, e164))
			return
		}
		// Not linked, or a pending link to this app (an attach under way or
		// one that gave up): the job finishes it.
		job, err := s.Jobs.Attach(ctx, jobs.Attach{OrgID: orgID, TargetID: app.ID, Numbers: []string{e164}, CallbackURL: req.CallbackURL})
		if err != nil {
			s.sfvopiInternal(w, failedToLinkNumber, err)
			return
		}
		out, done, err := s.await(r, job)
		switch {
		case err != nil:
			s.sfvopiInternal(w, failedToLinkNumber, err)
			return
		case !done:
			encode(w, http.StatusAccepted, sfvopiEnvelope{Data: accepted(w, r, job), Message: "accepted"})
			return
		case out.State != jobs.StateSucceeded:
			status, message := linkFailure(out.Code)
			if message == "" {
				message = failedToLinkNumber + ": " + out.Message
			}
			sfvopiError(w, status, message)
			return
		}
		sfvopiOK(w, http.StatusOK, s.linkAfterAttach(ctx, orgID, app.ID, e164, out))
	})
}

// linkAfterAttach reads back the link a succeeded attach job made. Should
// it already be gone (unlinked at once by another request), the answer is
// built from the job's outcome instead.
func (s *server) linkAfterAttach(ctx context.Context, orgID int64, appID, e164 string, out jobs.Outcome) linkData {
	ns, err := s.lookupNumber(ctx, orgID, e164)
	if err == nil && ns.Link != nil && ns.Link.TargetID == appID {
		return newLinkData(*ns.Link, e164)
	}
	l := store.Link{OrgID: orgID, TargetID: appID, Status: store.LinkActive}
	var res jobs.AttachResult
	if json.Unmarshal(out.Data, &res) == nil && len(res.Numbers) == 1 {
		l.CreatedAt = res.Numbers[0].LinkedAt
	}
	return newLinkData(l, e164)
}

// listAppNumbers is seed 001's GET /sfvopi/apps/{app_id}/numbers: the
// app's ACTIVE links, oldest first ([] when none).
func (s *server) listAppNumbers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, ok := s.sfvopiAuth(w, r)
		if !ok {
			return
		}
		const what = "Failed to get numbers"
		app, err := s.getTarget(r.Context(), orgID, r.PathValue("app_id"), store.TargetApp)
		if errors.Is(err, store.ErrNotFound) {
			sfvopiError(w, http.StatusNotFound, msgAppNotFound)
			return
		} else if err != nil {
			s.sfvopiInternal(w, what, err)
			return
		}
		links, err := s.Store.ListLinks(r.Context(), orgID, app.ID, store.LinkActive)
		if err != nil {
			s.sfvopiInternal(w, what, err)
			return
		}
		data := make([]linkData, 0, len(links))
		for _, l := range links {
			data = append(data, newLinkData(l.Link, l.E164))
		}
		sfvopiOK(w, http.StatusOK, data)
	})
}

// pathNumber is the {voip_number} path segment as the client meant it.
// ServeMux has already unescaped it ("%2B91..." is "+91..."); a literal '+'
// arrives as itself, but a client that form-encodes the path sends the '+'
// as a space ("%20" or a '+' decoded by a proxy), which is put back.
func pathNumber(r *http.Request) string {
	v := r.PathValue("voip_number")
	if rest := strings.TrimLeft(v, " "); rest != v {
		return "+" + rest
	}
	return v
}

// unlinkNumber is seed 002's DELETE /sfvopi/apps/{app_id}/numbers/{voip_number}:
// it enqueues an unlink job and waits for it. The seed has no body, so a
// callback URL comes as the callback_url query parameter.
func (s *server) unlinkNumber() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, ok := s.sfvopiAuth(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
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
			s.sfvopiInternal(w, failedToUnlink, err)
			return
		}
		// Something that is not a phone number is not linked to the app.
		e164, err := s.lenient.Normalize(pathNumber(r))
		if err != nil {
			sfvopiError(w, http.StatusNotFound, msgNotLinkedToApp)
			return
		}
		ns, err := s.lookupNumber(ctx, orgID, e164)
		switch {
		case errors.Is(err, errNumberNotFound) || (err == nil && (ns.Link == nil || ns.Link.TargetID != app.ID)):
			sfvopiError(w, http.StatusNotFound, msgNotLinkedToApp)
			return
		case err != nil:
			s.sfvopiInternal(w, failedToUnlink, err)
			return
		}
		job, err := s.Jobs.Unlink(ctx, jobs.Unlink{OrgID: orgID, TargetID: app.ID, Number: e164, CallbackURL: callbackURL})
		if err != nil {
			s.sfvopiInternal(w, failedToUnlink, err)
			return
		}
		out, done, err := s.await(r, job)
		switch {
		case err != nil:
			s.sfvopiInternal(w, failedToUnlink, err)
		case !done:
			encode(w, http.StatusAccepted, sfvopiEnvelope{Data: accepted(w, r, job), Message: "accepted"})
		case out.State == jobs.StateSucceeded:
			sfvopiOK(w, http.StatusOK, deletedData{Deleted: true})
		case out.Code == jobs.CodeNotLinked:
			sfvopiError(w, http.StatusNotFound, msgNotLinkedToApp)
		case out.Code == jobs.CodeCancelled:
			sfvopiError(w, http.StatusConflict, msgJobCancelled)
		default:
			sfvopiError(w, http.StatusInternalServerError, failedToUnlink+": "+out.Message)
		}
	})
}

// availableNumberData is a number of GET /sfvopi/numbers/available.
type availableNumberData struct {
	VoipNumber string `json:"voip_number"`
	Provider   string `json:"provider"`
	OrgID      int64  `json:"org_id"`
	CreatedAt  string `json:"created_at"`
}

// listAvailableNumbers is GET /sfvopi/numbers/available: the org's numbers
// that are linked to nothing (no app, no agent, no pending link), by E.164.
func (s *server) listAvailableNumbers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, ok := s.sfvopiAuth(w, r)
		if !ok {
			return
		}
		ns, err := s.Store.ListAvailableNumbers(r.Context(), orgID)
		if err != nil {
			s.sfvopiInternal(w, "Failed to get available numbers", err)
			return
		}
		data := make([]availableNumberData, 0, len(ns))
		for _, n := range ns {
			data = append(data, availableNumberData{VoipNumber: n.E164, Provider: n.Provider, OrgID: n.OrgID, CreatedAt: formatTime(n.CreatedAt)})
		}
		sfvopiOK(w, http.StatusOK, data)
	})
}
