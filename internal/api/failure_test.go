package api

import (
	"net/http"
	"testing"

	"github.com/switchboardhq/switchboard/jobs"
)

// The job codes the API cannot provoke without a race (its own checks run
// first) are mapped by these tables; each row is a documented answer.

func TestLinkFailure(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		code    jobs.Code
		status  int
		message string
	}{
		{jobs.CodeLinkedElsewhere, http.StatusConflict, "Number already linked to another app"},
		{jobs.CodeNumberNotFound, http.StatusBadRequest, "Number not found or not owned by organization"},
		{jobs.CodeTargetNotFound, http.StatusNotFound, "App not found"},
		{jobs.CodeProviderNotConfigured, http.StatusInternalServerError, ""},
		{jobs.CodeConflict, http.StatusInternalServerError, ""},
		{jobs.CodeInternal, http.StatusInternalServerError, ""},
		{jobs.CodeCancelled, http.StatusConflict, "The request was cancelled by an operator before it finished"},
	} {
		if status, message := linkFailure(c.code); status != c.status || message != c.message {
			t.Errorf("linkFailure(%s) = %d %q, want %d %q", c.code, status, message, c.status, c.message)
		}
	}
}

func TestAttachFailure(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		code    jobs.Code
		status  int
		message string
	}{
		{jobs.CodeTargetNotFound, http.StatusNotFound, "Agent not found"},
		{jobs.CodeNumberNotFound, http.StatusBadRequest, "Number not found or not owned by organization"},
		{jobs.CodeLinkedElsewhere, http.StatusConflict, "Phone number is already attached to another agent"},
		{jobs.CodeProviderNotConfigured, http.StatusBadRequest, "Provider not configured for your account"},
		{jobs.CodeInvalidInput, http.StatusBadRequest, "Invalid phone number format. Use E.164 format"},
		{jobs.CodeConflict, http.StatusInternalServerError, ""},
		{jobs.CodeProviderUnavailable, http.StatusInternalServerError, ""},
		{jobs.CodeCancelled, http.StatusConflict, "The request was cancelled by an operator before it finished"},
	} {
		if status, message := attachFailure(c.code); status != c.status || message != c.message {
			t.Errorf("attachFailure(%s) = %d %q, want %d %q", c.code, status, message, c.status, c.message)
		}
	}
}
