// Package phone normalizes user-supplied phone numbers to E.164
// ("+" followed by at most 15 digits, e.g. "+918000000001") before they are
// stored or sent to a telephony provider.
//
// Parsing is delegated entirely to github.com/nyaruka/phonenumbers (a port of
// Google's libphonenumber); this package only adds the policy checks around
// it: which characters an input may contain, whether a leading '+' is
// required, how digits without '+' are interpreted, and which phonenumbers
// results are acceptable.
//
// # Why three policies
//
// The product's API documents promise different input formats, and each
// endpoint must accept exactly what its document promises:
//
//   - [Lenient] accepts what a person types: international or national
//     formats, an optional '+', an international dialling prefix such as
//     "00", and common separators. Digits without '+' are read the way
//     someone in the default region would dial them ("080000 00001" in IN
//     is +918000000001).
//   - [PlusOptional] accepts a number that already includes its country code,
//     with or without the '+' ("12125551234" is +12125551234). Digits are
//     never read as a national number.
//   - [Strict] accepts only canonical E.164: '+' then ASCII digits, nothing
//     else, and the input must already be exactly the normalized form.
//
// # Rules shared by all policies
//
// Numbers are accepted when they are possible for their country, i.e. their
// length is right for the country calling code
// (phonenumbers.IsPossibleNumberWithReason returns IS_POSSIBLE), even when
// libphonenumber's metadata does not list the number range as assigned
// (+6512345678 is accepted). Numbers that are only dialable locally (a
// number without its area code, such as +15551234) are rejected, as are
// unknown country calling codes, too-short and too-long numbers, more than
// 15 digits, inputs longer than 64 bytes, extensions, and anything
// phonenumbers cannot parse. So are the rare inputs that phonenumbers
// would normalize differently a second time, such as two national prefixes
// after the country code ("+31 0 0 60507407"), because their result would
// not be canonical.
//
// Only ASCII digits are accepted. phonenumbers would translate other
// Unicode decimal digits (for example fullwidth "１２") and vanity letters
// ("1-800-FLOWERS"); this package rejects both, because the API documents
// specify digits and because look-alike characters in an identifier that
// is stored, compared and logged are more trouble than they are worth.
//
// The output of Normalize is always phonenumbers.Format(n, E164), it is
// accepted unchanged by every policy (Strict included), and normalizing it
// again yields the same string.
//
// # Concurrency
//
// A [Policy] is an immutable value and is safe for concurrent use.
// phonenumbers.Parse is safe for concurrent use as well (checked against
// v1.8.1): its metadata is built once during package initialization and only
// read afterwards, its only lazily filled cache on the parse path (compiled
// regular expressions) is guarded by a sync.RWMutex, and every call
// allocates its own PhoneNumber. The lazily loaded carrier, geocoding and
// timezone tables, which this package does not use, are guarded by a mutex
// or sync.Once.
package phone

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid is wrapped by every error Normalize returns. The error's message
// says why the input was rejected.
var ErrInvalid = errors.New("invalid phone number")

const (
	// maxE164Digits is the ITU-T E.164 limit on country code + national
	// significant number.
	maxE164Digits = 15

	// maxInputBytes bounds the work done on hostile input. It is far more
	// than any honestly formatted number needs, including separators and
	// an international dialling prefix.
	maxInputBytes = 64

	// maxQuotedInput is the longest input repeated in an error message.
	maxQuotedInput = 32

	// unknownRegion is libphonenumber's region code for "no default region";
	// with it, Parse accepts only numbers that start with '+'.
	unknownRegion = "ZZ"
)

type kind uint8

const (
	kindStrict kind = iota // zero value: the safest policy
	kindPlusOptional
	kindLenient
)

// Policy decides which input formats Normalize accepts. Create one with
// [Strict], [PlusOptional] or [Lenient]. The zero Policy is Strict.
type Policy struct {
	kind   kind
	region string // default region for kindLenient, upper case
}

// Strict returns the policy for endpoints documented as "E.164 format":
// the input must be '+' followed by ASCII digits only (no spaces or other
// separators) and must already be canonical, so a successful Normalize
// returns its input unchanged. For example "+918062810341" is accepted;
// "918062810341", "+91 8062 810341" and "+4402012345678" (canonical form
// +442012345678) are rejected.
func Strict() Policy { return Policy{kind: kindStrict} }

// PlusOptional returns the policy for endpoints documented as "phone number
// with country code, the + prefix is optional": "12125551234",
// "+12125551234" and "+1 212-555-1234" all normalize to "+12125551234".
// The digits are always read as starting with the country calling code,
// never as a national number.
//
// Separators are allowed: leading and trailing spaces, tabs, CRs and LFs are
// ignored, and ' ', '-', '.', '(' and ')' may appear anywhere after the
// optional '+' (a '+' is allowed only as the first character). Letters,
// non-ASCII digits and any other characters are rejected. A national
// (trunk) prefix written after the country code is dropped by phonenumbers:
// "44 (0)20 1234 5678" is +442012345678.
func PlusOptional() Policy { return Policy{kind: kindPlusOptional} }

// Lenient returns the policy for endpoints that take numbers the way people
// write them. Input with a leading '+' or an international dialling prefix
// is read as international; other input is read as a number dialled in
// region, so with region "IN" the inputs "8000000001", "080000 00001",
// "+91 80000 00001" and "+918000000001" all normalize to "+918000000001".
// phonenumbers also recognizes the region's own country code written without
// '+' when the national reading is not possible ("918000000001" in IN).
// Allowed characters are the same as for [PlusOptional].
//
// region is an ISO 3166-1 alpha-2 code such as "IN" or "US" (case is
// ignored). Lenient returns an error, which does not wrap [ErrInvalid], if
// phonenumbers has no metadata for region.
func Lenient(region string) (Policy, error) {
	r := strings.ToUpper(region)
	// GetCountryCodeForRegion returns 0 for unknown regions and for the
	// non-geographical pseudo-region "001".
	if len(r) != 2 || phonenumbers.GetCountryCodeForRegion(r) == 0 {
		return Policy{}, fmt.Errorf("phone: unsupported default region %q", region)
	}
	return Policy{kind: kindLenient, region: r}, nil
}

// Normalize returns s in E.164 format ("+" followed by digits) if s is
// acceptable under p. Every error wraps [ErrInvalid].
func (p Policy) Normalize(s string) (string, error) {
	if len(s) > maxInputBytes {
		return "", invalid(s, "too long")
	}
	in := s
	if p.kind != kindStrict {
		in = strings.Trim(s, " \t\r\n")
	}
	if in == "" {
		return "", invalid(s, "empty")
	}
	if err := p.checkSyntax(s, in); err != nil {
		return "", err
	}

	toParse, region := in, unknownRegion
	switch p.kind {
	case kindPlusOptional:
		toParse = "+" + strings.TrimPrefix(in, "+")
	case kindLenient:
		region = p.region
	}
	out, err := parse(s, toParse, region)
	if err != nil {
		return "", err
	}

	if out == s {
		// Parsing s gave s: it is a fixed point, so canonical.
		return out, nil
	}
	// phonenumbers strips a national (trunk) prefix or carrier code written
	// after the country code ("+44 (0)20 ..." is +4420...). When two such
	// prefixes are present the result is stripped again if parsed again
	// (+310060507407 -> +31060507407 -> +3160507407). Accept only results
	// that are fixed points, so that every output is canonical: accepted
	// unchanged by Strict and by this policy.
	again, err := parse(out, out, unknownRegion)
	stable := err == nil && again == out
	switch {
	case p.kind == kindStrict && stable:
		return "", invalid(s, "not in canonical E.164 form, which is "+out)
	case p.kind == kindStrict:
		return "", invalid(s, "not in canonical E.164 form")
	case !stable:
		return "", invalid(s, "ambiguous: the result "+out+" would not be read back unchanged")
	}
	return out, nil
}

// checkSyntax applies the policy's character rules to in, the input with any
// permitted surrounding white space removed. s is the original input, for
// error messages.
func (p Policy) checkSyntax(s, in string) error {
	body, hasPlus := strings.CutPrefix(in, "+")
	if p.kind == kindStrict && !hasPlus {
		r, _ := utf8.DecodeRuneInString(in)
		return invalid(s, fmt.Sprintf("E.164 requires a leading '+', found %q", r))
	}
	digits := 0
	for _, r := range body {
		switch {
		case r >= '0' && r <= '9':
			digits++
			continue
		case p.kind == kindStrict:
			return invalid(s, fmt.Sprintf("E.164 allows only digits after '+', found %q", r))
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
			continue
		case r == '+':
			return invalid(s, "'+' is allowed only at the start")
		case unicode.IsDigit(r):
			return invalid(s, fmt.Sprintf("only ASCII digits are allowed, found %q", r))
		case unicode.IsLetter(r):
			return invalid(s, fmt.Sprintf("letters are not allowed, found %q", r))
		default:
			return invalid(s, fmt.Sprintf("character not allowed, found %q", r))
		}
	}
	if digits == 0 {
		return invalid(s, "no digits")
	}
	// Without an international dialling prefix (which only Lenient
	// understands) every input digit is part of the number or a trunk
	// prefix, so the E.164 limit can be checked before parsing.
	if p.kind != kindLenient && digits > maxE164Digits {
		return invalid(s, fmt.Sprintf("too long: %d digits, E.164 allows at most %d", digits, maxE164Digits))
	}
	return nil
}

// parse parses toParse with phonenumbers and returns the E.164 form if the
// result is acceptable. s is the original input, for error messages.
func parse(s, toParse, region string) (string, error) {
	num, err := phonenumbers.Parse(toParse, region)
	if err != nil {
		return "", invalid(s, parseErrorReason(err))
	}
	if num.GetExtension() != "" {
		return "", invalid(s, "extensions are not allowed")
	}
	cc := int(num.GetCountryCode())
	if phonenumbers.GetRegionCodeForCountryCode(cc) == unknownRegion {
		return "", invalid(s, fmt.Sprintf("unknown country calling code +%d", cc))
	}
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.TOO_SHORT:
		return "", invalid(s, fmt.Sprintf("too short for country calling code +%d", cc))
	case phonenumbers.TOO_LONG:
		return "", invalid(s, fmt.Sprintf("too long for country calling code +%d", cc))
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "", invalid(s, fmt.Sprintf("local number without area code for country calling code +%d", cc))
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "", invalid(s, fmt.Sprintf("unknown country calling code +%d", cc))
	default: // INVALID_LENGTH and anything added later
		return "", invalid(s, fmt.Sprintf("wrong length for country calling code +%d", cc))
	}

	out := phonenumbers.Format(num, phonenumbers.E164)
	// Belt and braces: the contract of this package is the shape of out,
	// so check it rather than trust metadata edge cases.
	d, ok := strings.CutPrefix(out, "+")
	if !ok || d == "" || strings.TrimLeft(d, "0123456789") != "" {
		return "", invalid(s, "phonenumbers produced malformed output")
	}
	if len(d) > maxE164Digits {
		return "", invalid(s, fmt.Sprintf("too long: %d digits, E.164 allows at most %d", len(d), maxE164Digits))
	}
	return out, nil
}

func parseErrorReason(err error) string {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return "missing or unknown country calling code"
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return "too short"
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return "too long"
	case errors.Is(err, phonenumbers.ErrNotANumber):
		return "not a phone number"
	default:
		return "cannot parse: " + err.Error()
	}
}

// invalid returns an error wrapping ErrInvalid. The input is quoted (with
// %q, so control characters and invalid UTF-8 are escaped) when it is short;
// it is a phone number, so logging it is fine, but arbitrary long input is
// not repeated.
func invalid(s, reason string) error {
	if len(s) <= maxQuotedInput {
		return fmt.Errorf("%w %q: %s", ErrInvalid, s, reason)
	}
	return fmt.Errorf("%w (%d bytes): %s", ErrInvalid, len(s), reason)
}

// Digits returns e164 without its leading '+', the form used in Plivo API
// paths and in some API responses ("+918000000001" -> "918000000001"). It
// does not validate: pass it the output of [Policy.Normalize].
func Digits(e164 string) string {
	return strings.TrimPrefix(e164, "+")
}
