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
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// telnyxJSON is the part of Telnyx's public OpenAPI 3.1 description
// (github.com/team-telnyx/openapi, openapi/spec3.yml at commit 12de4dd)
// covering what switchboard may call, cut from it unchanged.
//
//go:embed specs/telnyx_api_v2_subset.json
var telnyxJSON []byte

// Telnyx returns Telnyx's spec, loaded once per test binary. It is used
// as published: no schema is patched.
var Telnyx = sync.OnceValues(func() (*Spec, error) {
	doc, router, err := load("telnyx_api_v2_subset.json", telnyxJSON, nil)
	if err != nil {
		return nil, err
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:      requireBearer,
		SchemaValidationOptions: telnyxFormats(),
		// Telnyx documents some error statuses per operation (those are
		// validated against their schemas) but not every status it sends
		// (429, 5xx on most); checkTelnyxError checks the body of every
		// error.
		IncludeResponseStatus: false,
		MultiError:            true,
	}
	// Where and why, without the schema: Telnyx's schemas print hundreds
	// of lines each.
	opts.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		return fmt.Sprintf("at /%s: %s", strings.Join(err.JSONPointer(), "/"), err.Reason)
	})
	return &Spec{
		Name: "Telnyx", Doc: doc, router: router, Opts: opts,
		Host:        "https://api.telnyx.com",
		ContentType: "application/json",
		CheckError:  checkTelnyxError,
	}, nil
})

// telnyxFormats defines the string formats Telnyx's spec uses, which
// kin-openapi would otherwise ignore (letting anything through).
func telnyxFormats() []openapi3.SchemaValidationOption {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	digits := regexp.MustCompile(`^[0-9]+$`)
	absolute := openapi3.NewCallbackValidator(func(s string) error {
		u, err := url.Parse(s)
		if err != nil {
			return err
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("not an absolute http(s) URL: %q", s)
		}
		return nil
	})
	return []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidator("uri", absolute),
		// "" is the documented default of webhook_event_failover_url, the
		// one "url" property that is optional.
		openapi3.WithStringFormatValidator("url", openapi3.NewCallbackValidator(func(s string) error {
			if s == "" {
				return nil
			}
			return absolute.Validate(s)
		})),
		openapi3.WithStringFormatValidator("uuid", openapi3.NewCallbackValidator(func(s string) error {
			if !uuid.MatchString(s) {
				return fmt.Errorf("not a lower-case UUID: %q", s)
			}
			return nil
		})),
		openapi3.WithStringFormatValidator("date-time", openapi3.NewCallbackValidator(func(s string) error {
			_, err := time.Parse(time.RFC3339Nano, s)
			return err
		})),
		// Error codes are numbers written as strings ("10009").
		openapi3.WithStringFormatValidator("integer", openapi3.NewCallbackValidator(func(s string) error {
			if !digits.MatchString(s) {
				return fmt.Errorf("not digits: %q", s)
			}
			return nil
		})),
		openapi3.WithStringFormatValidator("json-pointer", openapi3.NewCallbackValidator(func(s string) error {
			if s != "" && !strings.HasPrefix(s, "/") {
				return fmt.Errorf("not a JSON pointer: %q", s)
			}
			return nil
		})),
	}
}

// requireBearer stands for the spec's bearerAuth scheme: the request must
// carry a Bearer token (whether it is right is the simulator's business).
func requireBearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "bearerAuth" {
		return fmt.Errorf("unexpected security scheme %q", in.SecuritySchemeName)
	}
	token, ok := strings.CutPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return errors.New("no Bearer token")
	}
	return nil
}

// checkTelnyxError checks an error response against Telnyx's error body
// (components/schemas/ErrorResponse): a non-empty errors array, each with
// a numeric code and a title, and nothing else at the top level.
func checkTelnyxError(status int, body []byte) error {
	var e struct {
		Errors []struct {
			Code   string `json:"code"`
			Title  string `json:"title"`
			Detail string `json:"detail"`
			Source any    `json:"source"`
			Meta   any    `json:"meta"`
		} `json:"errors"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return fmt.Errorf("not a Telnyx error body: %w: %s", err, body)
	}
	if len(e.Errors) == 0 {
		return fmt.Errorf("no errors in a %d response: %s", status, body)
	}
	for _, x := range e.Errors {
		if x.Code == "" || strings.Trim(x.Code, "0123456789") != "" || x.Title == "" {
			return fmt.Errorf("error without a numeric code or a title: %s", body)
		}
	}
	return nil
}
