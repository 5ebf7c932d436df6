package telemetry

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/prometheus/client_golang/prometheus"
)

// Transport returns an http.RoundTripper that counts and times every HTTP
// request an adapter sends to provider, by method, endpoint and status.
// The endpoint is the path with every segment that holds a digit replaced
// by {id} (account SIDs, number ids, phone numbers), so its cardinality is
// the provider's API surface, not its data. A nil Metrics returns next.
func (m *Metrics) Transport(provider string, next http.RoundTripper) http.RoundTripper {
	if m == nil {
		return next
	}
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := next.RoundTrip(r)
		endpoint := Endpoint(r.URL.Path)
		status := "error"
		if err == nil {
			status = strconv.Itoa(resp.StatusCode)
		}
		m.httpCalls.WithLabelValues(provider, r.Method, endpoint, status).Inc()
		m.httpLatency.WithLabelValues(provider, r.Method, endpoint).Observe(time.Since(start).Seconds())
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Endpoint templates a request path: "/2010-04-01/Accounts/AC1/Calls.json"
// becomes "/2010-04-01/Accounts/{id}/Calls.json". API versions ("v2",
// "2010-04-01") are kept wherever they are, as under a proxy's prefix.
func Endpoint(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s == "" || isVersion(s) {
			continue
		}
		name, ext, _ := strings.Cut(s, ".")
		if strings.ContainsFunc(name, unicode.IsDigit) {
			segs[i] = "{id}"
			if ext != "" {
				segs[i] += "." + ext
			}
		}
	}
	return strings.Join(segs, "/")
}

// isVersion recognizes API versions in paths: "v1", "v2", "2010-04-01".
func isVersion(s string) bool {
	if len(s) >= 2 && s[0] == 'v' && strings.Trim(s[1:], "0123456789") == "" {
		return true
	}
	return strings.Trim(s, "0123456789-") == "" && strings.Count(s, "-") == 2
}

func newHTTPMetrics() (*prometheus.CounterVec, *prometheus.HistogramVec) {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_provider_http_requests_total", Help: "HTTP requests sent to providers by method, endpoint (templated path) and status.",
		}, []string{"provider", "method", "endpoint", "status"}),
		prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_provider_http_request_duration_seconds", Help: "Duration of HTTP requests sent to providers.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"provider", "method", "endpoint"})
}
