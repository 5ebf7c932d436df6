package plivotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
)

// params are the decoded JSON body of a write. plivo-go sends JSON objects;
// an empty body is an empty object.
type params map[string]any

func readParams(w http.ResponseWriter, r *http.Request) (params, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return nil, fmt.Errorf("the request body could not be read")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return params{}, nil
	}
	var p params
	if err := json.Unmarshal(b, &p); err != nil || p == nil {
		return nil, fmt.Errorf("the request body is not a JSON object")
	}
	return p, nil
}

// str returns a string parameter and whether it was sent; null counts as
// not sent.
func (p params) str(name string) (string, bool, error) {
	v, ok := p[name]
	if !ok || v == nil {
		return "", false, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", false, fmt.Errorf("%s must be a string", name)
	}
	return s, true, nil
}

// boolean returns a boolean parameter, sent as a JSON boolean or as the
// strings "true" and "false", and whether it was sent.
func (p params) boolean(name string) (bool, bool, error) {
	switch v := p[name].(type) {
	case nil:
		return false, false, nil
	case bool:
		return v, true, nil
	case string:
		switch v {
		case "true", "True":
			return true, true, nil
		case "false", "False":
			return false, true, nil
		}
	}
	return false, false, fmt.Errorf("%s must be true or false", name)
}

var appNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// validURL accepts an absolute http(s) URL with a host.
func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func validMethod(s string) bool { return s == http.MethodGet || s == http.MethodPost }
