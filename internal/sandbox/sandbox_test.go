package sandbox_test

import (
	"fmt"
	"testing"

	"github.com/switchboardhq/switchboard/internal/phone"
	"github.com/switchboardhq/switchboard/internal/sandbox"
	"github.com/switchboardhq/switchboard/providers/plivo/plivotest"
	"github.com/switchboardhq/switchboard/providers/telnyx/telnyxtest"
	"github.com/switchboardhq/switchboard/providers/twilio/twiliotest"
)

// TestExtraNumbers: every account owns the fixture and N extra numbers, in
// the documented ranges, each a valid E.164 number switchboard accepts.
func TestExtraNumbers(t *testing.T) {
	const n = 25
	sb, err := sandbox.New(n)
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	first := map[string]string{sandbox.Twilio: "+12126000000", sandbox.Plivo: "+918050000000", sandbox.Telnyx: "+442030000000"}
	last := map[string]string{sandbox.Twilio: "+12126000024", sandbox.Plivo: "+918050000024", sandbox.Telnyx: "+442030000024"}
	owned := map[string]func(string) bool{
		sandbox.Twilio: func(e string) bool { _, ok := sb.Twilio.Number(twiliotest.SandboxAccountSID, e); return ok },
		sandbox.Plivo:  func(e string) bool { _, ok := sb.Plivo.Number(plivotest.SandboxAuthID, e); return ok },
		sandbox.Telnyx: func(e string) bool { _, ok := sb.Telnyx.Number(telnyxtest.SandboxAPIKey, e); return ok },
	}
	for p, has := range owned {
		if got := sandbox.ExtraNumber(p, 0); got != first[p] {
			t.Errorf("%s: first extra number %s, want %s", p, got, first[p])
		}
		if got := sandbox.ExtraNumber(p, n-1); got != last[p] {
			t.Errorf("%s: last extra number %s, want %s", p, got, last[p])
		}
		for i := range n {
			e := sandbox.ExtraNumber(p, i)
			if got, err := phone.Strict().Normalize(e); err != nil || got != e {
				t.Errorf("%s: %s is not valid E.164: %v", p, e, err)
			}
			if !has(e) {
				t.Errorf("%s: the account does not own %s", p, e)
			}
		}
		if next := sandbox.ExtraNumber(p, n); has(next) {
			t.Errorf("%s: the account owns %s, past its %d extra numbers", p, next, n)
		}
		// The range's end is valid too.
		if e := sandbox.ExtraNumber(p, sandbox.MaxExtraNumbers-1); func() bool { got, err := phone.Strict().Normalize(e); return err != nil || got != e }() {
			t.Errorf("%s: %s, the range's end, is not valid", p, e)
		}
	}
	for _, bad := range []int{-1, sandbox.MaxExtraNumbers + 1} {
		if _, err := sandbox.New(bad); err == nil {
			t.Errorf("New(%d) = nil error, want one", bad)
		}
	}
}

func ExampleExtraNumber() {
	fmt.Println(sandbox.ExtraNumber(sandbox.Twilio, 0), sandbox.ExtraNumber(sandbox.Plivo, 9), sandbox.ExtraNumber(sandbox.Telnyx, 9999))
	// Output: +12126000000 +918050000009 +442030009999
}
