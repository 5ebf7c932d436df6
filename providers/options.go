package providers

import (
	"fmt"
	"net/url"
	"time"
)

// Defaults of the Timeout and UserAgent options every adapter takes.
const (
	DefaultTimeout   = 15 * time.Second
	DefaultUserAgent = "switchboard"
)

// ParseBaseURL reads an adapter's BaseURL option, which must be
// scheme://host with an optional path prefix (a simulator's URL, such as
// http://127.0.0.1:8080/sandbox/twilio). An empty raw is nil: the
// provider's own host. provider names the adapter in the error.
func ParseBaseURL(provider, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("%s: base URL %q: want scheme://host[/prefix]", provider, raw)
	}
	return u, nil
}
