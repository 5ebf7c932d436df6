package phone

import (
	"strings"
	"testing"
)

// The limits of the package are inclusive: a number of exactly 15 digits,
// an input of exactly maxInputBytes bytes and an error about an input of
// exactly maxQuotedInput bytes are treated like shorter ones.

func TestNormalizeAcceptsFifteenDigits(t *testing.T) {
	const s = "+493012345678901" // Berlin, 13 national digits: the E.164 maximum
	for name, p := range map[string]Policy{"Strict": Strict(), "PlusOptional": PlusOptional(), "Lenient": mustLenient(t, "US")} {
		if got, err := p.Normalize(s); err != nil || got != s {
			t.Errorf("%s.Normalize(%q) = %q, %v; want it unchanged", name, s, got, err)
		}
	}
}

func TestNormalizeInputLengthLimit(t *testing.T) {
	p := mustLenient(t, "US")
	const number = "+1 212 555 1234"
	atLimit := number + strings.Repeat(" ", maxInputBytes-len(number))
	if got, err := p.Normalize(atLimit); err != nil || got != "+12125551234" {
		t.Errorf("Normalize(%d bytes) = %q, %v; want +12125551234", len(atLimit), got, err)
	}
	_, err := p.Normalize(atLimit + " ")
	if err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("Normalize(%d bytes) error = %v, want too long", len(atLimit)+1, err)
	}
}

func TestErrorQuotesInputUpToLimit(t *testing.T) {
	atLimit := strings.Repeat("x", maxQuotedInput)
	_, err := Strict().Normalize(atLimit)
	if err == nil || !strings.Contains(err.Error(), `"`+atLimit+`"`) {
		t.Errorf("error for %d bytes = %v, want the input quoted", len(atLimit), err)
	}
	_, err = Strict().Normalize(atLimit + "x")
	if err == nil || strings.Contains(err.Error(), atLimit) || !strings.Contains(err.Error(), "(33 bytes)") {
		t.Errorf("error for %d bytes = %v, want the length instead of the input", len(atLimit)+1, err)
	}
}

func mustLenient(t *testing.T, region string) Policy {
	t.Helper()
	p, err := Lenient(region)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
