package jobs_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/jobs"
)

type validator interface{ Validate() error }

// checkValidate runs Validate and checks the error: nil when wantErr is
// empty, otherwise an ErrInvalid-wrapped error mentioning wantErr.
func checkValidate(t *testing.T, v validator, wantErr string) {
	t.Helper()
	err := v.Validate()
	if wantErr == "" {
		if err != nil {
			t.Fatalf("Validate() = %v, want nil", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("Validate() = nil, want an error about %q", wantErr)
	}
	if !errors.Is(err, jobs.ErrInvalid) {
		t.Errorf("Validate() = %v, does not wrap ErrInvalid", err)
	}
	if !strings.Contains(err.Error(), wantErr) {
		t.Errorf("Validate() = %q, want it to mention %q", err, wantErr)
	}
}

func TestAddPhoneValidate(t *testing.T) {
	t.Parallel()
	valid := func() jobs.AddPhone {
		return jobs.AddPhone{
			OrgID: 1, UserID: "64e5f12345abcdef12345678", PhoneNumber: "+12125551234",
			Provider: jobs.ProviderTwilio, Credentials: "k1:AAAA", RequestID: "r1",
		}
	}
	tests := []struct {
		name    string
		mod     func(*jobs.AddPhone)
		wantErr string
	}{
		{"valid", func(*jobs.AddPhone) {}, ""},
		{"valid without plus", func(p *jobs.AddPhone) { p.PhoneNumber = "12125551234" }, ""},
		{"valid plivo", func(p *jobs.AddPhone) { p.Provider = jobs.ProviderPlivo }, ""},
		{"valid telnyx with override", func(p *jobs.AddPhone) { p.Provider = jobs.ProviderTelnyx; p.Override = true }, ""},
		{"org id zero", func(p *jobs.AddPhone) { p.OrgID = 0 }, "org_id"},
		{"org id negative", func(p *jobs.AddPhone) { p.OrgID = -1 }, "org_id"},
		{"user id empty", func(p *jobs.AddPhone) { p.UserID = "" }, "user_id"},
		{"user id blank", func(p *jobs.AddPhone) { p.UserID = " \t" }, "user_id"},
		{"phone empty", func(p *jobs.AddPhone) { p.PhoneNumber = "" }, "phone_number"},
		{"phone blank", func(p *jobs.AddPhone) { p.PhoneNumber = "  " }, "phone_number"},
		{"provider empty", func(p *jobs.AddPhone) { p.Provider = "" }, "provider"},
		{"provider unknown", func(p *jobs.AddPhone) { p.Provider = "vonage" }, `"vonage"`},
		{"provider wrong case", func(p *jobs.AddPhone) { p.Provider = "Twilio" }, "provider"},
		{"credentials empty", func(p *jobs.AddPhone) { p.Credentials = "" }, "credentials"},
		{"request id empty", func(p *jobs.AddPhone) { p.RequestID = "" }, "request_id"},
		{"request id blank", func(p *jobs.AddPhone) { p.RequestID = " " }, "request_id"},
		{"first error wins", func(p *jobs.AddPhone) { p.OrgID = 0; p.UserID = "" }, "org_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := valid()
			tt.mod(&p)
			checkValidate(t, p, tt.wantErr)
		})
	}
}

func TestAttachValidate(t *testing.T) {
	t.Parallel()
	valid := func() jobs.Attach {
		return jobs.Attach{OrgID: 1, TargetID: "app_1", Numbers: []string{"+12125551234"}}
	}
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("+1212555%04d", i)
		}
		return out
	}
	tests := []struct {
		name    string
		mod     func(*jobs.Attach)
		wantErr string
	}{
		{"valid", func(*jobs.Attach) {}, ""},
		{"valid with provider and override", func(p *jobs.Attach) { p.Provider = jobs.ProviderTelnyx; p.Override = true }, ""},
		{"valid at the limit", func(p *jobs.Attach) { p.Numbers = many(jobs.MaxNumbersPerAttach) }, ""},
		{"org id zero", func(p *jobs.Attach) { p.OrgID = 0 }, "org_id"},
		{"org id negative", func(p *jobs.Attach) { p.OrgID = -7 }, "org_id"},
		{"target empty", func(p *jobs.Attach) { p.TargetID = "" }, "target_id"},
		{"target blank", func(p *jobs.Attach) { p.TargetID = "\n" }, "target_id"},
		{"numbers nil", func(p *jobs.Attach) { p.Numbers = nil }, "numbers are required"},
		{"numbers empty", func(p *jobs.Attach) { p.Numbers = []string{} }, "numbers are required"},
		{"too many numbers", func(p *jobs.Attach) { p.Numbers = many(jobs.MaxNumbersPerAttach + 1) }, fmt.Sprint(jobs.MaxNumbersPerAttach)},
		{"empty number", func(p *jobs.Attach) { p.Numbers = []string{"+12125551234", ""} }, "numbers[1]"},
		{"blank number", func(p *jobs.Attach) { p.Numbers = []string{" "} }, "numbers[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := valid()
			tt.mod(&p)
			checkValidate(t, p, tt.wantErr)
		})
	}
}

func TestUnlinkValidate(t *testing.T) {
	t.Parallel()
	valid := func() jobs.Unlink {
		return jobs.Unlink{OrgID: 1, TargetID: "app_1", Number: "+12125551234"}
	}
	tests := []struct {
		name    string
		mod     func(*jobs.Unlink)
		wantErr string
	}{
		{"valid", func(*jobs.Unlink) {}, ""},
		{"org id zero", func(p *jobs.Unlink) { p.OrgID = 0 }, "org_id"},
		{"org id negative", func(p *jobs.Unlink) { p.OrgID = -1 }, "org_id"},
		{"target empty", func(p *jobs.Unlink) { p.TargetID = "" }, "target_id"},
		{"target blank", func(p *jobs.Unlink) { p.TargetID = "  " }, "target_id"},
		{"number empty", func(p *jobs.Unlink) { p.Number = "" }, "number"},
		{"number blank", func(p *jobs.Unlink) { p.Number = "\t" }, "number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := valid()
			tt.mod(&p)
			checkValidate(t, p, tt.wantErr)
		})
	}
}

func TestDeleteTargetValidate(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct {
		p       jobs.DeleteTarget
		wantErr string
	}{
		"valid":           {jobs.DeleteTarget{OrgID: 1, TargetID: "app_1"}, ""},
		"org id zero":     {jobs.DeleteTarget{OrgID: 0, TargetID: "app_1"}, "org_id"},
		"org id negative": {jobs.DeleteTarget{OrgID: -1, TargetID: "app_1"}, "org_id"},
		"target empty":    {jobs.DeleteTarget{OrgID: 1}, "target_id"},
		"target blank":    {jobs.DeleteTarget{OrgID: 1, TargetID: " "}, "target_id"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkValidate(t, tt.p, tt.wantErr)
		})
	}
}

func TestKnownProvider(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		jobs.ProviderTwilio: true,
		jobs.ProviderPlivo:  true,
		jobs.ProviderTelnyx: true,
		"":                  false,
		"Twilio":            false,
		" twilio":           false,
		"vonage":            false,
		"bandwidth":         false,
	}
	for name, want := range tests {
		if got := jobs.KnownProvider(name); got != want {
			t.Errorf("KnownProvider(%q) = %v, want %v", name, got, want)
		}
	}
}
