package admin

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// secretField matches the names of fields whose values must never be
// shown, whatever the job type: credentials (sealed or not), tokens,
// passwords, keys, signatures.
var secretField = regexp.MustCompile(`(?i)(secret|token|password|passwd|credential|auth|api_?key|private|signature|cookie|session)`)

const redacted = "[redacted]"

// redactJSON returns raw with the value of every secret-looking field
// replaced by "[redacted]", at any depth. Anything that is not JSON is not
// shown at all: it cannot be checked.
func redactJSON(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Sprintf("[%d bytes that are not JSON, not shown]", len(raw))
	}
	b, err := json.MarshalIndent(redactValue(v), "", "  ")
	if err != nil {
		return redacted
	}
	return string(b)
}

func redactValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if secretField.MatchString(k) {
				v[k] = redacted
				continue
			}
			v[k] = redactValue(x)
		}
	case []any:
		for i, x := range v {
			v[i] = redactValue(x)
		}
	}
	return v
}

// FormatPayload is asynqmon's PayloadFormatter: payloads with every
// secret-looking field redacted (add-phone's credentials are sealed, and
// are hidden all the same).
func FormatPayload(_ string, payload []byte) string { return redactJSON(payload) }

// FormatResult is asynqmon's ResultFormatter, redacting as FormatPayload.
func FormatResult(_ string, result []byte) string { return redactJSON(result) }
