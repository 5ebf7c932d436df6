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

// TestAddPhoneFailure: every failed add-phone job's code has seed 004's
// answer, including those the API's own checks normally answer first
// (a user deleted between the request and the job).
func TestAddPhoneFailure(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		code    jobs.Code
		status  int
		message string
	}{
		{jobs.CodeDuplicate, http.StatusBadRequest, "Phone number already exists for this user"},
		{jobs.CodeInvalidCredentials, http.StatusBadRequest, "Invalid credentials for the integration provider"},
		{jobs.CodeNotOwned, http.StatusBadRequest, "Phone number is not owned by the integration account"},
		{jobs.CodeInvalidInput, http.StatusBadRequest, "Invalid phone number"},
		{jobs.CodeUnsupportedProvider, http.StatusBadRequest, "Unsupported integration"},
		{jobs.CodeConflict, http.StatusBadRequest, "Phone number is configured elsewhere at the provider"},
		{jobs.CodeManagedElsewhere, http.StatusBadRequest, "Phone number is managed by another workspace"},
		{jobs.CodeUserNotFound, http.StatusNotFound, "User not found"},
		{jobs.CodeProviderRejected, http.StatusInternalServerError, "Failed to set up integration webhooks"},
		{jobs.CodeProviderUnavailable, http.StatusInternalServerError, "Failed to set up integration webhooks"},
		{jobs.CodeInternal, http.StatusInternalServerError, "Internal server error"},
		{jobs.CodeCancelled, http.StatusConflict, "The request was cancelled by an operator before it finished"},
	} {
		if status, message := addPhoneFailure(c.code); status != c.status || message != c.message {
			t.Errorf("addPhoneFailure(%s) = %d %q, want %d %q", c.code, status, message, c.status, c.message)
		}
	}
}
