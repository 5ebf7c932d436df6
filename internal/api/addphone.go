package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/switchboardhq/switchboard/internal/phone"
	"github.com/switchboardhq/switchboard/internal/store"
	"github.com/switchboardhq/switchboard/jobs"
	"github.com/switchboardhq/switchboard/providers/twilio"
)

// callEnvelope is seed 004's response shape, for successes and errors.
type callEnvelope struct {
	Message      string `json:"message"`
	Status       bool   `json:"status"`
	Code         int    `json:"code"`
	ErrorMessage string `json:"errorMessage"`
	Data         any    `json:"data"`
}

// callBodyDetail is the family's errorMessage for a refused body.
func callBodyDetail(err error) string {
	if d := bodyDetail(err); d != "" {
		return d
	}
	return "body must be a JSON object"
}

func callError(w http.ResponseWriter, status int, message, detail string) {
	encode(w, status, callEnvelope{Message: message, Status: false, Code: status, ErrorMessage: detail})
}

type addPhoneRequest struct {
	UserID      string `json:"userId"`
	PhoneNumber string `json:"phoneNumber"`
	Integration string `json:"integration"`
	AuthToken   string `json:"authToken"`
	AccSID      string `json:"accSId"`
	// APIKey and APISecret are a Twilio alternative to authToken (an
	// extension to the seed): an API key SID (SK…) and its secret, or the
	// parent Account SID of the subaccount accSId and the parent's auth
	// token.
	APIKey    string `json:"apiKey"`
	APISecret string `json:"apiSecret"`
	// Region is the Twilio Region of accSId ("ie1", "au1", "jp1"; empty
	// or "us1" for the default US1), an extension to the seed. Twilio's
	// regions are isolated: the credentials must be the region's.
	Region string `json:"region"`
	// Override lets switchboard take over a number wired to a SIP trunk or a
	// foreign connection (an extension to the seed, off by default).
	Override bool `json:"override"`
	// CallbackURL receives the job's completion event (docs/callbacks.md;
	// an extension to the seed).
	CallbackURL string `json:"callback_url"`
}

type addPhoneData struct {
	ID          string `json:"_id"`
	UserID      string `json:"userId"`
	PhoneNumber string `json:"phoneNumber"`
	Integration string `json:"integration"`
	CreatedAt   string `json:"createdAt"`
}

var objectID = regexp.MustCompile(`^[0-9a-fA-F]{24}$`)

// addPhone is seed 004's POST /api/call/add-phone: it checks the request,
// enqueues a number:add job and waits for its outcome (201 with the
// number; 400/404/500 per the seed), or answers 202 with the job when the
// provider is slow or the client sent Prefer: respond-async.
func (s *server) addPhone() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orgID, err := authenticate(r.Context(), s.Store, r)
		if err != nil {
			s.callAuthError(w, err)
			return
		}
		var req addPhoneRequest
		if err := decode(r, &req); err != nil {
			callError(w, http.StatusBadRequest, msgInvalidBody, callBodyDetail(err))
			return
		}
		if !objectID.MatchString(req.UserID) {
			callError(w, http.StatusBadRequest, "Invalid User ID format", "userId must be 24 hexadecimal characters")
			return
		}
		if !jobs.KnownProvider(req.Integration) {
			callError(w, http.StatusBadRequest, "Unsupported integration", "integration must be one of: plivo, twilio, telnyx")
			return
		}
		e164, err := phone.PlusOptional().Normalize(req.PhoneNumber)
		if err != nil {
			callError(w, http.StatusBadRequest, "Invalid phone number", err.Error())
			return
		}
		creds, why := requestCredentials(req)
		if why != "" {
			callError(w, http.StatusBadRequest, "Invalid credentials for the integration provider", why)
			return
		}
		if why := s.checkCallback(req.CallbackURL); why != "" {
			callError(w, http.StatusBadRequest, msgInvalidCallback, why)
			return
		}
		if _, err := s.Store.GetUser(r.Context(), orgID, req.UserID); errors.Is(err, store.ErrNotFound) {
			callError(w, http.StatusNotFound, "User not found", "no user with this userId")
			return
		} else if err != nil {
			s.internalError(w, err)
			return
		}
		job, err := s.Jobs.AddPhone(r.Context(), jobs.AddPhoneRequest{
			OrgID: orgID, UserID: req.UserID, PhoneNumber: e164, Provider: req.Integration,
			Credentials: creds, Override: req.Override,
			CallbackURL: req.CallbackURL,
		})
		if err != nil {
			s.internalError(w, err)
			return
		}
		out, done, err := s.await(r, job)
		if err == nil && !done {
			encode(w, http.StatusAccepted, callEnvelope{Message: "Phone number is being added", Status: true, Code: http.StatusAccepted,
				Data: accepted(w, r, job)})
			return
		}
		if err != nil {
			s.internalError(w, err)
			return
		}
		if out.State != jobs.StateSucceeded {
			status, message := addPhoneFailure(out.Code)
			callError(w, status, message, out.Message)
			return
		}
		var res jobs.AddPhoneResult
		if err := json.Unmarshal(out.Data, &res); err != nil {
			s.internalError(w, err)
			return
		}
		encode(w, http.StatusCreated, callEnvelope{Message: "Phone number added successfully", Status: true, Code: http.StatusCreated,
			Data: addPhoneData{ID: res.NumberID, UserID: res.UserID, PhoneNumber: phone.Digits(res.PhoneNumber),
				Integration: res.Provider, CreatedAt: formatTime(res.CreatedAt)}})
	})
}

// addPhoneFailure is the one table from a failed job's code to seed 004's
// status and message.
func addPhoneFailure(code jobs.Code) (int, string) {
	switch code {
	case jobs.CodeDuplicate:
		return http.StatusBadRequest, "Phone number already exists for this user"
	case jobs.CodeInvalidCredentials:
		return http.StatusBadRequest, "Invalid credentials for the integration provider"
	case jobs.CodeNotOwned:
		return http.StatusBadRequest, "Phone number is not owned by the integration account"
	case jobs.CodeInvalidInput:
		return http.StatusBadRequest, "Invalid phone number"
	case jobs.CodeUnsupportedProvider:
		return http.StatusBadRequest, "Unsupported integration"
	case jobs.CodeConflict:
		return http.StatusBadRequest, "Phone number is configured elsewhere at the provider"
	case jobs.CodeManagedElsewhere:
		return http.StatusBadRequest, "Phone number is managed by another workspace"
	case jobs.CodeUserNotFound:
		return http.StatusNotFound, "User not found"
	case jobs.CodeProviderRejected, jobs.CodeProviderUnavailable:
		return http.StatusInternalServerError, "Failed to set up integration webhooks"
	case jobs.CodeCancelled:
		return http.StatusConflict, msgJobCancelled
	}
	return http.StatusInternalServerError, "Internal server error"
}

func (s *server) callAuthError(w http.ResponseWriter, err error) {
	if errors.Is(err, errUnauthorized) {
		callError(w, http.StatusUnauthorized, "Unauthorized", "missing or invalid API key")
		return
	}
	s.internalError(w, err)
}

// internalError logs err and answers 500 without its details.
func (s *server) internalError(w http.ResponseWriter, err error) {
	s.Logger.Error("request failed", "error", err)
	callError(w, http.StatusInternalServerError, "Internal server error", "")
}

// Credential shapes the providers issue. A value that cannot be a
// credential is refused here, before it is sealed, enqueued and kept in a
// job's payload.
var (
	twilioAccountSID = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	plivoAuthID      = regexp.MustCompile(`^[MS]A[0-9A-Za-z]{18}$`)
)

// maxSecretLen bounds an auth token or API key: the providers' are 32 to
// about 100 characters.
const maxSecretLen = 256

// twilioKeyOrAccount is what apiKey may be: an API key SID or a (parent)
// Account SID.
var twilioKeyOrAccount = regexp.MustCompile(`^(SK|AC)[0-9a-fA-F]{32}$`)

// requestCredentials reads the request's credentials: authToken, or for
// Twilio apiKey and apiSecret instead, with accSId. It says why they
// cannot be credentials of the integration, or "" when they can.
func requestCredentials(req addPhoneRequest) (jobs.Credentials, string) {
	secret := req.AuthToken
	if req.APIKey != "" || req.APISecret != "" {
		switch {
		case req.Integration != jobs.ProviderTwilio:
			return jobs.Credentials{}, "apiKey and apiSecret are for Twilio only"
		case req.AuthToken != "":
			return jobs.Credentials{}, "send either authToken or apiKey and apiSecret, not both"
		case req.APIKey == "" || req.APISecret == "":
			return jobs.Credentials{}, "apiKey and apiSecret go together"
		case !twilioKeyOrAccount.MatchString(req.APIKey) || req.APIKey == req.AccSID:
			return jobs.Credentials{}, "apiKey must be a Twilio API key SID (SK followed by 32 hexadecimal characters) or the parent Account SID of accSId"
		}
		secret = req.APISecret
	}
	if secret == "" || (req.AccSID == "" && req.Integration != jobs.ProviderTelnyx) {
		return jobs.Credentials{}, "authToken and accSId are required"
	}
	if why := credentialShape(req.Integration, req.AccSID, secret); why != "" {
		return jobs.Credentials{}, why
	}
	region, why := twilioRegion(req)
	if why != "" {
		return jobs.Credentials{}, why
	}
	return jobs.Credentials{AccountID: req.AccSID, Secret: secret, Username: req.APIKey, Region: region}, ""
}

// twilioRegion reads region: "" for US1 (none, or "us1"), else one of
// twilio.Regions(), for Twilio only. It says why not, or "".
func twilioRegion(req addPhoneRequest) (string, string) {
	r := req.Region
	switch {
	case r == "" || r == "us1":
		return "", ""
	case req.Integration != jobs.ProviderTwilio:
		return "", "region is for Twilio only"
	case !slices.Contains(twilio.Regions(), r):
		return "", fmt.Sprintf("region must be one of us1, %s", strings.Join(twilio.Regions(), ", "))
	}
	return r, ""
}

// credentialShape says why accSID and token cannot be credentials of
// integration, or "" when they can.
func credentialShape(integration, accSID, token string) string {
	if len(token) > maxSecretLen || strings.IndexFunc(token, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
		return fmt.Sprintf("authToken must be at most %d printable ASCII characters, without spaces", maxSecretLen)
	}
	switch {
	case integration == jobs.ProviderTwilio && !twilioAccountSID.MatchString(accSID):
		return "accSId must be a Twilio Account SID: AC followed by 32 hexadecimal characters"
	case integration == jobs.ProviderPlivo && !plivoAuthID.MatchString(accSID):
		return "accSId must be a Plivo Auth ID: MA or SA followed by 18 letters or digits"
	case integration == jobs.ProviderTelnyx && len(accSID) > 64:
		return "accSId is not used for Telnyx and must be at most 64 characters"
	}
	return ""
}
