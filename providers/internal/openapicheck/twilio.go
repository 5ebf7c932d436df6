package openapicheck

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// twilioJSON is Twilio's official OpenAPI description of the 2010-04-01
// API (github.com/twilio/twilio-oai, MIT licence in
// specs/twilio-oai-LICENSE).
//
//go:embed specs/twilio_api_v2010.json
var twilioJSON []byte

// Twilio returns Twilio's spec, loaded once per test binary: parsing and
// checking 1.8 MB of OpenAPI takes a while.
var Twilio = sync.OnceValues(func() (*Spec, error) {
	// Checked without examples: Twilio's examples contradict their own
	// schemas in dozens of places ("true" for booleans, "" for SIDs,
	// strings for numbers), which says nothing about what the API sends.
	// TestTwilioExamples checks the examples of the operations simulated
	// here against the patched schemas instead.
	doc, router, err := load("twilio_api_v2010.json", twilioJSON, patchTwilio)
	if err != nil {
		return nil, err
	}
	return &Spec{
		Name: "Twilio", Doc: doc, router: router,
		Host:        "https://api.twilio.com",
		ContentType: "application/json; charset=utf-8",
		CheckError:  checkTwilioError,
		Opts: &openapi3filter.Options{
			AuthenticationFunc:      requireBasicAuth,
			SchemaValidationOptions: twilioFormats(),
			// Twilio documents only the 200 of each operation; error
			// statuses are checked against Twilio's error body by
			// checkTwilioError.
			IncludeResponseStatus: false,
			MultiError:            true,
		},
	}, nil
})

// patchTwilio corrects the two places where the schema contradicts Twilio's
// documented behaviour on the operations simulated here:
//
//   - voice_application_sid and sms_application_sid are "" on numbers
//     without an application in Twilio's own examples (the fetch, read and
//     update examples), while the schema demands 34 characters matching
//     ^AP...; the simulator renders them as Twilio does.
//   - VoiceApplicationSid=, SmsApplicationSid= and TrunkSid= (empty) are
//     how an application or trunk is detached from a number (PROVIDERS.md),
//     while the request schema demands a SID.
//
// Only "" is added to what those properties accept; everything else about
// them, and every other property, is validated as published.
func patchTwilio(doc *openapi3.T) error {
	allowEmpty := func(schema *openapi3.SchemaRef, props ...string) error {
		if schema == nil || schema.Value == nil {
			return errors.New("patchTwilio: schema missing")
		}
		for _, name := range props {
			p := schema.Value.Properties[name]
			if p == nil || p.Value == nil || p.Value.Pattern == "" {
				return fmt.Errorf("patchTwilio: property %s missing or without a pattern", name)
			}
			p.Value.MinLength = 0
			p.Value.Pattern = "^(" + strings.TrimSuffix(strings.TrimPrefix(p.Value.Pattern, "^"), "$") + ")?$"
		}
		return nil
	}
	number := doc.Components.Schemas["api.v2010.account.incoming_phone_number"]
	if err := allowEmpty(number, "voice_application_sid", "sms_application_sid"); err != nil {
		return err
	}
	update := doc.Paths.Find("/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json")
	if update == nil || update.Post == nil || update.Post.RequestBody == nil {
		return errors.New("patchTwilio: update operation missing")
	}
	form := update.Post.RequestBody.Value.Content.Get("application/x-www-form-urlencoded")
	if form == nil {
		return errors.New("patchTwilio: update form missing")
	}
	return allowEmpty(form.Schema, "VoiceApplicationSid", "SmsApplicationSid", "TrunkSid")
}

// twilioFormats defines the string formats Twilio's spec uses that
// kin-openapi does not know (it ignores unknown formats, which would let
// anything through). They are passed per validation rather than registered
// globally, to leave kin-openapi's package state alone.
func twilioFormats() []openapi3.SchemaValidationOption {
	phone := regexp.MustCompile(`^\+?[0-9*]{1,15}$`)
	return []openapi3.SchemaValidationOption{
		// RFC 2822 dates as Twilio writes them: always GMT, "+0000".
		openapi3.WithStringFormatValidator("date-time-rfc-2822", openapi3.NewCallbackValidator(func(s string) error {
			if _, err := time.Parse(time.RFC1123Z, s); err != nil || !strings.HasSuffix(s, " +0000") {
				return fmt.Errorf("not a GMT RFC 2822 date: %q", s)
			}
			return nil
		})),
		// Callback URLs are absolute http(s) URLs or "" (unset); page URIs
		// are paths relative to https://api.twilio.com.
		openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
			if s == "" {
				return nil
			}
			u, err := url.Parse(s)
			switch {
			case err != nil:
				return err
			case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
				return nil
			case u.Scheme == "" && u.Host == "" && strings.HasPrefix(u.Path, "/2010-04-01/"):
				return nil
			}
			return fmt.Errorf("not an http(s) URL nor an API path: %q", s)
		})),
		// E.164 in responses; the PhoneNumber filter also takes partial
		// numbers and '*' wildcards, which this pattern allows too (tests
		// compare returned numbers exactly).
		openapi3.WithStringFormatValidator("phone-number", openapi3.NewCallbackValidator(func(s string) error {
			if !phone.MatchString(s) {
				return fmt.Errorf("not a phone number: %q", s)
			}
			return nil
		})),
		openapi3.WithStringFormatValidator("http-method", openapi3.NewCallbackValidator(func(s string) error {
			switch s {
			case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
				return nil
			}
			return fmt.Errorf("not an HTTP method: %q", s)
		})),
	}
}

// requireBasicAuth stands for the spec's accountSid_authToken scheme: the
// request must carry Basic credentials (whether they are right is the
// simulator's business).
func requireBasicAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "accountSid_authToken" {
		return fmt.Errorf("unexpected security scheme %q", in.SecuritySchemeName)
	}
	if _, _, ok := in.RequestValidationInput.Request.BasicAuth(); !ok {
		return errors.New("no Basic credentials")
	}
	return nil
}

// checkTwilioError checks an error response against Twilio's error body,
// which the spec does not describe: exactly code, message, more_info and
// status, with status equal to the HTTP status and more_info the code's
// documentation page.
func checkTwilioError(status int, body []byte) error {
	var e struct {
		Code     *int    `json:"code"`
		Message  *string `json:"message"`
		MoreInfo *string `json:"more_info"`
		Status   *int    `json:"status"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return fmt.Errorf("not a Twilio error body: %w: %s", err, body)
	}
	switch {
	case e.Code == nil || e.Message == nil || e.MoreInfo == nil || e.Status == nil:
		return fmt.Errorf("missing fields: %s", body)
	case *e.Status != status:
		return fmt.Errorf("status %d in a %d response", *e.Status, status)
	case *e.MoreInfo != "https://www.twilio.com/docs/errors/"+strconv.Itoa(*e.Code):
		return fmt.Errorf("more_info %q for code %d", *e.MoreInfo, *e.Code)
	case *e.Message == "":
		return errors.New("empty message")
	}
	return nil
}
