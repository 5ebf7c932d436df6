package phone

import (
	"errors"
	"strings"
	"testing"
)

// FuzzNormalize checks the invariants every policy promises, for arbitrary
// input s and an arbitrary default region for the Lenient policy.
func FuzzNormalize(f *testing.F) {
	seeds := []string{
		// Seed-document examples.
		"8000000001", "+918000000001", "+91 80000 00001", "080000 00001",
		"12125551234", "+12125551234", "918000000001", "918062810341",
		"+918062810341", "+91 8062 810341", "(918) 062-810341",
		"+6512345678", "+442012345678", "+61212345678", "+971501234567",
		"+14165551234", "+4402012345678", "44 (0)20 1234 5678",
		"0091 80000 00001", "011 44 20 1234 5678", "+80012345678",
		"+390612345678", "+15551234", "555-1234",
		// Nasty input.
		"", " ", "+", "++1", "+0", "+00", "0", "00", "+1", "+12",
		"１２", "+１２１２５５５１２３４", "＋12125551234", "٠١٢٣٤٥٦٧٨٩",
		"1-800-FLOWERS", "+1-800-FLOWERS", "tel:+1-212-555-1234",
		"+1 212 555 1234;ext=5", "+12125551234 ext 5", "+12125551234#5",
		"+1234567890123456", "+123456789012345", strings.Repeat("9", 64),
		"+" + strings.Repeat("1", 300), strings.Repeat("+", 65),
		"+1212555\x001234", "+1212555\xff1234", "\u200e+12125551234",
		"+1 (212) 555.1234", "((((((((1))))))))", "-.-.-", "+ 1 2",
		"+1;phone-context=+1", "tel:555;phone-context=+1-212",
		"+4400000000000", "+44 00 20 1234 5678", "+7 8 800 555 35 35",
		// Double trunk prefixes: phonenumbers strips one per parse.
		"+310060507407", "+31060507407", "+35900800230", "+5500200810302",
	}
	for _, s := range seeds {
		for _, region := range []string{"IN", "US", "GB", "zz"} {
			f.Add(s, region)
		}
	}
	f.Fuzz(func(t *testing.T, s, region string) {
		strictOut, strictErr := Strict().Normalize(s)
		if strictErr == nil && strictOut != s {
			t.Errorf("Strict accepted %q but normalized it to %q", s, strictOut)
		}

		policies := map[string]Policy{
			"Strict":       Strict(),
			"PlusOptional": PlusOptional(),
		}
		if p, err := Lenient(region); err == nil {
			policies["Lenient("+region+")"] = p
		} else if errors.Is(err, ErrInvalid) {
			t.Errorf("Lenient(%q) error %v wraps ErrInvalid", region, err)
		}
		for name, p := range policies {
			out, err := p.Normalize(s)
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("%s.Normalize(%q) error %v does not wrap ErrInvalid", name, s, err)
				}
				if out != "" {
					t.Errorf("%s.Normalize(%q) = %q with error %v", name, s, out, err)
				}
				continue
			}
			checkE164(t, name, s, out)
			// Whatever Strict accepts, every policy accepts unchanged.
			if strictErr == nil && out != s {
				t.Errorf("%s.Normalize(%q) = %q, want the Strict result %q", name, s, out, s)
			}
			// Idempotence: the output is canonical E.164.
			again, err := Strict().Normalize(out)
			if err != nil || again != out {
				t.Errorf("%s.Normalize(%q) = %q, but Strict().Normalize(%q) = %q, %v", name, s, out, out, again, err)
			}
			if again, err := p.Normalize(out); err != nil || again != out {
				t.Errorf("%s.Normalize(%q) = %q, but normalizing it again gives %q, %v", name, s, out, again, err)
			}
		}
	})
}

func checkE164(t *testing.T, name, s, out string) {
	t.Helper()
	digits, ok := strings.CutPrefix(out, "+")
	if !ok {
		t.Errorf("%s.Normalize(%q) = %q, does not start with '+'", name, s, out)
	}
	if len(digits) == 0 || len(digits) > maxE164Digits {
		t.Errorf("%s.Normalize(%q) = %q, has %d digits, want 1 to %d", name, s, out, len(digits), maxE164Digits)
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			t.Errorf("%s.Normalize(%q) = %q, has non-digit %q after '+'", name, s, out, r)
		}
	}
	if Digits(out) != digits {
		t.Errorf("Digits(%q) = %q, want %q", out, Digits(out), digits)
	}
}
