package twiliotest

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

var (
	applicationSIDPattern = regexp.MustCompile(`^AP[0-9a-fA-F]{32}$`)
	trunkSIDPattern       = regexp.MustCompile(`^TK[0-9a-fA-F]{32}$`)
)

// maxURLLength is Twilio's documented limit for callback URLs.
const maxURLLength = 4000

// applyUpdate applies the parameters of an IncomingPhoneNumber update to n,
// touching only the fields sent, as Twilio does. Either every parameter is
// valid and n is updated, or n is left alone and the error for the first
// invalid parameter (in Twilio's documented parameter order) is returned.
// It reports whether anything changed. a is the number's account: an
// application or trunk SID must be one of its own.
func applyUpdate(n *Number, form url.Values, a *account) (bool, *apiError) {
	c := *n
	sent := func(param string) (string, bool) {
		v, ok := form[param]
		if !ok || len(v) == 0 {
			return "", false
		}
		return v[0], true
	}

	if v, ok := sent("AccountSid"); ok && v != n.AccountSID {
		// Moving numbers between (sub)accounts is not simulated.
		return false, errInvalid(CodeInvalidParameter, "AccountSid: transferring numbers between accounts is not supported")
	}
	if v, ok := sent("FriendlyName"); ok {
		if len(v) > 64 {
			return false, errInvalid(CodeInvalidParameter, "FriendlyName must be at most 64 characters long")
		}
		c.FriendlyName = v
	}

	urls := []struct {
		param string
		field *string
	}{
		{"SmsFallbackUrl", &c.SMSFallbackURL},
		{"SmsUrl", &c.SMSURL},
		{"StatusCallback", &c.StatusCallback},
		{"VoiceFallbackUrl", &c.VoiceFallbackURL},
		{"VoiceUrl", &c.VoiceURL},
	}
	for _, u := range urls {
		if v, ok := sent(u.param); ok {
			if !validCallbackURL(v) {
				return false, errInvalid(CodeInvalidURL, u.param+" is not a valid URL: "+v)
			}
			*u.field = v
		}
	}

	methods := []struct {
		param string
		field *string
	}{
		{"SmsFallbackMethod", &c.SMSFallbackMethod},
		{"SmsMethod", &c.SMSMethod},
		{"StatusCallbackMethod", &c.StatusCallbackMethod},
		{"VoiceFallbackMethod", &c.VoiceFallbackMethod},
		{"VoiceMethod", &c.VoiceMethod},
	}
	for _, m := range methods {
		if v, ok := sent(m.param); ok {
			// Exactly as documented: a simulator more lenient than
			// Twilio would hide an adapter's mistake.
			if v != "GET" && v != "POST" {
				return false, errInvalid(CodeInvalidParameter, m.param+" must be GET or POST")
			}
			*m.field = v
		}
	}

	// An empty SID clears it; that is how a number is detached from an
	// application or a trunk.
	// Twilio's error 22108 covers a malformed SID and an application that
	// does not exist or belongs to another account alike.
	if v, ok := sent("SmsApplicationSid"); ok {
		if v != "" && (!applicationSIDPattern.MatchString(v) || !a.apps[v]) {
			return false, errInvalid(CodeInvalidApplication, "Invalid Application SID: SmsApplicationSid "+v+" is not an application of this account")
		}
		c.SMSApplicationSID = v
	}
	if v, ok := sent("VoiceApplicationSid"); ok {
		if v != "" && (!applicationSIDPattern.MatchString(v) || !a.apps[v]) {
			return false, errInvalid(CodeInvalidApplication, "Invalid Application SID: VoiceApplicationSid "+v+" is not an application of this account")
		}
		c.VoiceApplicationSID = v
		if v != "" {
			c.TrunkSID = "" // Twilio: setting one deletes the other
		}
	}
	if v, ok := sent("TrunkSid"); ok {
		// Twilio documents no code of its own for a trunk SID on a
		// number: the generic invalid-parameter code, worded as 22108.
		if v != "" && (!trunkSIDPattern.MatchString(v) || !a.trunks[v]) {
			return false, errInvalid(CodeInvalidParameter, "Invalid Trunk SID: TrunkSid "+v+" is not a trunk of this account")
		}
		c.TrunkSID = v
		if v != "" {
			c.VoiceApplicationSID = ""
		}
	}

	if v, ok := sent("VoiceCallerIdLookup"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, errInvalid(CodeInvalidParameter, "VoiceCallerIdLookup must be true or false")
		}
		c.VoiceCallerIDLookup = b
	}
	if v, ok := sent("VoiceReceiveMode"); ok {
		if v != "voice" && v != "fax" {
			return false, errInvalid(CodeInvalidParameter, "VoiceReceiveMode must be voice or fax")
		}
		c.VoiceReceiveMode = v
	}

	if c == *n {
		return false, nil
	}
	*n = c
	return true, nil
}

// validCallbackURL accepts what Twilio accepts for a webhook: empty (which
// clears it) or an absolute http(s) URL with a host, no underscores in the
// host, at most 4000 characters.
func validCallbackURL(s string) bool {
	if s == "" {
		return true
	}
	if len(s) > maxURLLength {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return false
	}
	return !strings.Contains(u.Hostname(), "_")
}
