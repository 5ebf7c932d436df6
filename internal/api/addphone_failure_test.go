package api

import (
	"net/http"
	"testing"

	"github.com/switchboardhq/switchboard/jobs"
)

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
	} {
		if status, message := addPhoneFailure(c.code); status != c.status || message != c.message {
			t.Errorf("addPhoneFailure(%s) = %d %q, want %d %q", c.code, status, message, c.status, c.message)
		}
	}
}
