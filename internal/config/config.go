// Package config reads switchboard's configuration from SWITCHBOARD_*
// environment variables. Command-line flags override them (cmd/switchboard
// binds each flag to the variable's value as its default). A variable that
// switchboard does not know is an error, so a typo fails at start instead
// of being silently ignored.
package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Var describes one environment variable.
type Var struct {
	Name    string
	Default string
	Usage   string
}

// Vars is every variable switchboard reads, with its default. The
// operations guide's configuration reference mirrors this table.
func Vars() []Var {
	return []Var{
		{"SWITCHBOARD_REDIS_URL", "", "Redis for the job queues: redis://, rediss:// (TLS; tls_ca, tls_cert, tls_key parameters), unix:// or redis-sentinel://...?master=<name>; not Redis Cluster (required for worker and api)"},
		{"SWITCHBOARD_DATABASE_URL", "", "postgres://... or sqlite:<path> (required for worker, api, migrate, apikey and rekey)"},
		{"SWITCHBOARD_SECRET_KEY", "", "key ring sealing provider credentials: <id>:<base64 32 bytes>[,<old id>:<old key>...] (required for worker, api and rekey)"},
		{"SWITCHBOARD_WEBHOOK_BASE_URL", "", "base URL numbers' voice webhooks point at: <base>/voice/inbound, /voice/status, /voice/hangup (required for worker)"},
		{"SWITCHBOARD_ADDR", ":8080", "HTTP listen address of the api"},
		{"SWITCHBOARD_METRICS_ADDR", ":9090", "listen address of the worker's and the api's /metrics, /healthz and /readyz, away from the public API port (empty turns it off)"},
		{"SWITCHBOARD_CONCURRENCY", "10", "jobs of the interactive queues (critical, default) a worker runs at once"},
		{"SWITCHBOARD_BULK_CONCURRENCY", "", "jobs of the bulk queue (imports) a worker runs at once, besides SWITCHBOARD_CONCURRENCY; unset: a quarter of it, at least 1; 0: the worker takes no bulk jobs"},
		{"SWITCHBOARD_SHUTDOWN_TIMEOUT", "25s", "how long in-flight jobs may finish after SIGTERM"},
		{"SWITCHBOARD_API_WAIT", "20s", "how long an API request waits for its job before answering 202"},
		{"SWITCHBOARD_IMPORT_YIELD", "25ms", "how long, at most, a batch import posted to the api holds back each page of 500 rows while a request of the same api waits for its job (0 turns it off)"},
		{"SWITCHBOARD_LOG_LEVEL", "info", "debug, info, warn or error"},
		{"SWITCHBOARD_LOG_FORMAT", "json", "json or text"},
		{"SWITCHBOARD_DEFAULT_REGION", "IN", "region (ISO 3166 alpha-2) for numbers given without a country code in the apps API"},
		{"SWITCHBOARD_CALLBACK_SECRET", "", "HMAC-SHA256 key signing job completion callbacks (callbacks are refused when unset)"},
		{"SWITCHBOARD_CALLBACK_ALLOW_PRIVATE", "false", "allow callback URLs on loopback and private networks"},
		{"SWITCHBOARD_RECONCILE_INTERVAL", "1h", "how often provider configuration is re-checked for drift (0 turns it off)"},
		{"SWITCHBOARD_JOB_DEADLINE", "1h", "how long a job may keep retrying provider outages and rate limits, from its first attempt, before it fails for good"},
		{"SWITCHBOARD_PROVIDER_TIMEOUT", "15s", "bounds each HTTP request to a provider; a request cut off is retried like an outage"},
		{"SWITCHBOARD_TWILIO_BASE_URL", "", "replaces https://api.twilio.com (a proxy or a simulator)"},
		{"SWITCHBOARD_PLIVO_BASE_URL", "", "replaces https://api.plivo.com (a proxy or a simulator)"},
		{"SWITCHBOARD_TELNYX_BASE_URL", "", "replaces https://api.telnyx.com (a proxy or a simulator)"},
		{"SWITCHBOARD_ADMIN_USERS", "", "admin dashboard logins at /admin/: comma-separated name:role:bcrypt-hash, role operator or viewer (hash from `switchboard admin hash-password`); the dashboard is off when unset"},
		{"SWITCHBOARD_ADMIN_SESSION_TTL", "8h", "how long an admin dashboard login lasts"},
		{"SWITCHBOARD_DEV_API_KEY", "", "dev only: the API key of the dev org (generated when unset)"},
	}
}

// testPrefix marks variables read by the test suites, not by switchboard.
const testPrefix = "SWITCHBOARD_TEST_"

// CheckUnknown returns an error naming every SWITCHBOARD_* variable in
// environ (NAME=value entries) that switchboard does not read. The
// variables Kubernetes sets for a Service whose name starts with
// switchboard- (SWITCHBOARD_API_SERVICE_HOST, SWITCHBOARD_API_PORT=tcp://...,
// see isServiceLink) are not switchboard's and pass.
func CheckUnknown(environ []string) error {
	known := map[string]bool{}
	for _, v := range Vars() {
		known[v.Name] = true
	}
	var unknown []string
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "SWITCHBOARD_") && !strings.HasPrefix(name, testPrefix) && !known[name] && !isServiceLink(name, value) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unknown configuration variable(s) %s (see `switchboard help` or docs/operations.md)", strings.Join(unknown, ", "))
	}
	return nil
}

// Default returns the value getenv gives name, or the variable's default.
func Default(getenv func(string) string, name string) string {
	if v := getenv(name); v != "" {
		return v
	}
	for _, v := range Vars() {
		if v.Name == name {
			return v.Default
		}
	}
	return ""
}

// Usage returns the table entry for name, for flag help texts.
func Usage(name string) string {
	for _, v := range Vars() {
		if v.Name == name {
			return v.Usage + " (" + name + ")"
		}
	}
	return name
}

// Required returns an error naming the variable when value is empty.
func Required(name, flag, value string) error {
	return RequireAll(Setting{name, flag, value})
}

// Setting is one required setting: its variable, its flag (without the
// dashes) and the value it has.
type Setting struct {
	Name, Flag, Value string
}

// RequireAll returns one error naming every setting whose value is empty
// (or blank), in the order given, so a start lists all that is missing at
// once; nil when none is.
func RequireAll(settings ...Setting) error {
	var missing []Setting
	for _, s := range settings {
		if strings.TrimSpace(s.Value) == "" {
			missing = append(missing, s)
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%s is required (or --%s)", missing[0].Name, missing[0].Flag)
	}
	names := make([]string, len(missing))
	for i, s := range missing {
		names[i] = fmt.Sprintf("%s (or --%s)", s.Name, s.Flag)
	}
	return fmt.Errorf("%d required settings are missing: %s", len(missing), strings.Join(names, ", "))
}

// Duration parses a duration variable, naming it in the error.
func Duration(name, value string) (time.Duration, error) {
	d, err := time.ParseDuration(value)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s: %q is not a duration like 20s", name, value)
	}
	return d, nil
}

// Int parses a positive integer variable, naming it in the error.
func Int(name, value string) (int, error) {
	n, err := strconv.Atoi(value)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive integer", name, value)
	}
	return n, nil
}

// BulkConcurrency parses SWITCHBOARD_BULK_CONCURRENCY: "" is 0 (the
// default), "0" is -1 (no bulk jobs), else a positive integer.
func BulkConcurrency(value string) (int, error) {
	if value == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("SWITCHBOARD_BULK_CONCURRENCY: %q is not 0 or a positive integer", value)
	}
	if n == 0 {
		return -1, nil
	}
	return n, nil
}

// Bool parses a true/false variable, naming it in the error.
func Bool(name, value string) (bool, error) {
	b, err := strconv.ParseBool(value)
	if err != nil {
		return false, fmt.Errorf("%s: %q is not true or false", name, value)
	}
	return b, nil
}
