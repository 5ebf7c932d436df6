package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/internal/phone"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
)

// The voice agents family (seed 003). Every answer, success or error, is
// {"error", "code", "message", "timestamp" (Unix ms), "data"}.

type agentEnvelope struct {
	Error     bool   `json:"error"`
	Code      int    `json:"code"`
	Message   string `json:"message"`
	Timestamp int64  `json:"timestamp"`
	Data      any    `json:"data"`
}

const (
	msgAgentUnauthorized   = "Invalid or missing API key"
	msgAgentIDRequired     = "Agent ID is required"
	msgProviderRequired    = "Provider is required"
	msgNumbersRequired     = "Phone number(s) are required"
	msgInvalidE164         = "Invalid phone number format. Use E.164 format"
	msgProviderNotConfig   = "Provider not configured for your account"
	msgAgentNotFound       = "Agent not found"
	msgAttachedToOther     = "Phone number is already attached to another agent"
	failedToAttachNumbers  = "Failed to attach phone number(s)"
	msgAgentInternalServer = "Internal server error"
)

// agentProviders are the provider values seed 003 lists. Any of them is a
// valid name; whether the org can use it depends on its connections.
var agentProviders = []string{"san", "ozonetell", "twilio", "exotel", "telnyx", "vonage", "plivo", "bandwidth"}

var msgUnsupportedProvider = "Unsupported provider. Use one of: " + strings.Join(agentProviders, ", ")

var msgTooManyNumbers = fmt.Sprintf("At most %d phone numbers per request", jobs.MaxNumbersPerAttach)

func agentReply(w http.ResponseWriter, status int, message string, data any) {
	encode(w, status, agentEnvelope{Error: status >= 400, Code: status, Message: message, Timestamp: time.Now().UnixMilli(), Data: data})
}

func agentError(w http.ResponseWriter, status int, message string) {
	agentReply(w, status, message, nil)
}

// agentAuth authenticates r, answering the family's 401 (or 500) itself
// when it fails.
func (s *server) agentAuth(w http.ResponseWriter, r *http.Request) (int64, bool) {
	orgID, err := authenticate(r.Context(), s.Store, r)
	if errors.Is(err, errUnauthorized) {
		agentError(w, http.StatusUnauthorized, msgAgentUnauthorized)
		return 0, false
	}
	if err != nil {
		s.agentInternal(w, msgAgentInternalServer, err)
		return 0, false
	}
	return orgID, true
}

// agentInternal logs err and answers 500 with message, which holds no
// detail of err.
func (s *server) agentInternal(w http.ResponseWriter, message string, err error) {
	s.Logger.Error("request failed", "error", err)
	agentError(w, http.StatusInternalServerError, message)
}

// agentData is an agent as the API shows it.
type agentData struct {
	AgentID   string `json:"agent_id"`
	Name      string `json:"name"`
	AnswerURL string `json:"answer_url"`
	OrgID     int64  `json:"org_id"`
	CreatedAt string `json:"created_at"`
}

func newAgentData(t store.Target) agentData {
	return agentData{AgentID: t.ID, Name: t.Name, AnswerURL: t.AnswerURL, OrgID: t.OrgID, CreatedAt: formatTime(t.CreatedAt)}
}

type createAgentRequest struct {
	Name      string `json:"name"`
	AnswerURL string `json:"answer_url"`
}

// createAgent is POST /api/agent: 201 with the new agent.
func (s *server) createAgent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, ok := s.agentAuth(w, r)
		if !ok {
			return
		}
		var req createAgentRequest
		if err := decode(r, &req); err != nil {
			agentError(w, http.StatusBadRequest, invalidBodyMessage(err))
			return
		}
		if err := checkTarget(req.Name, req.AnswerURL, "", s.Callbacks); err != nil {
			agentError(w, http.StatusBadRequest, msgInvalidBody+": "+err.Error())
			return
		}
		t, err := s.createTarget(r.Context(), orgID, store.TargetAgent, req.Name, req.AnswerURL, "")
		if err != nil {
			s.agentInternal(w, msgAgentInternalServer, err)
			return
		}
		agentReply(w, http.StatusCreated, "Agent created successfully", newAgentData(t))
	})
}

// getAgent is GET /api/agent/{agent_id}.
func (s *server) getAgent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, ok := s.agentAuth(w, r)
		if !ok {
			return
		}
		t, err := s.getTarget(r.Context(), orgID, r.PathValue("agent_id"), store.TargetAgent)
		if errors.Is(err, store.ErrNotFound) {
			agentError(w, http.StatusNotFound, msgAgentNotFound)
			return
		} else if err != nil {
			s.agentInternal(w, msgAgentInternalServer, err)
			return
		}
		agentReply(w, http.StatusOK, "Agent fetched successfully", newAgentData(t))
	})
}

type attachRequest struct {
	AgentID  string   `json:"agent_id"`
	Provider string   `json:"provider"`
	Numbers  []string `json:"numbers"`
	// CallbackURL receives the job's completion event (docs/callbacks.md).
	CallbackURL string `json:"callback_url"`
}

// attachData is seed 003's success data, plus the job and each number's
// outcome.
type attachData struct {
	AgentID      string              `json:"agent_id"`
	PhoneNumbers []string            `json:"phone_numbers"`
	Provider     string              `json:"provider"`
	AttachedAt   string              `json:"attached_at"`
	Status       string              `json:"status"`
	JobID        string              `json:"job_id"`
	Numbers      []numberOutcomeData `json:"numbers"`
}

// attachFailureData is the data of a failed attach job: which numbers were
// linked and which failed or were skipped.
type attachFailureData struct {
	AgentID  string              `json:"agent_id"`
	Provider string              `json:"provider"`
	JobID    string              `json:"job_id"`
	Numbers  []numberOutcomeData `json:"numbers"`
}

// attachPendingData is the data of a 202.
type attachPendingData struct {
	AgentID      string   `json:"agent_id"`
	PhoneNumbers []string `json:"phone_numbers"`
	Provider     string   `json:"provider"`
	jobRef
}

// numberOutcomeData is one number's jobs.NumberOutcome.
type numberOutcomeData struct {
	Number   string  `json:"number"`
	Status   string  `json:"status"`
	Provider string  `json:"provider,omitempty"`
	LinkedAt *string `json:"linked_at,omitempty"`
	Code     string  `json:"code,omitempty"`
	Message  string  `json:"message,omitempty"`
}

func newNumberOutcomes(res jobs.AttachResult) []numberOutcomeData {
	out := make([]numberOutcomeData, 0, len(res.Numbers))
	for _, n := range res.Numbers {
		d := numberOutcomeData{Number: n.Number, Status: n.Status, Provider: n.Provider, Code: string(n.Code), Message: n.Message}
		if !n.LinkedAt.IsZero() {
			d.LinkedAt = formatTimePtr(&n.LinkedAt)
		}
		out = append(out, d)
	}
	return out
}

// attachFailure is the one table from a failed attach job's code to seed
// 003's status and message; "" means 500 "Failed to attach phone
// number(s): <the job's message>".
func attachFailure(code jobs.Code) (int, string) {
	switch code {
	case jobs.CodeTargetNotFound:
		return http.StatusNotFound, msgAgentNotFound
	case jobs.CodeNumberNotFound:
		return http.StatusBadRequest, msgNumberNotOwned
	case jobs.CodeLinkedElsewhere:
		return http.StatusConflict, msgAttachedToOther
	case jobs.CodeProviderNotConfigured:
		return http.StatusBadRequest, msgProviderNotConfig
	case jobs.CodeInvalidInput:
		return http.StatusBadRequest, msgInvalidE164
	case jobs.CodeCancelled:
		return http.StatusConflict, msgJobCancelled
	}
	return http.StatusInternalServerError, ""
}

// attachPhoneNumbers is seed 003's POST /api/agent/attach-phone-number. It
// validates the request in the seed's order and checks it against the
// store, answering without a job when something is wrong; then it enqueues
// one attach job for all the numbers and waits for it (202 with the job id
// when it takes longer than Params.Wait).
func (s *server) attachPhoneNumbers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, ok := s.agentAuth(w, r)
		if !ok {
			return
		}
		ctx := r.Context()
		var req attachRequest
		if err := decode(r, &req); err != nil {
			agentError(w, http.StatusBadRequest, invalidBodyMessage(err))
			return
		}
		provider := strings.ToLower(strings.TrimSpace(req.Provider))
		switch {
		case strings.TrimSpace(req.AgentID) == "":
			agentError(w, http.StatusBadRequest, msgAgentIDRequired)
			return
		case provider == "":
			agentError(w, http.StatusBadRequest, msgProviderRequired)
			return
		case len(req.Numbers) == 0:
			agentError(w, http.StatusBadRequest, msgNumbersRequired)
			return
		}
		// Duplicates collapse, and the walk stops at the cap: a body of
		// 60,000 numbers costs no more than one of 101.
		var numbers []string
		seen := make(map[string]bool, jobs.MaxNumbersPerAttach+1)
		for _, n := range req.Numbers {
			if seen[n] {
				continue
			}
			if _, err := phone.Strict().Normalize(n); err != nil {
				agentError(w, http.StatusBadRequest, msgInvalidE164)
				return
			}
			seen[n] = true
			if numbers = append(numbers, n); len(numbers) > jobs.MaxNumbersPerAttach {
				agentError(w, http.StatusUnprocessableEntity, msgTooManyNumbers)
				return
			}
		}
		if !slices.Contains(agentProviders, provider) {
			agentError(w, http.StatusUnprocessableEntity, msgUnsupportedProvider)
			return
		}
		if why := s.checkCallback(req.CallbackURL); why != "" {
			agentError(w, http.StatusBadRequest, msgInvalidCallback+": "+why)
			return
		}
		if ok, err := s.hasConnection(ctx, orgID, provider); err != nil {
			s.agentInternal(w, msgAgentInternalServer, err)
			return
		} else if !ok {
			agentError(w, http.StatusBadRequest, msgProviderNotConfig)
			return
		}
		agent, err := s.getTarget(ctx, orgID, req.AgentID, store.TargetAgent)
		if errors.Is(err, store.ErrNotFound) {
			agentError(w, http.StatusNotFound, msgAgentNotFound)
			return
		} else if err != nil {
			s.agentInternal(w, msgAgentInternalServer, err)
			return
		}
		// The job checks all of this again (the store may change in
		// between); checking here first spares a job for the common errors.
		for _, n := range numbers {
			ns, err := s.lookupNumber(ctx, orgID, n)
			switch {
			case errors.Is(err, errNumberNotFound) || (err == nil && ns.Number.Provider != provider):
				agentError(w, http.StatusBadRequest, msgNumberNotOwned)
				return
			case err != nil:
				s.agentInternal(w, msgAgentInternalServer, err)
				return
			case ns.Link != nil && ns.Link.TargetID != agent.ID:
				agentError(w, http.StatusConflict, msgAttachedToOther)
				return
			}
		}

		job, err := s.Jobs.Attach(ctx, jobs.Attach{OrgID: orgID, TargetID: agent.ID, Provider: provider, Numbers: numbers, CallbackURL: req.CallbackURL})
		if err != nil {
			s.agentInternal(w, failedToAttachNumbers+": internal error", err)
			return
		}
		out, done, err := s.await(r, job)
		if err != nil {
			s.agentInternal(w, failedToAttachNumbers+": internal error", err)
			return
		}
		if !done {
			agentReply(w, http.StatusAccepted, "Phone number(s) are being attached",
				attachPendingData{AgentID: agent.ID, PhoneNumbers: numbers, Provider: provider, jobRef: accepted(w, r, job)})
			return
		}
		var res jobs.AttachResult
		if len(out.Data) > 0 {
			if err := json.Unmarshal(out.Data, &res); err != nil {
				s.agentInternal(w, failedToAttachNumbers+": internal error", err)
				return
			}
		}
		if out.State != jobs.StateSucceeded {
			status, message := attachFailure(out.Code)
			if message == "" {
				message = failedToAttachNumbers + ": " + out.Message
			}
			var data any
			if len(res.Numbers) > 0 {
				data = attachFailureData{AgentID: agent.ID, Provider: provider, JobID: job.ID, Numbers: newNumberOutcomes(res)}
			}
			agentReply(w, status, message, data)
			return
		}
		var attachedAt time.Time
		for _, n := range res.Numbers {
			if n.LinkedAt.After(attachedAt) {
				attachedAt = n.LinkedAt
			}
		}
		agentReply(w, http.StatusOK, "Phone number(s) attached successfully", attachData{
			AgentID: agent.ID, PhoneNumbers: numbers, Provider: provider, AttachedAt: formatTime(attachedAt),
			Status: "active", JobID: job.ID, Numbers: newNumberOutcomes(res),
		})
	})
}

// hasConnection reports whether the org has credentials for provider.
func (s *server) hasConnection(ctx context.Context, orgID int64, provider string) (bool, error) {
	conns, err := s.Store.ListConnections(ctx, orgID)
	if err != nil {
		return false, err
	}
	for _, c := range conns {
		if c.Provider == provider {
			return true, nil
		}
	}
	return false, nil
}
