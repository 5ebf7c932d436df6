package phone

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// row is one table-test case. want is the expected output; errHas, when
// non-empty, means Normalize must fail with an error wrapping ErrInvalid
// whose message contains errHas.
type row struct {
	In     string
	Want   string
	ErrHas string
}

// accepted lists numbers from the seed documents that every policy must
// accept unchanged: possible for their country even where libphonenumber's
// metadata does not list them as valid (+6512345678).
var accepted = []string{
	"+918000000001",
	"+12125551234",
	"+6512345678",
	"+442012345678",
	"+61212345678",
	"+971501234567",
	"+14165551234",
	"+918062810341",
	"+80012345678",  // non-geographical (international freephone)
	"+390612345678", // Italian leading zero is part of the number
}

// rejectedByAll lists inputs every policy must reject.
var rejectedByAll = []row{
	{In: "", ErrHas: "empty"},
	{In: "+", ErrHas: "no digits"},
	{In: "++1", ErrHas: "'+'"},
	{In: "+0", ErrHas: "not a phone number"},
	{In: "+12", ErrHas: "not a phone number"},
	{In: "+1234567890123456", ErrHas: "too long"},
	{In: "+12345678901234567890", ErrHas: "too long"},
	{In: "+999123456789", ErrHas: "country calling code"},
	{In: "+15551234", ErrHas: "local number without area code"},
	{In: "+6512345", ErrHas: "too short"},
	{In: "+1-800-FLOWERS", ErrHas: "found '"},
	{In: "+１２１２５５５１２３４", ErrHas: "'１'"},
	{In: "＋12125551234", ErrHas: "found '＋'"},
	{In: "+12125551234 ext 5", ErrHas: "found '"},
	{In: "+12125551234#5", ErrHas: "'#'"},
	{In: "tel:+12125551234", ErrHas: "found 't'"},
	{In: "+1212555\x001234", ErrHas: `'\x00'`},
	{In: "+1212555\xff1234", ErrHas: "'\ufffd'"},
	{In: "+" + strings.Repeat("1", 100), ErrHas: "(101 bytes): too long"},
}

func TestStrict(t *testing.T) {
	rows := []row{
		{In: "918062810341", ErrHas: "leading '+'"},
		{In: "+91 8062 810341", ErrHas: "only digits after '+', found ' '"},
		{In: "(918) 062-810341", ErrHas: "leading '+'"},
		{In: "+(918) 062-810341", ErrHas: "found '('"},
		{In: "+91-8062810341", ErrHas: "found '-'"},
		{In: "+91.8062810341", ErrHas: "found '.'"},
		{In: "+91806281034a", ErrHas: "found 'a'"},
		{In: " +918062810341", ErrHas: "leading '+'"},
		{In: "+918062810341\n", ErrHas: `found '\n'`},
		{In: "   ", ErrHas: "leading '+'"},
		{In: "+4402012345678", ErrHas: "canonical E.164 form, which is +442012345678"},
		// Two trunk prefixes: +31060507407 is not canonical either.
		{In: "+310060507407", ErrHas: "not in canonical E.164 form"},
		{In: "+31060507407", ErrHas: "not in canonical E.164 form, which is +3160507407"},
		{In: "12125551234", ErrHas: "leading '+'"},
		{In: "+1 212 555 1234", ErrHas: "found ' '"},
	}
	runTable(t, Strict(), withAccepted(rows))
	// The zero Policy is Strict.
	runTable(t, Policy{}, withAccepted(rows))
}

func TestPlusOptional(t *testing.T) {
	rows := []row{
		{In: "12125551234", Want: "+12125551234"},
		{In: "918000000001", Want: "+918000000001"},
		{In: "918062810341", Want: "+918062810341"},
		{In: "6512345678", Want: "+6512345678"},
		{In: "442012345678", Want: "+442012345678"},
		{In: "61212345678", Want: "+61212345678"},
		{In: "971501234567", Want: "+971501234567"},
		{In: "14165551234", Want: "+14165551234"},
		{In: "1 212-555-1234", Want: "+12125551234"},
		{In: "+1 (212) 555.1234", Want: "+12125551234"},
		{In: "+91 80000 00001", Want: "+918000000001"},
		{In: "(918) 062-810341", Want: "+918062810341"},
		{In: " \t12125551234\r\n", Want: "+12125551234"},
		// A trunk prefix after the country code is dropped by phonenumbers.
		{In: "44 (0)20 1234 5678", Want: "+442012345678"},
		{In: "31060507407", Want: "+3160507407"},
		// ... but not two: phonenumbers would strip the second 0 only when
		// the result is parsed again, so the result would not be canonical.
		{In: "310060507407", ErrHas: "ambiguous: the result +31060507407 would not be read back unchanged"},
		{In: "359 00 800 230", ErrHas: "ambiguous"},
		{In: "55 00 200 810 302", ErrHas: "ambiguous"},
		// Digits always start with the country code, never national.
		{In: "8000000001", ErrHas: "country calling code"},
		{In: "080000 00001", ErrHas: "country calling code"},
		{In: "0012125551234", ErrHas: "country calling code"},
		{In: "1-800-FLOWERS", ErrHas: "letters are not allowed, found 'F'"},
		{In: "１２１２５５５１２３４", ErrHas: "only ASCII digits are allowed, found '１'"},
		{In: "1234567890123456", ErrHas: "too long: 16 digits, E.164 allows at most 15"},
		{In: "12125551234x5", ErrHas: "'x'"},
		{In: "1212+5551234", ErrHas: "'+' is allowed only at the start"},
		{In: "1212/5551234", ErrHas: "character not allowed, found '/'"},
		{In: "   ", ErrHas: "empty"},
		{In: "-", ErrHas: "no digits"},
	}
	runTable(t, PlusOptional(), withAccepted(rows))
}

func TestLenient(t *testing.T) {
	in := []row{
		{In: "8000000001", Want: "+918000000001"},
		{In: "+918000000001", Want: "+918000000001"},
		{In: "+91 80000 00001", Want: "+918000000001"},
		{In: "080000 00001", Want: "+918000000001"},
		{In: "08000000001", Want: "+918000000001"},
		{In: "918000000001", Want: "+918000000001"},
		{In: "+91-80000-00001", Want: "+918000000001"},
		{In: "+91.80000.00001", Want: "+918000000001"},
		{In: "(080) 0000-0001", Want: "+918000000001"},
		{In: "  +918000000001\n", Want: "+918000000001"},
		{In: "0091 80000 00001", Want: "+918000000001"},
		{In: "8062810341", Want: "+918062810341"},
		{In: "+1 (212) 555-1234", Want: "+12125551234"},
		{In: "00 1 212 555 1234", Want: "+12125551234"},
		{In: "80000", ErrHas: "too short"},
		{In: "1-800-FLOWERS", ErrHas: "letters are not allowed"},
		{In: "１２", ErrHas: "only ASCII digits"},
		{In: "8000000001 ext 5", ErrHas: "letters are not allowed"},
		{In: "8000000001;ext=5", ErrHas: "';'"},
		{In: strings.Repeat("8", 16), ErrHas: "too long"},
	}
	us := []row{
		{In: "(212) 555-1234", Want: "+12125551234"},
		{In: "212.555.1234", Want: "+12125551234"},
		{In: "1 212 555 1234", Want: "+12125551234"},
		{In: "12125551234", Want: "+12125551234"},
		{In: "416-555-1234", Want: "+14165551234"},
		{In: "011 44 20 1234 5678", Want: "+442012345678"},
		{In: "555-1234", ErrHas: "local number without area code"},
	}
	gb := []row{
		{In: "020 1234 5678", Want: "+442012345678"},
		{In: "+44 (0)20 1234 5678", Want: "+442012345678"},
		{In: "00 91 80000 00001", Want: "+918000000001"},
		{In: "+31 0 0 60507407", ErrHas: "ambiguous"},
	}
	for _, tc := range []struct {
		region string
		rows   []row
	}{
		{"IN", in},
		{"in", in},
		{"US", us},
		{"GB", gb},
		{"SG", []row{{In: "1234 5678", Want: "+6512345678"}}},
		{"AU", []row{{In: "(02) 1234 5678", Want: "+61212345678"}}},
		{"AE", []row{{In: "050 123 4567", Want: "+971501234567"}}},
		{"CA", []row{{In: "416 555 1234", Want: "+14165551234"}}},
	} {
		t.Run(tc.region, func(t *testing.T) {
			p, err := Lenient(tc.region)
			if err != nil {
				t.Fatalf("Lenient(%q): %v", tc.region, err)
			}
			runTable(t, p, withAccepted(tc.rows))
		})
	}
}

func TestLenientRegion(t *testing.T) {
	for _, region := range []string{"", "X", "XX", "ZZ", "001", "USA", "I N", "ＩＮ"} {
		p, err := Lenient(region)
		if err == nil {
			t.Errorf("Lenient(%q) = %+v, want error", region, p)
			continue
		}
		if errors.Is(err, ErrInvalid) {
			t.Errorf("Lenient(%q) error %v wraps ErrInvalid; a bad region is a configuration error", region, err)
		}
	}
}

// withAccepted appends the cases shared by all policies.
func withAccepted(rows []row) []row {
	for _, s := range accepted {
		rows = append(rows, row{In: s, Want: s})
	}
	return append(rows, rejectedByAll...)
}

func runTable(t *testing.T, p Policy, want []row) {
	t.Helper()
	got := make([]row, len(want))
	for i, w := range want {
		out, err := p.Normalize(w.In)
		got[i] = row{In: w.In, Want: out}
		switch {
		case err == nil:
		case !errors.Is(err, ErrInvalid):
			got[i].ErrHas = "does not wrap ErrInvalid: " + err.Error()
		case w.ErrHas != "" && strings.Contains(err.Error(), w.ErrHas):
			got[i].ErrHas = w.ErrHas
		default:
			got[i].ErrHas = err.Error()
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%+v.Normalize mismatch (-want +got):\n%s", p, diff)
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := Strict().Normalize("918062810341")
	want := `invalid phone number "918062810341": E.164 requires a leading '+', found '9'`
	if diff := cmp.Diff(want, fmt.Sprint(err)); diff != "" {
		t.Errorf("error message (-want +got):\n%s", diff)
	}
	long := "+" + strings.Repeat("9", 40)
	_, err = Strict().Normalize(long)
	if err == nil || strings.Contains(err.Error(), long) {
		t.Errorf("Normalize(long input) error = %v, want an error that does not repeat the input", err)
	}
}

func TestDigits(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+918000000001", "918000000001"},
		{"+12125551234", "12125551234"},
		{"", ""},
	} {
		if diff := cmp.Diff(tc.want, Digits(tc.in)); diff != "" {
			t.Errorf("Digits(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

// TestNormalizeConcurrent exercises phonenumbers' shared caches under -race.
func TestNormalizeConcurrent(t *testing.T) {
	in, err := Lenient("IN")
	if err != nil {
		t.Fatal(err)
	}
	policies := []Policy{Strict(), PlusOptional(), in}
	inputs := append([]string{"080000 00001", "12125551234", "+4402012345678", "+15551234"}, accepted...)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, p := range policies {
				for _, s := range inputs {
					out, err := p.Normalize(s)
					if err == nil && out[0] != '+' {
						t.Errorf("%+v.Normalize(%q) = %q", p, s, out)
					}
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkNormalize(b *testing.B) {
	in, err := Lenient("IN")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		p    Policy
		in   string
	}{
		{"Strict", Strict(), "+918062810341"},
		{"PlusOptional", PlusOptional(), "1 212-555-1234"},
		{"Lenient", in, "080000 00001"},
		{"StrictReject", Strict(), "+91 8062 810341"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = bc.p.Normalize(bc.in)
			}
		})
	}
}

func ExamplePolicy_Normalize() {
	in, err := Lenient("IN")
	if err != nil {
		panic(err)
	}
	for _, p := range []Policy{in, PlusOptional(), Strict()} {
		for _, s := range []string{"080000 00001", "918000000001", "+918000000001"} {
			out, err := p.Normalize(s)
			fmt.Printf("%q -> %q %v\n", s, out, err)
		}
	}
	fmt.Println(Digits("+918000000001"))
	// Output:
	// "080000 00001" -> "+918000000001" <nil>
	// "918000000001" -> "+918000000001" <nil>
	// "+918000000001" -> "+918000000001" <nil>
	// "080000 00001" -> "" invalid phone number "080000 00001": missing or unknown country calling code
	// "918000000001" -> "+918000000001" <nil>
	// "+918000000001" -> "+918000000001" <nil>
	// "080000 00001" -> "" invalid phone number "080000 00001": E.164 requires a leading '+', found '0'
	// "918000000001" -> "" invalid phone number "918000000001": E.164 requires a leading '+', found '9'
	// "+918000000001" -> "+918000000001" <nil>
	// 918000000001
}
