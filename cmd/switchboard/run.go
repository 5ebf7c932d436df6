package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/switchboardhq/switchboard/internal/config"
	"github.com/switchboardhq/switchboard/internal/version"
)

// run is the whole program: main only supplies the process's context,
// arguments, environment and output streams, so tests can run any
// subcommand in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	root := &cobra.Command{
		Use:           "switchboard",
		Short:         "Provision phone numbers across Twilio, Plivo and Telnyx",
		SilenceUsage:  true,
		SilenceErrors: true,
		// Only the commands that read the configuration check it: help,
		// version and completion work in any environment (and --help never
		// reaches a pre-run).
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if !readsConfig(cmd) {
				return nil
			}
			return config.CheckUnknown(visibleEnviron(getenv))
		},
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	for _, cmd := range []*cobra.Command{
		devCommand(getenv, stdout, stderr),
		workerCommand(getenv, stderr),
		apiCommand(getenv, stderr),
		migrateCommand(getenv, stdout, stderr),
		apikeyCommand(getenv, stdout, stderr),
		importCommand(getenv, stdout, stderr),
		rekeyCommand(getenv, stdout, stderr),
	} {
		if cmd.Annotations == nil {
			cmd.Annotations = map[string]string{}
		}
		cmd.Annotations[configAnnotation] = "true"
		root.AddCommand(cmd)
	}
	root.AddCommand(
		adminCommand(os.Stdin, stdout),
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(stdout, "switchboard", version.String()) },
		},
	)
	return root.ExecuteContext(ctx)
}

// configAnnotation marks the commands that read SWITCHBOARD_* variables.
const configAnnotation = "switchboard/reads-config"

// readsConfig tells whether cmd or a parent of it reads the configuration.
func readsConfig(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		if c.Annotations[configAnnotation] == "true" {
			return true
		}
	}
	return false
}

// visibleEnviron lists the process's SWITCHBOARD_* variables as getenv
// sees them, so a test's getenv decides what counts as set.
func visibleEnviron(getenv func(string) string) []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "SWITCHBOARD_") && getenv(name) != "" {
			out = append(out, name+"="+getenv(name))
		}
	}
	return out
}

// settings are the values of every configuration flag; each defaults to
// its SWITCHBOARD_* variable.
type settings struct {
	redisURL, databaseURL, secretKey, webhookBaseURL string
	addr, concurrency, shutdownTimeout, apiWait      string
	bulkConcurrency, importYield                     string
	logLevel, logFormat                              string
	twilioBaseURL, plivoBaseURL, telnyxBaseURL       string
	defaultRegion, callbackSecret, callbackPrivate   string
	reconcileInterval, metricsAddr, jobDeadline      string
	providerTimeout                                  string
	adminUsers, adminSessionTTL                      string
	sandboxNumbers                                   int // dev only
}

// flagVars names the flag of each variable, and where its value lands.
func (s *settings) flagVars() []struct {
	flag, env string
	dst       *string
} {
	return []struct {
		flag, env string
		dst       *string
	}{
		{"redis", "SWITCHBOARD_REDIS_URL", &s.redisURL},
		{"database", "SWITCHBOARD_DATABASE_URL", &s.databaseURL},
		{"secret-key", "SWITCHBOARD_SECRET_KEY", &s.secretKey},
		{"webhook-base-url", "SWITCHBOARD_WEBHOOK_BASE_URL", &s.webhookBaseURL},
		{"addr", "SWITCHBOARD_ADDR", &s.addr},
		{"metrics-addr", "SWITCHBOARD_METRICS_ADDR", &s.metricsAddr},
		{"concurrency", "SWITCHBOARD_CONCURRENCY", &s.concurrency},
		{"bulk-concurrency", "SWITCHBOARD_BULK_CONCURRENCY", &s.bulkConcurrency},
		{"shutdown-timeout", "SWITCHBOARD_SHUTDOWN_TIMEOUT", &s.shutdownTimeout},
		{"api-wait", "SWITCHBOARD_API_WAIT", &s.apiWait},
		{"import-yield", "SWITCHBOARD_IMPORT_YIELD", &s.importYield},
		{"log-level", "SWITCHBOARD_LOG_LEVEL", &s.logLevel},
		{"log-format", "SWITCHBOARD_LOG_FORMAT", &s.logFormat},
		{"twilio-base-url", "SWITCHBOARD_TWILIO_BASE_URL", &s.twilioBaseURL},
		{"plivo-base-url", "SWITCHBOARD_PLIVO_BASE_URL", &s.plivoBaseURL},
		{"telnyx-base-url", "SWITCHBOARD_TELNYX_BASE_URL", &s.telnyxBaseURL},
		{"default-region", "SWITCHBOARD_DEFAULT_REGION", &s.defaultRegion},
		{"callback-secret", "SWITCHBOARD_CALLBACK_SECRET", &s.callbackSecret},
		{"callback-allow-private", "SWITCHBOARD_CALLBACK_ALLOW_PRIVATE", &s.callbackPrivate},
		{"reconcile-interval", "SWITCHBOARD_RECONCILE_INTERVAL", &s.reconcileInterval},
		{"job-deadline", "SWITCHBOARD_JOB_DEADLINE", &s.jobDeadline},
		{"provider-timeout", "SWITCHBOARD_PROVIDER_TIMEOUT", &s.providerTimeout},
		{"admin-users", "SWITCHBOARD_ADMIN_USERS", &s.adminUsers},
		{"admin-session-ttl", "SWITCHBOARD_ADMIN_SESSION_TTL", &s.adminSessionTTL},
	}
}

// bind defines the named flags on fs with their variables' values as
// defaults. Secrets are not shown in --help.
func (s *settings) bind(fs *pflag.FlagSet, getenv func(string) string, flags ...string) {
	want := map[string]bool{}
	for _, f := range flags {
		want[f] = true
	}
	for _, fv := range s.flagVars() {
		if !want[fv.flag] {
			continue
		}
		def := config.Default(getenv, fv.env)
		fs.StringVar(fv.dst, fv.flag, def, config.Usage(fv.env))
		if fv.flag == "secret-key" || fv.flag == "callback-secret" || fv.flag == "admin-users" {
			fs.Lookup(fv.flag).DefValue = ""
		}
	}
}

// require fails naming the variable of every empty required flag, all in
// one error.
func (s *settings) require(flags ...string) error {
	var missing []config.Setting
	for _, f := range flags {
		for _, fv := range s.flagVars() {
			if fv.flag == f {
				missing = append(missing, config.Setting{Name: fv.env, Flag: fv.flag, Value: *fv.dst})
			}
		}
	}
	return config.RequireAll(missing...)
}
